//! Shrinking a failing run: cut the sequence after the failing op, then remove
//! chunks of halving size (ddmin style), keeping every candidate that still fails
//! when replayed from scratch, within a budget of replays and time.

use super::exec::Executor;
use super::ops::Op;
use super::Divergence;
use crate::target::Target;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use vfs_core::Capabilities;

/// At most this many replays are spent shrinking.
pub const MAX_REPLAYS: usize = 500;

/// At most this long is spent shrinking.
pub const MAX_TIME: Duration = Duration::from_secs(60);

/// Numbers the replay scratch directories, so no two ever collide.
static REPLAYS: AtomicU64 = AtomicU64::new(0);

/// The shortest failing sequence found.
#[derive(Clone, Debug)]
pub(crate) struct Shrunk {
    pub ops: Vec<Op>,
    pub divergence: Divergence,
    pub replays: usize,
    pub elapsed: Duration,
}

/// Runs `ops` from scratch in a fresh scratch directory of `target`, then a final
/// consistency pass; the first divergence, or `None` when everything agreed (or the
/// scratch directory could not be made).
pub(crate) fn replay(
    target: &dyn Target,
    caps: Capabilities,
    ops: &[Op],
    label: &str,
) -> Option<Divergence> {
    let n = REPLAYS.fetch_add(1, Ordering::Relaxed);
    let root = target.scratch_dir(&format!("{label}-replay-{n}")).ok()?;
    let mut exec = Executor::new(caps, Some((target, root.clone())));
    let mut divergence = None;
    for (index, op) in ops.iter().enumerate() {
        if let Err(mismatch) = exec.step(op) {
            divergence = Some(Divergence {
                index,
                op: Some(op.clone()),
                mismatch,
            });
            break;
        }
    }
    if divergence.is_none() {
        if let Err(mismatch) = exec.check() {
            divergence = Some(Divergence {
                index: ops.len(),
                op: None,
                mismatch,
            });
        }
    }
    exec.close_all();
    drop(exec);
    let _ = crate::remove_tree(target, root.as_bytes());
    divergence
}

/// Shrinks `history`, whose run first diverged as `first`, to the shortest failing
/// sequence found within [`MAX_REPLAYS`] and [`MAX_TIME`].
pub(crate) fn shrink(
    target: &dyn Target,
    caps: Capabilities,
    label: &str,
    history: &[Op],
    first: &Divergence,
) -> Shrunk {
    shrink_with(history, first, MAX_REPLAYS, MAX_TIME, |ops| {
        replay(target, caps, ops, label)
    })
}

/// The ddmin loop, with the replay as a parameter.
pub(crate) fn shrink_with(
    history: &[Op],
    first: &Divergence,
    max_replays: usize,
    max_time: Duration,
    mut fails: impl FnMut(&[Op]) -> Option<Divergence>,
) -> Shrunk {
    let started = Instant::now();
    let mut ops: Vec<Op> = history[..(first.index + 1).min(history.len())].to_vec();
    let mut divergence = first.clone();
    let mut replays = 0;
    let mut chunk = (ops.len() / 2).max(1);
    'shrinking: loop {
        let mut changed = false;
        let mut start = 0;
        while start < ops.len() {
            if replays >= max_replays || started.elapsed() >= max_time {
                break 'shrinking;
            }
            let end = (start + chunk).min(ops.len());
            if end - start == ops.len() {
                break;
            }
            let mut candidate = Vec::with_capacity(ops.len() - (end - start));
            candidate.extend_from_slice(&ops[..start]);
            candidate.extend_from_slice(&ops[end..]);
            replays += 1;
            match fails(&candidate) {
                Some(found) => {
                    candidate.truncate(found.index + 1);
                    ops = candidate;
                    divergence = found;
                    changed = true;
                }
                None => start = end,
            }
        }
        if chunk == 1 {
            if !changed {
                break;
            }
        } else {
            chunk /= 2;
        }
    }
    Shrunk {
        ops,
        divergence,
        replays,
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::exec::Mismatch;

    fn mkdir(name: &str) -> Op {
        Op::Mkdir {
            path: name.to_string(),
        }
    }

    /// A fake failure: fails at the first `rmdir x` once both `mkdir x` and
    /// `mkdir x/y` happened before it.
    fn fake(ops: &[Op]) -> Option<Divergence> {
        let (mut x, mut y) = (false, false);
        for (index, op) in ops.iter().enumerate() {
            match op {
                Op::Mkdir { path } if path == "x" => x = true,
                Op::Mkdir { path } if path == "x/y" => y = y || x,
                Op::Rmdir { path } if path == "x" && y => {
                    return Some(Divergence {
                        index,
                        op: Some(op.clone()),
                        mismatch: Mismatch::new("rmdir x", "ENOTEMPTY", "success"),
                    })
                }
                _ => {}
            }
        }
        None
    }

    #[test]
    fn ddmin_finds_the_three_ops_that_matter() {
        let mut history: Vec<Op> = (0..1000).map(|i| mkdir(&format!("n{i}"))).collect();
        history[100] = mkdir("x");
        history[555] = mkdir("x/y");
        history[900] = Op::Rmdir { path: "x".into() };
        let first = fake(&history).unwrap();
        let shrunk = shrink_with(&history, &first, 500, MAX_TIME, fake);
        assert_eq!(
            shrunk.ops,
            vec![mkdir("x"), mkdir("x/y"), Op::Rmdir { path: "x".into() }]
        );
        assert_eq!(shrunk.divergence.index, 2);
        assert!(shrunk.replays < 200, "{} replays", shrunk.replays);
    }

    #[test]
    fn the_budget_bounds_replays() {
        let mut history: Vec<Op> = (0..1000).map(|i| mkdir(&format!("n{i}"))).collect();
        history[0] = mkdir("x");
        history[1] = mkdir("x/y");
        history[999] = Op::Rmdir { path: "x".into() };
        let first = fake(&history).unwrap();
        let shrunk = shrink_with(&history, &first, 3, MAX_TIME, fake);
        assert_eq!(shrunk.replays, 3);
        assert!(fake(&shrunk.ops).is_some());
    }
}
