//! `rss_stream`: the peak memory of our client while it streams. The streaming
//! runs in a child process (this program's hidden `rss-child` command), so the
//! peak is that of one mount doing `read_1g` then `write_1g` and nothing else: not
//! the harness's other figures, not its test data.

use crate::measure::{alternate, Ctx, Fallible, Figure, Pair, Unit};
use crate::nfs_figures::{mount, path_in};
use crate::scratch::{check_size, make_file, ScratchDir};
use crate::streams::{stream_read, stream_write};
use std::fs;
use std::process::{Command, Stdio};

/// The bound our peak must stay under: the peer side of the figure.
const BOUND: u64 = 64 << 20;

/// The figure.
pub const FIGURE: Figure = Figure {
    name: "rss_stream",
    unit: Unit::Bytes,
    target: 1.0,
    ours: "peak RSS (VmHWM) of a child process that mounts, streams read_1g, then write_1g",
    peer: "a fixed bound of 64 MiB",
    run,
};

/// Arguments of the hidden `rss-child` command.
#[derive(clap::Args)]
pub struct ChildArgs {
    /// The export's URL.
    #[arg(long)]
    url: String,
    /// Our path of the directory holding `src` (read) and `dst` (written).
    #[arg(long)]
    dir: String,
    /// Bytes to read and to write.
    #[arg(long)]
    size: u64,
}

/// The child: streams, then prints its peak resident set in bytes.
pub fn child(args: &ChildArgs) -> Fallible<()> {
    let vfs = mount(&args.url)?;
    let process = vfs.process();
    let posix = process.blocking();
    stream_read(posix, &format!("{}/src", args.dir), args.size)?;
    stream_write(posix, format!("{}/dst", args.dir), args.size)?;
    let status = fs::read_to_string("/proc/self/status")?;
    let peak = vm_hwm(&status).ok_or("no VmHWM line in /proc/self/status")?;
    println!("{peak}");
    Ok(())
}

/// The `VmHWM` (peak resident set) of a `/proc/PID/status` text, in bytes.
fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line["VmHWM:".len()..]
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

fn run(ctx: &Ctx) -> Fallible<Pair> {
    let size = ctx.sizes.big_file;
    let dir = ScratchDir::new(&ctx.export_dir, "rss")?;
    make_file(&dir.path().join("src"), size)?;
    let dst = dir.path().join("dst");
    let our_dir = path_in(&dir, "");
    let our_dir = our_dir.trim_end_matches('/');
    Ok(alternate(
        ctx.rounds,
        || {
            let output = Command::new(&ctx.self_bin)
                .args(["rss-child", "--url", &ctx.url, "--dir", our_dir])
                .args(["--size", &size.to_string()])
                .stdin(Stdio::null())
                .output()?;
            if !output.status.success() {
                return Err(format!(
                    "rss-child failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                )
                .into());
            }
            check_size(&dst, size)?;
            fs::remove_file(&dst)?;
            let text = String::from_utf8_lossy(&output.stdout);
            let peak: u64 = text
                .trim()
                .parse()
                .map_err(|_| format!("rss-child printed {text:?}, not bytes"))?;
            Ok(peak as f64)
        },
        || Ok(BOUND as f64),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_in_bytes() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    1536 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(vm_hwm(status), Some(1536 * 1024));
        assert_eq!(vm_hwm("Name:\tx\n"), None);
        let own = fs::read_to_string("/proc/self/status").unwrap();
        assert!(vm_hwm(&own).unwrap() > 0);
    }
}
