//! An in-memory backend for the VFS framework with the semantics of Linux's tmpfs,
//! errnos included: sparse regular files whose holes cost nothing, directories with
//! stable listing cookies, symlinks, hard links with true link counts, FIFOs,
//! sockets and device nodes (names with a device number, as tmpfs keeps), atomic
//! `rename` and append, files that stay usable while open after being unlinked,
//! Linux's timestamp rules (relatime included) and optional size and inode limits
//! accounted in 4 KiB pages as tmpfs does. Mount one with [`RamFs::new`], or by URL
//! (`ram://?size=64m`) after [`register`]ing [`RamFactory`]. Each instance is
//! independent; all of it is safe to share between threads, and no future it returns
//! ever waits: they run under any executor. Reads also answer synchronously
//! (`OpenFile::read_at_now`), so the blocking shim reads without an executor.
//!
//! File data is 4 KiB pages in a per-file radix tree (`pages`), the pages carved from
//! 2 MiB chunks that Linux may back with transparent huge pages (`pool`). A chunk
//! hands out its pages in address order and a file growing past 2 MiB starts each
//! further 2 MiB in a fresh chunk, so a sequentially written file's leaves hold
//! adjacent pages and collapse into runs (one pointer each): a random 4 KiB read
//! then costs one cache miss, on the data itself, and the copy.

#![warn(missing_docs)]

mod data;
mod dir;
mod factory;
mod file;
mod fs;
mod meta;
mod node;
mod pages;
mod pool;
mod quota;
mod rename;
mod vnode;

pub use factory::{register, RamFactory};
pub use fs::{RamFs, RamFsOptions};
