//! The oracle: the same calls made on a host directory through the Linux kernel.

use crate::target::{Entry, MountControl, ScratchMount, Target, TargetFile};
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use vfs_core::{
    AccessMask, Attr, Capabilities, Credentials, Errno, Error, FileType, FsStat, OpenFlags, Result,
    SetTime, Timespec,
};

/// Runs the suite's calls as system calls on a temporary host directory.
///
/// Creating it sets the process umask to 0 so modes are exactly those asked for.
/// When the process may mount (root, not confined), it also offers mount control
/// through tmpfs mounts, so the namespace cases have the kernel as oracle too.
pub struct KernelTarget {
    base: tempfile::TempDir,
    can_mount: bool,
}

impl KernelTarget {
    /// A target on a fresh temporary directory (honouring `TMPDIR`).
    pub fn new() -> std::io::Result<KernelTarget> {
        // SAFETY: umask only changes the process's file-creation mask.
        unsafe { libc::umask(0) };
        let base = tempfile::Builder::new()
            .prefix("vfs-conformance-")
            .tempdir()?;
        let probe = base.path().join(".mount-probe");
        std::fs::create_dir(&probe)?;
        let probe = probe.as_os_str().as_bytes().to_vec();
        let can_mount =
            mount_tmpfs(&probe, ScratchMount::default()).is_ok() && unmount_path(&probe).is_ok();
        let _ = std::fs::remove_dir(base.path().join(".mount-probe"));
        // Searchable by everyone, so the `permission` cases' ordinary user reaches
        // the scratch directories, as it reaches a namespace target's.
        std::fs::set_permissions(
            base.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )?;
        Ok(KernelTarget { base, can_mount })
    }
}

fn cpath(path: &[u8]) -> Result<CString> {
    CString::new(path).map_err(|_| Errno::EINVAL.with("path contains a NUL byte"))
}

fn last_error() -> Error {
    Error::from(
        Errno::from_raw(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        )
        .unwrap_or(Errno::EIO),
    )
}

fn check(ret: libc::c_int) -> Result<()> {
    if ret < 0 {
        Err(last_error())
    } else {
        Ok(())
    }
}

fn check_size(ret: isize) -> Result<usize> {
    if ret < 0 {
        Err(last_error())
    } else {
        Ok(ret as usize)
    }
}

fn open_flags(flags: OpenFlags) -> libc::c_int {
    let mut out = match (flags.readable(), flags.writable()) {
        (true, true) => libc::O_RDWR,
        (false, true) => libc::O_WRONLY,
        _ => libc::O_RDONLY,
    };
    for (ours, theirs) in [
        (OpenFlags::CREATE, libc::O_CREAT),
        (OpenFlags::EXCLUSIVE, libc::O_EXCL),
        (OpenFlags::TRUNCATE, libc::O_TRUNC),
        (OpenFlags::APPEND, libc::O_APPEND),
        (OpenFlags::DIRECTORY, libc::O_DIRECTORY),
        (OpenFlags::NOFOLLOW, libc::O_NOFOLLOW),
        (OpenFlags::CLOEXEC, libc::O_CLOEXEC),
        (OpenFlags::SYNC, libc::O_SYNC),
        (OpenFlags::DSYNC, libc::O_DSYNC),
        (OpenFlags::NONBLOCK, libc::O_NONBLOCK),
        (OpenFlags::NOATIME, libc::O_NOATIME),
    ] {
        if flags.contains(ours) {
            out |= theirs;
        }
    }
    out | libc::O_CLOEXEC
}

fn timespec(sec: i64, nsec: i64) -> Timespec {
    Timespec::new(sec, nsec as u32)
}

// `st_nlink` and friends differ in width between architectures.
#[allow(clippy::unnecessary_cast)]
fn attr_of(st: &libc::stat) -> Attr {
    Attr {
        file_type: FileType::from_mode(st.st_mode).unwrap_or(FileType::Regular),
        mode: st.st_mode & 0o7777,
        nlink: st.st_nlink as u64,
        uid: st.st_uid,
        gid: st.st_gid,
        size: st.st_size as u64,
        blocks: st.st_blocks as u64,
        blksize: st.st_blksize as u32,
        ino: st.st_ino,
        rdev: st.st_rdev,
        atime: timespec(st.st_atime, st.st_atime_nsec),
        mtime: timespec(st.st_mtime, st.st_mtime_nsec),
        ctime: timespec(st.st_ctime, st.st_ctime_nsec),
    }
}

fn stat_with(path: &[u8], follow: bool) -> Result<Attr> {
    let c = cpath(path)?;
    // SAFETY: `c` is a valid C string and `st` a properly sized out-buffer.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        check(libc::fstatat(libc::AT_FDCWD, c.as_ptr(), &mut st, flags))?;
        Ok(attr_of(&st))
    }
}

fn file_type_of_dirent(d_type: u8) -> Option<FileType> {
    Some(match d_type {
        libc::DT_REG => FileType::Regular,
        libc::DT_DIR => FileType::Directory,
        libc::DT_LNK => FileType::Symlink,
        libc::DT_FIFO => FileType::Fifo,
        libc::DT_SOCK => FileType::Socket,
        libc::DT_CHR => FileType::CharDevice,
        libc::DT_BLK => FileType::BlockDevice,
        _ => return None,
    })
}

/// Lists the directory open as `fd` (consumed).
fn list_fd(fd: libc::c_int, path_for_fallback: Option<&[u8]>) -> Result<Vec<Entry>> {
    // SAFETY: `fd` is an open directory descriptor handed over to the DIR stream,
    // which closedir closes; entries are read before the next readdir call.
    unsafe {
        let dir = libc::fdopendir(fd);
        if dir.is_null() {
            let error = last_error();
            libc::close(fd);
            return Err(error);
        }
        let mut entries = Vec::new();
        loop {
            *libc::__errno_location() = 0;
            let ent = libc::readdir64(dir);
            if ent.is_null() {
                let errno = *libc::__errno_location();
                libc::closedir(dir);
                if errno != 0 {
                    return Err(Errno::from_raw(errno).unwrap_or(Errno::EIO).into());
                }
                break;
            }
            let name = CStr::from_ptr((*ent).d_name.as_ptr()).to_bytes().to_vec();
            if name == b"." || name == b".." {
                continue;
            }
            let file_type = match (file_type_of_dirent((*ent).d_type), path_for_fallback) {
                (Some(t), _) => t,
                (None, Some(dir_path)) => {
                    let mut child = dir_path.to_vec();
                    child.push(b'/');
                    child.extend_from_slice(&name);
                    stat_with(&child, false)?.file_type
                }
                (None, None) => FileType::Regular,
            };
            entries.push(Entry {
                name,
                file_type,
                ino: (*ent).d_ino,
            });
        }
        Ok(entries)
    }
}

fn mount_tmpfs(path: &[u8], options: ScratchMount) -> Result<()> {
    let target = cpath(path)?;
    let mut data = String::from("mode=0755");
    if let Some(limit) = options.size_limit {
        data.push_str(&format!(",size={limit}"));
    }
    let data = CString::new(data).map_err(|_| Errno::EINVAL)?;
    let flags = if options.read_only {
        libc::MS_RDONLY
    } else {
        0
    };
    // SAFETY: every pointer is a valid C string that outlives the call.
    check(unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            flags,
            data.as_ptr().cast(),
        )
    })
}

fn unmount_path(path: &[u8]) -> Result<()> {
    let target = cpath(path)?;
    // SAFETY: `target` is a valid C string.
    check(unsafe { libc::umount2(target.as_ptr(), 0) })
}

impl Target for KernelTarget {
    fn describe(&self) -> String {
        format!("kernel: {}", self.base.path().display())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::POSIX
    }

    fn scratch_dir(&self, case: &str) -> Result<String> {
        let dir = self.base.path().join(case);
        let path = dir.as_os_str().as_bytes();
        self.mkdir(path, 0o755)?;
        Ok(dir.to_string_lossy().into_owned())
    }

    fn mounts(&self) -> Option<&dyn MountControl> {
        self.can_mount.then_some(self as &dyn MountControl)
    }

    fn as_user(&self, creds: &Credentials) -> Option<Box<dyn Target + '_>> {
        // Only root can become another user.
        // SAFETY: a plain getter.
        (unsafe { libc::geteuid() } == 0).then(|| {
            Box::new(KernelUser {
                kernel: self,
                creds: creds.clone(),
            }) as Box<dyn Target>
        })
    }

    fn open(&self, path: &[u8], flags: OpenFlags, mode: u32) -> Result<Box<dyn TargetFile>> {
        let c = cpath(path)?;
        // SAFETY: `c` is a valid C string.
        let fd = unsafe { libc::open(c.as_ptr(), open_flags(flags), mode as libc::c_uint) };
        check(fd)?;
        Ok(Box::new(KernelFile {
            fd,
            path: path.to_vec(),
        }))
    }

    fn stat(&self, path: &[u8]) -> Result<Attr> {
        stat_with(path, true)
    }

    fn lstat(&self, path: &[u8]) -> Result<Attr> {
        stat_with(path, false)
    }

    fn mkdir(&self, path: &[u8], mode: u32) -> Result<()> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        check(unsafe { libc::mkdir(c.as_ptr(), mode) })
    }

    fn rmdir(&self, path: &[u8]) -> Result<()> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        check(unsafe { libc::rmdir(c.as_ptr()) })
    }

    fn unlink(&self, path: &[u8]) -> Result<()> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        check(unsafe { libc::unlink(c.as_ptr()) })
    }

    fn rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        let (o, n) = (cpath(old)?, cpath(new)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::rename(o.as_ptr(), n.as_ptr()) })
    }

    fn link(&self, old: &[u8], new: &[u8]) -> Result<()> {
        let (o, n) = (cpath(old)?, cpath(new)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::link(o.as_ptr(), n.as_ptr()) })
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<()> {
        let (t, p) = (cpath(target)?, cpath(path)?);
        // SAFETY: valid C strings.
        check(unsafe { libc::symlink(t.as_ptr(), p.as_ptr()) })
    }

    fn mknod(&self, path: &[u8], mode: u32, rdev: u64) -> Result<()> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        check(unsafe { libc::mknod(c.as_ptr(), mode, rdev) })
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>> {
        let c = cpath(path)?;
        let mut buf = vec![0u8; libc::PATH_MAX as usize + 1];
        // SAFETY: `buf` is writable for its whole length.
        let n =
            check_size(unsafe { libc::readlink(c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) })?;
        buf.truncate(n);
        Ok(buf)
    }

    fn truncate(&self, path: &[u8], length: u64) -> Result<()> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        check(unsafe { libc::truncate(c.as_ptr(), length as libc::off_t) })
    }

    fn chmod(&self, path: &[u8], mode: u32) -> Result<()> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        check(unsafe { libc::chmod(c.as_ptr(), mode) })
    }

    fn chown(&self, path: &[u8], uid: Option<u32>, gid: Option<u32>, follow: bool) -> Result<()> {
        let c = cpath(path)?;
        let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: valid C string; -1 (u32::MAX) leaves an id unchanged.
        check(unsafe {
            libc::fchownat(
                libc::AT_FDCWD,
                c.as_ptr(),
                uid.unwrap_or(u32::MAX),
                gid.unwrap_or(u32::MAX),
                flags,
            )
        })
    }

    fn utimens(
        &self,
        path: &[u8],
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> Result<()> {
        let c = cpath(path)?;
        let convert = |time: Option<SetTime>| match time {
            None => libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_OMIT,
            },
            Some(SetTime::Now) => libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_NOW,
            },
            Some(SetTime::At(t)) => libc::timespec {
                tv_sec: t.sec,
                tv_nsec: t.nsec as i64,
            },
        };
        let times = [convert(atime), convert(mtime)];
        let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: valid C string and a two-element timespec array.
        check(unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), flags) })
    }

    fn read_dir(&self, path: &[u8]) -> Result<Vec<Entry>> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        check(fd)?;
        list_fd(fd, Some(path))
    }

    fn statfs(&self, path: &[u8]) -> Result<FsStat> {
        let c = cpath(path)?;
        // SAFETY: valid C string and a properly sized out-buffer.
        unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            check(libc::statvfs(c.as_ptr(), &mut st))?;
            Ok(FsStat {
                block_size: st.f_frsize as u32,
                blocks: st.f_blocks,
                blocks_free: st.f_bfree,
                blocks_available: st.f_bavail,
                files: st.f_files,
                files_free: st.f_ffree,
                name_max: st.f_namemax as u32,
            })
        }
    }

    fn access(&self, path: &[u8], mask: AccessMask) -> Result<()> {
        let c = cpath(path)?;
        // SAFETY: valid C string.
        check(unsafe { libc::access(c.as_ptr(), mask.bits() as libc::c_int) })
    }
}

impl MountControl for KernelTarget {
    fn mount_scratch(&self, path: &[u8], options: ScratchMount) -> Result<()> {
        mount_tmpfs(path, options)
    }

    fn unmount(&self, path: &[u8]) -> Result<()> {
        unmount_path(path)
    }

    /// `mount -o remount,ro` of the tmpfs on `path`.
    fn remount_read_only(&self, path: &[u8]) -> Result<()> {
        let target = cpath(path)?;
        // SAFETY: `target` is a valid C string; the other pointers may be null for
        // a remount.
        check(unsafe {
            libc::mount(
                std::ptr::null(),
                target.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT | libc::MS_RDONLY,
                std::ptr::null(),
            )
        })
    }
}

/// An open host file descriptor.
struct KernelFile {
    fd: libc::c_int,
    path: Vec<u8>,
}

impl TargetFile for KernelFile {
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize> {
        // SAFETY: `buf` is writable for its length.
        check_size(unsafe {
            libc::pread(
                self.fd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                offset as libc::off_t,
            )
        })
    }

    fn pwrite(&mut self, data: &[u8], offset: u64) -> Result<usize> {
        // SAFETY: `data` is readable for its length.
        check_size(unsafe {
            libc::pwrite(
                self.fd,
                data.as_ptr().cast(),
                data.len(),
                offset as libc::off_t,
            )
        })
    }

    fn append(&mut self, data: &[u8]) -> Result<usize> {
        // SAFETY: `data` is readable for its length.
        check_size(unsafe { libc::write(self.fd, data.as_ptr().cast(), data.len()) })
    }

    fn ftruncate(&mut self, length: u64) -> Result<()> {
        // SAFETY: plain syscall on an owned descriptor.
        check(unsafe { libc::ftruncate(self.fd, length as libc::off_t) })
    }

    fn fstat(&mut self) -> Result<Attr> {
        // SAFETY: properly sized out-buffer.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            check(libc::fstat(self.fd, &mut st))?;
            Ok(attr_of(&st))
        }
    }

    fn fsync(&mut self) -> Result<()> {
        // SAFETY: plain syscall on an owned descriptor.
        check(unsafe { libc::fsync(self.fd) })
    }

    fn read_dir(&mut self) -> Result<Vec<Entry>> {
        // SAFETY: dup gives the DIR stream its own descriptor; seeking it to 0 lists
        // from the start.
        let fd = unsafe { libc::dup(self.fd) };
        check(fd)?;
        // SAFETY: `fd` is ours.
        unsafe { libc::lseek(fd, 0, libc::SEEK_SET) };
        list_fd(fd, Some(&self.path))
    }

    fn close(mut self: Box<Self>) -> Result<()> {
        let fd = std::mem::replace(&mut self.fd, -1);
        // SAFETY: the descriptor is owned and closed once (Drop skips -1).
        check(unsafe { libc::close(fd) })
    }
}

impl Drop for KernelFile {
    fn drop(&mut self) {
        if self.fd >= 0 {
            // SAFETY: the descriptor is owned and not yet closed.
            unsafe { libc::close(self.fd) };
        }
    }
}

/// Runs `call` on a thread of its own whose credentials are `creds`. Linux keeps
/// credentials per thread; the raw system calls change only the calling thread's
/// (glibc's wrappers would change every thread of the process), and the thread
/// ends with the call.
fn as_creds<R: Send>(creds: &Credentials, call: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let groups: Vec<libc::gid_t> = creds.groups().to_vec();
                // SAFETY: per-thread credential changes; `groups` outlives the call.
                let dropped = unsafe {
                    libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) == 0
                        && libc::syscall(libc::SYS_setresgid, creds.gid, creds.gid, creds.gid) == 0
                        && libc::syscall(libc::SYS_setresuid, creds.uid, creds.uid, creds.uid) == 0
                };
                assert!(dropped, "cannot become uid {}", creds.uid);
                call()
            })
            .join()
            .expect("a call as another user panicked")
    })
}

/// The kernel target driven by another user (see [`Target::as_user`]).
struct KernelUser<'a> {
    kernel: &'a KernelTarget,
    creds: Credentials,
}

/// A file opened by a [`KernelUser`]: its calls are that user's too.
struct KernelUserFile {
    file: Box<dyn TargetFile>,
    creds: Credentials,
}

impl Target for KernelUser<'_> {
    fn describe(&self) -> String {
        format!("{} as uid {}", self.kernel.describe(), self.creds.uid)
    }

    fn capabilities(&self) -> Capabilities {
        self.kernel.capabilities()
    }

    fn scratch_dir(&self, case: &str) -> Result<String> {
        as_creds(&self.creds, || self.kernel.scratch_dir(case))
    }

    fn mounts(&self) -> Option<&dyn MountControl> {
        None
    }

    fn open(&self, path: &[u8], flags: OpenFlags, mode: u32) -> Result<Box<dyn TargetFile>> {
        let file = as_creds(&self.creds, || self.kernel.open(path, flags, mode))?;
        Ok(Box::new(KernelUserFile {
            file,
            creds: self.creds.clone(),
        }))
    }

    fn stat(&self, path: &[u8]) -> Result<Attr> {
        as_creds(&self.creds, || self.kernel.stat(path))
    }

    fn lstat(&self, path: &[u8]) -> Result<Attr> {
        as_creds(&self.creds, || self.kernel.lstat(path))
    }

    fn mkdir(&self, path: &[u8], mode: u32) -> Result<()> {
        as_creds(&self.creds, || self.kernel.mkdir(path, mode))
    }

    fn rmdir(&self, path: &[u8]) -> Result<()> {
        as_creds(&self.creds, || self.kernel.rmdir(path))
    }

    fn unlink(&self, path: &[u8]) -> Result<()> {
        as_creds(&self.creds, || self.kernel.unlink(path))
    }

    fn rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        as_creds(&self.creds, || self.kernel.rename(old, new))
    }

    fn link(&self, old: &[u8], new: &[u8]) -> Result<()> {
        as_creds(&self.creds, || self.kernel.link(old, new))
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<()> {
        as_creds(&self.creds, || self.kernel.symlink(target, path))
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>> {
        as_creds(&self.creds, || self.kernel.readlink(path))
    }

    fn truncate(&self, path: &[u8], length: u64) -> Result<()> {
        as_creds(&self.creds, || self.kernel.truncate(path, length))
    }

    fn chmod(&self, path: &[u8], mode: u32) -> Result<()> {
        as_creds(&self.creds, || self.kernel.chmod(path, mode))
    }

    fn chown(&self, path: &[u8], uid: Option<u32>, gid: Option<u32>, follow: bool) -> Result<()> {
        as_creds(&self.creds, || self.kernel.chown(path, uid, gid, follow))
    }

    fn utimens(
        &self,
        path: &[u8],
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> Result<()> {
        as_creds(&self.creds, || {
            self.kernel.utimens(path, atime, mtime, follow)
        })
    }

    fn read_dir(&self, path: &[u8]) -> Result<Vec<Entry>> {
        as_creds(&self.creds, || self.kernel.read_dir(path))
    }

    fn statfs(&self, path: &[u8]) -> Result<FsStat> {
        as_creds(&self.creds, || self.kernel.statfs(path))
    }

    fn access(&self, path: &[u8], mask: AccessMask) -> Result<()> {
        as_creds(&self.creds, || self.kernel.access(path, mask))
    }
}

impl TargetFile for KernelUserFile {
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize> {
        as_creds(&self.creds, || self.file.pread(buf, offset))
    }

    fn pwrite(&mut self, data: &[u8], offset: u64) -> Result<usize> {
        as_creds(&self.creds, || self.file.pwrite(data, offset))
    }

    fn append(&mut self, data: &[u8]) -> Result<usize> {
        as_creds(&self.creds, || self.file.append(data))
    }

    fn ftruncate(&mut self, length: u64) -> Result<()> {
        as_creds(&self.creds, || self.file.ftruncate(length))
    }

    fn fstat(&mut self) -> Result<Attr> {
        as_creds(&self.creds, || self.file.fstat())
    }

    fn fsync(&mut self) -> Result<()> {
        as_creds(&self.creds, || self.file.fsync())
    }

    fn read_dir(&mut self) -> Result<Vec<Entry>> {
        as_creds(&self.creds, || self.file.read_dir())
    }

    fn close(self: Box<Self>) -> Result<()> {
        let KernelUserFile { file, creds } = *self;
        as_creds(&creds, move || file.close())
    }
}
