//! NFS reply decoding: a fake server (vfs-torture's) answers one procedure with the
//! fuzzer's bytes as the result, everything else honestly; the client mounts,
//! stats, lists, reads and walks `..`. Any reply may fail the call (EIO and
//! friends), but nothing may panic, hang, or make a path leave the mount: `..`
//! of the root and of `sub` is the root, and `secret`, outside the export, is
//! never found.
#![no_main]

use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use nfs3_types::nfs3::NFS_PROGRAM;
use std::sync::Arc;
use vfs_core::{MountOptions, Namespace, OpenFlags};
use vfs_torture::fake_server::FakeServer;

/// The procedures whose results the fuzzer writes: those the calls below use.
const PROCEDURES: [NFS_PROGRAM; 9] = [
    NFS_PROGRAM::NFSPROC3_GETATTR,
    NFS_PROGRAM::NFSPROC3_LOOKUP,
    NFS_PROGRAM::NFSPROC3_ACCESS,
    NFS_PROGRAM::NFSPROC3_READ,
    NFS_PROGRAM::NFSPROC3_READDIR,
    NFS_PROGRAM::NFSPROC3_READDIRPLUS,
    NFS_PROGRAM::NFSPROC3_FSSTAT,
    NFS_PROGRAM::NFSPROC3_FSINFO,
    NFS_PROGRAM::NFSPROC3_PATHCONF,
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, result)) = data.split_first() else {
        return;
    };
    let procedure = PROCEDURES[usize::from(which) % PROCEDURES.len()];
    let server = FakeServer::start_raw(procedure, result.to_vec()).expect("fake server");
    let Ok(fs) = block_on(vfs_nfs::NfsFs::mount(&server.url())) else {
        return;
    };
    let ns = Namespace::new(Arc::new(fs), MountOptions::default());
    let me = ns.root_caller();
    block_on(async {
        let root = ns.stat(&me, "/").await.map(|a| a.ino);
        let _ = ns.stat(&me, "/file").await;
        let _ = ns.read_dir(&me, "/").await;
        if let Ok(file) = ns.open(&me, "/file", OpenFlags::RDONLY, 0).await {
            let mut buf = vec![0; 64];
            let _ = file.read_at(0, &mut buf).await;
            let _ = file.close().await;
        }
        for path in ["/..", "/sub/..", "/file/.."] {
            if let (Ok(root), Ok(up)) = (&root, ns.stat(&me, path).await) {
                assert_eq!(up.ino, *root, "{path} left the mount");
            }
        }
        assert!(ns.stat(&me, "/../secret").await.is_err(), "found secret");
        assert!(
            ns.stat(&me, "/sub/../../secret").await.is_err(),
            "found secret"
        );
    });
});
