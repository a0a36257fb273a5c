//! Calls sent per NFS procedure, per mount: what an operation costs in round
//! trips, readable by tests ("an open right after a create sends no GETATTR") and
//! by anyone tuning a workload, at the price of one relaxed atomic add per call.

use nfs3_types::nfs3::NFS_PROGRAM;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// NFSv3 has procedures 0 (NULL) to 21 (COMMIT).
const PROCEDURES: usize = 22;

/// The live counters of one mount.
#[derive(Default)]
pub struct CallCounters([AtomicU64; PROCEDURES]);

impl CallCounters {
    /// Counts one call of `procedure` sent (a resend after a broken connection
    /// counts again: it is another round trip).
    pub fn count(&self, procedure: NFS_PROGRAM) {
        if let Some(counter) = self.0.get(procedure as usize) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counts now.
    pub fn snapshot(&self) -> RpcCounts {
        RpcCounts(std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed)))
    }
}

/// How many calls of each NFS procedure a mount sent (see
/// [`crate::NfsFs::rpc_counts`]); subtract two snapshots with
/// [`RpcCounts::since`] to get what the operations between them cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RpcCounts([u64; PROCEDURES]);

impl RpcCounts {
    /// Calls of `procedure`.
    pub fn get(&self, procedure: NFS_PROGRAM) -> u64 {
        self.0.get(procedure as usize).copied().unwrap_or(0)
    }

    /// Calls of every procedure together.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The calls sent after `earlier` was taken.
    pub fn since(&self, earlier: &RpcCounts) -> RpcCounts {
        RpcCounts(std::array::from_fn(|i| {
            self.0[i].saturating_sub(earlier.0[i])
        }))
    }
}

/// `LOOKUP=2 GETATTR=1`: the procedures called, in procedure order; `none` when
/// nothing was.
impl fmt::Display for RpcCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (number, &count) in self.0.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let name = NFS_PROGRAM::try_from(number as u32)
                .map(crate::client::short)
                .unwrap_or_else(|_| number.to_string());
            if !first {
                f.write_str(" ")?;
            }
            write!(f, "{name}={count}")?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_procedure_and_differences() {
        let counters = CallCounters::default();
        counters.count(NFS_PROGRAM::NFSPROC3_LOOKUP);
        let before = counters.snapshot();
        counters.count(NFS_PROGRAM::NFSPROC3_LOOKUP);
        counters.count(NFS_PROGRAM::NFSPROC3_GETATTR);
        let after = counters.snapshot();
        let spent = after.since(&before);
        assert_eq!(spent.get(NFS_PROGRAM::NFSPROC3_LOOKUP), 1);
        assert_eq!(spent.get(NFS_PROGRAM::NFSPROC3_GETATTR), 1);
        assert_eq!(spent.total(), 2);
        assert_eq!(spent.to_string(), "GETATTR=1 LOOKUP=1");
        assert_eq!(RpcCounts::default().to_string(), "none");
    }
}
