//! Errors: a Linux errno value plus human context.
//!
//! Every fallible call in the framework returns [`Result`]. The error's kind is an
//! [`Errno`], whose numeric value is exactly the Linux one, so a C ABI can hand it to
//! `errno` unchanged and a test can compare it with what the kernel returned. The
//! context (which name, which server) is for people and never changes the kind.

use std::fmt;

/// A Linux errno value (x86_64/aarch64 generic numbering).
///
/// The constants cover every value the framework produces; [`Errno::from_raw`] accepts
/// any other positive value too, so an errno seen from the kernel or a server is never
/// lost in translation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(i32);

macro_rules! errnos {
    ($($name:ident = $value:literal, $text:literal;)*) => {
        impl Errno {
            $(
                #[doc = $text]
                pub const $name: Errno = Errno($value);
            )*

            /// The symbolic name (`"ENOENT"`), or `None` for a value without a constant.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// The C library's description (`"No such file or directory"`).
            pub fn description(self) -> &'static str {
                match self.0 {
                    $($value => $text,)*
                    _ => "Unknown error",
                }
            }
        }
    };
}

errnos! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    ENXIO = 6, "No such device or address";
    E2BIG = 7, "Argument list too long";
    EBADF = 9, "Bad file descriptor";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    EXDEV = 18, "Invalid cross-device link";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EISDIR = 21, "Is a directory";
    EINVAL = 22, "Invalid argument";
    ENFILE = 23, "Too many open files in system";
    EMFILE = 24, "Too many open files";
    ETXTBSY = 26, "Text file busy";
    EFBIG = 27, "File too large";
    ENOSPC = 28, "No space left on device";
    ESPIPE = 29, "Illegal seek";
    EROFS = 30, "Read-only file system";
    EMLINK = 31, "Too many links";
    ERANGE = 34, "Numerical result out of range";
    EDEADLK = 35, "Resource deadlock avoided";
    ENAMETOOLONG = 36, "File name too long";
    ENOLCK = 37, "No locks available";
    ENOSYS = 38, "Function not implemented";
    ENOTEMPTY = 39, "Directory not empty";
    ELOOP = 40, "Too many levels of symbolic links";
    ENODATA = 61, "No data available";
    EREMOTE = 66, "Object is remote";
    EPROTO = 71, "Protocol error";
    EBADMSG = 74, "Bad message";
    EOVERFLOW = 75, "Value too large for defined data type";
    EOPNOTSUPP = 95, "Operation not supported";
    ECONNRESET = 104, "Connection reset by peer";
    ENOTCONN = 107, "Transport endpoint is not connected";
    ETIMEDOUT = 110, "Connection timed out";
    ECONNREFUSED = 111, "Connection refused";
    EHOSTUNREACH = 113, "No route to host";
    ESTALE = 116, "Stale file handle";
    EREMOTEIO = 121, "Remote I/O error";
    EDQUOT = 122, "Disk quota exceeded";
    ECANCELED = 125, "Operation canceled";
}

impl Errno {
    /// Wraps a raw errno value. Returns `None` for zero or negative values, which are
    /// not errors.
    pub fn from_raw(value: i32) -> Option<Errno> {
        (value > 0).then_some(Errno(value))
    }

    /// The raw Linux value, as C's `errno` holds it.
    pub fn raw(self) -> i32 {
        self.0
    }

    /// Makes an [`Error`] of this kind carrying `context`.
    pub fn with(self, context: impl Into<String>) -> Error {
        Error::new(self, context)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.description()),
            None => write!(f, "errno {}", self.0),
        }
    }
}

/// The one error type of the framework: an [`Errno`] and optional human context.
///
/// Kept two words wide so `Result<T>` stays cheap on hot paths.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    errno: Errno,
    context: Option<Box<str>>,
}

/// `Result` with the framework's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of kind `errno` explained by `context` (for example the name involved).
    pub fn new(errno: Errno, context: impl Into<String>) -> Error {
        Error {
            errno,
            context: Some(context.into().into_boxed_str()),
        }
    }

    /// The errno kind; this is what callers and tests compare.
    pub fn errno(&self) -> Errno {
        self.errno
    }

    /// The human context, if any.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref()
    }

    /// Returns the same error with `context` placed in front of the existing context.
    pub fn context_prefix(self, context: impl fmt::Display) -> Error {
        let context = match self.context {
            Some(old) => format!("{context}: {old}"),
            None => context.to_string(),
        };
        Error::new(self.errno, context)
    }
}

impl From<Errno> for Error {
    fn from(errno: Errno) -> Error {
        Error {
            errno,
            context: None,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(context) => write!(f, "{:?}: {context}", self.errno),
            None => write!(f, "{:?}", self.errno),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(context) => write!(f, "{context}: {}", self.errno),
            None => write!(f, "{}", self.errno),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    /// Keeps the errno: `raw_os_error()` of the result is `error.errno().raw()`.
    ///
    /// `std::io::Error` cannot hold both an OS code and a payload, and callers match
    /// on the code, so the context is dropped here; log the [`Error`] first where it
    /// matters.
    fn from(error: Error) -> std::io::Error {
        std::io::Error::from_raw_os_error(error.errno.raw())
    }
}

impl From<Errno> for std::io::Error {
    fn from(errno: Errno) -> std::io::Error {
        std::io::Error::from_raw_os_error(errno.raw())
    }
}

/// The errno of an `io::Error`: its raw OS error, or `EIO` for one made without it.
pub fn errno_of_io(error: &std::io::Error) -> Errno {
    error
        .raw_os_error()
        .and_then(Errno::from_raw)
        .unwrap_or(Errno::EIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_linux() {
        assert_eq!(Errno::ENOENT.raw(), 2);
        assert_eq!(Errno::ENOTEMPTY.raw(), 39);
        assert_eq!(Errno::ELOOP.raw(), 40);
        assert_eq!(Errno::ESTALE.raw(), 116);
        assert_eq!(Errno::from_raw(0), None);
        assert_eq!(Errno::from_raw(2), Some(Errno::ENOENT));
    }

    #[test]
    fn io_error_keeps_errno() {
        let plain: std::io::Error = Error::from(Errno::EXDEV).into();
        assert_eq!(plain.raw_os_error(), Some(18));
        let with_context: std::io::Error = Errno::ENOENT.with("lookup of 'x'").into();
        assert_eq!(with_context.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(errno_of_io(&with_context), Errno::ENOENT);
    }

    #[test]
    fn display_names_the_errno() {
        let error = Errno::ENOTDIR.with("'a/b'");
        assert_eq!(error.to_string(), "'a/b': ENOTDIR (Not a directory)");
        assert_eq!(format!("{:?}", Errno::from_raw(200).unwrap()), "Errno(200)");
    }
}
