//! How the file commands fail: one line `vfs <cmd>: <target>: <error>` on stderr
//! and a non-zero exit code; a reader closing stdout (`vfs cat ... | head`) ends
//! the command quietly.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// Why a file command stopped.
#[derive(Debug)]
pub enum Failure {
    /// Report `target: message`.
    At { target: String, message: String },
    /// Whoever reads stdout has gone: stop without a word.
    BrokenPipe,
}

impl Failure {
    /// A failure about `target`.
    pub fn at(target: impl fmt::Display, message: impl fmt::Display) -> Failure {
        Failure::At {
            target: target.to_string(),
            message: message.to_string(),
        }
    }

    /// A failure writing to stdout.
    pub fn stdout(error: io::Error) -> Failure {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::at("stdout", io_message(&error))
        }
    }

    /// Prints the failure as `vfs <command>: ...` (nothing for a broken pipe).
    pub fn print(&self, command: &str) {
        if let Failure::At { target, message } = self {
            eprintln!("vfs {command}: {target}: {message}");
        }
    }
}

/// Turns an `io::Result` into one whose error names a target.
pub trait At<T> {
    /// The error, if any, as a failure about `target`.
    fn at(self, target: &str) -> Result<T, Failure>;
}

impl<T> At<T> for io::Result<T> {
    fn at(self, target: &str) -> Result<T, Failure> {
        self.map_err(|error| Failure::at(target, io_message(&error)))
    }
}

/// An `io::Error` as a person reads it: `No such file or directory`, without
/// std's `(os error 2)` tail.
pub fn io_message(error: &io::Error) -> String {
    let text = error.to_string();
    match (error.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) => text[..at].to_string(),
        _ => text,
    }
}

/// A `vfs_core::Error` from mounting or resolving `url`, for a message that
/// already names the target: without the URL the registry puts in front.
pub fn mount_message(error: &vfs_core::Error, url: &str) -> String {
    let text = error.to_string();
    match text
        .strip_prefix(url)
        .and_then(|rest| rest.strip_prefix(": "))
    {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// The exit code of a command that ended with `result`, its failure printed.
pub fn finish(command: &str, result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.print(command);
            ExitCode::FAILURE
        }
    }
}

/// The exit code of a command run on each of `targets` in turn: every failure
/// is printed as it happens and the others still run, as rm(1) and cat(1) do;
/// a broken pipe stops at once.
pub fn finish_each<T>(
    command: &str,
    targets: &[T],
    mut each: impl FnMut(&T) -> Result<(), Failure>,
) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for target in targets {
        match each(target) {
            Ok(()) => {}
            Err(Failure::BrokenPipe) => break,
            Err(failure) => {
                failure.print(command);
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_lose_their_number() {
        let error = io::Error::from_raw_os_error(2);
        assert_eq!(io_message(&error), "No such file or directory");
        let custom = io::Error::new(io::ErrorKind::InvalidInput, "bad (os error 3)");
        assert_eq!(io_message(&custom), "bad (os error 3)");
    }

    #[test]
    fn mount_errors_drop_a_repeated_url() {
        let error = vfs_core::Errno::EINVAL.with("ram://?x=1: unknown option 'x'");
        assert_eq!(
            mount_message(&error, "ram://?x=1"),
            "unknown option 'x': EINVAL (Invalid argument)"
        );
        assert!(mount_message(&error, "other").starts_with("ram://?x=1: "));
    }
}
