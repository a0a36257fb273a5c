//! The directory procedures: LOOKUP, CREATE, MKDIR, SYMLINK, MKNOD, READLINK,
//! LINK, REMOVE, RMDIR and RENAME (READDIR and READDIRPLUS are in `readdir`).
//!
//! Each keeps the caches exact for this mount's own changes: the directory's WCC
//! data refreshes its attributes, and when the pre-operation attributes show that
//! nobody else changed the directory meanwhile, the one lookup cache entry the call
//! changed is updated instead of dropping the whole cache.

use crate::attr::{check_fattr, new_node_sattr, specdata_of};
use crate::error::{check_handle, rejected};
use crate::lookup_cache::{Child, Found};
use crate::node::{as_nfs_node, DirState, NfsNode};
use crate::proc_attr::fattr_of;
use nfs3_types::nfs3::{
    createhow3, createverf3, devicedata3, diropargs3, fattr3, filename3, mknoddata3, nfs_fh3,
    nfspath3, nfsstat3, post_op_attr, post_op_fh3, set_atime, set_mtime, symlinkdata3, wcc_data,
    CREATE3args, CREATE3res, LINK3args, LINK3res, LOOKUP3args, LOOKUP3res, MKDIR3args, MKDIR3res,
    MKNOD3args, MKNOD3res, Nfs3Option, Nfs3Result, READLINK3args, READLINK3res, REMOVE3args,
    REMOVE3res, RENAME3args, RENAME3res, RMDIR3args, RMDIR3res, SYMLINK3args, SYMLINK3res,
    NFS_PROGRAM,
};
use nfs3_types::xdr_codec::Opaque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use vfs_core::{CreateMode, Errno, FileType, Name, NewNode, Result, Vnode};

/// The `diropargs3` of `name` in directory `dir`.
fn dirop<'a>(dir: &nfs_fh3, name: &'a [u8]) -> diropargs3<'a> {
    diropargs3 {
        dir: dir.clone(),
        name: filename3(Opaque::borrowed(name)),
    }
}

impl NfsNode {
    /// The child `name` of this directory: from the lookup cache while the
    /// directory's attributes are fresh, else LOOKUP.
    ///
    /// An entry is only as good as the directory's attributes (Linux's dentry
    /// revalidation). When they have expired, a LOOKUP of the name revalidates
    /// both at the price of the GETATTR it replaces: its reply carries the
    /// directory's attributes (a change drops the whole cache) and the child's,
    /// fresh enough for the `stat` or `open` that asked (with `noac`, a `stat` is
    /// then one call, not a GETATTR of the directory and one of the file). After
    /// many LOOKUPs in one directory, a miss lists it instead (see
    /// [`crate::lookup_cache::LookupCache::miss`]).
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `ESTALE`, `EIO`.
    pub async fn lookup_child(&self, name: &Name) -> Result<Arc<NfsNode>> {
        if let Some(answer) = self.cached_child(name) {
            return answer;
        }
        let dir = self.dir_state()?;
        // Boxed: a listing entry without attributes is typed by a lookup.
        if self.attrs.is_fresh() && dir.lookup.miss() && Box::pin(self.prime_by_listing()).await? {
            if let Some(found) = dir.lookup.find(name) {
                return self.materialize(found);
            }
        }
        self.lookup_rpc(name).await
    }

    /// What [`NfsNode::lookup_child`] answers without a call: `None` when it
    /// would have to ask the server.
    pub fn cached_child(&self, name: &Name) -> Option<Result<Arc<NfsNode>>> {
        let dir = match self.dir_state() {
            Ok(dir) => dir,
            Err(e) => return Some(Err(e)),
        };
        if self.state.is_hidden(&self.fh, name) {
            return Some(Err(
                Errno::ENOENT.with(format!("'{name}' was unlinked while open"))
            ));
        }
        if !self.attrs.is_fresh() {
            return None;
        }
        let found = dir.lookup.find(name)?;
        Some(self.materialize(found))
    }

    /// Fails with `EEXIST` when the lookup cache knows `name` (the directory
    /// revalidated first). Creating calls check this before asking the server, as
    /// Linux checks its dentry cache: it costs nothing, and it keeps servers that
    /// do not check for duplicates themselves (nfs3_server's MKDIR) from making
    /// two entries of one name.
    async fn refuse_known(&self, name: &Name) -> Result<()> {
        let dir = self.dir_state()?;
        if dir.lookup.get(name).is_none() {
            return Ok(());
        }
        if !self.attrs.is_fresh() {
            self.fetch_attributes().await?;
        }
        if dir.lookup.get(name).is_some() {
            return Err(Errno::EEXIST.with(format!("'{name}' in {}", self.what())));
        }
        Ok(())
    }

    /// The node of a cached child (checked when it was cached), adopted.
    fn materialize(&self, found: Found) -> Result<Arc<NfsNode>> {
        let node = match found {
            Found::Live(node) => {
                self.state.keep(&node);
                node
            }
            Found::Cached(child) => self
                .state
                .node_from_cache(child.fh, &child.fattr, child.seq),
        };
        self.adopt(&node)?;
        Ok(node)
    }

    /// The error (logged) for a child `name` whose handle or attributes no
    /// server should send, as `verdict` found them
    /// ([`crate::error::check_handle`], [`crate::attr::check_fattr`]).
    pub fn refuse_child(
        &self,
        name: &[u8],
        verdict: std::result::Result<(), String>,
    ) -> Result<()> {
        verdict.map_err(|why| {
            rejected(
                Errno::EIO,
                self.state.server(),
                format_args!(
                    "'{}' in {}: {why}",
                    String::from_utf8_lossy(name).escape_debug(),
                    self.what()
                ),
            )
        })
    }

    /// LOOKUP `name`, caching the answer. `..` is never looked up: a directory's
    /// parent is remembered (see [`NfsNode::adopt`]).
    ///
    /// Errors: as [`NfsNode::lookup_child`]; `EIO` for an answer no server should
    /// give (a handle over 64 bytes, impossible attributes, a directory inside
    /// itself).
    async fn lookup_rpc(&self, name: &Name) -> Result<Arc<NfsNode>> {
        let seq = self.state.begin();
        let args = LOOKUP3args {
            what: dirop(&self.fh, name.as_bytes()),
        };
        let reply: LOOKUP3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_LOOKUP, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_post_op(&ok.dir_attributes, seq);
                self.refuse_child(name.as_bytes(), check_handle(&ok.object))?;
                let fattr = match ok.obj_attributes {
                    Nfs3Option::Some(fattr) => fattr,
                    Nfs3Option::None => fattr_of(&self.state, &ok.object).await?,
                };
                self.refuse_child(name.as_bytes(), check_fattr(&fattr))?;
                let node = self.state.node(ok.object.clone(), &fattr, seq);
                self.adopt(&node)?;
                if let Some(dir) = &self.dir {
                    dir.lookup.learn(name, child(&node, &fattr, seq));
                }
                node.attrs.mark_just_fetched(seq);
                Ok(node)
            }
            Nfs3Result::Err((status, fail)) => {
                self.absorb_post_op(&fail.dir_attributes, seq);
                if let (nfsstat3::NFS3ERR_NOENT, Some(dir)) = (status, &self.dir) {
                    // Gone, though the directory's attributes may not show it yet
                    // (a server with coarse timestamps).
                    if dir.lookup.get(name).is_some() {
                        dir.lookup.removed(name);
                    }
                }
                Err(self.fail(status, "LOOKUP", format_args!("'{name}'")))
            }
        }
    }

    /// The node a creating call made: its handle and attributes from the reply,
    /// or from a LOOKUP and GETATTR when the server left them out. Records the new
    /// name in the lookup cache.
    async fn created(
        &self,
        name: &Name,
        fh: post_op_fh3,
        attrs: post_op_attr,
        seq: u64,
    ) -> Result<Arc<NfsNode>> {
        let fh = match fh {
            Nfs3Option::Some(fh) => fh,
            Nfs3Option::None => return self.lookup_rpc(name).await,
        };
        self.refuse_child(name.as_bytes(), check_handle(&fh))?;
        let fattr = match attrs {
            Nfs3Option::Some(fattr) => fattr,
            Nfs3Option::None => fattr_of(&self.state, &fh).await?,
        };
        // Not `check_fattr`: after an EXCLUSIVE CREATE the times may hold the
        // verifier until the SETATTR that follows (RFC 1813; FreeBSD's server
        // puts half of it in atime's nanoseconds), and the file is made either
        // way. Attributes that fail the check are not cached (see
        // `AttrCache::store`), so nothing impossible is shown.
        let node = self.state.node(fh.clone(), &fattr, seq);
        self.adopt(&node)?;
        if let Some(dir) = &self.dir {
            dir.lookup.added(name, child(&node, &fattr, seq));
        }
        // The `open` that usually follows a create need not ask again.
        node.attrs.mark_just_fetched(seq);
        Ok(node)
    }

    /// Takes in the WCC data of a call on this directory that failed with
    /// `status`. NOENT says the name is gone; other failures (EXIST, NOTEMPTY, ...)
    /// leave it as it was.
    fn failed_on(&self, wcc: &wcc_data, status: nfsstat3, name: &Name, seq: u64) {
        self.absorb_dir_wcc(wcc, seq);
        if let (nfsstat3::NFS3ERR_NOENT, Some(dir)) = (status, &self.dir) {
            dir.lookup.removed(name);
        }
    }

    /// Creates regular file `name` as [`vfs_core::Vnode::create`] describes.
    ///
    /// [`CreateMode::Guarded`] is one GUARDED CREATE carrying the mode (and owner,
    /// if not the caller's), so the new file costs one call; its reply's handle and
    /// attributes make the node, and the `open` that follows needs no GETATTR.
    /// When a connection breaks after the server made the file but before its
    /// reply came, the CREATE sent again finds the file and reports `EEXIST`; the
    /// namespace then looks again and opens it, as a REMOVE or RENAME sent again
    /// reports what was already done.
    ///
    /// [`CreateMode::Exclusive`] (`O_EXCL`) must not report its own file as
    /// existing, so it is an EXCLUSIVE CREATE with a verifier unique to the call:
    /// a server that finds the name made with the same verifier answers OK to the
    /// CREATE sent again. Such a file is made without our attributes (the server
    /// may keep the verifier in its times), so a SETATTR follows, as Linux's client
    /// sends it. A server answering NOTSUPP gets a GUARDED CREATE instead.
    ///
    /// Errors: `EEXIST`, `ENOENT`, `ENOSPC`, `EDQUOT`, `EIO`.
    pub async fn create_file(
        &self,
        name: &Name,
        attrs: &NewNode,
        mode: CreateMode,
    ) -> Result<Arc<NfsNode>> {
        self.dir_state()?;
        if mode == CreateMode::Exclusive {
            let verifier = createverf3(self.state.unique().to_be_bytes());
            match self
                .create_rpc(name, createhow3::EXCLUSIVE(verifier))
                .await?
            {
                Ok(node) => {
                    node.settle_exclusive(attrs).await?;
                    return Ok(node);
                }
                Err(nfsstat3::NFS3ERR_NOTSUPP) => {}
                Err(status) => return Err(self.fail(status, "CREATE", format_args!("'{name}'"))),
            }
        }
        let url = &self.state.url;
        let how = createhow3::GUARDED(new_node_sattr(attrs, url.uid, url.gid));
        self.create_rpc(name, how)
            .await?
            .map_err(|status| self.fail(status, "CREATE", format_args!("'{name}'")))
    }

    /// One CREATE, its WCC data and the lookup cache taken care of; the inner
    /// result is the new node or the server's status.
    async fn create_rpc(
        &self,
        name: &Name,
        how: createhow3,
    ) -> Result<std::result::Result<Arc<NfsNode>, nfsstat3>> {
        let seq = self.state.begin();
        let args = CREATE3args {
            where_: dirop(&self.fh, name.as_bytes()),
            how,
        };
        let reply: CREATE3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_CREATE, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_dir_wcc(&ok.dir_wcc, seq);
                Ok(Ok(self
                    .created(name, ok.obj, ok.obj_attributes, seq)
                    .await?))
            }
            Nfs3Result::Err((status, fail)) => {
                self.failed_on(&fail.dir_wcc, status, name, seq);
                Ok(Err(status))
            }
        }
    }

    /// The SETATTR after an EXCLUSIVE CREATE made this file: the mode and owner
    /// the create could not carry, and both times from the server's clock in
    /// place of the verifier (Linux's client sets them the same way). Its reply's
    /// attributes then serve the `open` that follows.
    ///
    /// Errors: the SETATTR's.
    async fn settle_exclusive(&self, attrs: &NewNode) -> Result<()> {
        let url = &self.state.url;
        let mut sattr = new_node_sattr(attrs, url.uid, url.gid);
        sattr.atime = set_atime::SET_TO_SERVER_TIME;
        sattr.mtime = set_mtime::SET_TO_SERVER_TIME;
        self.set_sattr(sattr).await?;
        // The SETATTR was the last call begun if nothing else ran meanwhile.
        self.attrs.mark_just_fetched(self.state.next_seq() - 1);
        Ok(())
    }

    /// MKNOD of a FIFO, socket or device node (`rdev` in Linux's encoding).
    ///
    /// Errors: `EEXIST`, `ENOENT`, `EPERM` (the server refuses, or has no MKNOD),
    /// `ENOSPC`, `EDQUOT`, `EIO`; `EINVAL` for a type MKNOD does not make.
    pub async fn make_node(
        &self,
        name: &Name,
        file_type: FileType,
        rdev: u64,
        attrs: &NewNode,
    ) -> Result<Arc<NfsNode>> {
        self.refuse_known(name).await?;
        let url = &self.state.url;
        let sattr = new_node_sattr(attrs, url.uid, url.gid);
        let device = |dev_attributes| devicedata3 {
            dev_attributes,
            spec: specdata_of(rdev),
        };
        let what = match file_type {
            FileType::Fifo => mknoddata3::NF3FIFO(sattr),
            FileType::Socket => mknoddata3::NF3SOCK(sattr),
            FileType::CharDevice => mknoddata3::NF3CHR(device(sattr)),
            FileType::BlockDevice => mknoddata3::NF3BLK(device(sattr)),
            other => return Err(Errno::EINVAL.with(format!("MKNOD of a {other:?}"))),
        };
        let args = MKNOD3args {
            where_: dirop(&self.fh, name.as_bytes()),
            what,
        };
        let seq = self.state.begin();
        let reply: MKNOD3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_MKNOD, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_dir_wcc(&ok.dir_wcc, seq);
                self.created(name, ok.obj, ok.obj_attributes, seq).await
            }
            Nfs3Result::Err((status, fail)) => {
                self.failed_on(&fail.dir_wcc, status, name, seq);
                // A file system without mknod is EPERM on Linux, not EOPNOTSUPP.
                let status = match status {
                    nfsstat3::NFS3ERR_NOTSUPP => nfsstat3::NFS3ERR_PERM,
                    other => other,
                };
                Err(self.fail(status, "MKNOD", format_args!("'{name}'")))
            }
        }
    }

    /// MKDIR.
    ///
    /// Errors: `EEXIST`, `ENOENT`, `EMLINK`, `ENOSPC`, `EDQUOT`, `EIO`.
    pub async fn make_dir(&self, name: &Name, attrs: &NewNode) -> Result<Arc<NfsNode>> {
        self.refuse_known(name).await?;
        let url = &self.state.url;
        let args = MKDIR3args {
            where_: dirop(&self.fh, name.as_bytes()),
            attributes: new_node_sattr(attrs, url.uid, url.gid),
        };
        let seq = self.state.begin();
        let reply: MKDIR3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_MKDIR, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_dir_wcc(&ok.dir_wcc, seq);
                self.created(name, ok.obj, ok.obj_attributes, seq).await
            }
            Nfs3Result::Err((status, fail)) => {
                self.failed_on(&fail.dir_wcc, status, name, seq);
                Err(self.fail(status, "MKDIR", format_args!("'{name}'")))
            }
        }
    }

    /// SYMLINK.
    ///
    /// Errors: `EEXIST`, `ENOENT`, `ENOSPC`, `EIO`.
    pub async fn make_symlink(
        &self,
        name: &Name,
        target: &[u8],
        attrs: &NewNode,
    ) -> Result<Arc<NfsNode>> {
        self.refuse_known(name).await?;
        let url = &self.state.url;
        let args = SYMLINK3args {
            where_: dirop(&self.fh, name.as_bytes()),
            symlink: symlinkdata3 {
                symlink_attributes: new_node_sattr(attrs, url.uid, url.gid),
                symlink_data: nfspath3(Opaque::borrowed(target)),
            },
        };
        let seq = self.state.begin();
        let reply: SYMLINK3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_SYMLINK, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_dir_wcc(&ok.dir_wcc, seq);
                let node = self.created(name, ok.obj, ok.obj_attributes, seq).await?;
                let _ = node.link_target.set(target.to_vec());
                Ok(node)
            }
            Nfs3Result::Err((status, fail)) => {
                self.failed_on(&fail.dir_wcc, status, name, seq);
                Err(self.fail(status, "SYMLINK", format_args!("'{name}'")))
            }
        }
    }

    /// READLINK; a symlink's target never changes, so it is read once.
    ///
    /// Errors: `ESTALE`, `EIO`.
    pub async fn read_link(&self) -> Result<Vec<u8>> {
        if let Some(target) = self.link_target.get() {
            return Ok(target.clone());
        }
        let seq = self.state.begin();
        let args = READLINK3args {
            symlink: self.fh.clone(),
        };
        let reply: READLINK3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_READLINK, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_post_op(&ok.symlink_attributes, seq);
                let target = ok.data.0.into_owned();
                let _ = self.link_target.set(target.clone());
                Ok(target)
            }
            Nfs3Result::Err((status, fail)) => {
                self.absorb_post_op(&fail.symlink_attributes, seq);
                Err(self.fail(status, "READLINK", ""))
            }
        }
    }

    /// LINK `target` as `name` here.
    ///
    /// Errors: `EEXIST`, `ENOENT`, `EMLINK`, `ENOSPC`, `EIO`.
    pub async fn link_to(&self, name: &Name, target: &Arc<NfsNode>) -> Result<()> {
        self.refuse_known(name).await?;
        let args = LINK3args {
            file: target.fh.clone(),
            link: dirop(&self.fh, name.as_bytes()),
        };
        let seq = self.state.begin();
        let reply: LINK3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_LINK, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                target.absorb_post_op(&ok.file_attributes, seq);
                self.absorb_dir_wcc(&ok.linkdir_wcc, seq);
                if let (Some(dir), Nfs3Option::Some(fattr)) = (&self.dir, &ok.file_attributes) {
                    dir.lookup.added(name, child(target, fattr, seq));
                } else if let Some(dir) = &self.dir {
                    dir.lookup.removed(name);
                }
                Ok(())
            }
            Nfs3Result::Err((status, fail)) => {
                target.absorb_post_op(&fail.file_attributes, seq);
                self.failed_on(&fail.linkdir_wcc, status, name, seq);
                Err(self.fail(status, "LINK", format_args!("'{name}'")))
            }
        }
    }

    /// Removes non-directory `name`; an open file is silly-renamed instead, so it
    /// stays usable until its last close.
    ///
    /// Errors: `ENOENT`, `EISDIR`, `EBUSY`, `EIO`.
    pub async fn remove(&self, name: &Name) -> Result<()> {
        self.dir_state()?;
        if self.state.is_hidden(&self.fh, name) {
            return Err(Errno::ENOENT.with(format!("'{name}' was unlinked while open")));
        }
        if self.state.caps.unlinked_open_files && self.state.open_files.load(Ordering::Acquire) > 0
        {
            let child = self.lookup_child(name).await?;
            if child.file_type != FileType::Directory && child.opens.load(Ordering::Acquire) > 0 {
                return self.silly_rename(name, &child).await;
            }
        }
        self.remove_rpc(name).await
    }

    /// REMOVE `name`.
    pub async fn remove_rpc(&self, name: &Name) -> Result<()> {
        let dir = self.dir_state()?;
        let known = dir.lookup.get(name);
        let args = REMOVE3args {
            object: dirop(&self.fh, name.as_bytes()),
        };
        let seq = self.state.begin();
        let reply: REMOVE3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_REMOVE, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.took_away(dir, name, known, &ok.dir_wcc, seq);
                Ok(())
            }
            Nfs3Result::Err((status, fail)) => {
                self.failed_on(&fail.dir_wcc, status, name, seq);
                Err(self.fail(status, "REMOVE", format_args!("'{name}'")))
            }
        }
    }

    /// Takes in a REMOVE or RMDIR of `name` that succeeded, `known` being its
    /// lookup-cache entry from before: the directory's WCC data, the name gone
    /// from `dir`'s cache, and the removed node's cached attributes expired (it
    /// lost a link and its ctime changed), and a removed directory's entries
    /// forgotten.
    fn took_away(
        &self,
        dir: &DirState,
        name: &Name,
        known: Option<Child>,
        wcc: &wcc_data,
        seq: u64,
    ) {
        self.absorb_dir_wcc(wcc, seq);
        dir.lookup.removed(name);
        if let Some(node) = known.and_then(|c| self.state.existing(&c.fh.data)) {
            node.attrs.expire();
            if let Some(gone) = &node.dir {
                gone.lookup.clear();
            }
        }
    }

    /// RMDIR `name`.
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `ENOTEMPTY`, `EBUSY`, `EIO`.
    pub async fn remove_dir(&self, name: &Name) -> Result<()> {
        match self.rmdir_rpc(name).await? {
            Ok(()) => return Ok(()),
            Err(nfsstat3::NFS3ERR_NOTEMPTY | nfsstat3::NFS3ERR_EXIST) => {}
            Err(status) => return Err(self.fail(status, "RMDIR", format_args!("'{name}'"))),
        }
        // A directory holding nothing but this mount's silly-renamed files is empty
        // for POSIX: move those out of the way and try again.
        let evicted = match self.lookup_child(name).await {
            Ok(child) if child.file_type == FileType::Directory => child.evict_silly().await?,
            _ => false,
        };
        let status = if evicted {
            self.rmdir_rpc(name).await?
        } else {
            Err(nfsstat3::NFS3ERR_NOTEMPTY)
        };
        status.map_err(|status| {
            // Some servers say EXIST for a non-empty directory (RFC 1813 allows
            // it); POSIX says ENOTEMPTY.
            let status = match status {
                nfsstat3::NFS3ERR_EXIST => nfsstat3::NFS3ERR_NOTEMPTY,
                other => other,
            };
            self.fail(status, "RMDIR", format_args!("'{name}'"))
        })
    }

    /// One RMDIR; the inner result is the server's status.
    async fn rmdir_rpc(&self, name: &Name) -> Result<std::result::Result<(), nfsstat3>> {
        let dir = self.dir_state()?;
        let known = dir.lookup.get(name);
        let args = RMDIR3args {
            object: dirop(&self.fh, name.as_bytes()),
        };
        let seq = self.state.begin();
        let reply: RMDIR3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_RMDIR, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.took_away(dir, name, known, &ok.dir_wcc, seq);
                Ok(Ok(()))
            }
            Nfs3Result::Err((status, fail)) => {
                self.failed_on(&fail.dir_wcc, status, name, seq);
                Ok(Err(status))
            }
        }
    }

    /// RENAME `name` to `new_name` in `new_dir`. A replaced file that is open is
    /// silly-renamed first, so it stays usable (Linux does the same).
    ///
    /// Errors, in this order: `ENOENT`, `EXDEV`, `EINVAL`, `ENOTDIR`, `EISDIR`,
    /// `ENOTEMPTY`, `EMLINK`, `ENOSPC`, `EIO`.
    pub async fn rename_entry(
        &self,
        name: &Name,
        new_dir: &Arc<dyn Vnode>,
        new_name: &Name,
    ) -> Result<()> {
        self.dir_state()?;
        if self.state.is_hidden(&self.fh, name) {
            return Err(Errno::ENOENT.with(format!("'{name}' was unlinked while open")));
        }
        let to = as_nfs_node(new_dir)
            .filter(|node| Arc::ptr_eq(&node.state, &self.state))
            .ok_or_else(|| Errno::EXDEV.with("rename to another file system"))?;
        to.dir_state()?;
        let same_dir = self.fh == to.fh;
        // A directory moving to another directory: its `..` changes with it.
        let mut moved_dir = None;
        if !same_dir {
            // Linux's VFS refuses to move a directory into its own subtree before
            // the file system sees the call; so does this client (a server that
            // checks too late could lose the target first).
            let source = self.lookup_child(name).await?;
            if source.file_type == FileType::Directory {
                if to.has_ancestor(source.ino) {
                    return Err(Errno::EINVAL.with(format!(
                        "rename of '{name}' into its own subtree ({})",
                        to.what()
                    )));
                }
                moved_dir = Some(source);
            }
        }
        if self.state.caps.unlinked_open_files && self.state.open_files.load(Ordering::Acquire) > 0
        {
            let source = self.lookup_child(name).await?;
            if let Ok(target) = to.lookup_child(new_name).await {
                // Only a file replacing a file: any other pairing fails (ENOTDIR,
                // EISDIR) and must leave the target where it is.
                let open = target.opens.load(Ordering::Acquire) > 0;
                let files = source.file_type != FileType::Directory
                    && target.file_type != FileType::Directory;
                if open && files && target.ino != source.ino {
                    to.silly_rename_boxed(new_name, &target).await?;
                }
            }
        }
        let mut status = self.rename_rpc(name, &to, new_name).await?;
        if status == Err(nfsstat3::NFS3ERR_NOTEMPTY) || status == Err(nfsstat3::NFS3ERR_EXIST) {
            // A directory holding nothing but this mount's silly-renamed files is
            // empty for POSIX: move those out of the way and try again.
            if let Ok(target) = to.lookup_child(new_name).await {
                if target.file_type == FileType::Directory && target.evict_silly().await? {
                    status = self.rename_rpc(name, &to, new_name).await?;
                }
            }
        }
        match status {
            Ok(()) => match moved_dir {
                Some(moved) => to.adopt(&moved),
                None => Ok(()),
            },
            Err(status) => {
                let status = self.rename_status(status, name, &to, new_name).await;
                Err(self.fail(
                    status,
                    "RENAME",
                    format_args!("'{name}' to '{new_name}' in {}", to.what()),
                ))
            }
        }
    }

    /// One RENAME, its WCC data and the lookup caches taken care of; the inner
    /// result is the server's status.
    pub async fn rename_rpc(
        &self,
        name: &Name,
        to: &Arc<NfsNode>,
        new_name: &Name,
    ) -> Result<std::result::Result<(), nfsstat3>> {
        let dir = self.dir_state()?;
        let to_dir = to.dir_state()?;
        let same_dir = self.fh == to.fh;
        let moved = dir.lookup.get(name);
        let replaced = to_dir.lookup.get(new_name);
        let args = RENAME3args {
            from: dirop(&self.fh, name.as_bytes()),
            to: dirop(&to.fh, new_name.as_bytes()),
        };
        let seq = self.state.begin();
        let reply: RENAME3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_RENAME, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.absorb_dir_wcc(&ok.fromdir_wcc, seq);
                if !same_dir {
                    to.absorb_dir_wcc(&ok.todir_wcc, seq);
                }
                dir.lookup.removed(name);
                match &moved {
                    Some(child) => to_dir.lookup.added(new_name, child.clone()),
                    None => to_dir.lookup.removed(new_name),
                }
                // The moved node's ctime changed; a replaced node lost a link.
                for known in [moved, replaced].into_iter().flatten() {
                    if let Some(node) = self.state.existing(&known.fh.data) {
                        node.attrs.expire();
                    }
                }
                Ok(Ok(()))
            }
            Nfs3Result::Err((status, fail)) => {
                self.failed_on(&fail.fromdir_wcc, status, name, seq);
                if !same_dir {
                    to.failed_on(&fail.todir_wcc, status, new_name, seq);
                }
                Ok(Err(status))
            }
        }
    }

    /// Corrects what some servers answer for a rename between a directory and a
    /// non-directory or onto a non-empty directory (nfs3_server says NOTDIR for a
    /// file onto a directory, some say EXIST for a non-empty target), from the
    /// types of both nodes.
    async fn rename_status(
        &self,
        status: nfsstat3,
        name: &Name,
        to: &NfsNode,
        new_name: &Name,
    ) -> nfsstat3 {
        if !matches!(
            status,
            nfsstat3::NFS3ERR_NOTDIR
                | nfsstat3::NFS3ERR_ISDIR
                | nfsstat3::NFS3ERR_EXIST
                | nfsstat3::NFS3ERR_NOTEMPTY
        ) {
            return status;
        }
        let (Ok(source), Ok(target)) = (
            self.lookup_child(name).await,
            to.lookup_child(new_name).await,
        ) else {
            return status;
        };
        let source_dir = source.file_type == FileType::Directory;
        let target_dir = target.file_type == FileType::Directory;
        // Linux's trap: a target that is the source's directory or one above it
        // is "not empty" whatever the types (the source is in it).
        if target_dir && self.has_ancestor(target.ino) {
            return nfsstat3::NFS3ERR_NOTEMPTY;
        }
        match (source_dir, target_dir) {
            (true, true) if status == nfsstat3::NFS3ERR_EXIST => nfsstat3::NFS3ERR_NOTEMPTY,
            (false, true) if status == nfsstat3::NFS3ERR_NOTDIR => nfsstat3::NFS3ERR_ISDIR,
            (true, false) if status == nfsstat3::NFS3ERR_ISDIR => nfsstat3::NFS3ERR_NOTDIR,
            _ => status,
        }
    }
}

/// A lookup cache entry for `node` with `fattr` from the call numbered `seq`.
pub fn child(node: &NfsNode, fattr: &fattr3, seq: u64) -> Child {
    Child {
        fh: node.fh.clone(),
        fattr: fattr.clone(),
        seq,
        node: node.me.clone(),
    }
}
