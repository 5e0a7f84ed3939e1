//! The reminders job, run with `POST /dev/run/reminders`: rights ending within 4 months
//! without a renewal, drafts untouched for 14 days, read by the job and sent by its worker
//! from the reminders queue; by email and SMS; never twice.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn reminders_go_once_to_those_who_have_not_renewed() {
    let stack = TestStack::start().await;
    let due = fresh_nir(71, 1);
    let started = fresh_nir(72, 2);
    let later = fresh_nir(73, 3);
    let mut due_line = beneficiary(&due, "1971-01-05", "RAPPEL01", HAVRE, &months_from_today(2));
    due_line["email"] = json!("due@exemple.fr");
    stack
        .import(
            "reminders.jsonl",
            &[
                due_line.to_string(),
                beneficiary(
                    &started,
                    "1972-02-05",
                    "RAPPEL02",
                    HAVRE,
                    &months_from_today(2),
                )
                .to_string(),
                beneficiary(
                    &later,
                    "1973-03-05",
                    "RAPPEL03",
                    HAVRE,
                    &months_from_today(6),
                )
                .to_string(),
            ],
        )
        .await;
    // Both whose renewal is open arrived so: reminded on arrival, by the import.
    stack
        .wait_for_message("due@exemple.fr", "rights_ending")
        .await;
    stack
        .wait_for_message("claire.martin@exemple.fr", "rights_ending")
        .await;
    // One of them started a renewal, then left it alone for 15 days.
    let token = stack.sign_in(&started, "1972-02-05", "RAPPEL02").await;
    let (_, draft) = stack.post("/api/renewals", Some(&token), json!({})).await;
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    stack.age_renewal(&id, 15).await;

    // The first run reads the whole window: both again (the worker sends neither twice, and
    // skips the one who started), and the idle draft.
    let report = stack.run_job("reminders").await;
    assert_eq!(
        (
            report["read"].as_u64(),
            report["rights_ending"].as_u64(),
            report["drafts_idle"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{report}"
    );
    let again = stack.run_job("reminders").await;
    assert_eq!(
        (
            again["read"].as_u64(),
            again["rights_ending"].as_u64(),
            again["drafts_idle"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{again}"
    );

    // Sent by notify from the outbox queue, in no set order; nothing twice.
    stack
        .wait_for_message("claire.martin@exemple.fr", "draft_idle")
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let messages = stack.wait_for_messages(6).await;
    let mut sent: Vec<(&str, &str, &str)> = messages
        .iter()
        .filter_map(|m| {
            Some((
                m["kind"].as_str()?,
                m["channel"].as_str()?,
                m["to"].as_str()?,
            ))
        })
        .collect();
    sent.sort_unstable();
    assert_eq!(
        sent,
        [
            ("draft_idle", "email", "claire.martin@exemple.fr"),
            ("draft_idle", "sms", "+33612345678"),
            ("rights_ending", "email", "claire.martin@exemple.fr"),
            ("rights_ending", "email", "due@exemple.fr"),
            ("rights_ending", "sms", "+33612345678"),
            ("rights_ending", "sms", "+33612345678"),
        ]
    );
    let text = json!(messages).to_string();
    for nir in [&due, &started, &later] {
        assert!(!text.contains(nir.as_str()), "no NIR in a message");
    }
    stack.stop().await;
}

/// As if the job had last finished on `day`.
async fn reminders_last_ran(stack: &TestStack, day: time::Date) {
    stack
        .idempotency_store()
        .set_watermark(reminders::WATERMARK, day)
        .await
        .expect("watermark");
}

fn person(nir: &str, birth: &str, code: &str, end: time::Date) -> String {
    let mut line = beneficiary(
        nir,
        birth,
        code,
        HAVRE,
        &c2s_domain::dates::format_date(end),
    );
    line["email"] = json!(format!("{code}@exemple.fr").to_lowercase());
    line.to_string()
}

#[tokio::test]
async fn reminders_read_only_the_ends_that_open_today() {
    use c2s_domain::dates::add_months;
    use c2s_domain::renewal::opens_on;
    let stack = TestStack::start().await;
    let day = today();
    // Opens today; opens tomorrow (most days: read tomorrow, not today); opens next month;
    // already reminded by yesterday's run (opened within the window before today).
    let ends = [
        add_months(day, 4),
        add_months(day, 4) + time::Duration::days(1),
        add_months(day, 5),
        add_months(day, 2),
    ];
    let lines: Vec<String> = ends
        .iter()
        .enumerate()
        .map(|(i, end)| {
            let n = u8::try_from(i).unwrap_or(0) + 1;
            person(
                &fresh_nir(74, 4),
                "1974-04-05",
                &format!("JOUR000{n}"),
                *end,
            )
        })
        .collect();
    let rejects = stack.import("opening.jsonl", &lines).await;
    assert!(rejects.is_empty(), "{rejects:?}");
    reminders_last_ran(&stack, day - time::Duration::days(1)).await;

    let report = stack.run_job("reminders").await;
    let opening_today = ends.iter().filter(|e| opens_on(**e) == day).count() as u64;
    assert!(opening_today >= 1);
    assert_eq!(
        (report["read"].as_u64(), report["rights_ending"].as_u64()),
        (Some(opening_today), Some(opening_today)),
        "only the ends that open today are read: {report}"
    );
    // The next run the same day has nothing left to read.
    let again = stack.run_job("reminders").await;
    assert_eq!(again["read"].as_u64(), Some(0), "{again}");
    stack.stop().await;
}

#[tokio::test]
async fn a_reminder_due_on_a_day_the_job_did_not_run_goes_the_next_day() {
    use c2s_domain::dates::add_months;
    let stack = TestStack::start().await;
    let day = today();
    let yesterday = day - time::Duration::days(1);
    let missed = fresh_nir(75, 5);
    let handled = fresh_nir(75, 5);
    let rejects = stack
        .import(
            "missed.jsonl",
            &[
                // Opened yesterday, when the job did not run.
                person(&missed, "1975-05-05", "MANQUE01", add_months(yesterday, 4)),
                // Opened a week ago, before the job's last run: that run had it.
                person(
                    &handled,
                    "1975-05-06",
                    "MANQUE02",
                    add_months(day - time::Duration::days(7), 4),
                ),
            ],
        )
        .await;
    assert!(rejects.is_empty(), "{rejects:?}");
    // The job last ran two days ago, then not yesterday.
    reminders_last_ran(&stack, day - time::Duration::days(2)).await;

    let report = stack.run_job("reminders").await;
    assert_eq!(
        (report["read"].as_u64(), report["rights_ending"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let messages = stack.wait_for_messages(2).await;
    assert!(
        messages
            .iter()
            .any(|m| m["kind"] == "rights_ending" && m["to"] == "manque01@exemple.fr"),
        "{messages:?}"
    );
    stack.stop().await;
}

/// A person imported when their renewal has already opened (the day index's day for them is
/// past, and the job reads only days after its watermark) is reminded once all the same.
#[tokio::test]
async fn a_person_imported_inside_the_window_is_reminded_once() {
    use c2s_domain::dates::add_months;
    let stack = TestStack::start().await;
    let day = today();
    // The job ran yesterday, before this person arrived: their renewal opened 2 months ago.
    reminders_last_ran(&stack, day - time::Duration::days(1)).await;
    let late = fresh_nir(76, 6);
    let rejects = stack
        .import(
            "late.jsonl",
            &[person(&late, "1976-06-06", "TARDIF01", add_months(day, 2))],
        )
        .await;
    assert!(rejects.is_empty(), "{rejects:?}");

    stack.run_job("reminders").await;
    stack
        .wait_for_message("tardif01@exemple.fr", "rights_ending")
        .await;
    // Another run, and the same file imported again: still one reminder.
    stack.run_job("reminders").await;
    stack
        .import(
            "late-again.jsonl",
            &[person(&late, "1976-06-06", "TARDIF01", add_months(day, 2))],
        )
        .await;
    stack.run_job("reminders").await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let sent: Vec<_> = stack
        .outbox_for("tardif01@exemple.fr")
        .await
        .into_iter()
        .filter(|m| m["kind"] == "rights_ending")
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    stack.stop().await;
}
