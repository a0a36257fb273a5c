//! The NFS figures: our client through the blocking POSIX shim against libnfs, on
//! the ganesha export. Test data is made directly in the exported directory (not
//! timed), each figure in fresh directories of its own.
//!
//! What the clock covers, so both sides pay the same: the streaming figures'
//! peers are whole `nfs-cat`/`nfs-cp` processes, so ours includes its mount too;
//! the metadata figures' C peer times its loop alone, so ours times the loop alone.

use crate::measure::{alternate, throughput, Ctx, Fallible, Figure, Pair, Unit};
use crate::peers::{check_vfs_cp, libnfs_peer, nfs_cat, nfs_cp, vfs_cp};
use crate::scratch::{check_size, file_name, make_file, make_files, ScratchDir};
use crate::streams::{stream_read, stream_write};
use futures::executor::block_on;
use std::fs;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vfs_core::{url_with_option, url_with_path, MountOptions, Namespace, OpenFlags, Registry};
use vfs_posix_shim::{Blocking, Vfs};

/// Where the export is mounted in our namespace (a ram root, as an application
/// embedding the framework would have).
const MOUNT_POINT: &str = "/nfs";

/// The threads (and `nfs-cat` processes) of `threads_8`.
const THREADS: usize = 8;

/// Each file's contents in `create_2000`.
const SMALL_FILE: usize = 4096;

/// The NFS figures, in report order.
pub const FIGURES: [Figure; 9] = [
    Figure {
        name: "read_1g",
        unit: Unit::BytesPerSec,
        target: 1.25,
        ours: "mount + open + sequential read into a 1 MiB buffer + close",
        peer: "`nfs-cat URL > /dev/null`",
        run: read_1g,
    },
    Figure {
        name: "write_1g",
        unit: Unit::BytesPerSec,
        target: 1.5,
        ours: "mount + create + 1 MiB writes + close (COMMIT included)",
        peer: "`nfs-cp` from a tmpfs file",
        run: write_1g,
    },
    Figure {
        name: "cp_1g",
        unit: Unit::BytesPerSec,
        target: 1.25,
        ours: "`vfs cp URL tmpfs-file` (crate vfs-cli)",
        peer: "`nfs-cp URL tmpfs-file`",
        run: cp_1g,
    },
    Figure {
        name: "threads_8",
        unit: Unit::BytesPerSec,
        target: 1.0,
        ours: "mount + 8 threads on the mount, each reading its own file",
        peer: "8 concurrent `nfs-cat` processes",
        run: threads_8,
    },
    Figure {
        name: "create_2000",
        unit: Unit::Seconds,
        target: 1.0,
        ours: "open(O_CREAT) + write 4 KiB + close, per file",
        peer: "libnfs sync API: nfs_creat + nfs_write + nfs_close",
        run: create,
    },
    Figure {
        name: "stat_2000_warm",
        unit: Unit::Seconds,
        target: 10.0,
        ours: "stat each file right after listing the directory (listing not timed)",
        peer: "libnfs sync API: nfs_stat64 loop",
        run: stat_warm,
    },
    Figure {
        name: "stat_2000_cold",
        unit: Unit::Seconds,
        target: 1.0,
        ours: "the same with the `noac` URL option",
        peer: "libnfs sync API: nfs_stat64 loop",
        run: stat_cold,
    },
    Figure {
        name: "readdir_2000",
        unit: Unit::Seconds,
        target: 1.0,
        ours: "opendir + readdir + stat of every entry + closedir",
        peer: "libnfs sync API: nfs_opendir + nfs_readdir (attributes included)",
        run: readdir,
    },
    Figure {
        name: "unlink_2000",
        unit: Unit::Seconds,
        target: 1.0,
        ours: "unlink each file",
        peer: "libnfs sync API: nfs_unlink loop",
        run: unlink,
    },
];

/// A namespace with a ram root and the export `url` mounted on [`MOUNT_POINT`],
/// registered by URL the way the `vfs` command does it.
pub fn mount(url: &str) -> Fallible<Arc<Vfs>> {
    let registry = Arc::new(Registry::new());
    vfs_ramfs::register(&registry);
    vfs_nfs::register(&registry);
    let root = block_on(registry.mount("ram://"))?;
    let vfs = Vfs::new(
        Arc::new(Namespace::new(root, MountOptions::default())),
        registry,
    );
    let process = vfs.process();
    let posix = process.blocking();
    posix.mkdir(MOUNT_POINT, 0o755)?;
    posix.mount(MOUNT_POINT, url, MountOptions::default())?;
    Ok(vfs)
}

/// Our path of `file` in export directory `dir`.
pub fn path_in(dir: &ScratchDir, file: &str) -> String {
    format!("{MOUNT_POINT}/{}/{file}", dir.name())
}

/// The peer's URL of `file` in export directory `dir`.
fn url_of(ctx: &Ctx, dir: &ScratchDir, file: &str) -> String {
    url_with_path(&ctx.url, &format!("/{}/{file}", dir.name()))
}

fn read_1g(ctx: &Ctx) -> Fallible<Pair> {
    let size = ctx.sizes.big_file;
    let dir = ScratchDir::new(&ctx.export_dir, "read")?;
    make_file(&dir.path().join("src"), size)?;
    let path = path_in(&dir, "src");
    let url = url_of(ctx, &dir, "src");
    Ok(alternate(
        ctx.rounds,
        || {
            let start = Instant::now();
            let vfs = mount(&ctx.url)?;
            stream_read(vfs.process().blocking(), &path, size)?;
            Ok(throughput(size, start.elapsed()))
        },
        || Ok(throughput(size, nfs_cat(std::slice::from_ref(&url))?)),
    ))
}

fn write_1g(ctx: &Ctx) -> Fallible<Pair> {
    let size = ctx.sizes.big_file;
    let dir = ScratchDir::new(&ctx.export_dir, "write")?;
    let source_dir = ScratchDir::new(&ctx.tmpfs_dir, "write-src")?;
    let source = source_dir.path().join("src");
    make_file(&source, size)?;
    let local = dir.path().join("dst");
    let path = path_in(&dir, "dst");
    let url = url_of(ctx, &dir, "dst");
    // Each round writes a new file, as nfs-cp (exclusive create) must.
    let written = |elapsed: Duration| -> Fallible<f64> {
        check_size(&local, size)?;
        fs::remove_file(&local)?;
        Ok(throughput(size, elapsed))
    };
    Ok(alternate(
        ctx.rounds,
        || {
            let start = Instant::now();
            let vfs = mount(&ctx.url)?;
            stream_write(vfs.process().blocking(), &path, size)?;
            written(start.elapsed())
        },
        || written(nfs_cp(&source.to_string_lossy(), &url)?),
    ))
}

fn cp_1g(ctx: &Ctx) -> Fallible<Pair> {
    let size = ctx.sizes.big_file;
    let dir = ScratchDir::new(&ctx.export_dir, "cp")?;
    make_file(&dir.path().join("src"), size)?;
    let url = url_of(ctx, &dir, "src");
    let target_dir = ScratchDir::new(&ctx.tmpfs_dir, "cp-dst")?;
    let target = target_dir.path().join("dst");
    let target_name = target.to_string_lossy().into_owned();
    let copied = |elapsed: Duration| -> Fallible<f64> {
        check_size(&target, size)?;
        fs::remove_file(&target)?;
        Ok(throughput(size, elapsed))
    };
    Ok(alternate(
        ctx.rounds,
        || {
            check_vfs_cp(&ctx.vfs_bin)?;
            copied(vfs_cp(&ctx.vfs_bin, &url, &target_name)?)
        },
        || copied(nfs_cp(&url, &target_name)?),
    ))
}

fn threads_8(ctx: &Ctx) -> Fallible<Pair> {
    let size = ctx.sizes.thread_file;
    let total = size * THREADS as u64;
    let dir = ScratchDir::new(&ctx.export_dir, "threads")?;
    let names: Vec<String> = (0..THREADS).map(|i| format!("t{i}")).collect();
    for name in &names {
        make_file(&dir.path().join(name), size)?;
    }
    let paths: Vec<String> = names.iter().map(|name| path_in(&dir, name)).collect();
    let urls: Vec<String> = names.iter().map(|name| url_of(ctx, &dir, name)).collect();
    Ok(alternate(
        ctx.rounds,
        || {
            let start = Instant::now();
            let vfs = mount(&ctx.url)?;
            // One process context shared by the threads: one mount, one connection.
            let process = vfs.process();
            std::thread::scope(|scope| {
                let readers: Vec<_> = paths
                    .iter()
                    .map(|path| {
                        let process = &process;
                        scope.spawn(move || stream_read(process.blocking(), path, size))
                    })
                    .collect();
                readers
                    .into_iter()
                    .try_for_each(|reader| reader.join().map_err(|_| "a reader thread panicked")?)
            })?;
            Ok(throughput(total, start.elapsed()))
        },
        || Ok(throughput(total, nfs_cat(&urls)?)),
    ))
}

/// Fails unless local directory `dir` holds `count` entries.
fn check_count(dir: &ScratchDir, count: usize) -> Fallible<()> {
    let found = fs::read_dir(dir.path())?.count();
    if found != count {
        return Err(format!("{} holds {found} entries, expected {count}", dir.name()).into());
    }
    Ok(())
}

/// The C peer's `op` loop over the files of `dir`.
fn peer_loop(ctx: &Ctx, op: &str, dir: &ScratchDir) -> Fallible<Duration> {
    let dir_path = format!("/{}", dir.name());
    libnfs_peer(&ctx.peer_bin, op, &ctx.url, &dir_path, ctx.sizes.files)
}

fn create(ctx: &Ctx) -> Fallible<Pair> {
    let count = ctx.sizes.files;
    let data = vec![b'x'; SMALL_FILE];
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    Ok(alternate(
        ctx.rounds,
        || {
            let dir = ScratchDir::new(&ctx.export_dir, "create")?;
            let vfs = mount(&ctx.url)?;
            let process = vfs.process();
            let posix = process.blocking();
            let start = Instant::now();
            for i in 0..count {
                let fd = posix.open(path_in(&dir, &file_name(i)), flags, 0o644)?;
                if posix.write(fd, &data)? != SMALL_FILE {
                    return Err("short write".into());
                }
                posix.close(fd)?;
            }
            let elapsed = start.elapsed();
            check_count(&dir, count)?;
            Ok(elapsed.as_secs_f64())
        },
        || {
            let dir = ScratchDir::new(&ctx.export_dir, "create")?;
            let elapsed = peer_loop(ctx, "create", &dir)?;
            check_count(&dir, count)?;
            Ok(elapsed.as_secs_f64())
        },
    ))
}

/// Every name in directory `path` but `.` and `..`, through the shim.
fn list(posix: Blocking<'_>, path: &str) -> Fallible<Vec<Vec<u8>>> {
    let fd = posix.opendir(path)?;
    let mut names = Vec::new();
    while let Some(entry) = posix.readdir(fd)? {
        if entry.name != b"." && entry.name != b".." {
            names.push(entry.name);
        }
    }
    posix.closedir(fd)?;
    Ok(names)
}

/// Both stat figures: ours lists the directory (not timed), then stats each file
/// on a mount of `url`.
fn stat_figure(ctx: &Ctx, url: &str) -> Fallible<Pair> {
    let count = ctx.sizes.files;
    let dir = ScratchDir::new(&ctx.export_dir, "stat")?;
    make_files(dir.path(), count)?;
    let paths: Vec<String> = (0..count).map(|i| path_in(&dir, &file_name(i))).collect();
    let dir_path = path_in(&dir, "");
    Ok(alternate(
        ctx.rounds,
        || {
            let vfs = mount(url)?;
            let process = vfs.process();
            let posix = process.blocking();
            let listed = list(posix, &dir_path)?.len();
            if listed != count {
                return Err(format!("listed {listed} files, expected {count}").into());
            }
            let start = Instant::now();
            for path in &paths {
                posix.stat(path)?;
            }
            Ok(start.elapsed().as_secs_f64())
        },
        || Ok(peer_loop(ctx, "stat", &dir)?.as_secs_f64()),
    ))
}

fn stat_warm(ctx: &Ctx) -> Fallible<Pair> {
    stat_figure(ctx, &ctx.url)
}

fn stat_cold(ctx: &Ctx) -> Fallible<Pair> {
    stat_figure(ctx, &url_with_option(&ctx.url, "noac"))
}

fn readdir(ctx: &Ctx) -> Fallible<Pair> {
    let count = ctx.sizes.files;
    let dir = ScratchDir::new(&ctx.export_dir, "readdir")?;
    make_files(dir.path(), count)?;
    let dir_path = path_in(&dir, "");
    Ok(alternate(
        ctx.rounds,
        || {
            let vfs = mount(&ctx.url)?;
            let process = vfs.process();
            let posix = process.blocking();
            let start = Instant::now();
            let names = list(posix, &dir_path)?;
            let mut path = dir_path.clone().into_bytes();
            for name in &names {
                // `ls -l`: the attributes of each entry, by its path.
                path.truncate(dir_path.len());
                path.extend_from_slice(name);
                posix.stat(&path)?;
            }
            let elapsed = start.elapsed();
            if names.len() != count {
                return Err(format!("listed {} files, expected {count}", names.len()).into());
            }
            Ok(elapsed.as_secs_f64())
        },
        || Ok(peer_loop(ctx, "readdir", &dir)?.as_secs_f64()),
    ))
}

fn unlink(ctx: &Ctx) -> Fallible<Pair> {
    let count = ctx.sizes.files;
    let filled = || -> Fallible<ScratchDir> {
        let dir = ScratchDir::new(&ctx.export_dir, "unlink")?;
        make_files(dir.path(), count)?;
        Ok(dir)
    };
    Ok(alternate(
        ctx.rounds,
        || {
            let dir = filled()?;
            let vfs = mount(&ctx.url)?;
            let process = vfs.process();
            let posix = process.blocking();
            let start = Instant::now();
            for i in 0..count {
                posix.unlink(path_in(&dir, &file_name(i)))?;
            }
            let elapsed = start.elapsed();
            check_count(&dir, 0)?;
            Ok(elapsed.as_secs_f64())
        },
        || {
            let dir = filled()?;
            let elapsed = peer_loop(ctx, "unlink", &dir)?;
            check_count(&dir, 0)?;
            Ok(elapsed.as_secs_f64())
        },
    ))
}
