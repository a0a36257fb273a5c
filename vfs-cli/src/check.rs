//! `vfs check`: the conformance suite and its random mode on backend URLs.

use crate::backends;
use clap::Args;
use conformance::{cases, random, run_cases, Outcome, Selection};
use std::process::ExitCode;

/// Arguments of `vfs check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Backend URLs to check (default: every built-in backend on its embedded default).
    urls: Vec<String>,
    /// Run the seeded random mode instead of the named cases.
    #[arg(long)]
    random: bool,
    /// Seed of the random mode.
    #[arg(long, default_value_t = 1, requires = "random")]
    seed: u64,
    /// Number of operations of the random mode.
    #[arg(long, default_value_t = 10_000, requires = "random")]
    ops: usize,
    /// Run only the cases whose name contains this text.
    #[arg(long, conflicts_with = "random")]
    case: Option<String>,
    /// Print every case, not only failures.
    #[arg(long, short)]
    verbose: bool,
}

/// Runs `vfs check`; the exit code is non-zero when anything failed.
pub fn run(args: &CheckArgs) -> ExitCode {
    let registry = backends::registry();
    let urls: Vec<String> = if args.urls.is_empty() {
        match backends::embedded_defaults() {
            Ok(urls) => urls,
            Err(error) => {
                eprintln!("vfs check: cannot set up the embedded defaults: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        args.urls.clone()
    };
    let mut all_passed = true;
    for url in &urls {
        let made = backends::harness(&registry, url)
            .and_then(|(harness, instances)| Ok((harness.target()?, instances)));
        let (target, instances) = match made {
            Ok(made) => made,
            Err(error) => {
                // The error names the URL already.
                eprintln!("vfs check: cannot mount: {error}");
                all_passed = false;
                continue;
            }
        };
        println!("checking {url}");
        let passed = if args.random {
            check_random(&target, args)
        } else {
            check_cases(&target, args)
        };
        drop(target);
        if let Err(error) = instances.remove_all() {
            eprintln!("vfs check: cleaning up on {url}: {error}");
        }
        all_passed &= passed;
    }
    if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check_cases(target: &conformance::NamespaceTarget, args: &CheckArgs) -> bool {
    let selection = Selection {
        name_contains: args.case.clone(),
    };
    let report = run_cases(
        target,
        &cases::all(),
        &selection,
        &mut |name, outcome| match outcome {
            Outcome::Failed(failure) => println!("FAIL {name}: {failure}"),
            Outcome::Skipped(reason) if args.verbose => println!("skip {name}: {reason}"),
            Outcome::Passed if args.verbose => println!("ok   {name}"),
            _ => {}
        },
    );
    println!("{}", report.summary());
    report.failed() == 0
}

fn check_random(target: &conformance::NamespaceTarget, args: &CheckArgs) -> bool {
    match random::run(target, args.seed, args.ops) {
        Ok(summary) => {
            print!("{summary}");
            println!("random: seed {} passed", args.seed);
            true
        }
        Err(failure) => {
            println!("{failure}");
            println!("random: seed {} FAILED", args.seed);
            false
        }
    }
}
