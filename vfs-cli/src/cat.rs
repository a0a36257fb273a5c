//! `vfs cat TARGET...`: files' contents, one after the other, on stdout.

use crate::failure::{finish_each, At, Failure};
use crate::target::{Mounts, Reach};
use crate::tree::CHUNK;
use clap::Args;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::ExitCode;

/// Arguments of `vfs cat`.
#[derive(Args)]
pub struct CatArgs {
    /// Files to print, in order: local paths or backend URLs.
    #[arg(required = true)]
    targets: Vec<OsString>,
}

/// Runs `vfs cat`: each file is printed as it is read, in large chunks; one that
/// cannot be read is reported and the others are still printed.
pub fn run(args: &CatArgs) -> ExitCode {
    let mounts = Mounts::new();
    let mut buf = vec![0; CHUNK];
    finish_each("cat", &args.targets, |text| {
        let target = mounts.locate(text, Reach::Entry)?;
        let mut file = target.tree.open(&target.path).at(&target.shown)?;
        let mut out = io::stdout().lock();
        loop {
            // Whatever one read gives goes out at once (a regular file gives a
            // whole chunk), so a slow source such as a pipe streams.
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error).at(&target.shown),
            };
            out.write_all(&buf[..n]).map_err(Failure::stdout)?;
        }
        out.flush().map_err(Failure::stdout)
    })
}
