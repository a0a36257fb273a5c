//! `mknod` and `mkfifo` through the shim's Rust APIs (the process calls and the
//! std::fs-shaped `Fs`), next to the same calls on a real temporary directory:
//! the same types, modes after the umask, device numbers and errnos. (The C ABI's
//! `vfs_mknod`/`vfs_mkfifo` are exercised by `examples/c/demo.c`.)

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::sync::Arc;
use vfs_core::{Credentials, Errno, FileType, OpenFlags};
use vfs_posix_shim::fs::Fs;
use vfs_posix_shim::Vfs;

const UMASK: u32 = 0o027;

/// `makedev(1, 3)`.
const DEV_NULL: u64 = 0x103;

fn real_mknod(path: &std::path::Path, mode: u32, rdev: u64) -> std::io::Result<()> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c` is a valid C string.
    if unsafe { libc::mknod(c.as_ptr(), mode, rdev) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[test]
fn mknod_and_mkfifo_match_the_kernel() {
    let process = Arc::new(Vfs::from_url("ram://").unwrap().process());
    process.umask(UMASK);
    let fs = Fs::new(process.clone());
    let real = tempfile::tempdir().unwrap();
    // SAFETY: umask only changes the process's file-creation mask.
    let old = unsafe { libc::umask(UMASK as libc::mode_t) };

    fs.mkfifo("/p", 0o666).unwrap();
    fs.mknod("/c", libc::S_IFCHR | 0o666, DEV_NULL).unwrap();
    fs.mknod("/s", libc::S_IFSOCK | 0o640, 0).unwrap();
    real_mknod(&real.path().join("p"), libc::S_IFIFO | 0o666, 0).unwrap();
    real_mknod(&real.path().join("c"), libc::S_IFCHR | 0o666, DEV_NULL).unwrap();
    real_mknod(&real.path().join("s"), libc::S_IFSOCK | 0o640, 0).unwrap();
    for name in ["p", "c", "s"] {
        let ours = fs.symlink_metadata(format!("/{name}")).unwrap();
        let theirs = std::fs::symlink_metadata(real.path().join(name)).unwrap();
        assert_eq!(ours.mode(), theirs.mode(), "{name}");
        assert_eq!(ours.rdev(), theirs.rdev(), "{name}");
        let (a, b) = (ours.file_type(), theirs.file_type());
        assert_eq!(
            (a.is_fifo(), a.is_char_device(), a.is_socket(), a.is_file()),
            (b.is_fifo(), b.is_char_device(), b.is_socket(), b.is_file()),
            "{name}"
        );
    }
    let listed: Vec<(String, bool)> = fs
        .read_dir("/")
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, entry.file_type().unwrap().is_fifo())
        })
        .filter(|(name, _)| name == "p")
        .collect();
    assert_eq!(listed, vec![("p".to_string(), true)]);

    let errno = |e: std::io::Error| e.raw_os_error();
    for (mode, expected) in [
        (libc::S_IFIFO | 0o644, libc::EEXIST),
        (libc::S_IFDIR | 0o755, libc::EPERM),
        (0o170644, libc::EINVAL),
    ] {
        assert_eq!(errno(fs.mknod("/p", mode, 0).unwrap_err()), Some(expected));
        let real_p = real.path().join("p");
        assert_eq!(
            errno(real_mknod(&real_p, mode, 0).unwrap_err()),
            Some(expected)
        );
    }
    // SAFETY: as above.
    unsafe { libc::umask(old) };
}

#[test]
fn blocking_calls_make_nodes_and_refuse_to_open_them() {
    let process = Vfs::from_url("ram://").unwrap().process();
    process.umask(0);
    let posix = process.blocking();
    posix.mkfifo("/p", 0o600).unwrap();
    posix.mknod("/b", libc::S_IFBLK | 0o600, DEV_NULL).unwrap();
    let attr = posix.lstat("/b").unwrap();
    assert_eq!(
        (attr.file_type, attr.mode, attr.rdev),
        (FileType::BlockDevice, 0o600, DEV_NULL)
    );
    assert_eq!(posix.stat("/p").unwrap().file_type, FileType::Fifo);
    for path in ["/p", "/b"] {
        assert_eq!(
            posix.open(path, OpenFlags::RDONLY, 0).unwrap_err().errno(),
            Errno::ENXIO
        );
    }
    // A device needs uid 0; a FIFO does not.
    posix.mkdir("/open", 0o777).unwrap();
    process.set_credentials(Credentials::new(1000, 1000, []));
    assert_eq!(
        posix
            .mknod("/open/c", libc::S_IFCHR | 0o600, DEV_NULL)
            .unwrap_err()
            .errno(),
        Errno::EPERM
    );
    posix.mkfifo("/open/q", 0o600).unwrap();
    assert_eq!(posix.lstat("/open/q").unwrap().uid, 1000);
}
