//! Step timings on stderr, shared by the bench crate's two binaries.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// With `BASELINE_TIMINGS=1`, one stderr line per step: `baseline-timing <µs> <step>`, the first
/// being `main` with the wall clock (µs since the epoch) at which `main` began, so the harness
/// can tell how long exec and loading took.
pub(crate) struct Timings {
    on: bool,
    last: Instant,
}

impl Timings {
    pub(crate) fn start() -> Self {
        let on = std::env::var_os("BASELINE_TIMINGS").is_some_and(|v| !v.is_empty());
        if on {
            let epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            eprintln!("baseline-timing {} main", epoch.as_micros());
        }
        Self {
            on,
            last: Instant::now(),
        }
    }

    /// Reports the time since the previous step.
    pub(crate) fn step(&mut self, name: &str) {
        let now = Instant::now();
        self.report(name, now - self.last);
        self.last = now;
    }

    pub(crate) fn report(&self, name: &str, took: Duration) {
        if self.on {
            eprintln!("baseline-timing {} {name}", took.as_micros());
        }
    }
}
