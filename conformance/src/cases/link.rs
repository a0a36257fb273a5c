//! Cases of the `link` area.

use super::changes_dir_times;
use crate::case::{needs, Case, CaseResult};
use crate::ctx::{Ctx, OLD_TIME};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    let links_and_times = needs::all(&[needs::HARD_LINKS, needs::TIMESTAMPS]);
    let links_and_symlinks = needs::all(&[needs::HARD_LINKS, needs::SYMLINKS]);
    area_cases![Link;
        needs::HARD_LINKS => creates_second_name,
        needs::HARD_LINKS => nlink_is_two_on_both,
        needs::HARD_LINKS => content_is_shared,
        needs::HARD_LINKS => into_other_dir,
        needs::HARD_LINKS => unlinking_one_keeps_other,
        needs::HARD_LINKS => nlink_counts_every_name,
        needs::HARD_LINKS => directory_is_eperm,
        needs::HARD_LINKS => existing_target_is_eexist,
        needs::HARD_LINKS => missing_source_is_enoent,
        needs::HARD_LINKS => missing_target_parent_is_enoent,
        needs::HARD_LINKS => file_as_target_parent_is_enotdir,
        needs::HARD_LINKS => target_trailing_slash_is_enoent,
        needs::HARD_LINKS => source_trailing_slash_is_enotdir,
        links_and_symlinks => symlink_is_linked_not_followed,
        links_and_symlinks => dangling_symlink_can_be_linked,
        links_and_times => changes_ctime_not_mtime,
        links_and_times => updates_target_parent_times,
    ]
}

fn creates_second_name(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"content"));
    check!(ctx.link("f", "g"));
    ensure_eq!(check!(ctx.stat("g")).ino, check!(ctx.stat("f")).ino);
    ensure_eq!(check!(ctx.read_file("g")), b"content");
    ensure_eq!(check!(ctx.names(".")), vec!["f", "g"]);
    Ok(())
}

fn nlink_is_two_on_both(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    ensure_eq!(check!(ctx.stat("f")).nlink, 1);
    check!(ctx.link("f", "g"));
    ensure_eq!(check!(ctx.stat("f")).nlink, 2);
    ensure_eq!(check!(ctx.stat("g")).nlink, 2);
    Ok(())
}

fn content_is_shared(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"aaaa"));
    check!(ctx.link("f", "g"));
    let mut file = check!(ctx.open("g", OpenFlags::WRONLY, 0));
    check!(file.pwrite(b"bb", 1));
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"abba");
    check!(ctx.truncate("f", 2));
    ensure_eq!(check!(ctx.read_file("g")), b"ab");
    Ok(())
}

fn into_other_dir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b"content"));
    check!(ctx.link("f", "d/g"));
    ensure_eq!(check!(ctx.read_file("d/g")), b"content");
    ensure_eq!(check!(ctx.stat("d/g")).ino, check!(ctx.stat("f")).ino);
    Ok(())
}

fn unlinking_one_keeps_other(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"survives"));
    check!(ctx.link("f", "g"));
    check!(ctx.unlink("f"));
    ensure_eq!(check!(ctx.read_file("g")), b"survives");
    ensure_eq!(check!(ctx.stat("g")).nlink, 1);
    ensure_eq!(check!(ctx.names(".")), vec!["g"]);
    Ok(())
}

fn nlink_counts_every_name(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    let names = ["l1", "l2", "l3", "l4"];
    for (i, name) in names.iter().enumerate() {
        check!(ctx.link("f", name));
        ensure_eq!(check!(ctx.stat("f")).nlink, i as u64 + 2);
    }
    for (i, name) in names.iter().enumerate() {
        check!(ctx.unlink(name));
        ensure_eq!(check!(ctx.stat("f")).nlink, (names.len() - i) as u64);
    }
    Ok(())
}

fn directory_is_eperm(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.link("d", "e"), Errno::EPERM);
    expect_errno!(ctx.link("d/", "e"), Errno::EPERM);
    ensure_eq!(check!(ctx.names(".")), vec!["d"]);
    ensure_eq!(check!(ctx.stat("d")).nlink, 2);
    Ok(())
}

fn existing_target_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"source"));
    check!(ctx.write_file("g", b"kept"));
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.link("f", "g"), Errno::EEXIST);
    expect_errno!(ctx.link("f", "d"), Errno::EEXIST);
    expect_errno!(ctx.link("f", "f"), Errno::EEXIST);
    ensure_eq!(check!(ctx.read_file("g")), b"kept");
    ensure_eq!(check!(ctx.stat("f")).nlink, 1);
    Ok(())
}

fn missing_source_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.link("missing", "g"), Errno::ENOENT);
    expect_errno!(ctx.link("nodir/f", "g"), Errno::ENOENT);
    ensure!(
        !ctx.exists("g"),
        "link of a missing source created the target"
    );
    Ok(())
}

fn missing_target_parent_is_enoent(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.link("f", "nodir/g"), Errno::ENOENT);
    ensure_eq!(check!(ctx.stat("f")).nlink, 1);
    Ok(())
}

fn file_as_target_parent_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.link("f", "f/g"), Errno::ENOTDIR);
    expect_errno!(ctx.link("f/g", "h"), Errno::ENOTDIR);
    Ok(())
}

/// A new non-directory name with a trailing slash: Linux answers `ENOENT` (the
/// slash asks for a directory that does not exist).
fn target_trailing_slash_is_enoent(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.link("f", "g/"), Errno::ENOENT);
    ensure_eq!(check!(ctx.names(".")), vec!["f"]);
    Ok(())
}

fn source_trailing_slash_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.link("f/", "g"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.names(".")), vec!["f"]);
    Ok(())
}

/// `link` does not follow a final symlink in the source: the new name is a second
/// link to the symlink itself.
fn symlink_is_linked_not_followed(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"target"));
    check!(ctx.symlink("f", "l"));
    check!(ctx.link("l", "m"));
    let (l, m) = (check!(ctx.lstat("l")), check!(ctx.lstat("m")));
    ensure_eq!(m.file_type, FileType::Symlink);
    ensure_eq!(m.ino, l.ino);
    ensure_eq!(m.nlink, 2);
    ensure_eq!(check!(ctx.readlink("m")), b"f");
    ensure_eq!(check!(ctx.stat("f")).nlink, 1);
    ensure_eq!(check!(ctx.read_file("m")), b"target");
    Ok(())
}

fn dangling_symlink_can_be_linked(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("nowhere", "l"));
    check!(ctx.link("l", "m"));
    ensure_eq!(check!(ctx.lstat("m")).file_type, FileType::Symlink);
    ensure_eq!(check!(ctx.readlink("m")), b"nowhere");
    expect_errno!(ctx.stat("m"), Errno::ENOENT);
    Ok(())
}

fn changes_ctime_not_mtime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.age("f"));
    let before = check!(ctx.stat("f"));
    check!(ctx.link("f", "g"));
    let after = check!(ctx.stat("f"));
    ensure_eq!(after.mtime, OLD_TIME);
    ensure!(
        after.ctime >= before.ctime,
        "ctime went back: {:?} -> {:?}",
        before.ctime,
        after.ctime
    );
    Ok(())
}

fn updates_target_parent_times(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p", 0o755));
    check!(ctx.write_file("f", b""));
    changes_dir_times(ctx, "p", || ctx.link("f", "p/g"))
}
