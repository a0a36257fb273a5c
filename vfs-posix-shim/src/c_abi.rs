//! The C ABI: `vfs_open`, `vfs_read`, ... as `include/vfs.h` declares them.
//!
//! Every function behaves like its libc namesake on Linux: it returns `-1` (or
//! `NULL`) and sets the calling thread's `errno` on failure, and leaves `errno` alone
//! on success. Results use the platform's own C types (`struct stat`, `off_t`, ...)
//! and Linux's `O_*`/`F_*`/`AT_*` values. Paths are `const char *` bytes, not
//! necessarily UTF-8; a `NULL` path is `EFAULT`.
//!
//! All functions act on one process-wide context, created on first use with an
//! empty `ram://` file system as its root (or the root [`vfs_init`] names), so a real
//! file system can be mounted over `/` later. A panic anywhere below a function
//! (a backend bug) never unwinds into C: it becomes `EIO`.
//!
//! The functions taking pointers are `unsafe fn`s whose `# Safety` says what they
//! expect of them; those taking only integers are safe. Where Linux checks the
//! descriptor before touching the caller's memory (so a bad descriptor wins over a
//! bad buffer), these do too.

use crate::blocking::wait;
use crate::blocking::Blocking;
use crate::fd_table::Fd;
use crate::file_calls::Whence;
use crate::lock_calls::{FlockOp, LockType, RecordLock};
use crate::ofd::DirEnt;
use crate::process::{Process, Vfs};
use libc::{c_char, c_int, c_ulong, c_void, gid_t, mode_t, off_t, size_t, ssize_t, uid_t};
use std::ffi::CStr;
use std::io::{IoSlice, IoSliceMut};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::OnceLock;
use vfs_core::{
    AccessMask, Attr, Caller, Errno, FileType, Location, MountOptions, OpenFlags, Result, SetAttr,
    SetTime,
};

// ---------------------------------------------------------------------------------
// The process-wide context

/// The root a context gets when the first call is not [`vfs_init`].
const DEFAULT_ROOT_URL: &str = "ram://";

/// The one process context C callers share, and the URL its root was mounted from.
struct Context {
    root_url: String,
    process: Process,
}

static CONTEXT: OnceLock<Context> = OnceLock::new();

/// The context, created with the root `url` if there is none yet (otherwise `url` is
/// not looked at). Racing creators each mount a root; one wins, the others' roots
/// are dropped unused.
fn context_with_root(url: &str) -> Result<&'static Context> {
    if let Some(context) = CONTEXT.get() {
        return Ok(context);
    }
    let created = Context {
        root_url: url.to_owned(),
        process: Vfs::from_url(url)?.process(),
    };
    Ok(CONTEXT.get_or_init(|| created))
}

// ---------------------------------------------------------------------------------
// The call helper: catch_unwind + Result -> C return value and errno

/// A successful result in the form the C function returns it, and the value that
/// signals failure.
trait CReturn {
    /// The C return type.
    type C;
    /// What the function returns on failure, with `errno` set.
    const FAILED: Self::C;
    fn into_c(self) -> Self::C;
}

/// Calls without a result return 0.
impl CReturn for () {
    type C = c_int;
    const FAILED: c_int = -1;
    fn into_c(self) -> c_int {
        0
    }
}

/// Descriptors and `fcntl` values.
impl CReturn for c_int {
    type C = c_int;
    const FAILED: c_int = -1;
    fn into_c(self) -> c_int {
        self
    }
}

/// Byte counts; one call never moves more than `isize::MAX` bytes (the buffer
/// helpers refuse longer buffers), so the conversion is exact.
impl CReturn for usize {
    type C = ssize_t;
    const FAILED: ssize_t = -1;
    fn into_c(self) -> ssize_t {
        self as ssize_t
    }
}

/// File offsets; `lseek` computes them in `off_t`, so they fit.
impl CReturn for u64 {
    type C = off_t;
    const FAILED: off_t = -1;
    fn into_c(self) -> off_t {
        self as off_t
    }
}

/// The previous umask. `umask` cannot fail; only a panic would give `(mode_t)-1`.
impl CReturn for mode_t {
    type C = mode_t;
    const FAILED: mode_t = mode_t::MAX;
    fn into_c(self) -> mode_t {
        self
    }
}

/// `VFS_DIR *`, `struct dirent *`, `char *`: `NULL` on failure. A successful `NULL`
/// (the end of a directory) leaves `errno` alone, as `readdir` must.
impl<T> CReturn for *mut T {
    type C = *mut T;
    const FAILED: *mut T = ptr::null_mut();
    fn into_c(self) -> *mut T {
        self
    }
}

/// Runs `body` so that nothing unwinds into C: its result becomes the C return
/// value, its error (or a panic, as `EIO`) the thread's `errno`.
fn guarded<R: CReturn>(body: impl FnOnce() -> Result<R>) -> R::C {
    // AssertUnwindSafe: after a panic the only state reused is the shared context,
    // whose locks do not poison; a backend left half-way through a change is that
    // backend's bug, reported to the caller as EIO.
    let errno = match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => return value.into_c(),
        Ok(Err(error)) => error.errno(),
        Err(_panic) => Errno::EIO,
    };
    // SAFETY: __errno_location returns the calling thread's errno, always valid.
    unsafe { *libc::__errno_location() = errno.raw() };
    R::FAILED
}

/// [`guarded`], with the blocking calls of the process context.
fn with_context<R: CReturn>(body: impl FnOnce(Blocking<'static>) -> Result<R>) -> R::C {
    guarded(|| body(context_with_root(DEFAULT_ROOT_URL)?.process.blocking()))
}

// ---------------------------------------------------------------------------------
// Arguments from C

/// The bytes of the C string `path`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string that outlives `'a`.
unsafe fn c_path<'a>(path: *const c_char) -> Result<&'a [u8]> {
    if path.is_null() {
        return Err(Errno::EFAULT.with("NULL path"));
    }
    Ok(CStr::from_ptr(path).to_bytes())
}

/// Fails with `EINVAL` for lengths no C object can have (over `SSIZE_MAX`).
fn check_length(len: size_t) -> Result<()> {
    if len > isize::MAX as usize {
        return Err(Errno::EINVAL.with(format!("length {len} exceeds SSIZE_MAX")));
    }
    Ok(())
}

/// The caller's `len` bytes at `data`; any pointer is fine for a length of 0.
///
/// # Safety
/// Unless NULL, `data` points to `len` readable bytes that outlive `'a`.
unsafe fn in_bytes<'a>(data: *const c_void, len: size_t) -> Result<&'a [u8]> {
    check_length(len)?;
    match len {
        0 => Ok(&[]),
        _ if data.is_null() => Err(Errno::EFAULT.with("NULL buffer")),
        _ => Ok(std::slice::from_raw_parts(data.cast(), len)),
    }
}

/// The caller's `len` writable bytes at `buf`; any pointer is fine for a length of 0.
///
/// # Safety
/// Unless NULL, `buf` points to `len` writable bytes, used by nothing else, that
/// outlive `'a`.
unsafe fn out_bytes<'a>(buf: *mut c_void, len: size_t) -> Result<&'a mut [u8]> {
    check_length(len)?;
    match len {
        0 => Ok(&mut []),
        _ if buf.is_null() => Err(Errno::EFAULT.with("NULL buffer")),
        _ => Ok(std::slice::from_raw_parts_mut(buf.cast(), len)),
    }
}

/// The `iovcnt` entries at `iov`.
///
/// # Safety
/// Unless NULL, `iov` points to `iovcnt` readable `struct iovec`s that outlive `'a`.
unsafe fn iovecs<'a>(iov: *const libc::iovec, iovcnt: c_int) -> Result<&'a [libc::iovec]> {
    let count = usize::try_from(iovcnt)
        .ok()
        .filter(|&count| count <= crate::IOV_MAX)
        .ok_or_else(|| Errno::EINVAL.with(format!("iovcnt {iovcnt}")))?;
    match count {
        0 => Ok(&[]),
        _ if iov.is_null() => Err(Errno::EFAULT.with("NULL iovec array")),
        _ => Ok(std::slice::from_raw_parts(iov, count)),
    }
}

/// `*value_at`, the input half of an in/out pointer argument.
///
/// # Safety
/// Unless NULL, `value_at` points to a readable `T`.
unsafe fn read_in<T: Copy>(value_at: *const T) -> Result<T> {
    value_at
        .as_ref()
        .copied()
        .ok_or_else(|| Errno::EFAULT.with("NULL argument"))
}

/// Stores a result through the caller's pointer. Called last, as Linux copies out
/// last: a failing call reports its own error, not `EFAULT`.
///
/// # Safety
/// Unless NULL, `out` points to a writable `T`.
unsafe fn write_out<T>(out: *mut T, value: T) -> Result<()> {
    if out.is_null() {
        return Err(Errno::EFAULT.with("NULL result pointer"));
    }
    out.write(value);
    Ok(())
}

/// Fails with `EBADF` unless `fd` is open: Linux looks the descriptor up before it
/// reads the caller's memory or the other arguments of most descriptor calls.
fn check_open(posix: &Blocking<'_>, fd: c_int) -> Result<()> {
    posix.description(fd).map(drop)
}

/// Fails with `EINVAL` for a negative offset or length: Linux refuses one before it
/// looks at the descriptor, the path or the buffer.
fn check_offset(value: off_t) -> Result<()> {
    if value < 0 {
        return Err(Errno::EINVAL.with(format!("negative offset or length {value}")));
    }
    Ok(())
}

/// What `uid_t`/`gid_t` `-1` means to `chown`: leave it as it is.
fn id_change(id: u32) -> Option<u32> {
    (id != u32::MAX).then_some(id)
}

// ---------------------------------------------------------------------------------
// Open flags

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
fn flags_of(flags: c_int) -> OpenFlags {
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
fn status_bits(status: OpenFlags) -> c_int {
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

/// The node `path` names, for the calls that need its mount as well as its
/// attributes (`st_dev`, `f_flag`): resolved once, as `Namespace::stat` does.
fn resolve(posix: &Blocking<'_>, path: &[u8], follow: bool) -> Result<Location> {
    wait(posix.namespace().resolve(&posix.caller(), path, follow))
}

/// The node open as `fd`.
fn location_of(posix: &Blocking<'_>, fd: c_int) -> Result<Location> {
    Ok(posix.description(fd)?.handle.location().clone())
}

/// A value of one of libc's plain-integer structs with every field (and any private
/// padding field) zero, to fill in field by field.
fn zeroed<T: PlainCStruct>() -> T {
    // SAFETY: PlainCStruct types are integers and integer arrays only, for which
    // all-zero bytes are a valid value.
    unsafe { std::mem::zeroed() }
}

/// libc structs made of integers only.
trait PlainCStruct {}
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
fn stat_location(location: &Location) -> Result<libc::stat> {
    let attr = wait(vfs_core::attributes(&**location.vnode()))?;
    stat_of(&attr, location.mount().id())
}

/// `struct statvfs` of the file system holding `location`; `f_fsid` is the mount's
/// id, `f_flag` has `ST_RDONLY` when the mount refuses changes.
fn statvfs_location(location: &Location) -> Result<libc::statvfs> {
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
fn fill_dirent(entry: &mut libc::dirent, from: &DirEnt) -> Result<()> {
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
unsafe fn time_changes(times: *const libc::timespec) -> Result<Option<TimeChanges>> {
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
fn whence_of(whence: c_int) -> Result<Whence> {
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
fn record_lock_of(lock: &libc::flock) -> Result<RecordLock> {
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
fn store_lock(lock: &mut libc::flock, found: &RecordLock) {
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
fn mount_options_of(flags: c_ulong) -> Result<MountOptions> {
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

// ---------------------------------------------------------------------------------
// The context

/// Creates the process context with the file system `root_url` names as its root
/// (`"ram://"`, `"nfs://server/export"`, ...). Without it, the first call creates
/// the context with an empty `ram://` root.
///
/// Returns 0 when the context now has this root (calling it again with the same URL
/// is fine), else -1 with `errno`: `EFAULT` (NULL), `EINVAL` (not UTF-8, or a
/// malformed URL), `ENODEV` (unknown scheme), `EBUSY` (the context exists with
/// another root), or what mounting the file system fails with.
///
/// # Safety
/// `root_url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_init(root_url: *const c_char) -> c_int {
    guarded(|| {
        let url = std::str::from_utf8(c_path(root_url)?)
            .map_err(|_| Errno::EINVAL.with("root URL is not UTF-8"))?;
        let context = context_with_root(url)?;
        if context.root_url != url {
            return Err(Errno::EBUSY.with(format!(
                "already initialised with root {}",
                context.root_url
            )));
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------
// Descriptors

/// `open(2)`: opens `path` with Linux `O_*` `flags`; `mode` (minus the umask) is the
/// mode of a created file. Returns the lowest free descriptor.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_open(path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    with_context(|posix| posix.open(c_path(path)?, open_flags_of(flags)?, mode))
}

/// `close(2)`.
#[no_mangle]
pub extern "C" fn vfs_close(fd: c_int) -> c_int {
    with_context(|posix| posix.close(fd))
}

/// `read(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_read(fd: c_int, buf: *mut c_void, count: size_t) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        posix.read(fd, out_bytes(buf, count)?)
    })
}

/// `write(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_write(fd: c_int, buf: *const c_void, count: size_t) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        posix.write(fd, in_bytes(buf, count)?)
    })
}

/// `pread(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_pread(
    fd: c_int,
    buf: *mut c_void,
    count: size_t,
    offset: off_t,
) -> ssize_t {
    with_context(|posix| {
        check_offset(offset)?;
        check_open(&posix, fd)?;
        posix.pread(fd, out_bytes(buf, count)?, offset)
    })
}

/// `pwrite(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_pwrite(
    fd: c_int,
    buf: *const c_void,
    count: size_t,
    offset: off_t,
) -> ssize_t {
    with_context(|posix| {
        check_offset(offset)?;
        check_open(&posix, fd)?;
        posix.pwrite(fd, in_bytes(buf, count)?, offset)
    })
}

/// `readv(2)`.
///
/// # Safety
/// `iov` is NULL or points to `iovcnt` `struct iovec`s, each of whose `iov_base` is
/// NULL or points to `iov_len` writable bytes, no two overlapping.
#[no_mangle]
pub unsafe extern "C" fn vfs_readv(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        let mut buffers = iovecs(iov, iovcnt)?
            .iter()
            .map(|v| out_bytes(v.iov_base, v.iov_len).map(IoSliceMut::new))
            .collect::<Result<Vec<_>>>()?;
        posix.readv(fd, &mut buffers)
    })
}

/// `writev(2)`.
///
/// # Safety
/// `iov` is NULL or points to `iovcnt` `struct iovec`s, each of whose `iov_base` is
/// NULL or points to `iov_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_writev(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        let buffers = iovecs(iov, iovcnt)?
            .iter()
            .map(|v| in_bytes(v.iov_base, v.iov_len).map(IoSlice::new))
            .collect::<Result<Vec<_>>>()?;
        posix.writev(fd, &buffers)
    })
}

/// `lseek(2)` with `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
#[no_mangle]
pub extern "C" fn vfs_lseek(fd: c_int, offset: off_t, whence: c_int) -> off_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        posix.lseek(fd, offset, whence_of(whence)?)
    })
}

/// `truncate(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_truncate(path: *const c_char, length: off_t) -> c_int {
    with_context(|posix| {
        check_offset(length)?;
        posix.truncate(c_path(path)?, length)
    })
}

/// `ftruncate(2)`.
#[no_mangle]
pub extern "C" fn vfs_ftruncate(fd: c_int, length: off_t) -> c_int {
    with_context(|posix| {
        check_offset(length)?;
        posix.ftruncate(fd, length)
    })
}

/// `fstat(2)`; `st_dev` is the id of the mount holding the file.
///
/// # Safety
/// `buf` is NULL or points to a writable `struct stat`.
#[no_mangle]
pub unsafe extern "C" fn vfs_fstat(fd: c_int, buf: *mut libc::stat) -> c_int {
    with_context(|posix| write_out(buf, stat_location(&location_of(&posix, fd)?)?))
}

/// `fstatvfs(3)`.
///
/// # Safety
/// `buf` is NULL or points to a writable `struct statvfs`.
#[no_mangle]
pub unsafe extern "C" fn vfs_fstatvfs(fd: c_int, buf: *mut libc::statvfs) -> c_int {
    with_context(|posix| write_out(buf, statvfs_location(&location_of(&posix, fd)?)?))
}

/// `fsync(2)`.
#[no_mangle]
pub extern "C" fn vfs_fsync(fd: c_int) -> c_int {
    with_context(|posix| posix.fsync(fd))
}

/// `fdatasync(2)`.
#[no_mangle]
pub extern "C" fn vfs_fdatasync(fd: c_int) -> c_int {
    with_context(|posix| posix.fdatasync(fd))
}

/// `fchmod(2)`.
#[no_mangle]
pub extern "C" fn vfs_fchmod(fd: c_int, mode: mode_t) -> c_int {
    with_context(|posix| posix.fchmod(fd, mode))
}

/// `fchown(2)`; an id of `-1` is left unchanged.
#[no_mangle]
pub extern "C" fn vfs_fchown(fd: c_int, owner: uid_t, group: gid_t) -> c_int {
    with_context(|posix| posix.fchown(fd, id_change(owner), id_change(group)))
}

/// `futimens(3)`: `times` NULL sets both to now; `UTIME_NOW`/`UTIME_OMIT` work.
///
/// # Safety
/// `times` is NULL or points to two `struct timespec`s.
#[no_mangle]
pub unsafe extern "C" fn vfs_futimens(fd: c_int, times: *const libc::timespec) -> c_int {
    with_context(|posix| {
        // glibc refuses a negative descriptor before the kernel sees the times.
        if fd < 0 {
            return Err(Errno::EBADF.with(format!("descriptor {fd}")));
        }
        match time_changes(times)? {
            None => Ok(()),
            Some((atime, mtime)) => posix.futimens(fd, atime, mtime),
        }
    })
}

/// `dup(2)`.
#[no_mangle]
pub extern "C" fn vfs_dup(fd: c_int) -> c_int {
    with_context(|posix| posix.dup(fd))
}

/// `dup2(2)`.
#[no_mangle]
pub extern "C" fn vfs_dup2(oldfd: c_int, newfd: c_int) -> c_int {
    with_context(|posix| posix.dup2(oldfd, newfd))
}

/// `fcntl(2)` for the commands whose argument is an `int` or absent: `F_DUPFD`,
/// `F_DUPFD_CLOEXEC`, `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL` (pass 0 as `arg`
/// for the `GET`s). The lock commands go through [`vfs_fcntl_lock`]; any other
/// command is `EINVAL`.
#[no_mangle]
pub extern "C" fn vfs_fcntl_int(fd: c_int, cmd: c_int, arg: c_int) -> c_int {
    with_context(|posix| {
        check_open(&posix, fd)?;
        match cmd {
            libc::F_DUPFD => posix.dup_from(fd, arg, false),
            libc::F_DUPFD_CLOEXEC => posix.dup_from(fd, arg, true),
            libc::F_GETFD => Ok(if posix.close_on_exec(fd)? {
                libc::FD_CLOEXEC
            } else {
                0
            }),
            libc::F_SETFD => posix
                .set_close_on_exec(fd, arg & libc::FD_CLOEXEC != 0)
                .map(|()| 0),
            libc::F_GETFL => posix.status_flags(fd).map(status_bits),
            libc::F_SETFL => posix.set_status_flags(fd, flags_of(arg)).map(|()| 0),
            _ => Err(Errno::EINVAL.with(format!("fcntl command {cmd} (int form)"))),
        }
    })
}

/// `fcntl(2)` for the record-lock commands `F_GETLK`, `F_SETLK` and `F_SETLKW`
/// (which blocks the calling thread). Any other command is `EINVAL`.
///
/// # Safety
/// `lock` is NULL or points to a readable and writable `struct flock`.
#[no_mangle]
pub unsafe extern "C" fn vfs_fcntl_lock(fd: c_int, cmd: c_int, lock: *mut libc::flock) -> c_int {
    with_context(|posix| {
        check_open(&posix, fd)?;
        let wait = match cmd {
            libc::F_GETLK | libc::F_SETLK => false,
            libc::F_SETLKW => true,
            _ => return Err(Errno::EINVAL.with(format!("fcntl command {cmd} (lock form)"))),
        };
        let request = record_lock_of(&read_in(lock)?)?;
        if cmd != libc::F_GETLK {
            return posix.setlk(fd, request, wait);
        }
        let found = posix.getlk(fd, request)?;
        // SAFETY: read_in succeeded, so `lock` is not NULL.
        store_lock(&mut *lock, &found);
        Ok(())
    })
}

/// `flock(2)`: `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally with `LOCK_NB`.
#[no_mangle]
pub extern "C" fn vfs_flock(fd: c_int, operation: c_int) -> c_int {
    with_context(|posix| {
        // Linux checks the operation before the descriptor.
        let op = match operation & !libc::LOCK_NB {
            libc::LOCK_SH => FlockOp::Shared,
            libc::LOCK_EX => FlockOp::Exclusive,
            libc::LOCK_UN => FlockOp::Unlock,
            _ => return Err(Errno::EINVAL.with(format!("flock operation {operation}"))),
        };
        posix.flock(fd, op, operation & libc::LOCK_NB != 0)
    })
}

// ---------------------------------------------------------------------------------
// Paths

/// `stat(2)`; `st_dev` is the id of the mount holding the file.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `buf` is NULL or points to a writable
/// `struct stat`.
#[no_mangle]
pub unsafe extern "C" fn vfs_stat(path: *const c_char, buf: *mut libc::stat) -> c_int {
    with_context(|posix| write_out(buf, stat_location(&resolve(&posix, c_path(path)?, true)?)?))
}

/// `lstat(2)`.
///
/// # Safety
/// As [`vfs_stat`].
#[no_mangle]
pub unsafe extern "C" fn vfs_lstat(path: *const c_char, buf: *mut libc::stat) -> c_int {
    with_context(|posix| write_out(buf, stat_location(&resolve(&posix, c_path(path)?, false)?)?))
}

/// `statvfs(3)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `buf` is NULL or points to a writable
/// `struct statvfs`.
#[no_mangle]
pub unsafe extern "C" fn vfs_statvfs(path: *const c_char, buf: *mut libc::statvfs) -> c_int {
    with_context(|posix| {
        write_out(
            buf,
            statvfs_location(&resolve(&posix, c_path(path)?, true)?)?,
        )
    })
}

/// `mkdir(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mkdir(path: *const c_char, mode: mode_t) -> c_int {
    with_context(|posix| posix.mkdir(c_path(path)?, mode))
}

/// `mknod(2)`: a FIFO, socket, character or block device, or regular file, by the
/// `S_IFMT` bits of `mode`; `dev` as `makedev(3)` encodes it.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mknod(path: *const c_char, mode: mode_t, dev: libc::dev_t) -> c_int {
    with_context(|posix| posix.mknod(c_path(path)?, mode, dev))
}

/// `mkfifo(3)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mkfifo(path: *const c_char, mode: mode_t) -> c_int {
    with_context(|posix| posix.mkfifo(c_path(path)?, mode))
}

/// `rmdir(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_rmdir(path: *const c_char) -> c_int {
    with_context(|posix| posix.rmdir(c_path(path)?))
}

/// `unlink(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_unlink(path: *const c_char) -> c_int {
    with_context(|posix| posix.unlink(c_path(path)?))
}

/// `rename(2)`.
///
/// # Safety
/// Each path is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_rename(oldpath: *const c_char, newpath: *const c_char) -> c_int {
    with_context(|posix| posix.rename(c_path(oldpath)?, c_path(newpath)?))
}

/// `link(2)`.
///
/// # Safety
/// Each path is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_link(oldpath: *const c_char, newpath: *const c_char) -> c_int {
    with_context(|posix| posix.link(c_path(oldpath)?, c_path(newpath)?))
}

/// `symlink(2)`: creates `linkpath` pointing at `target`.
///
/// # Safety
/// Each of `target` and `linkpath` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_symlink(target: *const c_char, linkpath: *const c_char) -> c_int {
    with_context(|posix| posix.symlink(c_path(target)?, c_path(linkpath)?))
}

/// `readlink(2)`: the target, truncated to `bufsiz` bytes, without a NUL.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `buf` is NULL or points to `bufsiz`
/// writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_readlink(
    path: *const c_char,
    buf: *mut c_char,
    bufsiz: size_t,
) -> ssize_t {
    with_context(|posix| {
        if bufsiz == 0 {
            return Err(Errno::EINVAL.with("bufsiz 0"));
        }
        let target = posix.readlink(c_path(path)?)?;
        let n = target.len().min(bufsiz);
        out_bytes(buf.cast(), n)?.copy_from_slice(&target[..n]);
        Ok(n)
    })
}

/// `chmod(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_chmod(path: *const c_char, mode: mode_t) -> c_int {
    with_context(|posix| posix.chmod(c_path(path)?, mode))
}

/// `chown(2)`; an id of `-1` is left unchanged.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_chown(path: *const c_char, owner: uid_t, group: gid_t) -> c_int {
    with_context(|posix| posix.chown(c_path(path)?, id_change(owner), id_change(group)))
}

/// `lchown(2)`; an id of `-1` is left unchanged.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_lchown(path: *const c_char, owner: uid_t, group: gid_t) -> c_int {
    with_context(|posix| posix.lchown(c_path(path)?, id_change(owner), id_change(group)))
}

/// `utimensat(2)`: relative `path`s start at directory `dirfd` (or the working
/// directory for `AT_FDCWD`); `flags` may be `AT_SYMLINK_NOFOLLOW`; `times` as
/// [`vfs_futimens`]. A NULL `path` is `EINVAL`, as glibc's wrapper makes it.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `times` is NULL or points to two
/// `struct timespec`s.
#[no_mangle]
pub unsafe extern "C" fn vfs_utimensat(
    dirfd: c_int,
    path: *const c_char,
    times: *const libc::timespec,
    flags: c_int,
) -> c_int {
    with_context(|posix| {
        if path.is_null() {
            return Err(Errno::EINVAL.with("NULL path"));
        }
        let Some((atime, mtime)) = time_changes(times)? else {
            return Ok(());
        };
        if flags & !libc::AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL.with(format!("flags {flags:#x}")));
        }
        let path = c_path(path)?;
        let follow = flags & libc::AT_SYMLINK_NOFOLLOW == 0;
        if dirfd == libc::AT_FDCWD || path.starts_with(b"/") {
            return posix.utimens(path, atime, mtime, follow);
        }
        let caller = Caller {
            cwd: location_of(&posix, dirfd)?,
            creds: posix.credentials(),
        };
        let changes = SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        };
        wait(posix.namespace().setattr(&caller, path, &changes, follow)).map(drop)
    })
}

/// `access(2)` with `F_OK` or any of `R_OK`, `W_OK`, `X_OK`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_access(path: *const c_char, mode: c_int) -> c_int {
    with_context(|posix| {
        let mask = u32::try_from(mode)
            .ok()
            .and_then(AccessMask::from_bits)
            .ok_or_else(|| Errno::EINVAL.with(format!("access mode {mode:#o}")))?;
        posix.access(c_path(path)?, mask)
    })
}

// ---------------------------------------------------------------------------------
// Directory streams

/// What `VFS_DIR *` points to: the stream's descriptor and the entry `readdir`
/// hands out (valid until the next `readdir` or `closedir` of the stream, as with
/// libc's `DIR`).
pub struct VfsDir {
    fd: Fd,
    entry: libc::dirent,
}

/// The stream behind a caller's `VFS_DIR *`.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
unsafe fn stream<'a>(dir: *mut VfsDir) -> Result<&'a mut VfsDir> {
    dir.as_mut()
        .ok_or_else(|| Errno::EBADF.with("NULL directory stream"))
}

/// `opendir(3)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_opendir(path: *const c_char) -> *mut VfsDir {
    with_context(|posix| {
        let fd = posix.opendir(c_path(path)?)?;
        Ok(Box::into_raw(Box::new(VfsDir {
            fd,
            entry: zeroed(),
        })))
    })
}

/// `readdir(3)`: the next entry (`.` and `..` first), or NULL at the end with
/// `errno` unchanged, or NULL with `errno` set on error.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
#[no_mangle]
pub unsafe extern "C" fn vfs_readdir(dir: *mut VfsDir) -> *mut libc::dirent {
    with_context(|posix| {
        let dir = stream(dir)?;
        match posix.readdir(dir.fd)? {
            None => Ok(ptr::null_mut()),
            Some(next) => {
                fill_dirent(&mut dir.entry, &next)?;
                Ok(&mut dir.entry as *mut libc::dirent)
            }
        }
    })
}

/// `rewinddir(3)`. Like libc's, it returns nothing; `errno` is set if `dir` is
/// NULL.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
#[no_mangle]
pub unsafe extern "C" fn vfs_rewinddir(dir: *mut VfsDir) {
    with_context(|posix| posix.rewinddir(stream(dir)?.fd));
}

/// `closedir(3)`: closes the descriptor and frees the stream, even when closing
/// reports an error.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed; it is invalid
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn vfs_closedir(dir: *mut VfsDir) -> c_int {
    with_context(|posix| {
        stream(dir)?;
        let dir = Box::from_raw(dir);
        posix.closedir(dir.fd)
    })
}

/// `dirfd(3)`: the descriptor of the stream (usable with [`vfs_fchdir`], ...;
/// closing it breaks the stream).
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
#[no_mangle]
pub unsafe extern "C" fn vfs_dirfd(dir: *mut VfsDir) -> c_int {
    // EINVAL, as glibc's dirfd reports an unusable stream.
    guarded(|| {
        dir.as_ref()
            .map(|dir| dir.fd)
            .ok_or_else(|| Errno::EINVAL.with("NULL directory stream"))
    })
}

// ---------------------------------------------------------------------------------
// Working directory, mounts, umask

/// `chdir(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_chdir(path: *const c_char) -> c_int {
    with_context(|posix| posix.chdir(c_path(path)?))
}

/// `fchdir(2)`.
#[no_mangle]
pub extern "C" fn vfs_fchdir(fd: c_int) -> c_int {
    with_context(|posix| posix.fchdir(fd))
}

/// `getcwd(3)`: the working directory's absolute path, NUL-terminated, in `buf` of
/// `size` bytes; returns `buf`, or NULL with `ERANGE` when `size` is too small and
/// `EINVAL` when it is 0. With `buf` NULL, as glibc, the result is `malloc`ed (of
/// `size` bytes, or as long as needed when `size` is 0) and the caller `free`s it.
///
/// # Safety
/// `buf` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_getcwd(buf: *mut c_char, size: size_t) -> *mut c_char {
    with_context(|posix| {
        if !buf.is_null() && size == 0 {
            return Err(Errno::EINVAL.with("size 0"));
        }
        let mut cwd = posix.getcwd()?;
        cwd.push(0);
        let capacity = if buf.is_null() && size == 0 {
            cwd.len()
        } else {
            size
        };
        if capacity < cwd.len() {
            return Err(Errno::ERANGE.with(format!("{} bytes needed", cwd.len())));
        }
        let buf = if buf.is_null() {
            libc::malloc(capacity).cast::<c_char>()
        } else {
            buf
        };
        if buf.is_null() {
            return Err(Errno::ENOMEM.with("malloc failed"));
        }
        // SAFETY: `buf` holds `capacity` >= `cwd.len()` bytes: the caller's, or ours.
        ptr::copy_nonoverlapping(cwd.as_ptr().cast(), buf, cwd.len());
        Ok(buf)
    })
}

/// `mount(2)`, by URL: mounts the file system `url` names (`"ram://"`, ...) on
/// directory `target`, over what is there. `flags` may hold `MS_RDONLY`; the
/// flags that only restrict execution (`MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC`,
/// `MS_NOATIME`, `MS_NODIRATIME`, `MS_RELATIME`, `MS_SILENT`) are ignored; any other
/// is `EINVAL`.
///
/// # Safety
/// Each of `target` and `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mount(
    target: *const c_char,
    url: *const c_char,
    flags: c_ulong,
) -> c_int {
    with_context(|posix| {
        let options = mount_options_of(flags)?;
        let url = std::str::from_utf8(c_path(url)?)
            .map_err(|_| Errno::EINVAL.with("URL is not UTF-8"))?;
        posix.mount(c_path(target)?, url, options)
    })
}

/// `umount(2)`.
///
/// # Safety
/// `target` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_umount(target: *const c_char) -> c_int {
    with_context(|posix| posix.umount(c_path(target)?))
}

/// `umask(2)`: sets the file-creation mask, returns the previous one.
#[no_mangle]
pub extern "C" fn vfs_umask(mask: mode_t) -> mode_t {
    with_context(|posix| Ok(posix.umask(mask)))
}

#[cfg(test)]
mod tests {
    //! The ABI called from Rust, as C calls it. All tests share the one process
    //! context, as the threads of a C program would: each works in a directory of
    //! its own and uses absolute paths (one test changes the working directory).

    use super::*;
    use std::ffi::CString;
    use std::sync::Arc;
    use vfs_core::{async_trait, BackendFactory, Capabilities, Filesystem, FsStat, Url, Vnode};
    use vfs_ramfs::{RamFs, RamFsOptions};

    fn errno() -> c_int {
        // SAFETY: the calling thread's errno, always valid.
        unsafe { *libc::__errno_location() }
    }

    fn clear_errno() {
        // SAFETY: as in `errno`.
        unsafe { *libc::__errno_location() = 0 };
    }

    fn c_string(bytes: impl Into<Vec<u8>>) -> CString {
        CString::new(bytes).expect("no NUL inside")
    }

    /// An empty directory `/c_abi/<name>` in the shared context.
    fn scratch(name: &str) -> String {
        for dir in ["/c_abi".to_string(), format!("/c_abi/{name}")] {
            let made = unsafe { vfs_mkdir(c_string(dir.as_str()).as_ptr(), 0o755) };
            assert!(
                made == 0 || errno() == libc::EEXIST,
                "mkdir {dir}: {}",
                errno()
            );
        }
        format!("/c_abi/{name}")
    }

    /// Asserts that a call returned -1 with `expected` in errno.
    #[track_caller]
    fn assert_fails(result: i64, expected: c_int) {
        assert_eq!((result, errno()), (-1, expected));
    }

    /// Creates `path` with `content` and returns it open read-write.
    fn create(path: &str, content: &[u8]) -> c_int {
        let path = c_string(path);
        let fd = unsafe { vfs_open(path.as_ptr(), libc::O_RDWR | libc::O_CREAT, 0o644) };
        assert!(fd >= 0, "create: errno {}", errno());
        let written = unsafe { vfs_write(fd, content.as_ptr().cast(), content.len()) };
        assert_eq!(written, content.len() as ssize_t);
        fd
    }

    fn stat(path: &str) -> libc::stat {
        let mut st: libc::stat = zeroed();
        assert_eq!(unsafe { vfs_stat(c_string(path).as_ptr(), &mut st) }, 0);
        st
    }

    fn lstat(path: &str) -> libc::stat {
        let mut st: libc::stat = zeroed();
        assert_eq!(unsafe { vfs_lstat(c_string(path).as_ptr(), &mut st) }, 0);
        st
    }

    #[test]
    fn null_pointers_are_efault_and_never_crash() {
        let dir = c_string(scratch("null_pointers"));
        let null = ptr::null::<c_char>();
        let mut st: libc::stat = zeroed();
        unsafe {
            assert_fails(vfs_open(null, libc::O_RDONLY, 0).into(), libc::EFAULT);
            assert_fails(vfs_stat(null, &mut st).into(), libc::EFAULT);
            assert_fails(vfs_lstat(null, &mut st).into(), libc::EFAULT);
            assert_fails(vfs_stat(dir.as_ptr(), ptr::null_mut()).into(), libc::EFAULT);
            assert_fails(vfs_mkdir(null, 0o755).into(), libc::EFAULT);
            assert_fails(vfs_unlink(null).into(), libc::EFAULT);
            assert_fails(vfs_rename(null, dir.as_ptr()).into(), libc::EFAULT);
            assert_fails(vfs_rename(dir.as_ptr(), null).into(), libc::EFAULT);
            assert_fails(vfs_symlink(dir.as_ptr(), null).into(), libc::EFAULT);
            assert_fails(vfs_chdir(null).into(), libc::EFAULT);
            assert_fails(vfs_mount(null, null, 0).into(), libc::EFAULT);
            assert_fails(vfs_init(null).into(), libc::EFAULT);
            assert_fails(
                vfs_statvfs(dir.as_ptr(), ptr::null_mut()).into(),
                libc::EFAULT,
            );
            assert!(vfs_opendir(null).is_null());
            assert_eq!(errno(), libc::EFAULT);
            assert!(vfs_readdir(ptr::null_mut()).is_null());
            assert_eq!(errno(), libc::EBADF);
            assert_fails(vfs_closedir(ptr::null_mut()).into(), libc::EBADF);
            assert_fails(vfs_dirfd(ptr::null_mut()).into(), libc::EINVAL);
            // A NULL path to utimensat is EINVAL, as glibc's wrapper makes it.
            assert_fails(
                vfs_utimensat(libc::AT_FDCWD, null, ptr::null(), 0).into(),
                libc::EINVAL,
            );
        }
    }

    /// Calls on the kernel and on the shim, side by side: a file holding "hello",
    /// open read-write in both.
    struct Twin {
        kernel_fd: c_int,
        shim_fd: c_int,
        _kernel_dir: tempfile::TempDir,
    }

    impl Twin {
        fn new(name: &str) -> Twin {
            let kernel_dir = tempfile::tempdir().expect("tempdir");
            let kernel_path = c_string(
                kernel_dir
                    .path()
                    .join("f")
                    .into_os_string()
                    .into_encoded_bytes(),
            );
            let kernel_fd =
                unsafe { libc::open(kernel_path.as_ptr(), libc::O_RDWR | libc::O_CREAT, 0o644) };
            assert!(kernel_fd >= 0);
            assert_eq!(
                unsafe { libc::write(kernel_fd, b"hello".as_ptr().cast(), 5) },
                5
            );
            let shim_fd = create(&format!("{}/f", scratch(name)), b"hello");
            Twin {
                kernel_fd,
                shim_fd,
                _kernel_dir: kernel_dir,
            }
        }

        /// Asserts that `kernel` and `shim`, given each side's descriptor, return the
        /// same value and, when they fail, the same errno.
        #[track_caller]
        fn compare(&self, call: &str, kernel: impl Fn(c_int) -> i64, shim: impl Fn(c_int) -> i64) {
            let outcome = |run: &dyn Fn(c_int) -> i64, fd| {
                clear_errno();
                let result = run(fd);
                (result, if result == -1 { errno() } else { 0 })
            };
            assert_eq!(
                outcome(&shim, self.shim_fd),
                outcome(&kernel, self.kernel_fd),
                "{call}: (shim, kernel) as (result, errno)"
            );
        }
    }

    impl Drop for Twin {
        fn drop(&mut self) {
            unsafe { libc::close(self.kernel_fd) };
            vfs_close(self.shim_fd);
        }
    }

    /// Runs the libc function and the shim's with the same arguments (in which `fd`
    /// is each side's descriptor) and compares results and errnos.
    macro_rules! assert_same_as_kernel {
        ($twin:expr, $kernel:path, $shim:path, |$fd:ident| ($($arg:expr),*)) => {{
            // Arguments may leave the descriptor out (a bad literal one instead), and
            // some shim functions are safe.
            #[allow(unused_variables, unused_unsafe)]
            let (kernel, shim) = (
                |$fd: c_int| unsafe { $kernel($($arg),*) } as i64,
                |$fd: c_int| unsafe { $shim($($arg),*) } as i64,
            );
            $twin.compare(stringify!($kernel($($arg),*)), kernel, shim)
        }};
    }

    #[test]
    fn descriptor_calls_fail_as_the_kernel_does() {
        let twin = Twin::new("same_as_kernel");
        let null = ptr::null_mut::<c_void>();
        let mut buf = [0u8; 8];
        let buf = buf.as_mut_ptr().cast::<c_void>();
        let omit = libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        };
        let omit_both = [omit, omit];
        let bad_nsec = [
            libc::timespec {
                tv_sec: 0,
                tv_nsec: 1_000_000_000,
            },
            omit,
        ];
        let mut unlock: libc::flock = unsafe { std::mem::zeroed() };
        unlock.l_type = libc::F_UNLCK as _;
        let unlock: *mut libc::flock = &mut unlock;
        let mut bad_type = unsafe { *unlock };
        bad_type.l_type = 7;
        let bad_type: *mut libc::flock = &mut bad_type;
        let no_lock = ptr::null_mut::<libc::flock>();
        let t = &twin;

        assert_same_as_kernel!(t, libc::read, vfs_read, |fd| (-1, null, 10));
        assert_same_as_kernel!(t, libc::read, vfs_read, |fd| (fd, null, 0));
        assert_same_as_kernel!(t, libc::write, vfs_write, |fd| (fd, null, 0));
        assert_same_as_kernel!(t, libc::write, vfs_write, |fd| (fd, null, 10));
        assert_same_as_kernel!(t, libc::pread, vfs_pread, |fd| (-1, buf, 1, -1));
        assert_same_as_kernel!(t, libc::pread, vfs_pread, |fd| (fd, buf, 8, 1));
        assert_same_as_kernel!(t, libc::pwrite, vfs_pwrite, |fd| (-1, null, 1, -1));
        assert_same_as_kernel!(t, libc::ftruncate, vfs_ftruncate, |fd| (-1, -1));
        assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (-1, 0, 42));
        assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, 0, 42));
        assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, -1, libc::SEEK_SET));
        assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, -6, libc::SEEK_END));
        assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (
            fd,
            i64::MAX,
            libc::SEEK_END
        ));
        assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, 2, libc::SEEK_END));
        assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (fd, ptr::null(), -1));
        assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (-1, ptr::null(), -1));
        assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (fd, ptr::null(), 1025));
        assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (fd, ptr::null(), 1));
        assert_same_as_kernel!(t, libc::writev, vfs_writev, |fd| (fd, ptr::null(), 0));
        assert_same_as_kernel!(t, libc::fstat, vfs_fstat, |fd| (-1, ptr::null_mut()));
        assert_same_as_kernel!(t, libc::fstat, vfs_fstat, |fd| (fd, ptr::null_mut()));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (fd, 9999, 0));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (-1, 9999, 0));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (-1, libc::F_DUPFD, -5));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (fd, libc::F_DUPFD, -5));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (fd, libc::F_GETFD, 0));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
            fd,
            libc::F_GETLK,
            no_lock
        ));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
            -1,
            libc::F_SETLK,
            no_lock
        ));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
            fd,
            libc::F_GETLK,
            unlock
        ));
        assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
            fd,
            libc::F_SETLK,
            bad_type
        ));
        assert_same_as_kernel!(t, libc::flock, vfs_flock, |fd| (-1, 77));
        assert_same_as_kernel!(t, libc::flock, vfs_flock, |fd| (-1, libc::LOCK_SH));
        assert_same_as_kernel!(t, libc::flock, vfs_flock, |fd| (
            fd,
            libc::LOCK_SH | libc::LOCK_EX
        ));
        assert_same_as_kernel!(t, libc::dup2, vfs_dup2, |fd| (fd, -1));
        assert_same_as_kernel!(t, libc::dup, vfs_dup, |fd| (-1));
        assert_same_as_kernel!(t, libc::fchmod, vfs_fchmod, |fd| (-1, 0o644));
        assert_same_as_kernel!(t, libc::fsync, vfs_fsync, |fd| (-1));
        assert_same_as_kernel!(t, libc::futimens, vfs_futimens, |fd| (
            -1,
            omit_both.as_ptr()
        ));
        assert_same_as_kernel!(t, libc::futimens, vfs_futimens, |fd| (-1, ptr::null()));
        assert_same_as_kernel!(t, libc::futimens, vfs_futimens, |fd| (
            fd,
            bad_nsec.as_ptr()
        ));
        assert_same_as_kernel!(t, libc::close, vfs_close, |fd| (-1));
    }

    #[test]
    fn f_getfl_reports_what_the_kernel_does() {
        let kernel_dir = tempfile::tempdir().expect("tempdir");
        let shim_dir = scratch("f_getfl");
        let cases = [
            ("f", libc::O_RDONLY | libc::O_CREAT),
            ("f", libc::O_WRONLY),
            ("f", libc::O_RDWR | libc::O_APPEND | libc::O_CLOEXEC),
            (
                "h",
                libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_TRUNC,
            ),
            ("g", libc::O_WRONLY | libc::O_CREAT | libc::O_SYNC),
            (
                "g",
                libc::O_RDONLY | libc::O_DSYNC | libc::O_NONBLOCK | libc::O_NOFOLLOW,
            ),
            (".", libc::O_RDONLY | libc::O_DIRECTORY),
        ];
        for (name, flags) in cases {
            let kernel_path = c_string(
                kernel_dir
                    .path()
                    .join(name)
                    .into_os_string()
                    .into_encoded_bytes(),
            );
            let kernel_fd = unsafe { libc::open(kernel_path.as_ptr(), flags, 0o644) };
            let shim_fd = unsafe {
                vfs_open(
                    c_string(format!("{shim_dir}/{name}")).as_ptr(),
                    flags,
                    0o644,
                )
            };
            assert!(kernel_fd >= 0 && shim_fd >= 0, "open {name} {flags:#o}");
            let get = |kernel_fd, shim_fd| unsafe {
                (
                    libc::fcntl(kernel_fd, libc::F_GETFL),
                    vfs_fcntl_int(shim_fd, libc::F_GETFL, 0),
                )
            };
            let (kernel, shim) = get(kernel_fd, shim_fd);
            assert_eq!(
                shim, kernel,
                "F_GETFL after open {flags:#o}: {shim:#o} vs {kernel:#o}"
            );
            let set = libc::O_RDWR | libc::O_APPEND | libc::O_NONBLOCK | libc::O_SYNC;
            unsafe {
                assert_eq!(libc::fcntl(kernel_fd, libc::F_SETFL, set), 0);
                assert_eq!(vfs_fcntl_int(shim_fd, libc::F_SETFL, set), 0);
            }
            let (kernel, shim) = get(kernel_fd, shim_fd);
            assert_eq!(
                shim, kernel,
                "F_GETFL after F_SETFL on {flags:#o}: {shim:#o} vs {kernel:#o}"
            );
            unsafe { libc::close(kernel_fd) };
            assert_eq!(vfs_close(shim_fd), 0);
        }
    }

    #[test]
    fn open_refuses_what_it_cannot_do() {
        let dir = scratch("open_flags");
        let file = c_string(format!("{dir}/f"));
        unsafe {
            assert_fails(
                vfs_open(file.as_ptr(), libc::O_ACCMODE | libc::O_CREAT, 0o644).into(),
                libc::EINVAL,
            );
            assert_fails(
                vfs_open(
                    c_string(dir.as_str()).as_ptr(),
                    libc::O_TMPFILE | libc::O_RDWR,
                    0o644,
                )
                .into(),
                libc::EOPNOTSUPP,
            );
            assert_fails(
                vfs_open(file.as_ptr(), libc::O_PATH, 0).into(),
                libc::EOPNOTSUPP,
            );
        }
    }

    #[test]
    fn descriptor_flags_and_duplicates() {
        let fd = create(&format!("{}/f", scratch("fd_flags")), b"");
        assert_eq!(vfs_fcntl_int(fd, libc::F_GETFD, 0), 0);
        assert_eq!(vfs_fcntl_int(fd, libc::F_SETFD, libc::FD_CLOEXEC), 0);
        assert_eq!(vfs_fcntl_int(fd, libc::F_GETFD, 0), libc::FD_CLOEXEC);
        let above = vfs_fcntl_int(fd, libc::F_DUPFD_CLOEXEC, 100);
        assert!(above >= 100);
        assert_eq!(vfs_fcntl_int(above, libc::F_GETFD, 0), libc::FD_CLOEXEC);
        assert_fails(vfs_fcntl_int(fd, libc::F_GETLK, 0).into(), libc::EINVAL);
        assert_fails(
            unsafe { vfs_fcntl_lock(fd, libc::F_GETFD, ptr::null_mut()) }.into(),
            libc::EINVAL,
        );
        for closing in [above, fd] {
            assert_eq!(vfs_close(closing), 0);
        }
        assert_fails(vfs_close(fd).into(), libc::EBADF);
    }

    #[test]
    fn io_through_buffers_and_iovecs() {
        let fd = create(&format!("{}/f", scratch("io")), b"");
        let parts: [&[u8]; 3] = [b"one ", b"", b"two"];
        let iov: Vec<libc::iovec> = parts
            .iter()
            .map(|part| libc::iovec {
                iov_base: part.as_ptr() as *mut c_void,
                iov_len: part.len(),
            })
            .collect();
        unsafe {
            assert_eq!(vfs_writev(fd, iov.as_ptr(), 3), 7);
            assert_eq!(vfs_lseek(fd, 0, libc::SEEK_SET), 0);
            let (mut first, mut second) = ([0u8; 2], [0u8; 10]);
            let iov = [
                libc::iovec {
                    iov_base: first.as_mut_ptr().cast(),
                    iov_len: 2,
                },
                libc::iovec {
                    iov_base: ptr::null_mut(),
                    iov_len: 0,
                },
                libc::iovec {
                    iov_base: second.as_mut_ptr().cast(),
                    iov_len: 10,
                },
            ];
            assert_eq!(vfs_readv(fd, iov.as_ptr(), 3), 7);
            assert_eq!((&first, &second[..5]), (b"on", &b"e two"[..]));
            assert_eq!(vfs_pwrite(fd, b"TWO".as_ptr().cast(), 3, 4), 3);
            let mut all = [0u8; 16];
            assert_eq!(vfs_pread(fd, all.as_mut_ptr().cast(), 16, 0), 7);
            assert_eq!(&all[..7], b"one TWO");
            assert_fails(
                vfs_read(fd, all.as_mut_ptr().cast(), usize::MAX) as i64,
                libc::EINVAL,
            );
            assert_eq!(vfs_ftruncate(fd, 3), 0);
            assert_eq!(vfs_lseek(fd, 0, libc::SEEK_END), 3);
        }
        assert_eq!(vfs_close(fd), 0);
    }

    #[test]
    fn stat_fields_come_from_the_node_and_its_mount() {
        let dir = scratch("stat_fields");
        let file = format!("{dir}/f");
        let fd = create(&file, &[7u8; 5000]);
        let times = [
            libc::timespec {
                tv_sec: 1,
                tv_nsec: 5,
            },
            libc::timespec {
                tv_sec: 2,
                tv_nsec: 999_999_999,
            },
        ];
        assert_eq!(unsafe { vfs_futimens(fd, times.as_ptr()) }, 0);
        let mut by_fd: libc::stat = zeroed();
        assert_eq!(unsafe { vfs_fstat(fd, &mut by_fd) }, 0);
        let st = stat(&file);
        assert_eq!(
            (st.st_ino, st.st_size, st.st_dev),
            (by_fd.st_ino, 5000, by_fd.st_dev)
        );
        assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFREG);
        assert_eq!(st.st_nlink, 1);
        assert!(
            st.st_blksize > 0 && st.st_blocks >= 8,
            "{} {}",
            st.st_blksize,
            st.st_blocks
        );
        assert_eq!((st.st_atime, st.st_atime_nsec), (1, 5));
        assert_eq!((st.st_mtime, st.st_mtime_nsec), (2, 999_999_999));
        assert!(st.st_ctime > 2);

        // A file system mounted below has its own st_dev and f_fsid.
        let mount_point = format!("{dir}/mnt");
        unsafe {
            assert_eq!(vfs_mkdir(c_string(mount_point.as_str()).as_ptr(), 0o755), 0);
            let url = c_string("ram://");
            let flags = libc::MS_MGC_VAL | libc::MS_RDONLY | libc::MS_NOSUID;
            assert_eq!(
                vfs_mount(c_string(mount_point.as_str()).as_ptr(), url.as_ptr(), flags),
                0
            );
            assert_fails(
                vfs_mount(
                    c_string(mount_point.as_str()).as_ptr(),
                    url.as_ptr(),
                    libc::MS_BIND,
                )
                .into(),
                libc::EINVAL,
            );
            assert_fails(
                vfs_mount(
                    c_string(mount_point.as_str()).as_ptr(),
                    c_string("nope://").as_ptr(),
                    0,
                )
                .into(),
                libc::ENODEV,
            );
        }
        let mounted = stat(&mount_point);
        assert_ne!(mounted.st_dev, st.st_dev);
        let mut fs: libc::statvfs = zeroed();
        unsafe {
            assert_eq!(
                vfs_statvfs(c_string(mount_point.as_str()).as_ptr(), &mut fs),
                0
            );
            assert_eq!(fs.f_fsid, mounted.st_dev);
            assert_eq!(fs.f_flag & libc::ST_RDONLY, libc::ST_RDONLY);
            assert_eq!(fs.f_namemax, 255);
            assert_eq!(vfs_fstatvfs(fd, &mut fs), 0);
            assert_eq!(fs.f_flag & libc::ST_RDONLY, 0);
            assert_eq!(vfs_umount(c_string(mount_point.as_str()).as_ptr()), 0);
        }
        assert_eq!(vfs_close(fd), 0);
    }

    #[test]
    fn utimensat_relative_to_a_directory_and_on_symlinks() {
        let dir = scratch("utimensat");
        let fd = create(&format!("{dir}/f"), b"");
        let link = format!("{dir}/link");
        unsafe {
            assert_eq!(
                vfs_symlink(c_string("f").as_ptr(), c_string(link.as_str()).as_ptr()),
                0
            );
        }
        let dir_fd = unsafe {
            vfs_open(
                c_string(dir.as_str()).as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY,
                0,
            )
        };
        assert!(dir_fd >= 0);
        let at = |sec| {
            [
                libc::timespec {
                    tv_sec: sec,
                    tv_nsec: 0,
                },
                libc::timespec {
                    tv_sec: sec,
                    tv_nsec: libc::UTIME_OMIT,
                },
            ]
        };
        let relative = c_string("f");
        unsafe {
            assert_eq!(
                vfs_utimensat(dir_fd, relative.as_ptr(), at(10).as_ptr(), 0),
                0
            );
            assert_eq!(stat(&format!("{dir}/f")).st_atime, 10);
            // Through the symlink, or on the symlink itself.
            let link_name = c_string("link");
            assert_eq!(
                vfs_utimensat(dir_fd, link_name.as_ptr(), at(20).as_ptr(), 0),
                0
            );
            assert_eq!(stat(&format!("{dir}/f")).st_atime, 20);
            assert_eq!(
                vfs_utimensat(
                    dir_fd,
                    link_name.as_ptr(),
                    at(30).as_ptr(),
                    libc::AT_SYMLINK_NOFOLLOW
                ),
                0
            );
            assert_eq!((lstat(&link).st_atime, stat(&link).st_atime), (30, 20));
            assert_fails(
                vfs_utimensat(fd, relative.as_ptr(), ptr::null(), 0).into(),
                libc::ENOTDIR,
            );
            assert_fails(
                vfs_utimensat(-1, relative.as_ptr(), ptr::null(), 0).into(),
                libc::EBADF,
            );
            assert_fails(
                vfs_utimensat(dir_fd, relative.as_ptr(), ptr::null(), libc::AT_EMPTY_PATH).into(),
                libc::EINVAL,
            );
            // An absolute path ignores dirfd.
            let absolute = c_string(format!("{dir}/f"));
            assert_eq!(vfs_utimensat(-1, absolute.as_ptr(), at(40).as_ptr(), 0), 0);
            assert_eq!(stat(&format!("{dir}/f")).st_atime, 40);
        }
        for open in [dir_fd, fd] {
            assert_eq!(vfs_close(open), 0);
        }
    }

    #[test]
    fn readlink_truncates_without_nul() {
        let dir = scratch("readlink");
        let link = c_string(format!("{dir}/link"));
        let mut buf = [b'#'; 8];
        unsafe {
            assert_eq!(
                vfs_symlink(c_string("target-of-link").as_ptr(), link.as_ptr()),
                0
            );
            assert_eq!(vfs_readlink(link.as_ptr(), buf.as_mut_ptr().cast(), 4), 4);
            assert_eq!(&buf, b"targ####");
            assert_fails(
                vfs_readlink(link.as_ptr(), buf.as_mut_ptr().cast(), 0) as i64,
                libc::EINVAL,
            );
            assert_fails(
                vfs_readlink(link.as_ptr(), ptr::null_mut(), 8) as i64,
                libc::EFAULT,
            );
            assert_fails(
                vfs_readlink(c_string(dir.as_str()).as_ptr(), buf.as_mut_ptr().cast(), 8) as i64,
                libc::EINVAL,
            );
        }
    }

    #[test]
    fn readdir_lists_byte_names_and_ends_with_errno_untouched() {
        let dir = scratch("readdir");
        let names: [&[u8]; 3] = [b"plain", b"caf\xe9", b"\xff\xfe"];
        for name in names {
            let mut path = format!("{dir}/").into_bytes();
            path.extend_from_slice(name);
            let fd = unsafe {
                vfs_open(
                    c_string(path).as_ptr(),
                    libc::O_WRONLY | libc::O_CREAT,
                    0o600,
                )
            };
            assert!(fd >= 0, "create {name:?}: errno {}", errno());
            assert_eq!(vfs_close(fd), 0);
        }
        let stream = unsafe { vfs_opendir(c_string(dir.as_str()).as_ptr()) };
        assert!(!stream.is_null());
        let list = || {
            let mut listed = Vec::new();
            clear_errno();
            loop {
                let entry = unsafe { vfs_readdir(stream) };
                let Some(entry) = (unsafe { entry.as_ref() }) else {
                    break;
                };
                let name = unsafe { CStr::from_ptr(entry.d_name.as_ptr()) };
                listed.push((name.to_bytes().to_vec(), entry.d_type));
            }
            assert_eq!(errno(), 0, "the end of a listing leaves errno alone");
            listed.sort();
            listed
        };
        let mut expected: Vec<(Vec<u8>, u8)> = [&b"."[..], b".."]
            .iter()
            .map(|dots| (dots.to_vec(), libc::DT_DIR))
            .chain(names.iter().map(|name| (name.to_vec(), libc::DT_REG)))
            .collect();
        expected.sort();
        assert_eq!(list(), expected);
        assert_eq!(list(), vec![], "an ended stream stays ended");
        unsafe { vfs_rewinddir(stream) };
        assert_eq!(list(), expected);
        let fd = unsafe { vfs_dirfd(stream) };
        let mut st: libc::stat = zeroed();
        assert_eq!(unsafe { vfs_fstat(fd, &mut st) }, 0);
        assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFDIR);
        assert_eq!(unsafe { vfs_closedir(stream) }, 0);
        assert_fails(unsafe { vfs_fstat(fd, &mut st) }.into(), libc::EBADF);
    }

    #[test]
    fn getcwd_follows_glibc() {
        let dir = scratch("getcwd");
        let mut buf = [0 as c_char; 64];
        unsafe {
            assert_eq!(vfs_chdir(c_string(dir.as_str()).as_ptr()), 0);
            let needed = dir.len() + 1;
            assert!(vfs_getcwd(buf.as_mut_ptr(), needed - 1).is_null());
            assert_eq!(errno(), libc::ERANGE);
            assert!(vfs_getcwd(buf.as_mut_ptr(), 0).is_null());
            assert_eq!(errno(), libc::EINVAL);
            assert_eq!(vfs_getcwd(buf.as_mut_ptr(), needed), buf.as_mut_ptr());
            assert_eq!(CStr::from_ptr(buf.as_ptr()).to_bytes(), dir.as_bytes());
            let allocated = vfs_getcwd(ptr::null_mut(), 0);
            assert_eq!(CStr::from_ptr(allocated).to_bytes(), dir.as_bytes());
            libc::free(allocated.cast());
            assert!(vfs_getcwd(ptr::null_mut(), 2).is_null());
            assert_eq!(errno(), libc::ERANGE);
            assert_eq!(vfs_chdir(c_string("/").as_ptr()), 0);
        }
    }

    #[test]
    fn init_keeps_the_first_root() {
        unsafe {
            // Any test may have created the context first, always with ram://.
            assert_eq!(vfs_init(c_string("ram://").as_ptr()), 0);
            assert_fails(
                vfs_init(c_string("ram://?size=1m").as_ptr()).into(),
                libc::EBUSY,
            );
            assert_fails(
                vfs_init(c_string(&b"ram://\xff"[..]).as_ptr()).into(),
                libc::EINVAL,
            );
        }
        let previous = vfs_umask(0o027);
        assert_eq!(vfs_umask(previous), 0o027);
    }

    #[test]
    fn access_checks_its_mode() {
        let dir = c_string(scratch("access"));
        unsafe {
            assert_eq!(vfs_access(dir.as_ptr(), libc::F_OK), 0);
            assert_eq!(
                vfs_access(dir.as_ptr(), libc::R_OK | libc::W_OK | libc::X_OK),
                0
            );
            assert_fails(vfs_access(dir.as_ptr(), 8).into(), libc::EINVAL);
            assert_fails(
                vfs_access(c_string("/c_abi/access/none").as_ptr(), libc::F_OK).into(),
                libc::ENOENT,
            );
        }
    }

    /// A ramfs whose `statfs` panics: a backend bug for the panic test.
    struct PanickingStatfs(RamFs);

    #[async_trait]
    impl Filesystem for PanickingStatfs {
        fn root(&self) -> Arc<dyn Vnode> {
            self.0.root()
        }

        fn capabilities(&self) -> Capabilities {
            self.0.capabilities()
        }

        fn describe(&self) -> String {
            "panic://".to_string()
        }

        async fn statfs(&self) -> Result<FsStat> {
            panic!("statfs of a broken backend (this panic is expected by the test)")
        }
    }

    struct PanickingFactory;

    #[async_trait]
    impl BackendFactory for PanickingFactory {
        fn scheme(&self) -> &'static str {
            "panic"
        }

        fn usage(&self) -> &'static str {
            "panic://  a ramfs whose statfs panics"
        }

        async fn mount(&self, _url: &Url) -> Result<Arc<dyn Filesystem>> {
            Ok(Arc::new(PanickingStatfs(RamFs::new(
                RamFsOptions::default(),
            ))))
        }
    }

    #[test]
    fn a_panic_in_a_backend_becomes_eio() {
        let context = context_with_root(DEFAULT_ROOT_URL).expect("context");
        context
            .process
            .vfs()
            .registry()
            .register(Arc::new(PanickingFactory));
        let mount_point = c_string(format!("{}/mnt", scratch("panic")));
        let mut fs: libc::statvfs = zeroed();
        unsafe {
            assert_eq!(vfs_mkdir(mount_point.as_ptr(), 0o755), 0);
            assert_eq!(
                vfs_mount(mount_point.as_ptr(), c_string("panic://").as_ptr(), 0),
                0
            );
            assert_fails(vfs_statvfs(mount_point.as_ptr(), &mut fs).into(), libc::EIO);
            // The context is still usable.
            let mut st: libc::stat = zeroed();
            assert_eq!(vfs_stat(mount_point.as_ptr(), &mut st), 0);
            assert_eq!(vfs_umount(mount_point.as_ptr()), 0);
        }
        assert_fails(
            guarded(|| -> Result<()> { panic!("expected by the test") }).into(),
            libc::EIO,
        );
    }
}
