//! Cases of the `read` area: `pread` results at every position, holes, large reads,
//! and what reading does to timestamps.

use crate::case::{needs, Area, Case, CaseResult};
use crate::ctx::{read_all, Ctx, OLD_TIME};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            Area::Read,
            "empty_file_reads_nothing",
            needs::WRITE,
            empty_file_reads_nothing,
        ),
        Case::new(
            Area::Read,
            "at_and_past_eof_reads_nothing",
            needs::WRITE,
            at_and_past_eof_reads_nothing,
        ),
        Case::new(
            Area::Read,
            "short_read_at_end",
            needs::WRITE,
            short_read_at_end,
        ),
        Case::new(
            Area::Read,
            "zero_length_read_returns_zero",
            needs::WRITE,
            zero_length_read_returns_zero,
        ),
        Case::new(Area::Read, "middle_of_file", needs::WRITE, middle_of_file),
        Case::new(
            Area::Read,
            "hole_reads_zeros",
            needs::SPARSE,
            hole_reads_zeros,
        ),
        Case::new(
            Area::Read,
            "large_file_at_odd_offsets",
            needs::WRITE,
            large_file_at_odd_offsets,
        ),
        Case::new(
            Area::Read,
            "handles_read_independently",
            needs::WRITE,
            handles_read_independently,
        ),
        Case::new(
            Area::Read,
            "directory_handle_is_eisdir",
            needs::WRITE,
            directory_handle_is_eisdir,
        ),
        Case::new(
            Area::Read,
            "after_unlink_while_open",
            needs::UNLINKED_OPEN,
            after_unlink_while_open,
        ),
        Case::new(
            Area::Read,
            "sees_truncation_by_other_handle",
            needs::WRITE,
            sees_truncation_by_other_handle,
        ),
        Case::new(
            Area::Read,
            "rdwr_handle_reads_own_writes",
            needs::WRITE,
            rdwr_handle_reads_own_writes,
        ),
        Case::new(
            Area::Read,
            "fsync_keeps_data",
            needs::WRITE,
            fsync_keeps_data,
        ),
        Case::new(
            Area::Read,
            "updates_atime_when_not_newer_than_mtime",
            needs::TIMESTAMPS,
            updates_atime_when_not_newer_than_mtime,
        ),
        Case::new(
            Area::Read,
            "keeps_mtime_and_ctime",
            needs::TIMESTAMPS,
            keeps_mtime_and_ctime,
        ),
        Case::new(
            Area::Read,
            "noatime_keeps_atime",
            needs::NOATIME,
            noatime_keeps_atime,
        ),
    ]
}

/// `len` bytes of a pattern that does not repeat at any power-of-two period.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
        .collect()
}

/// Reads up to `len` bytes at `offset` through a fresh read-only handle.
fn pread_at(ctx: &Ctx, rel: &str, offset: u64, len: usize) -> vfs_core::Result<Vec<u8>> {
    let mut file = ctx.open(rel, OpenFlags::RDONLY, 0)?;
    let mut buf = vec![0xAAu8; len];
    let n = file.pread(&mut buf, offset)?;
    buf.truncate(n);
    file.close()?;
    Ok(buf)
}

fn empty_file_reads_nothing(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    ensure_eq!(check!(pread_at(ctx, "f", 0, 16)), Vec::<u8>::new());
    ensure_eq!(check!(ctx.read_file("f")), Vec::<u8>::new());
    Ok(())
}

fn at_and_past_eof_reads_nothing(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"0123456789"));
    for offset in [10, 11, 4096, 1 << 40] {
        let got = check!(pread_at(ctx, "f", offset, 16));
        ensure!(
            got.is_empty(),
            "pread at {offset} of a 10-byte file gave {} bytes",
            got.len()
        );
    }
    Ok(())
}

fn short_read_at_end(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"0123456789"));
    ensure_eq!(check!(pread_at(ctx, "f", 5, 100)), b"56789".to_vec());
    ensure_eq!(check!(pread_at(ctx, "f", 9, 2)), b"9".to_vec());
    ensure_eq!(check!(pread_at(ctx, "f", 0, 100)), b"0123456789".to_vec());
    Ok(())
}

fn zero_length_read_returns_zero(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    let mut file = check!(ctx.open("f", OpenFlags::RDONLY, 0));
    ensure_eq!(check!(file.pread(&mut [], 0)), 0);
    ensure_eq!(check!(file.pread(&mut [], 100)), 0);
    Ok(())
}

fn middle_of_file(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"0123456789"));
    ensure_eq!(check!(pread_at(ctx, "f", 3, 4)), b"3456".to_vec());
    ensure_eq!(check!(pread_at(ctx, "f", 0, 1)), b"0".to_vec());
    Ok(())
}

fn hole_reads_zeros(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("f", OpenFlags::RDWR | OpenFlags::CREATE, 0o644));
    ensure_eq!(check!(file.pwrite(b"head", 0)), 4);
    ensure_eq!(check!(file.pwrite(b"tail", 3 * 4096 + 5)), 4);
    let content = check!(read_all(file.as_mut()));
    ensure_eq!(content.len(), 3 * 4096 + 9);
    ensure_eq!(&content[..4], b"head");
    ensure!(
        content[4..3 * 4096 + 5].iter().all(|&b| b == 0),
        "the hole does not read as zeros"
    );
    ensure_eq!(&content[3 * 4096 + 5..], b"tail");
    // A read starting inside the hole.
    ensure_eq!(check!(pread_at(ctx, "f", 4096, 8)), vec![0u8; 8]);
    Ok(())
}

/// One MiB written in uneven pieces, read back at offsets crossing page and chunk
/// boundaries.
fn large_file_at_odd_offsets(ctx: &Ctx) -> CaseResult {
    const LEN: usize = 1 << 20;
    let data = pattern(LEN);
    let mut file = check!(ctx.open("f", OpenFlags::RDWR | OpenFlags::CREATE, 0o644));
    let mut at = 0;
    for piece in [1, 4095, 4097, 65_537, 100_000].iter().cycle() {
        if at == LEN {
            break;
        }
        let end = (at + piece).min(LEN);
        ensure_eq!(check!(file.pwrite(&data[at..end], at as u64)), end - at);
        at = end;
    }
    ensure_eq!(check!(file.fstat()).size, LEN as u64);
    for (offset, len) in [
        (0, LEN),
        (1, 4096),
        (4095, 70_001),
        (65_535, 131_075),
        (LEN - 3, 10),
        (333_333, 1),
    ] {
        let mut buf = vec![0u8; len];
        let n = check!(file.pread(&mut buf, offset as u64));
        let want = &data[offset..(offset + len).min(LEN)];
        ensure!(
            n == want.len() && buf[..n] == *want,
            "pread of {len} at {offset} gave wrong data ({n} bytes)"
        );
    }
    check!(file.close());
    ensure!(
        check!(ctx.read_file("f")) == data,
        "whole-file read differs"
    );
    Ok(())
}

fn handles_read_independently(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"abcdefgh"));
    let mut one = check!(ctx.open("f", OpenFlags::RDONLY, 0));
    let mut two = check!(ctx.open("f", OpenFlags::RDONLY, 0));
    let (mut a, mut b) = ([0u8; 3], [0u8; 3]);
    ensure_eq!(check!(one.pread(&mut a, 5)), 3);
    ensure_eq!(check!(two.pread(&mut b, 0)), 3);
    ensure_eq!((&a, &b), (b"fgh", b"abc"));
    ensure_eq!(check!(one.pread(&mut a, 0)), 3);
    ensure_eq!(&a, b"abc");
    check!(one.close());
    ensure_eq!(check!(read_all(two.as_mut())), b"abcdefgh".to_vec());
    Ok(())
}

fn directory_handle_is_eisdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/x", b"x"));
    let mut dir = check!(ctx.open("d", OpenFlags::RDONLY, 0));
    let mut buf = [0u8; 16];
    expect_errno!(dir.pread(&mut buf, 0), Errno::EISDIR);
    Ok(())
}

fn after_unlink_while_open(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"still here"));
    let mut file = check!(ctx.open("f", OpenFlags::RDONLY, 0));
    check!(ctx.unlink("f"));
    ensure!(!ctx.exists("f"), "the name survived unlink");
    ensure_eq!(check!(read_all(file.as_mut())), b"still here".to_vec());
    ensure_eq!(check!(file.fstat()).size, 10);
    check!(file.close());
    Ok(())
}

fn sees_truncation_by_other_handle(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"0123456789"));
    let mut reader = check!(ctx.open("f", OpenFlags::RDONLY, 0));
    check!(ctx.truncate("f", 4));
    let mut buf = [0u8; 10];
    ensure_eq!(check!(reader.pread(&mut buf, 4)), 0);
    ensure_eq!(check!(reader.pread(&mut buf, 0)), 4);
    ensure_eq!(&buf[..4], b"0123");
    Ok(())
}

fn rdwr_handle_reads_own_writes(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("f", OpenFlags::RDWR | OpenFlags::CREATE, 0o644));
    ensure_eq!(check!(file.pwrite(b"first", 0)), 5);
    ensure_eq!(check!(read_all(file.as_mut())), b"first".to_vec());
    ensure_eq!(check!(file.pwrite(b"X", 2)), 1);
    ensure_eq!(check!(read_all(file.as_mut())), b"fiXst".to_vec());
    Ok(())
}

fn fsync_keeps_data(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("f", OpenFlags::RDWR | OpenFlags::CREATE, 0o644));
    ensure_eq!(check!(file.pwrite(b"durable", 0)), 7);
    check!(file.fsync());
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"durable".to_vec());
    Ok(())
}

/// Under relatime a read updates atime when atime is not newer than mtime, as
/// after [`Ctx::age`] (atime == mtime == OLD_TIME).
fn updates_atime_when_not_newer_than_mtime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    check!(ctx.age("f"));
    ensure_eq!(check!(pread_at(ctx, "f", 0, 4)), b"data".to_vec());
    let attr = check!(ctx.stat("f"));
    ensure!(
        attr.atime > OLD_TIME,
        "atime not updated by a read: {:?}",
        attr.atime
    );
    Ok(())
}

fn keeps_mtime_and_ctime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    check!(ctx.age("f"));
    let before = check!(ctx.stat("f"));
    ensure_eq!(check!(pread_at(ctx, "f", 0, 4)), b"data".to_vec());
    let after = check!(ctx.stat("f"));
    ensure_eq!(after.mtime, OLD_TIME);
    ensure_eq!(after.ctime, before.ctime);
    Ok(())
}

fn noatime_keeps_atime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    check!(ctx.age("f"));
    let mut file = check!(ctx.open("f", OpenFlags::RDONLY | OpenFlags::NOATIME, 0));
    ensure_eq!(check!(read_all(file.as_mut())), b"data".to_vec());
    check!(file.close());
    ensure_eq!(check!(ctx.stat("f")).atime, OLD_TIME);
    Ok(())
}
