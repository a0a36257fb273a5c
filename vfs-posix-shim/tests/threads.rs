//! Threads sharing shim processes: atomic appends, descriptor allocation, and
//! advisory locks that block and wake as POSIX says.
//!
//! Every test is bounded: threads report back over channels read with a generous
//! timeout, so a hang fails the test instead of stalling it, and no assertion
//! depends on timing (sleeps only make a waiter likely to be asleep when it is
//! woken; the ordering is proven with flags either way).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;
use vfs_core::{Errno, MountOptions, OpenFlags};
use vfs_posix_shim::{Fd, FlockOp, LockType, Process, RecordLock, Vfs, Whence};

const THREADS: usize = 8;

/// Long enough that a slow machine never fails spuriously; only a hang reaches it.
const TIMEOUT: Duration = Duration::from_secs(60);

/// How long the holder of a lock waits before releasing it, so that the waiter is
/// most likely blocked by then (correctness does not depend on it).
const LET_WAITER_BLOCK: Duration = Duration::from_millis(50);

const RW_CREATE: OpenFlags = OpenFlags::RDWR.union(OpenFlags::CREATE);

/// Runs `work` on a new thread; the result comes back through [`Running::result`].
struct Running<T> {
    result: mpsc::Receiver<T>,
    name: String,
}

fn spawn<T: Send + 'static>(name: &str, work: impl FnOnce() -> T + Send + 'static) -> Running<T> {
    let (sender, result) = mpsc::channel();
    thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            // A panic drops the sender, which `result` reports.
            let _ = sender.send(work());
        })
        .expect("spawn");
    Running {
        result,
        name: name.to_string(),
    }
}

impl<T> Running<T> {
    /// The thread's result; panics if it panicked or did not finish in time.
    fn result(self) -> T {
        match self.result.recv_timeout(TIMEOUT) {
            Ok(value) => value,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("{} hung", self.name),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{} panicked", self.name),
        }
    }
}

/// The errno of a failed call (the context is for people).
fn errno<T>(result: vfs_core::Result<T>) -> Option<Errno> {
    result.err().map(|e| e.errno())
}

fn new_world() -> Arc<Vfs> {
    Vfs::from_url("ram://").expect("ram:// mounts")
}

/// The length of the `index`th record thread `writer` appends: varied, so records
/// of different threads overlap in time in many ways.
fn record_len(writer: usize, index: usize) -> usize {
    1 + (index * 37 + writer * 101) % 700
}

const RECORDS_PER_WRITER: usize = 200;

/// Checks that `data` is made of whole records: each maximal run of one writer's
/// byte ends on a boundary of that writer's records, taken in the order written.
fn assert_whole_records(data: &[u8]) {
    let mut next_record = [0usize; THREADS];
    let mut at = 0;
    while at < data.len() {
        let value = data[at];
        let writer = usize::from(value - b'a');
        assert!(writer < THREADS, "stray byte {value} at {at}");
        let run = data[at..].iter().take_while(|&&b| b == value).count();
        let mut covered = 0;
        while covered < run {
            assert!(
                next_record[writer] < RECORDS_PER_WRITER,
                "writer {writer} has more data than it wrote"
            );
            covered += record_len(writer, next_record[writer]);
            next_record[writer] += 1;
        }
        assert_eq!(
            covered,
            run,
            "a record of writer {writer} is split at offset {}",
            at + run
        );
        at += run;
    }
    assert_eq!(next_record, [RECORDS_PER_WRITER; THREADS]);
}

#[test]
fn concurrent_appends_land_whole() {
    let process = Arc::new(new_world().process());
    let writers: Vec<Running<usize>> = (0..THREADS)
        .map(|writer| {
            let process = process.clone();
            spawn(&format!("appender {writer}"), move || {
                let posix = process.blocking();
                let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::APPEND;
                let fd = posix.open("/log", flags, 0o644).unwrap();
                let value = b'a' + writer as u8;
                let mut written = 0;
                for index in 0..RECORDS_PER_WRITER {
                    let record = vec![value; record_len(writer, index)];
                    assert_eq!(posix.write(fd, &record).unwrap(), record.len());
                    written += record.len();
                }
                posix.close(fd).unwrap();
                written
            })
        })
        .collect();
    let total: usize = writers.into_iter().map(Running::result).sum();
    let posix = process.blocking();
    assert_eq!(posix.stat("/log").unwrap().size, total as u64);
    let fd = posix.open("/log", OpenFlags::RDONLY, 0).unwrap();
    let mut data = vec![0; total + 1];
    assert_eq!(posix.read(fd, &mut data).unwrap(), total);
    data.truncate(total);
    assert_whole_records(&data);
}

#[test]
fn concurrent_appends_through_one_shared_descriptor_land_whole() {
    let process = Arc::new(new_world().process());
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::APPEND;
    let fd = process.blocking().open("/log", flags, 0o644).unwrap();
    let writers: Vec<Running<usize>> = (0..THREADS)
        .map(|writer| {
            let process = process.clone();
            spawn(&format!("appender {writer}"), move || {
                let value = b'a' + writer as u8;
                (0..RECORDS_PER_WRITER)
                    .map(|index| {
                        let record = vec![value; record_len(writer, index)];
                        process.blocking().write(fd, &record).unwrap()
                    })
                    .sum()
            })
        })
        .collect();
    let total: usize = writers.into_iter().map(Running::result).sum();
    let posix = process.blocking();
    assert_eq!(posix.fstat(fd).unwrap().size, total as u64);
    assert_eq!(posix.lseek(fd, 0, Whence::Current).unwrap(), total as u64);
    posix.close(fd).unwrap();
    let mut data = vec![0; total];
    let reader = posix.open("/log", OpenFlags::RDONLY, 0).unwrap();
    assert_eq!(posix.read(reader, &mut data).unwrap(), total);
    assert_whole_records(&data);
}

#[test]
fn concurrent_opens_never_share_a_descriptor() {
    const ROUNDS: usize = 500;
    let process = Arc::new(new_world().process());
    process
        .blocking()
        .open("/f", RW_CREATE, 0o644)
        .and_then(|fd| process.blocking().close(fd))
        .unwrap();
    let live: Arc<Mutex<HashSet<Fd>>> = Arc::default();
    let workers: Vec<Running<()>> = (0..THREADS)
        .map(|worker| {
            let (process, live) = (process.clone(), live.clone());
            spawn(&format!("opener {worker}"), move || {
                let posix = process.blocking();
                for round in 0..ROUNDS {
                    // Some threads hold two descriptors at once, so numbers are
                    // freed and reused out of order.
                    let held = 1 + (worker + round) % 2;
                    let fds: Vec<Fd> = (0..held)
                        .map(|_| posix.open("/f", OpenFlags::RDONLY, 0).unwrap())
                        .collect();
                    for &fd in &fds {
                        assert!(live.lock().unwrap().insert(fd), "fd {fd} handed out twice");
                    }
                    for fd in fds {
                        // Out of the set before it is freed, so another thread
                        // may get the number right after.
                        assert!(live.lock().unwrap().remove(&fd));
                        posix.close(fd).unwrap();
                    }
                }
            })
        })
        .collect();
    workers.into_iter().for_each(Running::result);
    assert!(live.lock().unwrap().is_empty());
    assert_eq!(process.blocking().open("/f", OpenFlags::RDONLY, 0), Ok(0));
}

/// The only thread that has used a process reads its descriptors without the
/// table's lock. Another thread closing a descriptor under those reads must wait
/// out the one in progress: after it the reads fail with `EBADF`, every read before
/// it returned the file's bytes, and once the reader stops nothing holds the file
/// (its mount can go).
#[test]
fn a_descriptor_closed_by_a_second_thread_under_the_first_ones_reads() {
    const PAGE: usize = 4096;
    const PAGES: usize = 16;
    for round in 0..20u64 {
        let process = Arc::new(new_world().process());
        let (opened, fd) = mpsc::channel();
        let reader = {
            let process = process.clone();
            spawn("reader", move || {
                let posix = process.blocking();
                posix.mkdir("/mnt", 0o755).unwrap();
                posix
                    .mount("/mnt", "ram://", MountOptions::default())
                    .unwrap();
                let fd = posix.open("/mnt/file", RW_CREATE, 0o644).unwrap();
                let data: Vec<u8> = (0..PAGE * PAGES).map(|i| (i % 251) as u8).collect();
                posix.write(fd, &data).unwrap();
                opened.send(fd).unwrap();
                let mut buffer = vec![0; PAGE];
                for reads in 0.. {
                    let at = reads % PAGES * PAGE;
                    match posix.pread(fd, &mut buffer, at as i64) {
                        Ok(n) => assert_eq!(buffer[..n], data[at..at + PAGE], "read {reads}"),
                        Err(e) => {
                            assert_eq!(e.errno(), Errno::EBADF);
                            return;
                        }
                    }
                }
            })
        };
        let fd = fd
            .recv_timeout(TIMEOUT)
            .expect("the reader opened the file");
        // Closes at varied points of the reads; any point must do.
        thread::sleep(Duration::from_micros(round * 100));
        let posix = process.blocking();
        posix.close(fd).unwrap();
        reader.result();
        assert_eq!(posix.umount("/mnt"), Ok(()), "round {round}");
    }
}

/// A write lock on bytes `start..start + len` (`len` 0: to the end).
fn write_lock(start: i64, len: i64) -> RecordLock {
    RecordLock {
        lock_type: LockType::Write,
        whence: Whence::Set,
        start,
        len,
        pid: 0,
    }
}

fn unlock(start: i64, len: i64) -> RecordLock {
    RecordLock {
        lock_type: LockType::Unlock,
        ..write_lock(start, len)
    }
}

/// Two processes of one world, each with the file `/f` open read-write.
fn two_owners() -> [(Arc<Process>, Fd); 2] {
    let vfs = new_world();
    [0, 1].map(|_| {
        let process = Arc::new(vfs.process());
        let fd = process.blocking().open("/f", RW_CREATE, 0o644).unwrap();
        (process, fd)
    })
}

#[test]
fn setlk_on_a_range_held_by_another_process_is_eagain() {
    let [(holder, held), (other, fd)] = two_owners();
    holder
        .blocking()
        .setlk(held, write_lock(0, 10), false)
        .unwrap();
    let posix = other.blocking();
    let eagain = Some(Errno::EAGAIN);
    assert_eq!(errno(posix.setlk(fd, write_lock(5, 5), false)), eagain);
    let read = RecordLock {
        lock_type: LockType::Read,
        ..write_lock(9, 0)
    };
    assert_eq!(errno(posix.setlk(fd, read, false)), eagain);
    let conflict = posix.getlk(fd, write_lock(0, 0)).unwrap();
    assert_eq!(
        (
            conflict.lock_type,
            conflict.start,
            conflict.len,
            conflict.pid
        ),
        (LockType::Write, 0, 10, holder.pid())
    );
    assert_eq!(posix.setlk(fd, write_lock(10, 5), false), Ok(()));
    holder.blocking().setlk(held, unlock(0, 0), false).unwrap();
    assert_eq!(posix.setlk(fd, write_lock(0, 0), false), Ok(()));
}

/// Runs `wait` (a call that must block) on a thread, then `release` (what must
/// unblock it) here; asserts that `wait` returned only after `release` began.
fn assert_wakes_only_after(wait: impl FnOnce() + Send + 'static, release: impl FnOnce()) {
    let releasing = Arc::new(AtomicBool::new(false));
    let returned = Arc::new(AtomicBool::new(false));
    let waiting = {
        let (releasing, returned) = (releasing.clone(), returned.clone());
        spawn("waiter", move || {
            wait();
            returned.store(true, Ordering::SeqCst);
            releasing.load(Ordering::SeqCst)
        })
    };
    thread::sleep(LET_WAITER_BLOCK);
    assert!(!returned.load(Ordering::SeqCst), "the call did not wait");
    releasing.store(true, Ordering::SeqCst);
    release();
    assert!(waiting.result(), "the call returned before the release");
}

/// One process holds a write lock on all of `/f` while a thread of the other
/// waits for it with `F_SETLKW`, until `release` frees it; then the waiter holds
/// the lock.
fn assert_setlkw_wakes_on(release: impl FnOnce(&Process, Fd)) {
    let [(holder, held), (waiter, fd)] = two_owners();
    holder
        .blocking()
        .setlk(held, write_lock(0, 0), false)
        .unwrap();
    assert_wakes_only_after(
        move || waiter.blocking().setlk(fd, write_lock(0, 0), true).unwrap(),
        || release(&holder, held),
    );
    let probe = holder.blocking().open("/f", OpenFlags::RDWR, 0).unwrap();
    assert_eq!(
        errno(holder.blocking().setlk(probe, write_lock(0, 1), false)),
        Some(Errno::EAGAIN),
        "the waiter holds the lock"
    );
}

#[test]
fn setlkw_waits_for_unlock() {
    assert_setlkw_wakes_on(|holder, fd| {
        holder.blocking().setlk(fd, unlock(0, 0), false).unwrap();
    });
}

#[test]
fn closing_any_descriptor_of_the_file_releases_record_locks() {
    assert_setlkw_wakes_on(|holder, _| {
        let posix = holder.blocking();
        let other_descriptor = posix.open("/f", OpenFlags::RDONLY, 0).unwrap();
        posix.close(other_descriptor).unwrap();
    });
}

#[test]
fn flock_exclusive_blocks_another_description_until_unlocked() {
    let process = Arc::new(new_world().process());
    let posix = process.blocking();
    let holder = posix.open("/f", RW_CREATE, 0o644).unwrap();
    let other = posix.open("/f", OpenFlags::RDONLY, 0).unwrap();
    posix.flock(holder, FlockOp::Exclusive, false).unwrap();
    for op in [FlockOp::Exclusive, FlockOp::Shared] {
        assert_eq!(errno(posix.flock(other, op, true)), Some(Errno::EAGAIN));
    }
    let waiter = process.clone();
    assert_wakes_only_after(
        move || {
            waiter
                .blocking()
                .flock(other, FlockOp::Exclusive, false)
                .unwrap()
        },
        || posix.flock(holder, FlockOp::Unlock, false).unwrap(),
    );
    assert_eq!(
        errno(posix.flock(holder, FlockOp::Shared, true)),
        Some(Errno::EAGAIN)
    );
}
