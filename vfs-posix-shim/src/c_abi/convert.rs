//! C values to the shim's and back: open flags, `struct stat`/`statvfs`/`dirent`
//! (read from the node's attributes and its file system), times, `whence`, record
//! locks and mount flags.

use crate::blocking::wait;
use crate::file_calls::Whence;
use crate::lock_calls::{LockType, RecordLock};
use crate::ofd::DirEnt;
use libc::{c_char, c_int, c_ulong, off_t};
use vfs_core::{Attr, Errno, FileType, Location, MountOptions, OpenFlags, Result, SetTime};

/// Each Linux `O_*` bit (beside the access mode) and the [`OpenFlags`] it stands
/// for. `O_SYNC` includes `O_DSYNC`'s bit, as on Linux.
const OPEN_FLAG_BITS: [(c_int, OpenFlags); 11] = [
    (libc::O_CREAT, OpenFlags::CREATE),
    (libc::O_EXCL, OpenFlags::EXCLUSIVE),
    (libc::O_TRUNC, OpenFlags::TRUNCATE),
    (libc::O_APPEND, OpenFlags::APPEND),
    (libc::O_DIRECTORY, OpenFlags::DIRECTORY),
    (libc::O_NOFOLLOW, OpenFlags::NOFOLLOW),
    (libc::O_CLOEXEC, OpenFlags::CLOEXEC),
    (libc::O_NONBLOCK, OpenFlags::NONBLOCK),
    (libc::O_NOATIME, OpenFlags::NOATIME),
    (libc::O_DSYNC, OpenFlags::DSYNC),
    (libc::O_SYNC, OpenFlags::SYNC),
];

/// What Linux does not keep in the open file description, so `F_GETFL` never shows
/// it: the open-time actions, and close-on-exec (a descriptor flag).
const NOT_IN_STATUS: OpenFlags = OpenFlags::CREATE
    .union(OpenFlags::EXCLUSIVE)
    .union(OpenFlags::TRUNCATE)
    .union(OpenFlags::CLOEXEC);

/// The kernel's `O_LARGEFILE`, which it sets on every open by a 64-bit process and
/// reports in `F_GETFL`, although glibc's headers define `O_LARGEFILE` as 0 there.
#[cfg(target_arch = "x86_64")]
const KERNEL_O_LARGEFILE: c_int = 0o100000;
#[cfg(target_arch = "aarch64")]
const KERNEL_O_LARGEFILE: c_int = 0o400000;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const KERNEL_O_LARGEFILE: c_int = libc::O_LARGEFILE;

/// The [`OpenFlags`] of Linux `flags`, the access mode aside; unknown bits are
/// ignored, as Linux ignores them.
pub(super) fn flags_of(flags: c_int) -> OpenFlags {
    OPEN_FLAG_BITS
        .iter()
        .filter(|(bits, _)| flags & bits == *bits)
        .fold(OpenFlags::empty(), |all, (_, flag)| all | *flag)
}

/// The [`OpenFlags`] of Linux `open(2)` `flags` (what the C ABI and frontends
/// such as FUSE receive); unknown bits are ignored, as Linux ignores them.
///
/// Errors: `EINVAL` (access mode 3, which Linux allows for ioctl-only opens),
/// `EOPNOTSUPP` (`O_PATH`, `O_TMPFILE`).
pub fn open_flags_of(flags: c_int) -> Result<OpenFlags> {
    if flags & libc::O_PATH != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE {
        return Err(Errno::EOPNOTSUPP.with("O_PATH and O_TMPFILE are not supported"));
    }
    let access = match flags & libc::O_ACCMODE {
        libc::O_RDONLY => OpenFlags::RDONLY,
        libc::O_WRONLY => OpenFlags::WRONLY,
        libc::O_RDWR => OpenFlags::RDWR,
        _ => return Err(Errno::EINVAL.with("access mode O_ACCMODE")),
    };
    Ok(access | flags_of(flags))
}

/// `F_GETFL`'s value for `status`, bit for bit what Linux reports.
pub(super) fn status_bits(status: OpenFlags) -> c_int {
    let access = match (status.readable(), status.writable()) {
        (true, true) => libc::O_RDWR,
        (false, true) => libc::O_WRONLY,
        _ => libc::O_RDONLY,
    };
    let status = status - NOT_IN_STATUS;
    OPEN_FLAG_BITS
        .iter()
        .filter(|(_, flag)| status.contains(*flag))
        .fold(access | KERNEL_O_LARGEFILE, |all, (bits, _)| all | bits)
}

// ---------------------------------------------------------------------------------
// Results to C

/// A value of one of libc's plain-integer structs with every field (and any private
/// padding field) zero, to fill in field by field.
pub(super) fn zeroed<T: PlainCStruct>() -> T {
    // SAFETY: PlainCStruct types are integers and integer arrays only, for which
    // all-zero bytes are a valid value.
    unsafe { std::mem::zeroed() }
}

/// libc structs made of integers only.
pub(super) trait PlainCStruct {}
impl PlainCStruct for libc::stat {}
impl PlainCStruct for libc::statvfs {}
impl PlainCStruct for libc::dirent {}

/// `struct stat` for `attr` of a node on mount `device`.
///
/// Errors: `EOVERFLOW` (a size past `off_t`).
fn stat_of(attr: &Attr, device: u64) -> Result<libc::stat> {
    let mut st: libc::stat = zeroed();
    st.st_dev = device;
    st.st_ino = attr.ino;
    st.st_mode = attr.st_mode();
    st.st_nlink = attr.nlink as _;
    st.st_uid = attr.uid;
    st.st_gid = attr.gid;
    st.st_rdev = attr.rdev;
    st.st_size = off_t::try_from(attr.size).map_err(|_| Errno::EOVERFLOW)?;
    st.st_blksize = attr.blksize as _;
    st.st_blocks = attr.blocks as _;
    st.st_atime = attr.atime.sec;
    st.st_atime_nsec = attr.atime.nsec.into();
    st.st_mtime = attr.mtime.sec;
    st.st_mtime_nsec = attr.mtime.nsec.into();
    st.st_ctime = attr.ctime.sec;
    st.st_ctime_nsec = attr.ctime.nsec.into();
    Ok(st)
}

/// `struct stat` of the node at `location`; `st_dev` is its mount's id.
pub(super) fn stat_location(location: &Location) -> Result<libc::stat> {
    let attr = wait(vfs_core::attributes(&**location.vnode()))?;
    stat_of(&attr, location.mount().id())
}

/// `struct statvfs` of the file system holding `location`; `f_fsid` is the mount's
/// id, `f_flag` has `ST_RDONLY` when the mount refuses changes.
pub(super) fn statvfs_location(location: &Location) -> Result<libc::statvfs> {
    let mount = location.mount();
    let figures = wait(mount.filesystem().statfs())?;
    let mut st: libc::statvfs = zeroed();
    st.f_bsize = figures.block_size.into();
    st.f_frsize = figures.block_size.into();
    st.f_blocks = figures.blocks as _;
    st.f_bfree = figures.blocks_free as _;
    st.f_bavail = figures.blocks_available as _;
    st.f_files = figures.files as _;
    st.f_ffree = figures.files_free as _;
    st.f_favail = figures.files_free as _;
    st.f_fsid = mount.id() as _;
    st.f_flag = if mount.check_writable().is_err() {
        libc::ST_RDONLY
    } else {
        0
    };
    st.f_namemax = figures.name_max.into();
    Ok(st)
}

/// The `d_type` of `file_type`.
fn dirent_type(file_type: FileType) -> u8 {
    match file_type {
        FileType::Regular => libc::DT_REG,
        FileType::Directory => libc::DT_DIR,
        FileType::Symlink => libc::DT_LNK,
        FileType::Fifo => libc::DT_FIFO,
        FileType::Socket => libc::DT_SOCK,
        FileType::CharDevice => libc::DT_CHR,
        FileType::BlockDevice => libc::DT_BLK,
    }
}

/// Fills `entry` with `from`. `d_off` is 0: there is no `telldir`/`seekdir` to give
/// it a meaning.
///
/// Errors: `EOVERFLOW` (a name longer than `d_name` holds; names are at most
/// `NAME_MAX` bytes, so only a broken backend gets here).
pub(super) fn fill_dirent(entry: &mut libc::dirent, from: &DirEnt) -> Result<()> {
    if from.name.len() >= entry.d_name.len() {
        return Err(Errno::EOVERFLOW.with("name longer than d_name"));
    }
    entry.d_ino = from.ino;
    entry.d_off = 0;
    entry.d_reclen = std::mem::size_of::<libc::dirent>() as u16;
    entry.d_type = dirent_type(from.file_type);
    let terminated = from.name.iter().chain(std::iter::once(&0));
    for (slot, &byte) in entry.d_name.iter_mut().zip(terminated) {
        *slot = byte as c_char;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Times, whence, locks

/// The access and modification time changes of `utimensat`/`futimens`; `None`
/// leaves one as it is.
type TimeChanges = (Option<SetTime>, Option<SetTime>);

/// What a `times` argument of `utimensat`/`futimens` asks for: `None` when both are
/// `UTIME_OMIT` (nothing to do, not even checking the file, as Linux does), else the
/// access and modification time changes.
///
/// Errors: `EINVAL` (a `tv_nsec` outside `0..1e9` that is neither `UTIME_NOW` nor
/// `UTIME_OMIT`).
///
/// # Safety
/// Unless NULL, `times` points to two readable `struct timespec`s.
pub(super) unsafe fn time_changes(times: *const libc::timespec) -> Result<Option<TimeChanges>> {
    if times.is_null() {
        return Ok(Some((Some(SetTime::Now), Some(SetTime::Now))));
    }
    let [atime, mtime] = *times.cast::<[libc::timespec; 2]>();
    if atime.tv_nsec == libc::UTIME_OMIT && mtime.tv_nsec == libc::UTIME_OMIT {
        return Ok(None);
    }
    Ok(Some((time_change(atime)?, time_change(mtime)?)))
}

/// One timestamp of a `times` argument: `None` for `UTIME_OMIT`.
fn time_change(time: libc::timespec) -> Result<Option<SetTime>> {
    Ok(match time.tv_nsec {
        libc::UTIME_OMIT => None,
        libc::UTIME_NOW => Some(SetTime::Now),
        nsec => {
            let nsec = u32::try_from(nsec)
                .ok()
                .filter(|&nsec| nsec < 1_000_000_000)
                .ok_or_else(|| Errno::EINVAL.with(format!("tv_nsec {nsec}")))?;
            Some(SetTime::At(vfs_core::Timespec::new(time.tv_sec, nsec)))
        }
    })
}

/// The [`Whence`] of `SEEK_SET`/`SEEK_CUR`/`SEEK_END`.
///
/// Errors: `EINVAL` (anything else, `SEEK_DATA`/`SEEK_HOLE` included).
pub(super) fn whence_of(whence: c_int) -> Result<Whence> {
    match whence {
        libc::SEEK_SET => Ok(Whence::Set),
        libc::SEEK_CUR => Ok(Whence::Current),
        libc::SEEK_END => Ok(Whence::End),
        _ => Err(Errno::EINVAL.with(format!("whence {whence}"))),
    }
}

/// The [`RecordLock`] a `struct flock` asks for.
///
/// Errors: `EINVAL` (unknown `l_type` or `l_whence`).
pub(super) fn record_lock_of(lock: &libc::flock) -> Result<RecordLock> {
    let lock_type = match c_int::from(lock.l_type) {
        libc::F_RDLCK => LockType::Read,
        libc::F_WRLCK => LockType::Write,
        libc::F_UNLCK => LockType::Unlock,
        other => return Err(Errno::EINVAL.with(format!("l_type {other}"))),
    };
    Ok(RecordLock {
        lock_type,
        whence: whence_of(lock.l_whence.into())?,
        start: lock.l_start,
        len: lock.l_len,
        pid: 0,
    })
}

/// Writes `F_GETLK`'s answer into the caller's `struct flock`: only `l_type` when
/// nothing conflicts, the whole conflicting lock otherwise (as Linux does).
pub(super) fn store_lock(lock: &mut libc::flock, found: &RecordLock) {
    let (lock_type, conflict) = match found.lock_type {
        LockType::Unlock => (libc::F_UNLCK, false),
        LockType::Read => (libc::F_RDLCK, true),
        LockType::Write => (libc::F_WRLCK, true),
    };
    lock.l_type = lock_type as _;
    if conflict {
        lock.l_whence = libc::SEEK_SET as _;
        lock.l_start = found.start;
        lock.l_len = found.len;
        lock.l_pid = libc::pid_t::try_from(found.pid).unwrap_or(libc::pid_t::MAX);
    }
}

/// The mount flags `vfs_mount` accepts and ignores: they restrict what a kernel
/// would let run from the file system, which means nothing here.
const IGNORED_MOUNT_FLAGS: c_ulong = libc::MS_NOSUID
    | libc::MS_NODEV
    | libc::MS_NOEXEC
    | libc::MS_NOATIME
    | libc::MS_NODIRATIME
    | libc::MS_RELATIME
    | libc::MS_SILENT;

/// The [`MountOptions`] of `mount`'s `flags`.
///
/// Errors: `EINVAL` (a flag that would change what `mount` does: `MS_REMOUNT`,
/// `MS_BIND`, `MS_MOVE`, ...).
pub(super) fn mount_options_of(flags: c_ulong) -> Result<MountOptions> {
    // As Linux: the old magic number in the high half is dropped.
    let flags = if flags & libc::MS_MGC_MSK == libc::MS_MGC_VAL {
        flags & !libc::MS_MGC_MSK
    } else {
        flags
    };
    let unsupported = flags & !(libc::MS_RDONLY | IGNORED_MOUNT_FLAGS);
    if unsupported != 0 {
        return Err(Errno::EINVAL.with(format!("mount flags {unsupported:#x}")));
    }
    Ok(MountOptions {
        read_only: flags & libc::MS_RDONLY != 0,
    })
}
