//! Streaming on nfs-ganesha: readahead never serves stale data, write-behind
//! never loses a failure, a streaming writer's memory stays bounded, and READ
//! data arriving in small pieces lands whole without stalling the calls after it.

mod support;

use futures::executor::block_on;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use support::{random_bytes, TestDir};
use vfs_core::{Errno, OpenFlags};

const MIB: usize = 1 << 20;

/// Reads `len` bytes of `file` from `offset` on in `chunk`-sized sequential reads.
fn read_seq(file: &vfs_core::FileHandle, offset: u64, len: usize, chunk: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    let mut done = 0;
    while done < len {
        let end = (done + chunk).min(len);
        let n = block_on(file.read_at(offset + done as u64, &mut out[done..end])).unwrap();
        if n == 0 {
            break;
        }
        done += n;
    }
    out.truncate(done);
    out
}

#[test]
fn readahead_sees_this_mounts_writes_and_truncation() {
    let dir = TestDir::new("readahead");
    let content = random_bytes(21, 12 * MIB);
    std::fs::write(dir.local().join("f"), &content).unwrap();
    let ns = dir.mount("");
    let me = ns.root_caller();
    let reader = block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap();
    let writer = block_on(ns.open(&me, "/f", OpenFlags::WRONLY, 0)).unwrap();
    let mut expected = content.clone();

    // The first megabyte starts the window; the range just ahead is then written.
    assert!(read_seq(&reader, 0, MIB, MIB) == expected[..MIB]);
    let patch = random_bytes(22, 300_000);
    let at = MIB + 4096;
    assert_eq!(
        block_on(writer.write_at(at as u64, &patch)).unwrap(),
        patch.len()
    );
    expected[at..at + patch.len()].copy_from_slice(&patch);
    assert!(
        read_seq(&reader, MIB as u64, 3 * MIB, MIB) == expected[MIB..4 * MIB],
        "a sequential read after this mount's write"
    );

    // Truncated by this mount in the middle of the window: the reader meets the
    // new end of file, not the data read ahead.
    block_on(ns.truncate(&me, "/f", (5 * MIB) as u64)).unwrap();
    expected.truncate(5 * MIB);
    let rest = read_seq(&reader, 4 * MIB as u64, 8 * MIB, MIB);
    assert!(rest == expected[4 * MIB..], "after truncation");

    // Small sequential reads cross pieces of the window correctly.
    let small = block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap();
    assert!(read_seq(&small, 0, 5 * MIB, 100_000) == expected);
    // A random reader is served right too.
    let mut buf = vec![0; 5000];
    let n = block_on(small.read_at(3_000_000, &mut buf)).unwrap();
    assert!(buf[..n] == expected[3_000_000..3_005_000]);
    for file in [reader, writer, small] {
        block_on(file.close()).unwrap();
    }
}

#[test]
fn reopen_after_a_change_on_the_server_reads_no_readahead_data() {
    let dir = TestDir::new("readahead-cto");
    let local = dir.local().join("f");
    std::fs::write(&local, random_bytes(31, 6 * MIB)).unwrap();
    let ns = dir.mount("actimeo=600");
    let me = ns.root_caller();
    let file = block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap();
    read_seq(&file, 0, MIB, MIB);
    block_on(file.close()).unwrap();
    // Changed behind the mount's back while the window held the next megabytes.
    let changed = random_bytes(32, 6 * MIB);
    std::fs::write(&local, &changed).unwrap();
    let file = block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap();
    assert!(read_seq(&file, 0, 6 * MIB, MIB) == changed);
    block_on(file.close()).unwrap();
}

#[test]
fn a_failed_background_write_is_reported_by_fsync_and_close() {
    let dir = TestDir::new("write-behind-error");
    let local = dir.local().join("f");
    std::fs::write(&local, b"owned by root").unwrap();
    std::fs::set_permissions(&local, std::fs::Permissions::from_mode(0o644)).unwrap();
    // The calls go as uid 1000, which may not write the file; the namespace's
    // caller is root, so the open itself is allowed and only the WRITEs fail.
    let ns = dir.mount("uid=1000&gid=1000");
    let me = ns.root_caller();
    let file = block_on(ns.open(&me, "/f", OpenFlags::WRONLY, 0)).unwrap();
    // Queued: the failure comes later.
    let data = random_bytes(41, 3 * MIB);
    let queued = block_on(file.write_at(0, &data));
    let error = match queued {
        Ok(n) => {
            assert_eq!(n, data.len());
            block_on(file.fsync(false)).expect_err("fsync after a failed WRITE")
        }
        Err(error) => error,
    };
    assert!(
        matches!(error.errno(), Errno::EACCES | Errno::EPERM),
        "{error}"
    );
    // Reported once; the next failure is reported by close.
    let _ = block_on(file.write_at(0, b"again"));
    let closed = block_on(file.close());
    assert!(
        matches!(
            closed.as_ref().map_err(|e| e.errno()),
            Err(Errno::EACCES | Errno::EPERM)
        ),
        "close: {closed:?}"
    );
    assert_eq!(std::fs::read(&local).unwrap(), b"owned by root");
}

#[test]
fn streamed_writes_are_all_on_the_server_after_close() {
    let dir = TestDir::new("write-behind");
    let ns = dir.mount("");
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE;
    let file = block_on(ns.open(&me, "/f", flags, 0o644)).unwrap();
    // More than the write-behind window and the uncommitted bound, with
    // rewrites of ranges still in flight.
    let mut expected = random_bytes(51, 40 * MIB);
    for (i, chunk) in expected.chunks(MIB).enumerate() {
        block_on(file.write_at((i * MIB) as u64, chunk)).unwrap();
    }
    let patch = random_bytes(52, 2 * MIB + 17);
    block_on(file.write_at(1000, &patch)).unwrap();
    expected[1000..1000 + patch.len()].copy_from_slice(&patch);
    // getattr sees every byte written so far.
    assert_eq!(
        block_on(file.getattr()).unwrap().size,
        expected.len() as u64
    );
    block_on(file.close()).unwrap();
    assert!(std::fs::read(dir.local().join("f")).unwrap() == expected);
}

/// A relay on loopback to `server` that passes calls on at once and replies in
/// `piece`-byte writes a little apart, so every large reply reaches the client
/// in many segments. Returns its port; it serves until the test process ends.
fn trickling_relay(server: std::net::SocketAddr, piece: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let upstream = TcpStream::connect(server).unwrap();
            let (mut calls_in, mut calls_out) =
                (client.try_clone().unwrap(), upstream.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut calls_in, &mut calls_out));
            let (mut replies_in, mut replies_out) = (upstream, client);
            let _ = replies_out.set_nodelay(true);
            std::thread::spawn(move || {
                let mut buffer = vec![0; piece];
                while let Ok(n @ 1..) = replies_in.read(&mut buffer) {
                    if replies_out.write_all(&buffer[..n]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_micros(50));
                }
            });
        }
    });
    port
}

#[test]
fn read_data_arriving_in_pieces_lands_whole_and_later_calls_are_answered() {
    let dir = TestDir::new("trickle");
    let content = random_bytes(61, 4 * MIB);
    std::fs::write(dir.local().join("f"), &content).unwrap();
    let url = vfs_nfs::NfsUrl::parse(&dir.url("")).unwrap();
    let server = (url.host.as_str(), url.nfs_port.unwrap_or(2049));
    let server = std::net::ToSocketAddrs::to_socket_addrs(&server)
        .unwrap()
        .next()
        .unwrap();
    let port = trickling_relay(server, 4096);
    // Soft, so a call that is never answered fails the test instead of hanging it.
    let ns = dir.mount(&format!("nfsport={port}&noac&soft&timeo=50&retrans=1"));
    let me = ns.root_caller();
    let file = block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap();
    // Backwards, so no readahead: each READ lands in the caller's buffer, and the
    // bulk calls go round all the connections, the small calls' one included.
    let piece = 256 << 10;
    for at in (0..content.len()).step_by(piece).rev() {
        let mut buffer = vec![0; piece];
        let n = block_on(file.read_at(at as u64, &mut buffer)).unwrap();
        assert_eq!(n, piece, "read at {at}");
        assert!(buffer == content[at..at + piece], "the bytes read at {at}");
        // A small call after each: its reply must wake its waiter.
        let size = block_on(ns.stat(&me, "/f")).unwrap().size;
        assert_eq!(size, content.len() as u64, "stat after the read at {at}");
    }
    block_on(file.close()).unwrap();
}
