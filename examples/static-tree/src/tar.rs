//! Reading tar archives: POSIX ustar headers, with the GNU (`L`/`K`) and pax (`x`)
//! extensions real archivers use for names longer than the header holds.
//!
//! An archive is a sequence of 512-byte headers, each followed by its member's data
//! padded to a whole block, and ends with zero blocks. Numbers are octal text (or
//! GNU base-256 for values octal cannot hold). Nothing is copied: a file member is a
//! range of the archive.

use std::ops::Range;
use vfs_core::{Errno, Error, Result};

const BLOCK: usize = 512;

/// What one member of the archive is.
pub(crate) enum Kind {
    /// A regular file: its data, as a range of the archive.
    File(Range<usize>),
    /// A directory.
    Dir,
    /// A symbolic link to this target.
    Symlink(Vec<u8>),
    /// Another name for the earlier member at this path.
    HardLink(Vec<u8>),
}

/// The metadata a header records for its member.
#[derive(Clone, Copy)]
pub(crate) struct Meta {
    /// Permission bits (`0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Seconds since the epoch.
    pub mtime: i64,
}

/// One member of the archive.
pub(crate) struct Member {
    pub path: Vec<u8>,
    pub kind: Kind,
    pub meta: Meta,
}

fn corrupt(problem: String) -> Error {
    Errno::EINVAL.with(problem)
}

/// Every member of `archive`, in archive order. Device nodes and FIFOs (types `3`,
/// `4`, `6`) are skipped, as a read-only image has no use for them, and so are pax
/// global headers (`g`); any other type (GNU sparse files, volume labels, ...) is
/// refused rather than served wrong.
///
/// Errors: `EINVAL` naming the problem and its offset: not a tar archive, a header
/// whose checksum does not match, a field that is not a number, a truncated member,
/// an unsupported member type.
pub(crate) fn members(archive: &[u8]) -> Result<Vec<Member>> {
    if archive.len() < BLOCK {
        return Err(corrupt(format!(
            "not a tar archive: {} bytes, shorter than one {BLOCK}-byte header",
            archive.len()
        )));
    }
    let mut members = Vec::new();
    // A GNU `L`/`K` or pax `x` member names the path and link target of the next one.
    let (mut long_path, mut long_link) = (None, None);
    let mut offset = 0;
    while offset + BLOCK <= archive.len() {
        let at = offset;
        let header = &archive[at..at + BLOCK];
        // The end marker is two zero blocks; one is accepted, as GNU tar does.
        if header.iter().all(|&b| b == 0) {
            break;
        }
        check_header(header, at)?;
        let size = usize::try_from(number(&header[124..136], at, "size")?).unwrap_or(usize::MAX);
        let Some(end) = (at + BLOCK)
            .checked_add(size)
            .filter(|&end| end <= archive.len())
        else {
            return Err(corrupt(format!(
                "truncated tar archive: the member at offset {at} needs {size} bytes \
                 of data, the archive ends at {}",
                archive.len()
            )));
        };
        let data = at + BLOCK..end;
        offset = data.start + size.div_ceil(BLOCK) * BLOCK;
        let flag = header[156];
        match flag {
            b'L' => long_path = Some(text(&archive[data]).to_vec()),
            b'K' => long_link = Some(text(&archive[data]).to_vec()),
            b'x' => pax(&archive[data], &mut long_path, &mut long_link),
            b'g' => {}
            _ => {
                let path = long_path.take().unwrap_or_else(|| header_path(header));
                let link = long_link.take();
                let link = || link.unwrap_or_else(|| text(&header[157..257]).to_vec());
                let kind = match flag {
                    b'0' | 0 | b'7' => Kind::File(data),
                    b'5' => Kind::Dir,
                    b'2' => Kind::Symlink(link()),
                    b'1' => Kind::HardLink(link()),
                    b'3' | b'4' | b'6' => continue,
                    other => {
                        return Err(corrupt(format!(
                            "unsupported tar member type '{}' for '{}' at offset {}",
                            other.escape_ascii(),
                            String::from_utf8_lossy(&path),
                            at
                        )))
                    }
                };
                let meta = Meta {
                    mode: number(&header[100..108], at, "mode")? as u32 & 0o7777,
                    uid: number(&header[108..116], at, "uid")? as u32,
                    gid: number(&header[116..124], at, "gid")? as u32,
                    mtime: number(&header[136..148], at, "mtime")? as i64,
                };
                members.push(Member { path, kind, meta });
            }
        }
    }
    Ok(members)
}

/// Checks the header checksum (the byte sum with the checksum field read as spaces),
/// then the ustar magic; an archive whose first header fails both is no tar at all.
fn check_header(header: &[u8], offset: usize) -> Result<()> {
    let has_magic = &header[257..262] == b"ustar";
    let computed: u64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| u64::from(if (148..156).contains(&i) { b' ' } else { b }))
        .sum();
    if number(&header[148..156], offset, "checksum").ok() != Some(computed) {
        if offset == 0 && !has_magic {
            return Err(corrupt(
                "not a tar archive: no ustar header at offset 0".into(),
            ));
        }
        return Err(corrupt(format!(
            "corrupt tar header at offset {offset}: checksum field {:?}, computed {computed:o}",
            String::from_utf8_lossy(text(&header[148..156])).trim()
        )));
    }
    if !has_magic {
        return Err(corrupt(format!(
            "unsupported pre-POSIX tar header at offset {offset} (no ustar magic)"
        )));
    }
    Ok(())
}

/// A numeric field: octal text ended by NUL or space, or GNU base-256 (high bit of
/// the first byte set) for values octal cannot hold, such as sizes of 8 GiB and more.
fn number(field: &[u8], offset: usize, what: &str) -> Result<u64> {
    let bad = || {
        corrupt(format!(
            "corrupt tar header at offset {offset}: {what} field {:?} is not a number",
            String::from_utf8_lossy(field)
        ))
    };
    if field[0] & 0x80 != 0 {
        return field[1..]
            .iter()
            .try_fold(u64::from(field[0] & 0x7f), |n, &b| {
                n.checked_mul(256).map(|n| n | u64::from(b))
            })
            .ok_or_else(bad);
    }
    let digits = text(field).trim_ascii();
    if digits.is_empty() {
        return Ok(0);
    }
    let digits = std::str::from_utf8(digits).map_err(|_| bad())?;
    u64::from_str_radix(digits, 8).map_err(|_| bad())
}

/// The bytes of a NUL-terminated (or full-width) text field.
fn text(field: &[u8]) -> &[u8] {
    field.split(|&b| b == 0).next().unwrap_or_default()
}

/// The member path: `prefix/name` in POSIX ustar. GNU headers (magic `"ustar  "`)
/// keep other fields where ustar has the prefix, so it is only read for `"ustar\0"`.
fn header_path(header: &[u8]) -> Vec<u8> {
    let name = text(&header[..100]);
    let prefix = text(&header[345..500]);
    if &header[257..263] != b"ustar\0" || prefix.is_empty() {
        return name.to_vec();
    }
    [prefix, b"/", name].concat()
}

/// Reads the `path` and `linkpath` records of a pax extended header
/// (`"LEN key=value\n"` each); other keys (times, user names) are ignored.
fn pax(mut records: &[u8], path: &mut Option<Vec<u8>>, link: &mut Option<Vec<u8>>) {
    while let Some(space) = records.iter().position(|&b| b == b' ') {
        let len = std::str::from_utf8(&records[..space])
            .ok()
            .and_then(|len| len.parse::<usize>().ok())
            .filter(|&len| len > space + 1 && len <= records.len());
        let Some(len) = len else { return };
        let record = &records[space + 1..len - 1];
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            let value = Some(record[eq + 1..].to_vec());
            match &record[..eq] {
                b"path" => *path = value,
                b"linkpath" => *link = value,
                _ => {}
            }
        }
        records = &records[len..];
    }
}
