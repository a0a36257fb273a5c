//! A counter of a limited resource (pages, inodes) shared by every node of one file
//! system.

use std::sync::atomic::{AtomicU64, Ordering};

/// How much of a resource is in use, and how much may be.
pub(crate) struct Quota {
    limit: Option<u64>,
    used: AtomicU64,
}

impl Quota {
    /// A quota of `limit` units; `None` is unlimited.
    pub(crate) fn new(limit: Option<u64>) -> Quota {
        Quota {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// Takes `count` units if they are all available; false (and nothing taken)
    /// otherwise.
    pub(crate) fn take(&self, count: u64) -> bool {
        let limit = self.limit.unwrap_or(u64::MAX);
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(count).filter(|&after| after <= limit)
            })
            .is_ok()
    }

    /// Takes `count` units even past the limit, for what must exist regardless.
    pub(crate) fn charge(&self, count: u64) {
        self.used.fetch_add(count, Ordering::AcqRel);
    }

    /// Returns `count` units taken earlier.
    pub(crate) fn give_back(&self, count: u64) {
        self.used.fetch_sub(count, Ordering::AcqRel);
    }

    /// Units in use.
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    /// The limit, if any.
    pub(crate) fn limit(&self) -> Option<u64> {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_up_to_the_limit_and_no_further() {
        let quota = Quota::new(Some(3));
        assert!(quota.take(2));
        assert!(!quota.take(2));
        assert!(quota.take(1));
        assert!(!quota.take(1));
        quota.give_back(3);
        assert_eq!(quota.used(), 0);
        assert!(Quota::new(None).take(u64::MAX));
    }
}
