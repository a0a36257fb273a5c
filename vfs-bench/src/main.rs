//! `vfs-bench`: the benchmark harness. Measures our NFS client (through the
//! blocking POSIX shim) against libnfs on a running NFS server, and the ramfs
//! backend against the kernel's tmpfs, side by side in one run; prints one line per
//! figure, `bench: NAME ours=VALUE peer=VALUE ratio=R target=T`, and optionally
//! writes the Markdown report. `scripts/bench` starts the server, builds the peers
//! and runs it.
//!
//! Files: `measure` (figures, rounds, medians), `nfs_figures`, `ram_figures`,
//! `rss` (the memory figure and its child process), `streams` (streaming through
//! the shim), `peers` (the programs we compare with), `scratch` (test data),
//! `report` (lines and Markdown).

mod measure;
mod nfs_figures;
mod peers;
mod ram_figures;
mod report;
mod rss;
mod scratch;
mod streams;

use clap::{Parser, Subcommand};
use measure::{Ctx, Figure, Pair, Side, Sizes};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

/// Benchmark harness: our NFS client and ramfs through the POSIX shim against
/// libnfs and the kernel.
#[derive(Parser)]
#[command(name = "vfs-bench", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
    #[command(subcommand)]
    internal: Option<Internal>,
}

#[derive(Subcommand)]
enum Internal {
    /// The `rss_stream` child (run by the harness itself).
    #[command(hide = true)]
    RssChild(rss::ChildArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// The export's URL (what `scripts/nfs-server start` prints).
    #[arg(
        long,
        default_value = "nfs://127.0.0.1/export?nfsport=2049&mountport=20048"
    )]
    url: String,
    /// The exported directory on this machine (test data is made there).
    #[arg(long, default_value = "/dev/shm/vfs-nfs-export")]
    export_dir: PathBuf,
    /// A tmpfs directory for the kernel figures and the copies' local ends.
    #[arg(long, default_value = "/dev/shm")]
    tmpfs_dir: PathBuf,
    /// Smaller sizes, fewer rounds: a run of a few minutes.
    #[arg(long)]
    quick: bool,
    /// Rounds per figure (default: 7, with --quick 5).
    #[arg(long)]
    rounds: Option<usize>,
    /// Only the figures whose name contains one of these (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The built C peer [default: libnfs_peer beside this program].
    #[arg(long)]
    peer_bin: Option<PathBuf>,
    /// The `vfs` command for `cp_1g` [default: vfs beside this program].
    #[arg(long)]
    vfs_bin: Option<PathBuf>,
    /// Write the Markdown report here.
    #[arg(long)]
    report: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Internal::RssChild(args)) = &cli.internal {
        return match rss::child(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("vfs-bench rss-child: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&cli.run) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vfs-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every figure, in report order.
fn figures() -> Vec<&'static Figure> {
    nfs_figures::FIGURES
        .iter()
        .chain(&ram_figures::FIGURES)
        .chain([&rss::FIGURE])
        .collect()
}

/// Runs the chosen figures, prints their lines, writes the report. Exits non-zero
/// if any side failed (a missing side, such as a `vfs` without `cp`, is not a
/// failure).
fn run(args: &RunArgs) -> measure::Fallible<ExitCode> {
    let self_bin = std::env::current_exe()?;
    let beside = |name: &str| self_bin.with_file_name(name);
    let sizes = if args.quick {
        Sizes::QUICK
    } else {
        Sizes::FULL
    };
    let ctx = Ctx {
        url: args.url.clone(),
        export_dir: args.export_dir.clone(),
        tmpfs_dir: args.tmpfs_dir.clone(),
        peer_bin: args
            .peer_bin
            .clone()
            .unwrap_or_else(|| beside("libnfs_peer")),
        vfs_bin: args.vfs_bin.clone().unwrap_or_else(|| beside("vfs")),
        self_bin: self_bin.clone(),
        rounds: args.rounds.unwrap_or(if args.quick { 5 } else { 7 }).max(1),
        sizes,
    };
    let machine = report::Machine::detect();
    eprintln!("vfs-bench: {}", machine.summary());
    if args.quick {
        eprintln!(
            "vfs-bench: quick run: {} MiB streams (not 1 GiB), {} MiB per thread, {} files (not 2000), {} rounds",
            sizes.big_file >> 20,
            sizes.thread_file >> 20,
            sizes.files,
            ctx.rounds
        );
    }
    let chosen: Vec<&Figure> = figures()
        .into_iter()
        .filter(|f| args.only.is_empty() || args.only.iter().any(|o| f.name.contains(o.as_str())))
        .collect();
    if chosen.is_empty() {
        return Err(format!("no figure matches --only {}", args.only.join(",")).into());
    }
    let date = report::utc_text(SystemTime::now());
    let mut results = Vec::new();
    for figure in chosen {
        eprintln!("vfs-bench: {} ...", figure.name);
        let start = Instant::now();
        let pair = (figure.run)(&ctx).unwrap_or_else(|e| Pair::failed(&*e));
        println!("{}", report::line(figure, &pair));
        for problem in report::problems(figure, &pair) {
            eprintln!("vfs-bench: {problem}");
        }
        eprintln!(
            "vfs-bench: {} took {:.1}s; rounds: {}",
            figure.name,
            start.elapsed().as_secs_f64(),
            report::spread(figure, &pair)
        );
        // Lines appear as figures finish, also when stdout is a pipe.
        std::io::stdout().flush()?;
        results.push((figure, pair));
    }
    if let Some(path) = &args.report {
        let info = report::RunInfo {
            machine: &machine,
            date,
            url: &ctx.url,
            rounds: ctx.rounds,
            sizes,
            quick: args.quick,
        };
        std::fs::write(path, report::markdown(&info, &results))?;
        eprintln!("vfs-bench: wrote {}", path.display());
    }
    let failed = results.iter().any(|(_, pair)| {
        matches!(pair.ours, Side::Failed(_)) || matches!(pair.peer, Side::Failed(_))
    });
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
