//! The file commands (`ls`, `stat`, `cat`, `cp`, `rm`, `mkdir`, `mv`) run as the
//! built `vfs` binary, on local temporary directories and on two NFS servers: an
//! in-process nfs3_server memfs and the real nfs-ganesha of `scripts/nfs-server`
//! (or the server `VFS_TEST_NFS_URL` names). Every NFS test works in a directory
//! of its own, made with `vfs mkdir` and removed afterwards, since tests run in
//! parallel on one server.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use vfs_nfs::memfs_server::MemfsServer;

/// Longest any one command may take: a hang fails the test instead of stalling it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `vfs ARGS` with stdin closed and stdout/stderr piped.
fn vfs<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vfs"))
        .args(args)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vfs");
    let started = Instant::now();
    // Collected on threads, so a large output cannot fill the pipe and stall it.
    let stdout = child.stdout.take().map(read_on_thread);
    let stderr = child.stderr.take().map(read_on_thread);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for vfs") {
            break status;
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            panic!("vfs {:?} hung", lossy(args));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: stdout.map_or_else(Vec::new, |t| t.join().unwrap()),
        stderr: stderr.map_or_else(Vec::new, |t| t.join().unwrap()),
    }
}

fn read_on_thread(
    mut pipe: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn lossy<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Vec<String> {
    args.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect()
}

/// Runs `vfs ARGS`, which must succeed quietly; returns its stdout.
fn ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Vec<u8> {
    let out = vfs(args);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "vfs {:?}: {}\n{}",
        lossy(args),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `vfs ARGS`, which must fail with one line on stderr; returns that line.
fn fails<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = vfs(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "vfs {:?} succeeded: {}",
        lossy(args),
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.ends_with('\n') && stderr.lines().count() == 1,
        "not one line: {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.trim_end().to_string()
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("UTF-8 output")
}

/// `n` bytes that do not repeat in any short period (xorshift).
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// The URL of this test process's memfs server (one, shared by the tests).
fn memfs_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| MemfsServer::start().expect("start a memfs server").url())
}

/// The URL of the real server: `VFS_TEST_NFS_URL`, else the one
/// `scripts/nfs-server start` runs (started once per test process).
fn ganesha_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("VFS_TEST_NFS_URL") {
            return url;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/nfs-server");
        let out = Command::new(&script)
            .arg("start")
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/nfs-server start");
        assert!(out.status.success(), "scripts/nfs-server start failed");
        let stdout = String::from_utf8(out.stdout).expect("a UTF-8 URL");
        stdout
            .lines()
            .last()
            .expect("scripts/nfs-server start prints the URL")
            .trim()
            .to_string()
    })
}

/// The NFS servers the cases run on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    /// nfs3_server's memfs, in this process. Its MKDIR of an existing name adds a
    /// second entry instead of failing, so that case is not checked on it.
    Memfs,
    /// nfs-ganesha.
    Ganesha,
}

impl Server {
    /// The URL of the export.
    fn url(self) -> &'static str {
        match self {
            Server::Memfs => memfs_url(),
            Server::Ganesha => ganesha_url(),
        }
    }
}

/// `base` (a URL) with `path` appended to its path, before the query.
fn join(base: &str, path: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (base, String::new()),
    };
    format!("{}/{path}{query}", head.trim_end_matches('/'))
}

/// A directory of one test on an NFS server; removed (with `vfs rm -r`) when
/// dropped.
struct Scratch {
    dir: String,
}

impl Scratch {
    /// Makes `t-PID-NAME` in the export `base` names.
    fn new(base: &str, name: &str) -> Scratch {
        let dir = join(base, &format!("t-{}-{name}", std::process::id()));
        ok(&["mkdir", &dir]);
        Scratch { dir }
    }

    /// The URL of `path` inside the directory.
    fn url(&self, path: &str) -> String {
        join(&self.dir, path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let out = vfs(&["rm", "-r", &self.dir]);
        if !std::thread::panicking() {
            assert!(out.status.success(), "removing {}", self.dir);
        }
    }
}

/// The sorted lines of `vfs ls TARGET`.
fn ls(target: &str) -> Vec<String> {
    text(ok(&["ls", target]))
        .lines()
        .map(str::to_string)
        .collect()
}

// --- the cases, each run on both servers -----------------------------------------

/// A few MiB of random data survive local -> NFS -> NFS -> local; `cat` prints
/// them; a copy past the progress bar's size stays quiet when piped.
fn cp_round_trip(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let data = random_bytes(9 << 20, 7);
    let source = local.path().join("source");
    std::fs::write(&source, &data).unwrap();
    let back = local.path().join("back");
    let one = scratch.url("one");
    let two = scratch.url("two");
    let out = vfs(&["cp".as_ref(), source.as_os_str(), one.as_ref()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty() && out.stdout.is_empty(), "not quiet");
    ok(&["cp", &one, &two]);
    ok(&["cp".as_ref(), two.as_ref(), back.as_os_str()]);
    assert!(std::fs::read(&back).unwrap() == data, "data changed");
    assert!(ok(&["cat", &two]) == data, "cat changed the data");
    assert_eq!(ls(&scratch.dir), ["one", "two"]);
}

/// `cp -n` refuses an existing file and leaves it alone; `cp` overwrites it
/// (also with less data: the old tail goes).
fn cp_no_clobber_and_overwrite(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let long = local.path().join("long");
    let short = local.path().join("short");
    std::fs::write(&long, "the longer content\n").unwrap();
    std::fs::write(&short, "short\n").unwrap();
    let file = scratch.url("file");
    ok(&["cp".as_ref(), long.as_os_str(), file.as_ref()]);
    let refused = fails(&[
        "cp".as_ref(),
        "-n".as_ref(),
        short.as_os_str(),
        file.as_ref(),
    ]);
    assert_eq!(
        refused,
        format!("vfs cp: {file}: File exists: not overwritten (-n)")
    );
    assert_eq!(text(ok(&["cat", &file])), "the longer content\n");
    ok(&["cp".as_ref(), short.as_os_str(), file.as_ref()]);
    assert_eq!(text(ok(&["cat", &file])), "short\n");
    // A new name is fine with -n.
    ok(&["cp", "-n", &file, &scratch.url("new")]);
    assert_eq!(text(ok(&["cat", &scratch.url("new")])), "short\n");
}

/// A directory destination means "into it", both ways, with several sources too.
fn cp_into_directory(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let (a, b) = (local.path().join("a"), local.path().join("b c"));
    std::fs::write(&a, "a\n").unwrap();
    std::fs::write(&b, "b\n").unwrap();
    ok(&[
        "cp".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        scratch.dir.as_ref(),
    ]);
    assert_eq!(ls(&scratch.dir), ["a", "b c"]);
    assert_eq!(text(ok(&["cat", &scratch.url("b%20c")])), "b\n");
    let into = local.path().join("into");
    std::fs::create_dir(&into).unwrap();
    ok(&["cp".as_ref(), scratch.url("a").as_ref(), into.as_os_str()]);
    assert_eq!(std::fs::read_to_string(into.join("a")).unwrap(), "a\n");
    // Several sources need a directory.
    let message = fails(&[
        "cp".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        scratch.url("a").as_ref(),
    ]);
    assert!(message.contains("not a directory"), "{message}");
    // A directory is copied only with -r.
    let message = fails(&["cp", &scratch.dir, &scratch.url("sub")]);
    assert!(message.contains("-r"), "{message}");
    ok(&["mkdir", &scratch.url("d")]);
    ok(&["cp", &scratch.url("a"), &scratch.url("d")]);
    ok(&["cp", "-r", &scratch.url("d"), &scratch.url("e")]);
    assert_eq!(ls(&scratch.url("e")), ["a"]);
}

/// `cat` prints files in order; a missing one is reported as cat(1) would, the
/// others still printed.
fn cat_files(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let x = local.path().join("x");
    std::fs::write(&x, "one\n").unwrap();
    ok(&["cp".as_ref(), x.as_os_str(), scratch.url("x").as_ref()]);
    let missing = scratch.url("missing");
    let out = vfs(&[
        "cat".as_ref(),
        scratch.url("x").as_ref(),
        missing.as_ref(),
        x.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(out.stdout), "one\none\n");
    assert_eq!(
        text(out.stderr),
        format!("vfs cat: {missing}: No such file or directory\n")
    );
    let message = fails(&["cat", &scratch.dir]);
    assert!(message.ends_with("Is a directory"), "{message}");
}

/// `ls` lists names in C order, `ls -l` as `ls -ln` does; a file is named itself.
fn ls_names(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let f = local.path().join("f");
    std::fs::write(&f, "12345").unwrap();
    for name in ["b", "B", "a", "_z", "%C3%A9"] {
        ok(&["cp".as_ref(), f.as_os_str(), scratch.url(name).as_ref()]);
    }
    ok(&["mkdir", &scratch.url("dir")]);
    assert_eq!(ls(&scratch.dir), ["B", "_z", "a", "b", "dir", "\u{e9}"]);
    let long = text(ok(&["ls", "-l", &scratch.dir]));
    let lines: Vec<&str> = long.lines().collect();
    assert!(lines[0].starts_with("total "), "{long}");
    assert_eq!(lines.len(), 7, "{long}");
    let b = lines[1];
    assert!(b.starts_with("-rw") && b.ends_with(" B"), "{b}");
    let fields: Vec<&str> = b.split_whitespace().collect();
    assert_eq!(fields.len(), 9, "{b}");
    assert_eq!((fields[1], fields[4]), ("1", "5"), "{b}");
    assert!(
        lines[5].starts_with('d') && lines[5].ends_with(" dir"),
        "{long}"
    );
    let file = scratch.url("a");
    assert_eq!(text(ok(&["ls", &file])), format!("{file}\n"));
    let message = fails(&["ls", &scratch.url("nothing")]);
    assert!(
        message.ends_with(": No such file or directory"),
        "{message}"
    );
}

/// `stat` describes files and directories in stat(1)'s layout.
fn stat_files(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let f = local.path().join("f");
    std::fs::write(&f, "12345").unwrap();
    let file = scratch.url("f");
    ok(&["cp".as_ref(), f.as_os_str(), file.as_ref()]);
    let out = text(ok(&["stat", &file]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("  File: {file}"));
    assert!(
        lines[1].starts_with("  Size: 5 ") && lines[1].ends_with(" regular file"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("Device: ") && lines[2].contains("Links: 1"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("Access: (0") && lines[3].contains("/-rw"),
        "{out}"
    );
    assert!(lines[5].starts_with("Modify: 20"), "{out}");
    let dir = text(ok(&["stat", &scratch.dir]));
    assert!(dir.lines().nth(1).unwrap().ends_with(" directory"), "{dir}");
    let message = fails(&["stat", &scratch.url("none")]);
    assert!(
        message.ends_with(": No such file or directory"),
        "{message}"
    );
}

/// `rm` removes files; directories only with `-r`; missing names are reported.
fn rm_files(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let f = local.path().join("f");
    std::fs::write(&f, "x").unwrap();
    ok(&["cp".as_ref(), f.as_os_str(), scratch.url("f").as_ref()]);
    ok(&["mkdir", "-p", &scratch.url("d/e")]);
    ok(&["cp".as_ref(), f.as_os_str(), scratch.url("d/e/g").as_ref()]);
    ok(&["rm", &scratch.url("f")]);
    let message = fails(&["rm", &scratch.url("d")]);
    assert_eq!(
        message,
        format!("vfs rm: {}: Is a directory (use -r)", scratch.url("d"))
    );
    ok(&["rm", "-r", &scratch.url("d")]);
    assert!(ls(&scratch.dir).is_empty());
    let message = fails(&["rm", &scratch.url("f")]);
    assert_eq!(
        message,
        format!("vfs rm: {}: No such file or directory", scratch.url("f"))
    );
}

/// `mkdir` makes one directory; `-p` makes parents and accepts existing ones.
fn mkdir_dirs(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    ok(&["mkdir", &scratch.url("a")]);
    if server == Server::Ganesha {
        let message = fails(&["mkdir", &scratch.url("a")]);
        assert_eq!(
            message,
            format!("vfs mkdir: {}: File exists", scratch.url("a"))
        );
    }
    let message = fails(&["mkdir", &scratch.url("x/y")]);
    assert!(
        message.ends_with(": No such file or directory"),
        "{message}"
    );
    ok(&["mkdir", "-p", &scratch.url("x/y/z"), &scratch.url("a")]);
    ok(&["mkdir", "-p", &scratch.dir]);
    assert_eq!(ls(&scratch.url("x/y")), ["z"]);
    assert_eq!(ls(&scratch.dir), ["a", "x"]);
}

/// `mv` renames within the server (files, directories, into a directory) and
/// moves between it and local directories both ways.
fn mv_within_and_across(server: Server, test: &str) {
    let scratch = Scratch::new(server.url(), test);
    let local = tempfile::tempdir().unwrap();
    let f = local.path().join("f");
    std::fs::write(&f, "moved\n").unwrap();
    // Local -> NFS: the source goes.
    ok(&["mv".as_ref(), f.as_os_str(), scratch.url("f").as_ref()]);
    assert!(!f.exists());
    // Within the server: rename (the same file under a new name), and into a
    // directory.
    let inode = |url: &str| {
        let stat = text(ok(&["stat", url]));
        let at = stat.find("Inode: ").expect("an inode") + "Inode: ".len();
        stat[at..].split_whitespace().next().unwrap().to_string()
    };
    let before = inode(&scratch.url("f"));
    ok(&["mv", &scratch.url("f"), &scratch.url("g")]);
    assert_eq!(inode(&scratch.url("g")), before);
    ok(&["mkdir", &scratch.url("d")]);
    ok(&["mv", &scratch.url("g"), &scratch.url("d")]);
    assert_eq!(ls(&scratch.dir), ["d"]);
    ok(&["mv", &scratch.url("d"), &scratch.url("e")]);
    assert_eq!(text(ok(&["cat", &scratch.url("e/g")])), "moved\n");
    // NFS -> local, a whole directory.
    let out = local.path().join("out");
    ok(&["mv".as_ref(), scratch.url("e").as_ref(), out.as_os_str()]);
    assert_eq!(std::fs::read_to_string(out.join("g")).unwrap(), "moved\n");
    assert!(ls(&scratch.dir).is_empty());
    // And back: a directory into a directory.
    ok(&["mkdir", &scratch.url("back")]);
    ok(&["mv".as_ref(), out.as_os_str(), scratch.url("back").as_ref()]);
    assert_eq!(ls(&scratch.url("back/out")), ["g"]);
    assert!(!out.exists());
    let message = fails(&["mv", &scratch.url("none"), &scratch.url("back")]);
    assert!(
        message.ends_with(": No such file or directory"),
        "{message}"
    );
}

/// Generates one test per server for each case.
macro_rules! on_both_servers {
    ($($case:ident),* $(,)?) => {
        mod memfs {
            $(#[test]
            fn $case() {
                super::$case(super::Server::Memfs, stringify!($case));
            })*
        }
        mod ganesha {
            $(#[test]
            fn $case() {
                super::$case(super::Server::Ganesha, stringify!($case));
            })*
        }
    };
}

on_both_servers!(
    cp_round_trip,
    cp_no_clobber_and_overwrite,
    cp_into_directory,
    cat_files,
    ls_names,
    stat_files,
    rm_files,
    mkdir_dirs,
    mv_within_and_across,
);

// --- local paths only -------------------------------------------------------------

/// On a local directory, `vfs ls -l` prints what `ls -ln` prints.
#[test]
fn ls_long_matches_gnu_ls() {
    let local = tempfile::tempdir().unwrap();
    let dir = local.path();
    std::fs::write(dir.join("file"), "hello").unwrap();
    std::fs::write(dir.join("big"), vec![1; 100_000]).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink("file", dir.join("link")).unwrap();
    let ours = text(ok(&["ls".as_ref(), "-l".as_ref(), dir.as_os_str()]));
    let gnu = Command::new("ls")
        .arg("-ln")
        .arg(dir)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .output()
        .expect("run ls");
    assert_eq!(ours, text(gnu.stdout));
    let names = text(ok(&["ls".as_ref(), dir.as_os_str()]));
    assert_eq!(names, "big\nfile\nlink\nsub\n");
}

/// `cp` and `mv` between local paths; a file is never copied onto itself, nor a
/// directory into itself.
#[test]
fn local_copies_and_moves() {
    let local = tempfile::tempdir().unwrap();
    let a = local.path().join("a");
    std::fs::write(&a, "data").unwrap();
    let message = fails(&["cp".as_ref(), a.as_os_str(), local.path().as_os_str()]);
    assert!(message.contains("the same file"), "{message}");
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "data");
    let b = local.path().join("b");
    ok(&["cp".as_ref(), a.as_os_str(), b.as_os_str()]);
    let d = local.path().join("d");
    ok(&["mkdir".as_ref(), d.as_os_str()]);
    ok(&["mv".as_ref(), b.as_os_str(), d.as_os_str()]);
    assert_eq!(std::fs::read_to_string(d.join("b")).unwrap(), "data");
    let message = fails(&[
        "cp".as_ref(),
        "-r".as_ref(),
        d.as_os_str(),
        d.join("inner").as_os_str(),
    ]);
    assert!(message.contains("into itself"), "{message}");
}

/// A URL of the in-memory backend lives for one command: two of its targets in
/// one `vfs cp` share the file system.
#[test]
fn ram_urls_work_within_one_command() {
    let local = tempfile::tempdir().unwrap();
    let a = local.path().join("a");
    std::fs::write(&a, "ram").unwrap();
    ok(&["cp".as_ref(), a.as_os_str(), "ram:///".as_ref()]);
    assert_eq!(text(ok(&["ls", "ram://"])), "");
    let message = fails(&["cat", "ram:///a"]);
    assert_eq!(message, "vfs cat: ram:///a: No such file or directory");
}

/// Bad input gives one clear line and exit code 1, never a panic or a hang.
#[test]
fn bad_input_is_reported() {
    let message = fails(&["ls", "nfs://[::1/export"]);
    assert!(
        message.starts_with("vfs ls: nfs://[::1/export: malformed URL"),
        "{message}"
    );
    let message = fails(&["cat", "zip://host/x"]);
    assert!(message.contains("unknown URL scheme 'zip'"), "{message}");
    let message = fails(&["cat", "/nonexistent/file"]);
    assert_eq!(
        message,
        "vfs cat: /nonexistent/file: No such file or directory"
    );
    let message = fails(&["ls", &join(memfs_url(), "x?bogus=1")]);
    assert!(message.contains("unknown option 'bogus'"), "{message}");
    let unreachable = "nfs://127.0.0.1/export?nfsport=1&mountport=1";
    for command in ["ls", "cat", "stat", "rm", "mkdir"] {
        let started = Instant::now();
        let message = fails(&[command, unreachable]);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{command} slow"
        );
        assert!(
            message.starts_with(&format!("vfs {command}: {unreachable}: "))
                && message.contains("127.0.0.1:1")
                && message.contains("Connection refused"),
            "{message}"
        );
    }
    let message = fails(&["cp", "/nonexistent", unreachable]);
    assert!(message.contains("127.0.0.1:1"), "{message}");
    let usage = vfs(&["cp", "only-one"]);
    assert_eq!(usage.status.code(), Some(2));
}

/// On a terminal a large copy shows its progress with rate and time left.
#[test]
fn progress_bar_on_a_terminal() {
    let local = tempfile::tempdir().unwrap();
    let (a, b) = (local.path().join("a"), local.path().join("b"));
    std::fs::write(&a, vec![7; 9 << 20]).unwrap();
    // script(1) runs the command on a pseudo-terminal and copies what it shows.
    let command = format!(
        "'{}' cp '{}' '{}'",
        env!("CARGO_BIN_EXE_vfs"),
        a.display(),
        b.display()
    );
    let shown = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("run script(1) from util-linux");
    assert!(shown.status.success());
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("9.00 MiB") && shown.contains("/s ETA "),
        "{shown:?}"
    );
    assert_eq!(std::fs::read(&b).unwrap().len(), 9 << 20);
}

/// `vfs ls` lists the names libnfs's `nfs-ls` lists on the real server.
#[test]
fn ls_agrees_with_libnfs() {
    let scratch = Scratch::new(ganesha_url(), "ls_agrees_with_libnfs");
    let local = tempfile::tempdir().unwrap();
    let f = local.path().join("f");
    std::fs::write(&f, "x").unwrap();
    for name in ["plain", "with%20space", "Upper", "dot.ted"] {
        ok(&["cp".as_ref(), f.as_os_str(), scratch.url(name).as_ref()]);
    }
    ok(&["mkdir", &scratch.url("sub")]);
    let ours = ls(&scratch.dir);
    let theirs = Command::new("nfs-ls")
        .arg(&scratch.dir)
        .output()
        .expect("run nfs-ls (libnfs-utils, installed by scripts/nfs-server)");
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    // nfs-ls prints mode, links, uid, gid and size before each name.
    let mut names: Vec<String> = text(theirs.stdout)
        .lines()
        .map(|line| {
            let mut rest = line.trim_start();
            for _ in 0..5 {
                rest = rest.split_once(char::is_whitespace).unwrap().1.trim_start();
            }
            rest.to_string()
        })
        .filter(|name| name != "." && name != "..")
        .collect();
    names.sort();
    assert_eq!(ours, names);
    assert_eq!(ours, ["Upper", "dot.ted", "plain", "sub", "with space"]);
}
