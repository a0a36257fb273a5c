//! Cases of the `mkdir` area.

use super::changes_dir_times;
use crate::case::{needs, Case, CaseResult};
use crate::ctx::Ctx;
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType};

pub(super) fn cases() -> Vec<Case> {
    area_cases![Mkdir;
        needs::WRITE => creates_empty_directory,
        needs::PERMISSIONS => applies_mode,
        needs::PERMISSIONS => drops_setuid_setgid_from_mode,
        needs::WRITE => existing_file_is_eexist,
        needs::WRITE => existing_dir_is_eexist,
        needs::SYMLINKS => existing_symlink_is_eexist,
        needs::SYMLINKS => dangling_symlink_is_eexist,
        needs::WRITE => trailing_slash_creates,
        needs::WRITE => missing_parent_is_enoent,
        needs::WRITE => file_as_parent_is_enotdir,
        needs::WRITE => dot_is_eexist,
        needs::WRITE => dotdot_is_eexist,
        needs::SYMLINKS => through_symlinked_parent,
        needs::DIR_NLINK => parent_nlink_grows_by_one,
        needs::DIR_NLINK => new_dir_nlink_is_two,
        needs::TIMESTAMPS => updates_parent_times,
        needs::all(&[needs::PERMISSIONS, needs::OWNERSHIP]) => setgid_parent_passes_group_and_bit,
    ]
}

fn creates_empty_directory(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    ensure_eq!(check!(ctx.names(".")), vec!["d"]);
    ensure!(
        check!(ctx.names("d")).is_empty(),
        "a new directory is not empty"
    );
    Ok(())
}

fn applies_mode(ctx: &Ctx) -> CaseResult {
    for (name, mode) in [("a", 0o700), ("b", 0o751), ("c", 0o1777), ("d", 0o000)] {
        check!(ctx.mkdir(name, mode));
        ensure_eq!(check!(ctx.stat(name)).mode, mode);
    }
    Ok(())
}

/// Linux keeps only the permission and sticky bits of `mkdir`'s mode (`vfs_mkdir`
/// masks with `S_IRWXUGO | S_ISVTX`); set-group-ID comes only from the parent.
fn drops_setuid_setgid_from_mode(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o6755));
    ensure_eq!(check!(ctx.stat("d")).mode, 0o755);
    Ok(())
}

fn existing_file_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    expect_errno!(ctx.mkdir("f", 0o755), Errno::EEXIST);
    expect_errno!(ctx.mkdir("f/", 0o755), Errno::EEXIST);
    ensure_eq!(check!(ctx.read_file("f")), b"data");
    Ok(())
}

fn existing_dir_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b""));
    expect_errno!(ctx.mkdir("d", 0o700), Errno::EEXIST);
    ensure_eq!(check!(ctx.names("d")), vec!["f"]);
    Ok(())
}

fn existing_symlink_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("d", "l"));
    expect_errno!(ctx.mkdir("l", 0o755), Errno::EEXIST);
    expect_errno!(ctx.mkdir("l/", 0o755), Errno::EEXIST);
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    Ok(())
}

/// `mkdir` never follows a final symlink, even a dangling one: the name is taken.
fn dangling_symlink_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("nowhere", "l"));
    expect_errno!(ctx.mkdir("l", 0o755), Errno::EEXIST);
    expect_errno!(ctx.mkdir("l/", 0o755), Errno::EEXIST);
    ensure!(
        !ctx.exists("nowhere"),
        "mkdir created the dangling symlink's target"
    );
    Ok(())
}

fn trailing_slash_creates(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d/", 0o755));
    check!(ctx.mkdir("e//", 0o755));
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    ensure_eq!(check!(ctx.stat("e")).file_type, FileType::Directory);
    Ok(())
}

fn missing_parent_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.mkdir("missing/d", 0o755), Errno::ENOENT);
    expect_errno!(ctx.mkdir("missing/d/e", 0o755), Errno::ENOENT);
    expect_errno!(ctx.mkdir("missing/.", 0o755), Errno::ENOENT);
    ensure!(!ctx.exists("missing"), "mkdir created a missing parent");
    Ok(())
}

fn file_as_parent_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.mkdir("f/d", 0o755), Errno::ENOTDIR);
    expect_errno!(ctx.mkdir("f/d/e", 0o755), Errno::ENOTDIR);
    Ok(())
}

fn dot_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.mkdir("d/.", 0o755), Errno::EEXIST);
    expect_errno!(ctx.mkdir(".", 0o755), Errno::EEXIST);
    Ok(())
}

fn dotdot_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.mkdir("d/..", 0o755), Errno::EEXIST);
    expect_errno!(ctx.mkdir("..", 0o755), Errno::EEXIST);
    Ok(())
}

fn through_symlinked_parent(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("real", 0o755));
    check!(ctx.symlink("real", "l"));
    check!(ctx.mkdir("l/sub", 0o755));
    ensure_eq!(check!(ctx.lstat("real/sub")).file_type, FileType::Directory);
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    Ok(())
}

fn parent_nlink_grows_by_one(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p", 0o755));
    let start = check!(ctx.stat("p")).nlink;
    check!(ctx.mkdir("p/a", 0o755));
    ensure_eq!(check!(ctx.stat("p")).nlink, start + 1);
    check!(ctx.mkdir("p/b", 0o755));
    ensure_eq!(check!(ctx.stat("p")).nlink, start + 2);
    check!(ctx.write_file("p/f", b""));
    ensure_eq!(check!(ctx.stat("p")).nlink, start + 2);
    Ok(())
}

fn new_dir_nlink_is_two(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    ensure_eq!(check!(ctx.stat("d")).nlink, 2);
    Ok(())
}

fn updates_parent_times(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p", 0o755));
    changes_dir_times(ctx, "p", || ctx.mkdir("p/d", 0o755))
}

fn setgid_parent_passes_group_and_bit(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p", 0o755));
    check!(ctx.chown("p", None, Some(1234), true));
    check!(ctx.chmod("p", 0o2755));
    check!(ctx.mkdir("p/d", 0o750));
    check!(ctx.mkdir("p/d/e", 0o700));
    for dir in ["p/d", "p/d/e"] {
        let attr = check!(ctx.stat(dir));
        ensure_eq!(attr.gid, 1234);
        ensure!(
            attr.mode & 0o2000 != 0,
            "{dir} lacks S_ISGID: mode {:o}",
            attr.mode
        );
    }
    ensure_eq!(check!(ctx.stat("p/d")).mode, 0o2750);
    Ok(())
}
