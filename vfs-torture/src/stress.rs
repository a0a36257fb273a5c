//! The stress runner: threads doing random operations through one namespace for a
//! while, each in its own subtree with a model of what should be there, all of
//! them also writing their own slot of one shared file; then a consistency pass
//! compares the tree with the models (every name resolves, types, sizes, link
//! counts and contents match, listings hold exactly the model's names).
//!
//! An error is an operation that failed although the model says it must succeed,
//! or anything the server shows that the model does not hold.

use futures::executor::block_on;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use vfs_core::{Caller, FileType, Namespace, OpenFlags};

/// Bytes of the shared file each thread owns.
const SLOT: usize = 4096;

/// Most errors kept with their messages (all are counted).
const KEPT: usize = 20;

/// What the run found.
#[derive(Debug, Default)]
pub struct StressReport {
    /// Operations done (consistency checks included).
    pub ops: u64,
    /// Errors found.
    pub errors: u64,
    /// The first errors' messages.
    pub messages: Vec<String>,
}

struct Errors {
    count: AtomicU64,
    messages: Mutex<Vec<String>>,
}

impl Errors {
    fn add(&self, message: String) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut messages = self.messages.lock().unwrap();
        if messages.len() < KEPT {
            messages.push(message);
        }
    }
}

/// A small xorshift generator: reproducible runs from a seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// One thread's subtree as it should be: directories and names by path relative
/// to the subtree, names pointing at inodes (hard links share one).
#[derive(Default)]
struct Model {
    dirs: BTreeSet<String>,
    names: BTreeMap<String, u64>,
    inodes: BTreeMap<u64, Vec<u8>>,
    next_inode: u64,
    next_name: u64,
}

impl Model {
    fn links(&self, inode: u64) -> usize {
        self.names.values().filter(|&&i| i == inode).count()
    }

    fn fresh(&mut self, rng: &mut Rng, prefix: &str) -> String {
        let dirs: Vec<&String> = self.dirs.iter().collect();
        let dir = dirs[rng.below(dirs.len())].clone();
        self.next_name += 1;
        join(&dir, &format!("{prefix}{}", self.next_name))
    }

    fn pick_name(&self, rng: &mut Rng) -> Option<String> {
        let names: Vec<&String> = self.names.keys().collect();
        (!names.is_empty()).then(|| names[rng.below(names.len())].clone())
    }

    fn children(&self, dir: &str) -> BTreeSet<String> {
        let parent_of = |path: &str| path.rsplit_once('/').map_or("", |(p, _)| p).to_string();
        let leaf = |path: &str| path.rsplit('/').next().unwrap_or(path).to_string();
        self.dirs
            .iter()
            .filter(|d| !d.is_empty())
            .chain(self.names.keys())
            .filter(|p| parent_of(p) == dir)
            .map(|p| leaf(p))
            .collect()
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Runs `threads` threads of random operations in `base` (an existing, empty
/// directory of `ns`) for `duration`, then the consistency pass. `hard_links`
/// says whether LINK is exercised.
pub fn run_stress(
    ns: Arc<Namespace>,
    base: &str,
    threads: usize,
    duration: Duration,
    seed: u64,
    hard_links: bool,
) -> StressReport {
    let errors = Arc::new(Errors {
        count: AtomicU64::new(0),
        messages: Mutex::new(Vec::new()),
    });
    let ops = Arc::new(AtomicU64::new(0));
    let me = ns.root_caller();
    let shared = format!("{base}/shared");
    if let Err(e) = write_whole(&ns, &me, &shared, &vec![0u8; threads * SLOT], true) {
        errors.add(format!("creating {shared}: {e}"));
    }
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let ns = ns.clone();
            let errors = errors.clone();
            let ops = ops.clone();
            let root = format!("{base}/t{t}");
            let shared = shared.clone();
            thread::spawn(move || {
                let me = ns.root_caller();
                let mut model = Model::default();
                model.dirs.insert(String::new());
                if let Err(e) = block_on(ns.mkdir(&me, &root, 0o755)) {
                    errors.add(format!("mkdir {root}: {e}"));
                    return None;
                }
                let mut worker = Worker {
                    ns: &ns,
                    me: &me,
                    root: &root,
                    model,
                    rng: Rng(seed.wrapping_mul(31).wrapping_add(t as u64 + 1) | 1),
                    errors: &errors,
                    slot: t,
                    slot_value: 0,
                    shared: &shared,
                    hard_links,
                };
                while Instant::now() < deadline {
                    worker.step();
                    ops.fetch_add(1, Ordering::Relaxed);
                }
                Some((worker.model, worker.slot_value))
            })
        })
        .collect();
    let mut finals = Vec::new();
    for (t, worker) in workers.into_iter().enumerate() {
        match worker.join() {
            Ok(Some(result)) => finals.push((t, result)),
            Ok(None) => {}
            Err(_) => errors.add(format!("thread {t} panicked")),
        }
    }
    let shared_now = read_whole(&ns, &me, &shared);
    for (t, (model, slot_value)) in &finals {
        let root = format!("{base}/t{t}");
        ops.fetch_add(
            check_consistency(&ns, &me, &root, model, hard_links, &errors),
            Ordering::Relaxed,
        );
        if let Ok(data) = &shared_now {
            let slot = data.get(t * SLOT..(t + 1) * SLOT);
            if slot != Some(&slot_bytes(*t, *slot_value)[..]) {
                errors.add(format!("shared file: slot {t} lost its last value"));
            }
        }
    }
    if let Err(e) = shared_now {
        errors.add(format!("reading {shared}: {e}"));
    }
    let messages = errors.messages.lock().unwrap().clone();
    StressReport {
        ops: ops.load(Ordering::Relaxed),
        errors: errors.count.load(Ordering::Relaxed),
        messages,
    }
}

fn slot_bytes(thread: usize, value: u64) -> Vec<u8> {
    let mut bytes = vec![value as u8; SLOT];
    bytes[..8].copy_from_slice(&value.to_le_bytes());
    bytes[8..16].copy_from_slice(&(thread as u64).to_le_bytes());
    bytes
}

struct Worker<'a> {
    ns: &'a Namespace,
    me: &'a Caller,
    root: &'a str,
    model: Model,
    rng: Rng,
    errors: &'a Errors,
    slot: usize,
    slot_value: u64,
    shared: &'a str,
    hard_links: bool,
}

impl Worker<'_> {
    fn path(&self, relative: &str) -> String {
        join(self.root, relative)
    }

    fn fail(&self, what: String) {
        self.errors.add(format!("{}: {what}", self.root));
    }

    fn step(&mut self) {
        match self.rng.below(12) {
            0 | 1 => self.create(),
            2 => self.write(),
            3 => self.truncate(),
            4 => self.read(),
            5 => self.mkdir(),
            6 => self.rmdir(),
            7 => self.unlink(),
            8 => self.rename(),
            9 if self.hard_links => self.link(),
            9 | 10 => self.list(),
            _ => self.shared_slot(),
        }
    }

    fn create(&mut self) {
        let name = self.model.fresh(&mut self.rng, "f");
        let len = self.rng.below(64 << 10);
        let data = self.rng.bytes(len);
        match write_whole(self.ns, self.me, &self.path(&name), &data, true) {
            Ok(()) => {
                self.model.next_inode += 1;
                let inode = self.model.next_inode;
                self.model.inodes.insert(inode, data);
                self.model.names.insert(name, inode);
            }
            Err(e) => self.fail(format!("create {name}: {e}")),
        }
    }

    fn write(&mut self) {
        let Some(name) = self.model.pick_name(&mut self.rng) else {
            return self.create();
        };
        let inode = self.model.names[&name];
        let size = self.model.inodes[&inode].len();
        let offset = self.rng.below(size + 8192);
        let len = 1 + self.rng.below(16 << 10);
        let data = self.rng.bytes(len);
        let result = block_on(async {
            let file = self
                .ns
                .open(self.me, self.path(&name), OpenFlags::WRONLY, 0)
                .await?;
            let written = file.write_at(offset as u64, &data).await;
            let closed = file.close().await;
            let written = written?;
            closed?;
            Ok::<usize, vfs_core::Error>(written)
        });
        match result {
            Ok(n) if n == len => {
                let content = self.model.inodes.get_mut(&inode).unwrap();
                if content.len() < offset + len {
                    content.resize(offset + len, 0);
                }
                content[offset..offset + len].copy_from_slice(&data);
            }
            Ok(n) => self.fail(format!("write {name}: {n} of {len} bytes written")),
            Err(e) => self.fail(format!("write {name} at {offset}: {e}")),
        }
    }

    fn truncate(&mut self) {
        let Some(name) = self.model.pick_name(&mut self.rng) else {
            return;
        };
        let inode = self.model.names[&name];
        let size = self.model.inodes[&inode].len();
        let length = self.rng.below(size + 4096);
        match block_on(self.ns.truncate(self.me, self.path(&name), length as u64)) {
            Ok(()) => self.model.inodes.get_mut(&inode).unwrap().resize(length, 0),
            Err(e) => self.fail(format!("truncate {name} to {length}: {e}")),
        }
    }

    fn read(&mut self) {
        let Some(name) = self.model.pick_name(&mut self.rng) else {
            return;
        };
        let expected = &self.model.inodes[&self.model.names[&name]];
        match read_whole(self.ns, self.me, &self.path(&name)) {
            Ok(data) if &data == expected => {}
            Ok(data) => self.fail(format!(
                "read {name}: {} bytes differ from the model's {}",
                data.len(),
                expected.len()
            )),
            Err(e) => self.fail(format!("read {name}: {e}")),
        }
    }

    fn mkdir(&mut self) {
        if self.model.dirs.len() > 12 {
            return;
        }
        let name = self.model.fresh(&mut self.rng, "d");
        match block_on(self.ns.mkdir(self.me, self.path(&name), 0o755)) {
            Ok(()) => {
                self.model.dirs.insert(name);
            }
            Err(e) => self.fail(format!("mkdir {name}: {e}")),
        }
    }

    fn rmdir(&mut self) {
        let empty: Vec<String> = self
            .model
            .dirs
            .iter()
            .filter(|d| !d.is_empty() && self.model.children(d).is_empty())
            .cloned()
            .collect();
        if empty.is_empty() {
            return;
        }
        let dir = empty[self.rng.below(empty.len())].clone();
        match block_on(self.ns.rmdir(self.me, self.path(&dir))) {
            Ok(()) => {
                self.model.dirs.remove(&dir);
            }
            Err(e) => self.fail(format!("rmdir {dir}: {e}")),
        }
    }

    fn unlink(&mut self) {
        let Some(name) = self.model.pick_name(&mut self.rng) else {
            return;
        };
        match block_on(self.ns.unlink(self.me, self.path(&name))) {
            Ok(()) => self.forget(&name),
            Err(e) => self.fail(format!("unlink {name}: {e}")),
        }
    }

    /// Drops `name` from the model, and its inode with its last name.
    fn forget(&mut self, name: &str) {
        if let Some(inode) = self.model.names.remove(name) {
            if self.model.links(inode) == 0 {
                self.model.inodes.remove(&inode);
            }
        }
    }

    fn rename(&mut self) {
        let Some(from) = self.model.pick_name(&mut self.rng) else {
            return;
        };
        // Half the time over another file (which is replaced), else to a new name.
        let to = match self.model.pick_name(&mut self.rng) {
            Some(other) if self.rng.below(2) == 0 => other,
            _ => self.model.fresh(&mut self.rng, "r"),
        };
        match block_on(self.ns.rename(self.me, self.path(&from), self.path(&to))) {
            Ok(()) => {
                let inode = self.model.names[&from];
                // POSIX: renaming onto another link of the same file does nothing.
                if self.model.names.get(&to) == Some(&inode) {
                    return;
                }
                self.forget(&to);
                self.model.names.remove(&from);
                self.model.names.insert(to, inode);
            }
            Err(e) => self.fail(format!("rename {from} -> {to}: {e}")),
        }
    }

    fn link(&mut self) {
        let Some(from) = self.model.pick_name(&mut self.rng) else {
            return;
        };
        let to = self.model.fresh(&mut self.rng, "l");
        match block_on(self.ns.link(self.me, self.path(&from), self.path(&to))) {
            Ok(()) => {
                let inode = self.model.names[&from];
                self.model.names.insert(to, inode);
            }
            Err(e) => self.fail(format!("link {from} -> {to}: {e}")),
        }
    }

    fn list(&mut self) {
        let dirs: Vec<String> = self.model.dirs.iter().cloned().collect();
        let dir = dirs[self.rng.below(dirs.len())].clone();
        if let Err(what) = check_listing(
            self.ns,
            self.me,
            &self.path(&dir),
            &self.model.children(&dir),
        ) {
            self.fail(what);
        }
    }

    fn shared_slot(&mut self) {
        let value = self.slot_value + 1;
        let bytes = slot_bytes(self.slot, value);
        let offset = (self.slot * SLOT) as u64;
        let result = block_on(async {
            let file = self
                .ns
                .open(self.me, self.shared, OpenFlags::RDWR, 0)
                .await?;
            let written = file.write_at(offset, &bytes).await;
            let mut back = vec![0u8; SLOT];
            let read = file.read_at(offset, &mut back).await;
            let closed = file.close().await;
            written?;
            let read = read?;
            closed?;
            Ok::<_, vfs_core::Error>(back[..read].to_vec())
        });
        match result {
            Ok(back) if back == bytes => self.slot_value = value,
            Ok(back) => {
                // The write may have happened: the model cannot tell which value
                // is there now, so the final check would fail anyway.
                self.slot_value = value;
                let first = back.iter().zip(&bytes).position(|(a, b)| a != b);
                let the_old_value = back == slot_bytes(self.slot, value - 1);
                self.fail(format!(
                    "shared slot {}: read back other bytes ({} of {}, first difference at \
                     {first:?}, the previous value: {the_old_value})",
                    self.slot,
                    back.len(),
                    bytes.len()
                ));
            }
            Err(e) => self.fail(format!("shared slot {}: {e}", self.slot)),
        }
    }
}

/// Checks that the directory at `path` lists exactly `expected`.
fn check_listing(
    ns: &Namespace,
    me: &Caller,
    path: &str,
    expected: &BTreeSet<String>,
) -> Result<(), String> {
    match block_on(ns.read_dir(me, path)) {
        Ok(entries) => {
            let listed: BTreeSet<String> = entries.iter().map(|e| e.name.to_string()).collect();
            if &listed == expected {
                Ok(())
            } else {
                Err(format!("listing {path}: {listed:?}, model {expected:?}"))
            }
        }
        Err(e) => Err(format!("listing {path}: {e}")),
    }
}

/// The consistency pass over one thread's subtree; returns the checks made.
fn check_consistency(
    ns: &Namespace,
    me: &Caller,
    root: &str,
    model: &Model,
    hard_links: bool,
    errors: &Errors,
) -> u64 {
    let mut checks = 0;
    for dir in &model.dirs {
        checks += 1;
        let path = join(root, dir);
        if let Err(what) = check_listing(ns, me, &path, &model.children(dir)) {
            errors.add(format!("final: {what}"));
        }
    }
    for (name, inode) in &model.names {
        checks += 1;
        let path = join(root, name);
        let expected = &model.inodes[inode];
        match block_on(ns.stat(me, &path)) {
            Err(e) => errors.add(format!("final: stat {path}: {e}")),
            Ok(attr) => {
                let links = if hard_links { model.links(*inode) } else { 1 };
                if attr.file_type != FileType::Regular
                    || attr.size != expected.len() as u64
                    || attr.nlink != links as u64
                {
                    errors.add(format!(
                        "final: {path} is {:?}, {} bytes, {} links; model: file, {} bytes, {links} links",
                        attr.file_type,
                        attr.size,
                        attr.nlink,
                        expected.len()
                    ));
                }
            }
        }
        match read_whole(ns, me, &path) {
            Ok(data) if &data == expected => {}
            Ok(_) => errors.add(format!("final: {path}: contents differ from the model")),
            Err(e) => errors.add(format!("final: read {path}: {e}")),
        }
    }
    checks
}

/// Writes `data` as the whole of `path` (created; exclusively when `exclusive`).
pub fn write_whole(
    ns: &Namespace,
    me: &Caller,
    path: &str,
    data: &[u8],
    exclusive: bool,
) -> vfs_core::Result<()> {
    let mut flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    if exclusive {
        flags |= OpenFlags::EXCLUSIVE;
    }
    block_on(async {
        let file = ns.open(me, path, flags, 0o644).await?;
        let mut done = 0;
        let mut written = Ok(());
        while done < data.len() {
            match file.write_at(done as u64, &data[done..]).await {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) => {
                    written = Err(e);
                    break;
                }
            }
        }
        let closed = file.close().await;
        written.and(closed)
    })
}

/// The whole contents of `path`.
pub fn read_whole(ns: &Namespace, me: &Caller, path: &str) -> vfs_core::Result<Vec<u8>> {
    block_on(async {
        let file = ns.open(me, path, OpenFlags::RDONLY, 0).await?;
        let mut data = Vec::new();
        let mut chunk = vec![0u8; 256 << 10];
        let read = loop {
            match file.read_at(data.len() as u64, &mut chunk).await {
                Ok(0) => break Ok(()),
                Ok(n) => data.extend_from_slice(&chunk[..n]),
                Err(e) => break Err(e),
            }
        };
        let closed = file.close().await;
        read.and(closed).map(|()| data)
    })
}
