//! The std::fs-shaped API (`vfs_posix_shim::fs`), each call and its error paths
//! compared with what `std::fs` does on a real temporary directory: same results,
//! same `ErrorKind` and `raw_os_error`, and the same message for the errors std
//! makes itself.

use std::ffi::OsString;
use std::fmt::Debug;
use std::io::{
    self, BufRead, BufReader, BufWriter, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write,
};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{
    DirBuilderExt, DirEntryExt, FileExt, FileTypeExt, MetadataExt, PermissionsExt,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vfs_core::{MountOptions, OpenFlags};
use vfs_posix_shim::fs::{DirBuilder, File, FileTimes, Fs, OpenOptions, Permissions};
use vfs_posix_shim::Vfs;

/// A fresh shim world (names under `/`) beside a fresh real directory (names
/// under a temporary directory), with the same umask.
struct World {
    fs: Fs,
    real: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let process = Vfs::from_url("ram://").unwrap().process();
        process.umask(real_umask());
        World {
            fs: Fs::new(Arc::new(process)),
            real: tempfile::tempdir().unwrap(),
        }
    }

    /// `name` in the shim world.
    fn shim(&self, name: impl AsRef<Path>) -> PathBuf {
        Path::new("/").join(name)
    }

    /// `name` in the real directory.
    fn real(&self, name: impl AsRef<Path>) -> PathBuf {
        self.real.path().join(name)
    }

    /// Creates empty file `name` in both, open for reading and writing.
    fn new_read_write(&self, name: &str) -> (File, std::fs::File) {
        let shim = File::create_new(&self.fs, self.shim(name)).unwrap();
        let real = std::fs::File::create_new(self.real(name)).unwrap();
        (shim, real)
    }

    /// Makes file `name` holding `contents` in both.
    fn file(&self, name: &str, contents: &[u8]) {
        std::fs::write(self.real(name), contents).unwrap();
        self.fs.write(self.shim(name), contents).unwrap();
    }

    /// Makes directory `name` in both.
    fn dir(&self, name: &str) {
        std::fs::create_dir(self.real(name)).unwrap();
        self.fs.create_dir(self.shim(name)).unwrap();
    }

    /// Makes symlink `name` to `target` (taken as is) in both.
    fn symlink(&self, target: &str, name: &str) {
        std::os::unix::fs::symlink(target, self.real(name)).unwrap();
        self.fs.symlink(target, self.shim(name)).unwrap();
    }
}

/// The process's umask, read without changing it.
fn real_umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("Umask:"))
        .expect("no Umask line in /proc/self/status");
    u32::from_str_radix(line.trim(), 8).unwrap()
}

/// What callers can tell apart in an error: its kind, its errno, and for errors
/// without an errno (made by std itself) its message.
fn error_signature(error: &io::Error) -> (io::ErrorKind, Option<i32>, Option<String>) {
    let message = error.raw_os_error().is_none().then(|| error.to_string());
    (error.kind(), error.raw_os_error(), message)
}

/// Asserts both calls failed alike; returns the shim's error.
#[track_caller]
fn same_error<T: Debug, U: Debug>(shim: io::Result<T>, real: io::Result<U>) -> io::Error {
    let shim = shim.expect_err("the shim call succeeded");
    let real = real.expect_err("the std call succeeded");
    assert_eq!(
        error_signature(&shim),
        error_signature(&real),
        "shim: {shim}; std: {real}"
    );
    shim
}

/// A result as a comparable line: the value, or the error's signature.
fn outcome<T: Debug>(result: io::Result<T>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(error) => format!("Err({:?})", error_signature(&error)),
    }
}

/// Whether an open worked, or how it failed (files themselves differ).
fn opened<T>(result: &io::Result<T>) -> String {
    match result {
        Ok(_) => "opened".to_string(),
        Err(error) => format!("{:?}", error_signature(error)),
    }
}

/// Asserts both results are equal values or alike errors.
#[track_caller]
fn same_outcome<T: Debug>(shim: io::Result<T>, real: io::Result<T>) {
    assert_eq!(outcome(shim), outcome(real));
}

/// The sorted names a listing gave (std's or the shim's `ReadDir`).
macro_rules! sorted_names {
    ($read_dir:expr) => {{
        let mut names: Vec<OsString> = $read_dir.map(|entry| entry.unwrap().file_name()).collect();
        names.sort();
        names
    }};
}

// ---- File::open, create, create_new and OpenOptions ----

#[test]
fn open_of_a_missing_file_fails_like_std() {
    let w = World::new();
    let error = same_error(
        File::open(&w.fs, w.shim("missing")),
        std::fs::File::open(w.real("missing")),
    );
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert_eq!(error.raw_os_error(), Some(libc::ENOENT));
}

#[test]
fn create_in_a_missing_directory_fails_like_std() {
    let w = World::new();
    same_error(
        File::create(&w.fs, w.shim("nodir/file")),
        std::fs::File::create(w.real("nodir/file")),
    );
}

#[test]
fn create_on_a_directory_fails_like_std() {
    let w = World::new();
    w.dir("d");
    let error = same_error(
        File::create(&w.fs, w.shim("d")),
        std::fs::File::create(w.real("d")),
    );
    assert_eq!(error.raw_os_error(), Some(libc::EISDIR));
}

#[test]
fn create_new_refuses_existing_names_like_std() {
    let w = World::new();
    w.file("f", b"old");
    w.symlink("nowhere", "dangling");
    for name in ["f", "dangling"] {
        let error = same_error(
            File::create_new(&w.fs, w.shim(name)),
            std::fs::File::create_new(w.real(name)),
        );
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    }
    assert_eq!(w.fs.read(w.shim("f")).unwrap(), b"old");
    let mut file = File::create_new(&w.fs, w.shim("new")).unwrap();
    file.write_all(b"abc").unwrap();
    file.rewind().unwrap();
    let mut back = String::new();
    file.read_to_string(&mut back).unwrap();
    assert_eq!(back, "abc");
}

/// `options` (std's or the shim's `OpenOptions`) set to `[read, write, append,
/// truncate, create, create_new]`.
macro_rules! configured {
    ($options:expr, $flags:expr) => {{
        let [read, write, append, truncate, create, create_new] = $flags;
        let mut options = $options;
        options
            .read(read)
            .write(write)
            .append(append)
            .truncate(truncate)
            .create(create)
            .create_new(create_new);
        options
    }};
}

#[test]
fn open_options_match_std_in_every_combination() {
    let w = World::new();
    for combination in 0..64u32 {
        let flags = [0, 1, 2, 3, 4, 5].map(|bit| combination & (1 << bit) != 0);
        for existing in [false, true] {
            let name = format!("f{combination}_{existing}");
            if existing {
                w.file(&name, b"old contents");
            }
            let context = format!("options {flags:?}, existing {existing}");
            let shim = configured!(OpenOptions::new(), flags).open(&w.fs, w.shim(&name));
            let real = configured!(std::fs::OpenOptions::new(), flags).open(w.real(&name));
            assert_eq!(opened(&shim), opened(&real), "{context}");
            if let (Ok(mut shim), Ok(mut real)) = (shim, real) {
                assert_eq!(
                    outcome(shim.write(b"new")),
                    outcome(real.write(b"new")),
                    "{context}: write"
                );
                drop((shim, real));
                assert_eq!(
                    outcome(w.fs.read(w.shim(&name))),
                    outcome(std::fs::read(w.real(&name))),
                    "{context}: contents"
                );
            }
        }
    }
}

#[test]
fn open_options_validation_errors_match_std() {
    let w = World::new();
    let cases = [
        ("no access mode", [false; 6]),
        (
            "truncate without write",
            [true, false, false, true, false, false],
        ),
        (
            "create without write",
            [true, false, false, false, true, false],
        ),
        (
            "create_new without write",
            [true, false, false, false, false, true],
        ),
        (
            "append with truncate",
            [false, false, true, true, false, false],
        ),
    ];
    for (what, flags) in cases {
        let error = same_error(
            configured!(OpenOptions::new(), flags).open(&w.fs, w.shim("f")),
            configured!(std::fs::OpenOptions::new(), flags).open(w.real("f")),
        );
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{what}");
        assert_eq!(error.raw_os_error(), None, "{what}");
    }
}

#[test]
fn open_options_mode_sets_the_mode_of_a_new_file_like_std() {
    let w = World::new();
    let shim = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .open(&w.fs, w.shim("f"))
        .unwrap();
    let real = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o640)
            .open(w.real("f"))
            .unwrap()
    };
    assert_eq!(
        shim.metadata().unwrap().mode(),
        real.metadata().unwrap().mode()
    );
    assert_eq!(shim.metadata().unwrap().mode(), 0o100640 & !real_umask());
}

#[test]
fn append_writes_at_the_end_like_std() {
    let w = World::new();
    w.file("log", b"one\n");
    let mut shim = File::options()
        .append(true)
        .open(&w.fs, w.shim("log"))
        .unwrap();
    let mut real = std::fs::File::options()
        .append(true)
        .open(w.real("log"))
        .unwrap();
    shim.seek(SeekFrom::Start(0)).unwrap();
    real.seek(SeekFrom::Start(0)).unwrap();
    shim.write_all(b"two\n").unwrap();
    real.write_all(b"two\n").unwrap();
    same_outcome(shim.stream_position(), real.stream_position());
    assert_eq!(
        w.fs.read(w.shim("log")).unwrap(),
        std::fs::read(w.real("log")).unwrap()
    );
    assert_eq!(w.fs.read(w.shim("log")).unwrap(), b"one\ntwo\n");
}

// ---- Read, Write, Seek, FileExt ----

/// Reads, writes and seeks on `file`, returning what every call gave.
fn seek_transcript(mut file: impl Read + Write + Seek) -> Vec<String> {
    let mut lines = vec![outcome(file.write(b"hello world"))];
    lines.push(outcome(file.seek(SeekFrom::Start(6))));
    let mut word = [0u8; 5];
    lines.push(outcome(file.read_exact(&mut word).map(|()| word)));
    lines.push(outcome(file.seek(SeekFrom::Current(-5))));
    lines.push(outcome(file.seek(SeekFrom::End(-3))));
    lines.push(outcome(file.stream_position()));
    lines.push(outcome(file.seek(SeekFrom::End(2))));
    lines.push(outcome(file.write(b"!")));
    lines.push(outcome(file.seek(SeekFrom::Current(-100))));
    lines.push(outcome(file.seek(SeekFrom::Start(u64::MAX))));
    lines.push(outcome(file.seek(SeekFrom::End(i64::MAX))));
    lines.push(outcome(file.rewind()));
    let mut all = Vec::new();
    lines.push(outcome(file.read_to_end(&mut all).map(|_| all)));
    let mut nothing = [0u8; 4];
    lines.push(outcome(file.read(&mut nothing)));
    lines
}

#[test]
fn read_write_and_seek_match_std() {
    let w = World::new();
    let (shim, real) = w.new_read_write("f");
    let transcript = seek_transcript(shim);
    assert_eq!(transcript, seek_transcript(real));
    assert_eq!(
        transcript[12],
        outcome::<Vec<u8>>(Ok(b"hello world\0\0!".to_vec()))
    );
}

#[test]
fn read_write_and_seek_work_through_a_shared_reference_like_std() {
    let w = World::new();
    let (shim, real) = w.new_read_write("f");
    assert_eq!(seek_transcript(&shim), seek_transcript(&real));
}

/// Positioned reads and writes on `file`, returning what every call gave.
fn positioned_transcript(file: &impl FileExt, mut cursor: impl Seek) -> Vec<String> {
    let mut lines = vec![outcome(file.write_at(b"0123456789", 0))];
    lines.push(outcome(file.write_all_at(b"ab", 4)));
    let mut buf = [0u8; 4];
    lines.push(outcome(file.read_at(&mut buf, 3).map(|n| (n, buf))));
    lines.push(outcome(file.read_at(&mut buf, 8).map(|n| (n, buf))));
    lines.push(outcome(file.read_at(&mut buf, 100)));
    lines.push(outcome(file.read_exact_at(&mut buf, 8)));
    lines.push(outcome(file.read_at(&mut buf, u64::MAX)));
    lines.push(outcome(file.write_at(b"x", 1 << 63)));
    lines.push(outcome(cursor.stream_position()));
    lines
}

#[test]
fn positioned_io_matches_std() {
    let w = World::new();
    let (shim, real) = w.new_read_write("f");
    let transcript = positioned_transcript(&shim, &shim);
    assert_eq!(transcript, positioned_transcript(&real, &real));
    assert_eq!(
        transcript.last().unwrap(),
        "Ok(0)",
        "the offset did not move"
    );
}

#[test]
fn vectored_io_matches_std() {
    fn transcript(mut file: impl Read + Write + Seek) -> Vec<String> {
        let written = file.write_vectored(&[
            IoSlice::new(b"abc"),
            IoSlice::new(b""),
            IoSlice::new(b"defg"),
        ]);
        let mut lines = vec![outcome(written), outcome(file.rewind())];
        let (mut first, mut second) = ([0u8; 2], [0u8; 8]);
        let read =
            file.read_vectored(&mut [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)]);
        lines.push(outcome(read.map(|n| (n, first, second))));
        lines
    }
    let w = World::new();
    let (shim, real) = w.new_read_write("f");
    assert_eq!(transcript(shim), transcript(real));
}

#[test]
fn writing_a_read_only_file_and_reading_a_write_only_one_fail_like_std() {
    let w = World::new();
    w.file("f", b"data");
    let error = same_error(
        File::open(&w.fs, w.shim("f")).unwrap().write(b"x"),
        std::fs::File::open(w.real("f")).unwrap().write(b"x"),
    );
    assert_eq!(error.raw_os_error(), Some(libc::EBADF));
    let mut buf = [0u8; 4];
    let shim = File::options()
        .write(true)
        .open(&w.fs, w.shim("f"))
        .unwrap()
        .read(&mut buf);
    let real = std::fs::File::options()
        .write(true)
        .open(w.real("f"))
        .unwrap()
        .read(&mut buf);
    same_error(shim, real);
}

#[test]
fn reading_a_directory_fails_like_std() {
    let w = World::new();
    w.dir("d");
    let mut shim = File::open(&w.fs, w.shim("d")).unwrap();
    let mut real = std::fs::File::open(w.real("d")).unwrap();
    let mut buf = [0u8; 4];
    let error = same_error(shim.read(&mut buf), real.read(&mut buf));
    assert_eq!(error.raw_os_error(), Some(libc::EISDIR));
    assert!(shim.metadata().unwrap().is_dir());
    same_error(w.fs.read(w.shim("d")), std::fs::read(w.real("d")));
}

#[test]
fn set_len_matches_std() {
    let w = World::new();
    w.file("f", b"0123456789");
    let shim = File::options()
        .read(true)
        .write(true)
        .open(&w.fs, w.shim("f"))
        .unwrap();
    let real = std::fs::File::options()
        .read(true)
        .write(true)
        .open(w.real("f"))
        .unwrap();
    (&shim).seek(SeekFrom::Start(7)).unwrap();
    (&real).seek(SeekFrom::Start(7)).unwrap();
    for size in [4, 12] {
        same_outcome(shim.set_len(size), real.set_len(size));
        assert_eq!(
            w.fs.read(w.shim("f")).unwrap(),
            std::fs::read(w.real("f")).unwrap()
        );
    }
    assert_eq!(w.fs.read(w.shim("f")).unwrap(), b"0123\0\0\0\0\0\0\0\0");
    same_outcome((&shim).stream_position(), (&real).stream_position());
    let error = same_error(shim.set_len(u64::MAX), real.set_len(u64::MAX));
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    let error = same_error(
        File::open(&w.fs, w.shim("f")).unwrap().set_len(0),
        std::fs::File::open(w.real("f")).unwrap().set_len(0),
    );
    assert_eq!(error.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn sync_calls_succeed() {
    let w = World::new();
    let mut file = File::create(&w.fs, w.shim("f")).unwrap();
    file.write_all(b"durable").unwrap();
    file.flush().unwrap();
    file.sync_data().unwrap();
    file.sync_all().unwrap();
}

#[test]
fn try_clone_shares_the_offset_like_std() {
    fn transcript(mut file: impl Write + Seek, mut clone: impl Write + Seek) -> Vec<String> {
        vec![
            outcome(file.write(b"abc")),
            outcome(clone.stream_position()),
            outcome(clone.write(b"def")),
            outcome(file.stream_position()),
        ]
    }
    let w = World::new();
    let shim = File::create(&w.fs, w.shim("f")).unwrap();
    let real = std::fs::File::create(w.real("f")).unwrap();
    let shim_clone = shim.try_clone().unwrap();
    assert_ne!(shim_clone.as_raw_fd(), shim.as_raw_fd());
    assert_eq!(
        transcript(shim, shim_clone),
        transcript(&real, real.try_clone().unwrap())
    );
    assert_eq!(w.fs.read(w.shim("f")).unwrap(), b"abcdef");
}

#[test]
fn dropping_a_file_closes_its_descriptor() {
    let w = World::new();
    w.fs.process().set_fd_limit(3);
    w.file("f", b"data");
    let first_fd = File::open(&w.fs, w.shim("f")).unwrap().as_raw_fd();
    for _ in 0..100 {
        let file = File::open(&w.fs, w.shim("f")).unwrap();
        assert_eq!(
            file.as_raw_fd(),
            first_fd,
            "the dropped descriptor is reused"
        );
        let entries = w.fs.read_dir("/").unwrap();
        drop((file, entries));
    }
}

#[test]
fn raw_descriptors_interoperate_with_the_posix_calls() {
    let w = World::new();
    let posix = w.fs.process().blocking();
    let fd = posix
        .open("/f", OpenFlags::RDWR | OpenFlags::CREATE, 0o600)
        .unwrap();
    let mut file = File::from_raw_fd(&w.fs, fd);
    file.write_all(b"through File").unwrap();
    assert_eq!(posix.fstat(file.as_raw_fd()).unwrap().size, 12);
    drop(file);
    assert_eq!(
        posix.close(fd).unwrap_err().errno(),
        vfs_core::Errno::EBADF,
        "closed on drop"
    );
}

#[test]
fn buffered_io_and_io_copy_round_trip() {
    let w = World::new();
    let mut writer = BufWriter::new(File::create(&w.fs, w.shim("lines")).unwrap());
    for i in 0..1000 {
        writeln!(writer, "line {i}").unwrap();
    }
    writer.into_inner().unwrap().sync_all().unwrap();
    let reader = BufReader::new(File::open(&w.fs, w.shim("lines")).unwrap());
    let lines: Vec<String> = reader.lines().collect::<io::Result<_>>().unwrap();
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines[999], "line 999");

    let mut source = File::open(&w.fs, w.shim("lines")).unwrap();
    let mut copy = File::create(&w.fs, w.shim("copy")).unwrap();
    let copied = io::copy(&mut source, &mut copy).unwrap();
    assert_eq!(copied, w.fs.metadata(w.shim("lines")).unwrap().len());
    let mut out = Vec::new();
    io::copy(&mut File::open(&w.fs, w.shim("copy")).unwrap(), &mut out).unwrap();
    assert_eq!(out, w.fs.read(w.shim("lines")).unwrap());
}

// ---- Metadata, FileType, Permissions, times ----

/// What metadata both worlds must agree on (not inode numbers, devices, times),
/// written the same way for std's `Metadata` and the shim's.
trait Comparable {
    fn comparable(&self) -> String;
}

macro_rules! comparable_metadata {
    ($($ty:ty),*) => {$(
        impl Comparable for $ty {
            fn comparable(&self) -> String {
                let kind = self.file_type();
                format!(
                    "dir {} file {} symlink {} fifo {} socket {} len {} mode {:o} perm {:o} \
                     readonly {} nlink {} uid {} gid {}",
                    self.is_dir(), self.is_file(), self.is_symlink(), kind.is_fifo(),
                    kind.is_socket(), if self.is_dir() { 0 } else { self.len() }, self.mode(),
                    self.permissions().mode(), self.permissions().readonly(), self.nlink(),
                    self.uid(), self.gid(),
                )
            }
        }
    )*};
}

comparable_metadata!(std::fs::Metadata, vfs_posix_shim::fs::Metadata);

#[test]
fn metadata_matches_std() {
    let w = World::new();
    w.file("f", b"12345");
    w.dir("d");
    w.dir("d/sub");
    w.symlink("f", "l");
    w.symlink("d", "ld");
    for name in ["f", "d", "d/sub", "l", "ld"] {
        assert_eq!(
            w.fs.metadata(w.shim(name)).unwrap().comparable(),
            std::fs::metadata(w.real(name)).unwrap().comparable(),
            "metadata {name}"
        );
        assert_eq!(
            w.fs.symlink_metadata(w.shim(name)).unwrap().comparable(),
            std::fs::symlink_metadata(w.real(name))
                .unwrap()
                .comparable(),
            "symlink_metadata {name}"
        );
    }
    let shim_file = File::open(&w.fs, w.shim("f")).unwrap();
    let real_file = std::fs::File::open(w.real("f")).unwrap();
    assert_eq!(
        shim_file.metadata().unwrap().comparable(),
        real_file.metadata().unwrap().comparable()
    );
    let metadata = w.fs.metadata(w.shim("f")).unwrap();
    assert_eq!(metadata.size(), 5);
    assert!(metadata.blksize() > 0);
    assert!(!metadata.file_type().is_block_device() && !metadata.file_type().is_char_device());
}

#[test]
fn metadata_errors_match_std() {
    let w = World::new();
    w.file("f", b"");
    w.symlink("loop", "loop");
    for name in ["missing", "f/below", "loop", "missing/below"] {
        same_error(w.fs.metadata(w.shim(name)), std::fs::metadata(w.real(name)));
        same_error(
            w.fs.symlink_metadata(w.shim(format!("{name}/"))),
            std::fs::symlink_metadata(w.real(format!("{name}/"))),
        );
    }
    same_error(w.fs.metadata(""), std::fs::metadata(""));
    same_error(File::open(&w.fs, ""), std::fs::File::open(""));
}

#[test]
fn dev_and_ino_identify_files() {
    let w = World::new();
    w.fs.create_dir("/mnt").unwrap();
    w.fs.process()
        .blocking()
        .mount("/mnt", "ram://", MountOptions::default())
        .unwrap();
    w.fs.write("/a", b"a").unwrap();
    w.fs.write("/mnt/a", b"a").unwrap();
    w.fs.hard_link("/a", "/b").unwrap();
    let id = |path: &str| {
        let metadata = w.fs.metadata(path).unwrap();
        (metadata.dev(), metadata.ino())
    };
    assert_eq!(id("/a"), id("/b"));
    assert_ne!(id("/a"), id("/mnt/a"));
    assert_ne!(id("/"), id("/mnt"), "a mount root differs from the root");
    let opened = File::open(&w.fs, "/mnt/a").unwrap().metadata().unwrap();
    assert_eq!((opened.dev(), opened.ino()), id("/mnt/a"));
    assert_eq!(w.fs.metadata("/a").unwrap().nlink(), 2);
}

#[test]
fn creation_time_is_unsupported() {
    let w = World::new();
    w.file("f", b"");
    let error = w.fs.metadata(w.shim("f")).unwrap().created().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Unsupported);
    assert_eq!(error.raw_os_error(), None);
}

#[test]
fn times_are_set_and_read_back() {
    let w = World::new();
    let file = File::create(&w.fs, w.shim("f")).unwrap();
    let accessed = UNIX_EPOCH + Duration::new(1_000_000_000, 123);
    let modified = UNIX_EPOCH + Duration::new(1_500_000_000, 456_789);
    file.set_times(
        FileTimes::new()
            .set_accessed(accessed)
            .set_modified(modified),
    )
    .unwrap();
    let metadata = file.metadata().unwrap();
    assert_eq!(metadata.accessed().unwrap(), accessed);
    assert_eq!(metadata.modified().unwrap(), modified);
    assert_eq!(
        (metadata.atime(), metadata.atime_nsec()),
        (1_000_000_000, 123)
    );
    assert_eq!(
        (metadata.mtime(), metadata.mtime_nsec()),
        (1_500_000_000, 456_789)
    );
    assert!(metadata.ctime() > 0 && metadata.ctime_nsec() < 1_000_000_000);

    let before_epoch = UNIX_EPOCH - Duration::new(10, 250_000_000);
    file.set_modified(before_epoch).unwrap();
    let metadata = w.fs.metadata(w.shim("f")).unwrap();
    assert_eq!(metadata.modified().unwrap(), before_epoch);
    assert_eq!(metadata.accessed().unwrap(), accessed, "left alone");
    file.set_times(FileTimes::new()).unwrap();
    assert_eq!(
        w.fs.metadata(w.shim("f")).unwrap().modified().unwrap(),
        before_epoch
    );

    let now = SystemTime::now();
    file.set_modified(now).unwrap();
    assert_eq!(w.fs.metadata(w.shim("f")).unwrap().modified().unwrap(), now);
}

#[test]
fn permissions_behave_like_std() {
    let w = World::new();
    w.file("f", b"");
    w.file("g", b"");
    let mut shim = w.fs.metadata(w.shim("f")).unwrap().permissions();
    let mut real = std::fs::metadata(w.real("f")).unwrap().permissions();
    assert_eq!(shim.mode(), real.mode());
    shim.set_readonly(true);
    real.set_readonly(true);
    assert_eq!(
        (shim.mode(), shim.readonly()),
        (real.mode(), real.readonly())
    );
    w.fs.set_permissions(w.shim("f"), shim.clone()).unwrap();
    std::fs::set_permissions(w.real("f"), real.clone()).unwrap();
    assert_eq!(
        w.fs.metadata(w.shim("f")).unwrap().mode(),
        std::fs::metadata(w.real("f")).unwrap().mode()
    );
    // What clippy warns about is the behaviour compared here: a+w for everyone.
    #[allow(clippy::permissions_set_readonly_false)]
    {
        shim.set_readonly(false);
        real.set_readonly(false);
    }
    assert_eq!(shim.mode(), real.mode());
    shim.set_mode(0o4755);
    assert_eq!(shim, Permissions::from_mode(0o4755));
    File::open(&w.fs, w.shim("g"))
        .unwrap()
        .set_permissions(shim)
        .unwrap();
    assert_eq!(w.fs.metadata(w.shim("g")).unwrap().mode(), 0o104755);
    same_error(
        w.fs.set_permissions(w.shim("missing"), Permissions::from_mode(0o644)),
        std::fs::set_permissions(w.real("missing"), std::fs::Permissions::from_mode(0o644)),
    );
}

// ---- read_dir ----

#[test]
fn read_dir_lists_like_std() {
    let w = World::new();
    w.dir("top");
    w.file("top/a", b"a");
    w.file("top/b", b"bb");
    w.dir("top/d");
    w.symlink("a", "top/l");
    let describe = |name: OsString, path: PathBuf, kind: std::io::Result<(bool, bool, bool)>| {
        format!("{name:?} {:?} {}", path.file_name().unwrap(), outcome(kind))
    };
    let mut shim: Vec<String> =
        w.fs.read_dir(w.shim("top"))
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                assert_eq!(entry.path(), w.shim("top").join(entry.file_name()));
                assert_eq!(entry.ino(), entry.metadata().unwrap().ino());
                assert_eq!(
                    format!("{entry:?}"),
                    format!("DirEntry({:?})", entry.path())
                );
                let kind = entry
                    .file_type()
                    .map(|t| (t.is_dir(), t.is_file(), t.is_symlink()));
                describe(entry.file_name(), entry.path(), kind)
            })
            .collect();
    let mut real: Vec<String> = std::fs::read_dir(w.real("top"))
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let kind = entry
                .file_type()
                .map(|t| (t.is_dir(), t.is_file(), t.is_symlink()));
            describe(entry.file_name(), entry.path(), kind)
        })
        .collect();
    shim.sort();
    real.sort();
    assert_eq!(shim, real);
    assert_eq!(shim.len(), 4, "no . or ..");
    let link =
        w.fs.read_dir(w.shim("top"))
            .unwrap()
            .map(Result::unwrap)
            .find(|e| e.file_name() == "l")
            .unwrap();
    assert!(
        link.metadata().unwrap().is_symlink(),
        "entry metadata does not follow"
    );
    assert_eq!(
        format!("{:?}", w.fs.read_dir("/top").unwrap()),
        r#"ReadDir("/top")"#
    );
}

#[test]
fn read_dir_of_a_relative_path_gives_relative_entry_paths() {
    let w = World::new();
    w.fs.create_dir_all("/a/b").unwrap();
    w.fs.write("/a/b/f", b"").unwrap();
    w.fs.set_current_dir("/a").unwrap();
    let paths: Vec<PathBuf> =
        w.fs.read_dir("b")
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    assert_eq!(paths, [PathBuf::from("b/f")]);
}

#[test]
fn read_dir_errors_match_std() {
    let w = World::new();
    w.file("f", b"");
    for name in ["missing", "f"] {
        same_error(w.fs.read_dir(w.shim(name)), std::fs::read_dir(w.real(name)));
    }
}

#[test]
fn read_dir_keeps_non_utf8_names_like_std() {
    let w = World::new();
    let name = OsString::from_vec(b"caf\xe9 \xff".to_vec());
    std::fs::write(w.real(&name), b"").unwrap();
    w.fs.write(w.shim(&name), b"").unwrap();
    let shim = sorted_names!(w.fs.read_dir("/").unwrap());
    let real = sorted_names!(std::fs::read_dir(w.real.path()).unwrap());
    assert_eq!(shim, real);
    assert_eq!(shim, std::slice::from_ref(&name));
    assert_eq!(
        w.fs.canonicalize(w.shim(&name))
            .unwrap()
            .as_os_str()
            .as_bytes(),
        b"/caf\xe9 \xff"
    );
}

#[test]
fn read_dir_sees_many_entries_once_each() {
    let w = World::new();
    for i in 0..500 {
        w.fs.write(format!("/f{i:03}"), b"").unwrap();
    }
    let names = sorted_names!(w.fs.read_dir("/").unwrap());
    let expected: Vec<OsString> = (0..500).map(|i| format!("f{i:03}").into()).collect();
    assert_eq!(names, expected);
}

// ---- create_dir, create_dir_all, DirBuilder ----

#[test]
fn create_dir_errors_match_std() {
    let w = World::new();
    w.dir("d");
    w.file("f", b"");
    for name in ["d", "f", "missing/d", "f/d", ""] {
        same_error(
            w.fs.create_dir(w.shim(name)),
            std::fs::create_dir(w.real(name)),
        );
    }
}

#[test]
fn create_dir_all_matches_std() {
    let w = World::new();
    w.file("f", b"");
    w.dir("d");
    for name in [
        "a/b/c",
        "a/b/c",
        "a/b",
        "d",
        "a/./b/../b/e",
        "f",
        "f/x",
        "a/b/c/",
    ] {
        same_outcome(
            w.fs.create_dir_all(w.shim(name)),
            std::fs::create_dir_all(w.real(name)),
        );
    }
    assert!(w.fs.is_dir("/a/b/c") && w.fs.is_dir("/a/b/e"));
    w.fs.create_dir_all("/").unwrap();
    w.fs.create_dir_all("").unwrap();
    w.fs.set_current_dir("/a").unwrap();
    w.fs.create_dir_all("rel/x").unwrap();
    assert!(w.fs.is_dir("/a/rel/x"));
}

#[test]
fn create_dir_all_from_many_threads_at_once_succeeds() {
    let w = World::new();
    let barrier = Barrier::new(8);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (fs, barrier) = (w.fs.clone(), &barrier);
            scope.spawn(move || {
                barrier.wait();
                fs.create_dir_all("/x/y/z/w").unwrap();
                fs.create_dir_all(format!("/x/y/t{thread}/u")).unwrap();
            });
        }
    });
    assert_eq!(w.fs.read_dir("/x/y").unwrap().count(), 9);
}

#[test]
fn dir_builder_matches_std() {
    let w = World::new();
    DirBuilder::new()
        .mode(0o750)
        .create(&w.fs, w.shim("d"))
        .unwrap();
    std::fs::DirBuilder::new()
        .mode(0o750)
        .create(w.real("d"))
        .unwrap();
    assert_eq!(
        w.fs.metadata(w.shim("d")).unwrap().comparable(),
        std::fs::metadata(w.real("d")).unwrap().comparable()
    );
    same_error(
        DirBuilder::new().create(&w.fs, w.shim("d")),
        std::fs::DirBuilder::new().create(w.real("d")),
    );
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&w.fs, w.shim("d/e/f"))
        .unwrap();
    assert_eq!(
        w.fs.metadata(w.shim("d/e")).unwrap().mode(),
        0o40700 & !real_umask()
    );
}

// ---- remove_file, remove_dir, remove_dir_all ----

#[test]
fn remove_file_matches_std() {
    let w = World::new();
    w.file("f", b"");
    w.dir("d");
    w.symlink("d", "l");
    for name in ["missing", "d", "f/x", "l", "f", "f"] {
        same_outcome(
            w.fs.remove_file(w.shim(name)),
            std::fs::remove_file(w.real(name)),
        );
    }
    assert!(w.fs.is_dir("/d"), "removing the symlink left its target");
}

#[test]
fn remove_dir_matches_std() {
    let w = World::new();
    w.file("f", b"");
    w.dir("full");
    w.file("full/x", b"");
    w.dir("empty");
    w.symlink("empty", "l");
    for name in ["missing", "f", "full", "l", "empty/.", "empty", "empty"] {
        same_outcome(
            w.fs.remove_dir(w.shim(name)),
            std::fs::remove_dir(w.real(name)),
        );
    }
    let error = w.fs.remove_dir("/full").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::DirectoryNotEmpty);
}

#[test]
fn remove_dir_all_matches_std() {
    let w = World::new();
    w.dir("keep");
    w.file("keep/precious", b"!");
    w.dir("tree");
    w.file("tree/a", b"a");
    w.dir("tree/sub");
    w.dir("tree/sub/deeper");
    w.file("tree/sub/deeper/b", b"b");
    w.symlink("../keep", "tree/sub/to_keep");
    w.symlink("keep", "link_to_keep");
    w.file("f", b"");
    for name in ["missing", "f", "tree", "tree", "link_to_keep"] {
        same_outcome(
            w.fs.remove_dir_all(w.shim(name)),
            std::fs::remove_dir_all(w.real(name)),
        );
    }
    assert_eq!(
        w.fs.read("/keep/precious").unwrap(),
        b"!",
        "symlinks are not followed"
    );
    let shim = sorted_names!(w.fs.read_dir("/").unwrap());
    let real = sorted_names!(std::fs::read_dir(w.real.path()).unwrap());
    assert_eq!(shim, real);
    assert_eq!(shim, ["f", "keep"]);
}

#[test]
fn remove_dir_all_removes_wide_and_deep_trees() {
    let w = World::new();
    let deep: PathBuf = (0..30).map(|i| format!("d{i}")).collect();
    w.fs.create_dir_all(Path::new("/t").join(&deep)).unwrap();
    for i in 0..300 {
        w.fs.write(format!("/t/f{i}"), b"x").unwrap();
    }
    w.fs.remove_dir_all("/t").unwrap();
    assert!(!w.fs.exists("/t").unwrap());
}

// ---- read, read_to_string, write, copy ----

#[test]
fn read_and_write_match_std() {
    let w = World::new();
    w.file("f", b"a longer first version");
    w.fs.write(w.shim("f"), "short").unwrap();
    std::fs::write(w.real("f"), "short").unwrap();
    same_outcome(w.fs.read(w.shim("f")), std::fs::read(w.real("f")));
    same_outcome(
        w.fs.read_to_string(w.shim("f")),
        std::fs::read_to_string(w.real("f")),
    );
    assert_eq!(w.fs.read_to_string(w.shim("f")).unwrap(), "short");
    for name in ["missing", "missing/f"] {
        same_error(w.fs.read(w.shim(name)), std::fs::read(w.real(name)));
        same_error(
            w.fs.write(w.shim(name).join("x"), b""),
            std::fs::write(w.real(name).join("x"), b""),
        );
    }
}

#[test]
fn read_to_string_refuses_invalid_utf8_like_std() {
    let w = World::new();
    w.file("latin1", b"caf\xe9");
    let error = same_error(
        w.fs.read_to_string(w.shim("latin1")),
        std::fs::read_to_string(w.real("latin1")),
    );
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert_eq!(w.fs.read(w.shim("latin1")).unwrap(), b"caf\xe9");
}

#[test]
fn copy_matches_std() {
    let w = World::new();
    w.file("src", b"copied bytes");
    w.fs.set_permissions(w.shim("src"), Permissions::from_mode(0o640))
        .unwrap();
    std::fs::set_permissions(w.real("src"), std::fs::Permissions::from_mode(0o640)).unwrap();
    w.file("existing", b"a much longer old content");
    w.fs.set_permissions(w.shim("existing"), Permissions::from_mode(0o606))
        .unwrap();
    std::fs::set_permissions(w.real("existing"), std::fs::Permissions::from_mode(0o606)).unwrap();
    w.dir("d");
    for (from, to) in [
        ("src", "new"),
        ("src", "existing"),
        ("d", "x"),
        ("missing", "x"),
        ("src", "d"),
        ("src", "nodir/x"),
    ] {
        same_outcome(
            w.fs.copy(w.shim(from), w.shim(to)),
            std::fs::copy(w.real(from), w.real(to)),
        );
    }
    for name in ["new", "existing"] {
        assert_eq!(w.fs.read(w.shim(name)).unwrap(), b"copied bytes");
        assert_eq!(
            w.fs.metadata(w.shim(name)).unwrap().comparable(),
            std::fs::metadata(w.real(name)).unwrap().comparable()
        );
        assert_eq!(
            w.fs.metadata(w.shim(name)).unwrap().permissions().mode(),
            0o100640
        );
    }
    let error = w.fs.copy("/d", "/x").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

// ---- rename, links ----

#[test]
fn rename_matches_std() {
    let w = World::new();
    w.file("a", b"a");
    w.file("b", b"b");
    w.dir("d");
    w.dir("full");
    w.file("full/x", b"");
    w.dir("empty");
    for (from, to) in [
        ("a", "c"),
        ("missing", "x"),
        ("c", "b"),
        ("d", "full"),
        ("d", "empty"),
        ("b", "empty"),
        ("empty", "b"),
        ("full", "full/inside"),
    ] {
        same_outcome(
            w.fs.rename(w.shim(from), w.shim(to)),
            std::fs::rename(w.real(from), w.real(to)),
        );
    }
    assert_eq!(w.fs.read("/b").unwrap(), b"a");
    assert!(w.fs.is_dir("/empty") && !w.fs.exists("/d").unwrap());
}

#[test]
fn hard_link_matches_std() {
    let w = World::new();
    w.file("f", b"data");
    w.dir("d");
    w.symlink("f", "l");
    for (original, link) in [
        ("f", "g"),
        ("f", "g"),
        ("d", "e"),
        ("missing", "x"),
        ("l", "l2"),
        ("f", "nodir/x"),
    ] {
        same_outcome(
            w.fs.hard_link(w.shim(original), w.shim(link)),
            std::fs::hard_link(w.real(original), w.real(link)),
        );
    }
    assert_eq!(w.fs.metadata("/f").unwrap().nlink(), 2);
    assert!(
        w.fs.symlink_metadata("/l2").unwrap().is_symlink(),
        "a symlink is linked, not followed"
    );
}

#[test]
#[allow(deprecated)] // soft_link is deprecated, as in std; it must still work
fn symlink_and_read_link_match_std() {
    let w = World::new();
    w.file("f", b"data");
    w.symlink("f", "rel");
    w.symlink("../some/where", "up");
    same_error(
        w.fs.symlink("f", w.shim("rel")),
        std::os::unix::fs::symlink("f", w.real("rel")),
    );
    w.fs.soft_link("f", "/soft").unwrap();
    assert_eq!(w.fs.read("/soft").unwrap(), b"data");
    for name in ["rel", "up", "f", "missing", "f/x"] {
        same_outcome(
            w.fs.read_link(w.shim(name)),
            std::fs::read_link(w.real(name)),
        );
    }
    assert_eq!(w.fs.read_link("/up").unwrap(), Path::new("../some/where"));
}

// ---- canonicalize, exists, current_dir ----

#[test]
fn canonicalize_matches_std() {
    let w = World::new();
    w.dir("d");
    w.dir("d/e");
    w.file("d/e/f", b"");
    w.symlink("d/e", "l");
    w.symlink("l/f", "lf");
    w.symlink("../e/f", "d/e/back");
    w.symlink("lf", "chain");
    w.symlink("/nowhere", "dangling");
    w.symlink("loop2", "loop1");
    w.symlink("loop1", "loop2");
    let real_root = std::fs::canonicalize(w.real.path()).unwrap();
    let names = [
        "d",
        "d/e/f",
        "l",
        "l/",
        "lf",
        "chain",
        "d/e/back",
        "d/./e/../e/f",
        "l/../e",
        "./d//e/",
        "",
        "missing",
        "dangling",
        "loop1",
        "d/e/f/",
        "lf/",
        "d/missing/..",
    ];
    for name in names {
        let shim = w.fs.canonicalize(w.shim(name));
        let real = std::fs::canonicalize(w.real(name))
            .map(|path| Path::new("/").join(path.strip_prefix(&real_root).unwrap()));
        same_outcome(shim, real);
    }
    assert_eq!(w.fs.canonicalize("/chain").unwrap(), Path::new("/d/e/f"));
}

#[test]
fn canonicalize_and_relative_paths_follow_the_current_dir() {
    let w = World::new();
    w.fs.create_dir_all("/a/b").unwrap();
    w.fs.write("/a/b/f", b"here").unwrap();
    w.fs.symlink("b/f", "/a/link").unwrap();
    w.fs.set_current_dir("/a").unwrap();
    assert_eq!(w.fs.current_dir().unwrap(), Path::new("/a"));
    assert_eq!(w.fs.canonicalize("link").unwrap(), Path::new("/a/b/f"));
    assert_eq!(w.fs.canonicalize(".").unwrap(), Path::new("/a"));
    assert_eq!(w.fs.canonicalize("b/..").unwrap(), Path::new("/a"));
    assert_eq!(w.fs.read_to_string("b/f").unwrap(), "here");
    let error = w.fs.set_current_dir("b/f").unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::ENOTDIR));
    w.fs.set_current_dir("b").unwrap();
    assert_eq!(w.fs.current_dir().unwrap(), Path::new("/a/b"));
}

#[test]
fn exists_matches_std() {
    let w = World::new();
    w.file("f", b"");
    w.dir("d");
    w.symlink("f", "l");
    w.symlink("missing", "dangling");
    w.symlink("loop", "loop");
    for name in ["f", "d", "l", "missing", "dangling", "f/x", "loop"] {
        same_outcome(w.fs.exists(w.shim(name)), std::fs::exists(w.real(name)));
        same_outcome(w.fs.try_exists(w.shim(name)), w.real(name).try_exists());
        let shim = (
            w.fs.is_file(w.shim(name)),
            w.fs.is_dir(w.shim(name)),
            w.fs.is_symlink(w.shim(name)),
        );
        let real = (
            w.real(name).is_file(),
            w.real(name).is_dir(),
            w.real(name).is_symlink(),
        );
        assert_eq!(shim, real, "{name}");
    }
}

#[test]
fn nul_in_a_path_is_refused_like_std() {
    let w = World::new();
    let error = same_error(File::open(&w.fs, "/a\0b"), std::fs::File::open("/a\0b"));
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    same_error(
        w.fs.rename("/a", "/b\0"),
        std::fs::rename(w.real("a"), "/b\0"),
    );
    same_error(w.fs.metadata("\0"), std::fs::metadata("\0"));
}

// ---- threads ----

#[test]
fn two_threads_share_one_process() {
    let process = Arc::new(Vfs::from_url("ram://").unwrap().process());
    let fs = Fs::new(process.clone());
    fs.create_dir("/shared").unwrap();
    let log = File::options()
        .append(true)
        .create(true)
        .open(&fs, "/log")
        .unwrap();
    let barrier = Barrier::new(2);
    std::thread::scope(|scope| {
        for thread in 0..2u8 {
            let (fs, log, barrier) = (Fs::new(process.clone()), &log, &barrier);
            scope.spawn(move || {
                barrier.wait();
                let record = [b'a' + thread; 100];
                for i in 0..50 {
                    let path = format!("/shared/t{thread}-{i}");
                    fs.write(&path, path.as_bytes()).unwrap();
                    assert_eq!(fs.read_to_string(&path).unwrap(), path);
                    let mut log: &File = log;
                    log.write_all(&record).unwrap();
                }
            });
        }
    });
    let log = fs.read("/log").unwrap();
    assert_eq!(log.len(), 2 * 50 * 100);
    assert!(
        log.chunks(100)
            .all(|record| record.iter().all(|&b| b == record[0])),
        "appends do not interleave"
    );
    assert_eq!(fs.read_dir("/shared").unwrap().count(), 100);
    fs.set_current_dir("/shared").unwrap();
    let other_thread = std::thread::spawn({
        let fs = Fs::new(process.clone());
        move || fs.current_dir().unwrap()
    });
    assert_eq!(
        other_thread.join().unwrap(),
        Path::new("/shared"),
        "the cwd is the process's"
    );
}
