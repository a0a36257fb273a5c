//! The core of the VFS framework: the traits a backend implements, the namespace
//! that routes paths to backends, and the types both share.
//!
//! A backend implements three small traits: [`Filesystem`] (one mounted instance),
//! [`Vnode`] (one node: file, directory, symlink, special file) and [`OpenFile`] (one open of a
//! file), and declares its [`Capabilities`]. A [`Namespace`] mounts backends on
//! directories, resolves paths through them (`.`/`..` as real steps, symlinks,
//! mount crossings, Linux's trailing-slash rules) and offers POSIX path operations
//! whose errors are Linux [`Errno`] values. Frontends (the POSIX shim, FUSE) sit on
//! the namespace; data flows one way: frontend -> namespace -> backend. A
//! [`Registry`] maps URL schemes to backend factories. There is no executor in here:
//! every future runs under any runtime or `futures::executor::block_on`.

mod attr;
mod capability;
mod errno;
mod fetch;
mod file_handle;
mod filesystem;
mod filling_dirs;
mod flags;
mod mount;
mod name;
mod namespace;
mod open_file;
pub mod permission;
mod registry;
mod resolve;
pub mod sole_thread;
mod url_edit;
mod vnode;
mod walk_cache;

pub use async_trait::async_trait;
pub use attr::{Attr, FileType, FsStat, NewNode, SetAttr, SetTime, Timespec};
pub use capability::Capabilities;
pub use errno::{errno_of_io, Errno, Error, Result};
pub use file_handle::FileHandle;
pub use filesystem::{Filesystem, NamesVersion};
pub use flags::{AccessMask, Credentials, OpenFlags};
pub use mount::{Location, Mount, MountOptions};
pub use name::{Name, NAME_MAX, PATH_MAX};
pub use namespace::{Caller, MountInfo, Namespace};
pub use open_file::OpenFile;
pub use permission::check_access;
pub use registry::{BackendFactory, Registry};
pub use resolve::{check_path, MAX_SYMLINKS};
pub use url::Url;
pub use url_edit::{url_with_option, url_with_path};
pub use vnode::{attributes, lookup, opened};
pub use vnode::{CreateMode, DirEntry, DirPage, Vnode};
