//! Streaming through the blocking shim the way an application does (one 1 MiB
//! buffer): what the NFS and ram streaming figures and the `rss_stream` child share.

use crate::measure::Fallible;
use crate::scratch::pattern;
use vfs_core::OpenFlags;
use vfs_posix_shim::Blocking;

/// The application's buffer size in every streaming figure.
pub const BUFFER: usize = 1 << 20;

/// Reads `path` to its end through a 1 MiB buffer; fails unless that was `size`
/// bytes.
pub fn stream_read(posix: Blocking<'_>, path: &str, size: u64) -> Fallible<()> {
    let mut buffer = vec![0; BUFFER];
    let fd = posix.open(path, OpenFlags::RDONLY, 0)?;
    let mut total = 0u64;
    loop {
        let n = posix.read(fd, &mut buffer)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    posix.close(fd)?;
    if total != size {
        return Err(format!("read {total} bytes of {path}, expected {size}").into());
    }
    Ok(())
}

/// Creates `path` and writes `size` bytes to it in 1 MiB writes, then closes it
/// (on NFS the close commits, so it is part of the write).
pub fn stream_write(posix: Blocking<'_>, path: impl AsRef<[u8]>, size: u64) -> Fallible<()> {
    let chunk = pattern();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    let fd = posix.open(path, flags, 0o644)?;
    let mut left = size;
    while left > 0 {
        let n = left.min(BUFFER as u64) as usize;
        let written = posix.write(fd, &chunk[..n])?;
        left -= written as u64;
    }
    posix.close(fd)?;
    Ok(())
}
