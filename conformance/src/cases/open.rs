//! Cases of the `open` area: creation, flags, and what the resulting handle allows.

use crate::case::{needs, Area, Case, CaseResult};
use crate::ctx::{read_all, Ctx};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType, OpenFlags};

const RO: OpenFlags = OpenFlags::RDONLY;
const WO: OpenFlags = OpenFlags::WRONLY;
const RW: OpenFlags = OpenFlags::RDWR;
const CREATE: OpenFlags = OpenFlags::CREATE;
const EXCL: OpenFlags = OpenFlags::CREATE.union(OpenFlags::EXCLUSIVE);

pub(super) fn cases() -> Vec<Case> {
    let symlinks_and_permissions = needs::all(&[needs::SYMLINKS, needs::PERMISSIONS]);
    vec![
        Case::new(
            Area::Open,
            "create_makes_empty_regular_file",
            needs::WRITE,
            create_makes_empty_regular_file,
        ),
        Case::new(
            Area::Open,
            "create_sets_given_mode",
            needs::PERMISSIONS,
            create_sets_given_mode,
        ),
        Case::new(
            Area::Open,
            "create_owner_is_caller",
            needs::OWNERSHIP,
            create_owner_is_caller,
        ),
        Case::new(
            Area::Open,
            "create_with_mode_000_still_writable",
            needs::PERMISSIONS,
            create_with_mode_000_still_writable,
        ),
        Case::new(
            Area::Open,
            "create_exclusive_makes_new_file",
            needs::WRITE,
            create_exclusive_makes_new_file,
        ),
        Case::new(
            Area::Open,
            "create_exclusive_on_file_is_eexist",
            needs::WRITE,
            create_exclusive_on_file_is_eexist,
        ),
        Case::new(
            Area::Open,
            "create_exclusive_on_dir_is_eexist",
            needs::WRITE,
            create_exclusive_on_dir_is_eexist,
        ),
        Case::new(
            Area::Open,
            "create_exclusive_on_dangling_symlink_is_eexist",
            needs::SYMLINKS,
            create_exclusive_on_dangling_symlink_is_eexist,
        ),
        Case::new(
            Area::Open,
            "create_exclusive_on_symlink_to_file_is_eexist",
            needs::SYMLINKS,
            create_exclusive_on_symlink_to_file_is_eexist,
        ),
        Case::new(
            Area::Open,
            "create_on_existing_file_keeps_content",
            needs::WRITE,
            create_on_existing_file_keeps_content,
        ),
        Case::new(
            Area::Open,
            "create_on_existing_file_keeps_mode",
            needs::PERMISSIONS,
            create_on_existing_file_keeps_mode,
        ),
        Case::new(
            Area::Open,
            "truncate_flag_empties_file",
            needs::WRITE,
            truncate_flag_empties_file,
        ),
        Case::new(
            Area::Open,
            "create_with_trailing_slash_is_eisdir",
            needs::WRITE,
            create_with_trailing_slash_is_eisdir,
        ),
        Case::new(
            Area::Open,
            "create_on_existing_dir_is_eisdir",
            needs::WRITE,
            create_on_existing_dir_is_eisdir,
        ),
        Case::new(
            Area::Open,
            "write_open_of_dir_is_eisdir",
            needs::WRITE,
            write_open_of_dir_is_eisdir,
        ),
        Case::new(
            Area::Open,
            "truncate_flag_on_dir_is_eisdir",
            needs::WRITE,
            truncate_flag_on_dir_is_eisdir,
        ),
        Case::new(
            Area::Open,
            "read_only_open_of_dir_works",
            needs::WRITE,
            read_only_open_of_dir_works,
        ),
        Case::new(
            Area::Open,
            "directory_flag_on_file_is_enotdir",
            needs::WRITE,
            directory_flag_on_file_is_enotdir,
        ),
        Case::new(
            Area::Open,
            "directory_flag_on_dir_works",
            needs::WRITE,
            directory_flag_on_dir_works,
        ),
        Case::new(
            Area::Open,
            "nofollow_on_symlink_is_eloop",
            needs::SYMLINKS,
            nofollow_on_symlink_is_eloop,
        ),
        Case::new(
            Area::Open,
            "nofollow_follows_middle_symlink",
            needs::SYMLINKS,
            nofollow_follows_middle_symlink,
        ),
        Case::new(
            Area::Open,
            "nofollow_create_on_dangling_symlink_is_eloop",
            needs::SYMLINKS,
            nofollow_create_on_dangling_symlink_is_eloop,
        ),
        Case::new(
            Area::Open,
            "symlink_loop_is_eloop",
            needs::SYMLINKS,
            symlink_loop_is_eloop,
        ),
        Case::new(
            Area::Open,
            "through_symlink_opens_target",
            needs::SYMLINKS,
            through_symlink_opens_target,
        ),
        Case::new(
            Area::Open,
            "create_through_dangling_symlink_creates_target",
            symlinks_and_permissions,
            create_through_dangling_symlink_creates_target,
        ),
        Case::new(
            Area::Open,
            "missing_file_is_enoent",
            needs::WRITE,
            missing_file_is_enoent,
        ),
        Case::new(
            Area::Open,
            "missing_parent_is_enoent",
            needs::WRITE,
            missing_parent_is_enoent,
        ),
        Case::new(
            Area::Open,
            "file_as_directory_component_is_enotdir",
            needs::WRITE,
            file_as_directory_component_is_enotdir,
        ),
        Case::new(
            Area::Open,
            "trailing_slash_on_file_is_enotdir",
            needs::WRITE,
            trailing_slash_on_file_is_enotdir,
        ),
        Case::new(
            Area::Open,
            "empty_path_is_enoent",
            needs::WRITE,
            empty_path_is_enoent,
        ),
        Case::new(
            Area::Open,
            "dot_in_directory_opens_it",
            needs::WRITE,
            dot_in_directory_opens_it,
        ),
        Case::new(
            Area::Open,
            "create_in_removed_directory_is_enoent",
            needs::WRITE,
            create_in_removed_directory_is_enoent,
        ),
        Case::new(
            Area::Open,
            "append_writes_land_at_end",
            needs::WRITE,
            append_writes_land_at_end,
        ),
        Case::new(
            Area::Open,
            "append_follows_growth_by_other_handle",
            needs::WRITE,
            append_follows_growth_by_other_handle,
        ),
        Case::new(
            Area::Open,
            "read_of_write_only_handle_is_ebadf",
            needs::WRITE,
            read_of_write_only_handle_is_ebadf,
        ),
        Case::new(
            Area::Open,
            "write_of_read_only_handle_is_ebadf",
            needs::WRITE,
            write_of_read_only_handle_is_ebadf,
        ),
        Case::new(
            Area::Open,
            "second_handle_sees_writes",
            needs::WRITE,
            second_handle_sees_writes,
        ),
    ]
}

/// Creates directory `d` and regular file `f` holding `hello`.
fn file_and_dir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("f", b"hello"));
    Ok(())
}

fn create_makes_empty_regular_file(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("f", WO | CREATE, 0o644));
    let attr = check!(file.fstat());
    ensure_eq!(attr.file_type, FileType::Regular);
    ensure_eq!(attr.size, 0);
    check!(file.close());
    ensure_eq!(check!(ctx.stat("f")).ino, attr.ino);
    ensure_eq!(check!(ctx.names(".")), vec!["f".to_string()]);
    Ok(())
}

fn create_sets_given_mode(ctx: &Ctx) -> CaseResult {
    for (name, mode) in [("a", 0o640), ("b", 0o755), ("c", 0o600), ("d", 0o444)] {
        check!(check!(ctx.open(name, WO | CREATE, mode)).close());
        let attr = check!(ctx.stat(name));
        ensure_eq!(attr.st_mode(), 0o100000 | mode);
    }
    Ok(())
}

fn create_owner_is_caller(ctx: &Ctx) -> CaseResult {
    // The scratch directory was made by the same caller, so it carries its ids.
    let parent = check!(ctx.stat(ctx.root()));
    check!(check!(ctx.open("f", WO | CREATE, 0o644)).close());
    let attr = check!(ctx.stat("f"));
    ensure_eq!((attr.uid, attr.gid), (parent.uid, parent.gid));
    Ok(())
}

/// The open that creates a file gets the access it asked for, whatever the mode.
fn create_with_mode_000_still_writable(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("f", RW | EXCL, 0));
    ensure_eq!(check!(file.pwrite(b"data", 0)), 4);
    check!(file.close());
    let attr = check!(ctx.stat("f"));
    ensure_eq!(attr.mode, 0);
    ensure_eq!(attr.size, 4);
    Ok(())
}

fn create_exclusive_makes_new_file(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("f", RW | EXCL, 0o644));
    ensure_eq!(check!(file.pwrite(b"x", 0)), 1);
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"x".to_vec());
    Ok(())
}

fn create_exclusive_on_file_is_eexist(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    expect_errno!(ctx.open("f", WO | EXCL, 0o644), Errno::EEXIST);
    expect_errno!(ctx.open("f", RO | EXCL, 0o644), Errno::EEXIST);
    ensure_eq!(check!(ctx.read_file("f")), b"hello".to_vec());
    Ok(())
}

fn create_exclusive_on_dir_is_eexist(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    expect_errno!(ctx.open("d", RO | EXCL, 0o644), Errno::EEXIST);
    expect_errno!(ctx.open("d", WO | EXCL, 0o644), Errno::EEXIST);
    ensure_eq!(check!(ctx.lstat("d")).file_type, FileType::Directory);
    Ok(())
}

/// `O_EXCL` never follows a final symlink, dangling or not: the name exists.
fn create_exclusive_on_dangling_symlink_is_eexist(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("nowhere", "l"));
    expect_errno!(ctx.open("l", WO | EXCL, 0o644), Errno::EEXIST);
    ensure!(
        !ctx.exists("nowhere"),
        "O_EXCL created the symlink's target"
    );
    ensure_eq!(check!(ctx.names(".")), vec!["l".to_string()]);
    Ok(())
}

fn create_exclusive_on_symlink_to_file_is_eexist(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    check!(ctx.symlink("f", "l"));
    expect_errno!(ctx.open("l", RW | EXCL, 0o644), Errno::EEXIST);
    ensure_eq!(check!(ctx.read_file("f")), b"hello".to_vec());
    Ok(())
}

fn create_on_existing_file_keeps_content(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let ino = check!(ctx.stat("f")).ino;
    let mut file = check!(ctx.open("f", RW | CREATE, 0o644));
    let attr = check!(file.fstat());
    ensure_eq!((attr.ino, attr.size), (ino, 5));
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"hello".to_vec());
    Ok(())
}

/// The mode argument only applies when the file is created.
fn create_on_existing_file_keeps_mode(ctx: &Ctx) -> CaseResult {
    check!(check!(ctx.open("f", WO | EXCL, 0o600)).close());
    check!(check!(ctx.open("f", WO | CREATE, 0o777)).close());
    ensure_eq!(check!(ctx.stat("f")).mode, 0o600);
    Ok(())
}

fn truncate_flag_empties_file(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let mut file = check!(ctx.open("f", RW | OpenFlags::TRUNCATE, 0));
    ensure_eq!(check!(file.fstat()).size, 0);
    let mut buf = [0u8; 8];
    ensure_eq!(check!(file.pread(&mut buf, 0)), 0);
    ensure_eq!(check!(file.pwrite(b"ab", 0)), 2);
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"ab".to_vec());
    Ok(())
}

/// A name ending in `/` can only be a directory, so `O_CREAT` refuses to make a file.
fn create_with_trailing_slash_is_eisdir(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.open("new/", WO | CREATE, 0o644), Errno::EISDIR);
    expect_errno!(ctx.open("new/", RW | EXCL, 0o644), Errno::EISDIR);
    ensure!(!ctx.exists("new"), "a file was created for 'new/'");
    Ok(())
}

/// Even a read-only `O_CREAT` open of an existing directory fails.
fn create_on_existing_dir_is_eisdir(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    expect_errno!(ctx.open("d", WO | CREATE, 0o644), Errno::EISDIR);
    expect_errno!(ctx.open("d", RO | CREATE, 0o644), Errno::EISDIR);
    expect_errno!(ctx.open("d/", RW | CREATE, 0o644), Errno::EISDIR);
    Ok(())
}

fn write_open_of_dir_is_eisdir(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    expect_errno!(ctx.open("d", WO, 0), Errno::EISDIR);
    expect_errno!(ctx.open("d", RW, 0), Errno::EISDIR);
    expect_errno!(ctx.open(".", RW, 0), Errno::EISDIR);
    Ok(())
}

/// `O_TRUNC` asks for write access, so even `O_RDONLY|O_TRUNC` of a directory fails.
fn truncate_flag_on_dir_is_eisdir(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    check!(ctx.write_file("d/inner", b"keep"));
    expect_errno!(ctx.open("d", RO | OpenFlags::TRUNCATE, 0), Errno::EISDIR);
    ensure_eq!(check!(ctx.read_file("d/inner")), b"keep".to_vec());
    Ok(())
}

fn read_only_open_of_dir_works(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let mut dir = check!(ctx.open("d", RO, 0));
    let attr = check!(dir.fstat());
    ensure_eq!(attr.file_type, FileType::Directory);
    ensure_eq!(attr.ino, check!(ctx.stat("d")).ino);
    check!(dir.close());
    Ok(())
}

fn directory_flag_on_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    expect_errno!(ctx.open("f", RO | OpenFlags::DIRECTORY, 0), Errno::ENOTDIR);
    Ok(())
}

fn directory_flag_on_dir_works(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    check!(ctx.write_file("d/x", b""));
    let mut dir = check!(ctx.open("d", RO | OpenFlags::DIRECTORY, 0));
    ensure_eq!(check!(dir.fstat()).file_type, FileType::Directory);
    let names: Vec<Vec<u8>> = check!(dir.read_dir()).into_iter().map(|e| e.name).collect();
    ensure_eq!(names, vec![b"x".to_vec()]);
    check!(dir.close());
    Ok(())
}

fn nofollow_on_symlink_is_eloop(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    check!(ctx.symlink("f", "lf"));
    check!(ctx.symlink("d", "ld"));
    expect_errno!(ctx.open("lf", RO | OpenFlags::NOFOLLOW, 0), Errno::ELOOP);
    expect_errno!(ctx.open("lf", WO | OpenFlags::NOFOLLOW, 0), Errno::ELOOP);
    expect_errno!(ctx.open("ld", RO | OpenFlags::NOFOLLOW, 0), Errno::ELOOP);
    // A plain file opens fine with O_NOFOLLOW.
    check!(check!(ctx.open("f", RO | OpenFlags::NOFOLLOW, 0)).close());
    Ok(())
}

/// `O_NOFOLLOW` only concerns the last component.
fn nofollow_follows_middle_symlink(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    check!(ctx.write_file("d/inner", b"inside"));
    check!(ctx.symlink("d", "ld"));
    let mut file = check!(ctx.open("ld/inner", RO | OpenFlags::NOFOLLOW, 0));
    ensure_eq!(check!(read_all(file.as_mut())), b"inside".to_vec());
    check!(file.close());
    Ok(())
}

fn nofollow_create_on_dangling_symlink_is_eloop(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("target", "l"));
    expect_errno!(
        ctx.open("l", WO | CREATE | OpenFlags::NOFOLLOW, 0o644),
        Errno::ELOOP
    );
    ensure!(
        !ctx.exists("target"),
        "O_NOFOLLOW create made the symlink's target"
    );
    Ok(())
}

fn symlink_loop_is_eloop(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("self", "self"));
    check!(ctx.symlink("b", "a"));
    check!(ctx.symlink("a", "b"));
    expect_errno!(ctx.open("self", RO, 0), Errno::ELOOP);
    expect_errno!(ctx.open("a", RO, 0), Errno::ELOOP);
    expect_errno!(ctx.open("a", WO | CREATE, 0o644), Errno::ELOOP);
    expect_errno!(ctx.open("a/x", RO, 0), Errno::ELOOP);
    Ok(())
}

fn through_symlink_opens_target(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    check!(ctx.symlink("f", "l"));
    let mut file = check!(ctx.open("l", RW, 0));
    ensure_eq!(check!(file.fstat()).ino, check!(ctx.stat("f")).ino);
    ensure_eq!(check!(file.pwrite(b"J", 0)), 1);
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"Jello".to_vec());
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    Ok(())
}

/// Linux follows a dangling final symlink on `O_CREAT` (without `O_EXCL`) and creates
/// the file it points to, with the given mode.
fn create_through_dangling_symlink_creates_target(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("d/target", "l"));
    let mut file = check!(ctx.open("l", WO | CREATE, 0o640));
    ensure_eq!(check!(file.pwrite(b"via link", 0)), 8);
    check!(file.close());
    let attr = check!(ctx.lstat("d/target"));
    ensure_eq!(attr.st_mode(), 0o100640);
    ensure_eq!(check!(ctx.read_file("d/target")), b"via link".to_vec());
    ensure_eq!(check!(ctx.lstat("l")).file_type, FileType::Symlink);
    ensure_eq!(check!(ctx.readlink("l")), b"d/target".to_vec());
    Ok(())
}

fn missing_file_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.open("missing", RO, 0), Errno::ENOENT);
    expect_errno!(ctx.open("missing", RW, 0), Errno::ENOENT);
    expect_errno!(
        ctx.open("missing", RO | OpenFlags::TRUNCATE, 0),
        Errno::ENOENT
    );
    ensure!(!ctx.exists("missing"), "a failed open created the file");
    Ok(())
}

fn missing_parent_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.open("nodir/f", RO, 0), Errno::ENOENT);
    expect_errno!(ctx.open("nodir/f", WO | CREATE, 0o644), Errno::ENOENT);
    expect_errno!(ctx.open("nodir/sub/f", WO | EXCL, 0o644), Errno::ENOENT);
    ensure_eq!(check!(ctx.names(".")), Vec::<String>::new());
    Ok(())
}

fn file_as_directory_component_is_enotdir(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    expect_errno!(ctx.open("f/x", RO, 0), Errno::ENOTDIR);
    expect_errno!(ctx.open("f/x", WO | CREATE, 0o644), Errno::ENOTDIR);
    expect_errno!(ctx.open("f/x/y", RO, 0), Errno::ENOTDIR);
    Ok(())
}

fn trailing_slash_on_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    expect_errno!(ctx.open("f/", RO, 0), Errno::ENOTDIR);
    expect_errno!(ctx.open("f/", WO, 0), Errno::ENOTDIR);
    expect_errno!(ctx.open("f/.", RO, 0), Errno::ENOTDIR);
    Ok(())
}

fn empty_path_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.open("", RO, 0), Errno::ENOENT);
    expect_errno!(ctx.open("", WO | CREATE, 0o644), Errno::ENOENT);
    Ok(())
}

fn dot_in_directory_opens_it(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let ino = check!(ctx.stat("d")).ino;
    for path in ["d/.", "d/", "d/./", "d/../d"] {
        let mut dir = check!(ctx.open(path, RO, 0));
        let attr = check!(dir.fstat());
        ensure!(
            attr.file_type == FileType::Directory && attr.ino == ino,
            "{path} opened {:?} ino {} (want directory ino {ino})",
            attr.file_type,
            attr.ino
        );
        check!(dir.close());
    }
    Ok(())
}

fn create_in_removed_directory_is_enoent(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.rmdir("d"));
    expect_errno!(ctx.open("d/x", WO | CREATE, 0o644), Errno::ENOENT);
    ensure!(!ctx.exists("d"), "the removed directory came back");
    Ok(())
}

fn append_writes_land_at_end(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let mut file = check!(ctx.open("f", WO | OpenFlags::APPEND, 0));
    ensure_eq!(check!(file.append(b" world")), 6);
    ensure_eq!(check!(file.append(b"!")), 1);
    ensure_eq!(check!(file.fstat()).size, 12);
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"hello world!".to_vec());
    Ok(())
}

/// An `O_APPEND` write goes to the end as it is at the time of the write, even when
/// another handle grew the file after the open.
fn append_follows_growth_by_other_handle(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let mut appender = check!(ctx.open("f", WO | OpenFlags::APPEND, 0));
    let mut writer = check!(ctx.open("f", WO, 0));
    ensure_eq!(check!(writer.pwrite(b"XY", 8)), 2);
    ensure_eq!(check!(appender.append(b"end")), 3);
    check!(writer.close());
    check!(appender.close());
    ensure_eq!(check!(ctx.read_file("f")), b"hello\0\0\0XYend".to_vec());
    Ok(())
}

fn read_of_write_only_handle_is_ebadf(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let mut file = check!(ctx.open("f", WO, 0));
    let mut buf = [0u8; 4];
    expect_errno!(file.pread(&mut buf, 0), Errno::EBADF);
    let mut appender = check!(ctx.open("f", WO | OpenFlags::APPEND, 0));
    expect_errno!(appender.pread(&mut buf, 0), Errno::EBADF);
    Ok(())
}

fn write_of_read_only_handle_is_ebadf(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let mut file = check!(ctx.open("f", RO, 0));
    expect_errno!(file.pwrite(b"x", 0), Errno::EBADF);
    expect_errno!(file.pwrite(b"x", 100), Errno::EBADF);
    check!(file.close());
    let attr = check!(ctx.stat("f"));
    ensure_eq!(attr.size, 5);
    ensure_eq!(check!(ctx.read_file("f")), b"hello".to_vec());
    Ok(())
}

fn second_handle_sees_writes(ctx: &Ctx) -> CaseResult {
    file_and_dir(ctx)?;
    let mut one = check!(ctx.open("f", RW, 0));
    let mut two = check!(ctx.open("f", RW, 0));
    ensure_eq!(check!(one.pwrite(b"HE", 0)), 2);
    ensure_eq!(check!(read_all(two.as_mut())), b"HEllo".to_vec());
    ensure_eq!(check!(two.pwrite(b"LLO!", 2)), 4);
    ensure_eq!(check!(read_all(one.as_mut())), b"HELLO!".to_vec());
    ensure_eq!(check!(one.fstat()).size, 6);
    Ok(())
}
