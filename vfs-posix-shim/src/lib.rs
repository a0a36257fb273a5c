//! POSIX calls over a [`vfs_core::Namespace`]: what an application, a language
//! runtime or a unikernel's libc calls instead of the kernel.
//!
//! A [`Vfs`] is the shared world (namespace, URL registry, advisory locks); each
//! [`Process`] in it has its own descriptor table, working directory, umask and
//! credentials, and is shared by any number of threads. Every call exists as an
//! `async` method of [`Process`] and, blocking, through [`Process::blocking`] (which
//! needs no runtime in the caller: backends own their I/O). On top sit a Rust API in
//! `std::fs`'s shape ([`fs`]) and a C ABI (`vfs_open`, ... in `include/vfs.h`).
//! Errors are [`vfs_core::Error`]s whose errno is Linux's, in the order Linux checks.

mod blocking;
mod c_abi;
mod dir_calls;
mod fd_table;
mod file_calls;
pub mod fs;
mod lock_calls;
pub mod locks;
mod ofd;
mod path_calls;
mod process;

pub use blocking::Blocking;
pub use c_abi::open_flags_of;
pub use fd_table::{Fd, DEFAULT_FD_LIMIT};
pub use file_calls::{Whence, IOV_MAX};
pub use lock_calls::{FlockOp, LockType, RecordLock};
pub use ofd::DirEnt;
pub use process::{Process, Vfs};
