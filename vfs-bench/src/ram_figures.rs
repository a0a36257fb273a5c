//! The in-memory figures: the ramfs backend through the blocking POSIX shim against
//! the same system calls on a tmpfs file (the kernel's in-memory file system).

use crate::measure::{alternate, median, throughput, Ctx, Fallible, Figure, Pair, Unit};
use crate::scratch::{make_file, ScratchDir};
use crate::streams::{stream_read, stream_write, BUFFER};
use std::ffi::CString;
use std::hint::black_box;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;
use vfs_core::OpenFlags;
use vfs_posix_shim::{Blocking, Vfs};

/// The read size of `ram_pread_4k`.
const PREAD: usize = 4096;

/// A memory page, the alignment of `ram_pread_4k`'s buffers.
const PAGE: usize = 4096;

/// The in-memory figures, in report order.
pub const FIGURES: [Figure; 3] = [
    Figure {
        name: "ram_open_stat_close",
        unit: Unit::SecondsPerOp,
        target: 3.0,
        ours: "ramfs via the shim: open + fstat + close of an existing file, by the same path",
        peer: "open + fstat + close system calls on tmpfs",
        run: open_stat_close,
    },
    Figure {
        name: "ram_pread_4k",
        unit: Unit::SecondsPerOp,
        target: 3.0,
        ours: "ramfs via the shim: random 4 KiB preads in a 64 MiB file",
        peer: "pread system calls on tmpfs, same offsets",
        run: pread_4k,
    },
    Figure {
        name: "ram_read_1g",
        unit: Unit::BytesPerSec,
        target: 1.0,
        ours: "ramfs via the shim: open + sequential read into a 1 MiB buffer + close",
        peer: "open + read + close system calls on tmpfs",
        run: read_1g,
    },
];

/// A file opened read-only with the kernel's calls, closed on drop.
struct KernelFile(libc::c_int);

impl KernelFile {
    fn open(path: &CString) -> io::Result<KernelFile> {
        // SAFETY: `path` is a valid NUL-terminated string.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(KernelFile(fd))
    }

    fn fstat(&self) -> io::Result<libc::stat> {
        // SAFETY: an all-zero `stat` is a valid value for fstat to overwrite.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `self.0` is an open descriptor and `stat` a valid out-pointer.
        if unsafe { libc::fstat(self.0, &mut stat) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stat)
    }

    fn read(&self, buffer: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buffer` is valid for writes of its length.
        let n = unsafe { libc::read(self.0, buffer.as_mut_ptr().cast(), buffer.len()) };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    }

    fn pread(&self, buffer: &mut [u8], offset: i64) -> io::Result<usize> {
        // SAFETY: `buffer` is valid for writes of its length.
        let n = unsafe { libc::pread(self.0, buffer.as_mut_ptr().cast(), buffer.len(), offset) };
        usize::try_from(n).map_err(|_| io::Error::last_os_error())
    }
}

impl Drop for KernelFile {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed only here.
        unsafe { libc::close(self.0) };
    }
}

fn c_path(path: &Path) -> Fallible<CString> {
    Ok(CString::new(path.as_os_str().as_bytes())?)
}

/// Makes the directories above `path` in ramfs, so both sides of a figure open
/// the same path and walk as many components.
fn mirror_parents(posix: Blocking<'_>, path: &Path) -> Fallible<()> {
    let mut parents: Vec<&Path> = path.ancestors().skip(1).collect();
    parents.pop(); // the root
    for dir in parents.into_iter().rev() {
        posix.mkdir(dir.as_os_str().as_bytes(), 0o755)?;
    }
    Ok(())
}

fn open_stat_close(ctx: &Ctx) -> Fallible<Pair> {
    let ops = ctx.sizes.ram_ops;
    let dir = ScratchDir::new(&ctx.tmpfs_dir, "ram-osc")?;
    let file = dir.path().join("file");
    make_file(&file, PREAD as u64)?;
    let vfs = Vfs::from_url("ram://")?;
    let process = vfs.process();
    let posix = process.blocking();
    mirror_parents(posix, &file)?;
    let ours = file.as_os_str().as_bytes();
    stream_write(posix, ours, PREAD as u64)?;
    let path = c_path(&file)?;
    Ok(alternate(
        ctx.rounds,
        || {
            let start = Instant::now();
            for _ in 0..ops {
                let fd = posix.open(ours, OpenFlags::RDONLY, 0)?;
                black_box(posix.fstat(fd)?);
                posix.close(fd)?;
            }
            Ok(start.elapsed().as_secs_f64() / ops as f64)
        },
        || {
            let start = Instant::now();
            for _ in 0..ops {
                let file = KernelFile::open(&path)?;
                black_box(file.fstat()?);
            }
            Ok(start.elapsed().as_secs_f64() / ops as f64)
        },
    ))
}

/// `count` 4 KiB-aligned offsets in a `size`-byte file, from a fixed xorshift
/// sequence so both sides read the same places in the same order.
fn random_offsets(count: usize, size: u64) -> Vec<i64> {
    let blocks = (size / PREAD as u64).max(1);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state % blocks) * PREAD as u64) as i64
        })
        .collect()
}

/// Fails unless a read returned the whole 4 KiB.
fn full(n: usize) -> Fallible<()> {
    if n == PREAD {
        Ok(())
    } else {
        Err(format!("pread returned {n} bytes, expected {PREAD}").into())
    }
}

/// `size` bytes of data in memory aligned to 2 MiB that the kernel is asked to back
/// with huge pages, as ramfs's page pool is: the allocation and where in it the
/// aligned bytes start.
fn huge_page_buffer(size: usize) -> (Vec<u8>, usize) {
    let (mut memory, start) = aligned_buffer(size, 2 << 20);
    // SAFETY: the range lies within `memory`; advice changes no contents.
    unsafe {
        libc::madvise(
            memory[start..].as_mut_ptr().cast(),
            size,
            libc::MADV_HUGEPAGE,
        )
    };
    for (i, byte) in memory[start..start + size].iter_mut().enumerate() {
        *byte = i as u8;
    }
    (memory, start)
}

/// `len` zeroed bytes starting at a multiple of `align`: the allocation and where
/// in it they start.
fn aligned_buffer(len: usize, align: usize) -> (Vec<u8>, usize) {
    let memory = vec![0u8; len + align];
    let start = memory.as_ptr().align_offset(align);
    (memory, start)
}

fn pread_4k(ctx: &Ctx) -> Fallible<Pair> {
    let size = ctx.sizes.pread_file;
    let offsets = random_offsets(ctx.sizes.ram_ops, size);
    // The floor: the same 4 KiB copies from plain memory, right after each of
    // our rounds.
    let (memory, start) = huge_page_buffer(size as usize);
    let plain = &memory[start..start + size as usize];
    let mut floor_samples = Vec::new();
    let vfs = Vfs::from_url("ram://")?;
    let process = vfs.process();
    let posix = process.blocking();
    stream_write(posix, "/file", size)?;
    let dir = ScratchDir::new(&ctx.tmpfs_dir, "ram-pread")?;
    make_file(&dir.path().join("file"), size)?;
    let path = c_path(&dir.path().join("file"))?;
    // Both sides read into page-aligned buffers, as programs reading pages tend
    // to: a copy's speed depends on its destination's alignment (`rep movsb` into
    // a buffer 32 bytes off a cache line took ~15% longer here), and two plain
    // allocations need not share one.
    let (mut buffer_memory, at) = aligned_buffer(PREAD, PAGE);
    let buffer = &mut buffer_memory[at..at + PREAD];
    let fd = posix.open("/file", OpenFlags::RDONLY, 0)?;
    let file = KernelFile::open(&path)?;
    let mut pair = alternate(
        ctx.rounds,
        || {
            let start = Instant::now();
            for &offset in &offsets {
                full(posix.pread(fd, buffer, offset)?)?;
            }
            let ours = start.elapsed().as_secs_f64() / offsets.len() as f64;
            let start = Instant::now();
            for &offset in &offsets {
                let from = offset as usize;
                buffer.copy_from_slice(&plain[from..from + PREAD]);
                black_box(&*buffer);
            }
            floor_samples.push(start.elapsed().as_secs_f64() / offsets.len() as f64);
            Ok(ours)
        },
        || {
            let (mut memory, at) = aligned_buffer(PREAD, PAGE);
            let buffer = &mut memory[at..at + PREAD];
            let start = Instant::now();
            for &offset in &offsets {
                full(file.pread(buffer, offset)?)?;
            }
            Ok(start.elapsed().as_secs_f64() / offsets.len() as f64)
        },
    );
    posix.close(fd)?;
    pair.floor = median(floor_samples);
    Ok(pair)
}

fn read_1g(ctx: &Ctx) -> Fallible<Pair> {
    let size = ctx.sizes.big_file;
    let vfs = Vfs::from_url("ram://")?;
    let process = vfs.process();
    let posix = process.blocking();
    stream_write(posix, "/file", size)?;
    let dir = ScratchDir::new(&ctx.tmpfs_dir, "ram-read")?;
    make_file(&dir.path().join("file"), size)?;
    let path = c_path(&dir.path().join("file"))?;
    Ok(alternate(
        ctx.rounds,
        || {
            let start = Instant::now();
            stream_read(posix, "/file", size)?;
            Ok(throughput(size, start.elapsed()))
        },
        || {
            let mut buffer = vec![0; BUFFER];
            let start = Instant::now();
            let file = KernelFile::open(&path)?;
            let mut total = 0u64;
            loop {
                let n = file.read(&mut buffer)?;
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            drop(file);
            let elapsed = start.elapsed();
            if total != size {
                return Err(format!("read {total} bytes, expected {size}").into());
            }
            Ok(throughput(size, elapsed))
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Side, Sizes};

    #[test]
    fn offsets_are_aligned_inside_the_file_and_repeatable() {
        let offsets = random_offsets(1000, 1 << 20);
        assert!(offsets
            .iter()
            .all(|&o| o % PREAD as i64 == 0 && o + PREAD as i64 <= 1 << 20));
        assert_eq!(offsets, random_offsets(1000, 1 << 20));
        assert!(offsets.iter().any(|&o| o != offsets[0]));
    }

    /// A smoke run at the smallest sizes: every figure yields two values. Nothing
    /// about the values is checked, so a slow machine cannot fail it.
    #[test]
    fn ram_figures_run_at_minimal_size() {
        let ctx = Ctx {
            url: String::new(),
            export_dir: std::env::temp_dir(),
            tmpfs_dir: std::env::temp_dir(),
            peer_bin: "/nonexistent".into(),
            vfs_bin: "/nonexistent".into(),
            self_bin: "/nonexistent".into(),
            rounds: 2,
            sizes: Sizes {
                big_file: 3 << 19,
                thread_file: 0,
                files: 0,
                ram_ops: 10,
                pread_file: 64 << 10,
            },
        };
        for figure in &FIGURES {
            let pair = (figure.run)(&ctx).unwrap();
            for side in [&pair.ours, &pair.peer] {
                assert!(
                    matches!(side, Side::Value(v) if *v > 0.0),
                    "{}: {side:?}",
                    figure.name
                );
            }
        }
    }
}
