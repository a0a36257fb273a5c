//! The tar image mounted at `/image` in a namespace whose root is a ramfs: reading,
//! listing, symlinks, hard links, refusals of every change, and mounting by URL.

mod support;

use futures::executor::block_on;
use std::sync::Arc;
use support::{header, long_path, padded, sample, seal, tar, Item, MTIME};
use vfs_core::{
    Caller, Errno, FileType, Filesystem, MountOptions, Name, Namespace, OpenFlags, Registry,
    Result, SetAttr,
};
use vfs_example_static_tree::StaticTree;
use vfs_ramfs::{RamFs, RamFsOptions};

/// A ramfs at `/` with the sample image mounted on `/image`.
fn namespace() -> (Namespace, Caller) {
    let ns = Namespace::new(
        Arc::new(RamFs::new(RamFsOptions::default())),
        MountOptions::default(),
    );
    let me = ns.root_caller();
    let image = StaticTree::from_tar(sample(), "sample").unwrap();
    block_on(async {
        ns.mkdir(&me, "/image", 0o755).await?;
        ns.mount(&me, "/image", Arc::new(image), MountOptions::default())
            .await
    })
    .unwrap();
    (ns, me)
}

fn read(ns: &Namespace, me: &Caller, path: &str) -> Result<Vec<u8>> {
    block_on(async {
        let file = ns.open(me, path, OpenFlags::RDONLY, 0).await?;
        let mut buf = vec![0; 4096];
        let n = file.read_at(0, &mut buf).await?;
        file.close().await?;
        buf.truncate(n);
        Ok(buf)
    })
}

fn names(ns: &Namespace, me: &Caller, path: &str) -> Vec<(String, FileType)> {
    block_on(ns.read_dir(me, path))
        .unwrap()
        .into_iter()
        .map(|e| (e.name.to_string(), e.file_type))
        .collect()
}

fn errno<T>(result: Result<T>) -> Errno {
    result.err().expect("an error").errno()
}

#[test]
fn reads_lists_and_follows_symlinks() {
    let (ns, me) = namespace();
    assert_eq!(
        read(&ns, &me, "/image/etc/hostname").unwrap(),
        b"unikernel\n"
    );
    assert_eq!(read(&ns, &me, "/image/etc/motd").unwrap(), b"unikernel\n");
    assert_eq!(read(&ns, &me, "/image/doc/README").unwrap(), b"read me\n");
    let long = format!("/image/{}", long_path());
    assert_eq!(read(&ns, &me, &long).unwrap(), b"deep");
    assert_eq!(
        block_on(ns.readlink(&me, "/image/doc")).unwrap(),
        b"usr/share/doc"
    );
    use FileType::*;
    let top = [("bin", Directory), ("doc", Symlink), ("etc", Directory)];
    let top = top
        .into_iter()
        .chain([("long", Directory), ("usr", Directory)]);
    assert_eq!(
        names(&ns, &me, "/image"),
        top.map(|(n, t)| (n.to_string(), t)).collect::<Vec<_>>()
    );
    let etc = names(&ns, &me, "/image/etc");
    assert_eq!(
        etc,
        [
            ("hostname".to_string(), Regular),
            ("motd".to_string(), Symlink)
        ]
    );
    // `..` is a real step: after a symlink it leaves the symlink's target, and at
    // the image's root it crosses back to the ramfs.
    let ino = |path: &str| block_on(ns.stat(&me, path)).unwrap().ino;
    assert_eq!(ino("/image/usr/share/.."), ino("/image/usr"));
    assert_eq!(ino("/image/doc/../.."), ino("/image/usr"));
    assert_eq!(ino("/image/etc/../.."), ino("/"));
}

#[test]
fn metadata_and_link_counts_come_from_the_archive() {
    let (ns, me) = namespace();
    let stat = |path: &str| block_on(ns.stat(&me, path)).unwrap();
    let sh = stat("/image/bin/sh");
    let busybox = stat("/image/bin/busybox");
    assert_eq!((sh.ino, sh.nlink, busybox.nlink), (busybox.ino, 2, 2));
    assert_eq!((sh.mode, sh.uid, sh.gid, sh.size), (0o755, 1000, 100, 12));
    assert_eq!(sh.mtime.sec, MTIME);
    // etc/ came after its contents and set its mode; usr was implied.
    assert_eq!(stat("/image/etc").mode, 0o750);
    assert_eq!(
        (stat("/image/usr").mode, stat("/image/usr").uid),
        (0o755, 0)
    );
    // A directory's nlink is 2 plus its subdirectories.
    assert_eq!(stat("/image").nlink, 2 + 4);
    assert_eq!(stat("/image/usr/share").nlink, 3);
    assert_eq!(stat("/image/usr/share/doc").nlink, 2);
    let link = block_on(ns.lstat(&me, "/image/etc/motd")).unwrap();
    assert_eq!((link.file_type, link.size), (FileType::Symlink, 8));
}

#[test]
fn lookups_fail_with_linux_errnos() {
    let (ns, me) = namespace();
    assert_eq!(errno(block_on(ns.stat(&me, "/image/nope"))), Errno::ENOENT);
    assert_eq!(
        errno(block_on(ns.stat(&me, "/image/etc/hostname/x"))),
        Errno::ENOTDIR
    );
    assert_eq!(
        errno(block_on(ns.readlink(&me, "/image/etc/hostname"))),
        Errno::EINVAL
    );
    assert_eq!(
        errno(block_on(ns.read_dir(&me, "/image/bin/sh"))),
        Errno::ENOTDIR
    );
    let dir = block_on(ns.open(
        &me,
        "/image/etc",
        OpenFlags::RDONLY | OpenFlags::DIRECTORY,
        0,
    ));
    assert!(dir.is_ok());
}

#[test]
fn every_change_in_the_image_is_erofs() {
    let (ns, me) = namespace();
    let file = "/image/etc/hostname";
    let write = OpenFlags::WRONLY;
    let chmod = SetAttr {
        mode: Some(0o600),
        ..SetAttr::default()
    };
    block_on(async {
        let refused = [
            errno(
                ns.open(&me, "/image/new", write | OpenFlags::CREATE, 0o644)
                    .await,
            ),
            errno(ns.open(&me, file, write, 0).await),
            errno(
                ns.open(&me, file, OpenFlags::RDONLY | OpenFlags::TRUNCATE, 0)
                    .await,
            ),
            errno(ns.mkdir(&me, "/image/new", 0o755).await),
            errno(ns.unlink(&me, file).await),
            errno(ns.rmdir(&me, "/image/usr/share/doc").await),
            errno(ns.rename(&me, file, "/image/etc/name").await),
            errno(ns.link(&me, file, "/image/etc/again").await),
            errno(ns.symlink(&me, b"x", "/image/etc/x").await),
            errno(ns.truncate(&me, file, 0).await),
            errno(ns.setattr(&me, file, &chmod, true).await),
        ];
        assert_eq!(refused, [Errno::EROFS; 11]);
        // The ramfs next to it still takes changes.
        ns.mkdir(&me, "/scratch", 0o755).await.unwrap();
    });
}

#[test]
fn renames_between_image_and_ramfs_are_exdev() {
    let (ns, me) = namespace();
    block_on(async {
        ns.open(&me, "/on-ram", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644)
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
        assert_eq!(
            errno(ns.rename(&me, "/image/etc/hostname", "/hostname").await),
            Errno::EXDEV
        );
        assert_eq!(
            errno(ns.rename(&me, "/on-ram", "/image/on-ram").await),
            Errno::EXDEV
        );
        assert_eq!(
            errno(ns.link(&me, "/image/bin/sh", "/sh").await),
            Errno::EXDEV
        );
    });
}

#[test]
fn readdir_pages_resume_from_cookies() {
    let fs = StaticTree::from_tar(sample(), "sample").unwrap();
    let root = fs.root();
    block_on(async {
        let everything = root.readdir(0, 100).await.unwrap();
        assert!(everything.eof);
        let mut paged = Vec::new();
        let mut cookie = 0;
        loop {
            let page = root.readdir(cookie, 2).await.unwrap();
            cookie = page.entries.last().map_or(cookie, |e| e.cookie);
            paged.extend(page.entries);
            if page.eof {
                break;
            }
        }
        assert_eq!(paged, everything.entries);
        for entry in &paged {
            let node = root.lookup(&entry.name).await.unwrap();
            assert_eq!(entry.ino, node.ino());
            assert_eq!(entry.attr.as_ref(), Some(&node.getattr().await.unwrap()));
        }
        assert_eq!(errno(root.readdir(99, 1).await), Errno::EINVAL);
        let parent = root.parent().await.unwrap();
        assert_eq!(parent.ino(), root.ino(), "the root is its own parent");
        let missing = root.lookup(&Name::new("missing").unwrap()).await;
        assert_eq!(errno(missing), Errno::ENOENT);
    });
}

/// A GNU `L` member: the next header's path, for names the header cannot hold.
fn gnu_long_name(path: &str, data: &[u8]) -> Vec<u8> {
    let mut named = header("././@LongLink", b'L', path.len() + 1, "", 0o644);
    named[257..265].copy_from_slice(b"ustar  \0");
    seal(&mut named);
    let mut out = named.to_vec();
    out.extend(padded(format!("{path}\0").as_bytes()));
    out.extend(header(&path[..100], b'0', data.len(), "", 0o644));
    out.extend(padded(data));
    out
}

/// A pax `x` member setting the next member's path.
fn pax_path(path: &str, data: &[u8]) -> Vec<u8> {
    let record = format!(" path={path}\n");
    let record = format!("{}{record}", record.len() + 3); // a 3-digit length
    let mut out = header("PaxHeaders/x", b'x', record.len(), "", 0o644).to_vec();
    out.extend(padded(record.as_bytes()));
    out.extend(header("truncated", b'0', data.len(), "", 0o644));
    out.extend(padded(data));
    out
}

#[test]
fn long_names_of_gnu_and_pax_archives() {
    let gnu = format!("gnu/{}", "g".repeat(200));
    let pax = format!("pax/{}", "p".repeat(200));
    let mut archive = gnu_long_name(&gnu, b"from GNU tar");
    archive.extend(pax_path(&pax, b"from pax"));
    archive.extend([0; 1024]);
    let ns = Namespace::new(
        Arc::new(StaticTree::from_tar(archive, "long").unwrap()),
        MountOptions::default(),
    );
    let me = ns.root_caller();
    assert_eq!(read(&ns, &me, &gnu).unwrap(), b"from GNU tar");
    assert_eq!(read(&ns, &me, &pax).unwrap(), b"from pax");
    assert_eq!(names(&ns, &me, "/").len(), 2);
}

fn problem(archive: Vec<u8>) -> String {
    let error = StaticTree::from_tar(archive, "bad").err().expect("refused");
    assert_eq!(error.errno(), Errno::EINVAL, "{error}");
    error.to_string()
}

#[test]
fn bad_archives_name_the_problem() {
    assert!(problem(Vec::new()).contains("not a tar archive: 0 bytes"));
    assert!(problem(b"hello\n".repeat(200)).contains("not a tar archive"));
    let mut corrupt = sample();
    corrupt[1024 + 1] ^= 1; // etc/motd's name: its header follows hostname's data
    assert!(problem(corrupt).contains("corrupt tar header at offset 1024: checksum"));
    let mut truncated = tar(&[Item::File("f", &[7; 2000], 0o644)]);
    truncated.truncate(1500);
    assert!(problem(truncated).contains("truncated tar archive"));
    let sparse = [header("s", b'S', 0, "", 0o644).to_vec(), vec![0; 1024]].concat();
    assert!(problem(sparse).contains("unsupported tar member type 'S' for 's'"));
    let escape = tar(&[Item::File("../etc/passwd", b"x", 0o644)]);
    assert!(problem(escape).contains("'..' in a member path"));
    let through_file = tar(&[Item::File("f", b"", 0o644), Item::File("f/g", b"", 0o644)]);
    assert!(problem(through_file).contains("'f' is not a directory"));
    let dangling = tar(&[Item::HardLink("l", "nowhere")]);
    assert!(problem(dangling).contains("hard link to a path no member had"));
    // Devices and FIFOs are skipped, not refused.
    let fifo = [header("p", b'6', 0, "", 0o644).to_vec(), vec![0; 1024]].concat();
    assert!(StaticTree::from_tar(fifo, "fifo").is_ok());
}

#[test]
fn mounts_by_url() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("image.tar");
    let bad = dir.path().join("bad.tar");
    std::fs::write(&good, sample()).unwrap();
    std::fs::write(&bad, b"not a tar at all".repeat(64)).unwrap();
    let registry = Registry::new();
    vfs_example_static_tree::register(&registry);
    vfs_ramfs::register(&registry);
    assert_eq!(registry.schemes(), ["ram", "tar"]);
    let mount = |url: String| block_on(registry.mount(&url));
    let fs = mount(format!("tar://{}", good.display())).unwrap();
    assert_eq!(fs.describe(), format!("tar://{}", good.display()));
    assert!(!fs.capabilities().write);
    let ns = Namespace::new(mount("ram://".into()).unwrap(), MountOptions::default());
    let me = ns.root_caller();
    block_on(ns.mkdir(&me, "/image", 0o755)).unwrap();
    block_on(ns.mount(&me, "/image", fs, MountOptions::default())).unwrap();
    assert_eq!(
        read(&ns, &me, "/image/bin/busybox").unwrap(),
        b"#!/bin/true\n"
    );

    let missing = mount(format!("tar://{}/missing.tar", dir.path().display()))
        .err()
        .unwrap();
    assert_eq!(missing.errno(), Errno::ENOENT);
    let shown = missing.to_string();
    assert!(shown.contains("missing.tar: cannot read the archive: No such file"));
    let not_tar = mount(format!("tar://{}", bad.display())).err().unwrap();
    assert_eq!(not_tar.errno(), Errno::EINVAL);
    assert!(
        not_tar.to_string().contains("bad.tar: not a tar archive"),
        "{not_tar}"
    );
    let direct = StaticTree::open_tar(&bad).err().unwrap().to_string();
    assert!(direct.starts_with(&format!("{}: not a tar archive", bad.display())));
    for url in [
        "tar://host/x.tar",
        "tar:///x.tar?cache=1",
        "tar:///",
        "tar:x.tar",
    ] {
        let error = mount(url.to_string()).err().unwrap();
        assert_eq!(error.errno(), Errno::EINVAL, "{url}: {error}");
    }
}

#[test]
fn statfs_reports_a_full_image() {
    let fs = StaticTree::from_tar(sample(), "sample").unwrap();
    let stat = block_on(fs.statfs()).unwrap();
    assert_eq!(stat.blocks * 512, sample().len() as u64);
    assert_eq!((stat.blocks_free, stat.blocks_available), (0, 0));
    // root; bin, sh (= busybox); doc; etc, hostname, motd; long, d..., f...; usr,
    // share, doc, README.
    assert_eq!(stat.files, 14);
}
