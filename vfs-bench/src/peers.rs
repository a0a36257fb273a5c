//! The real programs figures compare with, run as separate processes and timed from
//! the outside: libnfs-utils' `nfs-cat` and `nfs-cp`, the C peer on libnfs's
//! synchronous API (which times its own loop), and the `vfs` command's `cp`.

use crate::measure::{Fallible, Missing};
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs every command at once and waits for all: the wall time from the first
/// start to the last exit. Any non-zero exit is an error carrying its stderr.
fn run_all(mut commands: Vec<Command>) -> Fallible<Duration> {
    let start = Instant::now();
    let children = commands
        .iter_mut()
        .map(|command| {
            command
                .stdin(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut first_error = None;
    for (child, command) in children.into_iter().zip(&commands) {
        let output = child.wait_with_output()?;
        if !output.status.success() && first_error.is_none() {
            first_error = Some(format!(
                "{:?} {:?} failed ({}): {}",
                command.get_program(),
                command.get_args().collect::<Vec<_>>(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    let elapsed = start.elapsed();
    match first_error {
        Some(error) => Err(error.into()),
        None => Ok(elapsed),
    }
}

/// `nfs-cat URL > /dev/null` for each URL, all at once.
pub fn nfs_cat(urls: &[String]) -> Fallible<Duration> {
    let commands = urls
        .iter()
        .map(|url| {
            let mut command = Command::new("nfs-cat");
            command.arg(url);
            File::create("/dev/null").map(|null| {
                command.stdout(null);
                command
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    run_all(commands)
}

/// `nfs-cp SRC DST` (either may be a URL; DST must not exist).
pub fn nfs_cp(src: &str, dst: &str) -> Fallible<Duration> {
    let mut command = Command::new("nfs-cp");
    command.args([src, dst]).stdout(Stdio::null());
    run_all(vec![command])
}

/// Fails with [`Missing`] unless `bin` exists and has a `cp` command: that command
/// is written separately and may not be there yet.
pub fn check_vfs_cp(bin: &Path) -> Fallible<()> {
    if !bin.is_file() {
        return Err(Box::new(Missing(format!("{} is not built", bin.display()))));
    }
    let help = Command::new(bin)
        .args(["cp", "--help"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if help.success() {
        Ok(())
    } else {
        Err(Box::new(Missing(format!(
            "{} has no cp command yet",
            bin.display()
        ))))
    }
}

/// `vfs cp SRC DST` with the given `vfs` binary.
pub fn vfs_cp(bin: &Path, src: &str, dst: &str) -> Fallible<Duration> {
    let mut command = Command::new(bin);
    command.args(["cp", src, dst]).stdout(Stdio::null());
    run_all(vec![command])
}

/// The C peer's loop `op` (create, stat, readdir, unlink) over `count` files in
/// `dir` (a path below the export's root): the time it reports for the loop alone.
pub fn libnfs_peer(bin: &Path, op: &str, url: &str, dir: &str, count: usize) -> Fallible<Duration> {
    if !bin.is_file() {
        return Err(Box::new(Missing(format!(
            "{} is not built (cc vfs-bench/peer/libnfs_peer.c -lnfs)",
            bin.display()
        ))));
    }
    let output = Command::new(bin)
        .args([op, url, dir, &count.to_string()])
        .stdin(Stdio::null())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "libnfs_peer {op} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("libnfs_peer {op} printed {text:?}, not seconds"))?;
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_vfs_binary_is_missing_not_failed() {
        let error = check_vfs_cp(Path::new("/nonexistent/vfs")).unwrap_err();
        assert!(error.downcast_ref::<Missing>().is_some());
    }

    #[test]
    fn a_failing_command_is_an_error_with_its_stderr() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo oops >&2; exit 3"]);
        let error = run_all(vec![command]).unwrap_err().to_string();
        assert!(error.contains("oops"), "{error}");
    }
}
