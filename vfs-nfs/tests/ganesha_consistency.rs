//! Consistency with the server's own view on nfs-ganesha: changes made directly in
//! the exported directory are seen on the next open (close-to-open) and lookup,
//! however long attributes may be cached; data acknowledged by `fsync` or `close`
//! is in the exported file.

mod support;

use futures::executor::block_on;
use support::{random_bytes, read_file, write_file, TestDir};
use vfs_core::{Errno, OpenFlags};

/// Attributes trusted for ten minutes: longer than any test runs, so whatever is
/// seen of a change was asked of the server, not waited out.
const LONG_CACHE: &str = "actimeo=600";

#[test]
fn reopen_sees_a_file_changed_on_the_server() {
    let dir = TestDir::new("cto");
    let ns = dir.mount(LONG_CACHE);
    let me = ns.root_caller();
    let local = dir.local().join("f");
    write_file(&ns, "/f", b"first version").unwrap();
    assert_eq!(read_file(&ns, "/f").unwrap(), b"first version");
    assert_eq!(block_on(ns.stat(&me, "/f")).unwrap().size, 13);

    // Longer, in place (same inode).
    std::fs::write(&local, b"the second, longer version").unwrap();
    let file = block_on(ns.open(&me, "/f", OpenFlags::RDONLY, 0)).unwrap();
    assert_eq!(block_on(file.getattr()).unwrap().size, 26);
    let mut buf = [0; 64];
    let n = block_on(file.read_at(0, &mut buf)).unwrap();
    assert_eq!(&buf[..n], b"the second, longer version");
    block_on(file.close()).unwrap();
    assert_eq!(block_on(ns.stat(&me, "/f")).unwrap().size, 26);

    // Shorter.
    std::fs::write(&local, b"third").unwrap();
    assert_eq!(read_file(&ns, "/f").unwrap(), b"third");
    assert_eq!(block_on(ns.stat(&me, "/f")).unwrap().size, 5);

    // Same size, other bytes: only the times tell.
    std::fs::write(&local, b"THIRD").unwrap();
    assert_eq!(read_file(&ns, "/f").unwrap(), b"THIRD");

    // Bigger than one transfer, rewritten in the middle.
    let mut big = random_bytes(7, 3 << 20);
    std::fs::write(&local, &big).unwrap();
    assert!(read_file(&ns, "/f").unwrap() == big);
    big[(1 << 20) + 5..(2 << 20) + 5].fill(0xA5);
    std::fs::write(&local, &big).unwrap();
    assert!(read_file(&ns, "/f").unwrap() == big);
}

#[test]
fn lookup_finds_names_made_on_the_server() {
    let dir = TestDir::new("lookup");
    let ns = dir.mount(LONG_CACHE);
    let me = ns.root_caller();
    write_file(&ns, "/known", b"known").unwrap();
    // Listed and looked up: the directory and its entries are cached.
    assert_eq!(block_on(ns.read_dir(&me, "/")).unwrap().len(), 1);
    assert_eq!(
        block_on(ns.stat(&me, "/new")).unwrap_err().errno(),
        Errno::ENOENT
    );

    std::fs::write(dir.local().join("new"), b"made on the server").unwrap();
    std::fs::create_dir(dir.local().join("newdir")).unwrap();
    std::fs::write(dir.local().join("newdir/inner"), b"inner").unwrap();

    assert_eq!(block_on(ns.stat(&me, "/new")).unwrap().size, 18);
    assert_eq!(read_file(&ns, "/new").unwrap(), b"made on the server");
    assert_eq!(read_file(&ns, "/newdir/inner").unwrap(), b"inner");
    let mut names: Vec<String> = block_on(ns.read_dir(&me, "/"))
        .unwrap()
        .into_iter()
        .map(|entry| entry.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["known", "new", "newdir"]);
}

/// Files' attributes trusted for ten minutes, directories' never: every lookup
/// asks whether the directory changed.
const FRESH_DIRS: &str = "acregmin=600&acregmax=600&acdirmin=0&acdirmax=0";

/// Renames a new file over `f` in the exported directory: the name now leads to
/// another inode, while the handle a mount cached for it still works (ganesha
/// keeps the old inode open), so only the directory's change tells.
fn replace_on_server(dir: &TestDir, content: &[u8]) {
    let local = dir.local();
    std::fs::write(local.join("f.new"), content).unwrap();
    std::fs::rename(local.join("f.new"), local.join("f")).unwrap();
}

#[test]
fn a_name_replaced_on_the_server_opens_the_new_file_once_the_directory_changed() {
    let dir = TestDir::new("replaced");
    write_file(&dir.mount(""), "/f", b"old file").unwrap();

    // Directory attributes never cached: the next lookup sees the change.
    let fresh = dir.mount(FRESH_DIRS);
    assert_eq!(read_file(&fresh, "/f").unwrap(), b"old file");
    replace_on_server(&dir, b"the new file");
    assert_eq!(read_file(&fresh, "/f").unwrap(), b"the new file");
    assert_eq!(
        block_on(fresh.stat(&fresh.root_caller(), "/f"))
            .unwrap()
            .size,
        12
    );

    // Directory attributes cached for long: within that time a cached name is
    // trusted (as on Linux), until a reply shows the directory changed; a listing
    // brings the directory's attributes.
    let cached = dir.mount(LONG_CACHE);
    assert_eq!(read_file(&cached, "/f").unwrap(), b"the new file");
    replace_on_server(&dir, b"the newest file");
    assert_eq!(
        block_on(cached.read_dir(&cached.root_caller(), "/"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(read_file(&cached, "/f").unwrap(), b"the newest file");
    assert_eq!(
        block_on(cached.stat(&cached.root_caller(), "/f"))
            .unwrap()
            .size,
        15
    );
}

#[test]
fn data_acknowledged_by_fsync_and_close_is_on_the_server() {
    let dir = TestDir::new("durable");
    let ns = dir.mount("");
    let me = ns.root_caller();
    let local = dir.local().join("f");
    let flags = OpenFlags::RDWR | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    let file = block_on(ns.open(&me, "/f", flags, 0o644)).unwrap();

    // More than one transfer, then fsync: on the server while still open.
    let mut expected = random_bytes(11, (2 << 20) + 4097);
    assert_eq!(
        block_on(file.write_at(0, &expected)).unwrap(),
        expected.len()
    );
    block_on(file.fsync(false)).unwrap();
    assert!(std::fs::read(&local).unwrap() == expected, "after fsync");

    // A rewrite in the middle and an extension, then fdatasync.
    let patch = random_bytes(12, 100_000);
    block_on(file.write_at(1_000_000, &patch)).unwrap();
    expected[1_000_000..1_100_000].copy_from_slice(&patch);
    let tail = random_bytes(13, 5000);
    block_on(file.write_at(expected.len() as u64, &tail)).unwrap();
    expected.extend_from_slice(&tail);
    block_on(file.fsync(true)).unwrap();
    assert!(
        std::fs::read(&local).unwrap() == expected,
        "after fdatasync"
    );

    // The last writes acknowledged by close alone.
    let last = random_bytes(14, 70_000);
    block_on(file.write_at(10, &last)).unwrap();
    expected[10..70_010].copy_from_slice(&last);
    block_on(file.close()).unwrap();
    assert!(std::fs::read(&local).unwrap() == expected, "after close");

    // And a whole file written and closed by the helper every test uses.
    let other = random_bytes(15, 1 << 20);
    write_file(&ns, "/g", &other).unwrap();
    assert!(std::fs::read(dir.local().join("g")).unwrap() == other, "g");
}
