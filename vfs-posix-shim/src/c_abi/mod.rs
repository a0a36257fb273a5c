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
//!
//! This file holds the context and the conventions every call shares (the return
//! value and `errno`, arguments read from C); the calls themselves are grouped as
//! the shim's own: [`descriptors`], [`paths`], [`dir_streams`] and [`process`], with
//! the conversions between C's values and the shim's in [`convert`].

mod convert;
mod descriptors;
mod dir_streams;
mod paths;
mod process;
#[cfg(test)]
mod tests;

pub use convert::open_flags_of;

use crate::blocking::{wait, Blocking};
use crate::process::{Process, Vfs};
use libc::{c_char, c_int, c_void, mode_t, off_t, size_t, ssize_t};
use std::ffi::CStr;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::OnceLock;
use vfs_core::{Errno, Location, Result};

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

/// The node `path` names, for the calls that need its mount as well as its
/// attributes (`st_dev`, `f_flag`): resolved once, as `Namespace::stat` does.
fn resolve(posix: &Blocking<'_>, path: &[u8], follow: bool) -> Result<Location> {
    wait(posix.namespace().resolve(&posix.caller(), path, follow))
}

/// The node open as `fd`.
fn location_of(posix: &Blocking<'_>, fd: c_int) -> Result<Location> {
    Ok(posix.description(fd)?.handle.location().clone())
}
