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
//! Run as root, `shim_matches_kernel_as_ordinary_user` runs the whole comparison a
//! second time in a child process of this test binary that has dropped to
//! [`USER`] (uid, gid, supplementary groups), so one `cargo test` checks both.
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

/// The tests of this binary run one at a time: each needs the process's
/// descriptor numbering (and working directory) to itself.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn shim_matches_kernel() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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

/// Who the second run is: an ordinary user with a second group, so that changing a
/// file's group to one of one's own groups is exercised too.
const USER: (u32, u32, [u32; 2]) = (1000, 1000, [1000, 1001]);

#[test]
fn shim_matches_kernel_as_ordinary_user() {
    use std::os::unix::process::CommandExt;
    // SAFETY: a plain getter.
    if unsafe { libc::geteuid() } != 0 {
        println!("posix_diff: not root, so this run is the ordinary user's already");
        return;
    }
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (uid, gid, groups) = USER;
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"));
    child
        .args([
            "--exact",
            "shim_matches_kernel",
            "--nocapture",
            "--test-threads=1",
        ])
        .current_dir("/");
    // SAFETY: between fork and exec the closure makes only system calls, which
    // are async-signal-safe.
    unsafe {
        child.pre_exec(move || {
            let dropped = libc::setgroups(groups.len(), groups.as_ptr()) == 0
                && libc::setresgid(gid, gid, gid) == 0
                && libc::setresuid(uid, uid, uid) == 0;
            if dropped {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let output = child
        .output()
        .expect("run the test binary as an ordinary user");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines().filter(|l| l.starts_with("posix_diff:")) {
        println!("{line} (as uid {uid})");
    }
    assert!(
        output.status.success(),
        "as uid {uid}: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
