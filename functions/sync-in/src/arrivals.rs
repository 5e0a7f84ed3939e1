//! Profiles written, and the people among them whose renewal has already opened handed to
//! the reminders worker: the reminders job reads each day's opening ends once, so the day of
//! someone who arrives after it has gone; they are reminded on arrival instead (once: the
//! worker claims each reminder, so a file imported again sends nothing twice).

use crate::{App, ImportError};
use c2s_domain::renewal::renewal_open_on;
use c2s_platform::beneficiaries::Profile;
use c2s_platform::clock::today;
use c2s_platform::queue::send_all;
use c2s_platform::tasks::ReminderTask;

pub(crate) async fn write_profiles(app: &App, batch: &[Profile]) -> Result<(), ImportError> {
    app.beneficiaries.put_profiles(batch).await?;
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
    send_all(&app.sqs, &app.reminders_queue_url, &arrived).await?;
    Ok(())
}
