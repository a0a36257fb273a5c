//! Cases of the `rename` area.

use crate::case::{needs, Case, CaseResult};
use crate::ctx::{read_all, Ctx, OLD_TIME};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    area_cases![Rename;
        needs::WRITE => file_to_new_name,
        needs::WRITE => file_to_other_dir,
        needs::WRITE => preserves_inode,
        needs::WRITE => replaces_existing_file,
        needs::HARD_LINKS => replaced_file_keeps_other_link,
        needs::UNLINKED_OPEN => replaced_open_file_is_unlinked,
        needs::WRITE => open_file_follows_rename,
        needs::WRITE => dir_keeps_contents,
        needs::WRITE => walked_path_follows_its_directory,
        needs::WRITE => dir_over_empty_dir,
        needs::WRITE => dir_over_non_empty_dir_is_enotempty,
        needs::WRITE => file_over_dir_is_eisdir,
        needs::WRITE => dir_over_file_is_enotdir,
        needs::SYMLINKS => dir_over_symlink_is_enotdir,
        needs::WRITE => dir_into_own_subdir_is_einval,
        needs::WRITE => dir_into_deeper_subdir_is_einval,
        needs::WRITE => dir_to_own_missing_child_is_einval,
        needs::WRITE => dir_onto_own_ancestor_is_enotempty,
        needs::WRITE => same_name_is_noop,
        needs::HARD_LINKS => hard_links_to_same_inode_both_remain,
        needs::WRITE => missing_source_is_enoent,
        needs::WRITE => missing_target_parent_is_enoent,
        needs::WRITE => file_as_target_parent_is_enotdir,
        needs::WRITE => file_source_trailing_slash_is_enotdir,
        needs::WRITE => file_target_trailing_slash_is_enotdir,
        needs::WRITE => dir_with_trailing_slashes,
        needs::WRITE => dir_over_empty_dir_with_trailing_slash,
        needs::WRITE => source_dot_or_dotdot_is_ebusy,
        needs::WRITE => target_dot_or_dotdot_is_ebusy,
        needs::DIR_NLINK => moving_dir_updates_parent_nlinks,
        needs::DIR_NLINK => dir_over_empty_dir_keeps_parent_nlink,
        needs::WRITE => moved_dir_dotdot_is_new_parent,
        needs::SYMLINKS => symlink_renames_link_not_target,
        needs::SYMLINKS => file_over_symlink_replaces_link,
        needs::TIMESTAMPS => changes_ctime_not_mtime,
        needs::TIMESTAMPS => updates_both_parents_times,
    ]
}

/// Makes directory `a/b/c` (and its parents) with a file in the innermost one.
fn make_tree(ctx: &Ctx) -> CaseResult {
    for dir in ["a", "a/b", "a/b/c"] {
        check!(ctx.mkdir(dir, 0o755));
    }
    check!(ctx.write_file("a/b/c/f", b"deep"));
    Ok(())
}

/// Checks that `make_tree`'s tree is whole and still where it was.
fn tree_intact(ctx: &Ctx) -> CaseResult {
    ensure_eq!(check!(ctx.read_file("a/b/c/f")), b"deep");
    ensure_eq!(check!(ctx.names("a")), vec!["b"]);
    Ok(())
}

fn file_to_new_name(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"content"));
    check!(ctx.rename("f", "g"));
    expect_errno!(ctx.stat("f"), Errno::ENOENT);
    ensure_eq!(check!(ctx.read_file("g")), b"content");
    ensure_eq!(check!(ctx.names(".")), vec!["g"]);
    Ok(())
}

fn file_to_other_dir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b"content"));
    check!(ctx.rename("f", "d/f"));
    ensure_eq!(check!(ctx.names(".")), vec!["d"]);
    ensure_eq!(check!(ctx.read_file("d/f")), b"content");
    Ok(())
}

fn preserves_inode(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.mkdir("d", 0o755));
    let (file, dir) = (check!(ctx.stat("f")).ino, check!(ctx.stat("d")).ino);
    check!(ctx.rename("f", "g"));
    check!(ctx.rename("d", "e"));
    ensure_eq!(check!(ctx.stat("g")).ino, file);
    ensure_eq!(check!(ctx.stat("e")).ino, dir);
    Ok(())
}

fn replaces_existing_file(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"new content"));
    check!(ctx.write_file("g", b"old"));
    let ino = check!(ctx.stat("f")).ino;
    check!(ctx.rename("f", "g"));
    ensure_eq!(check!(ctx.read_file("g")), b"new content");
    ensure_eq!(check!(ctx.stat("g")).ino, ino);
    ensure_eq!(check!(ctx.names(".")), vec!["g"]);
    Ok(())
}

fn replaced_file_keeps_other_link(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"new"));
    check!(ctx.write_file("g", b"old"));
    check!(ctx.link("g", "g2"));
    check!(ctx.rename("f", "g"));
    ensure_eq!(check!(ctx.stat("g2")).nlink, 1);
    ensure_eq!(check!(ctx.read_file("g2")), b"old");
    ensure_eq!(check!(ctx.read_file("g")), b"new");
    Ok(())
}

fn replaced_open_file_is_unlinked(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"new"));
    check!(ctx.write_file("g", b"old"));
    let mut old = check!(ctx.open("g", OpenFlags::RDONLY, 0));
    check!(ctx.rename("f", "g"));
    ensure_eq!(check!(old.fstat()).nlink, 0);
    ensure_eq!(check!(read_all(old.as_mut())), b"old");
    check!(old.close());
    Ok(())
}

fn open_file_follows_rename(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"abc"));
    let mut file = check!(ctx.open("f", OpenFlags::RDWR, 0));
    check!(ctx.rename("f", "g"));
    ensure_eq!(check!(file.pwrite(b"def", 3)), 3);
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("g")), b"abcdef");
    Ok(())
}

fn dir_keeps_contents(ctx: &Ctx) -> CaseResult {
    make_tree(ctx)?;
    check!(ctx.rename("a", "z"));
    expect_errno!(ctx.stat("a"), Errno::ENOENT);
    ensure_eq!(check!(ctx.read_file("z/b/c/f")), b"deep");
    ensure_eq!(check!(ctx.names("z/b")), vec!["c"]);
    Ok(())
}

fn dir_over_empty_dir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b"moved"));
    check!(ctx.mkdir("e", 0o755));
    let ino = check!(ctx.stat("d")).ino;
    check!(ctx.rename("d", "e"));
    ensure_eq!(check!(ctx.stat("e")).ino, ino);
    ensure_eq!(check!(ctx.read_file("e/f")), b"moved");
    ensure_eq!(check!(ctx.names(".")), vec!["e"]);
    Ok(())
}

fn dir_over_non_empty_dir_is_enotempty(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("e", 0o755));
    check!(ctx.write_file("e/f", b"kept"));
    expect_errno!(ctx.rename("d", "e"), Errno::ENOTEMPTY);
    ensure_eq!(check!(ctx.read_file("e/f")), b"kept");
    ensure_eq!(check!(ctx.names(".")), vec!["d", "e"]);
    Ok(())
}

fn file_over_dir_is_eisdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.rename("f", "d"), Errno::EISDIR);
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    ensure_eq!(check!(ctx.stat("f")).file_type, FileType::Regular);
    Ok(())
}

fn dir_over_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b"kept"));
    expect_errno!(ctx.rename("d", "f"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.read_file("f")), b"kept");
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    Ok(())
}

/// The target symlink is not followed: a directory cannot replace a non-directory.
fn dir_over_symlink_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("e", 0o755));
    check!(ctx.symlink("e", "l"));
    expect_errno!(ctx.rename("d", "l"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    Ok(())
}

fn dir_into_own_subdir_is_einval(ctx: &Ctx) -> CaseResult {
    make_tree(ctx)?;
    expect_errno!(ctx.rename("a", "a/b/new"), Errno::EINVAL);
    expect_errno!(ctx.rename("a/b", "a/b/c/new"), Errno::EINVAL);
    tree_intact(ctx)
}

fn dir_into_deeper_subdir_is_einval(ctx: &Ctx) -> CaseResult {
    make_tree(ctx)?;
    check!(ctx.mkdir("a/b/c/d", 0o755));
    expect_errno!(ctx.rename("a", "a/b/c/d/new"), Errno::EINVAL);
    expect_errno!(ctx.rename("a", "a/b/c/d"), Errno::EINVAL);
    tree_intact(ctx)
}

fn dir_to_own_missing_child_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("a", 0o755));
    expect_errno!(ctx.rename("a", "a/b"), Errno::EINVAL);
    ensure!(
        check!(ctx.names("a")).is_empty(),
        "rename of a into a/b created something"
    );
    Ok(())
}

/// Renaming a directory onto one of its ancestors: Linux checks "the target is an
/// ancestor of the source" before anything else and answers `ENOTEMPTY`.
fn dir_onto_own_ancestor_is_enotempty(ctx: &Ctx) -> CaseResult {
    make_tree(ctx)?;
    expect_errno!(ctx.rename("a/b", "a"), Errno::ENOTEMPTY);
    expect_errno!(ctx.rename("a/b/c", "a"), Errno::ENOTEMPTY);
    tree_intact(ctx)
}

fn same_name_is_noop(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"same"));
    check!(ctx.mkdir("d", 0o755));
    let ino = check!(ctx.stat("f")).ino;
    check!(ctx.rename("f", "f"));
    check!(ctx.rename("d", "d"));
    ensure_eq!(check!(ctx.stat("f")).ino, ino);
    ensure_eq!(check!(ctx.read_file("f")), b"same");
    ensure_eq!(check!(ctx.names(".")), vec!["d", "f"]);
    Ok(())
}

/// POSIX: when both names are links to the same file, rename does nothing and
/// succeeds; both names remain.
fn hard_links_to_same_inode_both_remain(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"one file"));
    check!(ctx.link("f", "g"));
    check!(ctx.rename("f", "g"));
    ensure_eq!(check!(ctx.names(".")), vec!["f", "g"]);
    ensure_eq!(check!(ctx.stat("f")).nlink, 2);
    ensure_eq!(check!(ctx.read_file("g")), b"one file");
    Ok(())
}

fn missing_source_is_enoent(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("g", b"kept"));
    expect_errno!(ctx.rename("missing", "new"), Errno::ENOENT);
    expect_errno!(ctx.rename("missing", "g"), Errno::ENOENT);
    expect_errno!(ctx.rename("nodir/f", "new"), Errno::ENOENT);
    ensure_eq!(check!(ctx.read_file("g")), b"kept");
    ensure_eq!(check!(ctx.names(".")), vec!["g"]);
    Ok(())
}

fn missing_target_parent_is_enoent(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.rename("f", "nodir/f"), Errno::ENOENT);
    ensure!(ctx.exists("f"), "the source vanished");
    Ok(())
}

fn file_as_target_parent_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.write_file("g", b""));
    expect_errno!(ctx.rename("f", "g/f"), Errno::ENOTDIR);
    expect_errno!(ctx.rename("g/f", "h"), Errno::ENOTDIR);
    ensure!(ctx.exists("f"), "the source vanished");
    Ok(())
}

fn file_source_trailing_slash_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.rename("f/", "g"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.names(".")), vec!["f"]);
    Ok(())
}

fn file_target_trailing_slash_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.write_file("g", b""));
    expect_errno!(ctx.rename("f", "new/"), Errno::ENOTDIR);
    expect_errno!(ctx.rename("f", "g/"), Errno::ENOTDIR);
    ensure_eq!(check!(ctx.names(".")), vec!["f", "g"]);
    Ok(())
}

fn dir_with_trailing_slashes(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.rename("d/", "e/"));
    check!(ctx.rename("e", "f//"));
    check!(ctx.rename("f//", "g"));
    ensure_eq!(check!(ctx.names(".")), vec!["g"]);
    ensure_eq!(check!(ctx.stat("g")).file_type, FileType::Directory);
    Ok(())
}

fn dir_over_empty_dir_with_trailing_slash(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b"moved"));
    check!(ctx.mkdir("e", 0o755));
    check!(ctx.rename("d", "e/"));
    ensure_eq!(check!(ctx.read_file("e/f")), b"moved");
    ensure_eq!(check!(ctx.names(".")), vec!["e"]);
    Ok(())
}

/// A last component `.` or `..` cannot be renamed: Linux answers `EBUSY`.
fn source_dot_or_dotdot_is_ebusy(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("d/e", 0o755));
    expect_errno!(ctx.rename("d/.", "x"), Errno::EBUSY);
    expect_errno!(ctx.rename("d/e/..", "x"), Errno::EBUSY);
    expect_errno!(ctx.rename(".", "x"), Errno::EBUSY);
    ensure_eq!(check!(ctx.names(".")), vec!["d"]);
    Ok(())
}

fn target_dot_or_dotdot_is_ebusy(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("d/e", 0o755));
    check!(ctx.mkdir("x", 0o755));
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.rename("x", "d/e/."), Errno::EBUSY);
    expect_errno!(ctx.rename("x", "d/e/.."), Errno::EBUSY);
    expect_errno!(ctx.rename("f", "d/."), Errno::EBUSY);
    ensure_eq!(check!(ctx.names(".")), vec!["d", "f", "x"]);
    Ok(())
}

fn moving_dir_updates_parent_nlinks(ctx: &Ctx) -> CaseResult {
    for dir in ["p1", "p2", "p1/d"] {
        check!(ctx.mkdir(dir, 0o755));
    }
    let (p1, p2) = (check!(ctx.stat("p1")).nlink, check!(ctx.stat("p2")).nlink);
    check!(ctx.rename("p1/d", "p2/d"));
    ensure_eq!(check!(ctx.stat("p1")).nlink, p1 - 1);
    ensure_eq!(check!(ctx.stat("p2")).nlink, p2 + 1);
    ensure_eq!(check!(ctx.stat("p2/d")).nlink, 2);
    Ok(())
}

fn dir_over_empty_dir_keeps_parent_nlink(ctx: &Ctx) -> CaseResult {
    for dir in ["p1", "p2", "p1/d", "p2/e"] {
        check!(ctx.mkdir(dir, 0o755));
    }
    let (p1, p2) = (check!(ctx.stat("p1")).nlink, check!(ctx.stat("p2")).nlink);
    check!(ctx.rename("p1/d", "p2/e"));
    ensure_eq!(check!(ctx.stat("p1")).nlink, p1 - 1);
    ensure_eq!(check!(ctx.stat("p2")).nlink, p2);
    Ok(())
}

fn moved_dir_dotdot_is_new_parent(ctx: &Ctx) -> CaseResult {
    for dir in ["p1", "p2", "p1/d"] {
        check!(ctx.mkdir(dir, 0o755));
    }
    check!(ctx.rename("p1/d", "p2/d"));
    ensure_eq!(check!(ctx.stat("p2/d/..")).ino, check!(ctx.stat("p2")).ino);
    check!(ctx.write_file("p2/d/../marker", b""));
    ensure_eq!(check!(ctx.names("p2")), vec!["d", "marker"]);
    Ok(())
}

fn symlink_renames_link_not_target(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"target"));
    check!(ctx.symlink("f", "l"));
    check!(ctx.rename("l", "m"));
    ensure_eq!(check!(ctx.readlink("m")), b"f");
    ensure_eq!(check!(ctx.read_file("f")), b"target");
    ensure_eq!(check!(ctx.names(".")), vec!["f", "m"]);
    Ok(())
}

fn file_over_symlink_replaces_link(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("t", b"link target"));
    check!(ctx.symlink("t", "l"));
    check!(ctx.write_file("f", b"moved"));
    check!(ctx.rename("f", "l"));
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Regular);
    ensure_eq!(check!(ctx.read_file("l")), b"moved");
    ensure_eq!(check!(ctx.read_file("t")), b"link target");
    Ok(())
}

/// Linux updates the moved inode's ctime but leaves its mtime alone.
fn changes_ctime_not_mtime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.age("f"));
    let before = check!(ctx.stat("f"));
    check!(ctx.rename("f", "g"));
    let after = check!(ctx.stat("g"));
    ensure_eq!(after.mtime, OLD_TIME);
    ensure!(
        after.ctime >= before.ctime,
        "ctime went back: {:?} -> {:?}",
        before.ctime,
        after.ctime
    );
    Ok(())
}

fn updates_both_parents_times(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("p1", 0o755));
    check!(ctx.mkdir("p2", 0o755));
    check!(ctx.write_file("p1/f", b""));
    check!(ctx.age("p1"));
    check!(ctx.age("p2"));
    check!(ctx.rename("p1/f", "p2/f"));
    for dir in ["p1", "p2"] {
        let attr = check!(ctx.stat(dir));
        ensure!(attr.mtime > OLD_TIME, "mtime of {dir} not updated");
        ensure!(
            attr.ctime >= attr.mtime,
            "ctime of {dir} older than its mtime"
        );
    }
    Ok(())
}

/// A path walked before a rename of a directory on it resolves by the new names
/// after it: the old one is gone, the new one finds the file, and a directory
/// moved into the old name's place is what the old path now reaches.
fn walked_path_follows_its_directory(ctx: &Ctx) -> CaseResult {
    make_tree(ctx)?;
    check!(ctx.mkdir("x", 0o755));
    check!(ctx.write_file("x/f", b"other"));
    ensure_eq!(check!(ctx.stat("a/b/c/f")).size, 4);
    check!(ctx.stat("x/f"));
    check!(ctx.rename("a/b", "a/moved"));
    expect_errno!(ctx.stat("a/b/c/f"), Errno::ENOENT);
    ensure_eq!(check!(ctx.read_file("a/moved/c/f")), b"deep");
    check!(ctx.rename("x", "a/b"));
    expect_errno!(ctx.stat("x/f"), Errno::ENOENT);
    ensure_eq!(check!(ctx.read_file("a/b/f")), b"other");
    expect_errno!(ctx.stat("a/b/c/f"), Errno::ENOENT);
    Ok(())
}
