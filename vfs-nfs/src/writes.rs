//! The uncommitted writes of one file: data written UNSTABLE, kept until a COMMIT
//! with the same write verifier says the server has it on stable storage.
//!
//! An UNSTABLE WRITE may be lost if the server restarts before a COMMIT; a restart
//! shows as a new write verifier. So every byte written UNSTABLE is kept here with
//! the verifier its WRITE returned, and a COMMIT only lets go of the writes whose
//! verifier it confirms; the others are sent again (oldest first) and committed
//! again. Nothing that `fsync` or `close` acknowledged is lost. The data is kept per
//! file, not per open, because COMMIT is per file. Memory is bounded: past
//! [`COMMIT_AT`] bytes a COMMIT starts in the background, past [`MAX_UNCOMMITTED`]
//! the writer waits for one. The buffer kept is the one the WRITE sent, so keeping
//! costs no copy.

use crate::buffers::Buffer;
use crate::write_behind::WriteBehind;
use nfs3_types::nfs3::writeverf3;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Uncommitted bytes of one file after which a COMMIT starts in the background:
/// small enough that streaming stays far below the process's memory bound, large
/// enough that COMMITs are a small share of the calls.
pub const COMMIT_AT: usize = 8 << 20;

/// Uncommitted bytes of one file after which a write waits for a COMMIT before
/// returning (the background one could not keep up).
pub const MAX_UNCOMMITTED: usize = 16 << 20;

/// A verifier no server sends for a write whose pieces came back with different
/// verifiers (the server restarted while it was sent): it never matches a COMMIT,
/// so the write is always sent again.
pub const UNSURE: writeverf3 = writeverf3([0xff; 8]);

/// One WRITE whose data is not known to be stable.
#[derive(Clone)]
pub struct Pending {
    /// Order of sending: older writes are resent first.
    pub id: u64,
    /// Where it went.
    pub offset: u64,
    /// What it wrote: `buffer[range]`.
    pub buffer: Arc<Buffer>,
    /// The part of `buffer` written.
    pub range: std::ops::Range<usize>,
    /// The verifier its WRITE returned.
    pub verf: writeverf3,
}

#[derive(Default)]
struct Writes {
    pending: Vec<Pending>,
    bytes: usize,
    next_id: u64,
}

/// The uncommitted writes of one file, the writes still in flight, and the locks
/// ordering writes and commits.
#[derive(Default)]
pub struct Uncommitted {
    writes: Mutex<Writes>,
    /// WRITEs sent in the background and their failures.
    pub behind: WriteBehind,
    /// Counts every start and end of a write to the file by this mount. Readahead
    /// data is served only while the count is what it was when its READ was sent:
    /// otherwise a write of this mount may have overlapped it.
    changes: AtomicU64,
    /// Writers hold it shared; resending after a verifier change holds it
    /// exclusively, so no newer write lands between resent older ones.
    pub order: tokio::sync::RwLock<()>,
    /// One COMMIT round at a time.
    pub committing: tokio::sync::Mutex<()>,
}

impl Uncommitted {
    /// A number ordering a write about to be sent.
    pub fn next_id(&self) -> u64 {
        let mut writes = self.writes.lock();
        writes.next_id += 1;
        writes.next_id
    }

    /// Keeps a write of `buffer[range]` the server acknowledged as UNSTABLE.
    pub fn record(
        &self,
        id: u64,
        offset: u64,
        buffer: Arc<Buffer>,
        range: std::ops::Range<usize>,
        verf: writeverf3,
    ) {
        let mut writes = self.writes.lock();
        writes.bytes += range.len();
        writes.pending.push(Pending {
            id,
            offset,
            buffer,
            range,
            verf,
        });
    }

    /// Bytes kept.
    pub fn bytes(&self) -> usize {
        self.writes.lock().bytes
    }

    /// True when nothing is kept, in flight, or failed unreported: nothing for a
    /// COMMIT to do or report.
    pub fn is_empty(&self) -> bool {
        self.writes.lock().pending.is_empty() && self.behind.is_idle()
    }

    /// Notes that a write of this mount starts or ends (see `changes`).
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// The count of write starts and ends so far.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// The ids of every write kept now: what a COMMIT sent now covers.
    pub fn snapshot(&self) -> Vec<u64> {
        self.writes.lock().pending.iter().map(|w| w.id).collect()
    }

    /// A COMMIT covering `covered` returned `verf`: lets go of the covered writes
    /// it confirms. Returns true when some covered write has another verifier,
    /// which means the server lost it.
    pub fn settle(&self, covered: &[u64], verf: writeverf3) -> bool {
        let mut writes = self.writes.lock();
        let mut lost = false;
        let mut freed = 0;
        writes.pending.retain(|w| {
            if !covered.contains(&w.id) {
                return true;
            }
            if w.verf == verf {
                freed += w.range.len();
                false
            } else {
                lost = true;
                true
            }
        });
        writes.bytes -= freed;
        lost
    }

    /// Every write kept, oldest first, for sending again.
    pub fn all(&self) -> Vec<Pending> {
        let mut pending = self.writes.lock().pending.clone();
        pending.sort_by_key(|w| w.id);
        pending
    }

    /// Write `id` was sent again and returned `verf`.
    pub fn resent(&self, id: u64, verf: writeverf3) {
        if let Some(write) = self.writes.lock().pending.iter_mut().find(|w| w.id == id) {
            write.verf = verf;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(data: &[u8]) -> Arc<Buffer> {
        Arc::new(Buffer::copy_of(data))
    }

    #[test]
    fn commit_lets_go_of_confirmed_writes_only() {
        let kept = Uncommitted::default();
        let (old, new) = (writeverf3([1; 8]), writeverf3([2; 8]));
        let first = kept.next_id();
        kept.record(first, 0, buf(b"aaaa"), 0..4, old);
        let second = kept.next_id();
        kept.record(second, 4, buf(b"xbb"), 1..3, new);
        let covered = kept.snapshot();
        let third = kept.next_id();
        kept.record(third, 6, buf(b"c"), 0..1, new);
        assert_eq!(kept.bytes(), 7);
        // The server restarted between the first and second write.
        assert!(kept.settle(&covered, new));
        assert_eq!(kept.bytes(), 5);
        let ids: Vec<u64> = kept.all().iter().map(|w| w.id).collect();
        assert_eq!(ids, vec![first, third]);
        kept.resent(first, new);
        assert!(!kept.settle(&kept.snapshot(), new));
        assert!(kept.is_empty());
        assert_eq!(kept.bytes(), 0);
    }
}
