//! A busy server: the fake server answers LOOKUP with `NFS3ERR_JUKEBOX` ("busy,
//! ask later"). A hard mount meeting it a few times waits the pauses out and gets
//! its answer; a soft mount meeting it for ever gives up within its bound.
//!
//! Timing is checked only where it cannot depend on the machine's speed: the hard
//! mount's call must have taken at least the pauses the client promises (it never
//! asks sooner), and the soft mount's must end within its bound plus a generous
//! slack (it never hangs); nothing checks that anything was fast.

use crate::fake_server::{FakeServer, FILE_DATA};
use crate::report::Verdict;
use futures::executor::block_on;
use nfs3_types::nfs3::NFS_PROGRAM::NFSPROC3_LOOKUP;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vfs_core::{Errno, MountOptions, Namespace};
use vfs_nfs::NfsFs;

/// How many JUKEBOX answers the hard mount meets: pauses of 0.25 + 0.5 + 1 s.
pub const HARD_TIMES: u64 = 3;

/// The soft mount's options: `timeo=10` (1 s), `retrans=1`, a 2 s bound on a call.
const SOFT_OPTIONS: &str = "soft&timeo=10&retrans=1";

/// The bound [`SOFT_OPTIONS`] set: `timeo x (retrans + 1)`.
const SOFT_BOUND: Duration = Duration::from_secs(2);

/// What the soft mount may take past its bound before it counts as hanging:
/// generous, so a slow machine never fails it.
const SLACK: Duration = Duration::from_secs(30);

/// The pauses the client promises before each of the first `times` resends
/// after JUKEBOX (docs/reliability.md): 0.25 s, doubling, at most 5 s.
pub fn promised_pauses(times: u64) -> Duration {
    let mut pause = Duration::from_millis(250);
    let mut total = Duration::ZERO;
    for _ in 0..times {
        total += pause;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
    total
}

/// The fake server and a mount of it with `options` (no attribute caching, so
/// every stat asks the server).
fn mounted(options: &str) -> Result<(FakeServer, Arc<NfsFs>, Namespace), String> {
    let server = FakeServer::start(None).map_err(|e| format!("fake server: {e}"))?;
    let port = server.port();
    let url = format!("nfs://127.0.0.1/export?nfsport={port}&mountport={port}&noac&{options}");
    let fs = Arc::new(block_on(NfsFs::mount(&url)).map_err(|e| format!("mount {url}: {e}"))?);
    let ns = Namespace::new(fs.clone(), MountOptions::default());
    Ok((server, fs, ns))
}

/// A hard mount whose LOOKUP of `file` is answered JUKEBOX [`HARD_TIMES`] times,
/// then honestly: the stat must succeed with the file's size, after one LOOKUP
/// per answer, and no sooner than the promised pauses.
pub fn hard_mount_waits_out_jukebox() -> Verdict {
    let name = format!("hard mount, server answered JUKEBOX {HARD_TIMES} times");
    let (server, fs, ns) = match mounted("hard") {
        Ok(parts) => parts,
        Err(e) => return Verdict::fail(name, e),
    };
    server.answer_jukebox(NFSPROC3_LOOKUP, Some(HARD_TIMES));
    let before = fs.rpc_counts();
    let started = Instant::now();
    let result = block_on(ns.stat(&ns.root_caller(), "/file"));
    let took = started.elapsed();
    let lookups = fs.rpc_counts().since(&before).get(NFSPROC3_LOOKUP);
    let busy = server.jukebox_replies();
    let least = promised_pauses(HARD_TIMES);
    match result {
        Err(e) => Verdict::fail(name, format!("stat failed after {took:.1?}: {e}")),
        Ok(attr) if attr.size != FILE_DATA.len() as u64 => Verdict::fail(
            name,
            format!("stat says {} bytes, not {}", attr.size, FILE_DATA.len()),
        ),
        Ok(_) if busy != HARD_TIMES => Verdict::fail(
            name,
            format!("the server sent {busy} JUKEBOX replies, not {HARD_TIMES}"),
        ),
        Ok(_) if lookups != HARD_TIMES + 1 => Verdict::fail(
            name,
            format!("LOOKUP sent {lookups} times, not once per JUKEBOX and once more"),
        ),
        Ok(_) if took < least => Verdict::fail(
            name,
            format!("done after {took:.2?}: sooner than the promised pauses ({least:?})"),
        ),
        Ok(_) => Verdict::pass(
            name,
            format!("stat succeeded after {lookups} LOOKUPs and {took:.1?} (pauses {least:?})"),
        ),
    }
}

/// A soft mount (a 2 s bound) whose LOOKUP of `file` is answered JUKEBOX every
/// time: the stat must fail with `ETIMEDOUT` or `EIO`, within the bound plus a
/// generous slack.
pub fn soft_mount_gives_up_on_jukebox() -> Verdict {
    let name = "soft mount, server answering JUKEBOX for ever";
    let (server, _fs, ns) = match mounted(SOFT_OPTIONS) {
        Ok(parts) => parts,
        Err(e) => return Verdict::fail(name, e),
    };
    server.answer_jukebox(NFSPROC3_LOOKUP, None);
    let started = Instant::now();
    let result = block_on(ns.stat(&ns.root_caller(), "/file"));
    let took = started.elapsed();
    let busy = server.jukebox_replies();
    let limit = SOFT_BOUND + SLACK;
    match result {
        Ok(_) => Verdict::fail(
            name,
            "stat succeeded while the server kept answering JUKEBOX",
        ),
        Err(e) if ![Errno::ETIMEDOUT, Errno::EIO].contains(&e.errno()) => Verdict::fail(
            name,
            format!("failed with {:?}, not ETIMEDOUT/EIO: {e}", e.errno()),
        ),
        Err(e) if took > limit => Verdict::fail(
            name,
            format!("failed only after {took:?}, over {limit:?}: {e}"),
        ),
        Err(e) => Verdict::pass(
            name,
            format!(
                "{:?} after {took:.1?} and {busy} JUKEBOX replies: {e}",
                e.errno()
            ),
        ),
    }
}
