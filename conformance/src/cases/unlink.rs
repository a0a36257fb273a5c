//! Cases of the `unlink` area.

use super::changes_dir_times;
use crate::case::{needs, Case, CaseResult};
use crate::ctx::{read_all, Ctx};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    area_cases![Unlink;
        needs::WRITE => removes_file,
        needs::HARD_LINKS => other_hard_link_remains,
        needs::WRITE => directory_is_eisdir,
        needs::WRITE => missing_is_enoent,
        needs::WRITE => file_as_parent_is_enotdir,
        needs::WRITE => file_trailing_slash_is_enotdir,
        needs::WRITE => dir_trailing_slash_is_eisdir,
        needs::WRITE => missing_trailing_slash_is_enoent,
        needs::WRITE => dot_is_eisdir,
        needs::WRITE => dotdot_is_eisdir,
        needs::SYMLINKS => symlink_removes_link_not_target,
        needs::SYMLINKS => dangling_symlink_is_removed,
        needs::SYMLINKS => symlink_trailing_slash_is_enotdir,
        needs::SYMLINKS => through_symlinked_parent,
        needs::UNLINKED_OPEN => open_file_stays_usable,
        needs::TIMESTAMPS => updates_parent_times,
    ]
}

fn removes_file(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    // Walked before: a path cache must let go of it.
    check!(ctx.stat("f"));
    check!(ctx.unlink("f"));
    expect_errno!(ctx.stat("f"), Errno::ENOENT);
    ensure!(
        check!(ctx.names(".")).is_empty(),
        "the removed file is still listed"
    );
    expect_errno!(ctx.unlink("f"), Errno::ENOENT);
    check!(ctx.write_file("f", b"again"));
    ensure_eq!(check!(ctx.stat("f")).size, 5);
    Ok(())
}

fn other_hard_link_remains(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"shared"));
    check!(ctx.link("f", "g"));
    ensure_eq!(check!(ctx.stat("g")).nlink, 2);
    check!(ctx.unlink("f"));
    ensure_eq!(check!(ctx.stat("g")).nlink, 1);
    ensure_eq!(check!(ctx.read_file("g")), b"shared");
    ensure_eq!(check!(ctx.names(".")), vec!["g"]);
    Ok(())
}

fn directory_is_eisdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.unlink("d"), Errno::EISDIR);
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    Ok(())
}

fn missing_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.unlink("missing"), Errno::ENOENT);
    expect_errno!(ctx.unlink("missing/f"), Errno::ENOENT);
    Ok(())
}

fn file_as_parent_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.unlink("f/g"), Errno::ENOTDIR);
    Ok(())
}

fn file_trailing_slash_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"kept"));
    expect_errno!(ctx.unlink("f/"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.read_file("f")), b"kept");
    Ok(())
}

fn dir_trailing_slash_is_eisdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.unlink("d/"), Errno::EISDIR);
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    Ok(())
}

fn missing_trailing_slash_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.unlink("missing/"), Errno::ENOENT);
    Ok(())
}

/// A last component `.` or `..` always names a directory: Linux answers `EISDIR`.
fn dot_is_eisdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.unlink("d/."), Errno::EISDIR);
    expect_errno!(ctx.unlink("."), Errno::EISDIR);
    Ok(())
}

fn dotdot_is_eisdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.unlink("d/.."), Errno::EISDIR);
    Ok(())
}

fn symlink_removes_link_not_target(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"target"));
    check!(ctx.symlink("f", "l"));
    check!(ctx.unlink("l"));
    expect_errno!(ctx.lstat("l"), Errno::ENOENT);
    ensure_eq!(check!(ctx.read_file("f")), b"target");
    Ok(())
}

fn dangling_symlink_is_removed(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("nowhere", "l"));
    check!(ctx.unlink("l"));
    expect_errno!(ctx.lstat("l"), Errno::ENOENT);
    Ok(())
}

/// `unlink("l/")` does not follow the symlink `l`, even when it points to a
/// directory: the name is a symlink, which is not a directory, so `ENOTDIR`.
fn symlink_trailing_slash_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("d", "to_dir"));
    check!(ctx.symlink("f", "to_file"));
    expect_errno!(ctx.unlink("to_dir/"), Errno::ENOTDIR);
    expect_errno!(ctx.unlink("to_file/"), Errno::ENOTDIR);
    ensure!(
        ctx.exists("to_dir") && ctx.exists("to_file"),
        "a symlink was removed"
    );
    Ok(())
}

fn through_symlinked_parent(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("real", 0o755));
    check!(ctx.write_file("real/f", b""));
    check!(ctx.symlink("real", "l"));
    check!(ctx.unlink("l/f"));
    ensure!(
        check!(ctx.names("real")).is_empty(),
        "real/f survived unlink l/f"
    );
    Ok(())
}

fn open_file_stays_usable(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"before"));
    let mut file = check!(ctx.open("f", OpenFlags::RDWR, 0));
    check!(ctx.unlink("f"));
    expect_errno!(ctx.stat("f"), Errno::ENOENT);
    ensure_eq!(check!(read_all(file.as_mut())), b"before");
    ensure_eq!(check!(file.pwrite(b" after", 6)), 6);
    ensure_eq!(check!(read_all(file.as_mut())), b"before after");
    ensure_eq!(check!(file.fstat()).nlink, 0);
    check!(file.close());
    Ok(())
}

fn updates_parent_times(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p", 0o755));
    check!(ctx.write_file("p/f", b""));
    changes_dir_times(ctx, "p", || ctx.unlink("p/f"))
}
