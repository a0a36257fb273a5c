//! The clock attribute-cache ages are measured on.
//!
//! Every cached lookup and `stat` asks how old some attributes are, two or three
//! times per path; the precise monotonic clock costs about 20 ns a reading here,
//! the coarse one (the kernel's last timer tick, as Linux's NFS client measures
//! its attribute timeouts in jiffies) a few. Its resolution, a few milliseconds,
//! is nothing next to timeouts of seconds; a timeout of zero (`noac`) still
//! means never fresh.

use std::time::Duration;

/// A reading of `CLOCK_MONOTONIC_COARSE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tick(Duration);

impl Tick {
    /// Now, to the last timer tick.
    pub fn now() -> Tick {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid out-pointer; this clock exists on every Linux
        // since 2.6.32 and the call cannot fail with valid arguments.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) };
        Tick(Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
    }

    /// How long ago this reading was (zero, never negative, for a reading
    /// taken within the current tick).
    pub fn elapsed(self) -> Duration {
        Tick::now().0.saturating_sub(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_counts_the_time_slept() {
        let start = Tick::now();
        std::thread::sleep(Duration::from_millis(30));
        // Coarse: behind by at most one tick (10 ms at HZ=100); never ahead.
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(Tick::now() >= start);
    }
}
