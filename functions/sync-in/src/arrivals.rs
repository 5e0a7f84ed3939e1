//! Profiles written, and the people among them whose renewal has already opened handed to
//! the reminders worker: the reminders job reads each day's opening ends once, so the day of
//! someone who arrives after it has gone; they are reminded on arrival instead (once: the
//! worker claims each reminder, so a file imported again sends nothing twice).

use crate::{App, ImportError};
use c2s_domain::renewal::renewal_open_on;
use c2s_platform::beneficiaries::{BeneficiaryStore, Profile};
use c2s_platform::clock::today;
use c2s_platform::queue::send_all;
use c2s_platform::tasks::ReminderTask;

/// What writing a batch of profiles needs, cheap to clone into each batch in flight.
#[derive(Clone)]
pub(crate) struct Arrivals {
    store: BeneficiaryStore,
    sqs: aws_sdk_sqs::Client,
    reminders_queue_url: String,
}

impl Arrivals {
    pub(crate) fn of(app: &App) -> Arrivals {
        Arrivals {
            store: app.beneficiaries.clone(),
            sqs: app.sqs.clone(),
            reminders_queue_url: app.reminders_queue_url.clone(),
        }
    }

    pub(crate) async fn write_profiles(&self, batch: &[Profile]) -> Result<(), ImportError> {
        self.store.put_profiles(batch).await?;
        let day = today();
        let arrived: Vec<String> = batch
            .iter()
            .filter(|p| renewal_open_on(p.css_end_date, day))
            .map(|p| {
                ReminderTask::RightsEnding {
                    nir_hash: p.nir_hash.clone(),
                    end: p.css_end_date,
                }
                .body()
            })
            .collect();
        send_all(&self.sqs, &self.reminders_queue_url, &arrived).await?;
        Ok(())
    }
}
