//! `vfs ls [-l] TARGET` and `vfs stat TARGET`: what is there, printed as
//! coreutils' `ls -l` and `stat` print it (numeric owners, times in the local
//! time zone).

use crate::failure::{At, Failure};
use crate::target::{Located, Mounts, Reach};
use crate::tree::{Kind, Stat};
use clap::Args;
use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Arguments of `vfs ls`.
#[derive(Args)]
pub struct LsArgs {
    /// Long listing: mode, links, owner, group, size, modification time, name.
    #[arg(short = 'l')]
    long: bool,
    /// A directory (its entries are listed) or another file (its name is printed):
    /// a local path or a backend URL.
    target: OsString,
}

/// Arguments of `vfs stat`.
#[derive(Args)]
pub struct StatArgs {
    /// The file to describe (a final symlink is described itself): a local path or
    /// a backend URL.
    target: OsString,
}

/// One line of a long listing, before the columns are aligned.
struct LongLine {
    mode: String,
    nlink: String,
    uid: String,
    gid: String,
    size: Size,
    time: String,
    name: Vec<u8>,
}

/// The size column of a long listing: bytes, or a device's numbers.
enum Size {
    Bytes(String),
    Device { major: String, minor: String },
}

/// Runs `vfs ls`: a directory's entries (all but `.` and `..`, as `ls -A`),
/// sorted by name, one per line; with `-l` as `ls -ln` prints them. A symlink
/// given as TARGET is listed through without `-l` and shown itself with it, as
/// `ls` does.
pub fn ls(args: &LsArgs) -> Result<(), Failure> {
    let mounts = Mounts::new();
    let target = mounts.locate(&args.target, Reach::Root)?;
    let stat = if args.long {
        target.tree.symlink_metadata(&target.path)
    } else {
        target.tree.metadata(&target.path)
    }
    .at(&target.shown)?;
    let mut out = io::stdout().lock();
    if !stat.is_dir() {
        let name = OsStr::new(&target.shown);
        if args.long {
            let line = long_line(&target, name, &stat)?;
            write_long(&mut out, &[line], None)?;
        } else {
            writeln_bytes(&mut out, name.as_bytes())?;
        }
        return out.flush().map_err(Failure::stdout);
    }
    let names = target.tree.names(&target.path).at(&target.shown)?;
    if args.long {
        let mut lines = Vec::with_capacity(names.len());
        let mut blocks = 0;
        for name in &names {
            let entry = target.child(name);
            let stat = entry.tree.symlink_metadata(&entry.path).at(&entry.shown)?;
            blocks += stat.blocks;
            lines.push(long_line(&entry, name, &stat)?);
        }
        // ls sums 512-byte blocks and rounds the total up to KiB once.
        write_long(&mut out, &lines, Some(blocks.div_ceil(2)))?;
    } else {
        for name in &names {
            writeln_bytes(&mut out, name.as_bytes())?;
        }
    }
    out.flush().map_err(Failure::stdout)
}

/// The long-listing line of `entry`, shown as `name`.
fn long_line(entry: &Located, name: &OsStr, stat: &Stat) -> Result<LongLine, Failure> {
    let mut shown = name.as_bytes().to_vec();
    if stat.kind() == Kind::Symlink {
        let target = entry.tree.read_link(&entry.path).at(&entry.shown)?;
        shown.extend_from_slice(b" -> ");
        shown.extend_from_slice(target.as_os_str().as_bytes());
    }
    let size = match stat.kind() {
        Kind::CharDevice | Kind::BlockDevice => {
            let (major, minor) = major_minor(stat.rdev);
            Size::Device {
                major: major.to_string(),
                minor: minor.to_string(),
            }
        }
        _ => Size::Bytes(stat.size.to_string()),
    };
    Ok(LongLine {
        mode: mode_string(stat.mode),
        nlink: stat.nlink.to_string(),
        uid: stat.uid.to_string(),
        gid: stat.gid.to_string(),
        size,
        time: listing_time(stat.mtime.0),
        name: shown,
    })
}

/// Prints `lines` with aligned columns, after `total N` (in KiB) for a directory.
fn write_long(out: &mut impl Write, lines: &[LongLine], total: Option<u64>) -> Result<(), Failure> {
    let width = |field: fn(&LongLine) -> &str| lines.iter().map(|l| field(l).len()).max();
    let nlink = width(|l| &l.nlink).unwrap_or(0);
    let uid = width(|l| &l.uid).unwrap_or(0);
    let gid = width(|l| &l.gid).unwrap_or(0);
    // As ls: device numbers are aligned among themselves, major and minor
    // apart, and the size column is wide enough for them and every size.
    let (mut major, mut minor, mut bytes) = (0, 0, 0);
    for line in lines {
        match &line.size {
            Size::Bytes(size) => bytes = bytes.max(size.len()),
            Size::Device { major: a, minor: b } => {
                major = major.max(a.len());
                minor = minor.max(b.len());
            }
        }
    }
    let devices = if major == 0 { 0 } else { major + 2 + minor };
    let size = bytes.max(devices);
    let major = major + (size - devices);
    let mut text = Vec::new();
    if let Some(total) = total {
        text.extend_from_slice(format!("total {total}\n").as_bytes());
    }
    for line in lines {
        let size = match &line.size {
            Size::Bytes(bytes) => format!("{bytes:>size$}"),
            Size::Device { major: a, minor: b } => format!("{a:>major$}, {b:>minor$}"),
        };
        let columns = format!(
            "{} {:>nlink$} {:>uid$} {:>gid$} {size} {} ",
            line.mode, line.nlink, line.uid, line.gid, line.time
        );
        text.extend_from_slice(columns.as_bytes());
        text.extend_from_slice(&line.name);
        text.push(b'\n');
    }
    out.write_all(&text).map_err(Failure::stdout)
}

fn writeln_bytes(out: &mut impl Write, bytes: &[u8]) -> Result<(), Failure> {
    out.write_all(bytes)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(Failure::stdout)
}

/// Runs `vfs stat`: the file's `lstat`, as coreutils' `stat` prints it.
pub fn stat(args: &StatArgs) -> Result<(), Failure> {
    let mounts = Mounts::new();
    let target = mounts.locate(&args.target, Reach::Root)?;
    let stat = target
        .tree
        .symlink_metadata(&target.path)
        .at(&target.shown)?;
    let mut file = format!("  File: {}", target.shown);
    if stat.kind() == Kind::Symlink {
        let link = target.tree.read_link(&target.path).at(&target.shown)?;
        file.push_str(&format!(" -> {}", link.display()));
    }
    let (major, minor) = major_minor(stat.dev);
    let links = match stat.kind() {
        Kind::CharDevice | Kind::BlockDevice => {
            let (major, minor) = major_minor(stat.rdev);
            format!("{:<5} Device type: {major},{minor}", stat.nlink)
        }
        _ => stat.nlink.to_string(),
    };
    // GNU stat's default format, owners numeric only; no birth time is known.
    let text = format!(
        "{file}\n  Size: {:<10}\tBlocks: {:<10} IO Block: {:<6} {}\n\
         Device: {major},{minor}\tInode: {:<10}  Links: {links}\n\
         Access: ({:04o}/{})  Uid: ({:>5})   Gid: ({:>5})\n\
         Access: {}\nModify: {}\nChange: {}\n Birth: -\n",
        stat.size,
        stat.blocks,
        stat.blksize,
        kind_description(&stat),
        stat.ino,
        stat.mode & 0o7777,
        mode_string(stat.mode),
        stat.uid,
        stat.gid,
        full_time(stat.atime),
        full_time(stat.mtime),
        full_time(stat.ctime),
    );
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::stdout)
}

/// What `stat` calls a file of this kind.
fn kind_description(stat: &Stat) -> &'static str {
    match stat.kind() {
        Kind::File if stat.size == 0 => "regular empty file",
        Kind::File => "regular file",
        Kind::Dir => "directory",
        Kind::Symlink => "symbolic link",
        Kind::CharDevice => "character special file",
        Kind::BlockDevice => "block special file",
        Kind::Fifo => "fifo",
        Kind::Socket => "socket",
        Kind::Unknown => "weird file",
    }
}

/// `ls -l`'s mode string: `drwxr-xr-x`, `-rwsr-x--T`, ...
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170_000 {
        0o100_000 => '-',
        0o040_000 => 'd',
        0o120_000 => 'l',
        0o020_000 => 'c',
        0o060_000 => 'b',
        0o010_000 => 'p',
        0o140_000 => 's',
        _ => '?',
    };
    let bit = |mask: u32, c: char| if mode & mask != 0 { c } else { '-' };
    // The execute position also shows set-id and sticky bits: lower case when
    // executable too, upper case when not.
    let exec = |mask: u32, special: u32, set: char| match (mode & mask != 0, mode & special != 0) {
        (true, true) => set,
        (false, true) => set.to_ascii_uppercase(),
        (true, false) => 'x',
        (false, false) => '-',
    };
    [
        kind,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        exec(0o100, 0o4000, 's'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        exec(0o010, 0o2000, 's'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        exec(0o001, 0o1000, 't'),
    ]
    .iter()
    .collect()
}

/// Linux's split of a device number.
fn major_minor(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

/// A broken-down local time.
struct LocalTime {
    year: i64,
    /// 0 to 11.
    month: usize,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    /// Seconds east of UTC.
    offset: i64,
}

/// `seconds` since the epoch in the local time zone (UTC if it cannot be told).
fn local_time(seconds: i64) -> LocalTime {
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let time: libc::time_t = seconds;
    // SAFETY: both pointers are to live locals; localtime_r only writes `tm`.
    let converted = unsafe { !libc::localtime_r(&time, &mut tm).is_null() };
    if converted {
        LocalTime {
            year: i64::from(tm.tm_year) + 1900,
            month: usize::try_from(tm.tm_mon).unwrap_or(0).min(11),
            day: tm.tm_mday.into(),
            hour: tm.tm_hour.into(),
            minute: tm.tm_min.into(),
            second: tm.tm_sec.into(),
            offset: tm.tm_gmtoff,
        }
    } else {
        utc_time(seconds)
    }
}

/// `seconds` since the epoch in UTC (the proleptic Gregorian calendar).
fn utc_time(seconds: i64) -> LocalTime {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    LocalTime {
        year,
        month: usize::try_from(month - 1).unwrap_or(0),
        day,
        hour: of_day / 3600,
        minute: of_day / 60 % 60,
        second: of_day % 60,
        offset: 0,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `ls -l`'s time: `May  1 12:34` within the last six months, else `May  1  2023`.
fn listing_time(seconds: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let six_months = 31_556_952 / 2;
    let t = local_time(seconds);
    let month = MONTHS[t.month];
    if seconds > now - six_months && seconds <= now {
        format!("{month} {:>2} {:02}:{:02}", t.day, t.hour, t.minute)
    } else {
        format!("{month} {:>2}  {:>4}", t.day, t.year)
    }
}

/// `stat`'s time: `2024-05-01 12:34:56.123456789 +0200`.
fn full_time((seconds, nanoseconds): (i64, i64)) -> String {
    let t = local_time(seconds);
    let sign = if t.offset < 0 { '-' } else { '+' };
    let offset = t.offset.abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09} {sign}{:02}{:02}",
        t.year,
        t.month + 1,
        t.day,
        t.hour,
        t.minute,
        t.second,
        nanoseconds,
        offset / 3600,
        offset / 60 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings_are_those_of_ls() {
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o102644), "-rw-r-Sr--");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o041776), "drwxrwxrwT");
        assert_eq!(mode_string(0o020620), "crw--w----");
        assert_eq!(mode_string(0o010600), "prw-------");
    }

    #[test]
    fn utc_dates_are_right() {
        let t = utc_time(0);
        assert_eq!((t.year, t.month, t.day, t.hour), (1970, 0, 1, 0));
        // 2024-02-29 12:34:56 UTC, a leap day.
        let t = utc_time(1_709_210_096);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2024, 1, 29, 12, 34, 56)
        );
        let t = utc_time(-1);
        assert_eq!((t.year, t.month, t.day, t.second), (1969, 11, 31, 59));
    }

    #[test]
    fn device_numbers_split_as_linux_does() {
        assert_eq!(major_minor(0x0103), (1, 3));
        assert_eq!(major_minor((259 << 8) | 2), (259, 2));
    }
}
