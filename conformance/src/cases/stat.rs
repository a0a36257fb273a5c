//! Cases of the `stat` area: `stat`/`lstat`/`fstat`, attribute changes (`chmod`,
//! `chown`, `utimens`), `statfs` and `access`.

use crate::case::{needs, Area, Case, CaseResult};
use crate::ctx::{Ctx, OLD_TIME};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{AccessMask, Errno, FileType, OpenFlags, SetTime, Timespec};

pub(super) fn cases() -> Vec<Case> {
    let symlink_modes = needs::all(&[needs::SYMLINKS, needs::PERMISSIONS]);
    let symlink_owners = needs::all(&[needs::SYMLINKS, needs::OWNERSHIP]);
    let symlink_times = needs::all(&[needs::SYMLINKS, needs::TIMESTAMPS]);
    let owners_and_modes = needs::all(&[needs::OWNERSHIP, needs::PERMISSIONS]);
    let modes_and_times = needs::all(&[needs::PERMISSIONS, needs::TIMESTAMPS]);
    vec![
        Case::new(
            Area::Stat,
            "file_type_and_mode",
            needs::PERMISSIONS,
            file_type_and_mode,
        ),
        Case::new(
            Area::Stat,
            "dir_type_and_mode",
            needs::PERMISSIONS,
            dir_type_and_mode,
        ),
        Case::new(
            Area::Stat,
            "lstat_sees_symlink_stat_follows",
            needs::SYMLINKS,
            lstat_sees_symlink_stat_follows,
        ),
        Case::new(
            Area::Stat,
            "symlink_size_is_target_length",
            needs::SYMLINKS,
            symlink_size_is_target_length,
        ),
        Case::new(
            Area::Stat,
            "new_file_has_one_link",
            needs::WRITE,
            new_file_has_one_link,
        ),
        Case::new(
            Area::Stat,
            "fstat_matches_stat",
            needs::WRITE,
            fstat_matches_stat,
        ),
        Case::new(
            Area::Stat,
            "distinct_files_have_distinct_inodes",
            needs::WRITE,
            distinct_files_have_distinct_inodes,
        ),
        Case::new(
            Area::Stat,
            "hard_links_share_inode",
            needs::HARD_LINKS,
            hard_links_share_inode,
        ),
        Case::new(
            Area::Stat,
            "fstat_of_unlinked_open_file",
            needs::UNLINKED_OPEN,
            fstat_of_unlinked_open_file,
        ),
        Case::new(
            Area::Stat,
            "missing_is_enoent",
            needs::WRITE,
            missing_is_enoent,
        ),
        Case::new(
            Area::Stat,
            "file_as_directory_component_is_enotdir",
            needs::WRITE,
            file_as_directory_component_is_enotdir,
        ),
        Case::new(
            Area::Stat,
            "trailing_slash_on_file_is_enotdir",
            needs::WRITE,
            trailing_slash_on_file_is_enotdir,
        ),
        Case::new(
            Area::Stat,
            "trailing_slash_on_dir_works",
            needs::WRITE,
            trailing_slash_on_dir_works,
        ),
        Case::new(
            Area::Stat,
            "dot_and_dot_dot_resolve",
            needs::WRITE,
            dot_and_dot_dot_resolve,
        ),
        Case::new(
            Area::Stat,
            "chmod_sets_permission_bits",
            needs::PERMISSIONS,
            chmod_sets_permission_bits,
        ),
        Case::new(
            Area::Stat,
            "chmod_sets_special_bits",
            needs::PERMISSIONS,
            chmod_sets_special_bits,
        ),
        Case::new(
            Area::Stat,
            "chmod_on_directory",
            needs::PERMISSIONS,
            chmod_on_directory,
        ),
        Case::new(
            Area::Stat,
            "chmod_follows_symlink",
            symlink_modes,
            chmod_follows_symlink,
        ),
        Case::new(
            Area::Stat,
            "chmod_updates_ctime_only",
            modes_and_times,
            chmod_updates_ctime_only,
        ),
        Case::new(
            Area::Stat,
            "chown_sets_uid_and_gid",
            needs::OWNERSHIP,
            chown_sets_uid_and_gid,
        ),
        Case::new(
            Area::Stat,
            "chown_none_leaves_id",
            needs::OWNERSHIP,
            chown_none_leaves_id,
        ),
        Case::new(
            Area::Stat,
            "chown_follows_symlink",
            symlink_owners,
            chown_follows_symlink,
        ),
        Case::new(
            Area::Stat,
            "lchown_changes_symlink_only",
            symlink_owners,
            lchown_changes_symlink_only,
        ),
        Case::new(
            Area::Stat,
            "chown_clears_setuid_and_setgid",
            owners_and_modes,
            chown_clears_setuid_and_setgid,
        ),
        Case::new(
            Area::Stat,
            "utimens_keeps_nanoseconds",
            needs::TIMESTAMPS,
            utimens_keeps_nanoseconds,
        ),
        Case::new(
            Area::Stat,
            "utimens_now_sets_current_time",
            needs::TIMESTAMPS,
            utimens_now_sets_current_time,
        ),
        Case::new(
            Area::Stat,
            "utimens_omitted_side_unchanged",
            needs::TIMESTAMPS,
            utimens_omitted_side_unchanged,
        ),
        Case::new(
            Area::Stat,
            "utimens_follow_sets_target",
            symlink_times,
            utimens_follow_sets_target,
        ),
        Case::new(
            Area::Stat,
            "utimens_nofollow_sets_symlink",
            needs::SYMLINK_TIMES,
            utimens_nofollow_sets_symlink,
        ),
        Case::new(
            Area::Stat,
            "setattr_on_missing_is_enoent",
            needs::WRITE,
            setattr_on_missing_is_enoent,
        ),
        Case::new(
            Area::Stat,
            "statfs_reports_limits",
            needs::WRITE,
            statfs_reports_limits,
        ),
        Case::new(
            Area::Stat,
            "statfs_figures_are_consistent",
            needs::SPACE,
            statfs_figures_are_consistent,
        ),
        Case::new(
            Area::Stat,
            "access_existing_and_missing",
            needs::WRITE,
            access_existing_and_missing,
        ),
    ]
}

fn file_type_and_mode(ctx: &Ctx) -> CaseResult {
    check!(check!(ctx.open("f", OpenFlags::WRONLY | OpenFlags::CREATE, 0o640)).close());
    let attr = check!(ctx.stat("f"));
    ensure_eq!(attr.file_type, FileType::Regular);
    ensure_eq!(attr.st_mode(), 0o100640);
    ensure_eq!(check!(ctx.lstat("f")), attr);
    Ok(())
}

fn dir_type_and_mode(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o751));
    let attr = check!(ctx.stat("d"));
    ensure_eq!(attr.file_type, FileType::Directory);
    ensure_eq!(attr.st_mode(), 0o040751);
    Ok(())
}

fn lstat_sees_symlink_stat_follows(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"12345"));
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("f", "lf"));
    check!(ctx.symlink("d", "ld"));
    let (file, link) = (check!(ctx.stat("f")), check!(ctx.lstat("lf")));
    ensure_eq!(link.file_type, FileType::Symlink);
    ensure!(
        link.ino != file.ino,
        "lstat of the symlink gave the target's inode"
    );
    ensure_eq!(check!(ctx.stat("lf")), file);
    ensure_eq!(check!(ctx.lstat("ld")).file_type, FileType::Symlink);
    ensure_eq!(check!(ctx.stat("ld")).file_type, FileType::Directory);
    // A trailing slash makes even lstat follow the link.
    ensure_eq!(check!(ctx.lstat("ld/")).file_type, FileType::Directory);
    Ok(())
}

fn symlink_size_is_target_length(ctx: &Ctx) -> CaseResult {
    for (name, target) in [
        ("a", "x"),
        ("b", "some/longer/relative/target"),
        ("c", "/absolute/nowhere"),
    ] {
        check!(ctx.symlink(target, name));
        ensure_eq!(check!(ctx.lstat(name)).size, target.len() as u64);
    }
    Ok(())
}

fn new_file_has_one_link(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    ensure_eq!(check!(ctx.stat("f")).nlink, 1);
    Ok(())
}

fn fstat_matches_stat(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"contents"));
    let mut file = check!(ctx.open("f", OpenFlags::RDONLY | OpenFlags::NOATIME, 0));
    let (by_handle, by_path) = (check!(file.fstat()), check!(ctx.stat("f")));
    ensure_eq!(by_handle, by_path);
    ensure_eq!(by_handle.size, 8);
    Ok(())
}

fn distinct_files_have_distinct_inodes(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("a", b""));
    check!(ctx.write_file("b", b""));
    check!(ctx.mkdir("d", 0o755));
    let inos = [
        check!(ctx.stat("a")).ino,
        check!(ctx.stat("b")).ino,
        check!(ctx.stat("d")).ino,
    ];
    ensure!(
        inos[0] != inos[1] && inos[1] != inos[2] && inos[0] != inos[2],
        "inode numbers repeat: {inos:?}"
    );
    Ok(())
}

fn hard_links_share_inode(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("a", b"shared"));
    check!(ctx.link("a", "b"));
    let (a, b) = (check!(ctx.stat("a")), check!(ctx.stat("b")));
    ensure_eq!(a.ino, b.ino);
    ensure_eq!((a.nlink, b.nlink), (2, 2));
    Ok(())
}

fn fstat_of_unlinked_open_file(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"abc"));
    let mut file = check!(ctx.open("f", OpenFlags::RDONLY, 0));
    let before = check!(file.fstat());
    check!(ctx.unlink("f"));
    let after = check!(file.fstat());
    ensure_eq!(after.nlink, 0);
    ensure_eq!(
        (after.ino, after.size, after.file_type),
        (before.ino, 3, FileType::Regular)
    );
    expect_errno!(ctx.stat("f"), Errno::ENOENT);
    Ok(())
}

fn missing_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat("missing"), Errno::ENOENT);
    expect_errno!(ctx.lstat("missing"), Errno::ENOENT);
    expect_errno!(ctx.stat("nodir/x"), Errno::ENOENT);
    expect_errno!(ctx.stat(""), Errno::ENOENT);
    Ok(())
}

fn file_as_directory_component_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.stat("f/x"), Errno::ENOTDIR);
    expect_errno!(ctx.lstat("f/x"), Errno::ENOTDIR);
    expect_errno!(ctx.stat("f/x/y"), Errno::ENOTDIR);
    Ok(())
}

fn trailing_slash_on_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.stat("f/"), Errno::ENOTDIR);
    expect_errno!(ctx.lstat("f/"), Errno::ENOTDIR);
    expect_errno!(ctx.stat("f/."), Errno::ENOTDIR);
    Ok(())
}

fn trailing_slash_on_dir_works(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    let ino = check!(ctx.stat("d")).ino;
    for path in ["d/", "d//", "d/."] {
        let attr = check!(ctx.stat(path));
        ensure!(
            attr.ino == ino && attr.file_type == FileType::Directory,
            "stat {path} gave another node"
        );
    }
    Ok(())
}

fn dot_and_dot_dot_resolve(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b""));
    ensure_eq!(check!(ctx.stat("d/../f")).ino, check!(ctx.stat("f")).ino);
    ensure_eq!(check!(ctx.stat("./d/./")).ino, check!(ctx.stat("d")).ino);
    ensure_eq!(
        check!(ctx.stat("d/..")).ino,
        check!(ctx.stat(ctx.root())).ino
    );
    Ok(())
}

fn chmod_sets_permission_bits(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    for mode in [0o600, 0o777, 0o000, 0o421, 0o644] {
        check!(ctx.chmod("f", mode));
        ensure_eq!(check!(ctx.stat("f")).st_mode(), 0o100000 | mode);
    }
    Ok(())
}

/// As root (the owner, in the file's group) set-user-ID, set-group-ID and sticky
/// bits all stick on a regular file.
fn chmod_sets_special_bits(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    for mode in [0o4755, 0o2755, 0o1644, 0o7777, 0o6711] {
        check!(ctx.chmod("f", mode));
        ensure_eq!(check!(ctx.stat("f")).mode, mode);
    }
    Ok(())
}

fn chmod_on_directory(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.chmod("d", 0o1770));
    ensure_eq!(check!(ctx.stat("d")).st_mode(), 0o041770);
    check!(ctx.chmod("d", 0o700));
    ensure_eq!(check!(ctx.stat("d")).mode, 0o700);
    Ok(())
}

fn chmod_follows_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.chmod("f", 0o644));
    check!(ctx.symlink("f", "l"));
    let link_mode = check!(ctx.lstat("l")).mode;
    check!(ctx.chmod("l", 0o600));
    ensure_eq!(check!(ctx.stat("f")).mode, 0o600);
    ensure_eq!(check!(ctx.lstat("l")).mode, link_mode);
    Ok(())
}

/// A mode change is a status change: ctime moves, atime and mtime stay.
fn chmod_updates_ctime_only(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.age("f"));
    let before = Timespec::now();
    check!(ctx.chmod("f", 0o600));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.atime, attr.mtime), (OLD_TIME, OLD_TIME));
    ensure!(
        attr.ctime.sec >= before.sec - 1,
        "ctime {:?} not updated by chmod",
        attr.ctime
    );
    Ok(())
}

fn chown_sets_uid_and_gid(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.chown("f", Some(1234), Some(5678), true));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.uid, attr.gid), (1234, 5678));
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.chown("d", Some(42), Some(43), true));
    let attr = check!(ctx.stat("d"));
    ensure_eq!((attr.uid, attr.gid), (42, 43));
    Ok(())
}

fn chown_none_leaves_id(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.chown("f", Some(100), Some(200), true));
    check!(ctx.chown("f", Some(101), None, true));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.uid, attr.gid), (101, 200));
    check!(ctx.chown("f", None, Some(201), true));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.uid, attr.gid), (101, 201));
    check!(ctx.chown("f", None, None, true));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.uid, attr.gid), (101, 201));
    Ok(())
}

fn chown_follows_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("f", "l"));
    let link = check!(ctx.lstat("l"));
    check!(ctx.chown("l", Some(300), Some(301), true));
    let file = check!(ctx.stat("f"));
    ensure_eq!((file.uid, file.gid), (300, 301));
    let after = check!(ctx.lstat("l"));
    ensure_eq!((after.uid, after.gid), (link.uid, link.gid));
    Ok(())
}

fn lchown_changes_symlink_only(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("f", "l"));
    check!(ctx.symlink("nowhere", "dangling"));
    let file = check!(ctx.stat("f"));
    check!(ctx.chown("l", Some(400), Some(401), false));
    let link = check!(ctx.lstat("l"));
    ensure_eq!((link.uid, link.gid), (400, 401));
    let after = check!(ctx.stat("f"));
    ensure_eq!((after.uid, after.gid), (file.uid, file.gid));
    check!(ctx.chown("dangling", Some(402), None, false));
    ensure_eq!(check!(ctx.lstat("dangling")).uid, 402);
    expect_errno!(ctx.chown("dangling", Some(402), None, true), Errno::ENOENT);
    Ok(())
}

/// Linux clears set-user-ID (and set-group-ID when group-executable) on an owner or
/// group change of a non-directory, even when root makes it.
fn chown_clears_setuid_and_setgid(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.chmod("f", 0o6755));
    check!(ctx.chown("f", Some(500), Some(501), true));
    ensure_eq!(check!(ctx.stat("f")).mode, 0o755);
    // A directory keeps them.
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.chmod("d", 0o6755));
    check!(ctx.chown("d", Some(500), Some(501), true));
    ensure_eq!(check!(ctx.stat("d")).mode, 0o6755);
    Ok(())
}

fn utimens_keeps_nanoseconds(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    let (atime, mtime) = (
        Timespec::new(1_234_567_890, 123_456_789),
        Timespec::new(1_500_000_000, 999_999_999),
    );
    check!(ctx.utimens(
        "f",
        Some(SetTime::At(atime)),
        Some(SetTime::At(mtime)),
        true
    ));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.atime, attr.mtime), (atime, mtime));
    Ok(())
}

fn utimens_now_sets_current_time(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.age("f"));
    let before = Timespec::now();
    check!(ctx.utimens("f", Some(SetTime::Now), Some(SetTime::Now), true));
    let after = Timespec::now();
    let attr = check!(ctx.stat("f"));
    for (what, time) in [("atime", attr.atime), ("mtime", attr.mtime)] {
        ensure!(
            time.sec >= before.sec - 1 && time.sec <= after.sec + 1,
            "{what} {time:?} is not the current time ({before:?}..{after:?})"
        );
    }
    Ok(())
}

fn utimens_omitted_side_unchanged(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    let (t1, t2) = (
        Timespec::new(1_100_000_000, 1),
        Timespec::new(1_200_000_000, 2),
    );
    check!(ctx.age("f"));
    check!(ctx.utimens("f", Some(SetTime::At(t1)), None, true));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.atime, attr.mtime), (t1, OLD_TIME));
    check!(ctx.utimens("f", None, Some(SetTime::At(t2)), true));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.atime, attr.mtime), (t1, t2));
    check!(ctx.utimens("f", None, None, true));
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.atime, attr.mtime), (t1, t2));
    Ok(())
}

fn utimens_follow_sets_target(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("f", "l"));
    let link = check!(ctx.lstat("l"));
    let t = Timespec::new(1_300_000_000, 500);
    check!(ctx.utimens("l", Some(SetTime::At(t)), Some(SetTime::At(t)), true));
    let file = check!(ctx.stat("f"));
    ensure_eq!((file.atime, file.mtime), (t, t));
    ensure_eq!(check!(ctx.lstat("l")).mtime, link.mtime);
    Ok(())
}

fn utimens_nofollow_sets_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("f", "l"));
    check!(ctx.symlink("nowhere", "dangling"));
    let file = check!(ctx.stat("f"));
    let t = Timespec::new(1_400_000_000, 7);
    check!(ctx.utimens("l", Some(SetTime::At(t)), Some(SetTime::At(t)), false));
    let link = check!(ctx.lstat("l"));
    ensure_eq!((link.atime, link.mtime), (t, t));
    ensure_eq!(check!(ctx.stat("f")).mtime, file.mtime);
    check!(ctx.utimens("dangling", None, Some(SetTime::At(t)), false));
    ensure_eq!(check!(ctx.lstat("dangling")).mtime, t);
    expect_errno!(
        ctx.utimens("dangling", None, Some(SetTime::At(t)), true),
        Errno::ENOENT
    );
    Ok(())
}

fn setattr_on_missing_is_enoent(ctx: &Ctx) -> CaseResult {
    let t = Some(SetTime::At(OLD_TIME));
    expect_errno!(ctx.chmod("missing", 0o644), Errno::ENOENT);
    expect_errno!(ctx.chown("missing", Some(1), Some(1), true), Errno::ENOENT);
    expect_errno!(ctx.chown("missing", Some(1), Some(1), false), Errno::ENOENT);
    expect_errno!(ctx.utimens("missing", t, t, true), Errno::ENOENT);
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.chmod("f/x", 0o644), Errno::ENOTDIR);
    expect_errno!(ctx.utimens("f/", t, t, true), Errno::ENOTDIR);
    Ok(())
}

fn statfs_reports_limits(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    let by_dir = check!(ctx.statfs("."));
    ensure_eq!(by_dir.name_max, 255);
    ensure!(by_dir.block_size > 0, "block size 0");
    let by_file = check!(ctx.statfs("f"));
    ensure_eq!(
        (by_file.name_max, by_file.block_size),
        (by_dir.name_max, by_dir.block_size)
    );
    expect_errno!(ctx.statfs("missing"), Errno::ENOENT);
    expect_errno!(ctx.statfs("f/x"), Errno::ENOTDIR);
    Ok(())
}

fn statfs_figures_are_consistent(ctx: &Ctx) -> CaseResult {
    let st = check!(ctx.statfs("."));
    ensure!(st.blocks > 0, "no blocks: {st:?}");
    ensure!(
        st.blocks_free <= st.blocks,
        "more free blocks than blocks: {st:?}"
    );
    ensure!(
        st.blocks_available <= st.blocks_free,
        "more available than free blocks: {st:?}"
    );
    ensure!(
        st.files_free <= st.files,
        "more free inodes than inodes: {st:?}"
    );
    Ok(())
}

fn access_existing_and_missing(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.mkdir("d", 0o755));
    for path in ["f", "d", "d/"] {
        check!(ctx.access(path, AccessMask::empty()));
        check!(ctx.access(path, AccessMask::READ));
    }
    check!(ctx.access("d", AccessMask::READ | AccessMask::EXECUTE));
    expect_errno!(ctx.access("missing", AccessMask::empty()), Errno::ENOENT);
    expect_errno!(ctx.access("missing", AccessMask::READ), Errno::ENOENT);
    expect_errno!(ctx.access("f/", AccessMask::empty()), Errno::ENOTDIR);
    Ok(())
}
