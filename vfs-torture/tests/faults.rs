//! Fast fault scenarios against the in-process memfs server: connections cut
//! every 1 MiB during a 16 MiB read and write, a REMOVE whose reply is lost, a
//! soft mount whose server stalls, a closed port. Timing is left to a generous watchdog.

use futures::executor::block_on;
use nfs3_types::nfs3::NFS_PROGRAM::NFSPROC3_REMOVE;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use vfs_core::{Errno, MountOptions, Namespace, OpenFlags};
use vfs_nfs::memfs_server::MemfsServer;
use vfs_nfs::NfsFs;
use vfs_torture::faults;
use vfs_torture::proxy::{Direction, FaultPlan, FaultProxy};
use vfs_torture::report::Verdict;
use vfs_torture::urls::{option, with_nfs_port};
use vfs_torture::watchdog::run_with_deadline;

fn passes(name: &str, scenario: impl FnOnce() -> Verdict + Send + 'static) {
    let verdict = run_with_deadline(name, Duration::from_secs(120), scenario)
        .unwrap_or_else(|abnormal| panic!("{name}: {abnormal}"));
    assert!(verdict.passed, "{}: {}", verdict.name, verdict.detail);
}

fn memfs_url() -> String {
    MemfsServer::start().unwrap().url()
}

/// The memfs URL with 256 KiB transfers. The proxy counts each connection's
/// bytes afresh, and memfs's 1 MiB READ reply alone passes a 1 MiB cut: no
/// client could ever finish such a call. With 256 KiB, every connection carries
/// a few calls before its cut lands in the middle of one.
fn memfs_url_small_transfers() -> String {
    format!("{}&rsize=262144&wsize=262144", memfs_url())
}

#[test]
fn read_survives_a_cut_every_mib() {
    let url = memfs_url_small_transfers();
    passes("cuts during read", move || {
        let [read, _] = faults::proxy_cuts(&url, 16 << 20, 1 << 20);
        read
    });
}

#[test]
fn write_survives_a_cut_every_mib() {
    let url = memfs_url_small_transfers();
    passes("cuts during write", move || {
        let [_, write] = faults::proxy_cuts(&url, 16 << 20, 1 << 20);
        write
    });
}

/// A REMOVE whose reply is lost (the proxy cuts the connection after the
/// reply's first byte, once) is sent again, finds the name gone, and reports
/// success: the unlink did happen.
#[test]
fn remove_whose_reply_was_lost_succeeds() {
    let url = memfs_url();
    passes("lost REMOVE reply", move || {
        let name = "lost REMOVE reply";
        let target = SocketAddr::from((
            [127, 0, 0, 1],
            option(&url, "nfsport").unwrap().parse().unwrap(),
        ));
        let proxy = FaultProxy::start(target, FaultPlan::default()).unwrap();
        let fs = Arc::new(block_on(NfsFs::mount(&with_nfs_port(&url, proxy.port()))).unwrap());
        let ns = Namespace::new(fs.clone(), MountOptions::default());
        let me = ns.root_caller();
        let path = format!("/{}", faults::unique("lost-remove"));
        let flags = OpenFlags::WRONLY | OpenFlags::CREATE;
        block_on(block_on(ns.open(&me, &path, flags, 0o644)).unwrap().close()).unwrap();
        // Known (and cached) now: the next call the unlink sends is the REMOVE.
        block_on(ns.stat(&me, &path)).unwrap();
        let before = fs.rpc_counts();
        proxy.set_plan(FaultPlan {
            cut_after: Some((Direction::ToClient, 1)),
            ..FaultPlan::default()
        });
        // Once one reply was cut, the proxy lets the resend through.
        let healed = std::thread::scope(|scope| {
            scope.spawn(|| {
                while proxy.counters().cuts.load(Ordering::Relaxed) == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                proxy.set_plan(FaultPlan::default());
            });
            block_on(ns.unlink(&me, &path))
        });
        let removes = fs.rpc_counts().since(&before).get(NFSPROC3_REMOVE);
        match (healed, block_on(ns.stat(&me, &path))) {
            (Err(e), _) => Verdict::fail(name, format!("unlink failed: {e}")),
            (Ok(()), Ok(_)) => Verdict::fail(name, "the file is still there"),
            (Ok(()), Err(_)) if removes < 2 => {
                Verdict::fail(name, format!("REMOVE sent {removes} times, not resent"))
            }
            (Ok(()), Err(e)) if e.errno() == Errno::ENOENT => Verdict::pass(
                name,
                format!("REMOVE sent {removes} times, unlink succeeded"),
            ),
            (Ok(()), Err(e)) => Verdict::fail(name, format!("stat after unlink: {e}")),
        }
    });
}

#[test]
fn soft_mount_fails_when_the_server_stalls() {
    let url = memfs_url();
    passes("soft stalled", move || {
        faults::soft_mount_stalled(&url, false)
    });
}

#[test]
fn closed_port_is_refused() {
    passes("closed port", || {
        let port = faults::closed_port();
        faults::unreachable(
            "closed port",
            &format!("nfs://127.0.0.1/export?nfsport={port}&mountport={port}&timeo=20"),
            Duration::from_secs(30),
            &[Errno::ECONNREFUSED],
            &port.to_string(),
        )
    });
}
