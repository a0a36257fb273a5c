//! Interoperability with libnfs (libnfs-utils' nfs-cat, nfs-cp and nfs-ls) on the
//! same nfs-ganesha export: what one client writes, the other reads intact, and
//! both list the same names.
//!
//! Contents are compared byte for byte (which also tells where they differ) and by
//! the sha256 `sha256sum` computes: an independent implementation from coreutils,
//! which is on every machine that has the server, so the workspace takes no new
//! dependency for it.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use support::{random_bytes, read_file, write_file, TestDir};

/// 64 MiB: 64 full 1 MiB transfers, so every WRITE, COMMIT and READ path of both
/// clients is crossed many times.
const BIG: usize = 64 << 20;

/// Runs a tool and insists that it succeeded.
fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (libnfs-utils installed?): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The sha256 of `data` as `sha256sum` prints it.
fn sha256(data: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sha256sum");
    let mut stdin = child.stdin.take().expect("sha256sum stdin");
    // Fed from another thread: sha256sum's output pipe is read only once it exits.
    let output = std::thread::scope(|scope| {
        scope.spawn(move || stdin.write_all(data).expect("feed sha256sum"));
        child.wait_with_output().expect("sha256sum output")
    });
    assert!(output.status.success(), "sha256sum failed");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_string()
}

/// Fails naming the first differing byte (a 64 MiB dump helps nobody).
fn assert_same(what: &str, got: &[u8], expected: &[u8]) {
    if let Some(at) = got.iter().zip(expected).position(|(a, b)| a != b) {
        panic!("{what}: first difference at byte {at}");
    }
    assert_eq!(got.len(), expected.len(), "{what}: length");
}

/// A file outside the export, removed when dropped.
struct LocalFile(PathBuf);

impl LocalFile {
    fn new(name: &str, data: &[u8]) -> LocalFile {
        let path = std::env::temp_dir().join(format!("vfs-nfs-{}-{name}", std::process::id()));
        std::fs::write(&path, data).expect("write the local file");
        LocalFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn written_by_vfs_nfs_reads_back_through_nfs_cat() {
    let dir = TestDir::new("to-libnfs");
    let ns = dir.mount("");
    let data = random_bytes(1, BIG);
    let expected = sha256(&data);
    write_file(&ns, "/big", &data).unwrap();
    let output = run("nfs-cat", &[&dir.file_url("big")]);
    assert_same("nfs-cat of a file vfs-nfs wrote", &output.stdout, &data);
    assert_eq!(sha256(&output.stdout), expected);
}

#[test]
fn written_by_nfs_cp_reads_back_through_vfs_nfs() {
    let dir = TestDir::new("from-libnfs");
    let data = random_bytes(2, BIG);
    let local = LocalFile::new("nfs-cp-source", &data);
    let expected = run("sha256sum", &[local.path()]);
    let expected = String::from_utf8_lossy(&expected.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_string();
    run("nfs-cp", &[local.path(), &dir.file_url("big")]);
    let ns = dir.mount("");
    let back = read_file(&ns, "/big").unwrap();
    assert_same("vfs-nfs read of a file nfs-cp wrote", &back, &data);
    assert_eq!(sha256(&back), expected);
}

#[test]
fn readdir_lists_what_nfs_ls_lists() {
    let dir = TestDir::new("listing");
    let ns = dir.mount("");
    let me = ns.root_caller();
    let mut names: Vec<String> = ["plain", "with space", "ünïcödé", "dot.ted", ".hidden"]
        .iter()
        .map(|name| name.to_string())
        .collect();
    // Enough entries for several READDIRPLUS replies (dtpref is 16 KiB on ganesha).
    names.extend((0..600).map(|i| format!("file-{i:04}")));
    for name in &names {
        write_file(&ns, &format!("/{name}"), name.as_bytes()).unwrap();
    }
    futures::executor::block_on(ns.mkdir(&me, "/subdir", 0o755)).unwrap();
    names.push("subdir".to_string());
    // One entry the other client made.
    let local = LocalFile::new("listed", b"from libnfs");
    run("nfs-cp", &[local.path(), &dir.file_url("from-libnfs")]);
    names.push("from-libnfs".to_string());
    names.sort();

    let mut ours: Vec<String> = futures::executor::block_on(ns.read_dir(&me, "/"))
        .unwrap()
        .into_iter()
        .map(|entry| entry.name.to_string())
        .collect();
    ours.sort();
    let listing = run("nfs-ls", &[&dir.url("")]);
    let mut theirs: Vec<String> = String::from_utf8(listing.stdout)
        .expect("nfs-ls prints UTF-8 here")
        .lines()
        .map(nfs_ls_name)
        .filter(|name| name != "." && name != "..")
        .collect();
    theirs.sort();
    assert_eq!(ours, theirs, "vfs-nfs readdir against nfs-ls");
    assert_eq!(ours, names, "vfs-nfs readdir against the names made");
}

/// The name in one line of `nfs-ls` output: what follows the mode, link count,
/// uid, gid and size columns (names may hold single spaces).
fn nfs_ls_name(line: &str) -> String {
    let mut rest = line.trim_start();
    for _ in 0..5 {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest.to_string()
}
