//! `rename`: Linux's checks in Linux's order, then one move under the tree lock.

use crate::node::{Body, RamNode};
use std::sync::Arc;
use vfs_core::{Errno, FileType, Name, Result, Timespec, Vnode};

impl RamNode {
    /// Moves `name` of this directory to `new_name` in `new_dir`, as
    /// [`Vnode::rename`] describes.
    pub(crate) fn move_entry(
        &self,
        name: &Name,
        new_dir: &Arc<dyn Vnode>,
        new_name: &Name,
    ) -> Result<()> {
        let _tree = self.fs.change_tree();
        let old_parent = self.arc()?;
        let Some(source) = old_parent.child(name)? else {
            return Err(Errno::ENOENT.into());
        };
        let Some(new_parent) = RamNode::downcast(new_dir, &self.fs) else {
            return Err(Errno::EXDEV.with("destination is on another file system"));
        };
        let target = new_parent.child(new_name)?;
        let source_is_dir = source.kind() == FileType::Directory;
        if source_is_dir && new_parent.is_within(&source) {
            return Err(Errno::EINVAL.with("a directory cannot move into itself"));
        }
        match &target {
            Some(target) => {
                if Arc::ptr_eq(target, &source) {
                    return Ok(());
                }
                let target_is_dir = target.kind() == FileType::Directory;
                // Replacing an ancestor of the source: Linux reports it before the
                // type checks (the `trap` of `lock_rename`).
                if target_is_dir && old_parent.is_within(target) {
                    return Err(Errno::ENOTEMPTY.into());
                }
                if source_is_dir && !target_is_dir {
                    return Err(Errno::ENOTDIR.into());
                }
                if !source_is_dir && target_is_dir {
                    return Err(Errno::EISDIR.into());
                }
                if target_is_dir && !target.state.read().body.dir()?.is_empty() {
                    return Err(Errno::ENOTEMPTY.into());
                }
            }
            None if new_parent.state.read().meta.nlink == 0 => {
                return Err(Errno::ENOENT.with("destination directory was removed"));
            }
            None => {}
        }
        let now = Timespec::now();
        let same_parent = Arc::ptr_eq(&old_parent, &new_parent);
        {
            let mut old_state = old_parent.state.write();
            let mut other_state = if same_parent {
                None
            } else {
                Some(new_parent.state.write())
            };
            let old = &mut *old_state;
            let new = match other_state.as_deref_mut() {
                Some(state) => state,
                None => old,
            };
            // Both were checked to be directories above.
            new.body.dir_mut()?.insert(new_name.clone(), source.clone());
            new.meta.modified(now);
            if source_is_dir && target.is_none() {
                new.meta.nlink += 1;
            }
            old_state.body.dir_mut()?.remove(name);
            old_state.meta.modified(now);
            if source_is_dir {
                old_state.meta.nlink = old_state.meta.nlink.saturating_sub(1);
            }
        }
        {
            let mut source_state = source.state.write();
            source_state.meta.changed(now);
            if let Body::Dir(dir) = &mut source_state.body {
                dir.set_parent(&new_parent);
            }
        }
        if let Some(target) = target {
            target.lost_name(now);
        }
        Ok(())
    }

    /// True when `ancestor` is this directory or one above it.
    fn is_within(self: &Arc<Self>, ancestor: &Arc<RamNode>) -> bool {
        let mut current = self.clone();
        loop {
            if Arc::ptr_eq(&current, ancestor) {
                return true;
            }
            let parent = match &current.state.read().body {
                Body::Dir(dir) => dir.parent(),
                _ => None,
            };
            match parent {
                Some(parent) if !Arc::ptr_eq(&parent, &current) => current = parent,
                _ => return false,
            }
        }
    }
}
