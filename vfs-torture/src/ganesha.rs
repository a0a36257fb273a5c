//! The nfs-ganesha server of `scripts/nfs-server`, as the crash scenarios drive
//! it: start (or find running), kill with SIGKILL by its saved pid, and where its
//! export lives on this machine. The state and export directories follow the
//! script's environment variables and defaults.

use std::path::PathBuf;
use std::process::Command;

/// The script, found from this crate's source directory unless
/// `VFS_TORTURE_NFS_SERVER` names another.
fn script() -> PathBuf {
    match std::env::var_os("VFS_TORTURE_NFS_SERVER") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/nfs-server"),
    }
}

/// Runs `scripts/nfs-server start` (which does nothing but print the URL when the
/// server already answers) and returns the URL.
pub fn start() -> Result<String, String> {
    let script = script();
    let output = Command::new(&script)
        .arg("start")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} start failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let url = stdout.lines().last().unwrap_or("").trim().to_string();
    if url.starts_with("nfs://") {
        Ok(url)
    } else {
        Err(format!("{} start printed no URL", script.display()))
    }
}

/// Kills ganesha with SIGKILL (no chance to flush or say goodbye), by the pid the
/// script saved.
pub fn kill9() -> Result<(), String> {
    let state = std::env::var("VFS_NFS_STATE").unwrap_or_else(|_| "/tmp/vfs-nfs-server".into());
    let pid_file = format!("{state}/ganesha.pid");
    let pid = std::fs::read_to_string(&pid_file)
        .map_err(|e| format!("cannot read {pid_file}: {e}"))?
        .trim()
        .to_string();
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{pid_file} holds no pid"));
    }
    let status = Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .map_err(|e| format!("cannot run kill: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -KILL {pid} failed ({status})"))
    }
}

/// The exported directory as this machine sees it.
pub fn export_dir() -> PathBuf {
    match std::env::var_os("VFS_NFS_EXPORT_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("/dev/shm/vfs-nfs-export"),
    }
}
