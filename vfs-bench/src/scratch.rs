//! Test data: fresh directories (in the export or on tmpfs) that remove themselves,
//! files made directly on the local side, and URLs of paths inside the export.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory `vfs-bench-PID-N-LABEL` under a parent, removed with all it
/// holds when dropped, so an interrupted figure leaves nothing behind for the next.
pub struct ScratchDir {
    path: PathBuf,
    name: String,
}

impl ScratchDir {
    /// Makes the directory under `parent`.
    pub fn new(parent: &Path, label: &str) -> io::Result<ScratchDir> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "vfs-bench-{}-{}-{label}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = parent.join(&name);
        fs::create_dir(&path)?;
        Ok(ScratchDir { path, name })
    }

    /// Its local path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its name in the parent: in the export, the path below the export's root is
    /// `/NAME`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.path) {
            eprintln!("bench: warning: cannot remove {}: {e}", self.path.display());
        }
    }
}

/// The name of file `i` of a many-files figure; the C peer uses the same.
pub fn file_name(i: usize) -> String {
    format!("f{i:05}")
}

/// One MiB of a non-zero pattern: what every streamed file holds and every
/// streaming write sends (zeros could be special-cased by some layer).
pub fn pattern() -> Vec<u8> {
    (0..1usize << 20).map(|i| (i % 251) as u8 + 1).collect()
}

/// Writes a `size`-byte file of [`pattern`] at `path` (locally, not timed).
pub fn make_file(path: &Path, size: u64) -> io::Result<()> {
    let chunk = pattern();
    let mut file = fs::File::create(path)?;
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// Makes `count` empty files named by [`file_name`] in `dir`.
pub fn make_files(dir: &Path, count: usize) -> io::Result<()> {
    for i in 0..count {
        fs::File::create(dir.join(file_name(i)))?;
    }
    Ok(())
}

/// Fails unless `path` holds exactly `size` bytes: a figure whose copy or write
/// came out short must not be reported.
pub fn check_size(path: &Path, size: u64) -> io::Result<()> {
    let found = fs::metadata(path)?.len();
    if found == size {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{} holds {found} bytes, expected {size}",
            path.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfs_core::{url_with_option, url_with_path};

    #[test]
    fn urls_keep_the_query_last() {
        let url = "nfs://127.0.0.1/export?nfsport=2049&mountport=20048";
        assert_eq!(
            url_with_path(url, "/d/f"),
            "nfs://127.0.0.1/export/d/f?nfsport=2049&mountport=20048"
        );
        assert_eq!(url_with_path("nfs://h/e/", "/f"), "nfs://h/e/f");
        assert_eq!(
            url_with_option(url, "noac"),
            "nfs://127.0.0.1/export?nfsport=2049&mountport=20048&noac"
        );
        assert_eq!(url_with_option("nfs://h/e", "noac"), "nfs://h/e?noac");
    }

    #[test]
    fn scratch_dirs_are_fresh_and_removed() {
        let parent = std::env::temp_dir();
        let path = {
            let dir = ScratchDir::new(&parent, "test").unwrap();
            make_files(dir.path(), 3).unwrap();
            make_file(&dir.path().join("big"), 3 << 19).unwrap();
            check_size(&dir.path().join("big"), 3 << 19).unwrap();
            assert!(check_size(&dir.path().join("big"), 1).is_err());
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4);
            dir.path().to_path_buf()
        };
        assert!(!path.exists());
    }
}
