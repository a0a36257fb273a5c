//! Fault injection for the VFS framework's reliability work: what breaks the NFS
//! client on purpose and judges how it copes.
//!
//! - [`proxy`]: a TCP fault proxy on loopback (cut after N bytes, delay, stall,
//!   refuse), between the client and any server.
//! - [`fake_server`]: a fake NFSv3/MOUNT server for a tiny tree that sends one
//!   kind of hostile reply ([`hostile`]); [`hostile_check`] judges the client.
//! - [`stress`]: threads of random operations with models and a final
//!   consistency pass.
//! - [`faults`]: the server-crash, connection-cut, lost-reply, soft-mount and
//!   unreachable scenarios; [`ganesha`] drives `scripts/nfs-server`'s server for
//!   them.
//! - [`jukebox`]: a busy server (`NFS3ERR_JUKEBOX`) met by a hard and a soft
//!   mount.
//! - [`watchdog`] runs each scenario with a deadline; [`report`] tallies.
//!
//! The `vfs-torture` binary (and `scripts/torture`) runs them all; the crate's
//! tests run fast versions.

pub mod fake_server;
pub mod faults;
pub mod ganesha;
pub mod hostile;
pub mod hostile_check;
pub mod jukebox;
pub mod pattern;
pub mod proxy;
pub mod record;
pub mod report;
pub mod stress;
pub mod urls;
pub mod watchdog;
