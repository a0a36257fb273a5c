//! Eight threads share one namespace over a RamFs for about two seconds: racing on
//! shared names, appending to one log, and each keeping a private directory whose
//! contents it models exactly. Afterwards the whole tree must be consistent.

use futures::executor::block_on;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use vfs_core::{
    Caller, Errno, FileHandle, FileType, Filesystem, MountOptions, Namespace, OpenFlags, Result,
};
use vfs_ramfs::{RamFs, RamFsOptions};

const THREADS: usize = 8;
/// Each thread stops at this many operations or at the deadline, whichever is first.
const MAX_OPS: usize = 200_000;
const RUN_FOR: Duration = Duration::from_secs(2);
/// How long all threads may take before the test calls it a deadlock.
const HANG_LIMIT: Duration = Duration::from_secs(120);
const RECORD: usize = 16;

/// Errors racing operations on shared names may meet; anything else is a bug.
const RACE_ERRNOS: [Errno; 8] = [
    Errno::ENOENT,
    Errno::EEXIST,
    Errno::ENOTEMPTY,
    Errno::EISDIR,
    Errno::ENOTDIR,
    Errno::EINVAL,
    Errno::ELOOP,
    Errno::EPERM,
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Up to `max` random bytes.
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// A racing operation's result: fine, or one of the errors a race explains.
fn tolerate<T>(result: Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if RACE_ERRNOS.contains(&error.errno()) => None,
        Err(error) => panic!("unexpected error in a racing operation: {error}"),
    }
}

/// A path among the few shared ones, so threads collide on them.
fn shared_path(rng: &mut Rng) -> String {
    let name = ["a", "b", "c", "d", "e"][rng.below(5)];
    match rng.below(3) {
        0 => format!("/shared/{name}"),
        1 => format!("/shared/{name}/{}", ["a", "b", "x"][rng.below(3)]),
        _ => format!("/shared/{}/{name}", ["a", "b", "c"][rng.below(3)]),
    }
}

/// What one thread knows its private directory holds.
#[derive(Default)]
struct Model {
    /// File name -> inode key (two names of one inode share the key).
    names: BTreeMap<String, usize>,
    contents: HashMap<usize, Vec<u8>>,
    dirs: BTreeSet<String>,
    next_key: usize,
}

impl Model {
    fn links(&self, key: usize) -> u64 {
        self.names.values().filter(|&&k| k == key).count() as u64
    }

    fn pick_file(&self, rng: &mut Rng) -> Option<String> {
        (!self.names.is_empty())
            .then(|| self.names.keys().nth(rng.below(self.names.len())).cloned())?
    }
}

struct Worker {
    ns: Arc<Namespace>,
    me: Caller,
    rng: Rng,
    id: usize,
    dir: String,
    model: Model,
    held: Option<FileHandle>,
    log: FileHandle,
    appended: Vec<(u64, u32)>,
}

impl Worker {
    fn run(mut self, deadline: Instant) -> (Model, Vec<(u64, u32)>) {
        let mut ops = 0;
        while ops < MAX_OPS && Instant::now() < deadline {
            if self.rng.below(2) == 0 {
                self.shared_op();
            } else {
                self.private_op();
            }
            ops += 1;
        }
        if let Some(held) = self.held.take() {
            block_on(held.close()).unwrap();
        }
        block_on(self.log.close()).unwrap();
        (self.model, self.appended)
    }

    fn shared_op(&mut self) {
        let (ns, me) = (&*self.ns, &self.me);
        let path = shared_path(&mut self.rng);
        match self.rng.below(14) {
            0 | 1 => {
                if let Some(file) = tolerate(block_on(ns.open(
                    me,
                    &path,
                    OpenFlags::RDWR | OpenFlags::CREATE,
                    0o644,
                ))) {
                    let data = self.rng.bytes(3000);
                    let offset = self.rng.below(20_000) as u64;
                    assert_eq!(block_on(file.write_at(offset, &data)).unwrap(), data.len());
                    block_on(file.close()).unwrap();
                }
            }
            2 => {
                if let Some(file) = tolerate(block_on(ns.open(me, &path, OpenFlags::RDONLY, 0))) {
                    let mut buf = vec![0; 4096];
                    if file.location().vnode().file_type() == FileType::Regular {
                        block_on(file.read_at(self.rng.below(20_000) as u64, &mut buf)).unwrap();
                    }
                    block_on(file.close()).unwrap();
                }
            }
            3 => {
                tolerate(block_on(ns.truncate(
                    me,
                    &path,
                    self.rng.below(30_000) as u64,
                )));
            }
            4 | 5 => {
                let to = shared_path(&mut self.rng);
                tolerate(block_on(ns.rename(me, &path, &to)));
            }
            6 => {
                let to = shared_path(&mut self.rng);
                tolerate(block_on(ns.link(me, &path, &to)));
            }
            7 => {
                tolerate(block_on(ns.unlink(me, &path)));
            }
            8 => {
                tolerate(block_on(ns.mkdir(me, &path, 0o755)));
            }
            9 => {
                tolerate(block_on(ns.rmdir(me, &path)));
            }
            10 => {
                tolerate(block_on(ns.lstat(me, &path)));
                tolerate(block_on(ns.read_dir(me, "/shared")));
            }
            11 => {
                let target = shared_path(&mut self.rng);
                tolerate(block_on(ns.symlink(me, &target, &path)));
            }
            12 => {
                // Keep a shared file open across other threads' unlinks and renames.
                if let Some(old) = self.held.take() {
                    block_on(old.close()).unwrap();
                }
                self.held = tolerate(block_on(ns.open(me, &path, OpenFlags::RDWR, 0)))
                    .filter(|file| file.location().vnode().file_type() == FileType::Regular);
                if let Some(held) = &self.held {
                    let data = self.rng.bytes(100);
                    block_on(held.write_at(self.rng.below(10_000) as u64, &data)).unwrap();
                    block_on(held.read_at(0, &mut [0; 512])).unwrap();
                }
            }
            _ => {
                let seq = self.appended.len() as u32;
                let mut record = [self.id as u8; RECORD];
                record[..4].copy_from_slice(&seq.to_le_bytes());
                let (offset, written) = block_on(self.log.append(&record)).unwrap();
                assert_eq!(written, RECORD);
                self.appended.push((offset, seq));
            }
        }
    }

    fn private_op(&mut self) {
        let (ns, me) = (&*self.ns, &self.me);
        let rng = &mut self.rng;
        let model = &mut self.model;
        let at = |name: &str| format!("{}/{name}", self.dir);
        let fresh = format!("f{}", rng.below(12));
        match rng.below(10) {
            0..=2 => {
                let name = match model.pick_file(rng) {
                    Some(name) if rng.below(3) > 0 => name,
                    _ => fresh,
                };
                let file =
                    block_on(ns.open(me, at(&name), OpenFlags::RDWR | OpenFlags::CREATE, 0o600))
                        .unwrap();
                let data = rng.bytes(2000);
                let offset = rng.below(8000);
                assert_eq!(
                    block_on(file.write_at(offset as u64, &data)).unwrap(),
                    data.len()
                );
                block_on(file.close()).unwrap();
                let key = *model.names.entry(name).or_insert_with(|| {
                    model.next_key += 1;
                    model.next_key
                });
                let content = model.contents.entry(key).or_default();
                if !data.is_empty() {
                    let end = offset + data.len();
                    content.resize(content.len().max(end), 0);
                    content[offset..end].copy_from_slice(&data);
                }
            }
            3 => {
                let Some(name) = model.pick_file(rng) else {
                    return;
                };
                let length = rng.below(10_000);
                block_on(ns.truncate(me, at(&name), length as u64)).unwrap();
                model
                    .contents
                    .entry(model.names[&name])
                    .or_default()
                    .resize(length, 0);
            }
            4 => {
                let Some(name) = model.pick_file(rng) else {
                    return;
                };
                let key = model.names[&name];
                let attr = block_on(ns.stat(me, at(&name))).unwrap();
                let expected = model.contents.get(&key).map_or(&[][..], Vec::as_slice);
                assert_eq!(
                    (attr.size, attr.nlink),
                    (expected.len() as u64, model.links(key)),
                    "{name}"
                );
                let file = block_on(ns.open(me, at(&name), OpenFlags::RDONLY, 0)).unwrap();
                let mut data = vec![0; expected.len() + 10];
                let n = block_on(file.read_at(0, &mut data)).unwrap();
                block_on(file.close()).unwrap();
                assert_eq!(&data[..n], expected, "content of {name}");
            }
            5 => {
                let Some(name) = model.pick_file(rng) else {
                    return;
                };
                block_on(ns.rename(me, at(&name), at(&fresh))).unwrap();
                let key = model.names[&name];
                if model.names.get(&fresh) != Some(&key) {
                    model.names.remove(&name);
                    model.names.insert(fresh, key);
                }
            }
            6 => {
                let Some(name) = model.pick_file(rng) else {
                    return;
                };
                if model.names.contains_key(&fresh) {
                    return;
                }
                block_on(ns.link(me, at(&name), at(&fresh))).unwrap();
                model.names.insert(fresh, model.names[&name]);
            }
            7 => {
                let Some(name) = model.pick_file(rng) else {
                    return;
                };
                block_on(ns.unlink(me, at(&name))).unwrap();
                model.names.remove(&name);
            }
            8 => {
                let dir = format!("d{}", rng.below(4));
                if model.dirs.remove(&dir) {
                    block_on(ns.rmdir(me, at(&dir))).unwrap();
                } else {
                    block_on(ns.mkdir(me, at(&dir), 0o700)).unwrap();
                    model.dirs.insert(dir);
                }
            }
            _ => {
                let listed: BTreeSet<String> = block_on(ns.read_dir(me, &self.dir))
                    .unwrap()
                    .iter()
                    .map(|e| e.name.to_string())
                    .collect();
                let expected: BTreeSet<String> =
                    model.names.keys().chain(&model.dirs).cloned().collect();
                assert_eq!(listed, expected);
            }
        }
    }
}

/// Walks the tree: checks every directory's link count, and returns each non-directory
/// inode's (names found, nlink), the number of directories and the pages in use.
fn walk(
    ns: &Namespace,
    me: &Caller,
    path: &str,
    files: &mut HashMap<u64, (u64, u64)>,
    dirs: &mut u64,
    pages: &mut u64,
) {
    *dirs += 1;
    let attr = block_on(ns.lstat(me, path)).unwrap();
    let mut subdirs = 0;
    for entry in block_on(ns.read_dir(me, path)).unwrap() {
        let child = format!("{}/{}", path.trim_end_matches('/'), entry.name);
        let child_attr = block_on(ns.lstat(me, &child)).unwrap();
        assert_eq!(
            (child_attr.ino, child_attr.file_type),
            (entry.ino, entry.file_type),
            "{child}"
        );
        if entry.file_type == FileType::Directory {
            subdirs += 1;
            walk(ns, me, &child, files, dirs, pages);
        } else {
            let seen = files.entry(entry.ino).or_insert((0, child_attr.nlink));
            if seen.0 == 0 {
                *pages += child_attr.blocks / 8;
            }
            seen.0 += 1;
        }
    }
    assert_eq!(attr.nlink, 2 + subdirs, "link count of directory {path}");
}

#[test]
fn eight_threads_share_one_namespace() {
    let fs = Arc::new(RamFs::new(RamFsOptions::default()));
    let ns = Arc::new(Namespace::new(fs.clone(), MountOptions::default()));
    let me = ns.root_caller();
    block_on(ns.mkdir(&me, "/shared", 0o777)).unwrap();
    let log_flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::APPEND;
    block_on(
        block_on(ns.open(&me, "/log", log_flags, 0o644))
            .unwrap()
            .close(),
    )
    .unwrap();
    let deadline = Instant::now() + RUN_FOR;
    let workers: Vec<_> = (0..THREADS)
        .map(|id| {
            let dir = format!("/p{id}");
            block_on(ns.mkdir(&me, &dir, 0o700)).unwrap();
            let worker = Worker {
                log: block_on(ns.open(&me, "/log", log_flags, 0)).unwrap(),
                ns: ns.clone(),
                me: me.clone(),
                rng: Rng(
                    0x9e37_79b9_7f4a_7c15 ^ (id as u64 + 1).wrapping_mul(0x1234_5678_9abc_def1)
                ),
                id,
                dir,
                model: Model::default(),
                held: None,
                appended: Vec::new(),
            };
            thread::spawn(move || worker.run(deadline))
        })
        .collect();
    let hang_deadline = Instant::now() + HANG_LIMIT;
    while !workers.iter().all(|worker| worker.is_finished()) {
        assert!(
            Instant::now() < hang_deadline,
            "threads still running after {HANG_LIMIT:?}: deadlock?"
        );
        thread::sleep(Duration::from_millis(10));
    }
    let results: Vec<_> = workers
        .into_iter()
        .map(|worker| worker.join().expect("worker panicked"))
        .collect();

    // Every private file holds what its thread wrote.
    for (id, (model, _)) in results.iter().enumerate() {
        let listed: BTreeSet<String> = block_on(ns.read_dir(&me, format!("/p{id}")))
            .unwrap()
            .iter()
            .map(|e| e.name.to_string())
            .collect();
        let expected: BTreeSet<String> = model.names.keys().chain(&model.dirs).cloned().collect();
        assert_eq!(listed, expected, "listing of /p{id}");
        for (name, key) in &model.names {
            let path = format!("/p{id}/{name}");
            let file = block_on(ns.open(&me, &path, OpenFlags::RDONLY, 0)).unwrap();
            let expected = model.contents.get(key).map_or(&[][..], Vec::as_slice);
            let mut data = vec![0; expected.len() + 1];
            let n = block_on(file.read_at(0, &mut data)).unwrap();
            block_on(file.close()).unwrap();
            assert_eq!(&data[..n], expected, "content of {path}");
        }
    }

    // Appends never overlapped: one record per returned offset, each intact.
    let mut offsets = BTreeMap::new();
    for (id, (_, appended)) in results.iter().enumerate() {
        for &(offset, seq) in appended {
            assert_eq!(offset % RECORD as u64, 0);
            assert!(
                offsets.insert(offset, (id, seq)).is_none(),
                "two appends at {offset}"
            );
        }
    }
    let log = block_on(ns.open(&me, "/log", OpenFlags::RDONLY, 0)).unwrap();
    let mut bytes = vec![0; offsets.len() * RECORD + 1];
    let n = block_on(log.read_at(0, &mut bytes)).unwrap();
    block_on(log.close()).unwrap();
    assert_eq!(n, offsets.len() * RECORD);
    for (&offset, &(id, seq)) in &offsets {
        let record = &bytes[offset as usize..offset as usize + RECORD];
        assert_eq!(record[..4], seq.to_le_bytes());
        assert!(
            record[4..].iter().all(|&b| b == id as u8),
            "torn record at {offset}"
        );
    }

    // Link counts and space accounting agree with the tree.
    let (mut files, mut dirs, mut pages) = (HashMap::new(), 0, 0);
    walk(&ns, &me, "/", &mut files, &mut dirs, &mut pages);
    for (ino, (names, nlink)) in &files {
        assert_eq!(
            names, nlink,
            "inode {ino} has {names} names but nlink {nlink}"
        );
    }
    let stat = block_on(fs.statfs()).unwrap();
    assert_eq!(stat.blocks - stat.blocks_free, pages, "pages in use");
    let links: u64 = files.values().map(|(names, _)| names).sum();
    assert_eq!(
        stat.files - stat.files_free,
        dirs + links,
        "inodes in use (extra links count)"
    );
}

/// The first thread to use a RamFs takes none of its locks until a second thread
/// comes, whose first access waits out the first one's (vfs_core::sole_thread).
/// Reads racing with writes of the whole file and its truncation therefore still
/// see the file whole: all one write's byte, or nothing, never a mix.
#[test]
fn the_only_threads_reads_stay_whole_when_a_second_thread_writes() {
    const SIZE: usize = 256 * 1024;
    for round in 0..100u64 {
        let fs = Arc::new(RamFs::new(RamFsOptions::default()));
        let ns = Arc::new(Namespace::new(fs, MountOptions::default()));
        let (opened, file) = std::sync::mpsc::channel();
        let reader = {
            let ns = ns.clone();
            thread::spawn(move || {
                let me = ns.root_caller();
                let flags = OpenFlags::RDWR | OpenFlags::CREATE;
                let file = Arc::new(block_on(ns.open(&me, "/f", flags, 0o644)).unwrap());
                block_on(file.write_at(0, &[b'a'; SIZE])).unwrap();
                opened.send(file.clone()).unwrap();
                let mut buffer = vec![0; SIZE];
                for reads in 1.. {
                    let n = file.read_at_now(0, &mut buffer).unwrap().unwrap();
                    let data = &buffer[..n];
                    assert!(data.iter().all(|&b| b == data[0]), "read {reads} is torn");
                    match n {
                        0 => return reads, // truncated: the writer is done
                        SIZE => {}
                        _ => panic!("read {reads}: {n} bytes"),
                    }
                }
                unreachable!("reads until the file is empty")
            })
        };
        let file: Arc<FileHandle> = file.recv().unwrap();
        // Varied points of the reads; any must do.
        thread::sleep(Duration::from_micros(round % 20 * 50));
        for fill in b'b'..=b'e' {
            block_on(file.write_at(0, &[fill; SIZE])).unwrap();
        }
        block_on(file.truncate(0)).unwrap();
        assert!(reader.join().expect("reader panicked") > 0);
    }
}
