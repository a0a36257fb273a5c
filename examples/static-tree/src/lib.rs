//! An example backend for the VFS framework, small enough to read in one sitting: a
//! read-only file system serving the tree of a tar archive from memory, as
//! unikernels ship their read-only images.
//!
//! - `tar.rs` reads the archive format (ustar headers, GNU and pax long names),
//! - `tree.rs` builds the inode table (implied directories, hard links, link counts),
//! - `fs.rs` implements vfs-core's `Filesystem`, `Vnode` and `OpenFile` on it,
//! - `factory.rs` registers the `tar:///path/to/image.tar` URL scheme.
//!
//! docs/writing-a-backend.md in the repository walks through it step by step.
//!
//! ```
//! use std::sync::Arc;
//! use vfs_core::{MountOptions, Namespace, Registry};
//!
//! let registry = Registry::new();
//! vfs_example_static_tree::register(&registry);
//! let missing = futures::executor::block_on(registry.mount("tar:///no/such.tar"));
//! assert_eq!(missing.err().unwrap().errno(), vfs_core::Errno::ENOENT);
//! ```

#![warn(missing_docs)]

mod factory;
mod fs;
mod tar;
mod tree;

pub use factory::{register, TarFactory};
pub use fs::StaticTree;
