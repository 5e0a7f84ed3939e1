//! One beneficiary's whole journey over HTTP (sign in, create, fill, submit), and a level of
//! them at a given concurrency.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const STEPS: [&str; 4] = ["sign_in", "create", "fill", "submit"];

/// Someone of the imported file, with the letter's answers.
#[derive(Clone)]
pub struct Person {
    pub nir: String,
    pub birth_date: String,
    pub code: String,
    pub caisse: String,
}

/// What a level measured.
#[derive(Default)]
pub struct Level {
    pub journeys: usize,
    pub completed: usize,
    pub seconds: f64,
    /// Milliseconds per step, every call (answered or not).
    pub latencies: BTreeMap<&'static str, Vec<f64>>,
    /// "step status" (or "step transport") → count.
    pub errors: BTreeMap<String, usize>,
    /// Renewals answered 200 on submit: (caisse, id).
    pub submitted: Vec<(String, String)>,
}

enum Outcome {
    Answered(u16, Value),
    Transport,
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Outcome {
    let mut req = http.request(method, url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.bytes().await {
                Ok(bytes) => Outcome::Answered(
                    status,
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                ),
                Err(_) => Outcome::Transport,
            }
        }
        Err(_) => Outcome::Transport,
    }
}

struct Recorder<'a> {
    level: &'a Mutex<Level>,
}

impl Recorder<'_> {
    /// Records the step's time and, unless it answered `expected`, its error; gives the body
    /// when it did.
    fn step(
        &self,
        step: &'static str,
        started: Instant,
        o: Outcome,
        expected: u16,
    ) -> Option<Value> {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let Ok(mut l) = self.level.lock() else {
            return None;
        };
        l.latencies.entry(step).or_default().push(ms);
        match o {
            Outcome::Answered(status, body) if status == expected => Some(body),
            Outcome::Answered(status, _) => {
                *l.errors.entry(format!("{step} {status}")).or_default() += 1;
                None
            }
            Outcome::Transport => {
                *l.errors.entry(format!("{step} transport")).or_default() += 1;
                None
            }
        }
    }
}

/// Sign in (level 1 is enough to renew), create, fill (no income declared, so no document
/// is needed), submit. `true` when submit answered 200.
async fn journey(http: &reqwest::Client, url: &str, p: &Person, rec: &Recorder<'_>) -> bool {
    let post = reqwest::Method::POST;
    let t = Instant::now();
    let o = call(
        http,
        post.clone(),
        format!("{url}/api/auth/beneficiary"),
        None,
        json!({"nir": p.nir, "birth_date": p.birth_date, "renewal_code": p.code}),
    )
    .await;
    let Some(signed) = rec.step("sign_in", t, o, 200) else {
        return false;
    };
    let token = signed["token"].as_str().unwrap_or_default().to_owned();
    let t = Instant::now();
    let o = call(
        http,
        post.clone(),
        format!("{url}/api/renewals"),
        Some(&token),
        json!({}),
    )
    .await;
    let Some(created) = rec.step("create", t, o, 201) else {
        return false;
    };
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let form = json!({"version": created["version"], "household": created["household"], "resources": [], "housing": {"status": "housed_free"}, "manager": "caisse"});
    let t = Instant::now();
    let o = call(
        http,
        reqwest::Method::PUT,
        format!("{url}/api/renewals/{id}"),
        Some(&token),
        form,
    )
    .await;
    if rec.step("fill", t, o, 200).is_none() {
        return false;
    }
    let t = Instant::now();
    let o = call(
        http,
        post,
        format!("{url}/api/renewals/{id}/submit"),
        Some(&token),
        json!({}),
    )
    .await;
    if rec.step("submit", t, o, 200).is_none() {
        return false;
    }
    if let Ok(mut l) = rec.level.lock() {
        l.submitted.push((p.caisse.clone(), id));
    }
    true
}

/// Every person of `people` through a journey, `concurrency` at a time; no journey starts
/// after `cap`.
pub async fn level(
    http: &reqwest::Client,
    url: &str,
    people: Arc<Vec<Person>>,
    concurrency: usize,
    cap: Duration,
) -> Level {
    let level = Arc::new(Mutex::new(Level::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, people, next, level) = (
            http.clone(),
            url.to_owned(),
            Arc::clone(&people),
            Arc::clone(&next),
            Arc::clone(&level),
        );
        workers.push(tokio::spawn(async move {
            let rec = Recorder { level: &level };
            let (mut started_here, mut completed) = (0, 0);
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= people.len() || started.elapsed() > cap {
                    return (started_here, completed);
                }
                started_here += 1;
                if journey(&http, &url, &people[i], &rec).await {
                    completed += 1;
                }
            }
        }));
    }
    let (mut journeys, mut completed) = (0, 0);
    for w in workers {
        if let Ok((j, c)) = w.await {
            journeys += j;
            completed += c;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut out = match Arc::try_unwrap(level) {
        Ok(m) => m.into_inner().unwrap_or_default(),
        Err(_) => Level::default(),
    };
    out.journeys = journeys;
    out.completed = completed;
    out.seconds = seconds;
    out
}

/// The `q` quantile (0..1) of `v`, in milliseconds.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
