//! FSSTAT, FSINFO and PATHCONF: what the server says about the file system.

use crate::client::NfsClient;
use crate::error::nfs_error;
use nfs3_types::nfs3::{
    nfs_fh3, FSINFO3args, FSINFO3res, FSINFO3resok, FSSTAT3args, FSSTAT3res, FSSTAT3resok,
    Nfs3Result, PATHCONF3args, PATHCONF3res, PATHCONF3resok, NFS_PROGRAM,
};
use vfs_core::{FsStat, Result};

/// The block size `statfs` counts in (what Linux reports for NFS is the server's
/// transfer size; 4 KiB keeps the counts meaningful for tools computing usage).
pub const STATFS_BLOCK: u32 = 4096;

/// FSINFO of the file system holding `root`: transfer sizes, the largest file and
/// the properties (links, symlinks, settable times).
///
/// Errors: the server's, mapped and naming the server.
pub async fn fsinfo(client: &NfsClient, root: &nfs_fh3) -> Result<FSINFO3resok> {
    let args = FSINFO3args {
        fsroot: root.clone(),
    };
    let reply: FSINFO3res = client.call(NFS_PROGRAM::NFSPROC3_FSINFO, &args).await?;
    about_root(client, "FSINFO", reply)
}

/// FSSTAT of the file system holding `root`.
///
/// Errors: the server's, mapped and naming the server.
pub async fn fsstat(client: &NfsClient, root: &nfs_fh3) -> Result<FSSTAT3resok> {
    let args = FSSTAT3args {
        fsroot: root.clone(),
    };
    let reply: FSSTAT3res = client.call(NFS_PROGRAM::NFSPROC3_FSSTAT, &args).await?;
    about_root(client, "FSSTAT", reply)
}

/// PATHCONF of the export root `root`: the longest name and the most links.
///
/// Errors: the server's, mapped and naming the server.
pub async fn pathconf(client: &NfsClient, root: &nfs_fh3) -> Result<PATHCONF3resok> {
    let args = PATHCONF3args {
        object: root.clone(),
    };
    let reply: PATHCONF3res = client.call(NFS_PROGRAM::NFSPROC3_PATHCONF, &args).await?;
    about_root(client, "PATHCONF", reply)
}

/// The success part of `reply`, to a call named `name` about the export root,
/// or its error mapped and naming the server.
fn about_root<T, F>(client: &NfsClient, name: &str, reply: Nfs3Result<T, F>) -> Result<T> {
    match reply {
        Nfs3Result::Ok(ok) => Ok(ok),
        Nfs3Result::Err((status, _)) => Err(nfs_error(
            status,
            name,
            format_args!("of the export root on {}", client.server()),
        )),
    }
}

/// FSSTAT's figures as `statvfs` reports them.
pub fn fs_stat_of(stat: &FSSTAT3resok, name_max: u32) -> FsStat {
    let block = u64::from(STATFS_BLOCK);
    let blocks = stat.tbytes / block;
    let blocks_free = (stat.fbytes / block).min(blocks);
    FsStat {
        block_size: STATFS_BLOCK,
        blocks,
        blocks_free,
        blocks_available: (stat.abytes / block).min(blocks_free),
        files: stat.tfiles,
        files_free: stat.ffiles.min(stat.tfiles),
        name_max,
    }
}

/// True when FSSTAT looks like real figures: servers without accounting report a
/// nominal capacity that never fills (nfs3_server says 1 TiB total and free, 1 Gi
/// files total and free), while a real file system has used at least the inodes
/// of the export's own directory.
pub fn has_real_space_figures(stat: &FSSTAT3resok) -> bool {
    stat.tbytes > 0 && (stat.fbytes < stat.tbytes || stat.ffiles < stat.tfiles)
}
