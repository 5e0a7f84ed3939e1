//! How many answers to a secret are judged before the key they are counted under locks.
//!
//! The letter's answers (level 1: NIR, birth date, renewal code, asked of the beneficiary or
//! of a partner acting for them) and the step-up's (level 2: IBAN digits, Vitale serial) are
//! counted apart, each under its own key, so that succeeding at one never forgets failures at
//! the other. A partner account's password follows its own rule (`partner::LOCK_AFTER`: locked
//! until someone unlocks it).
//!
//! An attempt is counted before it is judged (the store reserves it atomically), so answers
//! sent in parallel are judged `max` times at most, never one more; only a success forgets
//! the count.

/// `max` attempts within `window_seconds` of the first one; the last of them locks the key
/// for `lock_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    pub max: u32,
    pub window_seconds: i64,
    pub lock_seconds: i64,
}

/// The letter's answers: 5 attempts in 15 minutes, then 15 minutes locked.
pub const LETTER: AttemptLimit = AttemptLimit {
    max: 5,
    window_seconds: 15 * 60,
    lock_seconds: 15 * 60,
};

/// The step-up's answers: the same numbers, on a count of their own.
pub const STEP_UP: AttemptLimit = LETTER;

/// What is stored for a key: the attempts since its window opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    pub count: u32,
    /// When the window opened (Unix seconds).
    pub window_start: i64,
    /// When the last attempt was counted (Unix seconds).
    pub last_at: i64,
}

/// What becomes of a new attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Counted in the open window.
    Count,
    /// Counted as the first of a new window (none open, the last one over, or its lock over).
    Restart,
    /// Refused without being judged, for `retry_after` seconds more.
    Locked { retry_after: i64 },
}

impl AttemptLimit {
    /// The rule the store's conditions enforce; `stored` is what the key holds, if anything.
    pub fn next(&self, stored: Option<&Attempts>, now: i64) -> Next {
        let Some(a) = stored else {
            return Next::Restart;
        };
        if a.count >= self.max {
            let until = a.last_at + self.lock_seconds;
            return if until > now {
                Next::Locked {
                    retry_after: until - now,
                }
            } else {
                Next::Restart
            };
        }
        if a.window_start > self.window_floor(now) {
            Next::Count
        } else {
            Next::Restart
        }
    }

    /// A window that opened at or before this instant is over.
    pub fn window_floor(&self, now: i64) -> i64 {
        now - self.window_seconds
    }

    /// A lock whose last attempt was counted at or before this instant is over.
    pub fn lock_floor(&self, now: i64) -> i64 {
        now - self.lock_seconds
    }

    /// How long a key's record is worth keeping after an attempt (its TTL).
    pub fn keep_seconds(&self) -> i64 {
        self.window_seconds.max(self.lock_seconds) + 60
    }
}

/// The wait before a locked key opens again, as a person reads it: "21 secondes",
/// "1 minute", "15 minutes" (whole minutes rounded up, so the key is open when it says).
pub fn wait_in_words(retry_after_seconds: i64) -> String {
    let s = retry_after_seconds.max(1);
    if s < 60 {
        return if s == 1 {
            "1 seconde".into()
        } else {
            format!("{s} secondes")
        };
    }
    let minutes = (s + 59) / 60;
    if minutes == 1 {
        "1 minute".into()
    } else {
        format!("{minutes} minutes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_reads_in_seconds_under_a_minute_then_in_whole_minutes_rounded_up() {
        assert_eq!(wait_in_words(21), "21 secondes");
        assert_eq!(wait_in_words(1), "1 seconde");
        assert_eq!(wait_in_words(0), "1 seconde");
        assert_eq!(wait_in_words(60), "1 minute");
        assert_eq!(wait_in_words(61), "2 minutes");
        assert_eq!(wait_in_words(890), "15 minutes");
        assert_eq!(wait_in_words(3599), "60 minutes");
    }

    fn stored(count: u32, window_start: i64, last_at: i64) -> Attempts {
        Attempts {
            count,
            window_start,
            last_at,
        }
    }

    #[test]
    fn the_fifth_attempt_is_the_last_judged_and_locks_for_fifteen_minutes() {
        let now = 1_000_000;
        assert_eq!(LETTER.next(None, now), Next::Restart);
        for count in 1..5 {
            assert_eq!(
                LETTER.next(Some(&stored(count, now - 60, now - 1)), now),
                Next::Count
            );
        }
        assert_eq!(
            LETTER.next(Some(&stored(5, now - 60, now - 10)), now),
            Next::Locked { retry_after: 890 }
        );
        assert_eq!(
            LETTER.next(Some(&stored(5, now - 2000, now - 900)), now),
            Next::Restart,
            "the lock is over 15 minutes after the fifth attempt"
        );
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let now = 1_000_000;
        assert_eq!(
            LETTER.next(Some(&stored(4, now - 900, now - 10)), now),
            Next::Restart
        );
        assert_eq!(
            LETTER.next(Some(&stored(4, now - 899, now - 10)), now),
            Next::Count
        );
    }
}
