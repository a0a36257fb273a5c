//! Runs a scenario on its own thread with a deadline, so a hang or a panic is
//! reported as that scenario's failure instead of stopping the whole run.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How a scenario ended when it did not return normally.
#[derive(Debug)]
pub enum Abnormal {
    /// Still running at the deadline; its thread is abandoned.
    Hung(Duration),
    /// It panicked, with this message.
    Panicked(String),
}

impl std::fmt::Display for Abnormal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Abnormal::Hung(limit) => write!(f, "hung: no result within {limit:?}"),
            Abnormal::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// Runs `scenario` on a new thread and waits at most `limit` for its result. A
/// hung thread cannot be killed; it is left behind (the binary exits with
/// `process::exit` at the end, so it does not keep the run alive).
pub fn run_with_deadline<T: Send + 'static>(
    name: &str,
    limit: Duration,
    scenario: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Abnormal> {
    let (sender, receiver) = mpsc::channel();
    let started = Instant::now();
    let spawned = thread::Builder::new()
        .name(format!("scenario {name}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(scenario));
            let _ = sender.send(outcome);
        });
    if let Err(e) = spawned {
        return Err(Abnormal::Panicked(format!("cannot start a thread: {e}")));
    }
    match receiver.recv_timeout(limit) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => Err(Abnormal::Panicked(panic_message(payload.as_ref()))),
        Err(_) => Err(Abnormal::Hung(started.elapsed())),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}
