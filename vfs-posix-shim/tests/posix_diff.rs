//! The shim against the kernel: every case runs on the running Linux kernel (in a
//! fresh scratch directory that is the cwd) and on a fresh shim process over
//! `ram://`, records a trace of its calls on each, and the traces must be equal;
//! each case also checks its own expectations on both sides.
//!
//! `cargo test -p vfs-posix-shim --test posix_diff -- --nocapture` prints
//! `posix_diff: N cases, M identical, K known differences` and, for each case that
//! failed or is a known difference, its trace diff and broken expectations.
//! `POSIX_DIFF_CASE=substring` runs only the cases whose name contains it.
//!
//! Permission checks depend on who runs the tests; the shim process takes the test
//! process's identity, so the traces must match for root and ordinary users alike.
//!
//! The working directory, umask and descriptor limit are per process, so all cases
//! run one after another in the one test below.

#[path = "posix_diff/api.rs"]
mod api;
#[path = "posix_diff/cases/mod.rs"]
mod cases;
#[path = "posix_diff/kernel.rs"]
mod kernel;
#[path = "posix_diff/runner.rs"]
mod runner;
#[path = "posix_diff/shim.rs"]
mod shim;
#[path = "posix_diff/trace.rs"]
mod trace;

#[test]
fn shim_matches_kernel() {
    let kernel = runner::KernelSide::new();
    let creds = runner::KernelSide::credentials();
    let filter = std::env::var("POSIX_DIFF_CASE").unwrap_or_default();
    let chosen: Vec<cases::Case> = cases::all()
        .filter(|case| case.name.contains(&filter))
        .collect();
    assert!(!chosen.is_empty(), "no case matches {filter:?}");
    let outcomes: Vec<runner::Outcome> = chosen
        .iter()
        .map(|case| runner::run_case(&kernel, &creds, case))
        .collect();
    for outcome in outcomes.iter().filter(|o| !o.report.is_empty()) {
        println!("--- {}\n{}", outcome.name, outcome.report);
    }
    let identical = outcomes.iter().filter(|o| o.identical).count();
    let known = outcomes.iter().filter(|o| o.known_difference).count();
    let failed: Vec<&runner::Outcome> = outcomes.iter().filter(|o| o.failed).collect();
    println!(
        "posix_diff: kernel side in {}",
        kernel.scratch_parent().display()
    );
    println!(
        "posix_diff: {} cases, {identical} identical, {known} known differences",
        outcomes.len()
    );
    let names: Vec<&str> = failed.iter().map(|o| o.name.as_str()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed: {}",
        failed.len(),
        outcomes.len(),
        names.join(", ")
    );
}
