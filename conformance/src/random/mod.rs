//! The seeded random mode: a long sequence of random file operations, fsx-style
//! data ops on a few open files mixed with namespace ops on a tiny name pool, each
//! checked against an in-memory model that predicts every result and errno, with a
//! full consistency pass every [`CHECK_EVERY`] ops and at the end. On the first
//! divergence the run stops and shrinks the sequence to the shortest failing one.
//!
//! The sequence depends only on the seed (and the target's capabilities): the
//! generator is fed the model, never the target's answers, and the PRNG is written
//! here. `vfs check --random --seed S --ops N URL` reruns a failure exactly.
//!
//! Files: `rng` (SplitMix64), `ops` (the op type), `model` (the prediction),
//! `gen` (op generation), `exec` (applying an op to model and target), `check` (the
//! consistency pass), `shrink` (the shortest failing sequence).

mod check;
mod exec;
mod gen;
mod model;
mod ops;
mod rng;
mod shrink;

pub use exec::{Mismatch, Outcome};
pub use gen::CHECK_EVERY;
pub use ops::{parse_sequence, Op, SLOTS};
pub use shrink::{MAX_REPLAYS, MAX_TIME};

use crate::target::Target;
use exec::Executor;
use gen::Generator;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};
use vfs_core::{Capabilities, Errno};

/// `progress` is called after every this many ops.
pub const PROGRESS_EVERY: usize = 1000;

/// How the ops of one kind ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpCount {
    /// Succeeded, as predicted.
    pub ok: usize,
    /// Did not apply (slot not open at that point, or a capability forbids it).
    pub skipped: usize,
    /// Failed with each errno, as predicted.
    pub errors: BTreeMap<Errno, usize>,
}

impl OpCount {
    /// Every op of this kind.
    pub fn total(&self) -> usize {
        self.ok + self.skipped + self.errors.values().sum::<usize>()
    }
}

/// Counts kept while running.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    per_kind: BTreeMap<&'static str, OpCount>,
    checks: usize,
    bytes_written: u64,
    bytes_read: u64,
}

impl Tally {
    fn record(&mut self, kind: &'static str, outcome: Outcome) {
        let count = self.per_kind.entry(kind).or_default();
        match outcome {
            Outcome::Ok => count.ok += 1,
            Outcome::Skipped => count.skipped += 1,
            Outcome::Err(errno) => *count.errors.entry(errno).or_default() += 1,
        }
    }
}

/// What a run that agreed with the model did.
#[derive(Clone, Debug, Default)]
pub struct RandomSummary {
    /// The seed.
    pub seed: u64,
    /// Ops run (the periodic consistency passes included).
    pub ops: usize,
    /// Outcomes per op kind (`"pwrite"`, `"rename"`, ...); every errno was predicted.
    pub per_kind: BTreeMap<&'static str, OpCount>,
    /// Full consistency passes, the final one included.
    pub checks: usize,
    /// Bytes written by `pwrite` and `append`.
    pub bytes_written: u64,
    /// Bytes read and compared by `pread`.
    pub bytes_read: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Why nothing ran, when nothing did (a read-only target).
    pub not_run: Option<String>,
}

impl RandomSummary {
    /// Ops that succeeded.
    pub fn ok(&self) -> usize {
        self.per_kind.values().map(|c| c.ok).sum()
    }

    /// Ops that failed with the predicted errno.
    pub fn errors(&self) -> usize {
        self.per_kind
            .values()
            .map(|c| c.errors.values().sum::<usize>())
            .sum()
    }

    /// Ops skipped.
    pub fn skipped(&self) -> usize {
        self.per_kind.values().map(|c| c.skipped).sum()
    }
}

impl fmt::Display for RandomSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(reason) = &self.not_run {
            return write!(f, "random: seed {}: not run: {reason}", self.seed);
        }
        writeln!(
            f,
            "random: seed {}: {} ops agreed with the model in {:.2?} ({} ok, {} expected errors, {} skipped, {} checks, {} KiB written, {} KiB read)",
            self.seed,
            self.ops,
            self.elapsed,
            self.ok(),
            self.errors(),
            self.skipped(),
            self.checks,
            self.bytes_written / 1024,
            self.bytes_read / 1024
        )?;
        for (kind, count) in &self.per_kind {
            write!(f, "  {kind:<10} {:>7} ok", count.ok)?;
            if count.skipped > 0 {
                write!(f, ", {} skipped", count.skipped)?;
            }
            for (errno, n) in &count.errors {
                write!(f, ", {errno:?} {n}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Where a sequence first disagreed with the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Index of the op in its sequence (the sequence's length for the final pass).
    pub index: usize,
    /// The op, or `None` for the final consistency pass (or the setup).
    pub op: Option<Op>,
    /// What was expected and what was seen.
    pub mismatch: Mismatch,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Mismatch {
            what,
            expected,
            seen,
        } = &self.mismatch;
        match &self.op {
            Some(op) if op.to_string() == *what => write!(f, "op #{}: {what}", self.index)?,
            Some(op) => write!(f, "op #{} ({op}): {what}", self.index)?,
            None => write!(f, "final consistency pass: {what}")?,
        }
        write!(f, ": expected {expected}, seen {seen}")
    }
}

/// A run that diverged from the model: where, and the shortest failing sequence.
#[derive(Clone)]
pub struct RandomFailure {
    /// The target's description.
    pub target: String,
    /// The seed.
    pub seed: u64,
    /// The number of ops asked for.
    pub ops: usize,
    /// The first divergence of the full run.
    pub first: Box<Divergence>,
    /// The shortest failing sequence found (empty when the run could not start).
    pub shortest: Vec<Op>,
    /// How that sequence diverges.
    pub shortest_divergence: Box<Divergence>,
    /// Replays spent shrinking.
    pub replays: usize,
    /// Time spent shrinking.
    pub shrink_time: Duration,
}

impl fmt::Display for RandomFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "random mode: {} diverged from the model", self.target)?;
        writeln!(
            f,
            "seed {}, {} ops: first divergence at {}",
            self.seed, self.ops, self.first
        )?;
        if !self.shortest.is_empty() {
            writeln!(
                f,
                "shortest failing sequence found ({} ops, {} replays, {:.1?}):",
                self.shortest.len(),
                self.replays,
                self.shrink_time
            )?;
            let width = self.shortest.len().saturating_sub(1).to_string().len();
            for (index, op) in self.shortest.iter().enumerate() {
                write!(f, "  {index:>width$}: {op}")?;
                if index == self.shortest_divergence.index {
                    let Mismatch { expected, seen, .. } = &self.shortest_divergence.mismatch;
                    write!(f, "    <- expected {expected}, seen {seen}")?;
                }
                writeln!(f)?;
            }
            if self.shortest_divergence.index >= self.shortest.len() {
                writeln!(f, "  then {}", self.shortest_divergence)?;
            } else if self
                .shortest_divergence
                .op
                .as_ref()
                .is_some_and(|op| op.to_string() != self.shortest_divergence.mismatch.what)
            {
                writeln!(f, "  ({})", self.shortest_divergence)?;
            }
        }
        write!(
            f,
            "rerun: vfs check --random --seed {} --ops {} URL",
            self.seed, self.ops
        )
    }
}

impl fmt::Debug for RandomFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for RandomFailure {}

/// Runs `ops` random operations from `seed` on `target`, checking each against the
/// model, in a fresh scratch directory removed afterwards.
pub fn run(target: &dyn Target, seed: u64, ops: usize) -> Result<RandomSummary, RandomFailure> {
    run_with_progress(target, seed, ops, &mut |_| {})
}

/// [`run`], calling `progress` with the number of ops done every
/// [`PROGRESS_EVERY`] ops and once at the end.
pub fn run_with_progress(
    target: &dyn Target,
    seed: u64,
    ops: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<RandomSummary, RandomFailure> {
    let started = Instant::now();
    let caps = target.capabilities();
    let mut summary = RandomSummary {
        seed,
        ..RandomSummary::default()
    };
    if !caps.write {
        summary.not_run = Some("the target is read-only".to_string());
        return Ok(summary);
    }
    let label = format!("random-{seed}");
    let failure = |first: Divergence| RandomFailure {
        target: target.describe(),
        seed,
        ops,
        shortest: Vec::new(),
        shortest_divergence: Box::new(first.clone()),
        first: Box::new(first),
        replays: 0,
        shrink_time: Duration::ZERO,
    };
    let root = target.scratch_dir(&label).map_err(|error| {
        failure(Divergence {
            index: 0,
            op: None,
            mismatch: Mismatch::new(
                "creating the scratch directory",
                "success",
                format!("{error:?}"),
            ),
        })
    })?;
    let mut generator = Generator::new(seed, caps);
    let mut exec = Executor::new(caps, Some((target, root.clone())));
    let mut history = Vec::with_capacity(ops.min(1 << 20));
    let mut first = None;
    for index in 0..ops {
        let op = generator.next(&exec.model, index);
        let result = exec.step(&op);
        history.push(op);
        if let Err(mismatch) = result {
            first = Some(Divergence {
                index,
                op: history.last().cloned(),
                mismatch,
            });
            break;
        }
        if (index + 1) % PROGRESS_EVERY == 0 {
            progress(index + 1);
        }
    }
    if first.is_none() {
        exec.tally.checks += 1;
        if let Err(mismatch) = exec.check() {
            first = Some(Divergence {
                index: ops,
                op: None,
                mismatch,
            });
        }
    }
    exec.close_all();
    let tally = std::mem::take(&mut exec.tally);
    drop(exec);
    let _ = crate::remove_tree(target, root.as_bytes());
    if let Some(first) = first {
        let shrunk = shrink::shrink(target, caps, &label, &history, &first);
        return Err(RandomFailure {
            shortest: shrunk.ops,
            shortest_divergence: Box::new(shrunk.divergence),
            replays: shrunk.replays,
            shrink_time: shrunk.elapsed,
            ..failure(first)
        });
    }
    progress(ops);
    summary.ops = ops;
    summary.per_kind = tally.per_kind;
    summary.checks = tally.checks;
    summary.bytes_written = tally.bytes_written;
    summary.bytes_read = tally.bytes_read;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The op sequence `seed` yields on a target with `caps`, computed on the model
/// alone (what [`run`] would do, as long as the target agrees).
pub fn generate(seed: u64, ops: usize, caps: Capabilities) -> Vec<Op> {
    let mut generator = Generator::new(seed, caps);
    let mut exec = Executor::new(caps, None);
    (0..ops)
        .map(|index| {
            let op = generator.next(&exec.model, index);
            exec.step(&op).expect("no target, no mismatch");
            op
        })
        .collect()
}

/// The summary of `seed` on the model alone: the op mix and the predicted outcomes.
pub fn predict(seed: u64, ops: usize, caps: Capabilities) -> RandomSummary {
    let started = Instant::now();
    let mut generator = Generator::new(seed, caps);
    let mut exec = Executor::new(caps, None);
    for index in 0..ops {
        let op = generator.next(&exec.model, index);
        exec.step(&op).expect("no target, no mismatch");
    }
    RandomSummary {
        seed,
        ops,
        per_kind: exec.tally.per_kind,
        checks: exec.tally.checks,
        bytes_written: exec.tally.bytes_written,
        bytes_read: exec.tally.bytes_read,
        elapsed: started.elapsed(),
        not_run: None,
    }
}

/// Replays `ops` on `target` in a fresh scratch directory, then a final consistency
/// pass: the first divergence, or `None` when the target agreed with the model
/// throughout (for replaying a printed sequence, see [`parse_sequence`]).
pub fn replay(target: &dyn Target, ops: &[Op]) -> Option<Divergence> {
    shrink::replay(target, target.capabilities(), ops, "random")
}
