//! What a figure is, what one run of the harness knows ([`Ctx`]), and how ours and
//! the peer are measured side by side: alternating, several rounds, median.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Errors of the harness itself (setup, a failed call, a peer that exited badly).
pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What a figure's values measure; fixes how they print and which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Bytes per second: more is better, ratio = ours / peer.
    BytesPerSec,
    /// Seconds for the whole loop: less is better, ratio = peer / ours.
    Seconds,
    /// Seconds per call: less is better, ratio = peer / ours.
    SecondsPerOp,
    /// Bytes of memory: less is better, ratio = peer / ours.
    Bytes,
}

impl Unit {
    /// Whether a larger value is the better one.
    pub fn higher_is_better(self) -> bool {
        self == Unit::BytesPerSec
    }
}

/// One benchmark figure: ours against a real peer.
pub struct Figure {
    /// The name printed on the `bench:` line.
    pub name: &'static str,
    /// What the values measure.
    pub unit: Unit,
    /// The ratio ours must reach (ratio > 1 means ours is better).
    pub target: f64,
    /// What ours does, for the report.
    pub ours: &'static str,
    /// What the peer does, for the report.
    pub peer: &'static str,
    /// Measures both sides.
    pub run: fn(&Ctx) -> Fallible<Pair>,
}

/// The sizes a run uses: the full figures, or `--quick`'s smaller ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// The streamed file of the `*_1g` figures and `rss_stream`.
    pub big_file: u64,
    /// Each thread's file in `threads_8`.
    pub thread_file: u64,
    /// Files in the `*_2000` figures.
    pub files: usize,
    /// Calls per round in the `ram_*` per-call figures.
    pub ram_ops: usize,
    /// The file `ram_pread_4k` reads at random.
    pub pread_file: u64,
}

const MIB: u64 = 1 << 20;

impl Sizes {
    /// The figures as named.
    pub const FULL: Sizes = Sizes {
        big_file: 1024 * MIB,
        thread_file: 128 * MIB,
        files: 2000,
        ram_ops: 200_000,
        pread_file: 64 * MIB,
    };

    /// `--quick`: the same figures, smaller, so a run takes minutes.
    pub const QUICK: Sizes = Sizes {
        big_file: 256 * MIB,
        thread_file: 32 * MIB,
        files: 500,
        ram_ops: 50_000,
        pread_file: 64 * MIB,
    };
}

/// Everything a figure needs to know about this run.
pub struct Ctx {
    /// The export's URL, `nfs://HOST/EXPORT?nfsport=N&mountport=N`.
    pub url: String,
    /// The exported directory on this machine: test data is made there directly.
    pub export_dir: PathBuf,
    /// A tmpfs directory for the kernel figures and the copies' local ends.
    pub tmpfs_dir: PathBuf,
    /// The C peer (vfs-bench/peer/libnfs_peer.c, built).
    pub peer_bin: PathBuf,
    /// The `vfs` command (crate vfs-cli) whose `cp` the `cp_1g` figure runs.
    pub vfs_bin: PathBuf,
    /// This program, for the `rss_stream` child.
    pub self_bin: PathBuf,
    /// Rounds per figure.
    pub rounds: usize,
    /// Sizes of this run.
    pub sizes: Sizes,
}

/// A side that could not be measured because what it needs is absent (as opposed
/// to one that failed); reported as `missing`, not as an error of the run.
#[derive(Debug)]
pub struct Missing(pub String);

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Missing {}

/// What one side of a figure came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Side {
    /// The median over the rounds, in the figure's unit.
    Value(f64),
    /// Not measured: what it needs is absent (the reason).
    Missing(String),
    /// A round failed (the error).
    Failed(String),
}

impl Side {
    /// The value, if there is one.
    pub fn value(&self) -> Option<f64> {
        match self {
            Side::Value(v) => Some(*v),
            _ => None,
        }
    }

    fn from_error(error: &(dyn std::error::Error + Send + Sync + 'static)) -> Side {
        match error.downcast_ref::<Missing>() {
            Some(missing) => Side::Missing(missing.0.clone()),
            None => Side::Failed(error.to_string()),
        }
    }
}

/// Both sides of one figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// Our client.
    pub ours: Side,
    /// The peer.
    pub peer: Side,
    /// Every round's value, ours then the peer's: how noisy the medians are.
    pub samples: [Vec<f64>; 2],
    /// For a figure whose work is mostly a memory copy: the median time of the
    /// same copies with no file system in the way, taken in the same rounds.
    /// Neither side can go below it, so the peer's value over it is the best
    /// ratio any implementation that copies could reach.
    pub floor: Option<f64>,
}

impl Pair {
    /// Both sides failed for the same reason (the figure's setup failed).
    pub fn failed(error: &(dyn std::error::Error + Send + Sync + 'static)) -> Pair {
        let side = Side::from_error(error);
        Pair {
            ours: side.clone(),
            peer: side,
            samples: [Vec::new(), Vec::new()],
            floor: None,
        }
    }
}

/// Runs `ours` and `peer` alternately for `rounds` rounds and takes each side's
/// median. The side that goes first changes every round, so neither always runs
/// on a machine the other has just warmed (or dirtied). A side that fails is not
/// run again; the other side goes on.
pub fn alternate(
    rounds: usize,
    mut ours: impl FnMut() -> Fallible<f64>,
    mut peer: impl FnMut() -> Fallible<f64>,
) -> Pair {
    let mut samples = [Vec::new(), Vec::new()];
    let mut errors: [Option<Side>; 2] = [None, None];
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            if errors[side].is_some() {
                continue;
            }
            let result = if side == 0 { ours() } else { peer() };
            match result {
                Ok(value) => samples[side].push(value),
                Err(e) => errors[side] = Some(Side::from_error(&*e)),
            }
        }
    }
    let [ours_error, peer_error] = errors;
    let finish = |samples: &[f64], error: Option<Side>| {
        error.unwrap_or_else(|| match median(samples.to_vec()) {
            Some(value) => Side::Value(value),
            None => Side::Failed("no rounds were run".into()),
        })
    };
    Pair {
        ours: finish(&samples[0], ours_error),
        peer: finish(&samples[1], peer_error),
        samples,
        floor: None,
    }
}

/// The median (the mean of the middle two for an even count).
pub fn median(mut samples: Vec<f64>) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    Some(if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2.0
    })
}

/// Bytes per second for `bytes` moved in `elapsed`.
pub fn throughput(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / elapsed.as_secs_f64().max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn alternate_takes_medians_and_keeps_going_after_one_side_fails() {
        let mut ours = vec![5.0, 1.0, 3.0].into_iter();
        let mut peer_runs = 0;
        let pair = alternate(
            3,
            || Ok(ours.next().unwrap()),
            || {
                peer_runs += 1;
                Err(Box::new(Missing("no peer".into())))
            },
        );
        assert_eq!(pair.ours, Side::Value(3.0));
        assert_eq!(pair.samples[0], [5.0, 1.0, 3.0]);
        assert_eq!(pair.peer, Side::Missing("no peer".into()));
        assert_eq!(peer_runs, 1, "a failed side is not run again");
    }

    #[test]
    fn alternate_reports_errors_as_failures() {
        let pair = alternate(2, || Err("boom".into()), || Ok(1.0));
        assert_eq!(pair.ours, Side::Failed("boom".into()));
        assert_eq!(pair.peer, Side::Value(1.0));
    }

    #[test]
    fn throughput_is_bytes_per_second() {
        assert_eq!(throughput(1000, Duration::from_millis(500)), 2000.0);
    }
}
