//! Locks that a structure's only thread skips.
//!
//! Linux's `fdget` takes no reference on the file when the calling task is the
//! only one using its descriptor table: nobody else can close the descriptor under
//! it. These locks apply the same idea to any structure whose locks share one
//! [`SoleThread`] (a shim process, a ramfs instance): the first thread to take any
//! of them becomes the *sole thread* and gets their data without locking
//! ([`SoleMutex`], [`SoleRwLock`]); the first access from a second thread ends that
//! for good, waiting out the sole thread's accesses in progress, and from then on
//! everybody locks. For a random 4 KiB `pread` from ramfs through the shim this
//! takes away every atomic operation (the descriptor table's mutex, the
//! description's reference count, the inode's read lock), each of which also
//! waited for the previous read's copy to drain from the store buffer.
//!
//! The handshake is Dekker's: the sole thread publishes that it is inside, then
//! checks it is still alone; the joining thread publishes that the structure is
//! shared, then checks for an access in progress. Each side needs a full fence
//! between its store and its load. A fence on every access would cost what the
//! lock costs, so the fences are asymmetric (as in liburcu and folly): the sole
//! thread's is only a compiler fence, and the rare joining thread pays with
//! `membarrier(2)`, which runs a full fence on every CPU running a thread of this
//! OS process (well under a microsecond when the other CPUs idle, ~5-15 us in a VM
//! whose other CPUs run our threads). Where `membarrier` is missing or refused, both
//! sides take a real fence instead.
//!
//! As with real locks, a thread must not take a lock it holds already (a real one
//! would deadlock; here a second `&mut` would alias the first); nested read locks
//! are fine. A guard held by the sole thread holds up a joining thread's first
//! access to any of the locks, as a lock held would, and the sole thread never
//! waits for a joining one: once one has announced itself, the sole thread still
//! takes the group's other locks without locking while it holds a guard (the
//! joiner is waiting for it), and locks only from its next outermost access. So
//! this adds no deadlock beyond a real lock's: a group must not be entered while
//! holding a guard of a group whose owner might wait for this one (the shim's
//! process locks are held into the file system's, never the other way). Guards
//! cannot leave their thread (`!Send`), so an `async` function cannot hold one
//! across an `.await` of a future that must be `Send`.
//!
//! ```
//! use vfs_core::sole_thread::{SoleMutex, SoleThread};
//!
//! let sole = SoleThread::new();
//! let counter = std::sync::Arc::new(SoleMutex::new(&sole, 0u64));
//! *counter.lock() += 1; // this thread is now the sole thread: no lock taken
//! assert!(counter.lock().is_alone());
//! let other = counter.clone();
//! std::thread::spawn(move || *other.lock() += 1).join().unwrap();
//! assert!(!counter.lock().is_alone()); // shared for good
//! assert_eq!(*counter.lock(), 2);
//! ```

use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{compiler_fence, fence, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

/// [`SoleThread::owner`] before any thread has used the locks.
const UNCLAIMED: u64 = 0;

/// [`SoleThread::state`]: the owner, if any, goes without locks.
const ALONE: u8 = 0;

/// [`SoleThread::state`]: a joining thread waits for the owner to leave.
const SHARING: u8 = 1;

/// [`SoleThread::state`]: everybody locks, for good.
const SHARED: u8 = 2;

/// Which thread, if only one, may use a group of locks' data without locking;
/// the locks of one structure share it.
pub struct SoleThread {
    /// The token of the first thread to use the locks (the sole thread while
    /// `state` is [`ALONE`]), or [`UNCLAIMED`]. Set once.
    owner: AtomicU64,
    /// [`ALONE`], [`SHARING`] or [`SHARED`].
    state: AtomicU8,
    /// How many guards without locking the owner holds (read guards nest, and so
    /// do guards of different locks). Only the owner writes it.
    inside: AtomicUsize,
    /// Whether the joining thread fences with `membarrier(2)`, which lets the
    /// owner's fence be a compiler fence (fixed at creation, so both sides
    /// agree).
    asymmetric: bool,
}

impl SoleThread {
    /// No thread yet: the first to take one of the locks becomes the sole thread.
    pub fn new() -> Arc<SoleThread> {
        Arc::new(SoleThread {
            owner: AtomicU64::new(UNCLAIMED),
            state: AtomicU8::new(ALONE),
            inside: AtomicUsize::new(0),
            asymmetric: membarrier::available(),
        })
    }

    /// A permit to use the data without locking when the calling thread is the
    /// sole thread (the first to ask becomes it); `None` otherwise: call
    /// [`SoleThread::enter`], then lock. Until the permit drops no other thread
    /// gets past `enter`, so no other thread holds a lock.
    #[inline]
    fn permit(&self) -> Option<Permit<'_>> {
        if self.state.load(Ordering::Relaxed) == SHARED {
            return None;
        }
        let me = thread_token();
        let owner = self.owner.load(Ordering::Relaxed);
        if owner != me
            && (owner != UNCLAIMED
                || self
                    .owner
                    .compare_exchange(UNCLAIMED, me, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err())
        {
            return None;
        }
        let depth = self.inside.load(Ordering::Relaxed);
        self.inside.store(depth + 1, Ordering::Relaxed);
        let permit = Permit {
            sole: self,
            not_send: PhantomData,
        };
        if depth > 0 {
            // Within a guard of its own: a joining thread, if one has come, waits
            // for this thread to leave, so it is still alone. (Backing off here
            // to wait for the joiner would wait for itself.)
            return Some(permit);
        }
        if self.asymmetric {
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
        // Dropping the permit steps `inside` back, also on this early return.
        (self.state.load(Ordering::Relaxed) == ALONE).then_some(permit)
    }

    /// Before locking, when [`SoleThread::permit`] said `None`: returns once the
    /// locks are shared and their sole thread, if they had one, is out.
    #[inline]
    fn enter(&self) {
        // Acquire: the joining thread that settled `SHARED` saw the sole thread
        // leave (below), so what that thread did happens before this access.
        if self.state.load(Ordering::Acquire) != SHARED {
            self.share();
        }
    }

    #[cold]
    fn share(&self) {
        let announced =
            self.state
                .compare_exchange(ALONE, SHARING, Ordering::Relaxed, Ordering::Relaxed);
        if announced.is_err() {
            // Another thread is settling it; its wait is this thread's too.
            wait_until(|| self.state.load(Ordering::Acquire) == SHARED);
            return;
        }
        if self.asymmetric {
            membarrier::all_threads();
        } else {
            fence(Ordering::SeqCst);
        }
        // After the heavy fence the owner either saw `SHARING` and will lock, or
        // had counted itself inside, which is visible now.
        wait_until(|| self.inside.load(Ordering::Acquire) == 0);
        self.state.store(SHARED, Ordering::Release);
    }

    /// The data at `data` exclusively: without locking for the sole thread, else
    /// through `lock`.
    ///
    /// # Safety
    /// `data` points to what `lock` guards, valid for `'a`, and every access to it
    /// goes through this group; the calling thread holds no other guard of it.
    #[inline]
    unsafe fn exclusive<'a, T, G>(
        &'a self,
        data: *mut T,
        lock: impl FnOnce() -> G,
    ) -> SoleExclusiveGuard<'a, T, G> {
        if let Some(permit) = self.permit() {
            // SAFETY: with the permit no other thread holds or takes the lock
            // (the caller routes every access through this group), and this
            // thread holds no other guard of it (the caller's promise).
            let value = unsafe { &mut *data };
            return SoleExclusiveGuard(Exclusive::Alone(value, permit));
        }
        self.enter();
        SoleExclusiveGuard(Exclusive::Locked(lock()))
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

/// Proof that no other thread holds or can take the locks; see
/// [`SoleThread::permit`].
struct Permit<'a> {
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

/// A mutex its sole thread skips (see the module).
pub struct SoleMutex<T> {
    sole: Arc<SoleThread>,
    mutex: Mutex<T>,
}

/// [`SoleMutex::lock`]'s guard.
pub type SoleMutexGuard<'a, T> = SoleExclusiveGuard<'a, T, MutexGuard<'a, T>>;

impl<T> SoleMutex<T> {
    /// `value` behind a mutex of the group `sole` watches.
    pub fn new(sole: &Arc<SoleThread>, value: T) -> SoleMutex<T> {
        SoleMutex {
            sole: sole.clone(),
            mutex: Mutex::new(value),
        }
    }

    /// The data, exclusively.
    #[inline]
    pub fn lock(&self) -> SoleMutexGuard<'_, T> {
        // SAFETY: the pointer is the mutex's own data, and every access to the
        // mutex goes through `self.sole`; a thread does not take a lock it holds
        // (see the module).
        unsafe {
            self.sole
                .exclusive(self.mutex.data_ptr(), || self.mutex.lock())
        }
    }

    /// The data, through a unique reference: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.mutex.get_mut()
    }
}

/// An exclusive guard of a [`SoleMutex`] or a [`SoleRwLock`]: the sole thread's
/// reference, or the real lock's guard `G`.
pub struct SoleExclusiveGuard<'a, T, G>(Exclusive<'a, T, G>);

impl<T, G> SoleExclusiveGuard<'_, T, G> {
    /// Whether this is the sole thread's guard, which holds up no other thread.
    #[inline]
    pub fn is_alone(&self) -> bool {
        matches!(self.0, Exclusive::Alone(..))
    }
}

impl<T, G: Deref<Target = T>> Deref for SoleExclusiveGuard<'_, T, G> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        match &self.0 {
            Exclusive::Alone(value, _) => value,
            Exclusive::Locked(guard) => guard,
        }
    }
}

impl<T, G: DerefMut<Target = T>> DerefMut for SoleExclusiveGuard<'_, T, G> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        match &mut self.0 {
            Exclusive::Alone(value, _) => value,
            Exclusive::Locked(guard) => guard,
        }
    }
}

/// A read-write lock its sole thread skips (see the module).
pub struct SoleRwLock<T> {
    sole: Arc<SoleThread>,
    lock: RwLock<T>,
}

/// [`SoleRwLock::read`]'s guard.
pub struct SoleReadGuard<'a, T>(Shared<'a, T>);

/// [`SoleRwLock::write`]'s guard.
pub type SoleWriteGuard<'a, T> = SoleExclusiveGuard<'a, T, RwLockWriteGuard<'a, T>>;

impl<T> SoleRwLock<T> {
    /// `value` behind a read-write lock of the group `sole` watches.
    pub fn new(sole: &Arc<SoleThread>, value: T) -> SoleRwLock<T> {
        SoleRwLock {
            sole: sole.clone(),
            lock: RwLock::new(value),
        }
    }

    /// The data, shared.
    #[inline]
    pub fn read(&self) -> SoleReadGuard<'_, T> {
        if let Some(permit) = self.sole.permit() {
            // SAFETY: with the permit no other thread holds or takes the lock, and
            // this thread holds no write guard of it (see the module).
            let value = unsafe { &*self.lock.data_ptr() };
            return SoleReadGuard(Shared::Alone(value, permit));
        }
        self.sole.enter();
        SoleReadGuard(Shared::Locked(self.lock.read()))
    }

    /// The data, exclusively.
    #[inline]
    pub fn write(&self) -> SoleWriteGuard<'_, T> {
        // SAFETY: as in `SoleMutex::lock`.
        unsafe {
            self.sole
                .exclusive(self.lock.data_ptr(), || self.lock.write())
        }
    }

    /// The data, through a unique reference: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.lock.get_mut()
    }
}

impl<T> SoleReadGuard<'_, T> {
    /// Whether this is the sole thread's guard, which holds up no other thread.
    #[inline]
    pub fn is_alone(&self) -> bool {
        matches!(self.0, Shared::Alone(..))
    }
}

impl<T> Deref for SoleReadGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        match &self.0 {
            Shared::Alone(value, _) => value,
            Shared::Locked(guard) => guard,
        }
    }
}

/// A shared guard: the sole thread's reference, or a real lock's.
enum Shared<'a, T> {
    Alone(&'a T, #[allow(dead_code)] Permit<'a>),
    Locked(RwLockReadGuard<'a, T>),
}

/// An exclusive guard: the sole thread's reference, or a real lock's guard `G`.
enum Exclusive<'a, T, G> {
    Alone(&'a mut T, #[allow(dead_code)] Permit<'a>),
    Locked(G),
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

#[cfg(all(target_os = "linux", not(miri)))]
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

/// Elsewhere, and under Miri (which checks the full-fence handshake instead).
#[cfg(any(not(target_os = "linux"), miri))]
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

    #[test]
    fn the_first_thread_goes_without_locks_until_a_second_one_comes() {
        let sole = SoleThread::new();
        let table = Arc::new(SoleMutex::new(&sole, 0u32));
        let names = Arc::new(SoleRwLock::new(&sole, String::new()));
        *table.lock() += 1;
        assert!(
            table.lock().is_alone(),
            "the first thread is the sole thread"
        );
        assert!(names.read().is_alone(), "of every lock");
        names.write().push('a');
        {
            let (_outer, _inner) = (names.read(), names.read());
            let _table = table.lock();
        }
        let (other_table, other_names) = (table.clone(), names.clone());
        thread::spawn(move || {
            let mut guard = other_table.lock();
            assert!(!guard.is_alone(), "a second thread locks");
            *guard += 1;
            drop(guard);
            assert!(!other_names.read().is_alone());
        })
        .join()
        .unwrap();
        let guard = table.lock();
        assert!(!guard.is_alone(), "shared for good");
        assert_eq!(*guard, 2);
        assert!(!names.write().is_alone());
    }

    #[test]
    fn a_joining_thread_waits_for_the_sole_threads_access_in_progress() {
        let sole = SoleThread::new();
        let table = Arc::new(SoleMutex::new(&sole, ()));
        let names = Arc::new(SoleRwLock::new(&sole, ()));
        let guard = table.lock();
        assert!(guard.is_alone());
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

    /// A thread joins while the sole thread holds a guard of one lock; the sole
    /// thread then takes another lock of the group. It must get it without
    /// waiting (the joiner waits for it), and the joiner must get in after.
    #[test]
    fn the_sole_thread_takes_more_locks_while_a_joiner_waits() {
        let sole = SoleThread::new();
        let table = Arc::new(SoleMutex::new(&sole, 0u32));
        let names = Arc::new(SoleRwLock::new(&sole, 0u32));
        let (done, finished) = std::sync::mpsc::channel();
        let owner = {
            let (table, names) = (table.clone(), names.clone());
            thread::spawn(move || {
                let mut outer = table.lock();
                let joiner = {
                    let names = names.clone();
                    thread::spawn(move || *names.write() += 1)
                };
                // The joiner is most likely announced and waiting by now.
                thread::sleep(Duration::from_millis(50));
                let mut inner = names.write();
                assert!(inner.is_alone(), "the joiner waits for this thread");
                *inner += 1;
                *outer += 1;
                drop((inner, outer));
                joiner.join().unwrap();
                done.send(()).unwrap();
            })
        };
        let waited = finished.recv_timeout(Duration::from_secs(60));
        assert!(
            waited.is_ok(),
            "deadlocked: the sole thread waited for the joiner"
        );
        owner.join().unwrap();
        assert_eq!((*table.lock(), *names.read()), (1, 2));
    }

    /// Increments from the sole thread and from threads joining while it counts:
    /// none is lost, and under Miri no access races another.
    #[test]
    fn counts_made_across_the_handover_all_land() {
        const EACH: u64 = if cfg!(miri) { 50 } else { 20_000 };
        let sole = SoleThread::new();
        let count = Arc::new(SoleMutex::new(&sole, 0u64));
        let names = Arc::new(SoleRwLock::new(&sole, 0u64));
        let first = {
            let (count, names) = (count.clone(), names.clone());
            thread::spawn(move || {
                for _ in 0..EACH {
                    *count.lock() += 1;
                    *names.write() += 1;
                    assert!(*names.read() >= *count.lock());
                }
            })
        };
        let joiners: Vec<_> = (0..2)
            .map(|_| {
                let (count, names) = (count.clone(), names.clone());
                thread::spawn(move || {
                    for _ in 0..EACH {
                        *names.write() += 1;
                        *count.lock() += 1;
                    }
                })
            })
            .collect();
        first.join().unwrap();
        joiners
            .into_iter()
            .for_each(|joiner| joiner.join().unwrap());
        assert_eq!(*count.lock(), 3 * EACH);
        assert_eq!(*names.read(), 3 * EACH);
    }

    #[test]
    fn threads_get_distinct_tokens() {
        let here = thread_token();
        assert_eq!(here, thread_token());
        let there = thread::spawn(thread_token).join().unwrap();
        assert_ne!(here, there);
        assert_ne!(here, UNCLAIMED);
    }
}
