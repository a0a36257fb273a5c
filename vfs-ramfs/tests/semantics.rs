//! The tricky parts of tmpfs's semantics, through the namespace where paths matter
//! and through the nodes where only a direct call reaches the case.

use futures::executor::block_on;
use std::sync::Arc;
use vfs_core::{
    Attr, Caller, CreateMode, Credentials, Errno, FileHandle, FileType, Filesystem, MountOptions,
    Name, Namespace, NewNode, OpenFlags, Registry, Result, SetAttr, SetTime, Timespec, Vnode,
};
use vfs_ramfs::{RamFs, RamFsOptions};

const PAGE: u64 = 4096;

struct Fixture {
    fs: Arc<RamFs>,
    ns: Namespace,
    me: Caller,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(RamFsOptions::default())
    }

    fn with(options: RamFsOptions) -> Fixture {
        let fs = Arc::new(RamFs::new(options));
        let ns = Namespace::new(fs.clone(), MountOptions::default());
        let me = ns.root_caller();
        Fixture { fs, ns, me }
    }

    fn open(&self, path: &str, flags: OpenFlags) -> Result<FileHandle> {
        block_on(self.ns.open(&self.me, path, flags, 0o644))
    }

    fn create(&self, path: &str) -> FileHandle {
        self.open(path, OpenFlags::RDWR | OpenFlags::CREATE)
            .expect(path)
    }

    fn write(&self, path: &str, data: &[u8]) {
        let file = self.create(path);
        assert_eq!(block_on(file.write_at(0, data)).unwrap(), data.len());
        block_on(file.close()).unwrap();
    }

    fn read(&self, path: &str) -> Vec<u8> {
        let file = self.open(path, OpenFlags::RDONLY).expect(path);
        let mut data = vec![0; block_on(file.getattr()).unwrap().size as usize];
        assert_eq!(block_on(file.read_at(0, &mut data)).unwrap(), data.len());
        block_on(file.close()).unwrap();
        data
    }

    fn stat(&self, path: &str) -> Attr {
        block_on(self.ns.lstat(&self.me, path)).expect(path)
    }

    fn mkdir(&self, path: &str) {
        block_on(self.ns.mkdir(&self.me, path, 0o755)).expect(path)
    }

    fn rename(&self, old: &str, new: &str) -> Result<()> {
        block_on(self.ns.rename(&self.me, old, new))
    }

    fn names(&self, path: &str) -> Vec<String> {
        let entries = block_on(self.ns.read_dir(&self.me, path)).expect(path);
        entries.iter().map(|e| e.name.to_string()).collect()
    }

    fn node(&self, path: &str) -> Arc<dyn Vnode> {
        block_on(self.ns.resolve(&self.me, path, false))
            .expect(path)
            .vnode()
            .clone()
    }

    fn free_blocks(&self) -> u64 {
        block_on(self.fs.statfs()).unwrap().blocks_free
    }
}

fn errno<T>(result: Result<T>) -> Errno {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.errno(),
    }
}

fn name(text: &str) -> Name {
    Name::new(text).unwrap()
}

const ATTRS: NewNode = NewNode {
    mode: 0o644,
    uid: 0,
    gid: 0,
};

/// Long enough for the clock to move on between two stamps.
fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(2));
}

#[test]
fn holes_read_as_zeros_and_cost_no_space() {
    let fx = Fixture::new();
    let free = fx.free_blocks();
    let file = fx.create("/sparse");
    let tib = 1u64 << 40;
    assert_eq!(block_on(file.write_at(tib, b"x")).unwrap(), 1);
    let attr = block_on(file.getattr()).unwrap();
    assert_eq!((attr.size, attr.blocks), (tib + 1, 8));
    assert_eq!(fx.free_blocks(), free - 1);
    let mut buf = [0xffu8; 16];
    assert_eq!(block_on(file.read_at(tib - 15, &mut buf)).unwrap(), 16);
    assert_eq!(&buf[..15], &[0; 15]);
    assert_eq!(buf[15], b'x');
    assert_eq!(block_on(file.read_at(tib + 1, &mut buf)).unwrap(), 0);
    assert_eq!(block_on(file.read_at(u64::MAX / 4, &mut buf)).unwrap(), 0);
    // Growing by truncation allocates nothing; shrinking frees what was cut off.
    block_on(file.truncate(tib * 2)).unwrap();
    assert_eq!(block_on(file.getattr()).unwrap().blocks, 8);
    block_on(file.truncate(10)).unwrap();
    assert_eq!(block_on(file.getattr()).unwrap().blocks, 0);
    assert_eq!(fx.free_blocks(), free);
    block_on(file.close()).unwrap();
}

#[test]
fn offsets_past_off_t_fail_as_on_linux() {
    let fx = Fixture::new();
    let file = fx.create("/f");
    let max = i64::MAX as u64;
    assert_eq!(
        errno(block_on(file.write_at(max - 1, b"ab"))),
        Errno::EINVAL
    );
    assert_eq!(
        errno(block_on(file.read_at(max, &mut [0; 2]))),
        Errno::EINVAL
    );
    assert_eq!(block_on(file.write_at(max, b"")).unwrap(), 0);
    assert_eq!(block_on(file.write_at(max - 1, b"a")).unwrap(), 1);
    assert_eq!(block_on(file.getattr()).unwrap().size, max);
    // The backend's own limit, reached without the namespace's checks.
    let open = block_on(fx.node("/f").open(OpenFlags::RDWR)).unwrap();
    assert_eq!(errno(block_on(open.write_at(max, b"a"))), Errno::EFBIG);
    assert_eq!(errno(block_on(open.append(b"a"))), Errno::EFBIG);
    assert_eq!(
        block_on(open.write_at(max - 1, b"bc")).unwrap(),
        1,
        "stops short at the limit"
    );
    let too_big = SetAttr {
        size: Some(max + 1),
        ..SetAttr::default()
    };
    assert_eq!(
        errno(block_on(fx.node("/f").setattr(&too_big))),
        Errno::EFBIG
    );
    block_on(file.close()).unwrap();
}

#[test]
fn listing_cookies_survive_changes() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    for i in 0..10 {
        fx.write(&format!("/d/f{i}"), b"");
    }
    let dir = fx
        .open("/d", OpenFlags::RDONLY | OpenFlags::DIRECTORY)
        .unwrap();
    let first = block_on(dir.readdir(0, 4)).unwrap();
    assert!(!first.eof);
    let seen: Vec<String> = first.entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(seen, ["f0", "f1", "f2", "f3"]);
    block_on(fx.ns.unlink(&fx.me, "/d/f1")).unwrap();
    block_on(fx.ns.unlink(&fx.me, "/d/f7")).unwrap();
    fx.write("/d/new", b"");
    // The last entry seen may go too: its cookie stays good.
    block_on(fx.ns.unlink(&fx.me, "/d/f3")).unwrap();
    let mut cookie = first.entries[3].cookie;
    let mut rest = Vec::new();
    loop {
        let page = block_on(dir.readdir(cookie, 2)).unwrap();
        if let Some(last) = page.entries.last() {
            cookie = last.cookie;
        }
        rest.extend(page.entries.iter().map(|e| e.name.to_string()));
        if page.eof {
            break;
        }
    }
    assert_eq!(rest, ["f4", "f5", "f6", "f8", "f9", "new"]);
    let entries = block_on(fx.ns.read_dir(&fx.me, "/d")).unwrap();
    assert!(entries.iter().all(
        |e| e.file_type == FileType::Regular && e.ino == fx.stat(&format!("/d/{}", e.name)).ino
    ));
    block_on(dir.close()).unwrap();
}

#[test]
fn a_removed_directory_refuses_everything() {
    let fx = Fixture::new();
    fx.mkdir("/gone");
    let dir = fx.node("/gone");
    block_on(fx.ns.rmdir(&fx.me, "/gone")).unwrap();
    assert_eq!(block_on(dir.getattr()).unwrap().nlink, 0);
    assert_eq!(errno(block_on(dir.lookup(&name("x")))), Errno::ENOENT);
    assert_eq!(
        errno(block_on(dir.create(
            &name("x"),
            &ATTRS,
            CreateMode::Guarded
        ))),
        Errno::ENOENT
    );
    assert_eq!(
        errno(block_on(dir.mkdir(&name("x"), &ATTRS))),
        Errno::ENOENT
    );
    assert_eq!(
        errno(block_on(dir.symlink(&name("x"), b"t", &ATTRS))),
        Errno::ENOENT
    );
    assert_eq!(errno(block_on(dir.readdir(0, 10))), Errno::ENOENT);
    // `..` of a removed directory is its former parent, as Linux resolves it.
    let former_parent = block_on(dir.parent()).unwrap();
    assert_eq!(
        block_on(former_parent.getattr()).unwrap().ino,
        block_on(fx.node("/").getattr()).unwrap().ino
    );
    fx.write("/file", b"");
    assert_eq!(
        errno(block_on(dir.link(&name("x"), &fx.node("/file")))),
        Errno::ENOENT
    );
    assert_eq!(
        errno(block_on(fx.node("/").rename(
            &name("file"),
            &dir,
            &name("x")
        ))),
        Errno::ENOENT
    );
    let root = fx.node("/");
    assert_eq!(block_on(root.parent()).unwrap().ino(), root.ino());
}

#[test]
fn directory_link_counts_and_sizes() {
    let fx = Fixture::new();
    assert_eq!((fx.stat("/").nlink, fx.stat("/").size), (2, 40));
    fx.mkdir("/a");
    fx.mkdir("/a/b");
    fx.mkdir("/a/c");
    fx.write("/a/f", b"");
    assert_eq!(fx.stat("/").nlink, 3);
    assert_eq!((fx.stat("/a").nlink, fx.stat("/a").size), (4, 40 + 3 * 20));
    fx.rename("/a/b", "/b").unwrap();
    assert_eq!((fx.stat("/").nlink, fx.stat("/a").nlink), (4, 3));
    // A directory replacing an empty one: the destination parent keeps its count.
    fx.rename("/b", "/a/c").unwrap();
    assert_eq!((fx.stat("/").nlink, fx.stat("/a").nlink), (3, 3));
    block_on(fx.ns.rmdir(&fx.me, "/a/c")).unwrap();
    assert_eq!(fx.stat("/a").nlink, 2);
    assert_eq!(errno(block_on(fx.ns.rmdir(&fx.me, "/a"))), Errno::ENOTEMPTY);
}

#[test]
fn hard_links_count_and_outlive_names() {
    let fx = Fixture::new();
    fx.write("/one", b"shared");
    block_on(fx.ns.link(&fx.me, "/one", "/two")).unwrap();
    assert_eq!(fx.stat("/one").nlink, 2);
    assert_eq!(fx.stat("/one").ino, fx.stat("/two").ino);
    block_on(fx.ns.unlink(&fx.me, "/one")).unwrap();
    assert_eq!(fx.stat("/two").nlink, 1);
    assert_eq!(fx.read("/two"), b"shared");
    assert_eq!(
        errno(block_on(fx.ns.link(&fx.me, "/two", "/two"))),
        Errno::EEXIST
    );
    fx.mkdir("/d");
    assert_eq!(
        errno(block_on(fx.ns.link(&fx.me, "/d", "/d2"))),
        Errno::EPERM
    );
    // An existing name comes first, as in Linux's `filename_create`.
    let existing = block_on(fx.ns.link(&fx.me, "/d", "/two"));
    assert_eq!(errno(existing), Errno::EEXIST);
    // A file whose last name is gone cannot get a new one.
    let file = fx.node("/two");
    block_on(fx.ns.unlink(&fx.me, "/two")).unwrap();
    assert_eq!(
        errno(block_on(fx.node("/").link(&name("back"), &file))),
        Errno::ENOENT
    );
    // Symlinks are linked themselves.
    block_on(fx.ns.symlink(&fx.me, "nowhere", "/s")).unwrap();
    block_on(fx.ns.link(&fx.me, "/s", "/s2")).unwrap();
    assert_eq!(fx.stat("/s2").file_type, FileType::Symlink);
    assert_eq!(fx.stat("/s").nlink, 2);
}

#[test]
fn nodes_of_another_file_system_are_exdev() {
    let fx = Fixture::new();
    let other = Fixture::new();
    fx.write("/f", b"");
    other.write("/g", b"");
    other.mkdir("/d");
    let root = fx.node("/");
    assert_eq!(
        errno(block_on(root.link(&name("x"), &other.node("/g")))),
        Errno::EXDEV
    );
    assert_eq!(
        errno(block_on(root.rename(
            &name("f"),
            &other.node("/d"),
            &name("f")
        ))),
        Errno::EXDEV
    );
    assert_eq!(
        errno(block_on(root.rename(
            &name("nope"),
            &other.node("/d"),
            &name("f")
        ))),
        Errno::ENOENT
    );
    assert_eq!(other.names("/d"), Vec::<String>::new());
}

#[test]
fn rename_errors_in_linux_order() {
    let fx = Fixture::new();
    fx.mkdir("/a");
    fx.mkdir("/a/b");
    fx.mkdir("/empty");
    fx.mkdir("/full");
    fx.write("/full/x", b"");
    fx.write("/file", b"");
    fx.write("/a/b/f", b"");
    assert_eq!(errno(fx.rename("/nothing", "/new")), Errno::ENOENT);
    assert_eq!(errno(fx.rename("/a", "/a/b/inside")), Errno::EINVAL);
    assert_eq!(errno(fx.rename("/a", "/a/inside")), Errno::EINVAL);
    // Onto an ancestor of the source's directory: Linux's ENOTEMPTY comes first.
    assert_eq!(errno(fx.rename("/a/b/f", "/a")), Errno::ENOTEMPTY);
    assert_eq!(errno(fx.rename("/a/b", "/a")), Errno::ENOTEMPTY);
    assert_eq!(errno(fx.rename("/a", "/file")), Errno::ENOTDIR);
    assert_eq!(errno(fx.rename("/file", "/empty")), Errno::EISDIR);
    assert_eq!(errno(fx.rename("/a", "/full")), Errno::ENOTEMPTY);
    assert_eq!(fx.names("/"), ["a", "empty", "full", "file"]);
}

#[test]
fn rename_replaces_atomically_and_keeps_times_right() {
    let fx = Fixture::new();
    fx.mkdir("/src");
    fx.mkdir("/dst");
    fx.write("/src/f", b"new");
    fx.write("/dst/f", b"old");
    let replaced = fx.open("/dst/f", OpenFlags::RDONLY).unwrap();
    let before = (fx.stat("/src"), fx.stat("/dst"), fx.stat("/src/f"));
    tick();
    fx.rename("/src/f", "/dst/f").unwrap();
    let (src, dst, moved) = (fx.stat("/src"), fx.stat("/dst"), fx.stat("/dst/f"));
    assert_eq!(fx.read("/dst/f"), b"new");
    assert!(src.mtime > before.0.mtime && src.ctime > before.0.ctime);
    assert!(dst.mtime > before.1.mtime && dst.ctime > before.1.ctime);
    assert!(moved.ctime > before.2.ctime);
    assert_eq!(moved.mtime, before.2.mtime);
    assert_eq!((src.size, dst.size), (40, 60));
    let old = block_on(replaced.getattr()).unwrap();
    assert_eq!(old.nlink, 0);
    assert_eq!(old.ctime, moved.ctime);
    let mut buf = [0; 3];
    assert_eq!(block_on(replaced.read_at(0, &mut buf)).unwrap(), 3);
    assert_eq!(&buf, b"old");
    block_on(replaced.close()).unwrap();
    // Two names of one node: nothing happens.
    block_on(fx.ns.link(&fx.me, "/dst/f", "/dst/g")).unwrap();
    let stamp = fx.stat("/dst");
    fx.rename("/dst/f", "/dst/g").unwrap();
    assert_eq!(fx.stat("/dst"), stamp);
    assert_eq!(fx.names("/dst"), ["f", "g"]);
    // Through the node too, where the namespace's own check is not in the way.
    let dst_node = fx.node("/dst");
    block_on(dst_node.rename(&name("f"), &dst_node, &name("g"))).unwrap();
    assert_eq!(fx.names("/dst"), ["f", "g"]);
    // A moved directory's `..` follows it.
    fx.mkdir("/src/sub");
    fx.rename("/src/sub", "/dst/sub").unwrap();
    assert_eq!(
        block_on(fx.ns.stat(&fx.me, "/dst/sub/..")).unwrap().ino,
        fx.stat("/dst").ino
    );
}

#[test]
fn unlink_and_rmdir_errors() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    fx.write("/d/f", b"");
    fx.write("/f", b"");
    let root = fx.node("/");
    assert_eq!(errno(block_on(root.unlink(&name("d")))), Errno::EISDIR);
    assert_eq!(errno(block_on(root.unlink(&name("none")))), Errno::ENOENT);
    assert_eq!(errno(block_on(root.rmdir(&name("f")))), Errno::ENOTDIR);
    assert_eq!(errno(block_on(root.rmdir(&name("d")))), Errno::ENOTEMPTY);
    assert_eq!(errno(block_on(root.rmdir(&name("none")))), Errno::ENOENT);
    assert_eq!(
        errno(block_on(fx.node("/f").lookup(&name("x")))),
        Errno::ENOTDIR
    );
}

#[test]
fn creating_an_existing_name_is_eexist() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    let root = fx.node("/");
    for mode in [CreateMode::Guarded, CreateMode::Exclusive] {
        assert_eq!(
            errno(block_on(root.create(&name("d"), &ATTRS, mode))),
            Errno::EEXIST
        );
    }
    assert_eq!(
        errno(block_on(root.mkdir(&name("d"), &ATTRS))),
        Errno::EEXIST
    );
    assert_eq!(
        errno(block_on(root.symlink(&name("d"), b"x", &ATTRS))),
        Errno::EEXIST
    );
    assert_eq!(
        errno(block_on(root.mknod(&name("d"), FileType::Fifo, 0, &ATTRS))),
        Errno::EEXIST
    );
}

#[test]
fn full_file_system_writes_what_fits_then_enospc() {
    let fx = Fixture::with(RamFsOptions {
        size_limit: Some(16 * PAGE),
        ..RamFsOptions::default()
    });
    let stat = block_on(fx.fs.statfs()).unwrap();
    assert_eq!(
        (stat.blocks, stat.blocks_free, stat.block_size),
        (16, 16, 4096)
    );
    let file = fx.create("/big");
    let chunk = vec![7u8; 10 * PAGE as usize];
    assert_eq!(block_on(file.write_at(0, &chunk)).unwrap(), chunk.len());
    assert_eq!(
        block_on(file.write_at(chunk.len() as u64, &chunk)).unwrap(),
        6 * PAGE as usize
    );
    assert_eq!(
        errno(block_on(file.write_at(16 * PAGE, b"more"))),
        Errno::ENOSPC
    );
    assert_eq!(block_on(file.getattr()).unwrap().size, 16 * PAGE);
    // Allocated pages can be rewritten, holes can be made, but nothing more stored.
    assert_eq!(block_on(file.write_at(5, b"rewrite")).unwrap(), 7);
    block_on(file.truncate(1 << 30)).unwrap();
    assert_eq!(errno(block_on(file.write_at(1 << 29, b"x"))), Errno::ENOSPC);
    assert_eq!(block_on(fx.fs.statfs()).unwrap().blocks_free, 0);
    // A short symlink takes no page, a long one does.
    block_on(fx.ns.symlink(&fx.me, "short", "/s")).unwrap();
    let long = "l".repeat(200);
    assert_eq!(
        errno(block_on(fx.ns.symlink(&fx.me, &long, "/l"))),
        Errno::ENOSPC
    );
    block_on(file.close()).unwrap();
    drop(file);
    block_on(fx.ns.unlink(&fx.me, "/big")).unwrap();
    assert_eq!(block_on(fx.fs.statfs()).unwrap().blocks_free, 16);
    block_on(fx.ns.symlink(&fx.me, &long, "/l")).unwrap();
    assert_eq!((fx.stat("/l").size, fx.stat("/l").blocks), (200, 8));
    assert_eq!(block_on(fx.fs.statfs()).unwrap().blocks_free, 15);
}

#[test]
fn the_inode_limit_counts_links_as_tmpfs_does() {
    let fx = Fixture::with(RamFsOptions {
        inode_limit: Some(3),
        ..RamFsOptions::default()
    });
    fx.write("/a", b"");
    fx.mkdir("/d");
    assert_eq!(
        errno(fx.open("/b", OpenFlags::RDWR | OpenFlags::CREATE)),
        Errno::ENOSPC
    );
    assert_eq!(
        errno(block_on(fx.ns.link(&fx.me, "/a", "/d/a"))),
        Errno::ENOSPC
    );
    let stat = block_on(fx.fs.statfs()).unwrap();
    assert_eq!((stat.files, stat.files_free), (3, 0));
    block_on(fx.ns.rmdir(&fx.me, "/d")).unwrap();
    block_on(fx.ns.link(&fx.me, "/a", "/a2")).unwrap();
    block_on(fx.ns.unlink(&fx.me, "/a")).unwrap();
    assert_eq!(block_on(fx.fs.statfs()).unwrap().files_free, 1);
    block_on(fx.ns.unlink(&fx.me, "/a2")).unwrap();
    assert_eq!(block_on(fx.fs.statfs()).unwrap().files_free, 2);
}

#[test]
fn an_unlinked_open_file_lives_until_closed() {
    let fx = Fixture::with(RamFsOptions {
        size_limit: Some(1 << 20),
        ..RamFsOptions::default()
    });
    let file = fx.create("/tmp");
    let reader = fx.open("/tmp", OpenFlags::RDONLY).unwrap();
    block_on(file.write_at(0, &[1; 3 * PAGE as usize])).unwrap();
    block_on(fx.ns.unlink(&fx.me, "/tmp")).unwrap();
    assert_eq!(errno(block_on(fx.ns.stat(&fx.me, "/tmp"))), Errno::ENOENT);
    assert_eq!(block_on(file.write_at(3 * PAGE, b"more")).unwrap(), 4);
    let attr = block_on(reader.getattr()).unwrap();
    assert_eq!((attr.nlink, attr.size, attr.blocks), (0, 3 * PAGE + 4, 32));
    let mut buf = [0; 4];
    assert_eq!(block_on(reader.read_at(3 * PAGE, &mut buf)).unwrap(), 4);
    assert_eq!(&buf, b"more");
    let total = block_on(fx.fs.statfs()).unwrap().blocks;
    assert_eq!(fx.free_blocks(), total - 4);
    block_on(file.close()).unwrap();
    drop(file);
    assert_eq!(fx.free_blocks(), total - 4, "still open for reading");
    block_on(reader.close()).unwrap();
    drop(reader);
    assert_eq!(fx.free_blocks(), total);
    assert_eq!(
        block_on(fx.fs.statfs()).unwrap().files_free,
        block_on(fx.fs.statfs()).unwrap().files - 1
    );
}

#[test]
fn timestamps_follow_linux() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    let dir_before = fx.stat("/d");
    tick();
    let file = fx.create("/d/f");
    let created = fx.stat("/d/f");
    assert_eq!(
        (created.atime, created.mtime),
        (created.ctime, created.ctime)
    );
    let dir = fx.stat("/d");
    assert!(dir.mtime > dir_before.mtime && dir.ctime == dir.mtime);
    assert_eq!(dir.atime, dir_before.atime);

    tick();
    block_on(file.write_at(0, b"data")).unwrap();
    let written = fx.stat("/d/f");
    assert!(written.mtime > created.mtime && written.ctime == written.mtime);
    assert_eq!(written.atime, created.atime);

    // relatime: the first read after a change updates atime, the next does not.
    tick();
    block_on(file.read_at(0, &mut [0; 4])).unwrap();
    let read = fx.stat("/d/f");
    assert!(read.atime > written.mtime);
    assert_eq!((read.mtime, read.ctime), (written.mtime, written.ctime));
    tick();
    block_on(file.read_at(0, &mut [0; 4])).unwrap();
    assert_eq!(fx.stat("/d/f").atime, read.atime);

    // A same-size truncate still stamps mtime and ctime.
    tick();
    block_on(file.truncate(4)).unwrap();
    let truncated = fx.stat("/d/f");
    assert!(truncated.mtime > read.mtime && truncated.ctime == truncated.mtime);

    // O_NOATIME reads leave atime alone even when relatime would update it.
    let quiet = fx
        .open("/d/f", OpenFlags::RDONLY | OpenFlags::NOATIME)
        .unwrap();
    block_on(quiet.read_at(0, &mut [0; 4])).unwrap();
    assert_eq!(fx.stat("/d/f").atime, truncated.atime);
    block_on(quiet.close()).unwrap();

    // chmod changes ctime only; explicit times set ctime to now.
    tick();
    let chmod = SetAttr {
        mode: Some(0o600),
        ..SetAttr::default()
    };
    let after = block_on(fx.ns.setattr(&fx.me, "/d/f", &chmod, true)).unwrap();
    assert!(after.ctime > truncated.ctime);
    assert_eq!((after.mtime, after.mode), (truncated.mtime, 0o600));
    let past = Timespec::new(1_000_000_000, 5);
    let times = SetAttr {
        atime: Some(SetTime::At(past)),
        mtime: Some(SetTime::Now),
        ..SetAttr::default()
    };
    let set = block_on(fx.ns.setattr(&fx.me, "/d/f", &times, true)).unwrap();
    assert_eq!(set.atime, past);
    assert!(set.mtime >= after.ctime && set.ctime >= set.mtime);
    let bad = SetAttr {
        mtime: Some(SetTime::At(Timespec::new(0, 1_000_000_000))),
        ..SetAttr::default()
    };
    assert_eq!(
        errno(block_on(fx.ns.setattr(&fx.me, "/d/f", &bad, true))),
        Errno::EINVAL
    );

    // Linking and unlinking stamp the node's ctime and the directory's mtime.
    tick();
    block_on(fx.ns.link(&fx.me, "/d/f", "/d/g")).unwrap();
    let linked = fx.stat("/d/g");
    assert!(linked.ctime > set.ctime);
    assert_eq!(fx.stat("/d").mtime, linked.ctime);
    block_on(file.close()).unwrap();
}

#[test]
fn listing_and_readlink_touch_atime_by_relatime() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    block_on(fx.ns.symlink(&fx.me, "target", "/s")).unwrap();
    let (dir, link) = (fx.stat("/d"), fx.stat("/s"));
    tick();
    fx.names("/d");
    assert_eq!(block_on(fx.ns.readlink(&fx.me, "/s")).unwrap(), b"target");
    assert!(fx.stat("/d").atime > dir.atime);
    assert!(fx.stat("/s").atime > link.atime);
    assert_eq!((link.size, link.mode, link.blocks), (6, 0o777, 0));
}

#[test]
fn chown_drops_set_id_bits_of_files_only() {
    let fx = Fixture::new();
    fx.write("/f", b"");
    fx.mkdir("/d");
    let suid = SetAttr {
        mode: Some(0o6755),
        ..SetAttr::default()
    };
    let chown = SetAttr {
        uid: Some(1000),
        ..SetAttr::default()
    };
    for path in ["/f", "/d"] {
        block_on(fx.ns.setattr(&fx.me, path, &suid, true)).unwrap();
        block_on(fx.ns.setattr(&fx.me, path, &chown, true)).unwrap();
    }
    assert_eq!((fx.stat("/f").mode, fx.stat("/f").uid), (0o755, 1000));
    assert_eq!(fx.stat("/d").mode, 0o6755);
}

#[test]
fn size_and_mode_changes_refused_where_linux_refuses_them() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    block_on(fx.ns.symlink(&fx.me, "d", "/s")).unwrap();
    let size = SetAttr {
        size: Some(0),
        ..SetAttr::default()
    };
    let mode = SetAttr {
        mode: Some(0o700),
        ..SetAttr::default()
    };
    assert_eq!(errno(block_on(fx.node("/d").setattr(&size))), Errno::EISDIR);
    assert_eq!(errno(block_on(fx.node("/s").setattr(&size))), Errno::EINVAL);
    assert_eq!(
        errno(block_on(fx.node("/s").setattr(&mode))),
        Errno::EOPNOTSUPP
    );
    assert_eq!(
        errno(block_on(fx.node("/d").open(OpenFlags::RDONLY))),
        Errno::EISDIR
    );
}

#[test]
fn appends_land_at_the_end() {
    let fx = Fixture::new();
    let file = fx
        .open(
            "/log",
            OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::APPEND,
        )
        .unwrap();
    assert_eq!(block_on(file.append(b"one")).unwrap(), (0, 3));
    assert_eq!(block_on(file.write_at(10, b"x")).unwrap(), 1);
    assert_eq!(block_on(file.append(b"two")).unwrap(), (11, 3));
    assert_eq!(block_on(file.append(b"")).unwrap(), (14, 0));
    block_on(file.close()).unwrap();
    assert_eq!(fx.read("/log"), b"one\0\0\0\0\0\0\0xtwo");
}

#[test]
fn instances_are_independent() {
    let one = Fixture::new();
    let two = Fixture::new();
    one.write("/f", b"1");
    assert_eq!(errno(block_on(two.ns.stat(&two.me, "/f"))), Errno::ENOENT);
    assert_eq!(one.stat("/").ino, 1);
    assert_eq!(two.stat("/").ino, 1);
}

#[test]
fn the_root_takes_its_options() {
    let options = RamFsOptions {
        root: NewNode {
            mode: 0o755,
            uid: 7,
            gid: 8,
        },
        ..RamFsOptions::default()
    };
    let fx = Fixture::with(options);
    let root = fx.stat("/");
    assert_eq!((root.mode, root.uid, root.gid), (0o755, 7, 8));
    assert_eq!(Fixture::new().stat("/").mode, 0o1777);
}

#[test]
fn mounts_by_url() {
    let registry = Registry::new();
    vfs_ramfs::register(&registry);
    assert_eq!(registry.schemes(), ["ram"]);
    let fs = block_on(registry.mount("ram://?size=1m")).unwrap();
    assert_eq!(block_on(fs.statfs()).unwrap().blocks, 256);
    assert_eq!(fs.describe(), "ram://?size=1048576");
    assert_eq!(fs.capabilities(), vfs_core::Capabilities::POSIX);
    let error = block_on(registry.mount("ram://?sise=1m")).err().unwrap();
    assert_eq!(error.errno(), Errno::EINVAL);
    assert!(
        error.to_string().contains("unknown option 'sise'"),
        "{error}"
    );
}

#[test]
fn a_deep_tree_is_freed_without_recursion() {
    let fs = RamFs::new(RamFsOptions::default());
    let mut dir = fs.root();
    for _ in 0..50_000 {
        dir = block_on(dir.mkdir(&name("d"), &ATTRS)).unwrap();
    }
    drop(dir);
    // Dropping on a thread with a small stack: a recursive drop would overflow it.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || drop(fs))
        .unwrap()
        .join()
        .unwrap();
}

/// ramfs answers every read on the spot, with what `read_at` returns: data, holes,
/// end of file and the offset limit alike.
#[test]
fn read_at_now_always_answers_as_read_at_does() {
    let fx = Fixture::new();
    let file = fx.create("/f");
    block_on(file.write_at(3 * PAGE, b"tail")).unwrap();
    let node = block_on(fx.ns.resolve(&fx.me, "/f", true)).unwrap();
    let open = block_on(node.vnode().open(OpenFlags::RDONLY)).unwrap();
    let max = i64::MAX as u64;
    for (offset, len) in [
        (0, 10),
        (3 * PAGE - 2, 10),
        (3 * PAGE + 4, 10),
        (1 << 40, 1),
        (max, 2),
    ] {
        let (mut now, mut later) = (vec![0xee; len], vec![0xee; len]);
        let answered = open
            .read_at_now(offset, &mut now)
            .expect("ramfs always answers");
        let awaited = block_on(open.read_at(offset, &mut later));
        assert_eq!(
            answered.map_err(|e| e.errno()),
            awaited.map_err(|e| e.errno()),
            "{len} bytes at {offset}"
        );
        assert_eq!(now, later, "{len} bytes at {offset}");
    }
}

#[test]
fn mknod_makes_each_special_type_with_its_device_number() {
    let fx = Fixture::new();
    let made = [
        ("p", 0o010644, 0, FileType::Fifo),
        ("s", 0o140600, 0, FileType::Socket),
        ("c", 0o020640, 0x103, FileType::CharDevice),
        ("b", 0o060600, 0x1001_0300, FileType::BlockDevice),
    ];
    for (path, mode, rdev, _) in made {
        block_on(fx.ns.mknod(&fx.me, path, mode, rdev)).unwrap();
    }
    let listed = block_on(fx.ns.read_dir(&fx.me, "/")).unwrap();
    for (path, mode, rdev, file_type) in made {
        let attr = block_on(fx.ns.lstat(&fx.me, path)).unwrap();
        assert_eq!(
            (attr.file_type, attr.mode, attr.rdev, attr.size, attr.nlink),
            (file_type, mode & 0o7777, rdev, 0, 1),
            "{path}"
        );
        let entry = listed.iter().find(|e| e.name.as_bytes() == path.as_bytes());
        assert_eq!(entry.map(|e| e.file_type), Some(file_type), "{path}");
        // No pipes or drivers here: opening is ENXIO, as for a device no driver has.
        assert_eq!(
            errno(block_on(fx.ns.open(&fx.me, path, OpenFlags::RDONLY, 0))),
            Errno::ENXIO
        );
    }
    // A FIFO or socket keeps no device number; S_IFREG or no type bits make a file.
    block_on(fx.ns.mknod(&fx.me, "p2", 0o010644, 0x103)).unwrap();
    assert_eq!(block_on(fx.ns.lstat(&fx.me, "p2")).unwrap().rdev, 0);
    block_on(fx.ns.mknod(&fx.me, "f", 0o600, 0x103)).unwrap();
    let file = block_on(fx.ns.lstat(&fx.me, "f")).unwrap();
    assert_eq!(
        (file.file_type, file.mode, file.rdev),
        (FileType::Regular, 0o600, 0)
    );
}

#[test]
fn mknod_checks_in_linux_order() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    fx.mkdir("/locked");
    let writable = SetAttr {
        mode: Some(0o777),
        ..SetAttr::default()
    };
    block_on(fx.ns.setattr(&fx.me, "/d", &writable, true)).unwrap();
    block_on(fx.ns.mknod(&fx.me, "/d/p", 0o010644, 0)).unwrap();
    let user = Caller {
        cwd: fx.ns.root(),
        creds: Credentials::new(1000, 1000, []),
    };
    let cases: [(&Caller, &str, u32, Errno); 9] = [
        // The type is judged before the path is looked at.
        (&fx.me, "/missing/x", 0o040755, Errno::EPERM),
        (&fx.me, "/missing/x", 0o170755, Errno::EINVAL),
        (&fx.me, "/d/p", 0o120777, Errno::EINVAL),
        (&fx.me, "/missing/x", 0o010644, Errno::ENOENT),
        (&fx.me, "/d/p/x", 0o010644, Errno::ENOTDIR),
        (&fx.me, "/d/new/", 0o010644, Errno::ENOENT),
        // An existing name before the privilege a device needs.
        (&user, "/d/p", 0o020644, Errno::EEXIST),
        (&user, "/d/c", 0o060644, Errno::EPERM),
        // Write access to the directory before it (`may_create` in `vfs_mknod`).
        (&user, "/locked/c", 0o020644, Errno::EACCES),
    ];
    for (caller, path, mode, expected) in cases {
        assert_eq!(
            errno(block_on(fx.ns.mknod(caller, path, mode, 0x103))),
            expected,
            "mknod {path} {mode:o}"
        );
    }
    assert_eq!(
        errno(block_on(fx.ns.mknod(&user, "/d/c", 0o020644, 0x103))),
        Errno::EPERM
    );
    // Anyone may make a FIFO, and a character device 0:0 (overlayfs's whiteout).
    block_on(fx.ns.mknod(&user, "/d/q", 0o010644, 0)).unwrap();
    block_on(fx.ns.mknod(&user, "/d/w", 0o020000, 0)).unwrap();
    let whiteout = block_on(fx.ns.lstat(&fx.me, "/d/w")).unwrap();
    assert_eq!(
        (whiteout.file_type, whiteout.uid, whiteout.rdev),
        (FileType::CharDevice, 1000, 0)
    );
}

/// A walk one thread remembered is not reused after another thread renamed a
/// directory on its path: each rename, made on another thread before this one
/// looks again, shows at once (the namespace's walk cache is per thread, the
/// change counter it checks is the file system's).
#[test]
fn renames_on_another_thread_show_in_walks_remembered_here() {
    let fx = Fixture::new();
    fx.mkdir("/d1");
    fx.create("/d1/f");
    let ino = fx.stat("/d1/f").ino;
    let fx = &fx;
    let ino_at = |path: String| block_on(fx.ns.stat(&fx.me, path)).map(|attr| attr.ino);
    std::thread::scope(|scope| {
        let (ask, asked) = std::sync::mpsc::channel::<(&str, &str)>();
        let (done, finished) = std::sync::mpsc::channel();
        scope.spawn(move || {
            for (from, to) in asked {
                done.send(block_on(fx.ns.rename(&fx.me, from, to))).unwrap();
            }
        });
        for _ in 0..100 {
            for (from, to) in [("/d1", "/d2"), ("/d2", "/d1")] {
                // The walk of `from/f` is remembered on this thread.
                assert_eq!(ino_at(format!("{from}/f")).ok(), Some(ino));
                assert_eq!(errno(ino_at(format!("{to}/f"))), Errno::ENOENT);
                ask.send((from, to)).unwrap();
                finished.recv().unwrap().unwrap();
                assert_eq!(errno(ino_at(format!("{from}/f"))), Errno::ENOENT);
                assert_eq!(ino_at(format!("{to}/f")).ok(), Some(ino));
            }
        }
    });
}
