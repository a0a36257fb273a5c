//! Reaching an export: the portmapper (when ports are not given) and the MOUNT
//! handshake, done with nfs3_client's sequential clients on the I/O threads. Only
//! the NFS program itself needs the multiplexed transport of [`crate::rpc`].

use crate::reactor;
use nfs3_client::tokio::TokioIo;
use nfs3_client::{MountClient, MountError, PortmapperClient};
use nfs3_types::mount::{dirpath, mountstat3};
use nfs3_types::nfs3::nfs_fh3;
use nfs3_types::rpc::opaque_auth;
use nfs3_types::xdr_codec::Opaque;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use vfs_core::{Errno, Error, Result};

/// Where an export lives, as the handshake found it.
#[derive(Clone, Debug)]
pub struct Export {
    /// The NFS program's address.
    pub nfs: SocketAddr,
    /// The MOUNT program's address (for UMNT).
    pub mount: SocketAddr,
    /// The export's root file handle.
    pub root: nfs_fh3,
}

/// What the handshake needs to know.
pub struct Target<'a> {
    /// Host name or address.
    pub host: &'a str,
    /// Portmapper port (111 unless the URL says otherwise).
    pub portmapper_port: u16,
    /// NFS port, when known.
    pub nfs_port: Option<u16>,
    /// MOUNT port, when known.
    pub mount_port: Option<u16>,
    /// The export's path on the server.
    pub export: &'a [u8],
    /// AUTH_UNIX credential for MOUNT.
    pub credential: opaque_auth<'static>,
    /// Bound on each connection attempt and call of the handshake.
    pub timeout: Duration,
}

impl Target<'_> {
    fn describe(&self) -> String {
        format!("{}:{}", self.host, String::from_utf8_lossy(self.export))
    }
}

/// Finds the ports (asking the portmapper for those not given) and mounts the
/// export; errors name the server, the export and the cause.
pub async fn mount(target: Target<'_>) -> Result<Export> {
    let what = target.describe();
    let host = target.host.to_string();
    let export = target.export.to_vec();
    let (portmapper_port, nfs_port, mount_port) =
        (target.portmapper_port, target.nfs_port, target.mount_port);
    let credential = target.credential;
    let timeout = target.timeout;
    let task = async move {
        let ip = resolve(&host, timeout).await?;
        let (nfs, mount) = match (nfs_port, mount_port) {
            (Some(nfs), Some(mount)) => (nfs, mount),
            _ => {
                let portmapper = SocketAddr::new(ip, portmapper_port);
                let mut client = PortmapperClient::new(connect(portmapper, timeout).await?);
                let nfs = match nfs_port {
                    Some(port) => port,
                    None => {
                        getport(
                            &mut client,
                            portmapper,
                            nfs3_types::nfs3::PROGRAM,
                            nfs3_types::nfs3::VERSION,
                            timeout,
                        )
                        .await?
                    }
                };
                let mount = match mount_port {
                    Some(port) => port,
                    None => {
                        getport(
                            &mut client,
                            portmapper,
                            nfs3_types::mount::PROGRAM,
                            nfs3_types::mount::VERSION,
                            timeout,
                        )
                        .await?
                    }
                };
                (nfs, mount)
            }
        };
        let mount_address = SocketAddr::new(ip, mount);
        let io = connect(mount_address, timeout).await?;
        let mut client = MountClient::new_with_auth(io, credential, opaque_auth::default());
        let path = dirpath(Opaque::borrowed(&export));
        let reply = match tokio::time::timeout(timeout, client.mnt(path)).await {
            Ok(reply) => reply,
            Err(_) => {
                return Err(Errno::ETIMEDOUT.with(format!(
                    "MOUNT at {mount_address}: no answer within {timeout:?}"
                )))
            }
        };
        let resok = reply.map_err(|e| match e {
            MountError::Denied(status) => {
                // Servers answer ACCES for a path they do not export at all
                // (ganesha does), so the message says both readings.
                let hint = match status {
                    mountstat3::MNT3ERR_ACCES => {
                        " (the path is not exported, or not to this client)"
                    }
                    mountstat3::MNT3ERR_NOENT => " (no such export)",
                    _ => "",
                };
                mount_errno(status).with(format!(
                    "MOUNT at {mount_address} refused: {status:?}{hint}"
                ))
            }
            MountError::Rpc(e) => Errno::EIO.with(format!("MOUNT at {mount_address}: {e}")),
        })?;
        Ok(Export {
            nfs: SocketAddr::new(ip, nfs),
            mount: mount_address,
            root: nfs_fh3 {
                data: Opaque::owned(resok.fhandle.0.to_vec()),
            },
        })
    };
    reactor::spawn(task)
        .await
        .unwrap_or_else(|e| Err(Errno::EIO.with(e)))
        .map_err(|e: Error| e.context_prefix(format_args!("export {what}")))
}

/// Tells the server the export is no longer used (best effort: servers keep no
/// state that matters for NFSv3).
pub async fn unmount(
    address: SocketAddr,
    export: Vec<u8>,
    credential: opaque_auth<'static>,
    timeout: Duration,
) {
    let task = async move {
        if let Ok(io) = connect(address, timeout).await {
            let mut client = MountClient::new_with_auth(io, credential, opaque_auth::default());
            let _ = tokio::time::timeout(timeout, client.umnt(dirpath(Opaque::borrowed(&export))))
                .await;
        }
    };
    let _ = reactor::spawn(task).await;
}

/// Asks the portmapper at `portmapper` for the TCP port of `program` `version`.
async fn getport(
    client: &mut PortmapperClient<TokioIo<TcpStream>>,
    portmapper: SocketAddr,
    program: u32,
    version: u32,
    timeout: Duration,
) -> Result<u16> {
    let name = if program == nfs3_types::nfs3::PROGRAM {
        "NFSv3"
    } else {
        "MOUNTv3"
    };
    let call = client.getport(program, version, nfs3_types::portmap::IPPROTO_TCP);
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(port)) if port != 0 => Ok(port),
        Ok(Ok(_)) => Err(Errno::ECONNREFUSED.with(format!(
            "{name} is not registered with the portmapper at {portmapper}"
        ))),
        Ok(Err(e)) => Err(Errno::EIO.with(format!("portmapper at {portmapper}: {e}"))),
        Err(_) => Err(Errno::ETIMEDOUT.with(format!(
            "portmapper at {portmapper}: no answer within {timeout:?}"
        ))),
    }
}

async fn resolve(host: &str, timeout: Duration) -> Result<std::net::IpAddr> {
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
        return Ok(ip);
    }
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0))).await {
        Ok(Ok(mut addresses)) => addresses
            .next()
            .map(|a| a.ip())
            .ok_or_else(|| Errno::EHOSTUNREACH.with(format!("host '{host}' has no address"))),
        Ok(Err(e)) => Err(Errno::EHOSTUNREACH.with(format!("cannot resolve host '{host}': {e}"))),
        Err(_) => {
            Err(Errno::ETIMEDOUT.with(format!("resolving host '{host}' took over {timeout:?}")))
        }
    }
}

async fn connect(address: SocketAddr, timeout: Duration) -> Result<TokioIo<TcpStream>> {
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(stream)) => Ok(TokioIo::new(stream)),
        // The errno carries the cause; the message only says where.
        Ok(Err(e)) => match e.raw_os_error().and_then(Errno::from_raw) {
            Some(errno) => Err(errno.with(format!("cannot connect to {address}"))),
            None => Err(Errno::EHOSTUNREACH.with(format!("cannot connect to {address}: {e}"))),
        },
        Err(_) => Err(Errno::ETIMEDOUT.with(format!(
            "cannot connect to {address}: no answer within {timeout:?}"
        ))),
    }
}

fn mount_errno(status: mountstat3) -> Errno {
    match status {
        mountstat3::MNT3_OK | mountstat3::MNT3ERR_IO | mountstat3::MNT3ERR_SERVERFAULT => {
            Errno::EIO
        }
        mountstat3::MNT3ERR_PERM => Errno::EPERM,
        mountstat3::MNT3ERR_NOENT => Errno::ENOENT,
        mountstat3::MNT3ERR_ACCES => Errno::EACCES,
        mountstat3::MNT3ERR_NOTDIR => Errno::ENOTDIR,
        mountstat3::MNT3ERR_INVAL => Errno::EINVAL,
        mountstat3::MNT3ERR_NAMETOOLONG => Errno::ENAMETOOLONG,
        mountstat3::MNT3ERR_NOTSUPP => Errno::EOPNOTSUPP,
    }
}
