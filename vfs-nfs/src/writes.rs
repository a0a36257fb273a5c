//! The uncommitted writes of one file: data written UNSTABLE, kept until a COMMIT
//! with the same write verifier says the server has it on stable storage.
//!
//! An UNSTABLE WRITE may be lost if the server restarts before a COMMIT; a restart
//! shows as a new write verifier. So every byte written UNSTABLE is kept here with
//! the verifier its WRITE returned, and a COMMIT only lets go of the writes whose
//! verifier it confirms; the others are sent again (oldest first) and committed
//! again. Nothing that `fsync` or `close` acknowledged is lost. The data is kept per
//! file, not per open, because COMMIT is per file. Memory is bounded: past
//! [`MAX_UNCOMMITTED`] bytes the writer commits early.

use nfs3_types::nfs3::writeverf3;
use parking_lot::Mutex;

/// Uncommitted bytes of one file after which a write commits before returning.
pub const MAX_UNCOMMITTED: usize = 64 << 20;

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
    /// What it wrote.
    pub data: std::sync::Arc<[u8]>,
    /// The verifier its WRITE returned.
    pub verf: writeverf3,
}

#[derive(Default)]
struct Writes {
    pending: Vec<Pending>,
    bytes: usize,
    next_id: u64,
}

/// The uncommitted writes of one file and the locks ordering writes and commits.
#[derive(Default)]
pub struct Uncommitted {
    writes: Mutex<Writes>,
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

    /// Keeps a write the server acknowledged as UNSTABLE.
    pub fn record(&self, id: u64, offset: u64, data: &[u8], verf: writeverf3) {
        let mut writes = self.writes.lock();
        writes.bytes += data.len();
        writes.pending.push(Pending {
            id,
            offset,
            data: data.into(),
            verf,
        });
    }

    /// Bytes kept.
    pub fn bytes(&self) -> usize {
        self.writes.lock().bytes
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.writes.lock().pending.is_empty()
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
                freed += w.data.len();
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

    #[test]
    fn commit_lets_go_of_confirmed_writes_only() {
        let kept = Uncommitted::default();
        let (old, new) = (writeverf3([1; 8]), writeverf3([2; 8]));
        let first = kept.next_id();
        kept.record(first, 0, b"aaaa", old);
        let second = kept.next_id();
        kept.record(second, 4, b"bb", new);
        let covered = kept.snapshot();
        let third = kept.next_id();
        kept.record(third, 6, b"c", new);
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
