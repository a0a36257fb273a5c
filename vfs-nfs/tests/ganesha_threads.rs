//! Many threads on one mount of nfs-ganesha: the mount's connection set
//! (`vfs_nfs::rpc::CONNECTIONS` connections) carries them all, and every byte
//! lands where it was written.
//!
//! This file holds one test so that its process opens no other NFS connection while
//! the connections are counted.

mod support;

use futures::executor::block_on;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use support::{random_bytes, read_file, server_url, write_file, TestDir};
use vfs_core::Errno;

const WRITERS: usize = 16;
const READERS: usize = 4;
/// Small transfers, so each file takes several WRITEs and READs in flight at once.
const WSIZE: usize = 64 * 1024;

/// Established TCP connections of this process to port `port`: the sockets behind
/// its own file descriptors, looked up in the kernel's connection table. Sockets of
/// other processes (the server's end, libnfs tools) are not counted.
fn connections_to(port: u16) -> usize {
    let mine: HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    let mut count = 0;
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(remote), Some(state), Some(inode)) =
                (fields.get(2), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let remote_port = remote
                .rsplit(':')
                .next()
                .and_then(|hex| u16::from_str_radix(hex, 16).ok());
            // State 01 is ESTABLISHED.
            if remote_port == Some(port) && *state == "01" && mine.contains(*inode) {
                count += 1;
            }
        }
    }
    count
}

/// Runs `work`, then meets the others twice (even when `work` panicked, so a
/// failing thread cannot leave the others waiting forever), then passes on the
/// panic.
fn meet_after(meet: &Barrier, work: impl FnOnce()) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    meet.wait();
    meet.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn sixteen_writers_and_four_readers_share_one_connection_set() {
    let dir = TestDir::new("threads");
    let nfs_port = vfs_nfs::NfsUrl::parse(server_url())
        .unwrap()
        .nfs_port
        .unwrap_or(2049);
    // The support module's own mount (which made the directory) is counted here.
    let before = connections_to(nfs_port);
    let ns = dir.mount(&format!("wsize={WSIZE}&rsize={WSIZE}"));
    let shared = random_bytes(1000, 5 * WSIZE + 3);
    write_file(&ns, "/shared", &shared).unwrap();

    // Everyone meets twice in the middle of the work: the connections are counted
    // while every thread has done I/O and none has finished.
    let meet = Arc::new(Barrier::new(WRITERS + READERS + 1));
    let writers_done = Arc::new(AtomicBool::new(false));
    let sizes = [1, WSIZE - 1, WSIZE, WSIZE + 1, 3 * WSIZE + 77];
    let mut writers = Vec::new();
    for thread in 0..WRITERS {
        let (ns, meet) = (ns.clone(), meet.clone());
        writers.push(std::thread::spawn(move || {
            let me = ns.root_caller();
            let file = |i: usize| format!("/t{thread}-f{i}");
            let content = |i: usize| random_bytes((thread * 100 + i) as u64, sizes[i]);
            meet_after(&meet, || {
                for i in 0..sizes.len() {
                    write_file(&ns, &file(i), &content(i)).unwrap();
                }
                for i in 0..sizes.len() {
                    assert!(
                        read_file(&ns, &file(i)).unwrap() == content(i),
                        "{}",
                        file(i)
                    );
                }
            });
            // Rewritten with other content after the count, then removed.
            for (i, size) in sizes.into_iter().enumerate() {
                let other = random_bytes((thread * 100 + i + 50) as u64, size);
                write_file(&ns, &file(i), &other).unwrap();
                assert!(read_file(&ns, &file(i)).unwrap() == other, "{}", file(i));
                block_on(ns.unlink(&me, file(i))).unwrap();
                let gone = block_on(ns.stat(&me, file(i))).unwrap_err();
                assert_eq!(gone.errno(), Errno::ENOENT, "{}", file(i));
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let (ns, meet, done, shared) = (
            ns.clone(),
            meet.clone(),
            writers_done.clone(),
            shared.clone(),
        );
        readers.push(std::thread::spawn(move || {
            let read = || assert!(read_file(&ns, "/shared").unwrap() == shared, "shared");
            // One read before the count, at least two more alongside the writers,
            // and on until they are done.
            meet_after(&meet, read);
            let mut reads = 1;
            while reads < 3 || !done.load(Ordering::Relaxed) {
                read();
                reads += 1;
            }
        }));
    }
    meet.wait();
    let during = connections_to(nfs_port);
    meet.wait();
    for writer in writers {
        writer.join().expect("a writer failed");
    }
    writers_done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().expect("a reader failed");
    }
    assert_eq!(
        during,
        before + vfs_nfs::rpc::CONNECTIONS,
        "connections to port {nfs_port} with {} threads on one mount",
        WRITERS + READERS
    );
    let me = ns.root_caller();
    let left: Vec<String> = block_on(ns.read_dir(&me, "/"))
        .unwrap()
        .into_iter()
        .map(|entry| entry.name.to_string())
        .collect();
    assert_eq!(left, vec!["shared".to_string()]);
}
