//! Path resolution: a short program of namespace calls on fuzzed paths, over a
//! tree with symlink loops, links climbing with `..`, absolute links, a nested
//! mount and a read-only mount. Nothing may panic, whatever resolves has an
//! absolute path (`path_of`) without `.`/`..` that resolves back to the same node
//! (no path leaves the namespace), and `stat_now`/`open_now`, when they answer,
//! agree with `stat`/`open`.
#![no_main]

use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vfs_core::{Caller, MountOptions, Namespace, OpenFlags};
use vfs_ramfs::{RamFs, RamFsOptions};

fn namespace() -> (Namespace, Caller) {
    let ram = || Arc::new(RamFs::new(RamFsOptions::default()));
    let ns = Namespace::new(ram(), MountOptions::default());
    let me = ns.root_caller();
    block_on(async {
        for dir in ["/a", "/a/b", "/a/b/c", "/m", "/ro"] {
            ns.mkdir(&me, dir, 0o755).await.unwrap();
        }
        ns.symlink(&me, b"../..", "/a/b/up").await.unwrap();
        ns.symlink(&me, b"loop", "/loop").await.unwrap();
        ns.symlink(&me, b"/a/b", "/abs").await.unwrap();
        ns.mount(&me, "/m", ram(), MountOptions::default())
            .await
            .unwrap();
        ns.mkdir(&me, "/m/in", 0o755).await.unwrap();
        ns.symlink(&me, b"../../../..", "/m/in/out").await.unwrap();
        let read_only = MountOptions {
            read_only: true,
            ..MountOptions::default()
        };
        ns.mount(&me, "/ro", ram(), read_only).await.unwrap();
    });
    (ns, me)
}

/// Checks that `path`, if it resolves, has a clean absolute name in the namespace.
fn check_no_escape(ns: &Namespace, me: &Caller, path: &[u8]) {
    let Ok(location) = block_on(ns.resolve(me, path, true)) else {
        return;
    };
    let Ok(name) = block_on(ns.path_of(&location)) else {
        return;
    };
    assert!(name.starts_with(b"/"), "path_of gave a relative path");
    for part in name.split(|b| *b == b'/') {
        assert!(part != b".." && part != b".", "path_of gave {name:?}");
    }
    let again = block_on(ns.resolve(me, &name, true)).expect("path_of's path resolves");
    assert!(
        Arc::ptr_eq(again.mount(), location.mount()),
        "path_of's path is on another mount"
    );
    let ino = |at: &vfs_core::Location| block_on(at.vnode().getattr()).map(|a| a.ino);
    if let (Ok(first), Ok(second)) = (ino(&location), ino(&again)) {
        assert_eq!(first, second, "path_of's path leads to another node");
    }
}

/// Checks that the calls that finish without waiting (`stat_now`, `open_now`),
/// when they answer, answer what the `async` calls do.
fn check_now_agrees(ns: &Namespace, me: &Caller, path: &[u8]) {
    let outcome = |result: vfs_core::Result<u64>| result.map_err(|e| e.errno());
    for follow in [true, false] {
        if let Some(now) = ns.stat_now(me, path, follow) {
            let waited = if follow {
                block_on(ns.stat(me, path))
            } else {
                block_on(ns.lstat(me, path))
            };
            assert_eq!(
                outcome(now.map(|attr| attr.ino)),
                outcome(waited.map(|attr| attr.ino)),
                "stat_now (follow {follow}) disagrees with stat"
            );
        }
    }
    let ino = |handle: vfs_core::FileHandle| handle.location().vnode().ino();
    for flags in [OpenFlags::RDONLY, OpenFlags::RDWR, OpenFlags::RDONLY | OpenFlags::DIRECTORY] {
        if let Some(now) = ns.open_now(me, path, flags) {
            let waited = block_on(ns.open(me, path, flags, 0));
            assert_eq!(
                outcome(now.map(ino)),
                outcome(waited.map(ino)),
                "open_now ({flags:?}) disagrees with open"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (ns, me) = namespace();
    // Each step: an opcode byte, then a path up to the next 0xff byte; rename,
    // link and symlink take a second path.
    let mut parts = data.split(|b| *b == 0xff);
    for _ in 0..16 {
        let Some(step) = parts.next() else { break };
        let Some((&op, path)) = step.split_first() else {
            continue;
        };
        let other = parts.next().unwrap_or_default();
        block_on(async {
            let _ = match op % 12 {
                0 => ns.stat(&me, path).await.map(drop),
                1 => ns.lstat(&me, path).await.map(drop),
                2 => ns
                    .open(&me, path, OpenFlags::RDWR | OpenFlags::CREATE, 0o644)
                    .await
                    .map(drop),
                3 => ns.mkdir(&me, path, 0o755).await,
                4 => ns.unlink(&me, path).await,
                5 => ns.rmdir(&me, path).await,
                6 => ns.rename(&me, path, other).await,
                7 => ns.link(&me, path, other).await,
                8 => ns.symlink(&me, other, path).await,
                9 => ns.readlink(&me, path).await.map(drop),
                10 => ns.read_dir(&me, path).await.map(drop),
                _ => ns.truncate(&me, path, u64::from(op)).await,
            };
        });
        check_no_escape(&ns, &me, path);
        check_now_agrees(&ns, &me, path);
    }
});
