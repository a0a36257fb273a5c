//! The backend against nfs3_server's in-process memfs: basic operations, and the
//! shared conformance suite with the capabilities memfs has (no symlinks, no hard
//! links, no holes, modes and owners ignored, times not kept).

use futures::executor::block_on;
use std::sync::Arc;
use vfs_core::{Errno, Filesystem, MountOptions, Namespace, OpenFlags};
use vfs_nfs::memfs_server::MemfsServer;
use vfs_nfs::NfsFs;

fn mount_fresh() -> vfs_core::Result<Arc<dyn Filesystem>> {
    block_on(NfsFs::mount(&MemfsServer::start()?.url()))
        .map(|fs| Arc::new(fs) as Arc<dyn Filesystem>)
}

#[test]
fn basic_operations() {
    let fs = mount_fresh().unwrap();
    let caps = fs.capabilities();
    assert!(caps.write && !caps.symlinks && !caps.hard_links && !caps.sparse_files);
    assert!(caps.unlinked_open_files && !caps.atomic_append && !caps.dir_link_counts);
    let ns = Namespace::new(fs, MountOptions::default());
    let me = ns.root_caller();
    block_on(async {
        ns.mkdir(&me, "/d", 0o755).await?;
        let file = ns
            .open(
                &me,
                "/d/f",
                OpenFlags::RDWR | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                0o644,
            )
            .await?;
        // More than one READ and WRITE: memfs offers 1 MiB transfers.
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(file.write_at(0, &data).await?, data.len());
        let mut back = vec![0; data.len() + 10];
        assert_eq!(file.read_at(0, &mut back).await?, data.len());
        assert!(back[..data.len()] == data[..]);
        assert_eq!(file.getattr().await?.size, data.len() as u64);
        file.close().await?;
        assert_eq!(ns.stat(&me, "/d/f").await?.size, data.len() as u64);
        let names: Vec<String> = ns
            .read_dir(&me, "/d")
            .await?
            .into_iter()
            .map(|e| e.name.to_string())
            .collect();
        assert_eq!(names, vec!["f".to_string()]);
        ns.rename(&me, "/d/f", "/g").await?;
        assert_eq!(
            ns.stat(&me, "/d/f").await.unwrap_err().errno(),
            Errno::ENOENT
        );
        assert_eq!(
            ns.stat(&me, "/d/..").await?.ino,
            ns.stat(&me, "/").await?.ino
        );
        ns.unlink(&me, "/g").await?;
        ns.rmdir(&me, "/d").await?;
        assert!(ns.read_dir(&me, "/").await?.is_empty());
        let exists = ns
            .open(&me, "/h", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644)
            .await?;
        exists.close().await?;
        let again = ns
            .open(
                &me,
                "/h",
                OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                0o644,
            )
            .await;
        assert_eq!(again.unwrap_err().errno(), Errno::EEXIST);
        Ok::<(), vfs_core::Error>(())
    })
    .unwrap();
}

/// A soft mount bounds every call with a timer of the backend's own runtime: the
/// calls must work from a thread with no runtime (`block_on`), as any other.
#[test]
fn soft_mount_works_without_a_runtime() {
    let url = format!(
        "{}&soft&timeo=100&retrans=1",
        MemfsServer::start().unwrap().url()
    );
    let fs = block_on(NfsFs::mount(&url)).unwrap();
    let ns = Namespace::new(Arc::new(fs), MountOptions::default());
    let me = ns.root_caller();
    block_on(async {
        ns.mkdir(&me, "/d", 0o755).await?;
        let file = ns
            .open(&me, "/d/f", OpenFlags::RDWR | OpenFlags::CREATE, 0o644)
            .await?;
        assert_eq!(file.write_at(0, b"soft").await?, 4);
        let mut back = [0; 8];
        assert_eq!(file.read_at(0, &mut back).await?, 4);
        assert_eq!(&back[..4], b"soft");
        file.close().await
    })
    .unwrap();
}

#[test]
fn listing_many_entries_pages_through_cookies() {
    let fs = mount_fresh().unwrap();
    let ns = Namespace::new(fs, MountOptions::default());
    let me = ns.root_caller();
    block_on(async {
        for i in 0..1500 {
            let file = ns
                .open(
                    &me,
                    format!("/file-{i:04}"),
                    OpenFlags::WRONLY | OpenFlags::CREATE,
                    0o644,
                )
                .await?;
            file.close().await?;
        }
        let mut names: Vec<String> = ns
            .read_dir(&me, "/")
            .await?
            .into_iter()
            .map(|e| e.name.to_string())
            .collect();
        names.sort();
        let expected: Vec<String> = (0..1500).map(|i| format!("file-{i:04}")).collect();
        assert_eq!(names, expected);
        Ok::<(), vfs_core::Error>(())
    })
    .unwrap();
}

conformance::conformance_tests!(|scratch: conformance::ScratchMount| {
    if scratch.size_limit.is_some() {
        return Err(Errno::EOPNOTSUPP.with("memfs has no size limit"));
    }
    mount_fresh()
});
