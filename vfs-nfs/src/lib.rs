//! The NFSv3 backend: a client that serves a remote export as a
//! [`vfs_core::Filesystem`].
//!
//! A vnode holds its NFS file handle; every operation is one (or a few) NFSv3
//! procedures on handles, never a rebuilt path. One mount is shared by any number
//! of threads and tasks over a small set of multiplexed connections ([`rpc`]): no
//! per-thread contexts. The backend owns its I/O threads (`reactor`), so its futures run
//! under any executor and from the blocking POSIX shim.
//!
//! Mount with [`NfsFs::mount`] or, after [`register`], by URL through a
//! [`vfs_core::Registry`]: `nfs://host/export?nfsport=2049&mountport=20048`; see
//! [`NfsUrl`] for every option.
//!
//! Consistency is Linux's: attributes are cached per node with `ac*` timeouts and
//! refreshed from every reply that carries them; a directory's lookup cache lives
//! as long as its attributes show no change made by someone else; every `open`
//! revalidates (close-to-open); writes are UNSTABLE and committed at close and
//! `fsync` (sent in the background, write-behind), kept until then so a server
//! restart loses nothing; sequential readers get readahead; a file unlinked while
//! open is silly-renamed. The file layout: `state` (what a mount shares), `node`
//! (the vnode), `file` (an open file), `fs` and `factory` (mounting), `attr`,
//! `lookup_cache`, `counters` (calls per procedure), `writes` (uncommitted data),
//! `write_behind`, `readahead`,
//! `buffers`, `silly`, `readdir`, and the `proc_*` modules with the
//! procedures.

mod attr;
pub mod buffers;
mod client;
mod clock;
mod connect;
mod counters;
mod error;
mod factory;
mod file;
mod fs;
mod lookup_cache;
#[cfg(feature = "memfs-server")]
pub mod memfs_server;
mod node;
mod proc_attr;
mod proc_dir;
mod proc_fs;
mod proc_io;
mod reactor;
mod readahead;
mod readdir;
pub mod rpc;
mod silly;
mod state;
mod url;
mod write_behind;
mod writes;

pub use counters::RpcCounts;
pub use error::errno_of;
pub use factory::{register, NfsFactory};
pub use fs::NfsFs;
pub use url::{AttrCacheTimes, CapOverrides, NfsUrl};
