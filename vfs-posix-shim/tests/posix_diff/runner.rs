//! Runs each case on the kernel and on a shim process and compares the traces.

use crate::cases::Case;
use crate::kernel::{self, Kernel};
use crate::shim::{Shim, SCRATCH, SCRATCH_MODE};
use crate::trace::{Record, Trace, FD_WINDOW};
use std::collections::BTreeSet;
use std::fs::{File, Permissions};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use vfs_core::Credentials;

/// The umask every case starts with, on both sides (restored after).
const CASE_UMASK: u32 = 0o022;

/// How one case went.
pub struct Outcome {
    pub name: String,
    pub identical: bool,
    pub known_difference: bool,
    pub failed: bool,
    /// What to print: expectations that failed, the trace diff, the known
    /// difference's reason. Empty when the traces are identical and every
    /// expectation held.
    pub report: String,
}

/// What the kernel side shares between cases: where scratch directories go, the
/// process state every case changes and the runner restores, and the descriptor
/// numbering.
pub struct KernelSide {
    scratch_parent: PathBuf,
    cwd: PathBuf,
    fd_limit: u64,
    /// The lowest free descriptor, with [`FD_WINDOW`] free ones from it up.
    fd_base: i32,
    /// `/dev/null` held open in the gaps below `fd_base` (the test process may
    /// inherit descriptors such as 10 from its parent), so that the kernel, like
    /// the shim, hands out the free descriptors in one run from the base.
    _gap_fillers: Vec<File>,
}

impl KernelSide {
    /// Scratch directories go on tmpfs (`/dev/shm`) when there is one: the kernel's
    /// own in-memory file system, whose limits (file size, seek range) are those
    /// of the shim's `ram://`; else in the temporary directory.
    pub fn new() -> KernelSide {
        let shm = Path::new("/dev/shm");
        let scratch_parent = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let open = open_fds();
        let fd_base = (0..)
            .find(|&fd| !open.contains(&fd) && open.range(fd..fd + FD_WINDOW).next().is_none())
            .expect("a free run of descriptors");
        let gaps = (0..fd_base).filter(|fd| !open.contains(fd)).count();
        let gap_fillers = (0..gaps)
            .map(|_| File::open("/dev/null").expect("open /dev/null"))
            .collect();
        KernelSide {
            scratch_parent,
            cwd: std::env::current_dir().expect("current dir"),
            fd_limit: kernel::fd_limit(),
            fd_base,
            _gap_fillers: gap_fillers,
        }
    }

    pub fn scratch_parent(&self) -> &Path {
        &self.scratch_parent
    }

    /// The kernel process's identity, which the shim process takes too, so
    /// permission checks and new files' owners come out alike.
    pub fn credentials() -> Credentials {
        // SAFETY: plain getters; getgroups fills at most `len` entries.
        unsafe {
            let len = libc::getgroups(0, std::ptr::null_mut());
            let mut groups = vec![0; len.max(0) as usize];
            let len = libc::getgroups(groups.len() as libc::c_int, groups.as_mut_ptr());
            groups.truncate(len.max(0) as usize);
            Credentials::new(libc::geteuid(), libc::getegid(), groups)
        }
    }

    /// Runs `case` in a fresh directory that is the cwd meanwhile; restores the
    /// cwd and descriptor limit, and closes what the case left open.
    fn run(&self, case: &Case) -> Record {
        let dir = tempfile::Builder::new()
            .prefix("posix-diff-")
            .tempdir_in(&self.scratch_parent)
            .expect("scratch directory");
        let scratch = dir.path().canonicalize().expect("canonical scratch path");
        std::fs::set_permissions(&scratch, Permissions::from_mode(SCRATCH_MODE))
            .expect("chmod scratch");
        std::env::set_current_dir(&scratch).expect("chdir scratch");
        let open_before = open_fds();
        let base = self.fd_base;
        assert!(
            (0..base).all(|fd| open_before.contains(&fd))
                && open_before.range(base..base + FD_WINDOW).next().is_none(),
            "the test process opened descriptors around {base} meanwhile: \
             the kernel's descriptor numbers would not follow the shim's"
        );
        let posix = Kernel::default();
        let record = run_traced(case, &posix, base, scratch.as_os_str().as_bytes());
        drop(posix);
        kernel::set_fd_limit(self.fd_limit);
        for fd in open_fds().difference(&open_before) {
            // SAFETY: closes a descriptor the case opened and left open.
            unsafe { libc::close(*fd) };
        }
        std::env::set_current_dir(&self.cwd).expect("chdir back");
        make_removable(&scratch);
        record
    }
}

/// Gives the owner full access to every directory under `dir`, which cases may
/// have left unwritable or unsearchable, so that an unprivileged test process can
/// remove the scratch directory. Best effort: what cannot be changed stays.
fn make_removable(dir: &Path) {
    let _ = std::fs::set_permissions(dir, Permissions::from_mode(0o700));
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            make_removable(&entry.path());
        }
    }
}

/// The descriptors this process has open.
fn open_fds() -> BTreeSet<i32> {
    let listed: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The listing's own descriptor is closed by now; F_GETFD tells which remain.
    listed
        .into_iter()
        // SAFETY: F_GETFD only reads the descriptor's flags.
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0)
        .collect()
}

fn run_traced(case: &Case, posix: &dyn crate::api::Posix, base: i32, scratch: &[u8]) -> Record {
    let old_umask = posix.umask(CASE_UMASK);
    let trace = Trace::new(posix, base, scratch.to_vec());
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| (case.run)(&trace))) {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        trace.fail(format!("panicked: {message}"));
    }
    posix.umask(old_umask);
    trace.finish()
}

/// Runs `case` on both sides and compares.
pub fn run_case(kernel: &KernelSide, creds: &Credentials, case: &Case) -> Outcome {
    let on_kernel = kernel.run(case);
    let shim = Shim::new(creds.clone(), kernel.fd_limit as usize);
    let on_shim = run_traced(case, &shim, 0, SCRATCH);
    let identical = on_kernel.lines == on_shim.lines;
    let mut report = String::new();
    if let Some(reason) = case.known_difference {
        report.push_str(&format!("    known difference: {reason}\n"));
        if identical {
            report.push_str("    ... which no longer shows: take it off KNOWN_DIFFERENCES\n");
        }
    }
    for (side, record) in [("kernel", &on_kernel), ("shim", &on_shim)] {
        for failure in &record.failures {
            report.push_str(&format!("    {side}: {failure}\n"));
        }
    }
    if !identical {
        report.push_str("    trace (' ' both, '-' kernel only, '+' shim only):\n");
        for line in diff(&on_kernel.lines, &on_shim.lines) {
            report.push_str(&format!("      {line}\n"));
        }
    }
    let expectations_held = on_kernel.failures.is_empty() && on_shim.failures.is_empty();
    let failed = match case.known_difference {
        None => !identical || !expectations_held,
        // The shim side may break expectations where it differs; the kernel's
        // must hold.
        Some(_) => identical || !on_kernel.failures.is_empty(),
    };
    Outcome {
        name: case.name.to_string(),
        identical,
        known_difference: case.known_difference.is_some(),
        failed,
        report,
    }
}

/// A line diff (longest common subsequence) of two traces.
fn diff(kernel: &[String], shim: &[String]) -> Vec<String> {
    let (n, m) = (kernel.len(), shim.len());
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if kernel[i] == shim[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && kernel[i] == shim[j] {
            out.push(format!("  {}", kernel[i]));
            i += 1;
            j += 1;
        } else if j == m || (i < n && common[i + 1][j] >= common[i][j + 1]) {
            out.push(format!("- {}", kernel[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", shim[j]));
            j += 1;
        }
    }
    out
}
