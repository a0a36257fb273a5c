//! The lock manager across real threads, each waiting with `block_on` as the
//! blocking calls of the shim do.
//!
//! Every wait is bounded: results come back over channels read with a generous
//! timeout, so a lost wakeup or a deadlock fails the test instead of hanging it.

use futures::executor::block_on;
use futures::future::{select, Either};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use vfs_core::Errno;
use vfs_posix_shim::locks::{FileKey, LockKind, LockManager, LockRange};

/// Long enough that a slow machine never fails spuriously.
const TIMEOUT: Duration = Duration::from_secs(30);

const FILE: FileKey = FileKey { mount: 1, ino: 2 };
const R: Option<LockKind> = Some(LockKind::Read);
const W: Option<LockKind> = Some(LockKind::Write);

fn range(start: u64, end: u64) -> LockRange {
    LockRange {
        start,
        end: Some(end),
    }
}

const WHOLE: LockRange = LockRange {
    start: 0,
    end: None,
};

/// Waits until `manager` has `count` waiting requests; panics after [`TIMEOUT`].
fn wait_for_waiters(manager: &LockManager, count: usize) {
    let deadline = Instant::now() + TIMEOUT;
    while manager.waiters() != count {
        assert!(Instant::now() < deadline, "waiters never reached {count}");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn setlkw_waits_until_the_holder_unlocks() {
    let manager = Arc::new(LockManager::new());
    let unlocked = Arc::new(AtomicBool::new(false));
    block_on(manager.set_record(FILE, 1, W, range(0, 100), false)).unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let (manager, unlocked) = (manager.clone(), unlocked.clone());
        thread::spawn(move || {
            let result = block_on(manager.set_record(FILE, 2, R, range(50, 60), true));
            tx.send((result, unlocked.load(Ordering::SeqCst))).unwrap();
        })
    };
    wait_for_waiters(&manager, 1);
    assert!(
        rx.try_recv().is_err(),
        "the waiter got the lock while it was held"
    );
    unlocked.store(true, Ordering::SeqCst);
    block_on(manager.set_record(FILE, 1, None, range(0, 100), false)).unwrap();
    let (result, saw_unlock) = rx.recv_timeout(TIMEOUT).expect("waiter never woke");
    result.unwrap();
    assert!(saw_unlock);
    waiter.join().unwrap();
    assert_eq!(
        manager
            .test_record(FILE, 1, LockKind::Write, WHOLE)
            .map(|c| (c.owner, c.kind, c.range)),
        Some((2, LockKind::Read, range(50, 60)))
    );
    manager.release_records(FILE, 2);
    assert!(manager.is_idle());
}

#[test]
fn flock_exclusive_waits() {
    let manager = Arc::new(LockManager::new());
    let unlocked = Arc::new(AtomicBool::new(false));
    block_on(manager.flock(FILE, 1, R, false)).unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let (manager, unlocked) = (manager.clone(), unlocked.clone());
        thread::spawn(move || {
            let result = block_on(manager.flock(FILE, 2, W, true));
            tx.send((result, unlocked.load(Ordering::SeqCst))).unwrap();
        })
    };
    wait_for_waiters(&manager, 1);
    // Record locks do not disturb the flock waiter.
    block_on(manager.set_record(FILE, 1, W, WHOLE, false)).unwrap();
    manager.release_records(FILE, 1);
    assert!(rx.try_recv().is_err());
    unlocked.store(true, Ordering::SeqCst);
    manager.release_flock(FILE, 1);
    let (result, saw_unlock) = rx.recv_timeout(TIMEOUT).expect("waiter never woke");
    result.unwrap();
    assert!(saw_unlock);
    waiter.join().unwrap();
    assert_eq!(
        block_on(manager.flock(FILE, 1, R, false))
            .unwrap_err()
            .errno(),
        Errno::EAGAIN
    );
    block_on(manager.flock(FILE, 2, None, false)).unwrap();
    assert!(manager.is_idle());
}

#[test]
fn two_owner_cycle_is_edeadlk() {
    let manager = Arc::new(LockManager::new());
    let r1 = range(0, 10);
    let r2 = range(10, 20);
    block_on(manager.set_record(FILE, 1, W, r1, false)).unwrap();
    block_on(manager.set_record(FILE, 2, W, r2, false)).unwrap();
    let (tx, rx) = mpsc::channel();
    let a = {
        let manager = manager.clone();
        thread::spawn(move || {
            tx.send(block_on(manager.set_record(FILE, 1, W, r2, true)))
                .unwrap();
        })
    };
    wait_for_waiters(&manager, 1);
    let error = block_on(manager.set_record(FILE, 2, W, r1, true)).unwrap_err();
    assert_eq!(error.errno(), Errno::EDEADLK);
    assert!(rx.try_recv().is_err(), "A must still be waiting");
    // B backs off; A proceeds.
    manager.release_records(FILE, 2);
    rx.recv_timeout(TIMEOUT).expect("A never woke").unwrap();
    a.join().unwrap();
    manager.release_records(FILE, 1);
    assert!(manager.is_idle());
}

#[test]
fn dropped_waiting_future_leaves_no_waiter() {
    let manager = LockManager::new();
    block_on(manager.set_record(FILE, 1, W, WHOLE, false)).unwrap();
    block_on(manager.flock(FILE, 1, W, false)).unwrap();
    // The ready future wins; the waiting one is polled once, then dropped.
    let waiting = Box::pin(manager.set_record(FILE, 2, W, range(0, 1), true));
    match block_on(select(waiting, futures::future::ready(()))) {
        Either::Right(((), waiting)) => drop(waiting),
        Either::Left(_) => panic!("the lock was granted while held"),
    }
    let waiting = Box::pin(manager.flock(FILE, 2, W, true));
    match block_on(select(waiting, futures::future::ready(()))) {
        Either::Right(((), waiting)) => drop(waiting),
        Either::Left(_) => panic!("the flock was granted while held"),
    }
    assert_eq!(manager.waiters(), 0);
    block_on(manager.set_record(FILE, 1, None, WHOLE, false)).unwrap();
    manager.release_flock(FILE, 1);
    assert!(manager.is_idle());
    block_on(manager.set_record(FILE, 2, W, range(0, 1), false)).unwrap();
    block_on(manager.flock(FILE, 2, W, false)).unwrap();
    manager.release_records(FILE, 2);
    manager.release_flock(FILE, 2);
    assert!(manager.is_idle());
}

/// Many threads taking a write record lock and an exclusive flock in turn: never two
/// inside the same lock at once, nobody is left waiting, all is released at the end.
#[test]
fn contending_threads_exclude_each_other() {
    const THREADS: u64 = 8;
    const ROUNDS: usize = 200;
    let manager = Arc::new(LockManager::new());
    // One counter per kind of lock: odd while someone is inside.
    let inside = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let (tx, rx) = mpsc::channel();
    for owner in 1..=THREADS {
        let (manager, inside, tx) = (manager.clone(), inside.clone(), tx.clone());
        thread::spawn(move || {
            let result = (|| -> vfs_core::Result<()> {
                for round in 0..ROUNDS {
                    // Alternate the two lock kinds, which must not exclude each other.
                    if round % 2 == 0 {
                        block_on(manager.set_record(FILE, owner, W, range(0, 1), true))?;
                    } else {
                        block_on(manager.flock(FILE, owner, W, true))?;
                    }
                    let counter = &inside[round % 2];
                    assert_eq!(counter.fetch_add(1, Ordering::SeqCst) % 2, 0);
                    thread::yield_now();
                    counter.fetch_add(1, Ordering::SeqCst);
                    if round % 2 == 0 {
                        block_on(manager.set_record(FILE, owner, None, WHOLE, false))?;
                    } else {
                        block_on(manager.flock(FILE, owner, None, false))?;
                    }
                }
                Ok(())
            })();
            tx.send(result).unwrap();
        });
    }
    drop(tx);
    for _ in 0..THREADS {
        rx.recv_timeout(TIMEOUT)
            .expect("a thread never finished")
            .unwrap();
    }
    assert!(manager.is_idle());
}
