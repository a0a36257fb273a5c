//! The random mode against the kernel: the model must agree with Linux for every
//! seed, with every capability set; and a deliberately broken target must be caught
//! with a short failing sequence.

use conformance::random::{self, Op};
use conformance::{Entry, KernelTarget, MountControl, Target, TargetFile};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use vfs_core::{AccessMask, Attr, Capabilities, Errno, FsStat, OpenFlags, Result, SetTime};

#[test]
fn seeds_agree_with_the_kernel() {
    let target = KernelTarget::new().expect("temporary directory");
    for seed in 1..=3 {
        match random::run(&target, seed, 20_000) {
            Ok(summary) => eprintln!("{summary}"),
            Err(failure) => panic!("{failure}"),
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_sequence() {
    let first = random::generate(42, 5_000, Capabilities::POSIX);
    assert_eq!(first, random::generate(42, 5_000, Capabilities::POSIX));
    assert_ne!(first, random::generate(43, 5_000, Capabilities::POSIX));
    assert_eq!(first.len(), 5_000);
    assert_eq!(first[random::CHECK_EVERY - 1], Op::Check);
    let kinds: std::collections::BTreeSet<&str> = first.iter().map(Op::kind).collect();
    for kind in [
        "create", "pwrite", "append", "pread", "rename", "link", "symlink", "rmdir", "check",
    ] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
}

#[test]
fn printed_ops_parse_back() {
    for op in random::generate(9, 3_000, Capabilities::POSIX) {
        assert_eq!(op.to_string().parse::<Op>(), Ok(op.clone()), "{op}");
    }
}

#[test]
fn a_printed_failure_replays() {
    let mut target = Wrapped::new(Capabilities::POSIX);
    target.rmdir_ebusy = true;
    let failure = random::run(&target, 3, 5_000).expect_err("the broken rmdir must be caught");
    let ops = random::parse_sequence(&failure.to_string(), true).expect("lenient");
    assert_eq!(ops, failure.shortest);
    let divergence = random::replay(&target, &ops).expect("still fails");
    assert_eq!(divergence, *failure.shortest_divergence);
    target.rmdir_ebusy = false;
    assert_eq!(random::replay(&target, &ops), None);
}

#[test]
fn every_op_kind_both_succeeds_and_fails_somewhere() {
    let summary = random::predict(1, 20_000, Capabilities::POSIX);
    for kind in [
        "create", "open", "mkdir", "rmdir", "unlink", "rename", "link", "symlink", "stat",
        "truncate",
    ] {
        let count = &summary.per_kind[kind];
        assert!(
            count.ok > 0 && !count.errors.is_empty(),
            "{kind}: {count:?}"
        );
    }
}

/// A capability set without links, symlinks, holes, appends, open-after-unlink or
/// directory link counts: generation and the model must still agree with the kernel.
#[test]
fn reduced_capabilities_agree_with_the_kernel() {
    let caps = Capabilities {
        hard_links: false,
        symlinks: false,
        sparse_files: false,
        atomic_append: false,
        unlinked_open_files: false,
        dir_link_counts: false,
        ..Capabilities::POSIX
    };
    let ops = random::generate(5, 5_000, caps);
    assert!(!ops.iter().any(|op| matches!(
        op,
        Op::Link { .. } | Op::Symlink { .. } | Op::Append { .. } | Op::Open { append: true, .. }
    )));
    let target = Wrapped::new(caps);
    for seed in 4..=5 {
        if let Err(failure) = random::run(&target, seed, 5_000) {
            panic!("{failure}");
        }
    }
}

#[test]
fn a_read_only_target_is_not_run() {
    let target = Wrapped::new(Capabilities::NONE);
    let summary = random::run(&target, 1, 100).expect("nothing to fail");
    assert!(summary.not_run.is_some());
}

#[test]
fn a_wrong_rmdir_errno_is_shrunk_to_a_few_ops() {
    let mut target = Wrapped::new(Capabilities::POSIX);
    target.rmdir_ebusy = true;
    let failure = random::run(&target, 1, 20_000).expect_err("the broken rmdir must be caught");
    let text = failure.to_string();
    eprintln!("{text}");
    assert!(failure.shortest.len() <= 10, "{text}");
    assert!(
        failure
            .shortest
            .iter()
            .any(|op| matches!(op, Op::Rmdir { .. })),
        "{text}"
    );
    assert_eq!(failure.shortest_divergence.mismatch.expected, "ENOTEMPTY");
    assert!(
        text.contains("rerun: vfs check --random --seed 1 --ops 20000 URL"),
        "{text}"
    );
    assert!(
        text.contains(&format!("first divergence at op #{}", failure.first.index)),
        "{text}"
    );
}

#[test]
fn corrupted_reads_are_shrunk_to_a_few_ops() {
    let mut target = Wrapped::new(Capabilities::POSIX);
    target.corrupt_after = Some(200);
    let failure = random::run(&target, 2, 20_000).expect_err("the corrupted read must be caught");
    let text = failure.to_string();
    eprintln!("{text}");
    assert!(failure.shortest.len() <= 10, "{text}");
    assert!(
        failure
            .shortest
            .iter()
            .any(|op| matches!(op, Op::Pwrite { .. } | Op::Append { .. })),
        "{text}"
    );
}

/// A kernel target with other capabilities and optional faults.
struct Wrapped {
    inner: KernelTarget,
    caps: Capabilities,
    /// `rmdir` of a non-empty directory says `EBUSY` instead of `ENOTEMPTY`.
    rmdir_ebusy: bool,
    /// After this many non-empty reads, every read flips a byte.
    corrupt_after: Option<usize>,
    reads: Arc<AtomicUsize>,
}

impl Wrapped {
    fn new(caps: Capabilities) -> Wrapped {
        Wrapped {
            inner: KernelTarget::new().expect("temporary directory"),
            caps,
            rmdir_ebusy: false,
            corrupt_after: None,
            reads: Arc::new(AtomicUsize::new(0)),
        }
    }
}

struct WrappedFile {
    inner: Box<dyn TargetFile>,
    corrupt_after: Option<usize>,
    reads: Arc<AtomicUsize>,
}

impl TargetFile for WrappedFile {
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize> {
        let n = self.inner.pread(buf, offset)?;
        if n > 0 {
            let reads = self.reads.fetch_add(1, Ordering::Relaxed);
            if self.corrupt_after.is_some_and(|after| reads >= after) {
                buf[n / 2] ^= 0x40;
            }
        }
        Ok(n)
    }
    fn pwrite(&mut self, data: &[u8], offset: u64) -> Result<usize> {
        self.inner.pwrite(data, offset)
    }
    fn append(&mut self, data: &[u8]) -> Result<usize> {
        self.inner.append(data)
    }
    fn ftruncate(&mut self, length: u64) -> Result<()> {
        self.inner.ftruncate(length)
    }
    fn fstat(&mut self) -> Result<Attr> {
        self.inner.fstat()
    }
    fn fsync(&mut self) -> Result<()> {
        self.inner.fsync()
    }
    fn read_dir(&mut self) -> Result<Vec<Entry>> {
        self.inner.read_dir()
    }
    fn close(self: Box<Self>) -> Result<()> {
        self.inner.close()
    }
}

impl Target for Wrapped {
    fn describe(&self) -> String {
        format!("wrapped {}", self.inner.describe())
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
    fn scratch_dir(&self, case: &str) -> Result<String> {
        self.inner.scratch_dir(case)
    }
    fn mounts(&self) -> Option<&dyn MountControl> {
        None
    }
    fn open(&self, path: &[u8], flags: OpenFlags, mode: u32) -> Result<Box<dyn TargetFile>> {
        let inner = self.inner.open(path, flags, mode)?;
        Ok(Box::new(WrappedFile {
            inner,
            corrupt_after: self.corrupt_after,
            reads: self.reads.clone(),
        }))
    }
    fn stat(&self, path: &[u8]) -> Result<Attr> {
        self.inner.stat(path)
    }
    fn lstat(&self, path: &[u8]) -> Result<Attr> {
        self.inner.lstat(path)
    }
    fn mkdir(&self, path: &[u8], mode: u32) -> Result<()> {
        self.inner.mkdir(path, mode)
    }
    fn rmdir(&self, path: &[u8]) -> Result<()> {
        match self.inner.rmdir(path) {
            Err(e) if self.rmdir_ebusy && e.errno() == Errno::ENOTEMPTY => Err(Errno::EBUSY.into()),
            other => other,
        }
    }
    fn unlink(&self, path: &[u8]) -> Result<()> {
        self.inner.unlink(path)
    }
    fn rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        self.inner.rename(old, new)
    }
    fn link(&self, old: &[u8], new: &[u8]) -> Result<()> {
        self.inner.link(old, new)
    }
    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<()> {
        self.inner.symlink(target, path)
    }
    fn mknod(&self, path: &[u8], mode: u32, rdev: u64) -> Result<()> {
        self.inner.mknod(path, mode, rdev)
    }
    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>> {
        self.inner.readlink(path)
    }
    fn truncate(&self, path: &[u8], length: u64) -> Result<()> {
        self.inner.truncate(path, length)
    }
    fn chmod(&self, path: &[u8], mode: u32) -> Result<()> {
        self.inner.chmod(path, mode)
    }
    fn chown(&self, path: &[u8], uid: Option<u32>, gid: Option<u32>, follow: bool) -> Result<()> {
        self.inner.chown(path, uid, gid, follow)
    }
    fn utimens(
        &self,
        path: &[u8],
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> Result<()> {
        self.inner.utimens(path, atime, mtime, follow)
    }
    fn read_dir(&self, path: &[u8]) -> Result<Vec<Entry>> {
        self.inner.read_dir(path)
    }
    fn statfs(&self, path: &[u8]) -> Result<FsStat> {
        self.inner.statfs(path)
    }
    fn access(&self, path: &[u8], mask: AccessMask) -> Result<()> {
        self.inner.access(path, mask)
    }
}

/// The long run: `cargo test --release -p conformance --test random_kernel -- --ignored`.
#[test]
#[ignore = "long: 100,000 ops per seed"]
fn a_hundred_thousand_ops_agree_with_the_kernel() {
    let target = KernelTarget::new().expect("temporary directory");
    let seeds: Vec<u64> = match std::env::var("RANDOM_SEEDS") {
        Ok(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("a seed"))
            .collect(),
        Err(_) => vec![1],
    };
    for seed in seeds {
        match random::run(&target, seed, 100_000) {
            Ok(summary) => eprintln!("{summary}"),
            Err(failure) => panic!("{failure}"),
        }
    }
}
