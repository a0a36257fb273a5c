//! Silly rename: how an NFSv3 client keeps a file usable after its last name is
//! removed while it is open.
//!
//! NFSv3 servers keep no open state, so a REMOVE of an open file would destroy it
//! under its users. Like Linux, this client renames such a file to a hidden
//! `.nfsXXXXXXXXXXXXXXXXYYYYYYYY` name in the same directory instead (X: the fileid,
//! Y: a counter) and removes that name at the last close. The name is hidden from
//! this mount's listings and lookups, and the file's link count is shown one lower,
//! so POSIX sees the name gone. If the client dies first the file stays behind on
//! the server, as it does with Linux.

use crate::node::NfsNode;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use vfs_core::{Name, Result};

/// Where a silly-renamed file lives now.
pub struct SillyName {
    /// The directory holding it (kept alive for the final REMOVE).
    pub dir: Arc<NfsNode>,
    /// The hidden name.
    pub name: Name,
}

impl NfsNode {
    /// Renames the open file `child`, named `name` here, to a hidden name.
    ///
    /// Errors: as RENAME.
    pub async fn silly_rename(&self, name: &Name, child: &Arc<NfsNode>) -> Result<()> {
        let me = self.arc()?;
        let hidden = Name::new(format!(
            ".nfs{:016x}{:08x}",
            child.ino,
            self.state.unique() as u32
        ))?;
        // Hidden before the rename, so no listing shows it in between.
        self.state.hide(&self.fh, &hidden);
        let dir: Arc<dyn vfs_core::Vnode> = me.clone();
        if let Err(e) = self.rename_entry(name, &dir, &hidden).await {
            self.state.unhide(&self.fh, &hidden);
            return Err(e);
        }
        let previous = child.silly.lock().replace(SillyName {
            dir: me,
            name: hidden,
        });
        // A file silly-renamed twice (a second name removed while open) keeps
        // only the newest hidden name; the older one goes now.
        if let Some(old) = previous {
            old.dir.remove_silly(&old.name).await;
        }
        child.attrs.expire();
        Ok(())
    }

    /// [`NfsNode::silly_rename`] boxed: rename silly-renames a replaced open file,
    /// which renames, and recursive futures need a box.
    pub fn silly_rename_boxed<'a>(
        &'a self,
        name: &'a Name,
        child: &'a Arc<NfsNode>,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>> {
        Box::pin(self.silly_rename(name, child))
    }

    /// One open of this file ended: at the last one, remove its silly name.
    pub async fn closed(&self) -> Result<()> {
        let last = self.opens.fetch_sub(1, Ordering::AcqRel) == 1;
        self.state.open_files.fetch_sub(1, Ordering::AcqRel);
        if !last {
            return Ok(());
        }
        let silly = self.silly.lock().take();
        if let Some(silly) = silly {
            silly.dir.remove_silly(&silly.name).await;
            // The file lost the hidden link: the link count cached from earlier
            // replies (which counted it) is wrong now.
            self.attrs.expire();
        }
        Ok(())
    }

    /// Moves this mount's silly-renamed files out of this directory into the
    /// mount's root, when they are all the directory holds, so it can be removed
    /// or replaced (Linux fails such an rmdir; POSIX says the directory is empty).
    /// Returns whether it moved any.
    pub async fn evict_silly(&self) -> Result<bool> {
        let ours: Vec<Name> = self
            .state
            .hidden
            .lock()
            .iter()
            .filter(|(dir, _)| *dir == *self.fh.data)
            .map(|(_, name)| name.clone())
            .collect();
        if ours.is_empty() || self.is_root() {
            return Ok(false);
        }
        if !self.list(0, 1).await?.entries.is_empty() {
            return Ok(false);
        }
        let Some(root) = self.state.existing(&self.state.root_fh.data) else {
            return Ok(false);
        };
        for name in ours {
            if self.rename_rpc(&name, &root, &name).await? != Ok(()) {
                return Ok(false);
            }
            // Hidden in the root before shown here, so no listing shows it.
            self.state.hide(&root.fh, &name);
            self.state.unhide(&self.fh, &name);
            for node in self.state.live_nodes() {
                let mut silly = node.silly.lock();
                if let Some(record) = silly.as_mut() {
                    if record.name == name && record.dir.fh == self.fh {
                        record.dir = root.clone();
                    }
                }
            }
        }
        Ok(true)
    }

    /// Removes the silly name `name` of this directory (best effort: a failure
    /// leaves a stray `.nfs` file, which is what Linux leaves too).
    pub async fn remove_silly(&self, name: &Name) {
        let result = self.remove_rpc(name).await;
        if let Err(e) = result {
            eprintln!("vfs-nfs: cannot remove silly-renamed file {name}: {e}");
        }
        self.state.unhide(&self.fh, name);
    }
}
