//! Garbage paths through every namespace operation: each gets an errno from the set
//! path handling may produce, never a panic, and the tree stays usable.

use futures::executor::block_on;
use std::sync::Arc;
use vfs_core::{AccessMask, Errno, MountOptions, Namespace, OpenFlags, SetAttr};
use vfs_ramfs::{RamFs, RamFsOptions};

/// Pieces paths are glued from: separators, dots, NUL, long names, symlinks.
const PIECES: &[&[u8]] = &[
    b"/",
    b"//",
    b".",
    b"..",
    b"a",
    b"b",
    b"m",
    b"l",
    b"loop",
    b"\0",
    b"a\0b",
    b"\xff\xfe",
    b"...",
    b" ",
    b"f/",
    b"/..",
];

fn garbage_path(state: &mut u64) -> Vec<u8> {
    let mut next = || {
        // xorshift64: enough for a test, and fixed so a failure reproduces.
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    let mut path = Vec::new();
    for _ in 0..next() % 8 {
        match next() % 40 {
            0 => path.extend(std::iter::repeat_n(b'x', 256)),
            1 => path.extend(std::iter::repeat_n(b'y', 4096)),
            _ => path.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]),
        }
    }
    path
}

#[test]
fn garbage_paths_get_errnos_not_panics() {
    let ns = Namespace::new(
        Arc::new(RamFs::new(RamFsOptions::default())),
        MountOptions::default(),
    );
    let me = ns.root_caller();
    block_on(async {
        ns.mkdir(&me, "/a", 0o755).await.unwrap();
        ns.mkdir(&me, "/m", 0o755).await.unwrap();
        ns.mount(
            &me,
            "/m",
            Arc::new(RamFs::new(RamFsOptions::default())),
            MountOptions::default(),
        )
        .await
        .unwrap();
        ns.symlink(&me, "a", "/l").await.unwrap();
        ns.symlink(&me, "loop", "/loop").await.unwrap();
    });
    let allowed = [
        Errno::ENOENT,
        Errno::ENOTDIR,
        Errno::EISDIR,
        Errno::EEXIST,
        Errno::EINVAL,
        Errno::ENAMETOOLONG,
        Errno::ELOOP,
        Errno::ENOTEMPTY,
        Errno::EBUSY,
        Errno::EXDEV,
        Errno::EPERM,
        Errno::EOPNOTSUPP,
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15;
    for round in 0..20_000 {
        let (path, other) = (garbage_path(&mut state), garbage_path(&mut state));
        let errors = block_on(async {
            let mut errors = Vec::new();
            let mut note = |result: vfs_core::Result<()>| errors.extend(result.err());
            note(ns.stat(&me, &path).await.map(drop));
            note(ns.lstat(&me, &path).await.map(drop));
            note(ns.readlink(&me, &path).await.map(drop));
            note(ns.read_dir(&me, &path).await.map(drop));
            note(ns.access(&me, &path, AccessMask::READ).await);
            note(ns.statfs(&me, &path).await.map(drop));
            match ns
                .open(&me, &path, OpenFlags::RDWR | OpenFlags::CREATE, 0o644)
                .await
            {
                Ok(handle) => note(handle.close().await),
                Err(e) => note(Err(e)),
            }
            note(ns.truncate(&me, &path, 3).await);
            note(
                ns.setattr(
                    &me,
                    &path,
                    &SetAttr {
                        mode: Some(0o700),
                        ..SetAttr::default()
                    },
                    false,
                )
                .await
                .map(drop),
            );
            note(ns.mkdir(&me, &path, 0o755).await);
            note(ns.symlink(&me, &other, &path).await);
            note(ns.link(&me, &path, &other).await);
            note(ns.rename(&me, &path, &other).await);
            note(ns.unlink(&me, &other).await);
            note(ns.rmdir(&me, &other).await);
            errors
        });
        for error in errors {
            assert!(
                allowed.contains(&error.errno()),
                "round {round}: {error} for {:?} / {:?}",
                String::from_utf8_lossy(&path),
                String::from_utf8_lossy(&other)
            );
        }
    }
    // Still usable afterwards.
    block_on(async {
        let handle = ns
            .open(&me, "/fresh", OpenFlags::RDWR | OpenFlags::CREATE, 0o644)
            .await
            .unwrap();
        assert_eq!(handle.write_at(0, b"ok").await.unwrap(), 2);
        handle.close().await.unwrap();
    });
}
