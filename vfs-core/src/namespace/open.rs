//! `open`: opening a path (creating the file for `O_CREAT`) with the checks Linux
//! makes, in its order (`do_open`, `may_open`); the answer without futures where
//! the backend has it (`open_now`); and the create sent before the lookup in
//! directories being filled ([`FillingDirs`](crate::filling_dirs::FillingDirs)).

use super::{Caller, Namespace};
use crate::attr::FileType;
use crate::errno::{Errno, Result};
use crate::fetch::{drive, now, now_try, Fetch};
use crate::file_handle::FileHandle;
use crate::flags::OpenFlags;
use crate::mount::Location;
use crate::name::Name;
use crate::open_file::OpenFile;
use crate::permission;
use crate::resolve::{LastComponent, Walker};
use crate::vnode::{opened, CreateMode};
use std::sync::Arc;

/// What `open` found its checks to allow.
#[derive(Clone, Copy)]
enum OpenPlan {
    /// Open a directory (for listing: no backend file).
    Directory,
    /// Open a regular file, truncating it first when `truncate`; `mode` is its
    /// mode as the checks saw it (`None` when they read no attributes).
    File { mode: Option<u32>, truncate: bool },
}

/// The open flags a backend's `open` is given: the access mode and what changes
/// how its file does I/O.
fn passed_to_backend(flags: OpenFlags) -> OpenFlags {
    flags
        & (OpenFlags::READ
            | OpenFlags::WRITE
            | OpenFlags::APPEND
            | OpenFlags::SYNC
            | OpenFlags::DSYNC
            | OpenFlags::NOATIME)
}

impl Namespace {
    /// Opens (and with `CREATE` creates) `path`. `mode` is the final permission mode
    /// of a created file (the caller applied its umask).
    ///
    /// Errors, in Linux's order: resolution errors; `EISDIR` (`CREATE` with a
    /// trailing slash or on a directory); `EEXIST` (`CREATE|EXCLUSIVE` on an existing
    /// name); `ENOTDIR` (`DIRECTORY` on a non-directory); `ELOOP` (`NOFOLLOW` on a
    /// symlink); `EROFS` (creating or writing on a read-only mount); `EACCES`
    /// (creating without write permission on the directory); `EISDIR` (writing a
    /// directory); `EACCES` (an existing node whose mode denies the access mode, or
    /// write for `TRUNCATE`; a directory needs read); `EPERM` (`NOATIME` on a node
    /// the caller neither owns nor is root for); `ENXIO` (a FIFO, socket or device
    /// node: no I/O goes through them); then the backend's. A file this call
    /// created is opened whatever its mode, as Linux does.
    pub async fn open(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        flags: OpenFlags,
        mode: u32,
    ) -> Result<FileHandle> {
        let path = path.as_ref();
        let mut walker = self.walker(&caller.creds);
        if !flags.contains(OpenFlags::CREATE) {
            let (location, plan) = walker
                .drive(|walker, fetch| self.open_existing_with(walker, fetch, caller, path, flags))
                .await?;
            return self.finish_open(caller, location, flags, plan).await;
        }
        let (location, created) = self
            .open_or_create(&mut walker, caller, path, flags, mode)
            .await?;
        let created_mode = created.then_some(mode & 0o7777);
        self.open_checked(caller, location, flags, created_mode, path)
            .await
    }

    /// [`Namespace::open`] without `CREATE` or `TRUNCATE` (which change the file
    /// system) when every backend call on the way answers at once; `None`: call
    /// `open`. What a blocking frontend tries first, as [`Namespace::stat_now`].
    pub fn open_now(
        &self,
        caller: &Caller,
        path: &[u8],
        flags: OpenFlags,
    ) -> Option<Result<FileHandle>> {
        if flags.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE) {
            return None;
        }
        let mut walker = self.walker(&caller.creds);
        let (location, plan) = now_try!(now(|fetch| self.open_existing_with(
            &mut walker,
            fetch,
            caller,
            path,
            flags
        )));
        let file = match plan {
            OpenPlan::Directory => None,
            OpenPlan::File { .. } => {
                Some(now_try!(location.vnode.open_now(passed_to_backend(flags))))
            }
        };
        Some(Ok(self.new_handle(caller, location, file, flags, plan)))
    }

    /// Resolves `path` for an `open` without `CREATE` and checks it may be opened
    /// as `flags` ask: one run (see [`crate::fetch`]).
    fn open_existing_with(
        &self,
        walker: &mut Walker<'_>,
        fetch: &mut Fetch,
        caller: &Caller,
        path: &[u8],
        flags: OpenFlags,
    ) -> Option<Result<(Location, OpenPlan)>> {
        let follow = !flags.contains(OpenFlags::NOFOLLOW);
        let location = now_try!(walker.walk_with(fetch, &caller.cwd, path, follow));
        let plan = now_try!(self.open_checks(fetch, caller, &location, flags, None, path));
        Some(Ok((location, plan)))
    }

    /// Opens the node `location` itself, as `open` does once it has resolved a path
    /// (for a frontend that holds nodes rather than paths, such as FUSE). `CREATE`
    /// and `EXCLUSIVE` are ignored: the node exists.
    ///
    /// Errors: as [`Namespace::open`] after resolution.
    pub async fn open_node(
        &self,
        caller: &Caller,
        location: Location,
        flags: OpenFlags,
    ) -> Result<FileHandle> {
        let flags = flags - (OpenFlags::CREATE | OpenFlags::EXCLUSIVE);
        self.open_checked(caller, location, flags, None, b".").await
    }

    /// The checks and the backend call of `open` on a resolved node, or one just
    /// created with mode `created` (which no access check applies to); `path` names
    /// it in errors.
    async fn open_checked(
        &self,
        caller: &Caller,
        location: Location,
        flags: OpenFlags,
        created: Option<u32>,
        path: &[u8],
    ) -> Result<FileHandle> {
        let plan =
            drive(|fetch| self.open_checks(fetch, caller, &location, flags, created, path)).await?;
        self.finish_open(caller, location, flags, plan).await
    }

    /// What `open` checks on a resolved node before it changes or opens anything,
    /// in Linux's order; one run (see [`crate::fetch`]).
    fn open_checks(
        &self,
        fetch: &mut Fetch,
        caller: &Caller,
        location: &Location,
        flags: OpenFlags,
        created: Option<u32>,
        path: &[u8],
    ) -> Option<Result<OpenPlan>> {
        let file_type = location.vnode.file_type();
        // `O_DIRECTORY` is checked before `O_NOFOLLOW`'s symlink (Linux's `do_open`
        // before `may_open`).
        if flags.contains(OpenFlags::DIRECTORY) && file_type != FileType::Directory {
            return Some(Err(
                Errno::ENOTDIR.with(format!("'{}' (O_DIRECTORY)", String::from_utf8_lossy(path)))
            ));
        }
        if file_type == FileType::Symlink {
            return Some(Err(Errno::ELOOP.with(format!(
                "'{}' is a symlink (O_NOFOLLOW)",
                String::from_utf8_lossy(path)
            ))));
        }
        if file_type == FileType::Directory {
            if flags.contains(OpenFlags::CREATE) {
                return Some(Err(
                    Errno::EISDIR.with(format!("'{}' (O_CREAT)", String::from_utf8_lossy(path)))
                ));
            }
            // O_TRUNC asks for write access too (Linux's may_open).
            if flags.writable() || flags.contains(OpenFlags::TRUNCATE) {
                return Some(Err(Errno::EISDIR.with(format!(
                    "'{}' opened for writing",
                    String::from_utf8_lossy(path)
                ))));
            }
            now_try!(permission::may_open(fetch, location, &caller.creds, flags));
            return Some(Ok(OpenPlan::Directory));
        }
        if file_type != FileType::Regular {
            now_try!(permission::may_open(fetch, location, &caller.creds, flags));
            // Nothing here is a pipe, a socket's listener or a device driver, so
            // these nodes open as Linux opens a device number no driver claims
            // (and a socket, always): ENXIO.
            return Some(Err(Errno::ENXIO.with(format!(
                "'{}' is a {:?}: no device I/O through the VFS",
                String::from_utf8_lossy(path),
                file_type
            ))));
        }
        let truncate = flags.contains(OpenFlags::TRUNCATE) && created.is_none();
        if created.is_none() && (flags.writable() || truncate) {
            now_try!(Some(location.mount.check_writable()));
        }
        let mode = match created {
            Some(mode) => Some(mode),
            None => now_try!(permission::may_open(fetch, location, &caller.creds, flags))
                .map(|attr| attr.mode),
        };
        Some(Ok(OpenPlan::File { mode, truncate }))
    }

    /// What `open` does once its checks passed: truncates, opens the backend's
    /// file.
    async fn finish_open(
        &self,
        caller: &Caller,
        location: Location,
        flags: OpenFlags,
        plan: OpenPlan,
    ) -> Result<FileHandle> {
        let OpenPlan::File { mut mode, truncate } = plan else {
            return Ok(self.new_handle(caller, location, None, flags, plan));
        };
        if truncate {
            let change = permission::truncation(&location, &caller.creds, 0, false).await?;
            location.vnode.setattr(&change).await?;
            mode = change.mode.or(mode);
        }
        let file = opened(&*location.vnode, passed_to_backend(flags)).await?;
        let plan = OpenPlan::File { mode, truncate };
        Ok(self.new_handle(caller, location, Some(file), flags, plan))
    }

    /// The handle of a finished `open`: it remembers the mode when the opener's
    /// writes may have to drop set-ID bits.
    fn new_handle(
        &self,
        caller: &Caller,
        location: Location,
        file: Option<Arc<dyn OpenFile>>,
        flags: OpenFlags,
        plan: OpenPlan,
    ) -> FileHandle {
        let mode = match plan {
            OpenPlan::File { mode, .. }
                if permission::write_drops_set_id(&location, &caller.creds) =>
            {
                mode
            }
            _ => None,
        };
        FileHandle::new(location, file, flags, caller.creds.clone(), mode)
    }

    /// The `O_CREAT` half of `open`: finds or creates the last component, following a
    /// symlink there (even a dangling one, whose target is then created, as Linux
    /// does) unless `EXCLUSIVE` or `NOFOLLOW` says otherwise.
    ///
    /// A name the backend cannot answer for without waiting is created before it
    /// is looked up where that is likely to save the lookup: always with
    /// `EXCLUSIVE` (the create's `EEXIST` is the answer either way, as Linux's NFS
    /// client has it), and in directories being filled with new files (see
    /// [`FillingDirs`](crate::filling_dirs::FillingDirs)). Any failure of that
    /// early create falls back to the lookup first, so errors come in Linux's order.
    async fn open_or_create(
        &self,
        walker: &mut Walker<'_>,
        caller: &Caller,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
    ) -> Result<(Location, bool)> {
        let exclusive = flags.contains(OpenFlags::EXCLUSIVE);
        let mut parent = walker.walk_parent(&caller.cwd, path).await?;
        loop {
            let name = match &parent.last {
                LastComponent::Normal(name) if !parent.trailing_slash => name.clone(),
                _ => {
                    return Err(Errno::EISDIR
                        .with(format!("'{}' (O_CREAT)", String::from_utf8_lossy(path))))
                }
            };
            let answered = walker.step_now(&parent.dir, name.as_bytes());
            let unknown = answered.is_none();
            if unknown && (exclusive || self.filling.expects_new(&parent.dir)) {
                match self
                    .create_file(&parent.dir, caller, &name, mode, exclusive)
                    .await
                {
                    Ok(location) => {
                        self.filling.learn(&parent.dir, true);
                        return Ok((location, true));
                    }
                    Err(e) if exclusive && e.errno() == Errno::EEXIST => {
                        return Err(Errno::EEXIST.with(format!("'{name}' (O_EXCL)")));
                    }
                    Err(_) => {}
                }
            }
            let stepped = match answered {
                Some(stepped) => stepped,
                None => walker.step(&parent.dir, name.as_bytes()).await,
            };
            match stepped {
                Ok(existing) => {
                    if exclusive {
                        return Err(Errno::EEXIST.with(format!("'{name}' (O_EXCL)")));
                    }
                    if unknown {
                        self.filling.learn(&parent.dir, false);
                    }
                    if existing.vnode.file_type() != FileType::Symlink
                        || flags.contains(OpenFlags::NOFOLLOW)
                    {
                        return Ok((existing, false));
                    }
                    let target = walker.read_target(&existing).await?;
                    parent = walker.walk_parent(&parent.dir, &target).await?;
                }
                Err(e) if e.errno() == Errno::ENOENT => {
                    match self
                        .create_file(&parent.dir, caller, &name, mode, exclusive)
                        .await
                    {
                        Ok(location) => {
                            if unknown {
                                self.filling.learn(&parent.dir, true);
                            }
                            return Ok((location, true));
                        }
                        // Lost a race with another creator: look again.
                        Err(e) if e.errno() == Errno::EEXIST && !exclusive => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Creates regular file `name` in `dir` for `open(O_CREAT)`, with permission
    /// bits `mode` (umask applied), `O_EXCL`'s way when `exclusive`.
    ///
    /// Errors: `EROFS`, `EACCES` (as `may_create`), then the backend's create's.
    async fn create_file(
        &self,
        dir: &Location,
        caller: &Caller,
        name: &Name,
        mode: u32,
        exclusive: bool,
    ) -> Result<Location> {
        dir.mount.check_writable()?;
        permission::may_create(dir, &caller.creds).await?;
        let attrs = self
            .new_node(dir, &caller.creds, mode & 0o7777, false)
            .await?;
        let how = if exclusive {
            CreateMode::Exclusive
        } else {
            CreateMode::Guarded
        };
        let vnode = dir
            .vnode
            .create(name, &attrs, how)
            .await
            .map_err(|e| e.context_prefix(format_args!("create '{name}'")))?;
        Ok(Location {
            mount: dir.mount.clone(),
            vnode,
        })
    }
}
