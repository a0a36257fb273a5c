//! Write-behind: an UNSTABLE write returns once its data is copied and its WRITEs
//! are queued; the WRITEs run on the I/O threads, at most [`WINDOW`] bytes of
//! one file in flight at once.
//!
//! A streaming writer then keeps the server busy instead of waiting one round
//! trip per call. What stays true:
//!
//! - Nothing is lost: a failed background WRITE is remembered and reported by
//!   the next write, `fsync` or close of the file (whichever comes first), and
//!   `fsync` and close wait for every WRITE and the COMMIT.
//! - Order: pieces in flight at once never overlap. A write overlapping one still
//!   in flight waits for the window to empty first, so the later write lands
//!   later, as the caller ordered them.
//! - Anything that looks at the file's data or size through this mount (a read,
//!   `getattr`, `setattr`, COMMIT) first waits for the WRITEs in flight
//!   ([`NfsNode::drain_writes`]).
//! - Memory: the window, plus the uncommitted data kept until a COMMIT (see
//!   `writes`), which a background COMMIT keeps small.
//!
//! One exception to "sent at once": the first write of a file with nothing else
//! written or kept, if small ([`HOLD_MAX`]), is held back until the next write,
//! anything that drains the writes (a read, `stat`, `setattr`), or the close. A
//! close that finds it still held sends it as one FILE_SYNC WRITE and needs no
//! COMMIT (Linux's client does the same): create + write + close costs one call
//! less.

use crate::buffers::Buffer;
use crate::node::NfsNode;
use crate::reactor;
use crate::writes::{Uncommitted, COMMIT_AT, MAX_UNCOMMITTED};
use nfs3_types::nfs3::stable_how;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{Notify, Semaphore};
use vfs_core::{Errno, Error, Result};

/// Bytes of one file's WRITEs in flight at once (at least the largest `wsize`).
/// Four 1 MiB WRITEs keep ganesha as busy as more do: on 2 cores, `write_1g`
/// gave 1.74-1.81 times nfs-cp with 4 MiB against 1.60-1.74 with 8 and 1.54 with 2.
pub const WINDOW: usize = 4 << 20;

/// The largest write held back for a FILE_SYNC WRITE at close (see the module),
/// and at most `wsize`: one WRITE carries it. A larger first write gains little
/// from saving the COMMIT and would wait longer for its round trip at close.
pub const HOLD_MAX: usize = 64 << 10;

/// The background WRITEs of one file.
pub struct WriteBehind {
    /// One permit per byte of the window; a WRITE holds its bytes' permits.
    window: Arc<Semaphore>,
    /// Byte ranges of the WRITEs in flight, by write id.
    in_flight: Mutex<Vec<(u64, u64, u64)>>,
    /// The first failure not yet reported.
    error: Mutex<Option<Error>>,
    /// A background COMMIT is running.
    committing: AtomicBool,
    /// Told whenever a WRITE in flight ends.
    ended: Notify,
    /// A small first write not sent yet (offset, data): see the module.
    held: Mutex<Option<(u64, Arc<Buffer>)>>,
    /// Background WRITEs ended since the attributes were last dropped. Their
    /// replies may have come in any order, and on a server whose ctime does not
    /// tell them apart the cached size can be that of an older one; the
    /// attributes are then asked again.
    attrs_unsure: AtomicBool,
}

impl Default for WriteBehind {
    fn default() -> WriteBehind {
        WriteBehind {
            window: Arc::new(Semaphore::new(WINDOW)),
            in_flight: Mutex::new(Vec::new()),
            error: Mutex::new(None),
            committing: AtomicBool::new(false),
            ended: Notify::new(),
            held: Mutex::new(None),
            attrs_unsure: AtomicBool::new(false),
        }
    }
}

impl WriteBehind {
    /// True when no WRITE is in flight or held and no failure waits to be
    /// reported. (The held write is looked at first: it is registered as in
    /// flight before it stops being held, so it cannot slip between the looks.)
    pub fn is_idle(&self) -> bool {
        self.held.lock().is_none()
            && self.in_flight.lock().is_empty()
            && self.error.lock().is_none()
    }

    /// Remembers a failure for the next write, `fsync` or close to report.
    pub fn fail(&self, error: Error) {
        self.error.lock().get_or_insert(error);
    }

    /// The failure not yet reported, which is reported now.
    pub fn take_error(&self) -> Option<Error> {
        self.error.lock().take()
    }

    /// Waits until no WRITE is in flight. A WRITE counts from the moment it is
    /// registered, which may be before it has room in the window (a held write
    /// another thread took over), so this waits on the register, not the window.
    pub async fn drain(&self) {
        loop {
            let ended = self.ended.notified();
            if self.in_flight.lock().is_empty() {
                return;
            }
            ended.await;
        }
    }

    /// Registers a WRITE of `at..end` as in flight; returns its id.
    fn register(&self, kept: &Uncommitted, at: u64, end: u64) -> u64 {
        let id = kept.next_id();
        self.in_flight.lock().push((id, at, end));
        kept.changed();
        id
    }

    /// Ends the WRITE `id`: drains and overlapping writers may go on.
    fn end(&self, kept: &Uncommitted, id: u64) {
        self.in_flight.lock().retain(|w| w.0 != id);
        self.ended.notify_waiters();
        kept.changed();
    }

    /// Takes the held write, if any, registered as in flight in the same step:
    /// whoever sends it, a reader of the thread that wrote it waits for it.
    fn take_held(&self, kept: &Uncommitted) -> Option<(u64, u64, Arc<Buffer>)> {
        let mut held = self.held.lock();
        let (at, buffer) = held.take()?;
        let id = self.register(kept, at, at + buffer.len() as u64);
        Some((id, at, buffer))
    }

    /// Waits until no WRITE older than write `id` is in flight.
    async fn wait_for_older(&self, id: u64) {
        loop {
            let ended = self.ended.notified();
            if !self.in_flight.lock().iter().any(|w| w.0 < id) {
                return;
            }
            ended.await;
        }
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.in_flight
            .lock()
            .iter()
            .any(|&(_, s, e)| s < end && start < e)
    }
}

impl NfsNode {
    /// Writes `data` at `offset` UNSTABLE in the background: returns once the
    /// data is copied and queued. A failure of an earlier background write of the
    /// file is returned instead (and this write is not made).
    ///
    /// Errors: those of earlier writes (`ENOSPC`, `EDQUOT`, `ESTALE`, `EIO`, ...).
    pub async fn write_behind(&self, offset: u64, data: &[u8]) -> Result<usize> {
        let kept = self.kept()?;
        if let Some(error) = kept.behind.take_error() {
            return Err(error);
        }
        let node = self.arc()?;
        let wsize = (self.state.limits.wsize as usize).clamp(1, WINDOW);
        // Only one write is ever held: this one goes after it.
        node.send_held().await?;
        if data.len() <= HOLD_MAX.min(wsize) && !data.is_empty() && kept.is_empty() {
            // Another thread's write may have been held since `send_held` above:
            // it stays, and this one is sent after it.
            let now_held = {
                let mut held = kept.behind.held.lock();
                let free = held.is_none();
                if free {
                    *held = Some((offset, Arc::new(Buffer::copy_of(data))));
                }
                free
            };
            if now_held {
                kept.changed();
                return Ok(data.len());
            }
            node.send_held().await?;
        }
        for (i, piece) in data.chunks(wsize).enumerate() {
            let at = offset + (i * wsize) as u64;
            let end = at + piece.len() as u64;
            if kept.behind.overlaps(at, end) {
                kept.behind.drain().await;
            }
            let id = kept.behind.register(kept, at, end);
            node.send_behind(id, at, Arc::new(Buffer::copy_of(piece)))
                .await?;
        }
        if kept.bytes() > MAX_UNCOMMITTED {
            // The background COMMIT fell behind: this writer waits for one, so the
            // kept data stays bounded. A failure is reported like a WRITE's.
            if let Err(error) = self.commit_kept().await {
                kept.behind.fail(error);
            }
        }
        Ok(data.len())
    }

    /// Sends `buffer` as the UNSTABLE WRITE `id` (registered) at `at` in the
    /// background, once the window has room for it.
    async fn send_behind(self: &Arc<Self>, id: u64, at: u64, buffer: Arc<Buffer>) -> Result<()> {
        let kept = self.kept()?;
        let permits = match kept
            .behind
            .window
            .clone()
            .acquire_many_owned(buffer.len() as u32)
            .await
        {
            Ok(permits) => permits,
            Err(_) => {
                kept.behind.end(kept, id);
                return Err(Errno::EIO.with("write-behind window closed"));
            }
        };
        let node = self.clone();
        drop(reactor::spawn(async move {
            let Ok(kept) = node.kept() else { return };
            let range = 0..buffer.len();
            let mut written = {
                let _order = kept.order.read().await;
                node.write_kept(id, at, buffer.clone(), range.clone(), stable_how::UNSTABLE)
                    .await
            };
            if matches!(&written, Err(e) if e.errno() == Errno::EINVAL) {
                // A server without holes refuses a piece that overtook an
                // older one: once those landed, it goes again, extending the
                // file only where it really starts past the end. From now on
                // this file's writes are sent in order (`no_holes`).
                kept.behind.wait_for_older(id).await;
                let _order = kept.order.read().await;
                written = node
                    .write_again(id, at, buffer, range, stable_how::UNSTABLE)
                    .await;
            }
            kept.behind.attrs_unsure.store(true, Ordering::Release);
            // The failure is recorded before the WRITE stops counting as in
            // flight: an `fsync` or close that waited for it reports it, rather
            // than the next write after them.
            if let Err(error) = written {
                kept.behind.fail(error);
            }
            kept.behind.end(kept, id);
            drop(permits);
            if kept.bytes() > COMMIT_AT {
                node.commit_in_background();
            }
        }));
        Ok(())
    }

    /// Sends the held write, if any, in the background like any other.
    async fn send_held(self: &Arc<Self>) -> Result<()> {
        let kept = self.kept()?;
        match kept.behind.take_held(kept) {
            Some((id, at, buffer)) => self.send_behind(id, at, buffer).await,
            None => Ok(()),
        }
    }

    /// At close or `fsync`: sends the held write, if any, as one FILE_SYNC WRITE
    /// and waits for it, so no COMMIT is needed for it (nothing else was written:
    /// any other write would have sent it). It counts as in flight meanwhile, so
    /// a concurrent read or `stat` waits for it.
    pub async fn write_held_stable(&self) -> Result<()> {
        let kept = self.kept()?;
        let Some((id, at, buffer)) = kept.behind.take_held(kept) else {
            return Ok(());
        };
        let Ok(permits) = kept.behind.window.acquire_many(buffer.len() as u32).await else {
            kept.behind.end(kept, id);
            return Err(Errno::EIO.with("write-behind window closed"));
        };
        let range = 0..buffer.len();
        let written = {
            let _order = kept.order.read().await;
            // `write_again`: on a server without holes, a write past the end of
            // file is refused, then the file is extended and it goes again.
            self.write_again(id, at, buffer, range, stable_how::FILE_SYNC)
                .await
        };
        kept.behind.end(kept, id);
        drop(permits);
        written.map(drop)
    }

    /// Starts a COMMIT of what is kept now on the I/O threads unless one runs.
    fn commit_in_background(self: &Arc<Self>) {
        let Ok(kept) = self.kept() else { return };
        if kept.behind.committing.swap(true, Ordering::AcqRel) {
            return;
        }
        let node = self.clone();
        drop(reactor::spawn(async move {
            let committed = node.commit_kept().await;
            if let Ok(kept) = node.kept() {
                if let Err(error) = committed {
                    kept.behind.fail(error);
                }
                kept.behind.committing.store(false, Ordering::Release);
            }
        }));
    }

    /// True when [`NfsNode::drain_writes`] has nothing to do: no write of this
    /// mount is held or in flight, and the attributes are not in doubt.
    pub fn writes_idle(&self) -> bool {
        self.kept_if_made().is_none_or(|kept| {
            // Never written through this mount (the count is taken before a
            // write returns): nothing can be held, in flight or in doubt.
            kept.changes() == 0
                || (kept.behind.is_idle() && !kept.behind.attrs_unsure.load(Ordering::Acquire))
        })
    }

    /// Waits for this file's WRITEs in flight (none for other nodes), so what
    /// follows sees their effect on the server, and drops attributes that
    /// background WRITEs' replies may have left out of order. A failure stays for
    /// the next write, `fsync` or close to report.
    pub async fn drain_writes(&self) {
        if self.writes_idle() {
            return;
        }
        if let Some(kept) = self.kept_if_made() {
            if let Ok(node) = self.arc() {
                if let Err(error) = node.send_held().await {
                    kept.behind.fail(error);
                }
            }
            kept.behind.drain().await;
            if kept.behind.attrs_unsure.swap(false, Ordering::AcqRel) {
                self.attrs.expire();
            }
        }
    }
}
