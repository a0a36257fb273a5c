//! GETATTR, SETATTR and ACCESS.

use crate::attr::{check_fattr, sattr_of};
use crate::error::rejected;
use crate::node::NfsNode;
use nfs3_types::nfs3::{
    fattr3, nfs_fh3, sattr3, sattrguard3, ACCESS3args, ACCESS3res, GETATTR3args, GETATTR3res,
    Nfs3Result, SETATTR3args, SETATTR3res, ACCESS3_DELETE, ACCESS3_EXECUTE, ACCESS3_EXTEND,
    ACCESS3_LOOKUP, ACCESS3_MODIFY, ACCESS3_READ, NFS_PROGRAM,
};
use vfs_core::{check_access, AccessMask, Attr, Credentials, Errno, FileType, Result, SetAttr};

impl NfsNode {
    /// The attributes: from the cache while fresh, else from the server.
    ///
    /// Errors: `ESTALE` (gone on the server), `EIO`.
    pub async fn attributes(&self) -> Result<Attr> {
        match self.cached_attributes() {
            Some(attr) => Ok(attr),
            None => self.fetch_attributes().await,
        }
    }

    /// What [`NfsNode::attributes`] answers without a call, if anything.
    pub fn cached_attributes(&self) -> Option<Attr> {
        // The mark is taken even when the cache answers: it belongs to the one
        // operation the LOOKUP or CREATE was made for.
        let just_fetched = self.just_fetched();
        self.attrs
            .fresh()
            .or(just_fetched)
            .map(|attr| self.adjusted(attr))
    }

    /// The attributes from the server (GETATTR), refreshing the cache.
    ///
    /// Errors: `ESTALE` (also when the server says the handle now has another
    /// type or fileid, as Linux's `nfs_update_inode` does), `EIO` (also for
    /// attributes no file can have: see [`crate::attr::check_fattr`]).
    pub async fn fetch_attributes(&self) -> Result<Attr> {
        let seq = self.state.begin();
        let args = GETATTR3args {
            object: self.fh.clone(),
        };
        let reply: GETATTR3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_GETATTR, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                if let Err(why) = self.attrs.check(&ok.obj_attributes) {
                    self.attrs.expire();
                    let errno = if check_fattr(&ok.obj_attributes).is_ok() {
                        Errno::ESTALE
                    } else {
                        Errno::EIO
                    };
                    return Err(rejected(
                        errno,
                        self.state.server(),
                        format_args!("GETATTR of {}: {why}", self.what()),
                    ));
                }
                self.absorb(&ok.obj_attributes, seq);
                // A reply older than cached attributes leaves the cached ones,
                // which are then the newest known.
                let attr = self.attrs.last().unwrap_or_else(|| {
                    crate::attr::attr_of(&ok.obj_attributes, self.state.limits.wsize)
                });
                Ok(self.adjusted(attr))
            }
            Nfs3Result::Err((status, _)) => {
                self.attrs.expire();
                Err(self.fail(status, "GETATTR", ""))
            }
        }
    }

    /// SETATTR. A size change first commits what is uncommitted, so data resent
    /// after a server reboot can never land beyond the new end of file. No guard
    /// is sent: the `Vnode` contract has no "unless changed since" condition, and a
    /// guard built from cached (possibly stale) ctime would only fail spuriously.
    ///
    /// Errors: `EPERM`, `EISDIR` (size of a directory), `EINVAL` (size of another
    /// non-regular node, or a time NFSv3 cannot carry), `EFBIG`, `ENOSPC`, `EIO`.
    pub async fn set_attributes(&self, changes: &SetAttr) -> Result<Attr> {
        if let Some(size) = changes.size {
            match self.file_type {
                FileType::Regular => {}
                FileType::Directory => {
                    return Err(Errno::EISDIR.with(format!("truncate of {}", self.what())))
                }
                _ => return Err(Errno::EINVAL.with(format!("truncate of {}", self.what()))),
            }
            if size > self.state.limits.maxfilesize {
                return Err(Errno::EFBIG.with(format!(
                    "size {size} beyond the server's maximum {}",
                    self.state.limits.maxfilesize
                )));
            }
            self.commit().await?;
        }
        self.set_sattr(sattr_of(changes)?).await?;
        match self.attrs.fresh() {
            Some(attr) => Ok(self.adjusted(attr)),
            None => self.fetch_attributes().await,
        }
    }

    /// One SETATTR of `changes`, its WCC data taken in.
    ///
    /// Errors: the server's, mapped.
    pub async fn set_sattr(&self, changes: sattr3) -> Result<()> {
        let args = SETATTR3args {
            object: self.fh.clone(),
            new_attributes: changes,
            guard: sattrguard3::None,
        };
        let seq = self.state.begin();
        let reply: SETATTR3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_SETATTR, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.attrs.store_wcc(&ok.obj_wcc, seq);
                Ok(())
            }
            Nfs3Result::Err((status, fail)) => {
                self.attrs.store_wcc(&fail.obj_wcc, seq);
                Err(self.fail(status, "SETATTR", ""))
            }
        }
    }

    /// Checks `mask` for `creds`. The server decides (ACCESS) when `creds` are the
    /// mount's own identity, which is who every call is made as; for anyone else
    /// its answer would be about the wrong user, so the mode bits decide, as for
    /// every other backend.
    ///
    /// Errors: `EACCES`, `EIO`.
    pub async fn check_access(&self, mask: AccessMask, creds: &Credentials) -> Result<()> {
        let url = &self.state.url;
        if creds.uid != url.uid || creds.gid != url.gid {
            return check_access(&self.attributes().await?, creds, mask);
        }
        let is_dir = self.file_type == FileType::Directory;
        let mut wanted = 0;
        if mask.contains(AccessMask::READ) {
            wanted |= ACCESS3_READ;
        }
        if mask.contains(AccessMask::WRITE) {
            wanted |= if is_dir {
                ACCESS3_MODIFY | ACCESS3_EXTEND | ACCESS3_DELETE
            } else {
                ACCESS3_MODIFY | ACCESS3_EXTEND
            };
        }
        if mask.contains(AccessMask::EXECUTE) {
            wanted |= if is_dir {
                ACCESS3_LOOKUP
            } else {
                ACCESS3_EXECUTE
            };
        }
        if wanted == 0 {
            return Ok(());
        }
        let args = ACCESS3args {
            object: self.fh.clone(),
            access: wanted,
        };
        let seq = self.state.begin();
        let reply: ACCESS3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_ACCESS, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_post_op(&ok.obj_attributes, seq);
                // Linux's rule: write access is granted by MODIFY (a directory also
                // needs EXTEND and DELETE to be writable as a whole).
                let needed = if mask.contains(AccessMask::WRITE) && !is_dir {
                    wanted & !ACCESS3_EXTEND
                } else {
                    wanted
                };
                if ok.access & needed == needed {
                    Ok(())
                } else {
                    Err(Errno::EACCES.with(format!(
                        "ACCESS {mask:?} of {} denied by the server",
                        self.what()
                    )))
                }
            }
            Nfs3Result::Err((status, fail)) => {
                self.absorb_post_op(&fail.obj_attributes, seq);
                Err(self.fail(status, "ACCESS", ""))
            }
        }
    }
}

/// The attributes of any handle (GETATTR), for replies that named an object
/// without its attributes. The caller checks them
/// ([`crate::attr::check_fattr`]) with what it knows of the object.
///
/// Errors: the server's, mapped.
pub async fn fattr_of(state: &crate::state::MountState, fh: &nfs_fh3) -> Result<fattr3> {
    let args = GETATTR3args { object: fh.clone() };
    let reply: GETATTR3res = state
        .client
        .call(NFS_PROGRAM::NFSPROC3_GETATTR, &args)
        .await?;
    match reply {
        Nfs3Result::Ok(ok) => Ok(ok.obj_attributes),
        Nfs3Result::Err((status, _)) => Err(crate::error::nfs_error(
            status,
            "GETATTR",
            format_args!("of a new node on {}", state.server()),
        )),
    }
}
