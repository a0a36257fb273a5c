//! Locks a process's only thread skips.
//!
//! Linux's `fdget` takes no reference on the file when the calling task is the
//! only one using its descriptor table: nobody else can close the descriptor under
//! it. This is the same idea for the locks of a [`crate::Process`]. They share one
//! [`SoleThread`]: the first thread to take any of them becomes the process's
//! *sole thread* and gets their data without locking ([`SoleMutex`],
//! [`SoleRwLock`]); the first access from a second thread ends that for good,
//! waiting out the sole thread's accesses in progress, and from then on everybody
//! locks. A random 4 KiB `pread` from memory so saves the descriptor table's mutex
//! and the description's reference count, four of its six atomic operations, each
//! of which also waits for the previous read's copy to drain from the store buffer.
//!
//! The handshake is Dekker's: the sole thread publishes that it is inside, then
//! checks it is still alone; the joining thread publishes that the process is
//! shared, then checks for an access in progress. Each side needs a full fence
//! between its store and its load. A fence on every access would cost what the
//! lock costs, so the fences are asymmetric (as in liburcu and folly): the sole
//! thread's is only a compiler fence, and the rare joining thread pays with
//! `membarrier(2)`, which runs a full fence on every CPU running a thread of this
//! OS process. Where `membarrier` is missing or refused, both sides take a real
//! fence instead.
//!
//! As with real locks, a thread must not take a lock it holds already (a real one
//! would deadlock; here a second `&mut` would alias the first); nested read locks
//! are fine. A guard held by the sole thread holds up a joining thread's first
//! access to any of the process's locks, as a lock held would, and the sole thread
//! never waits for a joining one, so this adds no deadlock.

use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{compiler_fence, fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// [`SoleThread::user`] before any thread has used the process.
const UNCLAIMED: u64 = 0;

/// [`SoleThread::user`] while a joining thread waits for the sole thread to leave.
const SHARING: u64 = u64::MAX - 1;

/// [`SoleThread::user`] once two threads have used the process: everybody locks.
const SHARED: u64 = u64::MAX;

/// Which thread of a process, if only one, may use its locks' data without
/// locking. Shared by all the locks of the process.
pub(crate) struct SoleThread {
    /// The token of the one thread that has used the process, or [`UNCLAIMED`],
    /// [`SHARING`] or [`SHARED`].
    user: AtomicU64,
    /// How many guards without locking that thread holds (read guards nest, and
    /// so do guards of different locks). Only that thread writes it.
    inside: AtomicUsize,
}

impl SoleThread {
    /// No thread yet: the first to take one of the locks becomes the sole thread.
    pub(crate) fn new() -> Arc<SoleThread> {
        Arc::new(SoleThread {
            user: AtomicU64::new(UNCLAIMED),
            inside: AtomicUsize::new(0),
        })
    }

    /// A permit to use the data without locking when the calling thread is the
    /// sole thread (the first to ask becomes it); `None` otherwise: call
    /// [`SoleThread::enter`], then lock. Until the permit drops no other thread
    /// gets past `enter`, so no other thread holds a lock.
    #[inline]
    fn permit(&self) -> Option<Permit<'_>> {
        let me = thread_token();
        let user = self.user.load(Ordering::Relaxed);
        if user != me
            && (user != UNCLAIMED
                || self
                    .user
                    .compare_exchange(UNCLAIMED, me, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err())
        {
            return None;
        }
        let depth = self.inside.load(Ordering::Relaxed);
        self.inside.store(depth + 1, Ordering::Relaxed);
        light_fence();
        let permit = Permit {
            sole: self,
            not_send: PhantomData,
        };
        // Dropping the permit steps `inside` back, also on this early return.
        (self.user.load(Ordering::Relaxed) == me).then_some(permit)
    }

    /// Before locking, when [`SoleThread::permit`] said `None`: returns once the
    /// process is shared and its sole thread, if it had one, is out.
    #[inline]
    fn enter(&self) {
        // Acquire: the joining thread that settled `SHARED` saw the sole thread
        // leave (below), so what that thread did happens before this access.
        if self.user.load(Ordering::Acquire) != SHARED {
            self.share();
        }
    }

    #[cold]
    fn share(&self) {
        if self.user.load(Ordering::Acquire) == SHARING {
            // Another thread is settling it; its wait is this thread's too.
            wait_until(|| self.user.load(Ordering::Acquire) == SHARED);
            return;
        }
        self.user.store(SHARING, Ordering::Relaxed);
        heavy_fence();
        // After the heavy fence the sole thread either saw `SHARING` and will
        // lock, or had counted itself inside, which is visible now.
        wait_until(|| self.inside.load(Ordering::Acquire) == 0);
        self.user.store(SHARED, Ordering::Release);
    }
}

/// Spins briefly, then yields, until `done`.
fn wait_until(done: impl Fn() -> bool) {
    let mut spins = 0u32;
    while !done() {
        if spins < 64 {
            std::hint::spin_loop();
            spins += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

/// Proof that no other thread holds or can take the process's locks; see
/// [`SoleThread::permit`].
pub(crate) struct Permit<'a> {
    sole: &'a SoleThread,
    /// Keeps the permit on its thread: the guarantee is about this thread.
    not_send: PhantomData<*const ()>,
}

impl Drop for Permit<'_> {
    #[inline]
    fn drop(&mut self) {
        let depth = self.sole.inside.load(Ordering::Relaxed);
        // Release: this access happens before a joining thread's.
        self.sole.inside.store(depth - 1, Ordering::Release);
    }
}

/// A mutex the process's sole thread skips (see the module).
pub(crate) struct SoleMutex<T> {
    sole: Arc<SoleThread>,
    mutex: Mutex<T>,
}

/// [`SoleMutex::lock`]'s guard.
pub(crate) enum SoleMutexGuard<'a, T> {
    /// The sole thread's, without the lock.
    Alone {
        value: &'a mut T,
        _permit: Permit<'a>,
    },
    Locked(MutexGuard<'a, T>),
}

impl<T> SoleMutex<T> {
    /// `value` behind a mutex of the process whose locks `sole` watches.
    pub(crate) fn new(sole: &Arc<SoleThread>, value: T) -> SoleMutex<T> {
        SoleMutex {
            sole: sole.clone(),
            mutex: Mutex::new(value),
        }
    }

    /// The data, exclusively.
    #[inline]
    pub(crate) fn lock(&self) -> SoleMutexGuard<'_, T> {
        if let Some(permit) = self.sole.permit() {
            // SAFETY: with the permit no other thread holds or takes the mutex,
            // and this thread holds no other guard of it (see the module).
            return SoleMutexGuard::Alone {
                value: unsafe { &mut *self.mutex.data_ptr() },
                _permit: permit,
            };
        }
        self.sole.enter();
        SoleMutexGuard::Locked(self.mutex.lock())
    }
}

impl<T> SoleMutexGuard<'_, T> {
    /// Whether this is the sole thread's guard, which holds up no other thread.
    #[inline]
    pub(crate) fn is_alone(&self) -> bool {
        matches!(self, SoleMutexGuard::Alone { .. })
    }
}

impl<T> Deref for SoleMutexGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        match self {
            SoleMutexGuard::Alone { value, .. } => value,
            SoleMutexGuard::Locked(guard) => guard,
        }
    }
}

impl<T> DerefMut for SoleMutexGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        match self {
            SoleMutexGuard::Alone { value, .. } => value,
            SoleMutexGuard::Locked(guard) => guard,
        }
    }
}

/// A read-write lock the process's sole thread skips (see the module).
pub(crate) struct SoleRwLock<T> {
    sole: Arc<SoleThread>,
    lock: RwLock<T>,
}

/// [`SoleRwLock::read`]'s guard.
pub(crate) enum SoleReadGuard<'a, T> {
    /// The sole thread's, without the lock.
    Alone {
        value: &'a T,
        _permit: Permit<'a>,
    },
    Locked(RwLockReadGuard<'a, T>),
}

/// [`SoleRwLock::write`]'s guard.
pub(crate) enum SoleWriteGuard<'a, T> {
    /// The sole thread's, without the lock.
    Alone {
        value: &'a mut T,
        _permit: Permit<'a>,
    },
    Locked(RwLockWriteGuard<'a, T>),
}

impl<T> SoleRwLock<T> {
    /// `value` behind a read-write lock of the process whose locks `sole` watches.
    pub(crate) fn new(sole: &Arc<SoleThread>, value: T) -> SoleRwLock<T> {
        SoleRwLock {
            sole: sole.clone(),
            lock: RwLock::new(value),
        }
    }

    /// The data, shared.
    #[inline]
    pub(crate) fn read(&self) -> SoleReadGuard<'_, T> {
        if let Some(permit) = self.sole.permit() {
            // SAFETY: with the permit no other thread holds or takes the lock, and
            // this thread holds no write guard of it (see the module).
            return SoleReadGuard::Alone {
                value: unsafe { &*self.lock.data_ptr() },
                _permit: permit,
            };
        }
        self.sole.enter();
        SoleReadGuard::Locked(self.lock.read())
    }

    /// The data, exclusively.
    pub(crate) fn write(&self) -> SoleWriteGuard<'_, T> {
        if let Some(permit) = self.sole.permit() {
            // SAFETY: with the permit no other thread holds or takes the lock, and
            // this thread holds no other guard of it (see the module).
            return SoleWriteGuard::Alone {
                value: unsafe { &mut *self.lock.data_ptr() },
                _permit: permit,
            };
        }
        self.sole.enter();
        SoleWriteGuard::Locked(self.lock.write())
    }
}

impl<T> Deref for SoleReadGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        match self {
            SoleReadGuard::Alone { value, .. } => value,
            SoleReadGuard::Locked(guard) => guard,
        }
    }
}

impl<T> Deref for SoleWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            SoleWriteGuard::Alone { value, .. } => value,
            SoleWriteGuard::Locked(guard) => guard,
        }
    }
}

impl<T> DerefMut for SoleWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            SoleWriteGuard::Alone { value, .. } => value,
            SoleWriteGuard::Locked(guard) => guard,
        }
    }
}

/// A number naming the calling thread, never reused within the OS process.
#[inline]
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static TOKEN: Cell<u64> = const { Cell::new(UNCLAIMED) };
    }
    TOKEN.with(|token| match token.get() {
        UNCLAIMED => {
            let fresh = NEXT.fetch_add(1, Ordering::Relaxed);
            token.set(fresh);
            fresh
        }
        known => known,
    })
}

/// The reader's fence: a compiler fence when the joining side can use
/// `membarrier`, a full fence otherwise.
#[inline]
fn light_fence() {
    if membarrier::available() {
        compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
}

/// The joining thread's fence: a full fence on every thread of the OS process.
fn heavy_fence() {
    if membarrier::available() {
        membarrier::all_threads();
    } else {
        fence(Ordering::SeqCst);
    }
}

#[cfg(target_os = "linux")]
mod membarrier {
    use std::sync::OnceLock;

    /// Whether this OS process registered for private expedited membarriers (once,
    /// on first use; Linux 4.14 and later, unless a seccomp filter refuses it).
    pub(super) fn available() -> bool {
        static REGISTERED: OnceLock<bool> = OnceLock::new();
        *REGISTERED.get_or_init(|| call(libc::MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
    }

    /// Runs a full fence on every CPU running a thread of this OS process. The
    /// readers rely on it since registration succeeded, so should the kernel
    /// refuse the expedited command after all it falls back to the slow global
    /// one, and with neither nothing would be safe but to stop.
    pub(super) fn all_threads() {
        if !call(libc::MEMBARRIER_CMD_PRIVATE_EXPEDITED) && !call(libc::MEMBARRIER_CMD_GLOBAL) {
            eprintln!("vfs-posix-shim: membarrier(2) failed after registering: aborting");
            std::process::abort();
        }
    }

    fn call(command: libc::c_int) -> bool {
        // SAFETY: membarrier takes a command and flags and touches no memory of
        // ours.
        unsafe { libc::syscall(libc::SYS_membarrier, command, 0, 0) == 0 }
    }
}

#[cfg(not(target_os = "linux"))]
mod membarrier {
    pub(super) fn available() -> bool {
        false
    }

    pub(super) fn all_threads() {
        unreachable!("never available");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::thread;
    use std::time::Duration;

    fn alone<T>(guard: &SoleMutexGuard<'_, T>) -> bool {
        guard.is_alone()
    }

    #[test]
    fn the_first_thread_goes_without_locks_until_a_second_one_comes() {
        let sole = SoleThread::new();
        let table = Arc::new(SoleMutex::new(&sole, 0u32));
        let names = Arc::new(SoleRwLock::new(&sole, String::new()));
        *table.lock() += 1;
        assert!(alone(&table.lock()), "the first thread is the sole thread");
        assert!(
            matches!(names.read(), SoleReadGuard::Alone { .. }),
            "of every lock"
        );
        names.write().push('a');
        {
            let (_outer, _inner) = (names.read(), names.read());
            let _table = table.lock();
        }
        let (other_table, other_names) = (table.clone(), names.clone());
        thread::spawn(move || {
            let mut guard = other_table.lock();
            assert!(!alone(&guard), "a second thread locks");
            *guard += 1;
            drop(guard);
            assert!(matches!(other_names.read(), SoleReadGuard::Locked(_)));
        })
        .join()
        .unwrap();
        let guard = table.lock();
        assert!(!alone(&guard), "shared for good");
        assert_eq!(*guard, 2);
        assert!(matches!(names.write(), SoleWriteGuard::Locked(_)));
    }

    #[test]
    fn a_joining_thread_waits_for_the_sole_threads_access_in_progress() {
        let sole = SoleThread::new();
        let table = Arc::new(SoleMutex::new(&sole, ()));
        let names = Arc::new(SoleRwLock::new(&sole, ()));
        let guard = table.lock();
        assert!(alone(&guard));
        let done = Arc::new(AtomicBool::new(false));
        // Two joiners: the second must wait too, though the first has already
        // marked the process shared.
        let joiners: Vec<_> = (0..2)
            .map(|i| {
                let (table, names, done) = (table.clone(), names.clone(), done.clone());
                thread::spawn(move || {
                    if i == 0 {
                        drop(names.read());
                    } else {
                        drop(table.lock());
                    }
                    done.load(Ordering::SeqCst)
                })
            })
            .collect();
        // Without the wait the joiners would be back long before this.
        thread::sleep(Duration::from_millis(50));
        done.store(true, Ordering::SeqCst);
        drop(guard);
        for joiner in joiners {
            assert!(joiner.join().unwrap(), "a joiner got in during the access");
        }
    }

    #[test]
    fn threads_get_distinct_tokens() {
        let here = thread_token();
        assert_eq!(here, thread_token());
        let there = thread::spawn(thread_token).join().unwrap();
        assert_ne!(here, there);
        assert!(![UNCLAIMED, SHARING, SHARED].contains(&here));
    }
}
