//! Cases of the `mknod` area: FIFOs, sockets and device nodes are names with
//! attributes, reported by `stat` and listings with their type and device number,
//! and `mknod` checks what Linux checks in Linux's order. The suite runs as root,
//! so the privilege a device node needs (`CAP_MKNOD`) is always there; the
//! namespace's own tests check its `EPERM` for other callers.
//!
//! The error cases that never reach a backend need only `write`: Linux judges
//! the type before it looks at the path, and the path before it asks the file
//! system.

use super::changes_dir_times;
use crate::case::{needs, Case, CaseResult};
use crate::ctx::Ctx;
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType, OpenFlags};

const S_IFIFO: u32 = 0o010000;
const S_IFCHR: u32 = 0o020000;
const S_IFDIR: u32 = 0o040000;
const S_IFBLK: u32 = 0o060000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFSOCK: u32 = 0o140000;

/// `makedev(1, 3)`: `/dev/null`.
const DEV_NULL: u64 = 0x103;
/// `makedev(259, 65536)`: both numbers past what the old 16-bit encoding held.
const DEV_WIDE: u64 = (259 << 8) | (65536 << 12);

pub(super) fn cases() -> Vec<Case> {
    area_cases![Mknod;
        needs::SPECIAL_FILES => makes_fifo,
        needs::SPECIAL_FILES => makes_socket,
        needs::SPECIAL_FILES => makes_character_device,
        needs::SPECIAL_FILES => makes_block_device,
        needs::SPECIAL_FILES => fifo_and_socket_keep_no_device_number,
        needs::SPECIAL_FILES => listing_reports_each_type,
        needs::all(&[needs::SPECIAL_FILES, needs::PERMISSIONS]) => applies_mode,
        needs::all(&[needs::SPECIAL_FILES, needs::PERMISSIONS]) => chmod_of_fifo,
        needs::SPECIAL_FILES => existing_name_is_eexist,
        needs::all(&[needs::SPECIAL_FILES, needs::SYMLINKS]) => dangling_symlink_is_eexist,
        needs::SPECIAL_FILES => rename_and_unlink,
        needs::all(&[needs::SPECIAL_FILES, needs::HARD_LINKS]) => hard_link_to_fifo,
        needs::SPECIAL_FILES => open_of_socket_is_enxio,
        needs::SPECIAL_FILES => open_excl_on_fifo_is_eexist,
        needs::SPECIAL_FILES => truncate_of_fifo_is_einval,
        needs::all(&[needs::SPECIAL_FILES, needs::TIMESTAMPS]) => updates_parent_times,
        needs::WRITE => regular_type_makes_empty_file,
        needs::WRITE => directory_type_is_eperm_before_the_path,
        needs::WRITE => unknown_type_is_einval_before_the_path,
        needs::WRITE => missing_parent_is_enoent,
        needs::WRITE => file_as_parent_is_enotdir,
        needs::WRITE => trailing_slash_on_new_name_is_enoent,
        needs::WRITE => dot_and_dotdot_are_eexist,
    ]
}

/// Makes `name` with `mode` and `rdev`, then checks what `lstat` shows.
fn makes(ctx: &Ctx, name: &str, mode: u32, rdev: u64, file_type: FileType) -> CaseResult {
    check!(ctx.mknod(name, mode, rdev));
    let attr = check!(ctx.lstat(name));
    ensure_eq!(attr.file_type, file_type);
    ensure_eq!(attr.rdev, rdev);
    ensure_eq!(attr.size, 0);
    ensure_eq!(attr.nlink, 1);
    ensure_eq!(check!(ctx.stat(name)).file_type, file_type);
    Ok(())
}

fn makes_fifo(ctx: &Ctx) -> CaseResult {
    makes(ctx, "p", S_IFIFO | 0o644, 0, FileType::Fifo)
}

fn makes_socket(ctx: &Ctx) -> CaseResult {
    makes(ctx, "s", S_IFSOCK | 0o644, 0, FileType::Socket)
}

fn makes_character_device(ctx: &Ctx) -> CaseResult {
    makes(ctx, "c", S_IFCHR | 0o644, DEV_NULL, FileType::CharDevice)
}

fn makes_block_device(ctx: &Ctx) -> CaseResult {
    makes(ctx, "b", S_IFBLK | 0o600, DEV_WIDE, FileType::BlockDevice)
}

/// Linux passes a device number only for devices: a FIFO or socket made with one
/// reports 0.
fn fifo_and_socket_keep_no_device_number(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("p", S_IFIFO | 0o644, DEV_NULL));
    check!(ctx.mknod("s", S_IFSOCK | 0o644, DEV_NULL));
    ensure_eq!(check!(ctx.lstat("p")).rdev, 0);
    ensure_eq!(check!(ctx.lstat("s")).rdev, 0);
    Ok(())
}

fn listing_reports_each_type(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("p", S_IFIFO | 0o644, 0));
    check!(ctx.mknod("s", S_IFSOCK | 0o644, 0));
    check!(ctx.mknod("c", S_IFCHR | 0o644, DEV_NULL));
    check!(ctx.mknod("b", S_IFBLK | 0o644, DEV_NULL));
    let mut listed: Vec<(Vec<u8>, FileType)> = check!(ctx.read_dir("."))
        .into_iter()
        .map(|entry| (entry.name, entry.file_type))
        .collect();
    listed.sort();
    ensure_eq!(
        listed,
        vec![
            (b"b".to_vec(), FileType::BlockDevice),
            (b"c".to_vec(), FileType::CharDevice),
            (b"p".to_vec(), FileType::Fifo),
            (b"s".to_vec(), FileType::Socket),
        ]
    );
    Ok(())
}

fn applies_mode(ctx: &Ctx) -> CaseResult {
    for (name, mode) in [("a", 0o600), ("b", 0o751), ("c", 0o1777), ("d", 0o000)] {
        check!(ctx.mknod(name, S_IFIFO | mode, 0));
        ensure_eq!(check!(ctx.lstat(name)).mode, mode);
    }
    Ok(())
}

fn chmod_of_fifo(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("p", S_IFIFO | 0o644, 0));
    check!(ctx.chmod("p", 0o600));
    let attr = check!(ctx.lstat("p"));
    ensure_eq!((attr.file_type, attr.mode), (FileType::Fifo, 0o600));
    Ok(())
}

/// Any existing name, with or without a trailing slash, of any type asked for.
fn existing_name_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mknod("p", S_IFIFO | 0o644, 0));
    for name in ["f", "d", "p", "f/", "d/", "p/"] {
        for mode in [S_IFIFO | 0o644, S_IFCHR | 0o644, S_IFSOCK | 0o644, 0o644] {
            expect_errno!(ctx.mknod(name, mode, DEV_NULL), Errno::EEXIST);
        }
    }
    ensure_eq!(check!(ctx.read_file("f")), b"data".to_vec());
    ensure_eq!(check!(ctx.lstat("p")).file_type, FileType::Fifo);
    Ok(())
}

/// `mknod` never follows a final symlink, even a dangling one.
fn dangling_symlink_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("nowhere", "l"));
    expect_errno!(ctx.mknod("l", S_IFIFO | 0o644, 0), Errno::EEXIST);
    ensure!(
        !ctx.exists("nowhere"),
        "mknod created the dangling symlink's target"
    );
    Ok(())
}

fn rename_and_unlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("p", S_IFIFO | 0o644, 0));
    check!(ctx.mknod("c", S_IFCHR | 0o644, DEV_NULL));
    check!(ctx.rename("c", "c2"));
    let moved = check!(ctx.lstat("c2"));
    ensure_eq!(
        (moved.file_type, moved.rdev),
        (FileType::CharDevice, DEV_NULL)
    );
    check!(ctx.unlink("p"));
    check!(ctx.unlink("c2"));
    ensure!(
        check!(ctx.names(".")).is_empty(),
        "names left after unlinking"
    );
    Ok(())
}

fn hard_link_to_fifo(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("p", S_IFIFO | 0o644, 0));
    check!(ctx.link("p", "q"));
    let (p, q) = (check!(ctx.lstat("p")), check!(ctx.lstat("q")));
    ensure_eq!((p.ino, p.nlink), (q.ino, 2));
    ensure_eq!(q.file_type, FileType::Fifo);
    Ok(())
}

/// Linux opens a socket node with `ENXIO`, for any access mode.
fn open_of_socket_is_enxio(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("s", S_IFSOCK | 0o644, 0));
    for flags in [OpenFlags::RDONLY, OpenFlags::WRONLY, OpenFlags::RDWR] {
        expect_errno!(ctx.open("s", flags, 0), Errno::ENXIO);
    }
    Ok(())
}

fn open_excl_on_fifo_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("p", S_IFIFO | 0o644, 0));
    expect_errno!(
        ctx.open(
            "p",
            OpenFlags::RDONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
            0o644
        ),
        Errno::EEXIST
    );
    Ok(())
}

fn truncate_of_fifo_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("p", S_IFIFO | 0o644, 0));
    expect_errno!(ctx.truncate("p", 0), Errno::EINVAL);
    Ok(())
}

fn updates_parent_times(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    changes_dir_times(ctx, "d", || ctx.mknod("d/p", S_IFIFO | 0o644, 0))
}

/// `S_IFREG`, or no type bits at all, makes an empty regular file; the device
/// number is ignored.
fn regular_type_makes_empty_file(ctx: &Ctx) -> CaseResult {
    check!(ctx.mknod("a", S_IFREG | 0o644, DEV_NULL));
    check!(ctx.mknod("b", 0o644, 0));
    for name in ["a", "b"] {
        let attr = check!(ctx.lstat(name));
        ensure_eq!(
            (attr.file_type, attr.size, attr.rdev),
            (FileType::Regular, 0, 0)
        );
        ensure_eq!(check!(ctx.read_file(name)), Vec::<u8>::new());
    }
    expect_errno!(ctx.mknod("a", S_IFREG | 0o644, 0), Errno::EEXIST);
    Ok(())
}

/// A directory is `mkdir`'s business: `EPERM`, whatever the path holds.
fn directory_type_is_eperm_before_the_path(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    for path in ["d", "f", "missing/d", "f/d"] {
        expect_errno!(ctx.mknod(path, S_IFDIR | 0o755, 0), Errno::EPERM);
    }
    ensure!(!ctx.exists("d"), "mknod made a directory");
    Ok(())
}

/// A type that is no file type (or a symlink, which only `symlink` makes).
fn unknown_type_is_einval_before_the_path(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    for mode in [0o170644, 0o030644, 0o050644, S_IFLNK | 0o777] {
        for path in ["x", "f", "missing/x", "f/x"] {
            expect_errno!(ctx.mknod(path, mode, 0), Errno::EINVAL);
        }
    }
    ensure!(!ctx.exists("x"), "mknod made a node of no type");
    Ok(())
}

fn missing_parent_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.mknod("missing/p", S_IFIFO | 0o644, 0), Errno::ENOENT);
    expect_errno!(
        ctx.mknod("missing/c", S_IFCHR | 0o644, DEV_NULL),
        Errno::ENOENT
    );
    Ok(())
}

fn file_as_parent_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.mknod("f/p", S_IFIFO | 0o644, 0), Errno::ENOTDIR);
    expect_errno!(ctx.mknod("f/p/q", S_IFIFO | 0o644, 0), Errno::ENOTDIR);
    Ok(())
}

/// A trailing slash asks for a directory, which `mknod` cannot make.
fn trailing_slash_on_new_name_is_enoent(ctx: &Ctx) -> CaseResult {
    for mode in [S_IFIFO | 0o644, S_IFSOCK | 0o644, 0o644] {
        expect_errno!(ctx.mknod("new/", mode, 0), Errno::ENOENT);
    }
    ensure!(!ctx.exists("new"), "mknod made 'new/'");
    Ok(())
}

fn dot_and_dotdot_are_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    for path in ["d/.", "d/..", ".", ".."] {
        expect_errno!(ctx.mknod(path, S_IFIFO | 0o644, 0), Errno::EEXIST);
    }
    Ok(())
}
