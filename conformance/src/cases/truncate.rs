//! Cases of the `truncate` area: `truncate` by path and `ftruncate` by handle.

use crate::case::{needs, Area, Case, CaseResult};
use crate::ctx::{read_all, Ctx, OLD_TIME};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    let symlinks_and_sparse = needs::all(&[needs::SYMLINKS, needs::SPARSE]);
    vec![
        Case::new(
            Area::Truncate,
            "shrink_keeps_prefix",
            needs::WRITE,
            shrink_keeps_prefix,
        ),
        Case::new(
            Area::Truncate,
            "to_zero_empties",
            needs::WRITE,
            to_zero_empties,
        ),
        Case::new(
            Area::Truncate,
            "extend_reads_zeros",
            needs::SPARSE,
            extend_reads_zeros,
        ),
        Case::new(
            Area::Truncate,
            "shrink_then_extend_shows_zeros",
            needs::SPARSE,
            shrink_then_extend_shows_zeros,
        ),
        Case::new(
            Area::Truncate,
            "same_size_keeps_content",
            needs::WRITE,
            same_size_keeps_content,
        ),
        Case::new(
            Area::Truncate,
            "keeps_identity_and_mode",
            needs::PERMISSIONS,
            keeps_identity_and_mode,
        ),
        Case::new(
            Area::Truncate,
            "directory_is_eisdir",
            needs::WRITE,
            directory_is_eisdir,
        ),
        Case::new(
            Area::Truncate,
            "missing_is_enoent",
            needs::WRITE,
            missing_is_enoent,
        ),
        Case::new(
            Area::Truncate,
            "trailing_slash_on_file_is_enotdir",
            needs::WRITE,
            trailing_slash_on_file_is_enotdir,
        ),
        Case::new(
            Area::Truncate,
            "follows_symlink",
            symlinks_and_sparse,
            follows_symlink,
        ),
        Case::new(
            Area::Truncate,
            "dangling_symlink_is_enoent",
            needs::SYMLINKS,
            dangling_symlink_is_enoent,
        ),
        Case::new(
            Area::Truncate,
            "ftruncate_shrinks_and_reads_stop",
            needs::WRITE,
            ftruncate_shrinks_and_reads_stop,
        ),
        Case::new(
            Area::Truncate,
            "ftruncate_extends_with_zeros",
            needs::SPARSE,
            ftruncate_extends_with_zeros,
        ),
        Case::new(
            Area::Truncate,
            "ftruncate_read_only_handle_is_einval",
            needs::WRITE,
            ftruncate_read_only_handle_is_einval,
        ),
        Case::new(
            Area::Truncate,
            "ftruncate_directory_handle_is_einval",
            needs::WRITE,
            ftruncate_directory_handle_is_einval,
        ),
        Case::new(
            Area::Truncate,
            "visible_through_open_handle",
            needs::WRITE,
            visible_through_open_handle,
        ),
        Case::new(
            Area::Truncate,
            "updates_mtime_and_ctime",
            needs::TIMESTAMPS,
            updates_mtime_and_ctime,
        ),
        Case::new(
            Area::Truncate,
            "ftruncate_updates_mtime",
            needs::TIMESTAMPS,
            ftruncate_updates_mtime,
        ),
        Case::new(
            Area::Truncate,
            "to_same_size_updates_mtime",
            needs::TIMESTAMPS,
            to_same_size_updates_mtime,
        ),
    ]
}

const DIGITS: &[u8] = b"0123456789";

fn size_and_content(ctx: &Ctx, rel: &str) -> Result<(u64, Vec<u8>), crate::Failure> {
    Ok((check!(ctx.stat(rel)).size, check!(ctx.read_file(rel))))
}

fn shrink_keeps_prefix(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    check!(ctx.truncate("f", 4));
    ensure_eq!(size_and_content(ctx, "f")?, (4, b"0123".to_vec()));
    Ok(())
}

fn to_zero_empties(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", &[9u8; 20_000]));
    check!(ctx.truncate("f", 0));
    ensure_eq!(size_and_content(ctx, "f")?, (0, Vec::new()));
    Ok(())
}

fn extend_reads_zeros(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"abc"));
    check!(ctx.truncate("f", 10_000));
    let (size, content) = size_and_content(ctx, "f")?;
    ensure_eq!(size, 10_000);
    ensure_eq!(&content[..3], b"abc");
    ensure!(
        content[3..].iter().all(|&b| b == 0),
        "the extension does not read as zeros"
    );
    Ok(())
}

/// Bytes cut off by a shrink are gone: extending again shows zeros, not old data.
fn shrink_then_extend_shows_zeros(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", &[0xEEu8; 9000]));
    check!(ctx.truncate("f", 10));
    check!(ctx.truncate("f", 9000));
    let (size, content) = size_and_content(ctx, "f")?;
    ensure_eq!(size, 9000);
    ensure!(
        content[..10].iter().all(|&b| b == 0xEE),
        "the kept prefix changed"
    );
    ensure!(
        content[10..].iter().all(|&b| b == 0),
        "old data came back after shrink and extend"
    );
    Ok(())
}

fn same_size_keeps_content(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    check!(ctx.truncate("f", 10));
    ensure_eq!(size_and_content(ctx, "f")?, (10, DIGITS.to_vec()));
    Ok(())
}

fn keeps_identity_and_mode(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    check!(ctx.chmod("f", 0o600));
    let before = check!(ctx.stat("f"));
    check!(ctx.truncate("f", 3));
    let after = check!(ctx.stat("f"));
    ensure_eq!(
        (after.ino, after.mode, after.file_type),
        (before.ino, 0o600, before.file_type)
    );
    Ok(())
}

fn directory_is_eisdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.truncate("d", 0), Errno::EISDIR);
    expect_errno!(ctx.truncate(".", 10), Errno::EISDIR);
    Ok(())
}

fn missing_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.truncate("missing", 0), Errno::ENOENT);
    expect_errno!(ctx.truncate("nodir/f", 0), Errno::ENOENT);
    expect_errno!(ctx.truncate("", 0), Errno::ENOENT);
    ensure!(!ctx.exists("missing"), "truncate created the file");
    Ok(())
}

fn trailing_slash_on_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    expect_errno!(ctx.truncate("f/", 0), Errno::ENOTDIR);
    expect_errno!(ctx.truncate("f/x", 0), Errno::ENOTDIR);
    ensure_eq!(size_and_content(ctx, "f")?, (10, DIGITS.to_vec()));
    Ok(())
}

fn follows_symlink(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    check!(ctx.symlink("f", "l"));
    check!(ctx.truncate("l", 2));
    ensure_eq!(size_and_content(ctx, "f")?, (2, b"01".to_vec()));
    check!(ctx.truncate("l", 3));
    ensure_eq!(size_and_content(ctx, "f")?, (3, b"01\0".to_vec()));
    // The link itself is untouched: its size is still its target's length.
    ensure_eq!(check!(ctx.lstat("l")).size, 1);
    Ok(())
}

fn dangling_symlink_is_enoent(ctx: &Ctx) -> CaseResult {
    check!(ctx.symlink("nowhere", "l"));
    expect_errno!(ctx.truncate("l", 0), Errno::ENOENT);
    ensure!(
        !ctx.exists("nowhere"),
        "truncate created the symlink's target"
    );
    Ok(())
}

fn ftruncate_shrinks_and_reads_stop(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    let mut file = check!(ctx.open("f", OpenFlags::RDWR, 0));
    check!(file.ftruncate(6));
    ensure_eq!(check!(file.fstat()).size, 6);
    let mut buf = [0u8; 8];
    ensure_eq!(check!(file.pread(&mut buf, 6)), 0);
    ensure_eq!(check!(file.pread(&mut buf, 8)), 0);
    ensure_eq!(check!(file.pread(&mut buf, 4)), 2);
    ensure_eq!(&buf[..2], b"45");
    check!(file.close());
    ensure_eq!(size_and_content(ctx, "f")?, (6, b"012345".to_vec()));
    Ok(())
}

fn ftruncate_extends_with_zeros(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"xy"));
    let mut file = check!(ctx.open("f", OpenFlags::WRONLY, 0));
    check!(file.ftruncate(5000));
    ensure_eq!(check!(file.fstat()).size, 5000);
    check!(file.close());
    let (size, content) = size_and_content(ctx, "f")?;
    ensure_eq!(size, 5000);
    ensure_eq!(&content[..2], b"xy");
    ensure!(
        content[2..].iter().all(|&b| b == 0),
        "the extension does not read as zeros"
    );
    Ok(())
}

/// `ftruncate` on a handle not open for writing is `EINVAL` on Linux, not `EBADF`.
fn ftruncate_read_only_handle_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    let mut file = check!(ctx.open("f", OpenFlags::RDONLY, 0));
    expect_errno!(file.ftruncate(0), Errno::EINVAL);
    expect_errno!(file.ftruncate(20), Errno::EINVAL);
    check!(file.close());
    ensure_eq!(size_and_content(ctx, "f")?, (10, DIGITS.to_vec()));
    Ok(())
}

fn ftruncate_directory_handle_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    let mut dir = check!(ctx.open("d", OpenFlags::RDONLY, 0));
    expect_errno!(dir.ftruncate(0), Errno::EINVAL);
    Ok(())
}

fn visible_through_open_handle(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    let mut file = check!(ctx.open("f", OpenFlags::RDWR, 0));
    check!(ctx.truncate("f", 5));
    ensure_eq!(check!(file.fstat()).size, 5);
    ensure_eq!(check!(read_all(file.as_mut())), b"01234".to_vec());
    // A write past the new end leaves zeros, not the cut-off bytes.
    ensure_eq!(check!(file.pwrite(b"Z", 7)), 1);
    ensure_eq!(check!(read_all(file.as_mut())), b"01234\0\0Z".to_vec());
    Ok(())
}

fn updates_mtime_and_ctime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    check!(ctx.age("f"));
    check!(ctx.truncate("f", 3));
    let attr = check!(ctx.stat("f"));
    ensure!(
        attr.mtime > OLD_TIME,
        "mtime not updated by truncate: {:?}",
        attr.mtime
    );
    ensure!(
        attr.ctime >= attr.mtime,
        "ctime {:?} older than mtime {:?}",
        attr.ctime,
        attr.mtime
    );
    ensure_eq!(attr.atime, OLD_TIME);
    Ok(())
}

fn ftruncate_updates_mtime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    let mut file = check!(ctx.open("f", OpenFlags::WRONLY, 0));
    check!(ctx.age("f"));
    check!(file.ftruncate(1));
    let attr = check!(file.fstat());
    ensure!(
        attr.mtime > OLD_TIME,
        "mtime not updated by ftruncate: {:?}",
        attr.mtime
    );
    ensure!(
        attr.ctime >= attr.mtime,
        "ctime {:?} older than mtime {:?}",
        attr.ctime,
        attr.mtime
    );
    Ok(())
}

/// Linux updates mtime and ctime on every successful truncate, by path or by handle,
/// even when the size does not change (POSIX only promises it for a changed size).
fn to_same_size_updates_mtime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", DIGITS));
    check!(ctx.age("f"));
    check!(ctx.truncate("f", 10));
    ensure!(
        check!(ctx.stat("f")).mtime > OLD_TIME,
        "mtime not updated by truncate to the same size"
    );
    let mut file = check!(ctx.open("f", OpenFlags::RDWR, 0));
    check!(ctx.age("f"));
    check!(file.ftruncate(10));
    let attr = check!(file.fstat());
    ensure!(
        attr.mtime > OLD_TIME,
        "mtime not updated by ftruncate to the same size"
    );
    ensure!(
        attr.ctime >= attr.mtime,
        "ctime {:?} older than mtime {:?}",
        attr.ctime,
        attr.mtime
    );
    ensure_eq!(check!(read_all(file.as_mut())), DIGITS.to_vec());
    Ok(())
}
