//! `O_CREAT|O_EXCL` as an NFSv3 EXCLUSIVE CREATE, and MKNOD: against nfs-ganesha
//! when `VFS_TEST_NFS_URL` is set, against the in-process memfs server otherwise.
//! What a server does not keep (memfs keeps no modes, owners or times, and has no
//! MKNOD) is checked only where the mount's capabilities say it is kept.
//!
//! Nothing depends on timing: the times a new file shows are compared with the
//! clock read before and after its creation, with a margin for the server's
//! clock granularity, never with how long anything took.

mod support;

use futures::executor::block_on;
use nfs3_types::nfs3::NFS_PROGRAM::{
    NFSPROC3_CREATE, NFSPROC3_GETATTR, NFSPROC3_MKNOD, NFSPROC3_SETATTR,
};
use std::sync::Arc;
use support::TestDir;
use vfs_core::{
    Caller, Credentials, Errno, FileType, Filesystem, MountOptions, Namespace, OpenFlags, Timespec,
};
use vfs_nfs::memfs_server::MemfsServer;
use vfs_nfs::NfsFs;

/// A mount to test on: a fresh directory of ganesha's export, or a fresh memfs.
struct Target {
    ns: Namespace,
    fs: Arc<NfsFs>,
    /// Removes the directory on ganesha when dropped.
    _dir: Option<TestDir>,
}

fn ganesha_url() -> Option<String> {
    std::env::var("VFS_TEST_NFS_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

fn target(label: &str) -> Target {
    let (url, dir) = match ganesha_url() {
        Some(_) => {
            let dir = TestDir::new(label);
            (dir.url("actimeo=600"), Some(dir))
        }
        None => (MemfsServer::start().expect("memfs server").url(), None),
    };
    let fs = Arc::new(block_on(NfsFs::mount(&url)).unwrap_or_else(|e| panic!("mount {url}: {e}")));
    Target {
        ns: Namespace::new(fs.clone(), MountOptions::default()),
        fs,
        _dir: dir,
    }
}

/// Seconds of margin around the clock readings: the server may keep times
/// coarser than the client reads them.
const CLOCK_MARGIN: i64 = 2;

#[test]
fn exclusive_create_sets_mode_owner_and_real_times() {
    let target = target("excl-create");
    let caps = target.fs.capabilities();
    let ns = &target.ns;
    let root = ns.root_caller();
    // Another owner than the mount's credential, so the SETATTR after the
    // EXCLUSIVE CREATE must carry it (where the server keeps owners).
    let caller = if caps.ownership {
        Caller {
            cwd: ns.root(),
            creds: Credentials::new(1234, 5678, []),
        }
    } else {
        root.clone()
    };
    let excl = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    let before = Timespec::now();
    let counts = target.fs.rpc_counts();
    let file = block_on(ns.open(&caller, "/excl", excl, 0o640)).expect("O_EXCL create");
    let spent = target.fs.rpc_counts().since(&counts);
    block_on(file.close()).unwrap();
    let after = Timespec::now();
    // One EXCLUSIVE CREATE and the SETATTR that replaces the verifier; the open
    // uses the SETATTR's attributes.
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_SETATTR), 1, "{spent}");
    if ganesha_url().is_some() {
        assert_eq!(spent.get(NFSPROC3_GETATTR), 0, "{spent}");
    }

    let attr = block_on(ns.stat(&root, "/excl")).unwrap();
    assert_eq!((attr.file_type, attr.size), (FileType::Regular, 0));
    if caps.permissions {
        assert_eq!(attr.mode, 0o640);
    }
    if caps.ownership {
        assert_eq!((attr.uid, attr.gid), (1234, 5678));
    }
    if caps.timestamps {
        for (which, time) in [("atime", attr.atime), ("mtime", attr.mtime)] {
            assert!(
                time.sec >= before.sec - CLOCK_MARGIN && time.sec <= after.sec + CLOCK_MARGIN,
                "{which} {time:?} is not the time of the create ({before:?} to {after:?}): \
                 the verifier was left in it"
            );
        }
    }

    // A second O_EXCL finds the name; a plain O_CREAT opens what is there.
    assert_eq!(
        block_on(ns.open(&caller, "/excl", excl, 0o640))
            .unwrap_err()
            .errno(),
        Errno::EEXIST
    );
    let plain = OpenFlags::RDONLY | OpenFlags::CREATE;
    let again = block_on(ns.open(&caller, "/excl", plain, 0o600)).unwrap();
    block_on(again.close()).unwrap();
    if caps.permissions {
        assert_eq!(block_on(ns.stat(&root, "/excl")).unwrap().mode, 0o640);
    }
}

#[test]
fn guarded_create_is_one_create_without_setattr() {
    let target = target("guarded-create");
    let ns = &target.ns;
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE;
    let counts = target.fs.rpc_counts();
    let file = block_on(ns.open(&me, "/plain", flags, 0o600)).unwrap();
    let spent = target.fs.rpc_counts().since(&counts);
    block_on(file.close()).unwrap();
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_SETATTR), 0, "{spent}");
}

#[test]
fn mknod_makes_each_type_where_the_server_can() {
    let target = target("mknod");
    let ns = &target.ns;
    let me = ns.root_caller();
    if !target.fs.capabilities().special_files {
        // memfs: no MKNOD, declared; the namespace answers as Linux does for a
        // file system without mknod, and no call is sent.
        let counts = target.fs.rpc_counts();
        assert_eq!(
            block_on(ns.mknod(&me, "/p", 0o010644, 0))
                .unwrap_err()
                .errno(),
            Errno::EPERM
        );
        assert_eq!(target.fs.rpc_counts().since(&counts).get(NFSPROC3_MKNOD), 0);
        return;
    }
    let wide = (259 << 8) | (65536 << 12);
    let made = [
        ("/p", 0o010644, 0, FileType::Fifo),
        ("/s", 0o140600, 0, FileType::Socket),
        ("/c", 0o020640, 0x103, FileType::CharDevice),
        ("/b", 0o060600, wide, FileType::BlockDevice),
    ];
    for (path, mode, rdev, _) in made {
        block_on(ns.mknod(&me, path, mode, rdev)).unwrap_or_else(|e| panic!("mknod {path}: {e}"));
    }
    let listed = block_on(ns.read_dir(&me, "/")).unwrap();
    for (path, mode, rdev, file_type) in made {
        let attr = block_on(ns.lstat(&me, path)).unwrap();
        assert_eq!(
            (attr.file_type, attr.mode, attr.rdev),
            (file_type, mode & 0o7777, rdev),
            "{path}"
        );
        let entry = listed
            .iter()
            .find(|entry| format!("/{}", entry.name) == path);
        assert_eq!(entry.map(|e| e.file_type), Some(file_type), "{path}");
    }
    assert_eq!(
        block_on(ns.mknod(&me, "/p", 0o010644, 0))
            .unwrap_err()
            .errno(),
        Errno::EEXIST
    );
    // A fresh mount sees them too, typed by the server's own attributes.
    let dir = target._dir.as_ref().expect("ganesha directory");
    let fresh = dir.mount("noac");
    for (path, _, rdev, file_type) in made {
        let attr = block_on(fresh.lstat(&fresh.root_caller(), path)).unwrap();
        assert_eq!((attr.file_type, attr.rdev), (file_type, rdev), "{path}");
    }
}
