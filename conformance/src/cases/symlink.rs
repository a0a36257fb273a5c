//! Cases of the `symlink` area: `symlink`, `readlink` and following links.

use crate::case::{needs, Case, CaseResult};
use crate::ctx::Ctx;
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    area_cases![Symlink;
        needs::SYMLINKS => readlink_returns_exact_target,
        needs::SYMLINKS => lstat_is_symlink_sized_as_target,
        needs::all(&[needs::SYMLINKS, needs::PERMISSIONS]) => mode_is_0777,
        needs::SYMLINKS => stat_follows,
        needs::SYMLINKS => walked_path_follows_a_replaced_symlink,
        needs::SYMLINKS => open_through_relative_symlink,
        needs::SYMLINKS => open_through_absolute_symlink,
        needs::SYMLINKS => relative_target_is_relative_to_link_dir,
        needs::SYMLINKS => dir_symlink_as_path_component,
        needs::SYMLINKS => empty_target_is_enoent,
        needs::SYMLINKS => existing_name_is_eexist,
        needs::SYMLINKS => new_name_trailing_slash_is_enoent,
        needs::SYMLINKS => missing_parent_is_enoent,
        needs::SYMLINKS => readlink_of_non_symlink_is_einval,
        needs::SYMLINKS => readlink_of_missing_is_enoent,
        needs::SYMLINKS => readlink_through_dir_symlink,
        needs::SYMLINKS => dangling_stat_enoent_lstat_works,
        needs::SYMLINKS => create_through_dangling_symlink,
        needs::SYMLINKS => exclusive_create_on_symlink_is_eexist,
        needs::SYMLINKS => two_link_loop_is_eloop,
        needs::SYMLINKS => self_loop_is_eloop,
        needs::SYMLINKS => chain_of_40_resolves,
        needs::SYMLINKS => chain_of_41_is_eloop,
        needs::SYMLINKS => target_of_4095_bytes_allowed,
        needs::SYMLINKS => target_of_4096_bytes_is_enametoolong,
        needs::SYMLINKS => trailing_slash_on_dir_symlink_follows,
        needs::SYMLINKS => trailing_slash_on_file_symlink_is_enotdir,
    ]
}

/// Makes `f` holding "content" and a chain `l1 -> l2 -> ... -> l<links> -> f`:
/// resolving `l1` follows exactly `links` symlinks.
fn make_chain(ctx: &Ctx, links: usize) -> CaseResult {
    check!(ctx.write_file("f", b"content"));
    for i in 1..=links {
        let target = if i == links {
            "f".to_string()
        } else {
            format!("l{}", i + 1)
        };
        check!(ctx.symlink(target, format!("l{i}")));
    }
    Ok(())
}

/// A relative target of exactly `len` bytes made of short components.
fn long_target(len: usize) -> Vec<u8> {
    let mut target = b"ab/".repeat(len / 3);
    target.resize(len, b'c');
    target
}

fn readlink_returns_exact_target(ctx: &Ctx) -> CaseResult {
    let absolute = format!("{}/f", ctx.root());
    let targets: [&[u8]; 8] = [
        b"f",
        absolute.as_bytes(),
        b"nowhere/at/all",
        b"../x/../y",
        b"dir/",
        b"a//b/./c/",
        b"/",
        b"caf\xe9 \xff name",
    ];
    for (i, target) in targets.iter().enumerate() {
        let name = format!("l{i}");
        check!(ctx.symlink(target, &name));
        ensure_eq!(check!(ctx.readlink(&name)), target.to_vec());
    }
    Ok(())
}

fn lstat_is_symlink_sized_as_target(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"0123456789"));
    check!(ctx.symlink("../whatever/f", "l"));
    let attr = check!(ctx.lstat("l"));
    ensure_eq!(attr.file_type, FileType::Symlink);
    ensure_eq!(attr.size, 13);
    Ok(())
}

fn mode_is_0777(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("f", "l"));
    ensure_eq!(check!(ctx.lstat("l")).mode, 0o777);
    Ok(())
}

fn stat_follows(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"0123456789"));
    check!(ctx.symlink("f", "l"));
    let (file, link) = (check!(ctx.stat("f")), check!(ctx.stat("l")));
    ensure_eq!(link.file_type, FileType::Regular);
    ensure_eq!(link.ino, file.ino);
    ensure_eq!(link.size, 10);
    Ok(())
}

fn open_through_relative_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"via relative"));
    check!(ctx.symlink("f", "l"));
    ensure_eq!(check!(ctx.read_file("l")), b"via relative");
    Ok(())
}

fn open_through_absolute_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b"via absolute"));
    check!(ctx.symlink(format!("{}/f", ctx.root()), "d/l"));
    ensure_eq!(check!(ctx.read_file("d/l")), b"via absolute");
    Ok(())
}

fn relative_target_is_relative_to_link_dir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b"top"));
    check!(ctx.write_file("d/f", b"inner"));
    check!(ctx.symlink("f", "d/l"));
    check!(ctx.symlink("../f", "d/up"));
    ensure_eq!(check!(ctx.read_file("d/l")), b"inner");
    ensure_eq!(check!(ctx.read_file("d/up")), b"top");
    Ok(())
}

fn dir_symlink_as_path_component(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("d", "l"));
    check!(ctx.write_file("l/f", b"through link"));
    ensure_eq!(check!(ctx.read_file("d/f")), b"through link");
    ensure_eq!(check!(ctx.names("l")), vec!["f"]);
    ensure_eq!(check!(ctx.stat("l/f")).ino, check!(ctx.stat("d/f")).ino);
    Ok(())
}

fn empty_target_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.symlink("", "l"), Errno::ENOENT);
    ensure!(
        !ctx.exists("l"),
        "a symlink with an empty target was created"
    );
    Ok(())
}

fn existing_name_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"kept"));
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("nowhere", "l"));
    for name in ["f", "d", "l", "d/"] {
        expect_errno!(ctx.symlink("x", name), Errno::EEXIST);
    }
    ensure_eq!(check!(ctx.read_file("f")), b"kept");
    ensure_eq!(check!(ctx.readlink("l")), b"nowhere");
    Ok(())
}

/// A new non-directory name with a trailing slash: Linux answers `ENOENT`.
fn new_name_trailing_slash_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.symlink("x", "l/"), Errno::ENOENT);
    ensure!(
        !ctx.exists("l"),
        "symlink with a trailing slash created a name"
    );
    Ok(())
}

fn missing_parent_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.symlink("x", "nodir/l"), Errno::ENOENT);
    Ok(())
}

fn readlink_of_non_symlink_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.readlink("f"), Errno::EINVAL);
    expect_errno!(ctx.readlink("d"), Errno::EINVAL);
    Ok(())
}

fn readlink_of_missing_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.readlink("missing"), Errno::ENOENT);
    expect_errno!(ctx.readlink("nodir/l"), Errno::ENOENT);
    Ok(())
}

fn readlink_through_dir_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("target", "d/inner"));
    check!(ctx.symlink("d", "l"));
    ensure_eq!(check!(ctx.readlink("l/inner")), b"target");
    Ok(())
}

fn dangling_stat_enoent_lstat_works(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("nowhere", "l"));
    expect_errno!(ctx.stat("l"), Errno::ENOENT);
    expect_errno!(ctx.open("l", OpenFlags::RDONLY, 0), Errno::ENOENT);
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    ensure_eq!(check!(ctx.names(".")), vec!["l"]);
    Ok(())
}

/// `open(O_CREAT)` without `O_EXCL` follows a dangling symlink and creates its target.
fn create_through_dangling_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("d/new", "l"));
    check!(ctx.write_file("l", b"created"));
    ensure_eq!(check!(ctx.read_file("d/new")), b"created");
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    Ok(())
}

/// `O_CREAT | O_EXCL` never follows a final symlink, dangling or not: `EEXIST`.
fn exclusive_create_on_symlink_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("f", "to_file"));
    check!(ctx.symlink("nowhere", "dangling"));
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    expect_errno!(ctx.open("to_file", flags, 0o644), Errno::EEXIST);
    expect_errno!(ctx.open("dangling", flags, 0o644), Errno::EEXIST);
    ensure!(
        !ctx.exists("nowhere"),
        "O_EXCL created the dangling symlink's target"
    );
    Ok(())
}

fn two_link_loop_is_eloop(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("b", "a"));
    check!(ctx.symlink("a", "b"));
    expect_errno!(ctx.stat("a"), Errno::ELOOP);
    expect_errno!(ctx.open("b", OpenFlags::RDONLY, 0), Errno::ELOOP);
    expect_errno!(ctx.stat("a/x"), Errno::ELOOP);
    ensure_eq!(check!(ctx.lstat("a")).file_type, FileType::Symlink);
    Ok(())
}

fn self_loop_is_eloop(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("l", "l"));
    expect_errno!(ctx.stat("l"), Errno::ELOOP);
    expect_errno!(ctx.write_file("l", b""), Errno::ELOOP);
    ensure_eq!(check!(ctx.readlink("l")), b"l");
    Ok(())
}

/// Linux follows at most 40 symlinks (`MAXSYMLINKS`) in one resolution.
fn chain_of_40_resolves(ctx: &Ctx) -> CaseResult {
    make_chain(ctx, 40)?;
    ensure_eq!(check!(ctx.read_file("l1")), b"content");
    ensure_eq!(check!(ctx.stat("l1")).file_type, FileType::Regular);
    Ok(())
}

fn chain_of_41_is_eloop(ctx: &Ctx) -> CaseResult {
    make_chain(ctx, 41)?;
    expect_errno!(ctx.stat("l1"), Errno::ELOOP);
    expect_errno!(ctx.open("l1", OpenFlags::RDONLY, 0), Errno::ELOOP);
    ensure_eq!(check!(ctx.read_file("l2")), b"content");
    Ok(())
}

fn target_of_4095_bytes_allowed(ctx: &Ctx) -> CaseResult {
    let target = long_target(4095);
    check!(ctx.symlink(&target, "l"));
    ensure_eq!(check!(ctx.readlink("l")), target);
    ensure_eq!(check!(ctx.lstat("l")).size, 4095);
    Ok(())
}

/// The target is a path: 4096 bytes or more is `ENAMETOOLONG` (Linux `PATH_MAX`
/// counts the terminating NUL).
fn target_of_4096_bytes_is_enametoolong(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.symlink(long_target(4096), "l"), Errno::ENAMETOOLONG);
    expect_errno!(ctx.symlink(long_target(10_000), "m"), Errno::ENAMETOOLONG);
    ensure!(check!(ctx.names(".")).is_empty(), "a symlink was created");
    Ok(())
}

fn trailing_slash_on_dir_symlink_follows(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("d", "l"));
    let attr = check!(ctx.lstat("l/"));
    ensure_eq!(attr.file_type, FileType::Directory);
    ensure_eq!(attr.ino, check!(ctx.stat("d")).ino);
    ensure_eq!(check!(ctx.stat("l/.")).ino, attr.ino);
    Ok(())
}

fn trailing_slash_on_file_symlink_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("f", "l"));
    expect_errno!(ctx.stat("l/"), Errno::ENOTDIR);
    expect_errno!(ctx.lstat("l/"), Errno::ENOTDIR);
    expect_errno!(ctx.open("l/", OpenFlags::RDONLY, 0), Errno::ENOTDIR);
    Ok(())
}

/// A path through a symlink, walked before the symlink is replaced, leads where
/// the new one points after it.
fn walked_path_follows_a_replaced_symlink(ctx: &Ctx) -> CaseResult {
    for dir in ["one", "two"] {
        check!(ctx.mkdir(dir, 0o755));
    }
    check!(ctx.write_file("one/f", b"1"));
    check!(ctx.write_file("two/f", b"22"));
    check!(ctx.symlink("one", "l"));
    ensure_eq!(check!(ctx.stat("l/f")).size, 1);
    check!(ctx.unlink("l"));
    expect_errno!(ctx.stat("l/f"), Errno::ENOENT);
    check!(ctx.symlink("two", "l"));
    ensure_eq!(check!(ctx.stat("l/f")).size, 2);
    Ok(())
}
