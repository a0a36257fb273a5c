//! The FUSE request handlers: each request becomes namespace calls.

use crate::convert::{credentials, errno, file_attr, kind, set_time};
use crate::inodes::{Gate, Inodes, ROOT_ID};
use crate::FuseOptions;
use fuser::{
    AccessFlags, BsdFileFlags, FileHandle as FuseFh, FopenFlags, Generation, INodeNo, KernelConfig,
    LockOwner, OpenFlags as FuseOpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData,
    ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow,
    WriteFlags,
};
use futures::executor::block_on;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;
use vfs_core::{
    AccessMask, Caller, Errno, Error, FileHandle, FileType, Location, Namespace, OpenFlags, Result,
    SetAttr,
};
use vfs_posix_shim::open_flags_of;

/// How many entries one backend `readdir` call is asked for. The kernel's buffer
/// (4 KiB by default) holds about a hundred short names; what does not fit is
/// asked for again from its cookie next time.
const READDIR_BATCH: usize = 128;

/// Offsets the kernel gets for `.` and `..`; backend entries follow from
/// `FIRST_ENTRY_OFFSET`.
const DOT_OFFSET: u64 = 1;
const DOTDOT_OFFSET: u64 = 2;
const FIRST_ENTRY_OFFSET: u64 = 3;

/// One open file or directory, as the kernel's `fh` names it.
struct Open {
    handle: FileHandle,
    /// For a directory: the backend cookie to resume after the entry the kernel got
    /// as offset `FIRST_ENTRY_OFFSET + i`. Offsets are indexes here rather than the
    /// cookies themselves because a backend's cookies are arbitrary u64s (NFS) that
    /// could collide with the offsets of `.` and `..`; the list only grows, so every
    /// offset the kernel was given (telldir/seekdir) stays valid while the
    /// directory is open.
    cookies: Mutex<Vec<u64>>,
    /// The node's gate (see [`Gate`]), held shared by reads and writes.
    gate: Gate,
}

/// A namespace served over FUSE: implements [`fuser::Filesystem`].
///
/// Usually built by [`crate::spawn_mount`]; build it yourself to run a
/// [`fuser::Session`] with other settings.
pub struct VfsFuse {
    namespace: Arc<Namespace>,
    options: FuseOptions,
    inodes: Mutex<Inodes>,
    opens: Mutex<HashMap<u64, Arc<Open>>>,
    next_fh: AtomicU64,
}

impl VfsFuse {
    /// Serves directory `root` of `namespace` as the FUSE root.
    pub fn new(namespace: Arc<Namespace>, root: Location, options: FuseOptions) -> VfsFuse {
        VfsFuse {
            namespace,
            options,
            inodes: Mutex::new(Inodes::new(root)),
            opens: Mutex::new(HashMap::new()),
            next_fh: AtomicU64::new(1),
        }
    }

    /// The location of node `ino`; `ESTALE` for an id the kernel should no longer
    /// use (never expected, but never a panic).
    fn location(&self, ino: INodeNo) -> Result<Location> {
        self.inodes
            .lock()
            .get(ino.0)
            .ok_or_else(|| Errno::ESTALE.with(format!("unknown node id {}", ino.0)))
    }

    /// The caller of `req`, with `cwd` as where relative paths (entry names) start.
    fn caller(&self, req: &Request, cwd: Location) -> Caller {
        Caller {
            cwd,
            creds: credentials(req.uid(), req.gid(), req.pid()),
        }
    }

    fn open(&self, fh: FuseFh) -> Result<Arc<Open>> {
        self.opens
            .lock()
            .get(&fh.0)
            .cloned()
            .ok_or_else(|| Errno::EBADF.with(format!("unknown file handle {}", fh.0)))
    }

    /// Registers an open of node `id`.
    fn add_open(&self, id: u64, handle: FileHandle) -> FuseFh {
        let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
        let gate = self.inodes.lock().gate(id);
        self.opens.lock().insert(
            fh,
            Arc::new(Open {
                handle,
                cookies: Mutex::new(Vec::new()),
                gate,
            }),
        );
        FuseFh(fh)
    }

    fn take_open(&self, fh: FuseFh) -> Option<Arc<Open>> {
        self.opens.lock().remove(&fh.0)
    }

    /// Logs a failed request when tracing, and gives the kernel its errno.
    fn fail(&self, op: &str, what: impl std::fmt::Display, error: &Error) -> fuser::Errno {
        if self.options.trace {
            eprintln!("vfs-fuse: {op} {what}: {error}");
        }
        errno(error)
    }

    /// The attributes the kernel gets for node `id` at `location`.
    fn attr_of(&self, id: u64, attr: &vfs_core::Attr) -> fuser::FileAttr {
        let st_ino = self.inodes.lock().st_ino(id);
        file_attr(st_ino, attr)
    }

    /// Resolves entry `name` of directory `parent` without following a final
    /// symlink, as a lookup does.
    fn resolve_entry(&self, req: &Request, parent: &Location, name: &OsStr) -> Result<Location> {
        let caller = self.caller(req, parent.clone());
        block_on(self.namespace.resolve(&caller, entry_name(name)?, false))
    }

    fn do_lookup(&self, req: &Request, parent: INodeNo, name: &OsStr) -> Result<Location> {
        let dir = self.location(parent)?;
        self.resolve_entry(req, &dir, name)
    }

    fn do_setattr(
        &self,
        req: &Request,
        ino: INodeNo,
        changes: &SetAttr,
        fh: Option<FuseFh>,
    ) -> Result<vfs_core::Attr> {
        let location = self.location(ino)?;
        let gate = self.inodes.lock().gate(ino.0);
        let _exclusive = changes.size.map(|_| gate.write());
        // A size change through a descriptor open for writing (ftruncate, or
        // open(O_TRUNC)) goes to the handle: it pushes the handle's buffered writes
        // first and, as Linux, needs no write permission beyond the open's. Anything
        // else is a change of the node, with the namespace's checks.
        if changes.size.is_some() {
            if let Some(open) = fh.and_then(|fh| self.open(fh).ok()) {
                if open.handle.flags().writable() {
                    return block_on(open.handle.setattr(changes));
                }
            }
        }
        let caller = self.caller(req, location.clone());
        block_on(self.namespace.setattr_node(&caller, &location, changes))
    }

    fn do_readdir(
        &self,
        req: &Request,
        ino: INodeNo,
        fh: FuseFh,
        offset: u64,
        reply: &mut ReplyDirectory,
    ) -> Result<()> {
        let open = self.open(fh)?;
        let dir = open.handle.location().clone();
        let dir_ino = self.inodes.lock().st_ino(ino.0);
        let mut offset = offset;
        if offset == 0 {
            if reply.add(
                INodeNo(dir_ino),
                DOT_OFFSET,
                fuser::FileType::Directory,
                ".",
            ) {
                return Ok(());
            }
            offset = DOT_OFFSET;
        }
        if offset == DOT_OFFSET {
            let parent_ino = if ino.0 == ROOT_ID {
                // The kernel answers `..` of its mount root itself; what a listing
                // shows there is the root's own number, as for `/`.
                dir_ino
            } else {
                let caller = self.caller(req, dir.clone());
                match block_on(self.namespace.resolve(&caller, "..", false)) {
                    Ok(parent) => self
                        .inodes
                        .lock()
                        .listed_ino(parent.mount().id(), parent.vnode().ino()),
                    Err(_) => dir_ino,
                }
            };
            if reply.add(
                INodeNo(parent_ino),
                DOTDOT_OFFSET,
                fuser::FileType::Directory,
                "..",
            ) {
                return Ok(());
            }
            offset = DOTDOT_OFFSET;
        }
        let mut cookie = if offset == DOTDOT_OFFSET {
            0
        } else {
            let index = offset - FIRST_ENTRY_OFFSET;
            *open.cookies.lock().get(index as usize).ok_or_else(|| {
                Errno::EINVAL.with(format!("directory offset {offset} never given"))
            })?
        };
        let mount_id = dir.mount().id();
        loop {
            let page = block_on(open.handle.readdir(cookie, READDIR_BATCH))?;
            for entry in &page.entries {
                let listed = self.inodes.lock().listed_ino(mount_id, entry.ino);
                let mut cookies = open.cookies.lock();
                let next_offset = FIRST_ENTRY_OFFSET + cookies.len() as u64;
                if reply.add(
                    INodeNo(listed),
                    next_offset,
                    kind(entry.file_type),
                    OsStr::from_bytes(entry.name.as_bytes()),
                ) {
                    // Full: the kernel asks again from the last offset it got.
                    return Ok(());
                }
                cookies.push(entry.cookie);
                cookie = entry.cookie;
            }
            if page.eof || page.entries.is_empty() {
                return Ok(());
            }
        }
    }

    fn do_access(&self, ino: INodeNo, mask: AccessFlags, req: &Request) -> Result<()> {
        let location = self.location(ino)?;
        let mut wanted = AccessMask::empty();
        if mask.contains(AccessFlags::R_OK) {
            wanted |= AccessMask::READ;
        }
        if mask.contains(AccessFlags::W_OK) {
            wanted |= AccessMask::WRITE;
        }
        if mask.contains(AccessFlags::X_OK) {
            wanted |= AccessMask::EXECUTE;
        }
        // The namespace's `access` takes a path and no node, so this is the same
        // check made on the node: EROFS for write access on a read-only mount
        // (but not for a symlink), then the backend's permission check.
        if wanted.contains(AccessMask::WRITE) && location.vnode().file_type() != FileType::Symlink {
            location.mount().check_writable()?;
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let creds = credentials(req.uid(), req.gid(), req.pid());
        block_on(location.vnode().access(wanted, &creds))
    }
}

/// The bytes of an entry name the kernel sent: one component, never a path.
fn entry_name(name: &OsStr) -> Result<&[u8]> {
    let bytes = name.as_bytes();
    if bytes.contains(&b'/') {
        return Err(Errno::EINVAL.with("entry name contains '/'"));
    }
    Ok(bytes)
}

fn shown(name: &OsStr) -> std::borrow::Cow<'_, str> {
    name.to_string_lossy()
}

impl fuser::Filesystem for VfsFuse {
    fn init(&mut self, _req: &Request, _config: &mut KernelConfig) -> std::io::Result<()> {
        Ok(())
    }

    fn destroy(&mut self) {
        // The kernel is done with every node and handle: close what is still open
        // so buffered writes reach the backend.
        let opens: Vec<_> = self.opens.lock().drain().map(|(_, open)| open).collect();
        for open in opens {
            let _ = block_on(open.handle.close());
        }
    }

    fn lookup(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        self.reply_entry(self.do_lookup(req, parent, name), reply, "lookup", name);
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.inodes.lock().forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, fh: Option<FuseFh>, reply: ReplyAttr) {
        let attr = match fh.and_then(|fh| self.open(fh).ok()) {
            Some(open) => block_on(open.handle.getattr()),
            None => self
                .location(ino)
                .and_then(|location| block_on(vfs_core::attributes(&**location.vnode()))),
        };
        match attr {
            Ok(attr) => reply.attr(&self.options.attr_ttl, &self.attr_of(ino.0, &attr)),
            Err(e) => reply.error(self.fail("getattr", ino.0, &e)),
        }
    }

    fn setattr(
        &self,
        req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<FuseFh>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let changes = SetAttr {
            mode: mode.map(|m| m & 0o7777),
            uid,
            gid,
            size,
            atime: atime.map(set_time),
            mtime: mtime.map(set_time),
        };
        match self.do_setattr(req, ino, &changes, fh) {
            Ok(attr) => reply.attr(&self.options.attr_ttl, &self.attr_of(ino.0, &attr)),
            Err(e) => reply.error(self.fail("setattr", ino.0, &e)),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        // Reading a link's target changes nothing and needs no permission of its
        // own (the kernel checked the path to it), so the node answers directly.
        match self
            .location(ino)
            .and_then(|location| block_on(location.vnode().readlink()))
        {
            Ok(target) => reply.data(&target),
            Err(e) => reply.error(self.fail("readlink", ino.0, &e)),
        }
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        rdev: u32,
        reply: ReplyEntry,
    ) {
        let made = (|| {
            let dir = self.location(parent)?;
            let caller = self.caller(req, dir.clone());
            let name_bytes = entry_name(name)?;
            let mode = (mode & 0o170000) | (mode & 0o7777 & !umask);
            block_on(
                self.namespace
                    .mknod(&caller, name_bytes, mode, u64::from(rdev)),
            )?;
            self.resolve_entry(req, &dir, name)
        })();
        self.reply_entry(made, reply, "mknod", name);
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let made = (|| {
            let dir = self.location(parent)?;
            let caller = self.caller(req, dir.clone());
            block_on(
                self.namespace
                    .mkdir(&caller, entry_name(name)?, mode & 0o7777 & !umask),
            )?;
            self.resolve_entry(req, &dir, name)
        })();
        self.reply_entry(made, reply, "mkdir", name);
    }

    fn unlink(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let done = self.location(parent).and_then(|dir| {
            let caller = self.caller(req, dir);
            block_on(self.namespace.unlink(&caller, entry_name(name)?))
        });
        match done {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("unlink", shown(name), &e)),
        }
    }

    fn rmdir(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let done = self.location(parent).and_then(|dir| {
            let caller = self.caller(req, dir);
            block_on(self.namespace.rmdir(&caller, entry_name(name)?))
        });
        match done {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("rmdir", shown(name), &e)),
        }
    }

    fn symlink(
        &self,
        req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        let made = (|| {
            let dir = self.location(parent)?;
            let caller = self.caller(req, dir.clone());
            block_on(self.namespace.symlink(
                &caller,
                target.as_os_str().as_bytes(),
                entry_name(link_name)?,
            ))?;
            self.resolve_entry(req, &dir, link_name)
        })();
        self.reply_entry(made, reply, "symlink", link_name);
    }

    fn rename(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let done = (|| {
            let from = self.location(parent)?;
            let to = self.location(newparent)?;
            let caller = self.caller(req, from.clone());
            let raw = flags.bits();
            if raw & !libc::RENAME_NOREPLACE != 0 {
                // RENAME_EXCHANGE and RENAME_WHITEOUT have no namespace call.
                return Err(Errno::EINVAL.with("rename flags other than RENAME_NOREPLACE"));
            }
            if raw & libc::RENAME_NOREPLACE != 0 {
                // Not atomic with the rename: the namespace has no no-replace rename.
                match self.resolve_entry(req, &to, newname) {
                    Ok(_) => return Err(Errno::EEXIST.with("RENAME_NOREPLACE")),
                    Err(e) if e.errno() == Errno::ENOENT => {}
                    Err(e) => return Err(e),
                }
            }
            block_on(self.namespace.rename_at(
                &caller,
                &from,
                entry_name(name)?,
                &to,
                entry_name(newname)?,
            ))
        })();
        match done {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("rename", shown(name), &e)),
        }
    }

    fn link(
        &self,
        req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        let made = (|| {
            let target = self.location(ino)?;
            let dir = self.location(newparent)?;
            let caller = self.caller(req, dir.clone());
            block_on(
                self.namespace
                    .link_node(&caller, &target, &dir, entry_name(newname)?),
            )?;
            Ok(target)
        })();
        self.reply_entry(made, reply, "link", newname);
    }

    fn open(&self, req: &Request, ino: INodeNo, flags: FuseOpenFlags, reply: ReplyOpen) {
        let opened = self.location(ino).and_then(|location| {
            let caller = self.caller(req, location.clone());
            // The kernel truncated already (a setattr before this open) and handles
            // O_CREAT/O_EXCL itself.
            let flags = open_flags_of(flags.0)?
                - (OpenFlags::CREATE | OpenFlags::EXCLUSIVE | OpenFlags::TRUNCATE);
            block_on(self.namespace.open_node(&caller, location, flags))
        });
        match opened {
            Ok(handle) => reply.opened(self.add_open(ino.0, handle), self.fopen_flags()),
            Err(e) => reply.error(self.fail("open", ino.0, &e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FuseFh,
        offset: u64,
        size: u32,
        _flags: FuseOpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let read = self.open(fh).and_then(|open| {
            let _shared = open.gate.read();
            let mut buf = vec![0u8; size as usize];
            let mut filled = 0;
            // A backend may answer short only at end of file, but a short answer is
            // read on from rather than trusted, so the kernel never sees zeros
            // where data is.
            while filled < buf.len() {
                let n = block_on(
                    open.handle
                        .read_at(offset + filled as u64, &mut buf[filled..]),
                )?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            buf.truncate(filled);
            Ok(buf)
        });
        match read {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(self.fail("read", fh.0, &e)),
        }
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FuseFh,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: FuseOpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        // At the kernel's offset even for O_APPEND: the kernel refreshed the size and
        // placed the write at the end itself, and its page cache holds the data there.
        let written = self.open(fh).and_then(|open| {
            let _shared = open.gate.read();
            let mut done = 0;
            while done < data.len() {
                let n = block_on(open.handle.write_at(offset + done as u64, &data[done..]))?;
                if n == 0 {
                    return Err(Errno::EIO.with("backend wrote nothing"));
                }
                done += n;
            }
            Ok(done)
        });
        match written {
            Ok(n) => reply.written(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(e) => reply.error(self.fail("write", fh.0, &e)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FuseFh,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // Each close(2) of a descriptor: push what this open buffered, so its errors
        // reach close() and the next open anywhere sees the data (close-to-open).
        // `FileHandle` offers no flush without closing, so a writable handle is
        // made durable with a data fsync, which is what an NFS close does too.
        let flushed = self.open(fh).and_then(|open| {
            if open.handle.flags().writable() {
                block_on(open.handle.fsync(true))
            } else {
                Ok(())
            }
        });
        match flushed {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("flush", fh.0, &e)),
        }
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FuseFh,
        _flags: FuseOpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        match self.take_open(fh) {
            Some(open) => match block_on(open.handle.close()) {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(self.fail("release", fh.0, &e)),
            },
            None => reply.ok(),
        }
    }

    fn fsync(&self, _req: &Request, _ino: INodeNo, fh: FuseFh, datasync: bool, reply: ReplyEmpty) {
        match self
            .open(fh)
            .and_then(|open| block_on(open.handle.fsync(datasync)))
        {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("fsync", fh.0, &e)),
        }
    }

    fn opendir(&self, req: &Request, ino: INodeNo, flags: FuseOpenFlags, reply: ReplyOpen) {
        let opened = self.location(ino).and_then(|location| {
            let caller = self.caller(req, location.clone());
            let flags = (open_flags_of(flags.0)? & (OpenFlags::READ | OpenFlags::NONBLOCK))
                | OpenFlags::READ
                | OpenFlags::DIRECTORY;
            block_on(self.namespace.open_node(&caller, location, flags))
        });
        match opened {
            Ok(handle) => reply.opened(self.add_open(ino.0, handle), FopenFlags::empty()),
            Err(e) => reply.error(self.fail("opendir", ino.0, &e)),
        }
    }

    fn readdir(
        &self,
        req: &Request,
        ino: INodeNo,
        fh: FuseFh,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        match self.do_readdir(req, ino, fh, offset, &mut reply) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("readdir", ino.0, &e)),
        }
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FuseFh,
        _flags: FuseOpenFlags,
        reply: ReplyEmpty,
    ) {
        if let Some(open) = self.take_open(fh) {
            let _ = block_on(open.handle.close());
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FuseFh,
        datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self
            .open(fh)
            .and_then(|open| block_on(open.handle.fsync(datasync)))
        {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("fsyncdir", fh.0, &e)),
        }
    }

    fn statfs(&self, _req: &Request, ino: INodeNo, reply: ReplyStatfs) {
        let stat = self
            .location(ino)
            .and_then(|location| block_on(location.mount().filesystem().statfs()));
        match stat {
            Ok(s) => reply.statfs(
                s.blocks,
                s.blocks_free,
                s.blocks_available,
                s.files,
                s.files_free,
                s.block_size.max(1),
                if s.name_max == 0 { 255 } else { s.name_max },
                s.block_size.max(1),
            ),
            // A backend without figures: zeros, as FUSE's own default.
            Err(e) if e.errno() == Errno::ENOSYS => reply.statfs(0, 0, 0, 0, 0, 4096, 255, 4096),
            Err(e) => reply.error(self.fail("statfs", ino.0, &e)),
        }
    }

    fn access(&self, req: &Request, ino: INodeNo, mask: AccessFlags, reply: ReplyEmpty) {
        match self.do_access(ino, mask, req) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(self.fail("access", ino.0, &e)),
        }
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let created = (|| {
            let dir = self.location(parent)?;
            let caller = self.caller(req, dir);
            let flags = open_flags_of(flags)? | OpenFlags::CREATE;
            let handle = block_on(self.namespace.open(
                &caller,
                entry_name(name)?,
                flags,
                mode & 0o7777 & !umask,
            ))?;
            match block_on(handle.getattr()) {
                Ok(attr) => Ok((handle, attr)),
                Err(e) => {
                    let _ = block_on(handle.close());
                    Err(e)
                }
            }
        })();
        match created {
            Ok((handle, attr)) => {
                let id = self.inodes.lock().remember(handle.location());
                let fh = self.add_open(id, handle);
                reply.created(
                    &self.options.entry_ttl,
                    &self.attr_of(id, &attr),
                    Generation(0),
                    fh,
                    self.fopen_flags(),
                );
            }
            Err(e) => reply.error(self.fail("create", shown(name), &e)),
        }
    }
}

impl VfsFuse {
    /// The open flags of every file open: the page cache stays on (so `mmap` works
    /// and reads are cached while open); kept across opens only when asked.
    fn fopen_flags(&self) -> FopenFlags {
        if self.options.keep_cache {
            FopenFlags::FOPEN_KEEP_CACHE
        } else {
            FopenFlags::empty()
        }
    }

    /// Answers a call that names an entry (a lookup, or a call that made it):
    /// with the entry, or with the error that stopped it, logged as `op` on
    /// `name`.
    fn reply_entry(&self, found: Result<Location>, reply: ReplyEntry, op: &str, name: &OsStr) {
        match found {
            Ok(location) => {
                let _ = self.reply_entry_or_error(&location, reply);
            }
            Err(e) => reply.error(self.fail(op, shown(name), &e)),
        }
    }

    /// Answers with the entry of `location`, or with the error getting its
    /// attributes gave.
    fn reply_entry_or_error(&self, location: &Location, reply: ReplyEntry) -> Result<()> {
        match block_on(vfs_core::attributes(&**location.vnode())) {
            Ok(attr) => {
                let id = self.inodes.lock().remember(location);
                reply.entry_with_ttls(
                    &self.options.attr_ttl,
                    &self.options.entry_ttl,
                    &self.attr_of(id, &attr),
                    Generation(0),
                );
                Ok(())
            }
            Err(e) => {
                reply.error(self.fail("entry", location.vnode().ino(), &e));
                Err(e)
            }
        }
    }
}
