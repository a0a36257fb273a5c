//! `vfs mount URL DIR`: serves a backend URL at a host directory through FUSE, in
//! the foreground, until Ctrl-C, SIGTERM or `fusermount3 -u DIR`, then unmounts
//! cleanly and lets the backend flush.

use crate::backends;
use clap::Args;
use futures::executor::block_on;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use vfs_core::{MountOptions, Namespace};
use vfs_fuse::FuseOptions;

/// Arguments of `vfs mount`.
#[derive(Args)]
pub struct MountArgs {
    /// The backend URL to serve (`ram://`, `nfs://host/export?...`).
    url: String,
    /// The host directory to mount it on (must exist).
    dir: PathBuf,
    /// Let other users use the mount (FUSE `allow_other`; needed by suites that
    /// switch users, such as pjdfstest).
    #[arg(long)]
    allow_other: bool,
    /// Mount read-only: every change fails with EROFS.
    #[arg(long)]
    ro: bool,
    /// Seconds the kernel may cache attributes and names. Default: 1 for ram://
    /// (every change comes through this mount), 0 for everything else (NFS: other
    /// clients and the server change files too).
    #[arg(long, value_name = "SECONDS")]
    attr_timeout: Option<f64>,
    /// Let the kernel check permissions from the mode bits as well
    /// (`default_permissions`).
    #[arg(long)]
    default_permissions: bool,
    /// Request-handling threads.
    #[arg(long, default_value_t = 4, value_name = "N")]
    threads: usize,
    /// Print every failed request on stderr.
    #[arg(long)]
    trace: bool,
}

/// Set by SIGINT/SIGTERM; the main loop polls it.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    // Only an atomic store: all a signal handler may safely do here.
    STOP.store(true, Ordering::SeqCst);
}

fn install_signal_handlers() -> std::io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic; the sigaction struct is fully
        // initialised (zeroed, then the fields set) before the call.
        let failed = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut()) != 0
        };
        if failed {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Runs `vfs mount`.
pub fn run(args: &MountArgs) -> ExitCode {
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("vfs mount: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &MountArgs) -> Result<(), String> {
    let ttl = match args.attr_timeout {
        Some(seconds) if !(0.0..=86_400.0).contains(&seconds) => {
            return Err(format!(
                "--attr-timeout {seconds}: must be between 0 and 86400 seconds"
            ))
        }
        Some(seconds) => Duration::from_secs_f64(seconds),
        None if args.url.starts_with("ram://") => Duration::from_secs(1),
        None => Duration::ZERO,
    };
    if args.threads == 0 || args.threads > 64 {
        return Err(format!("--threads {}: must be 1 to 64", args.threads));
    }
    let registry = backends::registry();
    let fs = block_on(registry.mount(&args.url)).map_err(|e| format!("{}: {e}", args.url))?;
    let namespace = Arc::new(Namespace::new(
        fs.clone(),
        MountOptions { read_only: args.ro },
    ));
    let options = FuseOptions {
        attr_ttl: ttl,
        entry_ttl: ttl,
        // The page cache may outlive an open exactly when attributes may be cached:
        // when nothing but this mount changes the files.
        keep_cache: !ttl.is_zero(),
        allow_other: args.allow_other,
        read_only: args.ro,
        default_permissions: args.default_permissions,
        threads: args.threads,
        fs_name: fs.describe(),
        trace: args.trace,
    };
    install_signal_handlers().map_err(|e| format!("cannot handle signals: {e}"))?;
    let mounted =
        vfs_fuse::spawn_mount(namespace, &args.dir, &options).map_err(|e| e.to_string())?;
    eprintln!(
        "vfs mount: {} on {} (Ctrl-C or fusermount3 -u {} to unmount)",
        fs.describe(),
        args.dir.display(),
        args.dir.display()
    );
    loop {
        if mounted.is_finished() {
            // Unmounted from outside.
            mounted
                .join()
                .map_err(|e| format!("serving {} failed: {e}", args.dir.display()))?;
            break;
        }
        if STOP.load(Ordering::SeqCst) {
            mounted
                .unmount()
                .map_err(|e| format!("unmounting {}: {e}", args.dir.display()))?;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Every open file was closed by the kernel or at the session's end; let the
    // backend push what it still buffers.
    block_on(fs.sync()).map_err(|e| format!("{}: sync after unmount: {e}", fs.describe()))?;
    block_on(fs.unmount()).map_err(|e| format!("{}: unmount: {e}", fs.describe()))?;
    eprintln!("vfs mount: unmounted {}", args.dir.display());
    Ok(())
}
