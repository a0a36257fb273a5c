//! The `nfs://` scheme: the mount flow from a URL to an [`NfsFs`].
//!
//! 1. AUTH_UNIX credential from the URL's `uid`/`gid` (machine name: the host name).
//! 2. Ports from the URL, else the portmapper; MOUNT the path. A server that
//!    refuses a path below its export (NOENT/ACCES) is asked for ever shorter
//!    prefixes and the rest is looked up (libnfs does the same).
//! 3. FSINFO fixes the transfer sizes (the URL's `rsize`/`wsize`, at most the
//!    server's maximum), PATHCONF the longest name, GETATTR the root, FSSTAT
//!    whether space figures are real.
//! 4. Capabilities: probed (see [`probe`]) and corrected by the URL's `caps=`.
//! 5. With `scratch`, a fresh directory is made and mounted instead.

use crate::attr::new_node_sattr;
use crate::client::NfsClient;
use crate::connect::{self, Export, Target};
use crate::error::nfs_error;
use crate::fs::{NfsFs, ScratchDir};
use crate::proc_fs::{fsinfo, fsstat, has_real_space_figures, pathconf};
use crate::reactor;
use crate::rpc::RpcClient;
use crate::state::{Limits, MountOrigin, MountState};
use crate::url::NfsUrl;
use async_trait::async_trait;
use nfs3_types::nfs3::{
    diropargs3, fattr3, filename3, ftype3, nfs_fh3, FSINFO3resok, FSSTAT3resok, LOOKUP3args,
    LOOKUP3res, MKDIR3args, MKDIR3res, Nfs3Option, Nfs3Result, PATHCONF3resok, FSF3_LINK,
    FSF3_SYMLINK, NFS_PROGRAM,
};
use nfs3_types::rpc::{auth_unix, opaque_auth};
use nfs3_types::xdr_codec::Opaque;
use std::sync::Arc;
use vfs_core::{
    BackendFactory, Capabilities, Errno, Filesystem, Name, NewNode, Registry, Result, Url,
};

/// The largest transfer asked for: the transport's record limit leaves room for
/// 1 MiB plus headers, which is also what ganesha and Linux's server offer.
const MAX_TRANSFER: u32 = 1 << 20;

/// Makes an [`NfsFs`] for each `nfs://` URL.
#[derive(Clone, Copy, Debug, Default)]
pub struct NfsFactory;

/// Registers [`NfsFactory`] for the `nfs` scheme.
pub fn register(registry: &Registry) {
    registry.register(Arc::new(NfsFactory));
}

#[async_trait]
impl BackendFactory for NfsFactory {
    fn scheme(&self) -> &'static str {
        "nfs"
    }

    fn usage(&self) -> &'static str {
        "nfs://HOST[:PORT]/EXPORT[/DIR][?nfsport=N&mountport=N&uid=N&gid=N&rsize=N&wsize=N\
         &timeo=DS&retrans=N&soft&readonly&actimeo=S&noac&caps=[no]CAP,...&scratch]  \
         an NFSv3 server"
    }

    async fn mount(&self, url: &Url) -> Result<Arc<dyn Filesystem>> {
        let fs = mount(NfsUrl::parse(url.as_str())?).await?;
        Ok(Arc::new(fs))
    }
}

/// The machine name sent in AUTH_UNIX credentials.
fn machine_name() -> Vec<u8> {
    let mut name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().as_bytes().to_vec())
        .unwrap_or_default();
    if name.is_empty() {
        name = b"vfs".to_vec();
    }
    // RFC 5531 bounds the machine name at 255 bytes.
    name.truncate(255);
    name
}

/// The AUTH_UNIX credential of `url`.
fn credential(url: &NfsUrl) -> opaque_auth<'static> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    opaque_auth::auth_unix(&auth_unix {
        stamp,
        machinename: Opaque::owned(machine_name()),
        uid: url.uid,
        gid: url.gid,
        gids: vec![url.gid],
    })
}

/// The components of an export path.
fn components(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

/// MOUNTs `url`'s path, or the longest prefix of it the server accepts; returns
/// the export and the components left to look up.
async fn mount_export(
    url: &NfsUrl,
    credential: &opaque_auth<'static>,
) -> Result<(Export, Vec<u8>, Vec<Vec<u8>>)> {
    fn target<'a>(
        url: &'a NfsUrl,
        export: &'a [u8],
        credential: &opaque_auth<'static>,
    ) -> Target<'a> {
        Target {
            host: &url.host,
            portmapper_port: 111,
            nfs_port: url.nfs_port,
            mount_port: url.mount_port,
            export,
            credential: credential.clone(),
            timeout: url.timeo,
        }
    }
    let first = match connect::mount(target(url, &url.path, credential)).await {
        Ok(export) => return Ok((export, url.path.clone(), Vec::new())),
        Err(e) => e,
    };
    if !matches!(first.errno(), Errno::ENOENT | Errno::EACCES | Errno::EPERM) {
        return Err(first);
    }
    let parts = components(&url.path);
    for keep in (0..parts.len()).rev() {
        let mut prefix = Vec::new();
        for part in &parts[..keep] {
            prefix.push(b'/');
            prefix.extend_from_slice(part);
        }
        if prefix.is_empty() {
            prefix.push(b'/');
        }
        if let Ok(export) = connect::mount(target(url, &prefix, credential)).await {
            let rest = parts[keep..].iter().map(|part| part.to_vec()).collect();
            return Ok((export, prefix, rest));
        }
    }
    Err(first)
}

/// LOOKUPs `rest` from `fh`, one component at a time.
async fn lookup_path(client: &NfsClient, mut fh: nfs_fh3, rest: &[Vec<u8>]) -> Result<nfs_fh3> {
    for part in rest {
        let args = LOOKUP3args {
            what: diropargs3 {
                dir: fh.clone(),
                name: filename3(Opaque::borrowed(part)),
            },
        };
        let reply: LOOKUP3res = client.call(NFS_PROGRAM::NFSPROC3_LOOKUP, &args).await?;
        fh = match reply {
            Nfs3Result::Ok(ok) => ok.object,
            Nfs3Result::Err((status, _)) => {
                return Err(nfs_error(
                    status,
                    "LOOKUP",
                    format_args!(
                        "'{}' below the export on {}",
                        String::from_utf8_lossy(part),
                        client.server()
                    ),
                ))
            }
        };
    }
    Ok(fh)
}

/// A transfer size: the URL's wish (else the server's preference), at most the
/// server's maximum and [`MAX_TRANSFER`], at least 4 KiB.
fn transfer_size(wish: Option<u32>, preferred: u32, max: u32) -> u32 {
    let max = if max == 0 {
        MAX_TRANSFER
    } else {
        max.min(MAX_TRANSFER)
    };
    let wish = wish.unwrap_or(if preferred == 0 { max } else { preferred });
    wish.min(max).max(4096.min(max)).max(512)
}

/// What the protocol tells about the server: FSINFO's properties for links and
/// symlinks, PATHCONF's link maximum, the root's link count (a server without
/// directory link counts reports 1), FSSTAT for space figures. Modes, owners and
/// holes cannot be probed without writing; they are assumed (true of every POSIX
/// server) and switched off with `caps=` for servers that lack them. Unlinked open
/// files work through silly rename whenever writing does. Times are the server's
/// and assumed kept; two promises about them are not made (see below).
pub fn probe(
    info: &FSINFO3resok,
    conf: &PATHCONF3resok,
    root: &fattr3,
    real_space: bool,
    write: bool,
) -> Capabilities {
    Capabilities {
        write,
        hard_links: info.properties & FSF3_LINK != 0 && conf.linkmax != 1,
        symlinks: info.properties & FSF3_SYMLINK != 0,
        sparse_files: true,
        permissions: true,
        ownership: true,
        timestamps: true,
        // NFSv3 has no O_NOATIME: the server sets atime on READ as it likes.
        noatime: false,
        // Servers may silently ignore times set on a symlink (ganesha's VFS FSAL
        // does) and no probe can tell without writing; `caps=symlink_times`
        // declares it for a server that keeps them.
        symlink_times: false,
        dir_link_counts: root.nlink >= 2,
        unlinked_open_files: write,
        atomic_append: false,
        space_accounting: real_space,
        // MKNOD cannot be probed without making a node; every POSIX server has it
        // (a device node needs a root credential there, as it does on Linux).
        special_files: write,
    }
}

/// The mounted root's handle and what the server tells about it.
async fn describe_root(
    client: &NfsClient,
    export_root: nfs_fh3,
    rest: &[Vec<u8>],
) -> Result<(nfs_fh3, FSINFO3resok, PATHCONF3resok, fattr3, FSSTAT3resok)> {
    let root_fh = lookup_path(client, export_root, rest).await?;
    let info = fsinfo(client, &root_fh).await?;
    let conf = pathconf(client, &root_fh).await?;
    let root_attr = fattr_of_root(client, &root_fh, &info).await?;
    let stat = fsstat(client, &root_fh).await?;
    Ok((root_fh, info, conf, root_attr, stat))
}

/// Mounts `url`.
pub async fn mount(url: NfsUrl) -> Result<NfsFs> {
    let credential = credential(&url);
    let (export, mounted_path, rest) = mount_export(&url, &credential).await?;
    let server = format!("{}:{}", url.host, String::from_utf8_lossy(&url.path));
    let rpc = RpcClient::new(export.nfs, credential.clone(), url.timeo)
        .with_call_timeout((!url.hard).then(|| url.timeo * (url.retrans + 1)));
    let client = NfsClient::new(rpc, server.clone(), url.retrans.max(1));
    // Even a hard mount gives up while mounting, as mount.nfs does: no data is
    // waiting yet, and a server that accepts connections but never answers must
    // not hang the caller. (A soft mount's calls are bounded already.)
    let describing = describe_root(&client, export.root.clone(), &rest);
    let described = if url.hard {
        let bound = url.timeo * (url.retrans + 1);
        reactor::within(bound, describing).await.ok_or_else(|| {
            Errno::ETIMEDOUT.with(format!(
                "{server}: NFS at {} gave no answer within {bound:?}",
                export.nfs
            ))
        })?
    } else {
        describing.await
    };
    let (root_fh, info, conf, root_attr, stat) = described?;
    check_root(&server, &root_fh, &root_attr)?;
    if root_attr.type_ != ftype3::NF3DIR {
        return Err(Errno::ENOTDIR.with(format!("{server} is not a directory")));
    }
    let limits = Limits {
        rsize: transfer_size(url.rsize, info.rtpref, info.rtmax),
        wsize: transfer_size(url.wsize, info.wtpref, info.wtmax),
        dtpref: if info.dtpref == 0 { 8192 } else { info.dtpref },
        maxfilesize: if info.maxfilesize == 0 {
            i64::MAX as u64
        } else {
            info.maxfilesize
        },
        name_max: match conf.name_max {
            0 => vfs_core::NAME_MAX as u32,
            n => n.min(vfs_core::NAME_MAX as u32),
        },
    };
    let write = !url.read_only;
    let mut caps = url.caps.apply(probe(
        &info,
        &conf,
        &root_attr,
        has_real_space_figures(&stat),
        write,
    ));
    if !write {
        caps.unlinked_open_files = false;
    }
    // With `scratch`, a fresh directory (unique across processes and mounts) is
    // made and becomes the root, so `..` stays inside it.
    let scratch = if url.scratch {
        let name = Name::new(format!(
            "vfs-scratch-{}-{:x}",
            std::process::id(),
            scratch_number()
        ))?;
        let (dir_fh, dir_attr) = mkdir_raw(&client, &root_fh, &name, &url).await?;
        check_root(&server, &dir_fh, &dir_attr)?;
        Some((name, root_fh.clone(), root_attr.clone(), dir_fh, dir_attr))
    } else {
        None
    };
    let origin = MountOrigin {
        address: export.mount,
        path: mounted_path,
        credential,
    };
    let (root_fh, root_attr) = match &scratch {
        Some((_, _, _, dir_fh, dir_attr)) => (dir_fh.clone(), dir_attr.clone()),
        None => (root_fh, root_attr),
    };
    let state = Arc::new(MountState::new(
        client,
        url,
        root_fh.clone(),
        origin,
        limits,
        caps,
    ));
    let seq = state.begin();
    let root = state.node(root_fh, &root_attr, seq);
    let scratch = scratch.map(|(name, parent_fh, parent_attr, _, _)| ScratchDir {
        parent: state.node(parent_fh, &parent_attr, seq),
        name,
    });
    Ok(NfsFs::new(state, root, scratch))
}

/// Refuses (`EIO`, logged) a root whose handle or attributes no server should
/// send: every node of the mount would inherit them.
fn check_root(server: &str, fh: &nfs_fh3, fattr: &fattr3) -> Result<()> {
    crate::error::check_handle(fh)
        .and_then(|()| crate::attr::check_fattr(fattr))
        .map_err(|why| crate::error::rejected(Errno::EIO, server, format_args!("the root: {why}")))
}

/// A number making scratch directory names unique within this process.
fn scratch_number() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    (NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) << 32) | nanos
}

/// MKDIR `name` in `parent` before any node exists; returns its handle and
/// attributes.
async fn mkdir_raw(
    client: &NfsClient,
    parent: &nfs_fh3,
    name: &Name,
    url: &NfsUrl,
) -> Result<(nfs_fh3, fattr3)> {
    let attrs = NewNode {
        mode: 0o755,
        uid: url.uid,
        gid: url.gid,
    };
    let args = MKDIR3args {
        where_: diropargs3 {
            dir: parent.clone(),
            name: filename3(Opaque::borrowed(name.as_bytes())),
        },
        attributes: new_node_sattr(&attrs, url.uid, url.gid),
    };
    let reply: MKDIR3res = client.call(NFS_PROGRAM::NFSPROC3_MKDIR, &args).await?;
    let ok = match reply {
        Nfs3Result::Ok(ok) => ok,
        Nfs3Result::Err((status, _)) => {
            return Err(nfs_error(
                status,
                "MKDIR",
                format_args!("of scratch directory '{name}' on {}", client.server()),
            ))
        }
    };
    let fh = match ok.obj {
        Nfs3Option::Some(fh) => fh,
        Nfs3Option::None => {
            lookup_path(client, parent.clone(), &[name.as_bytes().to_vec()]).await?
        }
    };
    let fattr = match ok.obj_attributes {
        Nfs3Option::Some(fattr) => fattr,
        Nfs3Option::None => getattr_raw(client, &fh).await?,
    };
    Ok((fh, fattr))
}

/// GETATTR before any node exists.
async fn getattr_raw(client: &NfsClient, fh: &nfs_fh3) -> Result<fattr3> {
    let args = nfs3_types::nfs3::GETATTR3args { object: fh.clone() };
    let reply: nfs3_types::nfs3::GETATTR3res =
        client.call(NFS_PROGRAM::NFSPROC3_GETATTR, &args).await?;
    match reply {
        Nfs3Result::Ok(ok) => Ok(ok.obj_attributes),
        Nfs3Result::Err((status, _)) => Err(nfs_error(
            status,
            "GETATTR",
            format_args!("of the export root on {}", client.server()),
        )),
    }
}

/// The root's attributes: FSINFO usually carries them, else GETATTR.
async fn fattr_of_root(client: &NfsClient, root: &nfs_fh3, info: &FSINFO3resok) -> Result<fattr3> {
    match &info.obj_attributes {
        Nfs3Option::Some(fattr) => Ok(fattr.clone()),
        Nfs3Option::None => getattr_raw(client, root).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_sizes_respect_server_limits() {
        assert_eq!(transfer_size(None, 65536, 1 << 20), 65536);
        assert_eq!(transfer_size(Some(1 << 20), 65536, 262144), 262144);
        assert_eq!(transfer_size(None, 0, 0), MAX_TRANSFER);
        assert_eq!(transfer_size(None, 4 << 20, 8 << 20), MAX_TRANSFER);
        assert_eq!(transfer_size(Some(4096), 65536, 1 << 20), 4096);
    }

    #[test]
    fn export_paths_split_into_components() {
        assert_eq!(
            components(b"/export//a/b/"),
            vec![&b"export"[..], b"a", b"b"]
        );
        assert!(components(b"/").is_empty());
    }
}
