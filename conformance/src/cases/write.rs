//! Cases of the `write` area: `pwrite` results, sizes, holes, appends and what
//! writing does to timestamps.

use crate::case::{needs, Area, Case, CaseResult};
use crate::ctx::{read_all, Ctx, OLD_TIME};
use crate::target::TargetFile;
use crate::{check, ensure, ensure_eq};
use vfs_core::OpenFlags;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case::new(Area::Write, "returns_length", needs::WRITE, returns_length),
        Case::new(
            Area::Write,
            "extends_size_seen_by_fstat_and_stat",
            needs::WRITE,
            extends_size_seen_by_fstat_and_stat,
        ),
        Case::new(
            Area::Write,
            "overwrite_in_middle_keeps_rest",
            needs::WRITE,
            overwrite_in_middle_keeps_rest,
        ),
        Case::new(
            Area::Write,
            "overwrite_keeps_size",
            needs::WRITE,
            overwrite_keeps_size,
        ),
        Case::new(
            Area::Write,
            "zero_length_changes_nothing",
            needs::WRITE,
            zero_length_changes_nothing,
        ),
        Case::new(
            Area::Write,
            "past_eof_leaves_zero_hole",
            needs::SPARSE,
            past_eof_leaves_zero_hole,
        ),
        Case::new(
            Area::Write,
            "at_one_tib_offset",
            needs::SPARSE,
            at_one_tib_offset,
        ),
        Case::new(
            Area::Write,
            "across_block_boundaries",
            needs::WRITE,
            across_block_boundaries,
        ),
        Case::new(
            Area::Write,
            "large_write_in_one_call",
            needs::WRITE,
            large_write_in_one_call,
        ),
        Case::new(
            Area::Write,
            "updates_mtime_and_ctime",
            needs::TIMESTAMPS,
            updates_mtime_and_ctime,
        ),
        Case::new(Area::Write, "keeps_atime", needs::TIMESTAMPS, keeps_atime),
        Case::new(
            Area::Write,
            "append_returns_length_and_grows",
            needs::WRITE,
            append_returns_length_and_grows,
        ),
        Case::new(
            Area::Write,
            "appends_from_two_handles_interleave",
            needs::APPEND,
            appends_from_two_handles_interleave,
        ),
        Case::new(
            Area::Write,
            "after_unlink_while_open",
            needs::UNLINKED_OPEN,
            after_unlink_while_open,
        ),
        Case::new(
            Area::Write,
            "truncating_open_seen_by_other_handle",
            needs::WRITE,
            truncating_open_seen_by_other_handle,
        ),
        Case::new(
            Area::Write,
            "visible_through_other_name_after_close",
            needs::WRITE,
            visible_through_other_name_after_close,
        ),
    ]
}

/// A fresh read-write handle on new file `f`, after writing `initial` to it.
fn rw_file(ctx: &Ctx, initial: &[u8]) -> Result<Box<dyn TargetFile>, crate::Failure> {
    check!(ctx.write_file("f", initial));
    Ok(check!(ctx.open("f", OpenFlags::RDWR, 0)))
}

fn returns_length(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, b"")?;
    ensure_eq!(check!(file.pwrite(b"hello", 0)), 5);
    ensure_eq!(check!(file.pwrite(b"!", 5)), 1);
    ensure_eq!(check!(file.pwrite(&[7u8; 5000], 2)), 5000);
    Ok(())
}

fn extends_size_seen_by_fstat_and_stat(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, b"abc")?;
    ensure_eq!(check!(file.pwrite(b"defgh", 3)), 5);
    ensure_eq!(check!(file.fstat()).size, 8);
    ensure_eq!(check!(ctx.stat("f")).size, 8);
    ensure_eq!(check!(file.pwrite(b"ij", 7)), 2);
    ensure_eq!(check!(file.fstat()).size, 9);
    ensure_eq!(check!(ctx.stat("f")).size, 9);
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("f")), b"abcdefgij".to_vec());
    Ok(())
}

fn overwrite_in_middle_keeps_rest(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, b"0123456789")?;
    ensure_eq!(check!(file.pwrite(b"abc", 4)), 3);
    ensure_eq!(check!(read_all(file.as_mut())), b"0123abc789".to_vec());
    Ok(())
}

fn overwrite_keeps_size(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, &[1u8; 10_000])?;
    ensure_eq!(check!(file.pwrite(&[2u8; 5000], 5000)), 5000);
    ensure_eq!(check!(file.pwrite(&[3u8; 100], 0)), 100);
    ensure_eq!(check!(file.fstat()).size, 10_000);
    let content = check!(read_all(file.as_mut()));
    ensure!(
        content[..100].iter().all(|&b| b == 3),
        "first 100 bytes not overwritten"
    );
    ensure!(
        content[100..5000].iter().all(|&b| b == 1),
        "untouched bytes changed"
    );
    ensure!(
        content[5000..].iter().all(|&b| b == 2),
        "last 5000 bytes not overwritten"
    );
    Ok(())
}

/// A zero-length `pwrite` returns 0 and does not extend the file, even past its end.
fn zero_length_changes_nothing(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, b"abc")?;
    ensure_eq!(check!(file.pwrite(b"", 0)), 0);
    ensure_eq!(check!(file.pwrite(b"", 100)), 0);
    ensure_eq!(check!(file.fstat()).size, 3);
    ensure_eq!(check!(read_all(file.as_mut())), b"abc".to_vec());
    Ok(())
}

fn past_eof_leaves_zero_hole(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, b"ab")?;
    ensure_eq!(check!(file.pwrite(b"yz", 10_000)), 2);
    ensure_eq!(check!(ctx.stat("f")).size, 10_002);
    let content = check!(read_all(file.as_mut()));
    ensure_eq!(&content[..2], b"ab");
    ensure!(
        content[2..10_000].iter().all(|&b| b == 0),
        "the hole does not read as zeros"
    );
    ensure_eq!(&content[10_000..], b"yz");
    Ok(())
}

fn at_one_tib_offset(ctx: &Ctx) -> CaseResult {
    const TIB: u64 = 1 << 40;
    let mut file = rw_file(ctx, b"")?;
    ensure_eq!(check!(file.pwrite(b"far", TIB)), 3);
    ensure_eq!(check!(file.fstat()).size, TIB + 3);
    ensure_eq!(check!(ctx.stat("f")).size, TIB + 3);
    let mut buf = [0xAAu8; 8];
    ensure_eq!(check!(file.pread(&mut buf, TIB - 5)), 8);
    ensure_eq!(&buf, b"\0\0\0\0\0far");
    ensure_eq!(check!(file.pread(&mut buf, 0)), 8);
    ensure_eq!(buf, [0u8; 8]);
    ensure_eq!(check!(file.pread(&mut buf, TIB / 2 + 1)), 8);
    ensure_eq!(buf, [0u8; 8]);
    Ok(())
}

fn across_block_boundaries(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, &[b'.'; 3 * 4096])?;
    let piece: Vec<u8> = (0..4098u32).map(|i| b'a' + (i % 26) as u8).collect();
    ensure_eq!(check!(file.pwrite(&piece, 4095)), piece.len());
    let content = check!(read_all(file.as_mut()));
    ensure_eq!(content.len(), 3 * 4096);
    ensure!(
        content[..4095].iter().all(|&b| b == b'.'),
        "bytes before the write changed"
    );
    ensure!(
        content[4095..4095 + piece.len()] == piece[..],
        "written bytes differ"
    );
    ensure!(
        content[4095 + piece.len()..].iter().all(|&b| b == b'.'),
        "bytes after the write changed"
    );
    Ok(())
}

fn large_write_in_one_call(ctx: &Ctx) -> CaseResult {
    let data: Vec<u8> = (0..(1usize << 20) + 7)
        .map(|i| (i * 7 % 256) as u8)
        .collect();
    let mut file = rw_file(ctx, b"")?;
    ensure_eq!(check!(file.pwrite(&data, 3)), data.len());
    let content = check!(read_all(file.as_mut()));
    ensure_eq!(content.len(), data.len() + 3);
    ensure!(
        content[3..] == data[..],
        "content differs after a 1 MiB write"
    );
    Ok(())
}

fn updates_mtime_and_ctime(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, b"data")?;
    check!(ctx.age("f"));
    ensure_eq!(check!(file.pwrite(b"D", 0)), 1);
    let attr = check!(file.fstat());
    ensure!(
        attr.mtime > OLD_TIME,
        "mtime not updated by a write: {:?}",
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

fn keeps_atime(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"data"));
    check!(ctx.age("f"));
    let mut file = check!(ctx.open("f", OpenFlags::WRONLY, 0));
    ensure_eq!(check!(file.pwrite(b"more", 4)), 4);
    check!(file.close());
    ensure_eq!(check!(ctx.stat("f")).atime, OLD_TIME);
    Ok(())
}

fn append_returns_length_and_grows(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"12"));
    let mut file = check!(ctx.open("f", OpenFlags::RDWR | OpenFlags::APPEND, 0));
    ensure_eq!(check!(file.append(b"345")), 3);
    ensure_eq!(check!(file.fstat()).size, 5);
    ensure_eq!(check!(file.append(b"")), 0);
    ensure_eq!(check!(file.append(b"6")), 1);
    ensure_eq!(check!(read_all(file.as_mut())), b"123456".to_vec());
    Ok(())
}

fn appends_from_two_handles_interleave(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    let flags = OpenFlags::WRONLY | OpenFlags::APPEND;
    let (mut one, mut two) = (
        check!(ctx.open("f", flags, 0)),
        check!(ctx.open("f", flags, 0)),
    );
    let mut expected = Vec::new();
    for i in 0..20u8 {
        let (handle, record) = if i % 2 == 0 {
            (&mut one, [b'a', i])
        } else {
            (&mut two, [b'b', i])
        };
        ensure_eq!(check!(handle.append(&record)), 2);
        expected.extend_from_slice(&record);
    }
    check!(one.close());
    check!(two.close());
    ensure_eq!(check!(ctx.read_file("f")), expected);
    Ok(())
}

fn after_unlink_while_open(ctx: &Ctx) -> CaseResult {
    let mut file = rw_file(ctx, b"old")?;
    check!(ctx.unlink("f"));
    ensure_eq!(check!(file.pwrite(b"new data", 3)), 8);
    ensure_eq!(check!(file.fstat()).size, 11);
    ensure_eq!(check!(read_all(file.as_mut())), b"oldnew data".to_vec());
    ensure!(!ctx.exists("f"), "writing brought the name back");
    check!(file.close());
    ensure_eq!(check!(ctx.names(".")), Vec::<String>::new());
    Ok(())
}

fn truncating_open_seen_by_other_handle(ctx: &Ctx) -> CaseResult {
    let mut first = rw_file(ctx, b"0123456789")?;
    let mut second = check!(ctx.open("f", OpenFlags::WRONLY | OpenFlags::TRUNCATE, 0));
    ensure_eq!(check!(first.fstat()).size, 0);
    let mut buf = [0u8; 4];
    ensure_eq!(check!(first.pread(&mut buf, 0)), 0);
    ensure_eq!(check!(second.pwrite(b"ab", 0)), 2);
    ensure_eq!(check!(read_all(first.as_mut())), b"ab".to_vec());
    Ok(())
}

fn visible_through_other_name_after_close(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    let mut file = check!(ctx.open("d/f", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644));
    ensure_eq!(check!(file.pwrite(b"content", 0)), 7);
    check!(file.close());
    ensure_eq!(check!(ctx.read_file("d/../d/./f")), b"content".to_vec());
    ensure_eq!(check!(ctx.stat("d/f")).size, 7);
    Ok(())
}
