//! Lock-free reads of a process's state while only one thread uses the process.
//!
//! Linux's `fdget` takes no reference on the file when the calling task is the
//! only one sharing its descriptor table: nobody else can close the descriptor
//! under it. This is the same idea for a [`crate::Process`]. Its first thread
//! becomes its *sole thread* and may read the state a lock guards without the
//! lock ([`SoleThread::read_unlocked`]); every locked access first calls
//! [`SoleThread::enter`], and the first one from a second thread ends the sole
//! thread's privilege for good, waiting out a read it may be in. On a 4 KiB
//! `pread` from memory this saves the table lock and the description's reference
//! count, four of its six locked instructions; each one also waits for the
//! previous read's copy to drain from the store buffer.
//!
//! The handshake is Dekker's: the sole thread publishes that it reads, then checks
//! it is still alone; the joining thread publishes that the process is shared,
//! then checks for a read in progress. Each side needs a full fence between its
//! store and its load. A fence on every read would cost what the locks cost, so
//! the fences are asymmetric (as in liburcu and folly): the reader's is only a
//! compiler fence, and the rare joining thread pays with `membarrier(2)`, which
//! runs a full fence on every CPU running a thread of this OS process. Where
//! `membarrier` is missing or refused, both sides take a real fence instead.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicU64, Ordering};

/// [`SoleThread::user`] before any thread has used the process.
const UNCLAIMED: u64 = 0;

/// [`SoleThread::user`] once two threads have: every access locks.
const SHARED: u64 = u64::MAX;

/// Which thread of a process, if only one, may read its state without locks.
pub(crate) struct SoleThread {
    /// The token of the one thread that has used the process, or [`UNCLAIMED`], or
    /// [`SHARED`].
    user: AtomicU64,
    /// True while that thread reads without locks.
    reading: AtomicBool,
}

impl SoleThread {
    /// No thread yet: the first to [`SoleThread::enter`] becomes the sole thread.
    pub(crate) fn new() -> SoleThread {
        SoleThread {
            user: AtomicU64::new(UNCLAIMED),
            reading: AtomicBool::new(false),
        }
    }

    /// Records the calling thread as a user of the process. Call it before every
    /// locked access to state that [`SoleThread::read_unlocked`] readers read: the
    /// first caller becomes the sole thread; a caller from another thread makes the
    /// process shared and returns once the sole thread is not reading unlocked.
    #[inline]
    pub(crate) fn enter(&self) {
        let me = thread_token();
        match self.user.load(Ordering::Relaxed) {
            user if user == me || user == SHARED => {}
            UNCLAIMED
                if self
                    .user
                    .compare_exchange(UNCLAIMED, me, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok() => {}
            _ => self.share(),
        }
    }

    /// Ends the sole thread's privilege, waiting for its unlocked read, if any.
    #[cold]
    fn share(&self) {
        self.user.store(SHARED, Ordering::Relaxed);
        heavy_fence();
        // After the heavy fence the sole thread either saw `SHARED` and will lock,
        // or had set `reading`, which is visible now.
        let mut spins = 0u32;
        while self.reading.load(Ordering::Acquire) {
            if spins < 64 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// A permit to read without locks, when the calling thread is the sole thread;
    /// `None` otherwise (lock as usual). Until the permit drops, no other thread
    /// gets past [`SoleThread::enter`], so no other thread holds the locks. The
    /// permit cannot leave the thread, and the caller must not hold one of those
    /// locks itself (a `&` read beside a `&mut` guard) nor take a second permit.
    #[inline]
    pub(crate) fn read_unlocked(&self) -> Option<UnlockedRead<'_>> {
        let me = thread_token();
        if self.user.load(Ordering::Relaxed) != me {
            return None;
        }
        debug_assert!(!self.reading.load(Ordering::Relaxed), "nested permits");
        self.reading.store(true, Ordering::Relaxed);
        light_fence();
        let permit = UnlockedRead {
            sole: self,
            not_send: PhantomData,
        };
        // Dropping the permit clears `reading`, also on this early return.
        (self.user.load(Ordering::Relaxed) == me).then_some(permit)
    }
}

/// Proof that no other thread can take the locks [`SoleThread::enter`] guards;
/// see [`SoleThread::read_unlocked`].
pub(crate) struct UnlockedRead<'a> {
    sole: &'a SoleThread,
    /// Keeps the permit on its thread: the guarantee is about this thread.
    not_send: PhantomData<*const ()>,
}

impl Drop for UnlockedRead<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: whatever was read happens before a joining thread's changes.
        self.sole.reading.store(false, Ordering::Release);
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
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn the_first_thread_reads_unlocked_until_a_second_one_enters() {
        let sole = Arc::new(SoleThread::new());
        assert!(sole.read_unlocked().is_none(), "nobody has entered yet");
        sole.enter();
        assert!(sole.read_unlocked().is_some());
        assert!(
            sole.read_unlocked().is_some(),
            "a dropped permit can be taken again"
        );
        let other = sole.clone();
        thread::spawn(move || {
            assert!(other.read_unlocked().is_none(), "not the sole thread");
            other.enter();
        })
        .join()
        .unwrap();
        assert!(sole.read_unlocked().is_none(), "shared for good");
        sole.enter();
        assert!(sole.read_unlocked().is_none());
    }

    #[test]
    fn a_joining_thread_waits_for_the_unlocked_read_in_progress() {
        let sole = Arc::new(SoleThread::new());
        sole.enter();
        let permit = sole.read_unlocked().expect("sole thread");
        let read_done = Arc::new(AtomicBool::new(false));
        let joiner = {
            let (sole, read_done) = (sole.clone(), read_done.clone());
            thread::spawn(move || {
                sole.enter();
                read_done.load(Ordering::SeqCst)
            })
        };
        // Without the wait the joiner would be back long before this.
        thread::sleep(Duration::from_millis(50));
        read_done.store(true, Ordering::SeqCst);
        drop(permit);
        assert!(joiner.join().unwrap(), "enter returned during the read");
    }

    #[test]
    fn threads_get_distinct_tokens() {
        let here = thread_token();
        assert_eq!(here, thread_token());
        let there = thread::spawn(thread_token).join().unwrap();
        assert_ne!(here, there);
        assert!(![UNCLAIMED, SHARED].contains(&here));
    }
}
