//! Cases of the `rmdir` area.

use super::changes_dir_times;
use crate::case::{needs, Case, CaseResult};
use crate::ctx::Ctx;
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType};

pub(super) fn cases() -> Vec<Case> {
    area_cases![Rmdir;
        needs::WRITE => removes_empty_dir,
        needs::WRITE => name_is_free_afterwards,
        needs::WRITE => non_empty_is_enotempty,
        needs::WRITE => only_hidden_file_is_enotempty,
        needs::WRITE => only_empty_subdir_is_enotempty,
        needs::WRITE => file_is_enotdir,
        needs::WRITE => missing_is_enoent,
        needs::WRITE => file_as_parent_is_enotdir,
        needs::WRITE => dot_is_einval,
        needs::WRITE => dotdot_is_enotempty,
        needs::SYMLINKS => symlink_to_dir_is_enotdir,
        needs::WRITE => trailing_slash_removes,
        needs::SYMLINKS => through_symlinked_parent,
        needs::DIR_NLINK => parent_nlink_shrinks,
        needs::TIMESTAMPS => updates_parent_times,
    ]
}

fn removes_empty_dir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.rmdir("d"));
    expect_errno!(ctx.stat("d"), Errno::ENOENT);
    ensure!(
        check!(ctx.names(".")).is_empty(),
        "the removed directory is still listed"
    );
    expect_errno!(ctx.rmdir("d"), Errno::ENOENT);
    Ok(())
}

fn name_is_free_afterwards(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.rmdir("d"));
    check!(ctx.write_file("d", b"file now"));
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Regular);
    ensure_eq!(check!(ctx.read_file("d")), b"file now");
    Ok(())
}

fn non_empty_is_enotempty(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b"kept"));
    expect_errno!(ctx.rmdir("d"), Errno::ENOTEMPTY);
    ensure_eq!(check!(ctx.read_file("d/f")), b"kept");
    check!(ctx.unlink("d/f"));
    check!(ctx.rmdir("d"));
    Ok(())
}

fn only_hidden_file_is_enotempty(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/.hidden", b""));
    expect_errno!(ctx.rmdir("d"), Errno::ENOTEMPTY);
    Ok(())
}

fn only_empty_subdir_is_enotempty(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("d/e", 0o755));
    expect_errno!(ctx.rmdir("d"), Errno::ENOTEMPTY);
    ensure_eq!(check!(ctx.stat("d/e")).file_type, FileType::Directory);
    Ok(())
}

fn file_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"kept"));
    expect_errno!(ctx.rmdir("f"), Errno::ENOTDIR);
    expect_errno!(ctx.rmdir("f/"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.read_file("f")), b"kept");
    Ok(())
}

fn missing_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.rmdir("missing"), Errno::ENOENT);
    expect_errno!(ctx.rmdir("missing/"), Errno::ENOENT);
    expect_errno!(ctx.rmdir("missing/d"), Errno::ENOENT);
    Ok(())
}

fn file_as_parent_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.rmdir("f/d"), Errno::ENOTDIR);
    Ok(())
}

fn dot_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.rmdir("d/."), Errno::EINVAL);
    expect_errno!(ctx.rmdir("."), Errno::EINVAL);
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    Ok(())
}

/// Linux answers `ENOTEMPTY` for a last component `..` whatever the parent holds.
fn dotdot_is_enotempty(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("d/e", 0o755));
    expect_errno!(ctx.rmdir("d/e/.."), Errno::ENOTEMPTY);
    expect_errno!(ctx.rmdir("d/.."), Errno::ENOTEMPTY);
    ensure_eq!(check!(ctx.stat("d/e")).file_type, FileType::Directory);
    Ok(())
}

/// `rmdir` does not follow a final symlink, even with a trailing slash.
fn symlink_to_dir_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("d", "l"));
    expect_errno!(ctx.rmdir("l"), Errno::ENOTDIR);
    expect_errno!(ctx.rmdir("l/"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    ensure_eq!(check!(ctx.lstat("d")).file_type, FileType::Directory);
    Ok(())
}

fn trailing_slash_removes(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("e", 0o755));
    check!(ctx.rmdir("d/"));
    check!(ctx.rmdir("e//"));
    ensure!(check!(ctx.names(".")).is_empty(), "directories left behind");
    Ok(())
}

fn through_symlinked_parent(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("real", 0o755));
    check!(ctx.mkdir("real/sub", 0o755));
    check!(ctx.symlink("real", "l"));
    check!(ctx.rmdir("l/sub"));
    ensure!(
        check!(ctx.names("real")).is_empty(),
        "real/sub survived rmdir l/sub"
    );
    Ok(())
}

fn parent_nlink_shrinks(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p", 0o755));
    check!(ctx.mkdir("p/a", 0o755));
    check!(ctx.mkdir("p/b", 0o755));
    let start = check!(ctx.stat("p")).nlink;
    check!(ctx.rmdir("p/a"));
    ensure_eq!(check!(ctx.stat("p")).nlink, start - 1);
    check!(ctx.rmdir("p/b"));
    ensure_eq!(check!(ctx.stat("p")).nlink, start - 2);
    Ok(())
}

fn updates_parent_times(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p", 0o755));
    check!(ctx.mkdir("p/d", 0o755));
    changes_dir_times(ctx, "p", || ctx.rmdir("p/d"))
}
