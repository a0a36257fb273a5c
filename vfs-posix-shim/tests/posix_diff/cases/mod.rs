//! The cases, one module per area. A case is a function of a [`Trace`]: it makes
//! calls through it (each one recorded) and checks its own expectations; it runs in
//! an empty scratch directory that is the cwd, with umask 022.

use crate::trace::Trace;

/// Lists a module's case functions as its `CASES`, named after them.
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        pub const CASES: &[(&str, crate::cases::CaseFn)] =
            &[$((stringify!($name), $name as crate::cases::CaseFn)),*];
    };
}

mod access_statvfs;
mod append;
mod cloexec;
mod cwd;
mod dirs;
mod dup;
mod ebadf;
mod locks;
mod lseek;
mod open;
mod paths;
mod permissions;
mod positional;
mod read_write;
mod stat;
mod status_flags;
mod truncate;
mod umask;
mod vectored;

/// What the cases share.
mod prelude {
    pub use crate::api::{Flock, SysResult, Time};
    pub use crate::trace::Trace;
    pub use libc::{
        AT_SYMLINK_NOFOLLOW, EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, EMFILE,
        ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, FD_CLOEXEC, F_OK, F_RDLCK, F_UNLCK,
        F_WRLCK, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY,
        O_DSYNC, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY, R_OK,
        SEEK_CUR, SEEK_END, SEEK_SET, UTIME_NOW, UTIME_OMIT, W_OK, X_OK,
    };

    /// `O_RDWR | O_CREAT`.
    pub const RW_CREATE: i32 = O_RDWR | O_CREAT;

    /// A `struct flock`.
    pub fn lock(l_type: i32, whence: i32, start: i64, len: i64) -> Flock {
        Flock {
            l_type: l_type as i16,
            whence: whence as i16,
            start,
            len,
            pid: 0,
        }
    }

    /// A `struct timespec`.
    pub fn time(sec: i64, nsec: i64) -> Time {
        Time { sec, nsec }
    }
}

/// Cases where the shim knowingly differs from the kernel, with the reason. They
/// still run and their difference is printed on every run; the run fails if one
/// stops differing (then it belongs out of this list) or if its kernel side
/// breaks its own expectations.
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// What a case is: a function making calls through a trace.
pub type CaseFn = fn(&Trace);

/// One case, named `area::function`.
pub struct Case {
    pub name: String,
    pub run: CaseFn,
    /// Why the shim differs here, for a case of [`KNOWN_DIFFERENCES`].
    pub known_difference: Option<&'static str>,
}

/// Every case, area by area.
pub fn all() -> impl Iterator<Item = Case> {
    let areas: [(&str, &[(&str, CaseFn)]); 19] = [
        ("open", open::CASES),
        ("read_write", read_write::CASES),
        ("positional", positional::CASES),
        ("vectored", vectored::CASES),
        ("lseek", lseek::CASES),
        ("append", append::CASES),
        ("dup", dup::CASES),
        ("status_flags", status_flags::CASES),
        ("cloexec", cloexec::CASES),
        ("ebadf", ebadf::CASES),
        ("truncate", truncate::CASES),
        ("stat", stat::CASES),
        ("dirs", dirs::CASES),
        ("cwd", cwd::CASES),
        ("umask", umask::CASES),
        ("paths", paths::CASES),
        ("permissions", permissions::CASES),
        ("access_statvfs", access_statvfs::CASES),
        ("locks", locks::CASES),
    ];
    areas.into_iter().flat_map(|(area, cases)| {
        cases.iter().map(move |&(name, run)| {
            let name = format!("{area}::{name}");
            let known_difference = KNOWN_DIFFERENCES
                .iter()
                .find(|(known, _)| *known == name)
                .map(|&(_, reason)| reason);
            Case {
                name,
                run,
                known_difference,
            }
        })
    })
}
