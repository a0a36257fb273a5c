//! What metadata operations cost in calls on nfs-ganesha, counted by the mount's
//! per-procedure counters (`NfsFs::rpc_counts`): each test states the calls one
//! operation may send, so a change that adds a round trip fails here rather than
//! only in the benchmarks. Nothing depends on timing: attributes are cached far
//! longer than any test runs, or not at all (`noac`).

mod support;

use futures::executor::block_on;
use nfs3_types::nfs3::NFS_PROGRAM::{
    NFSPROC3_COMMIT, NFSPROC3_CREATE, NFSPROC3_GETATTR, NFSPROC3_LOOKUP, NFSPROC3_READDIRPLUS,
    NFSPROC3_REMOVE, NFSPROC3_SETATTR, NFSPROC3_WRITE,
};
use std::sync::Arc;
use support::TestDir;
use vfs_core::{MountOptions, Namespace, OpenFlags};
use vfs_nfs::{NfsFs, RpcCounts};

const LONG_CACHE: &str = "actimeo=600";

/// A mount of `dir` with `options`, as a namespace and the file system to count on.
fn mount(dir: &TestDir, options: &str) -> (Namespace, Arc<NfsFs>) {
    let url = dir.url(options);
    let fs = Arc::new(block_on(NfsFs::mount(&url)).unwrap_or_else(|e| panic!("mount {url}: {e}")));
    (Namespace::new(fs.clone(), MountOptions::default()), fs)
}

/// The calls `fs` sends while `work` runs.
fn calls<T>(fs: &NfsFs, work: impl FnOnce() -> T) -> (T, RpcCounts) {
    let before = fs.rpc_counts();
    let result = work();
    (result, fs.rpc_counts().since(&before))
}

#[test]
fn create_is_one_lookup_and_one_create_and_open_sends_no_getattr() {
    let dir = TestDir::new("rpc-create");
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    let (file, spent) = calls(&fs, || {
        block_on(ns.open(&me, "/new", flags, 0o640)).unwrap()
    });
    assert_eq!(spent.get(NFSPROC3_LOOKUP), 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");
    assert_eq!(spent.total(), 2, "open(O_CREAT) of a new name sent {spent}");
    block_on(file.close()).unwrap();
    let attr = block_on(ns.stat(&me, "/new")).unwrap();
    assert_eq!(attr.mode, 0o640, "GUARDED carries the mode");

    // O_EXCL: one EXCLUSIVE CREATE (safe to send again) and the SETATTR of mode
    // and times it needs, no GETATTR; and EEXIST the second time.
    let excl = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    let (file, spent) = calls(&fs, || {
        block_on(ns.open(&me, "/excl", excl, 0o600)).unwrap()
    });
    assert_eq!(spent.get(NFSPROC3_GETATTR), 0, "{spent}");
    assert_eq!(spent.get(NFSPROC3_SETATTR), 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");
    block_on(file.close()).unwrap();
    assert_eq!(
        block_on(ns.open(&me, "/excl", excl, 0o600))
            .unwrap_err()
            .errno(),
        vfs_core::Errno::EEXIST
    );
}

#[test]
fn create_write_close_is_lookup_create_and_one_stable_write() {
    let dir = TestDir::new("rpc-create-write");
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    let data = vec![7u8; 4096];
    let ((), spent) = calls(&fs, || {
        let file = block_on(ns.open(&me, "/small", flags, 0o644)).unwrap();
        assert_eq!(block_on(file.write_at(0, &data)).unwrap(), data.len());
        block_on(file.close()).unwrap();
    });
    // The lone small write goes FILE_SYNC at close: no COMMIT.
    assert_eq!(spent.get(NFSPROC3_WRITE), 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_COMMIT), 0, "{spent}");
    assert_eq!(spent.total(), 3, "create + write + close sent {spent}");
    assert_eq!(std::fs::read(dir.local().join("small")).unwrap(), data);

    // Two writes: the first is sent when the second comes, UNSTABLE, and the
    // close COMMITs as before.
    let ((), spent) = calls(&fs, || {
        let file = block_on(ns.open(&me, "/two", flags, 0o644)).unwrap();
        block_on(file.write_at(0, &data)).unwrap();
        block_on(file.write_at(4096, &data)).unwrap();
        block_on(file.close()).unwrap();
    });
    assert_eq!(spent.get(NFSPROC3_WRITE), 2, "{spent}");
    assert_eq!(spent.get(NFSPROC3_COMMIT), 1, "{spent}");
    assert_eq!(std::fs::read(dir.local().join("two")).unwrap().len(), 8192);
}

#[test]
fn open_after_a_lookup_sends_no_second_getattr() {
    let dir = TestDir::new("rpc-open");
    std::fs::write(dir.local().join("f"), b"data").unwrap();
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let (file, spent) = calls(&fs, || {
        block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap()
    });
    assert_eq!(spent.get(NFSPROC3_LOOKUP), 1, "{spent}");
    assert_eq!(spent.total(), 1, "open of an unknown name sent {spent}");
    block_on(file.close()).unwrap();
    // Close-to-open: a second open of the now cached file asks the server.
    let (file, spent) = calls(&fs, || {
        block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap()
    });
    assert_eq!(spent.get(NFSPROC3_GETATTR), 1, "reopen sent {spent}");
    block_on(file.close()).unwrap();
}

#[test]
fn stat_after_listing_2000_entries_sends_nothing() {
    let dir = TestDir::new("rpc-list");
    let count = 2000;
    for i in 0..count {
        std::fs::write(dir.local().join(format!("f{i:05}")), b"").unwrap();
    }
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let (entries, spent) = calls(&fs, || block_on(ns.read_dir(&me, "/")).unwrap());
    assert_eq!(entries.len(), count);
    assert!(
        spent.get(NFSPROC3_READDIRPLUS) <= 2 && spent.total() == spent.get(NFSPROC3_READDIRPLUS),
        "listing 2,000 entries sent {spent}"
    );
    let ((), spent) = calls(&fs, || {
        for i in 0..count {
            block_on(ns.stat(&me, format!("/f{i:05}"))).unwrap();
        }
    });
    assert_eq!(spent.total(), 0, "stats after the listing sent {spent}");
}

#[test]
fn noac_stat_is_one_lookup() {
    let dir = TestDir::new("rpc-noac");
    std::fs::write(dir.local().join("f"), b"12345").unwrap();
    let (ns, fs) = mount(&dir, "noac");
    let me = ns.root_caller();
    for round in 0..3 {
        let (attr, spent) = calls(&fs, || block_on(ns.stat(&me, "/f")).unwrap());
        assert_eq!(attr.size, 5);
        assert_eq!(spent.get(NFSPROC3_LOOKUP), 1, "round {round}: {spent}");
        assert_eq!(
            spent.total(),
            1,
            "round {round}: stat under noac sent {spent}"
        );
    }
    // Every stat asks: a change on the server is seen at once.
    std::fs::write(dir.local().join("f"), b"1234567").unwrap();
    assert_eq!(block_on(ns.stat(&me, "/f")).unwrap().size, 7);
}

#[test]
fn unlink_of_a_known_name_is_one_remove() {
    let dir = TestDir::new("rpc-unlink");
    for name in ["a", "b", "c"] {
        std::fs::write(dir.local().join(name), b"x").unwrap();
    }
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    block_on(ns.read_dir(&me, "/")).unwrap();
    for name in ["a", "b", "c"] {
        let ((), spent) = calls(&fs, || {
            block_on(ns.unlink(&me, format!("/{name}"))).unwrap()
        });
        assert_eq!(spent.get(NFSPROC3_REMOVE), 1, "{spent}");
        assert_eq!(spent.total(), 1, "unlink of a listed name sent {spent}");
    }
    assert!(block_on(ns.read_dir(&me, "/")).unwrap().is_empty());
    assert!(std::fs::read_dir(dir.local()).unwrap().next().is_none());
}

#[test]
fn small_file_create_write_close_costs() {
    let dir = TestDir::new("rpc-small");
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    let ((), spent) = calls(&fs, || {
        let file = block_on(ns.open(&me, "/small", flags, 0o644)).unwrap();
        assert_eq!(block_on(file.write_at(0, &[7; 4096])).unwrap(), 4096);
        block_on(file.close()).unwrap();
    });
    assert_eq!(spent.get(NFSPROC3_WRITE), 1, "{spent}");
    assert!(spent.get(NFSPROC3_COMMIT) <= 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_GETATTR), 0, "{spent}");
    assert_eq!(spent.get(NFSPROC3_SETATTR), 0, "{spent}");
    assert_eq!(std::fs::read(dir.local().join("small")).unwrap(), [7; 4096]);
}

#[test]
fn many_unlinks_in_an_unlisted_directory_list_it_once() {
    let dir = TestDir::new("rpc-many-unlinks");
    let count = 200;
    for i in 0..count {
        std::fs::write(dir.local().join(format!("f{i:05}")), b"x").unwrap();
    }
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let ((), spent) = calls(&fs, || {
        for i in 0..count {
            block_on(ns.unlink(&me, format!("/f{i:05}"))).unwrap();
        }
    });
    assert_eq!(spent.get(NFSPROC3_REMOVE), count as u64, "{spent}");
    assert_eq!(spent.get(NFSPROC3_READDIRPLUS), 1, "{spent}");
    assert!(spent.get(NFSPROC3_LOOKUP) <= 17, "{spent}");
    assert!(std::fs::read_dir(dir.local()).unwrap().next().is_none());
}

#[test]
fn many_creates_list_their_directory_at_most_once() {
    let dir = TestDir::new("rpc-many-creates");
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    let count = 200;
    let ((), spent) = calls(&fs, || {
        for i in 0..count {
            let file = block_on(ns.open(&me, format!("/f{i:05}"), flags, 0o644)).unwrap();
            block_on(file.close()).unwrap();
        }
    });
    assert_eq!(spent.get(NFSPROC3_CREATE), count as u64, "{spent}");
    assert!(spent.get(NFSPROC3_READDIRPLUS) <= 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_GETATTR), 0, "{spent}");
    // A name made by someone else is still found at once.
    std::fs::write(dir.local().join("theirs"), b"abc").unwrap();
    assert_eq!(block_on(ns.stat(&me, "/theirs")).unwrap().size, 3);
}

#[test]
fn creates_in_a_directory_being_filled_skip_the_lookup_until_a_name_exists() {
    let dir = TestDir::new("rpc-filling");
    std::fs::write(dir.local().join("theirs"), b"abc").unwrap();
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE;
    let open = |name: &str| block_on(ns.open(&me, format!("/{name}"), flags, 0o600)).unwrap();
    block_on(open("first").close()).unwrap();

    // The directory made a new file: the next unknown name is created at once.
    let (file, spent) = calls(&fs, || open("second"));
    block_on(file.close()).unwrap();
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");
    assert_eq!(
        spent.total(),
        1,
        "open(O_CREAT) of a second new name sent {spent}"
    );
    assert_eq!(
        block_on(ns.stat(&me, "/second")).unwrap().mode & 0o7777,
        0o600
    );

    // A name someone else made: the refused create, then the lookup; the file
    // is opened as it is, not truncated or changed.
    let (file, spent) = calls(&fs, || open("theirs"));
    block_on(file.close()).unwrap();
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");
    assert_eq!(spent.get(NFSPROC3_LOOKUP), 1, "{spent}");
    assert_eq!(std::fs::read(dir.local().join("theirs")).unwrap(), b"abc");
    let local_mode = std::fs::metadata(dir.local().join("theirs"))
        .unwrap()
        .permissions();
    assert_ne!(
        std::os::unix::fs::PermissionsExt::mode(&local_mode) & 0o7777,
        0o600,
        "the open's mode applies only to a file it creates"
    );

    // Having found a name there, the next unknown one is looked up first.
    std::fs::write(dir.local().join("also-theirs"), b"x").unwrap();
    let (file, spent) = calls(&fs, || open("also-theirs"));
    block_on(file.close()).unwrap();
    assert_eq!(spent.get(NFSPROC3_CREATE), 0, "{spent}");
    assert_eq!(spent.get(NFSPROC3_LOOKUP), 1, "{spent}");
}

#[test]
fn exclusive_create_of_an_unknown_name_sends_no_lookup() {
    let dir = TestDir::new("rpc-excl-first");
    std::fs::write(dir.local().join("there"), b"abc").unwrap();
    let (ns, fs) = mount(&dir, LONG_CACHE);
    let me = ns.root_caller();
    let excl = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    let (file, spent) = calls(&fs, || block_on(ns.open(&me, "/new", excl, 0o600)).unwrap());
    block_on(file.close()).unwrap();
    assert_eq!(spent.get(NFSPROC3_LOOKUP), 0, "{spent}");
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");

    // An existing name is refused by the create alone.
    let (refused, spent) = calls(&fs, || block_on(ns.open(&me, "/there", excl, 0o600)));
    assert_eq!(refused.unwrap_err().errno(), vfs_core::Errno::EEXIST);
    assert_eq!(spent.get(NFSPROC3_LOOKUP), 0, "{spent}");
    assert_eq!(spent.get(NFSPROC3_CREATE), 1, "{spent}");
    assert_eq!(std::fs::read(dir.local().join("there")).unwrap(), b"abc");
}
