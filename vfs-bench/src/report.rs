//! What a run prints and writes: one `bench:` line per figure, and the Markdown
//! report (docs/benchmarks.md) with the machine, the date and how to rerun it.

use crate::measure::{Figure, Pair, Side, Sizes, Unit};
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

const MIB: f64 = (1u64 << 20) as f64;

/// How much better ours is: > 1 means ours is better. Throughput: ours / peer;
/// times and memory (less is better): peer / ours.
pub fn ratio(unit: Unit, ours: f64, peer: f64) -> f64 {
    if unit.higher_is_better() {
        ours / peer
    } else {
        peer / ours
    }
}

/// The ratio of a pair, if both sides have values.
fn pair_ratio(unit: Unit, pair: &Pair) -> Option<f64> {
    Some(ratio(unit, pair.ours.value()?, pair.peer.value()?))
}

/// A time in the unit that keeps three or so significant digits.
fn seconds_text(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2}s")
    } else if seconds >= 1e-3 {
        format!("{:.1}ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.2}us", seconds * 1e6)
    } else {
        format!("{:.0}ns", seconds * 1e9)
    }
}

/// A value in its unit, compact (no spaces: it sits in `key=value`).
pub fn value_text(unit: Unit, side: &Side) -> String {
    let value = match side {
        Side::Value(value) => *value,
        Side::Missing(_) => return "missing".into(),
        Side::Failed(_) => return "failed".into(),
    };
    match unit {
        Unit::BytesPerSec => format!("{:.0}MiB/s", value / MIB),
        Unit::Seconds => seconds_text(value),
        Unit::SecondsPerOp => format!("{}/op", seconds_text(value)),
        Unit::Bytes => format!("{:.1}MiB", value / MIB),
    }
}

/// `bench: NAME ours=VALUE peer=VALUE ratio=R target=T`.
pub fn line(figure: &Figure, pair: &Pair) -> String {
    let ratio = pair_ratio(figure.unit, pair).map_or("-".into(), |r| format!("{r:.2}"));
    format!(
        "bench: {} ours={} peer={} ratio={ratio} target={:?}",
        figure.name,
        value_text(figure.unit, &pair.ours),
        value_text(figure.unit, &pair.peer),
        figure.target
    )
}

/// Why a side has no value, for the message under its line.
pub fn problems(figure: &Figure, pair: &Pair) -> Vec<String> {
    [("ours", &pair.ours), ("peer", &pair.peer)]
        .into_iter()
        .filter_map(|(who, side)| match side {
            Side::Value(_) => None,
            Side::Missing(why) => Some(format!("{}: {who} missing: {why}", figure.name)),
            Side::Failed(why) => Some(format!("{}: {who} failed: {why}", figure.name)),
        })
        .collect()
}

/// The lowest and highest round of each side with values:
/// `ours 800MiB/s..1600MiB/s, peer ...`, then the bare copy's median and the
/// best ratio it allows, for a figure that has one.
pub fn spread(figure: &Figure, pair: &Pair) -> String {
    let range = |samples: &[f64]| {
        let low = samples.iter().copied().reduce(f64::min)?;
        let high = samples.iter().copied().reduce(f64::max)?;
        Some(format!(
            "{}..{}",
            value_text(figure.unit, &Side::Value(low)),
            value_text(figure.unit, &Side::Value(high))
        ))
    };
    let mut parts: Vec<String> = [("ours", &pair.samples[0]), ("peer", &pair.samples[1])]
        .into_iter()
        .filter_map(|(who, samples)| Some(format!("{who} {}", range(samples)?)))
        .collect();
    if let Some(floor) = pair.floor {
        let best = pair.peer.value().map(|peer| {
            format!(
                " (best ratio possible {:.2})",
                ratio(figure.unit, floor, peer)
            )
        });
        parts.push(format!(
            "bare copy {}{}",
            value_text(figure.unit, &Side::Value(floor)),
            best.unwrap_or_default()
        ));
    }
    parts.join(", ")
}

/// The machine a run was taken on.
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// Total memory, bytes.
    pub memory: u64,
    /// Kernel release.
    pub kernel: String,
    /// CPU model name.
    pub cpu_model: String,
    /// The 1-minute load average when the run started: other work on the machine
    /// shows here and in the spread of the rounds.
    pub load: String,
}

impl Machine {
    /// Reads the figures from /proc (each "unknown" if unreadable).
    pub fn detect() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let meminfo = read("/proc/meminfo");
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory: proc_field(&meminfo, "MemTotal")
                .and_then(|kib| kib.trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or(0, |kib| kib * 1024),
            kernel: match read("/proc/sys/kernel/osrelease").trim() {
                "" => "unknown".into(),
                release => release.into(),
            },
            cpu_model: proc_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            load: read("/proc/loadavg")
                .split_whitespace()
                .next()
                .unwrap_or("unknown")
                .into(),
        }
    }

    /// One line: `2 CPUs (nproc), 23.5 GiB memory, kernel 6.1.0, CPU ..., load 0.50`.
    pub fn summary(&self) -> String {
        format!(
            "{} CPUs (nproc), {:.1} GiB memory, kernel {}, CPU {}, load average {} at the start",
            self.cpus,
            self.memory as f64 / (1u64 << 30) as f64,
            self.kernel,
            self.cpu_model,
            self.load
        )
    }
}

/// The value of the first `KEY : value` line of a /proc text.
fn proc_field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

/// `YYYY-MM-DD HH:MM UTC` of `time`.
pub fn utc_text(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let seconds = libc::time_t::try_from(secs).unwrap_or(libc::time_t::MAX);
    // SAFETY: all-zero is a valid `tm`; gmtime_r only writes the local `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals.
    if unsafe { libc::gmtime_r(&seconds, &mut tm) }.is_null() {
        return format!("{secs} s after the epoch (UTC)");
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        i64::from(tm.tm_year) + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min
    )
}

/// How a run was made, for the report's header.
pub struct RunInfo<'a> {
    /// The machine.
    pub machine: &'a Machine,
    /// When (`utc_text`).
    pub date: String,
    /// The export's URL.
    pub url: &'a str,
    /// Rounds per figure.
    pub rounds: usize,
    /// Sizes used.
    pub sizes: Sizes,
    /// `--quick`.
    pub quick: bool,
}

/// The Markdown report of a run.
pub fn markdown(info: &RunInfo<'_>, results: &[(&Figure, Pair)]) -> String {
    let mut out = String::new();
    let sizes = info.sizes;
    let kind = if info.quick { "quick" } else { "full" };
    let _ = write!(
        out,
        "# Benchmarks\n\n\
         Written by `scripts/bench` (the `vfs-bench` crate) on {date}: a {kind} run, \
         median of {rounds} rounds per figure, ours and the peer alternating within \
         the same run.\n\n\
         - Machine: {machine}.\n\
         - Server: nfs-ganesha (`scripts/nfs-server`), tmpfs export, `{url}`.\n\
         - Sizes: streamed files {big} MiB, {threads} MiB per thread, {files} files, \
         {ops} calls per per-call round.\n\n\
         Rerun: `scripts/bench` (about 5 minutes on 2 cores; rewrites this file) or \
         `scripts/bench --quick` (smaller sizes, a few minutes; prints the lines and \
         leaves this file alone).\n\n\
         Ratio > 1 means ours is better: ours / peer for throughput, peer / ours for \
         times and memory. Absolute figures drift from run to run on a shared machine; \
         compare the ratios, taken side by side.\n\n\
         | figure | ours | peer | ratio | target | met | ours does | peer does |\n\
         | --- | ---: | ---: | ---: | ---: | --- | --- | --- |\n",
        date = info.date,
        rounds = info.rounds,
        machine = info.machine.summary(),
        url = info.url,
        big = sizes.big_file >> 20,
        threads = sizes.thread_file >> 20,
        files = sizes.files,
        ops = sizes.ram_ops,
    );
    for (figure, pair) in results {
        let ratio = pair_ratio(figure.unit, pair);
        let met = match ratio {
            Some(r) if r >= figure.target => "yes",
            Some(_) => "**no**",
            None => "-",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | >= {:?} | {met} | {} | {} |",
            figure.name,
            value_text(figure.unit, &pair.ours),
            value_text(figure.unit, &pair.peer),
            ratio.map_or("-".into(), |r| format!("{r:.2}")),
            figure.target,
            figure.ours,
            figure.peer,
        );
    }
    out.push_str("\nLowest..highest round of each side (the noise behind the medians):\n\n");
    for (figure, pair) in results {
        let _ = writeln!(out, "- {}: {}", figure.name, spread(figure, pair));
    }
    let notes: Vec<String> = results
        .iter()
        .flat_map(|(figure, pair)| problems(figure, pair))
        .collect();
    if !notes.is_empty() {
        out.push_str("\nNot measured:\n\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out.push_str(
        "\nWhat the clock covers. Streaming figures (`read_1g`, `write_1g`, `threads_8`): \
         the peer is a whole `nfs-cat`/`nfs-cp` process (start, MOUNT, transfer, exit), \
         so ours includes its mount (a fresh namespace with the export mounted by URL) \
         and the open, transfer and close; `cp_1g` times both commands as processes. \
         Metadata figures: the C peer (`vfs-bench/peer/libnfs_peer.c`, libnfs's \
         synchronous API) times its loop alone after its MOUNT, and ours times the \
         same loop alone on a fresh mount. Test data is made directly in the exported \
         directory, outside the clock. `ram_*` figures compare the ramfs backend \
         through the blocking POSIX shim with the same system calls on a tmpfs file; \
         both sides of `ram_pread_4k` read into page-aligned buffers (a copy's speed \
         depends on where its destination starts), and it also times the same 4 KiB \
         copies out of plain memory (huge pages, as ramfs's) right after each of our \
         rounds, the \"bare copy\": no implementation that copies the data can go \
         below it, so the peer over it is the best ratio any could reach that run. \
         `rss_stream` is the VmHWM of a child process doing `read_1g` then `write_1g`. \
         Ours runs inside the long-lived harness process (as in an application), each \
         peer run is a fresh process.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Ctx, Fallible};

    fn no_run(_: &Ctx) -> Fallible<Pair> {
        unreachable!("the report tests never run figures")
    }

    fn figure(unit: Unit) -> Figure {
        Figure {
            name: "fig",
            unit,
            target: 1.25,
            ours: "o",
            peer: "p",
            run: no_run,
        }
    }

    fn pair(ours: f64, peer: f64) -> Pair {
        Pair {
            ours: Side::Value(ours),
            peer: Side::Value(peer),
            samples: [vec![ours], vec![peer]],
            floor: None,
        }
    }

    #[test]
    fn ratio_is_above_one_when_ours_is_better() {
        // Throughput: more is better.
        assert_eq!(ratio(Unit::BytesPerSec, 200.0, 100.0), 2.0);
        // Times and memory: less is better.
        assert_eq!(ratio(Unit::Seconds, 1.0, 3.0), 3.0);
        assert_eq!(ratio(Unit::SecondsPerOp, 2.0, 1.0), 0.5);
        assert_eq!(ratio(Unit::Bytes, 16.0, 64.0), 4.0);
    }

    #[test]
    fn lines_have_the_documented_shape() {
        let mib = 1u64 << 20;
        assert_eq!(
            line(
                &figure(Unit::BytesPerSec),
                &pair(2500.0 * mib as f64, 2000.0 * mib as f64)
            ),
            "bench: fig ours=2500MiB/s peer=2000MiB/s ratio=1.25 target=1.25"
        );
        assert_eq!(
            line(&figure(Unit::Seconds), &pair(0.25, 0.5)),
            "bench: fig ours=250.0ms peer=500.0ms ratio=2.00 target=1.25"
        );
        assert_eq!(
            line(&figure(Unit::SecondsPerOp), &pair(400e-9, 1.5e-6)),
            "bench: fig ours=400ns/op peer=1.50us/op ratio=3.75 target=1.25"
        );
        assert_eq!(
            line(
                &figure(Unit::Bytes),
                &pair(16.0 * mib as f64, 64.0 * mib as f64)
            ),
            "bench: fig ours=16.0MiB peer=64.0MiB ratio=4.00 target=1.25"
        );
        let missing = Pair {
            ours: Side::Missing("not built".into()),
            peer: Side::Value(1.0),
            samples: [Vec::new(), vec![1.0, 3.0]],
            floor: None,
        };
        assert_eq!(
            line(&figure(Unit::Seconds), &missing),
            "bench: fig ours=missing peer=1.00s ratio=- target=1.25"
        );
        assert_eq!(
            problems(&figure(Unit::Seconds), &missing),
            ["fig: ours missing: not built"]
        );
        assert_eq!(
            spread(&figure(Unit::Seconds), &missing),
            "peer 1.00s..3.00s"
        );
    }

    #[test]
    fn a_floor_shows_with_the_best_ratio_it_allows() {
        let floored = Pair {
            floor: Some(200e-9),
            ..pair(400e-9, 1.5e-6)
        };
        assert_eq!(
            spread(&figure(Unit::SecondsPerOp), &floored),
            "ours 400ns/op..400ns/op, peer 1.50us/op..1.50us/op, \
             bare copy 200ns/op (best ratio possible 7.50)"
        );
    }

    #[test]
    fn dates_are_utc_civil_dates() {
        let at = |secs| utc_text(UNIX_EPOCH + std::time::Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01 00:00 UTC");
        assert_eq!(at(951_782_400 + 3_723), "2000-02-29 01:02 UTC");
        assert_eq!(at(1_735_689_600 - 60), "2024-12-31 23:59 UTC");
    }

    #[test]
    fn the_report_holds_every_figure_and_the_machine() {
        let machine = Machine {
            cpus: 2,
            memory: 1 << 30,
            kernel: "6.1".into(),
            cpu_model: "Test CPU".into(),
            load: "0.50".into(),
        };
        let info = RunInfo {
            machine: &machine,
            date: "2025-01-01 00:00 UTC".into(),
            url: "nfs://h/e",
            rounds: 3,
            sizes: Sizes::FULL,
            quick: false,
        };
        let slow = figure(Unit::Seconds);
        let text = markdown(&info, &[(&slow, pair(2.0, 1.0))]);
        assert!(text.contains(
            "2 CPUs (nproc), 1.0 GiB memory, kernel 6.1, CPU Test CPU, load average 0.50"
        ));
        assert!(text.contains("| fig | 2.00s | 1.00s | 0.50 | >= 1.25 | **no** | o | p |"));
        assert!(text.contains("scripts/bench --quick"));
        assert!(text.contains("- fig: ours 2.00s..2.00s, peer 1.00s..1.00s"));
    }

    #[test]
    fn proc_fields_are_found_by_key() {
        let text = "processor\t: 0\nmodel name\t: Some CPU @ 2GHz\n";
        assert_eq!(proc_field(text, "model name").unwrap(), "Some CPU @ 2GHz");
        assert_eq!(proc_field(text, "MemTotal"), None);
    }
}
