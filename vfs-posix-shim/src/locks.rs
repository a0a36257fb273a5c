//! The advisory lock manager: POSIX record locks (`fcntl`) and whole-file `flock`
//! locks, shared by every process of one [`crate::Vfs`].
//!
//! The two kinds are independent, as on Linux: a record lock never conflicts with a
//! `flock` lock, even on the same file. Record locks belong to a process (its
//! [`LockOwner`] is the context id) and cover byte ranges that are merged, split,
//! upgraded and downgraded exactly as POSIX describes; `flock` locks belong to an
//! open file description and cover the whole file.
//!
//! Waiting needs no runtime: a blocked request is a future that registers its waker
//! with the file and returns `Pending`. Every change that can unblock someone (an
//! unlock, a downgrade, a release) wakes all waiters of that file and each re-checks,
//! so there is no queue and no fairness, like Linux. Dropping a waiting future
//! withdraws it without a trace. `F_SETLKW` refuses to wait with `EDEADLK` when the
//! wait-for graph of record-lock owners would close a cycle.

use futures::future::poll_fn;
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use vfs_core::{Errno, Result};

/// Identifies a file across the namespace: (mount id, inode number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileKey {
    /// The id of the mount the file lives in.
    pub mount: u64,
    /// The inode number within that mount.
    pub ino: u64,
}

/// Who holds a lock: for POSIX record locks the process (context) id; for `flock`
/// the open file description id.
///
/// The two id spaces may overlap: record locks and `flock` locks never conflict with
/// each other (on Linux they are independent), so an owner is only ever compared with
/// owners of the same kind of lock.
pub type LockOwner = u64;

/// The mode of a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Shared (`F_RDLCK`, `LOCK_SH`): any number of owners may hold it together.
    Read,
    /// Exclusive (`F_WRLCK`, `LOCK_EX`): conflicts with every lock of another owner.
    Write,
}

/// A byte range: `start`, and `end` exclusive or `None` for "to infinity" (POSIX
/// `l_len == 0`).
///
/// A range with `end <= start` is empty: setting it changes nothing and it conflicts
/// with nothing. [`range_from_flock`] never produces one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockRange {
    /// The first byte.
    pub start: u64,
    /// One past the last byte, or `None` when the range runs to infinity.
    pub end: Option<u64>,
}

/// What `F_GETLK` reports: the first conflicting lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The mode of the conflicting lock.
    pub kind: LockKind,
    /// The whole range of the conflicting lock (not only the overlap).
    pub range: LockRange,
    /// Its owner.
    pub owner: LockOwner,
}

/// Converts an absolute `l_start` and an `l_len` into a [`LockRange`], with the
/// checks Linux makes in `fcntl`.
///
/// `len` 0 runs to infinity; a positive `len` covers `start..start + len`; a negative
/// `len` covers the `-len` bytes before `start` (`start + len..start`), as POSIX.1-2001
/// allows. A range whose last byte is the largest offset (`i64::MAX`) is the same lock
/// as one running to infinity (Linux stores both as `OFFSET_MAX`), so it is returned
/// with `end: None` and `F_GETLK` reports it with length 0, as Linux does; every
/// bounded result therefore has `end <= i64::MAX`, so `end - start` fits an `i64`.
///
/// Errors: `EINVAL` when `start` or the resulting start is negative; `EOVERFLOW` when
/// the last byte of a positive `len` lies past `i64::MAX`.
pub fn range_from_flock(start: i64, len: i64) -> Result<LockRange> {
    if start < 0 {
        return Err(Errno::EINVAL.with("lock range starts before offset 0"));
    }
    if len == 0 {
        return Ok(LockRange {
            start: start as u64,
            end: None,
        });
    }
    if len > 0 {
        // Linux checks the last byte, not the end, so a lock may reach OFFSET_MAX.
        let last = start
            .checked_add(len - 1)
            .ok_or_else(|| Errno::EOVERFLOW.with("lock range ends past the largest offset"))?;
        let end = (last != i64::MAX).then_some(last as u64 + 1);
        return Ok(LockRange {
            start: start as u64,
            end,
        });
    }
    // start >= 0 and len < 0 cannot overflow, but checked arithmetic costs nothing.
    match start.checked_add(len) {
        Some(first) if first >= 0 => Ok(LockRange {
            start: first as u64,
            end: Some(start as u64),
        }),
        _ => Err(Errno::EINVAL.with("lock range starts before offset 0")),
    }
}

/// The end of a range running to infinity: one past the largest `u64`, so that
/// every [`LockRange`] is a plain half-open interval of `u128` and no comparison needs
/// a special case for `None`.
const INFINITY: u128 = 1 << 64;

/// A non-empty half-open interval `start..end`, widened to `u128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u128,
    end: u128,
}

impl Span {
    /// The span of `range`, or `None` when it is empty.
    fn new(range: LockRange) -> Option<Span> {
        let start = u128::from(range.start);
        let end = range.end.map_or(INFINITY, u128::from);
        (start < end).then_some(Span { start, end })
    }

    fn overlaps(self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Back to the public form. Spans only ever shrink or join spans made by
    /// [`Span::new`], so `start` fits a `u64` and `end` does unless it is infinite.
    fn range(self) -> LockRange {
        LockRange {
            start: u64::try_from(self.start).unwrap_or(u64::MAX),
            end: u64::try_from(self.end).ok(),
        }
    }
}

/// Whether locks of modes `a` and `b` held by different owners conflict.
fn kinds_conflict(a: LockKind, b: LockKind) -> bool {
    a == LockKind::Write || b == LockKind::Write
}

/// One record lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    owner: LockOwner,
    kind: LockKind,
    span: Span,
}

impl Record {
    /// Whether this lock blocks `owner` from taking `kind` over `span`.
    fn blocks(&self, owner: LockOwner, kind: LockKind, span: Span) -> bool {
        self.owner != owner && self.span.overlaps(span) && kinds_conflict(self.kind, kind)
    }
}

/// Which kind of lock a waiter wants, so a change to one kind wakes only its waiters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wants {
    Record,
    Flock,
}

/// A waiting future, as its file sees it.
struct Waiter {
    id: u64,
    wants: Wants,
    /// `None` once woken, until the future polls again.
    waker: Option<Waker>,
}

/// Everything about one file; removed from the map as soon as it is empty.
#[derive(Default)]
struct FileLocks {
    /// Sorted by (start, owner); the ranges of one owner are disjoint, and adjacent
    /// ranges of one owner have different modes (they are coalesced otherwise).
    records: Vec<Record>,
    /// At most one entry per owner.
    flocks: Vec<(LockOwner, LockKind)>,
    waiters: Vec<Waiter>,
}

impl FileLocks {
    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.flocks.is_empty() && self.waiters.is_empty()
    }

    fn first_record_conflict(
        &self,
        owner: LockOwner,
        kind: LockKind,
        span: Span,
    ) -> Option<&Record> {
        self.records.iter().find(|r| r.blocks(owner, kind, span))
    }

    fn flock_conflict(&self, owner: LockOwner, kind: LockKind) -> Option<LockOwner> {
        self.flocks
            .iter()
            .find(|&&(holder, held)| holder != owner && kinds_conflict(held, kind))
            .map(|&(holder, _)| holder)
    }

    /// Applies a record-lock request of `owner` that conflicts with nobody: cuts
    /// `span` out of the owner's locks, puts the new lock in, and coalesces adjacent
    /// locks of one mode. Returns whether some byte became less locked (unlocked or
    /// downgraded), which is when waiters may proceed.
    fn apply_record(&mut self, owner: LockOwner, kind: Option<LockKind>, span: Span) -> bool {
        let mut released = false;
        let mut mine = Vec::new();
        self.records.retain(|r| {
            let is_mine = r.owner == owner;
            if is_mine {
                mine.push(*r);
            }
            !is_mine
        });
        let mut pieces = Vec::with_capacity(mine.len() + 2);
        for old in mine {
            if !old.span.overlaps(span) {
                pieces.push(old);
                continue;
            }
            if kind.is_none() || (kind == Some(LockKind::Read) && old.kind == LockKind::Write) {
                released = true;
            }
            if old.span.start < span.start {
                pieces.push(Record {
                    span: Span {
                        start: old.span.start,
                        end: span.start,
                    },
                    ..old
                });
            }
            if old.span.end > span.end {
                pieces.push(Record {
                    span: Span {
                        start: span.end,
                        end: old.span.end,
                    },
                    ..old
                });
            }
        }
        if let Some(kind) = kind {
            pieces.push(Record { owner, kind, span });
        }
        pieces.sort_by_key(|r| r.span.start);
        let mut merged: Vec<Record> = Vec::with_capacity(pieces.len());
        for piece in pieces {
            match merged.last_mut() {
                // The pieces are disjoint, so joining means touching.
                Some(last) if last.kind == piece.kind && last.span.end >= piece.span.start => {
                    last.span.end = last.span.end.max(piece.span.end);
                }
                _ => merged.push(piece),
            }
        }
        self.records.extend(merged);
        self.records.sort_by_key(|r| (r.span.start, r.owner));
        released
    }

    /// Takes the wakers of the waiters for `wants`, to be woken once the manager's
    /// mutex is released.
    fn take_wakers(&mut self, wants: Wants) -> Vec<Waker> {
        self.waiters
            .iter_mut()
            .filter(|w| w.wants == wants)
            .filter_map(|w| w.waker.take())
            .collect()
    }
}

/// A record-lock request that is waiting, for deadlock detection.
struct Pending {
    waiter: u64,
    file: FileKey,
    kind: LockKind,
    span: Span,
}

/// What the manager's mutex guards.
#[derive(Default)]
struct State {
    files: HashMap<FileKey, FileLocks>,
    /// The waiting record-lock requests of each owner (several when several threads
    /// of one process wait); owners without any are absent.
    pending: HashMap<LockOwner, Vec<Pending>>,
    next_waiter: u64,
}

/// The registration of one waiting future; withdrawn on completion or drop.
struct Ticket {
    file: FileKey,
    owner: LockOwner,
    wants: Wants,
    /// `Some` while registered.
    id: Option<u64>,
}

impl State {
    /// Drops the entry of `file` if nothing is left in it.
    fn prune(&mut self, file: FileKey) {
        if self.files.get(&file).is_some_and(FileLocks::is_empty) {
            self.files.remove(&file);
        }
    }

    /// Registers the future of `ticket` as waiting (or refreshes its waker).
    /// `pending` is the request, for record locks.
    fn register(&mut self, ticket: &mut Ticket, waker: &Waker, pending: Option<(LockKind, Span)>) {
        if let Some(id) = ticket.id {
            let waiter = self
                .files
                .get_mut(&ticket.file)
                .and_then(|locks| locks.waiters.iter_mut().find(|w| w.id == id));
            if let Some(waiter) = waiter {
                match &mut waiter.waker {
                    Some(old) if old.will_wake(waker) => {}
                    slot => *slot = Some(waker.clone()),
                }
                return;
            }
            // Unreachable while the invariants hold (a registered waiter keeps its
            // file's entry); start afresh rather than leave a stale pending request.
            self.deregister(ticket);
        }
        let locks = self.files.entry(ticket.file).or_default();
        let id = self.next_waiter;
        self.next_waiter = self.next_waiter.wrapping_add(1);
        locks.waiters.push(Waiter {
            id,
            wants: ticket.wants,
            waker: Some(waker.clone()),
        });
        if let Some((kind, span)) = pending {
            self.pending.entry(ticket.owner).or_default().push(Pending {
                waiter: id,
                file: ticket.file,
                kind,
                span,
            });
        }
        ticket.id = Some(id);
    }

    /// Withdraws the registration of `ticket`, if any.
    fn deregister(&mut self, ticket: &mut Ticket) {
        let Some(id) = ticket.id.take() else { return };
        if let Some(locks) = self.files.get_mut(&ticket.file) {
            locks.waiters.retain(|w| w.id != id);
        }
        if ticket.wants == Wants::Record {
            if let Some(pending) = self.pending.get_mut(&ticket.owner) {
                pending.retain(|p| p.waiter != id);
                if pending.is_empty() {
                    self.pending.remove(&ticket.owner);
                }
            }
        }
        self.prune(ticket.file);
    }

    /// The owners of the record locks that block `owner` from `kind` over `span`.
    fn blockers(
        &self,
        file: FileKey,
        owner: LockOwner,
        kind: LockKind,
        span: Span,
    ) -> Vec<LockOwner> {
        self.files.get(&file).map_or_else(Vec::new, |locks| {
            locks
                .records
                .iter()
                .filter(|r| r.blocks(owner, kind, span))
                .map(|r| r.owner)
                .collect()
        })
    }

    /// Whether `owner` waiting for `kind` over `span` would close a cycle: some owner
    /// it would wait for waits, directly or through others, for `owner`.
    ///
    /// The edges are recomputed from the locks held now rather than remembered, so
    /// they never go stale; the search visits each owner once, so it ends on any
    /// graph (Linux stops after 10 steps instead and follows only one blocker).
    fn would_deadlock(&self, file: FileKey, owner: LockOwner, kind: LockKind, span: Span) -> bool {
        let mut stack = self.blockers(file, owner, kind, span);
        let mut seen = HashSet::new();
        while let Some(next) = stack.pop() {
            if next == owner {
                return true;
            }
            if !seen.insert(next) {
                continue;
            }
            for pending in self.pending.get(&next).into_iter().flatten() {
                stack.extend(self.blockers(pending.file, next, pending.kind, pending.span));
            }
        }
        false
    }
}

/// Wakes `wakers`; called with the manager's mutex released, so a waker that runs
/// its task on the spot cannot re-enter the manager and deadlock on the mutex.
fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

/// The advisory locks of one [`crate::Vfs`]: record locks and `flock` locks of every
/// file, and the futures waiting for them.
///
/// One mutex guards a map from [`FileKey`] to that file's locks and waiters; a file's
/// entry exists only while something is held or awaited on it, so the map does not
/// grow with the number of files ever locked. The mutex is never held across a
/// suspension point or while waking.
#[derive(Default)]
pub struct LockManager {
    state: Mutex<State>,
    /// Set by the first lock request and never cleared: until then there is nothing
    /// a close could release, and closes skip the mutex (most programs never lock).
    used: AtomicBool,
}

impl fmt::Debug for LockManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("LockManager")
            .field("files", &state.files.len())
            .field(
                "waiters",
                &state.files.values().map(|l| l.waiters.len()).sum::<usize>(),
            )
            .finish()
    }
}

impl LockManager {
    /// A manager with no locks.
    pub fn new() -> LockManager {
        LockManager::default()
    }

    /// `F_GETLK`: the first lock of another owner that conflicts with `kind` over
    /// `range`, or `None`. "First" is the one starting lowest (ties: lowest owner).
    pub fn test_record(
        &self,
        file: FileKey,
        owner: LockOwner,
        kind: LockKind,
        range: LockRange,
    ) -> Option<Conflict> {
        let span = Span::new(range)?;
        let state = self.state.lock();
        let record = state
            .files
            .get(&file)?
            .first_record_conflict(owner, kind, span)?;
        Some(Conflict {
            kind: record.kind,
            range: record.span.range(),
            owner: record.owner,
        })
    }

    /// `F_SETLK` (`wait` false) / `F_SETLKW` (`wait` true). `kind` `None` is
    /// `F_UNLCK`.
    ///
    /// The owner's own locks over `range` are replaced, as POSIX says: a lock of the
    /// other mode is upgraded or downgraded over the range (splitting it when the
    /// range is inside it), unlocking the middle of a lock splits it in two, and
    /// adjacent or overlapping locks of one owner and mode coalesce. Only locks of
    /// other owners conflict. An empty range changes nothing. Unlocking never waits
    /// and never fails.
    ///
    /// Errors: `EAGAIN` (a conflicting lock, `wait` false); `EDEADLK` (`wait` true and
    /// waiting would deadlock: an owner this one would wait for is itself waiting,
    /// directly or through a chain of owners, for this one). A waiter re-checks for
    /// deadlock each time it is woken and still blocked, like Linux.
    ///
    /// Cancellation-safe: dropping the future while it waits withdraws the request
    /// and leaves no trace; the locks are changed only when it completes with `Ok`.
    pub async fn set_record(
        &self,
        file: FileKey,
        owner: LockOwner,
        kind: Option<LockKind>,
        range: LockRange,
        wait: bool,
    ) -> Result<()> {
        let Some(span) = Span::new(range) else {
            return Ok(());
        };
        self.used.store(true, Ordering::Release);
        let mut waiting = Waiting::new(self, file, owner, Wants::Record);
        poll_fn(|cx| self.poll_record(cx, &mut waiting.ticket, kind, span, wait)).await
    }

    /// One attempt of [`LockManager::set_record`].
    fn poll_record(
        &self,
        cx: &mut Context<'_>,
        ticket: &mut Ticket,
        kind: Option<LockKind>,
        span: Span,
        wait: bool,
    ) -> Poll<Result<()>> {
        let (file, owner) = (ticket.file, ticket.owner);
        let mut state = self.state.lock();
        if let Some(kind) = kind {
            let blocker = state
                .files
                .get(&file)
                .and_then(|locks| locks.first_record_conflict(owner, kind, span))
                .map(|r| r.owner);
            if let Some(blocker) = blocker {
                let error = if !wait {
                    Errno::EAGAIN.with(format!("range locked by owner {blocker}"))
                } else if state.would_deadlock(file, owner, kind, span) {
                    Errno::EDEADLK.with(format!("waiting for owner {blocker} would deadlock"))
                } else {
                    state.register(ticket, cx.waker(), Some((kind, span)));
                    return Poll::Pending;
                };
                state.deregister(ticket);
                return Poll::Ready(Err(error));
            }
        }
        state.deregister(ticket);
        let wakers = match state.files.get_mut(&file) {
            Some(locks) => {
                let released = locks.apply_record(owner, kind, span);
                if released {
                    locks.take_wakers(Wants::Record)
                } else {
                    Vec::new()
                }
            }
            None => {
                if let Some(kind) = kind {
                    state
                        .files
                        .entry(file)
                        .or_default()
                        .records
                        .push(Record { owner, kind, span });
                }
                Vec::new()
            }
        };
        state.prune(file);
        drop(state);
        wake_all(wakers);
        Poll::Ready(Ok(()))
    }

    /// Drops every record lock `owner` holds on `file` (POSIX: closing any
    /// descriptor of the file releases the process's locks on it) and wakes the
    /// waiters. Requests of `owner` still waiting (other threads) keep waiting.
    pub fn release_records(&self, file: FileKey, owner: LockOwner) {
        if !self.used.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.state.lock();
        let Some(locks) = state.files.get_mut(&file) else {
            return;
        };
        let before = locks.records.len();
        locks.records.retain(|r| r.owner != owner);
        let wakers = if locks.records.len() != before {
            locks.take_wakers(Wants::Record)
        } else {
            Vec::new()
        };
        state.prune(file);
        drop(state);
        wake_all(wakers);
    }

    /// `flock(2)`: `LOCK_SH` (`Some(Read)`), `LOCK_EX` (`Some(Write)`) or `LOCK_UN`
    /// (`None`) on the whole file, owned by the open file description `owner`.
    /// `wait` false is `LOCK_NB`.
    ///
    /// Asking for the mode already held succeeds at once. Converting between shared
    /// and exclusive is allowed but not atomic, as on Linux: the old lock is dropped
    /// first (waking waiters), so a conversion that then fails with `EAGAIN`, or whose
    /// wait is cancelled, leaves the description with no lock. No deadlock detection
    /// (Linux has none for `flock`).
    ///
    /// Errors: `EAGAIN` (`EWOULDBLOCK`: a conflicting lock, `wait` false).
    ///
    /// Cancellation-safe: dropping the future while it waits withdraws the request.
    pub async fn flock(
        &self,
        file: FileKey,
        owner: LockOwner,
        kind: Option<LockKind>,
        wait: bool,
    ) -> Result<()> {
        self.used.store(true, Ordering::Release);
        let mut waiting = Waiting::new(self, file, owner, Wants::Flock);
        let mut first = true;
        poll_fn(|cx| self.poll_flock(cx, &mut waiting.ticket, kind, wait, &mut first)).await
    }

    /// One attempt of [`LockManager::flock`]; the first also drops the lock being
    /// converted, under the same mutex hold as the attempt (as Linux does under its
    /// spinlock), so nobody can slip in between on that first try.
    fn poll_flock(
        &self,
        cx: &mut Context<'_>,
        ticket: &mut Ticket,
        kind: Option<LockKind>,
        wait: bool,
        first: &mut bool,
    ) -> Poll<Result<()>> {
        let (file, owner) = (ticket.file, ticket.owner);
        let mut state = self.state.lock();
        let mut wakers = Vec::new();
        if std::mem::take(first) {
            if let Some(locks) = state.files.get_mut(&file) {
                if let Some(at) = locks.flocks.iter().position(|&(holder, _)| holder == owner) {
                    if Some(locks.flocks[at].1) == kind {
                        return Poll::Ready(Ok(()));
                    }
                    locks.flocks.swap_remove(at);
                    wakers = locks.take_wakers(Wants::Flock);
                }
            }
        }
        let result = match kind {
            None => Poll::Ready(Ok(())),
            Some(kind) => {
                let locks = state.files.entry(file).or_default();
                match locks.flock_conflict(owner, kind) {
                    None => {
                        locks.flocks.push((owner, kind));
                        Poll::Ready(Ok(()))
                    }
                    Some(holder) if !wait => Poll::Ready(Err(Errno::EAGAIN
                        .with(format!("file locked by open file description {holder}")))),
                    Some(_) => {
                        state.register(ticket, cx.waker(), None);
                        Poll::Pending
                    }
                }
            }
        };
        if result.is_ready() {
            state.deregister(ticket);
            state.prune(file);
        }
        drop(state);
        wake_all(wakers);
        result
    }

    /// Drops the `flock` lock of `owner` (its open file description was closed for
    /// the last time) and wakes the waiters.
    pub fn release_flock(&self, file: FileKey, owner: LockOwner) {
        if !self.used.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.state.lock();
        let Some(locks) = state.files.get_mut(&file) else {
            return;
        };
        let before = locks.flocks.len();
        locks.flocks.retain(|&(holder, _)| holder != owner);
        let wakers = if locks.flocks.len() != before {
            locks.take_wakers(Wants::Flock)
        } else {
            Vec::new()
        };
        state.prune(file);
        drop(state);
        wake_all(wakers);
    }

    /// How many lock requests (record and `flock`, all files) are waiting right now.
    /// For tests and diagnostics.
    pub fn waiters(&self) -> usize {
        let state = self.state.lock();
        state.files.values().map(|locks| locks.waiters.len()).sum()
    }

    /// Whether no lock is held and no request waits on any file. For tests and
    /// diagnostics (for example: after every descriptor is closed, all is released).
    pub fn is_idle(&self) -> bool {
        let state = self.state.lock();
        state.files.is_empty() && state.pending.is_empty()
    }
}

/// Owns a waiting future's [`Ticket`] and withdraws it when the future is dropped.
struct Waiting<'a> {
    manager: &'a LockManager,
    ticket: Ticket,
}

impl<'a> Waiting<'a> {
    fn new(manager: &'a LockManager, file: FileKey, owner: LockOwner, wants: Wants) -> Waiting<'a> {
        Waiting {
            manager,
            ticket: Ticket {
                file,
                owner,
                wants,
                id: None,
            },
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        // Completed attempts deregister themselves; only a cancelled wait reaches here
        // registered. No one needs waking: every waiter is woken on each release and
        // re-checks, so nothing was handed to this one that another might miss.
        if self.ticket.id.is_some() {
            self.manager.state.lock().deregister(&mut self.ticket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::task::noop_waker;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    const FILE: FileKey = FileKey { mount: 1, ino: 7 };
    const OTHER_FILE: FileKey = FileKey { mount: 2, ino: 7 };
    const R: Option<LockKind> = Some(LockKind::Read);
    const W: Option<LockKind> = Some(LockKind::Write);

    fn range(start: u64, end: u64) -> LockRange {
        LockRange {
            start,
            end: Some(end),
        }
    }

    fn from(start: u64) -> LockRange {
        LockRange { start, end: None }
    }

    fn set(m: &LockManager, owner: LockOwner, kind: Option<LockKind>, r: LockRange) -> Result<()> {
        block_on(m.set_record(FILE, owner, kind, r, false))
    }

    fn errno(result: Result<()>) -> Errno {
        result.expect_err("expected an error").errno()
    }

    /// The locks of `owner` on FILE as (kind, start, end).
    fn held(m: &LockManager, owner: LockOwner) -> Vec<(LockKind, u64, Option<u64>)> {
        let state = m.state.lock();
        state
            .files
            .get(&FILE)
            .map(|l| {
                l.records
                    .iter()
                    .filter(|r| r.owner == owner)
                    .map(|r| (r.kind, r.span.range().start, r.span.range().end))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn conflict_at(m: &LockManager, kind: LockKind, r: LockRange) -> Option<Conflict> {
        m.test_record(FILE, 99, kind, r)
    }

    fn assert_idle(m: &LockManager) {
        let state = m.state.lock();
        assert!(state.files.is_empty(), "files left: {}", state.files.len());
        assert!(state.pending.is_empty());
    }

    /// A waker counting its wakes.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn read_locks_share_write_locks_exclude() {
        let m = LockManager::new();
        set(&m, 1, R, range(0, 10)).unwrap();
        set(&m, 2, R, range(5, 15)).unwrap();
        assert_eq!(errno(set(&m, 3, W, range(9, 10))), Errno::EAGAIN);
        assert_eq!(
            errno(set(&m, 1, W, range(0, 10))),
            Errno::EAGAIN,
            "2 shares 5..10"
        );
        set(&m, 1, W, range(0, 5)).unwrap();
        assert_eq!(errno(set(&m, 2, R, range(4, 5))), Errno::EAGAIN);
        assert_eq!(errno(set(&m, 2, W, range(0, 1))), Errno::EAGAIN);
        // Beside the locks, anything goes.
        set(&m, 3, W, range(15, 20)).unwrap();
        assert_eq!(
            conflict_at(&m, LockKind::Read, range(0, 100)),
            Some(Conflict {
                kind: LockKind::Write,
                range: range(0, 5),
                owner: 1
            })
        );
        assert_eq!(conflict_at(&m, LockKind::Read, range(5, 15)), None);
        assert_eq!(
            conflict_at(&m, LockKind::Write, range(5, 15)).map(|c| c.range),
            Some(range(5, 10)),
            "owner 1's read lock, which starts lowest"
        );
        // The requester's own locks never conflict.
        assert_eq!(m.test_record(FILE, 1, LockKind::Write, range(0, 5)), None);
        // Other files are independent.
        assert_eq!(m.test_record(OTHER_FILE, 9, LockKind::Write, from(0)), None);
    }

    #[test]
    fn same_owner_locks_coalesce() {
        let m = LockManager::new();
        set(&m, 1, W, range(0, 10)).unwrap();
        set(&m, 1, W, range(10, 20)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Write, 0, Some(20))]);
        set(&m, 1, W, range(15, 30)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Write, 0, Some(30))]);
        set(&m, 1, W, range(40, 50)).unwrap();
        assert_eq!(held(&m, 1).len(), 2);
        set(&m, 1, W, range(25, 45)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Write, 0, Some(50))]);
        // Adjacent locks of different modes stay apart.
        set(&m, 1, R, range(50, 60)).unwrap();
        assert_eq!(
            held(&m, 1),
            vec![
                (LockKind::Write, 0, Some(50)),
                (LockKind::Read, 50, Some(60))
            ]
        );
        assert_eq!(
            conflict_at(&m, LockKind::Read, range(45, 55)).map(|c| c.range),
            Some(range(0, 50))
        );
    }

    #[test]
    fn unlocking_the_middle_splits() {
        let m = LockManager::new();
        set(&m, 1, W, range(0, 100)).unwrap();
        set(&m, 1, None, range(40, 60)).unwrap();
        assert_eq!(
            held(&m, 1),
            vec![
                (LockKind::Write, 0, Some(40)),
                (LockKind::Write, 60, Some(100))
            ]
        );
        assert_eq!(conflict_at(&m, LockKind::Write, range(40, 60)), None);
        assert_eq!(
            conflict_at(&m, LockKind::Read, range(39, 40)).map(|c| c.range),
            Some(range(0, 40))
        );
        assert_eq!(
            conflict_at(&m, LockKind::Read, range(60, 61)).map(|c| c.range),
            Some(range(60, 100))
        );
        set(&m, 2, W, range(40, 60)).unwrap();
        // Unlocking what is not held, or another owner's range, changes nothing.
        set(&m, 1, None, range(200, 300)).unwrap();
        set(&m, 1, None, range(40, 60)).unwrap();
        assert_eq!(held(&m, 2), vec![(LockKind::Write, 40, Some(60))]);
        // Unlocking a span covering several locks removes them all.
        set(&m, 1, None, range(0, 100)).unwrap();
        assert!(held(&m, 1).is_empty());
        set(&m, 2, None, from(0)).unwrap();
        assert_idle(&m);
    }

    #[test]
    fn upgrade_and_downgrade_part_of_a_lock() {
        let m = LockManager::new();
        set(&m, 1, R, range(0, 100)).unwrap();
        set(&m, 1, W, range(20, 30)).unwrap();
        assert_eq!(
            held(&m, 1),
            vec![
                (LockKind::Read, 0, Some(20)),
                (LockKind::Write, 20, Some(30)),
                (LockKind::Read, 30, Some(100)),
            ]
        );
        assert_eq!(conflict_at(&m, LockKind::Read, range(0, 20)), None);
        assert_eq!(
            conflict_at(&m, LockKind::Read, range(25, 26)),
            Some(Conflict {
                kind: LockKind::Write,
                range: range(20, 30),
                owner: 1
            })
        );
        // Downgrading the middle again coalesces everything back.
        set(&m, 1, R, range(20, 30)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Read, 0, Some(100))]);
        // Whole-lock upgrade and downgrade.
        set(&m, 1, W, range(0, 100)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Write, 0, Some(100))]);
        set(&m, 1, R, range(0, 100)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Read, 0, Some(100))]);
        set(&m, 2, R, range(50, 60)).unwrap();
        assert_eq!(
            conflict_at(&m, LockKind::Write, range(0, 100)).map(|c| (c.kind, c.owner)),
            Some((LockKind::Read, 1))
        );
        // An upgrade blocked by another reader fails and leaves the lock unchanged.
        assert_eq!(errno(set(&m, 1, W, range(0, 100))), Errno::EAGAIN);
        assert_eq!(held(&m, 1), vec![(LockKind::Read, 0, Some(100))]);
    }

    #[test]
    fn ranges_to_infinity() {
        let m = LockManager::new();
        set(&m, 1, W, from(10)).unwrap();
        assert_eq!(
            conflict_at(&m, LockKind::Read, range(1 << 40, (1 << 40) + 1)).map(|c| c.range),
            Some(from(10))
        );
        assert_eq!(
            conflict_at(&m, LockKind::Read, from(u64::MAX)).map(|c| c.range),
            Some(from(10))
        );
        assert_eq!(conflict_at(&m, LockKind::Write, range(0, 10)), None);
        set(&m, 1, None, from(20)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Write, 10, Some(20))]);
        set(&m, 1, W, from(20)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Write, 10, None)]);
        set(&m, 1, R, range(100, 200)).unwrap();
        assert_eq!(
            held(&m, 1),
            vec![
                (LockKind::Write, 10, Some(100)),
                (LockKind::Read, 100, Some(200)),
                (LockKind::Write, 200, None),
            ]
        );
        m.release_records(FILE, 1);
        // The byte u64::MAX - 1 is lockable, and a lock ending at u64::MAX is not
        // one to infinity.
        set(&m, 2, W, range(0, 5)).unwrap();
        set(&m, 2, W, range(u64::MAX - 1, u64::MAX)).unwrap();
        set(&m, 2, None, range(0, 5)).unwrap();
        assert_eq!(
            held(&m, 2),
            vec![(LockKind::Write, u64::MAX - 1, Some(u64::MAX))]
        );
        assert_eq!(conflict_at(&m, LockKind::Write, from(u64::MAX)), None);
        m.release_records(FILE, 2);
        assert_idle(&m);
    }

    #[test]
    fn empty_ranges_do_nothing() {
        let m = LockManager::new();
        set(&m, 1, W, range(5, 5)).unwrap();
        set(&m, 1, W, range(9, 3)).unwrap();
        set(
            &m,
            1,
            W,
            LockRange {
                start: u64::MAX,
                end: Some(0),
            },
        )
        .unwrap();
        assert_idle(&m);
        set(&m, 1, W, from(0)).unwrap();
        assert_eq!(conflict_at(&m, LockKind::Write, range(5, 5)), None);
        set(&m, 2, W, range(5, 5)).unwrap();
        set(&m, 1, None, range(5, 5)).unwrap();
        assert_eq!(held(&m, 1), vec![(LockKind::Write, 0, None)]);
    }

    #[test]
    fn release_records_drops_only_that_owner_on_that_file() {
        let m = LockManager::new();
        set(&m, 1, W, range(0, 10)).unwrap();
        set(&m, 1, R, range(20, 30)).unwrap();
        set(&m, 2, R, range(20, 30)).unwrap();
        block_on(m.set_record(OTHER_FILE, 1, W, from(0), false)).unwrap();
        block_on(m.flock(FILE, 1, W, false)).unwrap();
        m.release_records(FILE, 1);
        assert!(held(&m, 1).is_empty());
        assert_eq!(held(&m, 2), vec![(LockKind::Read, 20, Some(30))]);
        assert!(m
            .test_record(OTHER_FILE, 2, LockKind::Read, range(0, 1))
            .is_some());
        assert_eq!(errno(block_on(m.flock(FILE, 2, R, false))), Errno::EAGAIN);
        m.release_records(FILE, 2);
        m.release_records(FILE, 3);
        m.release_records(OTHER_FILE, 1);
        m.release_flock(FILE, 1);
        assert_idle(&m);
        assert!(m.is_idle());
    }

    #[test]
    fn flock_modes_and_conversion() {
        let m = LockManager::new();
        let flock = |owner, kind| block_on(m.flock(FILE, owner, kind, false));
        flock(1, R).unwrap();
        flock(2, R).unwrap();
        flock(2, R).unwrap();
        assert_eq!(errno(flock(3, W)), Errno::EAGAIN);
        // Record locks are independent of flock locks.
        set(&m, 3, W, from(0)).unwrap();
        set(&m, 3, None, from(0)).unwrap();
        // Converting with another reader present: the old lock is dropped first,
        // then the exclusive one fails, leaving owner 2 without a lock (Linux).
        assert_eq!(errno(flock(2, W)), Errno::EAGAIN);
        flock(1, W).unwrap();
        assert_eq!(errno(flock(2, R)), Errno::EAGAIN);
        flock(1, R).unwrap();
        flock(2, R).unwrap();
        flock(2, None).unwrap();
        flock(2, None).unwrap();
        flock(1, None).unwrap();
        assert_idle(&m);
        flock(1, W).unwrap();
        m.release_flock(FILE, 2);
        assert_eq!(errno(flock(2, R)), Errno::EAGAIN);
        m.release_flock(FILE, 1);
        flock(2, W).unwrap();
        m.release_flock(FILE, 2);
        assert_idle(&m);
    }

    #[test]
    fn posix_ranges() {
        let ok = |start, len| range_from_flock(start, len).unwrap();
        let err = |start, len| range_from_flock(start, len).unwrap_err().errno();
        assert_eq!(ok(0, 0), from(0));
        assert_eq!(ok(7, 0), from(7));
        assert_eq!(ok(10, 5), range(10, 15));
        assert_eq!(ok(10, -5), range(5, 10));
        assert_eq!(ok(10, -10), range(0, 10));
        assert_eq!(err(3, -5), Errno::EINVAL);
        assert_eq!(err(-1, 1), Errno::EINVAL);
        assert_eq!(err(-1, 0), Errno::EINVAL);
        assert_eq!(err(0, i64::MIN), Errno::EINVAL);
        assert_eq!(err(i64::MAX, i64::MIN), Errno::EINVAL);
        assert_eq!(
            ok(i64::MAX, -1),
            range(i64::MAX as u64 - 1, i64::MAX as u64)
        );
        // Reaching the largest offset is the same as running to infinity.
        assert_eq!(ok(i64::MAX, 1), from(i64::MAX as u64));
        assert_eq!(ok(1, i64::MAX), from(1));
        assert_eq!(ok(0, i64::MAX), range(0, i64::MAX as u64));
        assert_eq!(err(i64::MAX, 2), Errno::EOVERFLOW);
        assert_eq!(err(2, i64::MAX), Errno::EOVERFLOW);
    }

    #[test]
    fn waiter_is_woken_by_unlock_and_downgrade_only() {
        let m = LockManager::new();
        set(&m, 1, W, range(0, 10)).unwrap();
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!(m.set_record(FILE, 2, R, range(5, 6), true));
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        assert_eq!(m.waiters(), 1);
        // New locks and upgrades do not wake; an unrelated flock change does not.
        set(&m, 1, W, range(20, 30)).unwrap();
        block_on(m.flock(FILE, 5, W, false)).unwrap();
        m.release_flock(FILE, 5);
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        // Downgrading part of the range wakes it; it re-checks and waits again.
        set(&m, 1, R, range(0, 2)).unwrap();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        assert_eq!(m.waiters(), 1);
        set(&m, 1, R, range(0, 10)).unwrap();
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
        assert_eq!(wait.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(m.waiters(), 0);
        assert_eq!(held(&m, 2), vec![(LockKind::Read, 5, Some(6))]);
        m.release_records(FILE, 1);
        m.release_records(FILE, 2);
        assert_idle(&m);
    }

    #[test]
    fn dropping_a_waiting_future_leaves_no_trace() {
        let m = LockManager::new();
        set(&m, 1, W, from(0)).unwrap();
        block_on(m.flock(FILE, 1, W, false)).unwrap();
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        {
            let mut record = pin!(m.set_record(FILE, 2, W, range(0, 1), true));
            let mut flock = pin!(m.flock(FILE, 2, R, true));
            assert!(record.as_mut().poll(&mut cx).is_pending());
            assert!(flock.as_mut().poll(&mut cx).is_pending());
            assert!(record.as_mut().poll(&mut cx).is_pending());
            assert_eq!(m.waiters(), 2);
            assert_eq!(m.state.lock().pending.len(), 1);
        }
        assert_eq!(m.waiters(), 0);
        assert!(m.state.lock().pending.is_empty());
        m.release_records(FILE, 1);
        m.release_flock(FILE, 1);
        assert_idle(&m);
        set(&m, 2, W, range(0, 1)).unwrap();
        block_on(m.flock(FILE, 2, R, false)).unwrap();
        set(&m, 2, None, from(0)).unwrap();
        m.release_flock(FILE, 2);
        assert_idle(&m);
    }

    #[test]
    fn deadlock_cycles_are_refused() {
        let m = LockManager::new();
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        // 1 holds a, 2 holds b, 3 holds c on two files.
        set(&m, 1, W, range(0, 1)).unwrap();
        set(&m, 2, W, range(1, 2)).unwrap();
        block_on(m.set_record(OTHER_FILE, 3, W, range(0, 1), false)).unwrap();
        // 1 waits for b (held by 2).
        let mut one = pin!(m.set_record(FILE, 1, W, range(1, 2), true));
        assert!(one.as_mut().poll(&mut cx).is_pending());
        // 2 asking for a would close 2 -> 1 -> 2.
        assert_eq!(
            errno(block_on(m.set_record(FILE, 2, R, range(0, 1), true))),
            Errno::EDEADLK
        );
        // Without waiting, it is a plain conflict.
        assert_eq!(errno(set(&m, 2, R, range(0, 1))), Errno::EAGAIN);
        // 2 waits for c on the other file (held by 3): no cycle.
        let mut two = pin!(m.set_record(OTHER_FILE, 2, W, range(0, 10), true));
        assert!(two.as_mut().poll(&mut cx).is_pending());
        // 3 asking for a closes 3 -> 1 -> 2 -> 3, across files.
        assert_eq!(
            errno(block_on(m.set_record(FILE, 3, W, range(0, 1), true))),
            Errno::EDEADLK
        );
        // Another owner waiting behind the chain is no cycle.
        let mut four = pin!(m.set_record(FILE, 4, R, range(0, 2), true));
        assert!(four.as_mut().poll(&mut cx).is_pending());
        assert_eq!(m.waiters(), 3);
        // 3 releases c: 2 gets it, then releases b: 1 gets it.
        m.release_records(OTHER_FILE, 3);
        assert_eq!(two.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        m.release_records(FILE, 2);
        assert_eq!(one.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        assert!(four.as_mut().poll(&mut cx).is_pending());
        m.release_records(FILE, 1);
        assert_eq!(four.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        m.release_records(FILE, 4);
        m.release_records(OTHER_FILE, 2);
        assert_idle(&m);
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<T: Send>(_: T) {}
        let m = LockManager::new();
        assert_send(m.set_record(FILE, 1, W, from(0), true));
        assert_send(m.flock(FILE, 1, W, true));
        assert_idle(&m);
    }

    /// Random requests checked against a byte-by-byte model: the held locks must
    /// match the model exactly and stay in canonical (coalesced) form, and every
    /// conflict must be real.
    #[test]
    fn random_requests_match_a_byte_model() {
        // Finite ranges end at BYTES at most; the extra cell BYTES stands for every
        // byte from there on, which only ranges to infinity reach.
        const BYTES: usize = 24;
        const CELLS: usize = BYTES + 1;
        const OWNERS: u64 = 3;
        let m = LockManager::new();
        // model[owner][cell]
        let mut model = vec![[None::<LockKind>; CELLS]; OWNERS as usize + 1];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        for _ in 0..20_000 {
            let owner = 1 + next(OWNERS);
            let start = next(BYTES as u64);
            let end = start + 1 + next(BYTES as u64 - start);
            let infinite = end == BYTES as u64 && next(2) == 0;
            let r = LockRange {
                start,
                end: (!infinite).then_some(end),
            };
            let end = if infinite { CELLS as u64 } else { end };
            let kind = match next(3) {
                0 => None,
                1 => R,
                _ => W,
            };
            let bytes = start as usize..end as usize;
            let blocked = kind.is_some_and(|kind| {
                (1..=OWNERS).filter(|&o| o != owner).any(|o| {
                    bytes
                        .clone()
                        .any(|b| model[o as usize][b].is_some_and(|h| kinds_conflict(h, kind)))
                })
            });
            if let Some(kind) = kind {
                let conflict = m.test_record(FILE, owner, kind, r);
                assert_eq!(conflict.is_some(), blocked);
                if let Some(c) = conflict {
                    assert_ne!(c.owner, owner);
                    assert!(kinds_conflict(c.kind, kind));
                }
            }
            match set(&m, owner, kind, r) {
                Ok(()) => {
                    assert!(!blocked);
                    for b in bytes {
                        model[owner as usize][b] = kind;
                    }
                }
                Err(e) => {
                    assert!(blocked);
                    assert_eq!(e.errno(), Errno::EAGAIN);
                }
            }
            for o in 1..=OWNERS {
                let locks = held(&m, o);
                let mut bytes = [None; CELLS];
                for (i, &(kind, start, end)) in locks.iter().enumerate() {
                    let end = end.unwrap_or(CELLS as u64);
                    assert!(start < end);
                    for byte in &mut bytes[start as usize..end as usize] {
                        assert!(byte.is_none(), "overlapping locks of one owner");
                        *byte = Some(kind);
                    }
                    if let Some(&(next_kind, next_start, _)) = locks.get(i + 1) {
                        assert!(next_start > end || next_kind != kind, "not coalesced");
                    }
                }
                assert_eq!(bytes, model[o as usize], "owner {o}");
            }
        }
        for o in 1..=OWNERS {
            m.release_records(FILE, o);
        }
        assert_idle(&m);
    }
}
