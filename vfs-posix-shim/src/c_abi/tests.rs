//! The ABI called from Rust, as C calls it. All tests share the one process
//! context, as the threads of a C program would: each works in a directory of
//! its own and uses absolute paths (one test changes the working directory).

use super::convert::*;
use super::descriptors::*;
use super::dir_streams::*;
use super::paths::*;
use super::process::*;
use super::*;
use std::ffi::CString;
use std::sync::Arc;
use vfs_core::{async_trait, BackendFactory, Capabilities, Filesystem, FsStat, Url, Vnode};
use vfs_ramfs::{RamFs, RamFsOptions};

fn errno() -> c_int {
    // SAFETY: the calling thread's errno, always valid.
    unsafe { *libc::__errno_location() }
}

fn clear_errno() {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = 0 };
}

fn c_string(bytes: impl Into<Vec<u8>>) -> CString {
    CString::new(bytes).expect("no NUL inside")
}

/// An empty directory `/c_abi/<name>` in the shared context.
fn scratch(name: &str) -> String {
    for dir in ["/c_abi".to_string(), format!("/c_abi/{name}")] {
        let made = unsafe { vfs_mkdir(c_string(dir.as_str()).as_ptr(), 0o755) };
        assert!(
            made == 0 || errno() == libc::EEXIST,
            "mkdir {dir}: {}",
            errno()
        );
    }
    format!("/c_abi/{name}")
}

/// Asserts that a call returned -1 with `expected` in errno.
#[track_caller]
fn assert_fails(result: i64, expected: c_int) {
    assert_eq!((result, errno()), (-1, expected));
}

/// Creates `path` with `content` and returns it open read-write.
fn create(path: &str, content: &[u8]) -> c_int {
    let path = c_string(path);
    let fd = unsafe { vfs_open(path.as_ptr(), libc::O_RDWR | libc::O_CREAT, 0o644) };
    assert!(fd >= 0, "create: errno {}", errno());
    let written = unsafe { vfs_write(fd, content.as_ptr().cast(), content.len()) };
    assert_eq!(written, content.len() as ssize_t);
    fd
}

fn stat(path: &str) -> libc::stat {
    let mut st: libc::stat = zeroed();
    assert_eq!(unsafe { vfs_stat(c_string(path).as_ptr(), &mut st) }, 0);
    st
}

fn lstat(path: &str) -> libc::stat {
    let mut st: libc::stat = zeroed();
    assert_eq!(unsafe { vfs_lstat(c_string(path).as_ptr(), &mut st) }, 0);
    st
}

#[test]
fn null_pointers_are_efault_and_never_crash() {
    let dir = c_string(scratch("null_pointers"));
    let null = ptr::null::<c_char>();
    let mut st: libc::stat = zeroed();
    unsafe {
        assert_fails(vfs_open(null, libc::O_RDONLY, 0).into(), libc::EFAULT);
        assert_fails(vfs_stat(null, &mut st).into(), libc::EFAULT);
        assert_fails(vfs_lstat(null, &mut st).into(), libc::EFAULT);
        assert_fails(vfs_stat(dir.as_ptr(), ptr::null_mut()).into(), libc::EFAULT);
        assert_fails(vfs_mkdir(null, 0o755).into(), libc::EFAULT);
        assert_fails(vfs_unlink(null).into(), libc::EFAULT);
        assert_fails(vfs_rename(null, dir.as_ptr()).into(), libc::EFAULT);
        assert_fails(vfs_rename(dir.as_ptr(), null).into(), libc::EFAULT);
        assert_fails(vfs_symlink(dir.as_ptr(), null).into(), libc::EFAULT);
        assert_fails(vfs_chdir(null).into(), libc::EFAULT);
        assert_fails(vfs_mount(null, null, 0).into(), libc::EFAULT);
        assert_fails(vfs_init(null).into(), libc::EFAULT);
        assert_fails(
            vfs_statvfs(dir.as_ptr(), ptr::null_mut()).into(),
            libc::EFAULT,
        );
        assert!(vfs_opendir(null).is_null());
        assert_eq!(errno(), libc::EFAULT);
        assert!(vfs_readdir(ptr::null_mut()).is_null());
        assert_eq!(errno(), libc::EBADF);
        assert_fails(vfs_closedir(ptr::null_mut()).into(), libc::EBADF);
        assert_fails(vfs_dirfd(ptr::null_mut()).into(), libc::EINVAL);
        // A NULL path to utimensat is EINVAL, as glibc's wrapper makes it.
        assert_fails(
            vfs_utimensat(libc::AT_FDCWD, null, ptr::null(), 0).into(),
            libc::EINVAL,
        );
    }
}

/// Calls on the kernel and on the shim, side by side: a file holding "hello",
/// open read-write in both.
struct Twin {
    kernel_fd: c_int,
    shim_fd: c_int,
    _kernel_dir: tempfile::TempDir,
}

impl Twin {
    fn new(name: &str) -> Twin {
        let kernel_dir = tempfile::tempdir().expect("tempdir");
        let kernel_path = c_string(
            kernel_dir
                .path()
                .join("f")
                .into_os_string()
                .into_encoded_bytes(),
        );
        let kernel_fd =
            unsafe { libc::open(kernel_path.as_ptr(), libc::O_RDWR | libc::O_CREAT, 0o644) };
        assert!(kernel_fd >= 0);
        assert_eq!(
            unsafe { libc::write(kernel_fd, b"hello".as_ptr().cast(), 5) },
            5
        );
        let shim_fd = create(&format!("{}/f", scratch(name)), b"hello");
        Twin {
            kernel_fd,
            shim_fd,
            _kernel_dir: kernel_dir,
        }
    }

    /// Asserts that `kernel` and `shim`, given each side's descriptor, return the
    /// same value and, when they fail, the same errno.
    #[track_caller]
    fn compare(&self, call: &str, kernel: impl Fn(c_int) -> i64, shim: impl Fn(c_int) -> i64) {
        let outcome = |run: &dyn Fn(c_int) -> i64, fd| {
            clear_errno();
            let result = run(fd);
            (result, if result == -1 { errno() } else { 0 })
        };
        assert_eq!(
            outcome(&shim, self.shim_fd),
            outcome(&kernel, self.kernel_fd),
            "{call}: (shim, kernel) as (result, errno)"
        );
    }
}

impl Drop for Twin {
    fn drop(&mut self) {
        unsafe { libc::close(self.kernel_fd) };
        vfs_close(self.shim_fd);
    }
}

/// Runs the libc function and the shim's with the same arguments (in which `fd`
/// is each side's descriptor) and compares results and errnos.
macro_rules! assert_same_as_kernel {
    ($twin:expr, $kernel:path, $shim:path, |$fd:ident| ($($arg:expr),*)) => {{
        // Arguments may leave the descriptor out (a bad literal one instead), and
        // some shim functions are safe.
        #[allow(unused_variables, unused_unsafe)]
        let (kernel, shim) = (
            |$fd: c_int| unsafe { $kernel($($arg),*) } as i64,
            |$fd: c_int| unsafe { $shim($($arg),*) } as i64,
        );
        $twin.compare(stringify!($kernel($($arg),*)), kernel, shim)
    }};
}

#[test]
fn descriptor_calls_fail_as_the_kernel_does() {
    let twin = Twin::new("same_as_kernel");
    let null = ptr::null_mut::<c_void>();
    let mut buf = [0u8; 8];
    let buf = buf.as_mut_ptr().cast::<c_void>();
    let omit = libc::timespec {
        tv_sec: 0,
        tv_nsec: libc::UTIME_OMIT,
    };
    let omit_both = [omit, omit];
    let bad_nsec = [
        libc::timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000_000,
        },
        omit,
    ];
    let mut unlock: libc::flock = unsafe { std::mem::zeroed() };
    unlock.l_type = libc::F_UNLCK as _;
    let unlock: *mut libc::flock = &mut unlock;
    let mut bad_type = unsafe { *unlock };
    bad_type.l_type = 7;
    let bad_type: *mut libc::flock = &mut bad_type;
    let no_lock = ptr::null_mut::<libc::flock>();
    let t = &twin;

    assert_same_as_kernel!(t, libc::read, vfs_read, |fd| (-1, null, 10));
    assert_same_as_kernel!(t, libc::read, vfs_read, |fd| (fd, null, 0));
    assert_same_as_kernel!(t, libc::write, vfs_write, |fd| (fd, null, 0));
    assert_same_as_kernel!(t, libc::write, vfs_write, |fd| (fd, null, 10));
    assert_same_as_kernel!(t, libc::pread, vfs_pread, |fd| (-1, buf, 1, -1));
    assert_same_as_kernel!(t, libc::pread, vfs_pread, |fd| (fd, buf, 8, 1));
    assert_same_as_kernel!(t, libc::pwrite, vfs_pwrite, |fd| (-1, null, 1, -1));
    assert_same_as_kernel!(t, libc::ftruncate, vfs_ftruncate, |fd| (-1, -1));
    assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (-1, 0, 42));
    assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, 0, 42));
    assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, -1, libc::SEEK_SET));
    assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, -6, libc::SEEK_END));
    assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (
        fd,
        i64::MAX,
        libc::SEEK_END
    ));
    assert_same_as_kernel!(t, libc::lseek, vfs_lseek, |fd| (fd, 2, libc::SEEK_END));
    assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (fd, ptr::null(), -1));
    assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (-1, ptr::null(), -1));
    assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (fd, ptr::null(), 1025));
    assert_same_as_kernel!(t, libc::readv, vfs_readv, |fd| (fd, ptr::null(), 1));
    assert_same_as_kernel!(t, libc::writev, vfs_writev, |fd| (fd, ptr::null(), 0));
    assert_same_as_kernel!(t, libc::fstat, vfs_fstat, |fd| (-1, ptr::null_mut()));
    assert_same_as_kernel!(t, libc::fstat, vfs_fstat, |fd| (fd, ptr::null_mut()));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (fd, 9999, 0));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (-1, 9999, 0));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (-1, libc::F_DUPFD, -5));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (fd, libc::F_DUPFD, -5));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_int, |fd| (fd, libc::F_GETFD, 0));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
        fd,
        libc::F_GETLK,
        no_lock
    ));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
        -1,
        libc::F_SETLK,
        no_lock
    ));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
        fd,
        libc::F_GETLK,
        unlock
    ));
    assert_same_as_kernel!(t, libc::fcntl, vfs_fcntl_lock, |fd| (
        fd,
        libc::F_SETLK,
        bad_type
    ));
    assert_same_as_kernel!(t, libc::flock, vfs_flock, |fd| (-1, 77));
    assert_same_as_kernel!(t, libc::flock, vfs_flock, |fd| (-1, libc::LOCK_SH));
    assert_same_as_kernel!(t, libc::flock, vfs_flock, |fd| (
        fd,
        libc::LOCK_SH | libc::LOCK_EX
    ));
    assert_same_as_kernel!(t, libc::dup2, vfs_dup2, |fd| (fd, -1));
    assert_same_as_kernel!(t, libc::dup, vfs_dup, |fd| (-1));
    assert_same_as_kernel!(t, libc::fchmod, vfs_fchmod, |fd| (-1, 0o644));
    assert_same_as_kernel!(t, libc::fsync, vfs_fsync, |fd| (-1));
    assert_same_as_kernel!(t, libc::futimens, vfs_futimens, |fd| (
        -1,
        omit_both.as_ptr()
    ));
    assert_same_as_kernel!(t, libc::futimens, vfs_futimens, |fd| (-1, ptr::null()));
    assert_same_as_kernel!(t, libc::futimens, vfs_futimens, |fd| (
        fd,
        bad_nsec.as_ptr()
    ));
    assert_same_as_kernel!(t, libc::close, vfs_close, |fd| (-1));
}

#[test]
fn f_getfl_reports_what_the_kernel_does() {
    let kernel_dir = tempfile::tempdir().expect("tempdir");
    let shim_dir = scratch("f_getfl");
    let cases = [
        ("f", libc::O_RDONLY | libc::O_CREAT),
        ("f", libc::O_WRONLY),
        ("f", libc::O_RDWR | libc::O_APPEND | libc::O_CLOEXEC),
        (
            "h",
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_TRUNC,
        ),
        ("g", libc::O_WRONLY | libc::O_CREAT | libc::O_SYNC),
        (
            "g",
            libc::O_RDONLY | libc::O_DSYNC | libc::O_NONBLOCK | libc::O_NOFOLLOW,
        ),
        (".", libc::O_RDONLY | libc::O_DIRECTORY),
    ];
    for (name, flags) in cases {
        let kernel_path = c_string(
            kernel_dir
                .path()
                .join(name)
                .into_os_string()
                .into_encoded_bytes(),
        );
        let kernel_fd = unsafe { libc::open(kernel_path.as_ptr(), flags, 0o644) };
        let shim_fd = unsafe {
            vfs_open(
                c_string(format!("{shim_dir}/{name}")).as_ptr(),
                flags,
                0o644,
            )
        };
        assert!(kernel_fd >= 0 && shim_fd >= 0, "open {name} {flags:#o}");
        let get = |kernel_fd, shim_fd| unsafe {
            (
                libc::fcntl(kernel_fd, libc::F_GETFL),
                vfs_fcntl_int(shim_fd, libc::F_GETFL, 0),
            )
        };
        let (kernel, shim) = get(kernel_fd, shim_fd);
        assert_eq!(
            shim, kernel,
            "F_GETFL after open {flags:#o}: {shim:#o} vs {kernel:#o}"
        );
        let set = libc::O_RDWR | libc::O_APPEND | libc::O_NONBLOCK | libc::O_SYNC;
        unsafe {
            assert_eq!(libc::fcntl(kernel_fd, libc::F_SETFL, set), 0);
            assert_eq!(vfs_fcntl_int(shim_fd, libc::F_SETFL, set), 0);
        }
        let (kernel, shim) = get(kernel_fd, shim_fd);
        assert_eq!(
            shim, kernel,
            "F_GETFL after F_SETFL on {flags:#o}: {shim:#o} vs {kernel:#o}"
        );
        unsafe { libc::close(kernel_fd) };
        assert_eq!(vfs_close(shim_fd), 0);
    }
}

#[test]
fn open_refuses_what_it_cannot_do() {
    let dir = scratch("open_flags");
    let file = c_string(format!("{dir}/f"));
    unsafe {
        assert_fails(
            vfs_open(file.as_ptr(), libc::O_ACCMODE | libc::O_CREAT, 0o644).into(),
            libc::EINVAL,
        );
        assert_fails(
            vfs_open(
                c_string(dir.as_str()).as_ptr(),
                libc::O_TMPFILE | libc::O_RDWR,
                0o644,
            )
            .into(),
            libc::EOPNOTSUPP,
        );
        assert_fails(
            vfs_open(file.as_ptr(), libc::O_PATH, 0).into(),
            libc::EOPNOTSUPP,
        );
    }
}

#[test]
fn descriptor_flags_and_duplicates() {
    let fd = create(&format!("{}/f", scratch("fd_flags")), b"");
    assert_eq!(vfs_fcntl_int(fd, libc::F_GETFD, 0), 0);
    assert_eq!(vfs_fcntl_int(fd, libc::F_SETFD, libc::FD_CLOEXEC), 0);
    assert_eq!(vfs_fcntl_int(fd, libc::F_GETFD, 0), libc::FD_CLOEXEC);
    let above = vfs_fcntl_int(fd, libc::F_DUPFD_CLOEXEC, 100);
    assert!(above >= 100);
    assert_eq!(vfs_fcntl_int(above, libc::F_GETFD, 0), libc::FD_CLOEXEC);
    assert_fails(vfs_fcntl_int(fd, libc::F_GETLK, 0).into(), libc::EINVAL);
    assert_fails(
        unsafe { vfs_fcntl_lock(fd, libc::F_GETFD, ptr::null_mut()) }.into(),
        libc::EINVAL,
    );
    for closing in [above, fd] {
        assert_eq!(vfs_close(closing), 0);
    }
    assert_fails(vfs_close(fd).into(), libc::EBADF);
}

#[test]
fn io_through_buffers_and_iovecs() {
    let fd = create(&format!("{}/f", scratch("io")), b"");
    let parts: [&[u8]; 3] = [b"one ", b"", b"two"];
    let iov: Vec<libc::iovec> = parts
        .iter()
        .map(|part| libc::iovec {
            iov_base: part.as_ptr() as *mut c_void,
            iov_len: part.len(),
        })
        .collect();
    unsafe {
        assert_eq!(vfs_writev(fd, iov.as_ptr(), 3), 7);
        assert_eq!(vfs_lseek(fd, 0, libc::SEEK_SET), 0);
        let (mut first, mut second) = ([0u8; 2], [0u8; 10]);
        let iov = [
            libc::iovec {
                iov_base: first.as_mut_ptr().cast(),
                iov_len: 2,
            },
            libc::iovec {
                iov_base: ptr::null_mut(),
                iov_len: 0,
            },
            libc::iovec {
                iov_base: second.as_mut_ptr().cast(),
                iov_len: 10,
            },
        ];
        assert_eq!(vfs_readv(fd, iov.as_ptr(), 3), 7);
        assert_eq!((&first, &second[..5]), (b"on", &b"e two"[..]));
        assert_eq!(vfs_pwrite(fd, b"TWO".as_ptr().cast(), 3, 4), 3);
        let mut all = [0u8; 16];
        assert_eq!(vfs_pread(fd, all.as_mut_ptr().cast(), 16, 0), 7);
        assert_eq!(&all[..7], b"one TWO");
        assert_fails(
            vfs_read(fd, all.as_mut_ptr().cast(), usize::MAX) as i64,
            libc::EINVAL,
        );
        assert_eq!(vfs_ftruncate(fd, 3), 0);
        assert_eq!(vfs_lseek(fd, 0, libc::SEEK_END), 3);
    }
    assert_eq!(vfs_close(fd), 0);
}

#[test]
fn stat_fields_come_from_the_node_and_its_mount() {
    let dir = scratch("stat_fields");
    let file = format!("{dir}/f");
    let fd = create(&file, &[7u8; 5000]);
    let times = [
        libc::timespec {
            tv_sec: 1,
            tv_nsec: 5,
        },
        libc::timespec {
            tv_sec: 2,
            tv_nsec: 999_999_999,
        },
    ];
    assert_eq!(unsafe { vfs_futimens(fd, times.as_ptr()) }, 0);
    let mut by_fd: libc::stat = zeroed();
    assert_eq!(unsafe { vfs_fstat(fd, &mut by_fd) }, 0);
    let st = stat(&file);
    assert_eq!(
        (st.st_ino, st.st_size, st.st_dev),
        (by_fd.st_ino, 5000, by_fd.st_dev)
    );
    assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFREG);
    assert_eq!(st.st_nlink, 1);
    assert!(
        st.st_blksize > 0 && st.st_blocks >= 8,
        "{} {}",
        st.st_blksize,
        st.st_blocks
    );
    assert_eq!((st.st_atime, st.st_atime_nsec), (1, 5));
    assert_eq!((st.st_mtime, st.st_mtime_nsec), (2, 999_999_999));
    assert!(st.st_ctime > 2);

    // A file system mounted below has its own st_dev and f_fsid.
    let mount_point = format!("{dir}/mnt");
    unsafe {
        assert_eq!(vfs_mkdir(c_string(mount_point.as_str()).as_ptr(), 0o755), 0);
        let url = c_string("ram://");
        let flags = libc::MS_MGC_VAL | libc::MS_RDONLY | libc::MS_NOSUID;
        assert_eq!(
            vfs_mount(c_string(mount_point.as_str()).as_ptr(), url.as_ptr(), flags),
            0
        );
        assert_fails(
            vfs_mount(
                c_string(mount_point.as_str()).as_ptr(),
                url.as_ptr(),
                libc::MS_BIND,
            )
            .into(),
            libc::EINVAL,
        );
        assert_fails(
            vfs_mount(
                c_string(mount_point.as_str()).as_ptr(),
                c_string("nope://").as_ptr(),
                0,
            )
            .into(),
            libc::ENODEV,
        );
    }
    let mounted = stat(&mount_point);
    assert_ne!(mounted.st_dev, st.st_dev);
    let mut fs: libc::statvfs = zeroed();
    unsafe {
        assert_eq!(
            vfs_statvfs(c_string(mount_point.as_str()).as_ptr(), &mut fs),
            0
        );
        assert_eq!(fs.f_fsid, mounted.st_dev);
        assert_eq!(fs.f_flag & libc::ST_RDONLY, libc::ST_RDONLY);
        assert_eq!(fs.f_namemax, 255);
        assert_eq!(vfs_fstatvfs(fd, &mut fs), 0);
        assert_eq!(fs.f_flag & libc::ST_RDONLY, 0);
        assert_eq!(vfs_umount(c_string(mount_point.as_str()).as_ptr()), 0);
    }
    assert_eq!(vfs_close(fd), 0);
}

#[test]
fn utimensat_relative_to_a_directory_and_on_symlinks() {
    let dir = scratch("utimensat");
    let fd = create(&format!("{dir}/f"), b"");
    let link = format!("{dir}/link");
    unsafe {
        assert_eq!(
            vfs_symlink(c_string("f").as_ptr(), c_string(link.as_str()).as_ptr()),
            0
        );
    }
    let dir_fd = unsafe {
        vfs_open(
            c_string(dir.as_str()).as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY,
            0,
        )
    };
    assert!(dir_fd >= 0);
    let at = |sec| {
        [
            libc::timespec {
                tv_sec: sec,
                tv_nsec: 0,
            },
            libc::timespec {
                tv_sec: sec,
                tv_nsec: libc::UTIME_OMIT,
            },
        ]
    };
    let relative = c_string("f");
    unsafe {
        assert_eq!(
            vfs_utimensat(dir_fd, relative.as_ptr(), at(10).as_ptr(), 0),
            0
        );
        assert_eq!(stat(&format!("{dir}/f")).st_atime, 10);
        // Through the symlink, or on the symlink itself.
        let link_name = c_string("link");
        assert_eq!(
            vfs_utimensat(dir_fd, link_name.as_ptr(), at(20).as_ptr(), 0),
            0
        );
        assert_eq!(stat(&format!("{dir}/f")).st_atime, 20);
        assert_eq!(
            vfs_utimensat(
                dir_fd,
                link_name.as_ptr(),
                at(30).as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW
            ),
            0
        );
        assert_eq!((lstat(&link).st_atime, stat(&link).st_atime), (30, 20));
        assert_fails(
            vfs_utimensat(fd, relative.as_ptr(), ptr::null(), 0).into(),
            libc::ENOTDIR,
        );
        assert_fails(
            vfs_utimensat(-1, relative.as_ptr(), ptr::null(), 0).into(),
            libc::EBADF,
        );
        assert_fails(
            vfs_utimensat(dir_fd, relative.as_ptr(), ptr::null(), libc::AT_EMPTY_PATH).into(),
            libc::EINVAL,
        );
        // An absolute path ignores dirfd.
        let absolute = c_string(format!("{dir}/f"));
        assert_eq!(vfs_utimensat(-1, absolute.as_ptr(), at(40).as_ptr(), 0), 0);
        assert_eq!(stat(&format!("{dir}/f")).st_atime, 40);
    }
    for open in [dir_fd, fd] {
        assert_eq!(vfs_close(open), 0);
    }
}

#[test]
fn readlink_truncates_without_nul() {
    let dir = scratch("readlink");
    let link = c_string(format!("{dir}/link"));
    let mut buf = [b'#'; 8];
    unsafe {
        assert_eq!(
            vfs_symlink(c_string("target-of-link").as_ptr(), link.as_ptr()),
            0
        );
        assert_eq!(vfs_readlink(link.as_ptr(), buf.as_mut_ptr().cast(), 4), 4);
        assert_eq!(&buf, b"targ####");
        assert_fails(
            vfs_readlink(link.as_ptr(), buf.as_mut_ptr().cast(), 0) as i64,
            libc::EINVAL,
        );
        assert_fails(
            vfs_readlink(link.as_ptr(), ptr::null_mut(), 8) as i64,
            libc::EFAULT,
        );
        assert_fails(
            vfs_readlink(c_string(dir.as_str()).as_ptr(), buf.as_mut_ptr().cast(), 8) as i64,
            libc::EINVAL,
        );
    }
}

#[test]
fn readdir_lists_byte_names_and_ends_with_errno_untouched() {
    let dir = scratch("readdir");
    let names: [&[u8]; 3] = [b"plain", b"caf\xe9", b"\xff\xfe"];
    for name in names {
        let mut path = format!("{dir}/").into_bytes();
        path.extend_from_slice(name);
        let fd = unsafe {
            vfs_open(
                c_string(path).as_ptr(),
                libc::O_WRONLY | libc::O_CREAT,
                0o600,
            )
        };
        assert!(fd >= 0, "create {name:?}: errno {}", errno());
        assert_eq!(vfs_close(fd), 0);
    }
    let stream = unsafe { vfs_opendir(c_string(dir.as_str()).as_ptr()) };
    assert!(!stream.is_null());
    let list = || {
        let mut listed = Vec::new();
        clear_errno();
        loop {
            let entry = unsafe { vfs_readdir(stream) };
            let Some(entry) = (unsafe { entry.as_ref() }) else {
                break;
            };
            let name = unsafe { CStr::from_ptr(entry.d_name.as_ptr()) };
            listed.push((name.to_bytes().to_vec(), entry.d_type));
        }
        assert_eq!(errno(), 0, "the end of a listing leaves errno alone");
        listed.sort();
        listed
    };
    let mut expected: Vec<(Vec<u8>, u8)> = [&b"."[..], b".."]
        .iter()
        .map(|dots| (dots.to_vec(), libc::DT_DIR))
        .chain(names.iter().map(|name| (name.to_vec(), libc::DT_REG)))
        .collect();
    expected.sort();
    assert_eq!(list(), expected);
    assert_eq!(list(), vec![], "an ended stream stays ended");
    unsafe { vfs_rewinddir(stream) };
    assert_eq!(list(), expected);
    let fd = unsafe { vfs_dirfd(stream) };
    let mut st: libc::stat = zeroed();
    assert_eq!(unsafe { vfs_fstat(fd, &mut st) }, 0);
    assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFDIR);
    assert_eq!(unsafe { vfs_closedir(stream) }, 0);
    assert_fails(unsafe { vfs_fstat(fd, &mut st) }.into(), libc::EBADF);
}

#[test]
fn getcwd_follows_glibc() {
    let dir = scratch("getcwd");
    let mut buf = [0 as c_char; 64];
    unsafe {
        assert_eq!(vfs_chdir(c_string(dir.as_str()).as_ptr()), 0);
        let needed = dir.len() + 1;
        assert!(vfs_getcwd(buf.as_mut_ptr(), needed - 1).is_null());
        assert_eq!(errno(), libc::ERANGE);
        assert!(vfs_getcwd(buf.as_mut_ptr(), 0).is_null());
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(vfs_getcwd(buf.as_mut_ptr(), needed), buf.as_mut_ptr());
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_bytes(), dir.as_bytes());
        let allocated = vfs_getcwd(ptr::null_mut(), 0);
        assert_eq!(CStr::from_ptr(allocated).to_bytes(), dir.as_bytes());
        libc::free(allocated.cast());
        assert!(vfs_getcwd(ptr::null_mut(), 2).is_null());
        assert_eq!(errno(), libc::ERANGE);
        assert_eq!(vfs_chdir(c_string("/").as_ptr()), 0);
    }
}

#[test]
fn init_keeps_the_first_root() {
    unsafe {
        // Any test may have created the context first, always with ram://.
        assert_eq!(vfs_init(c_string("ram://").as_ptr()), 0);
        assert_fails(
            vfs_init(c_string("ram://?size=1m").as_ptr()).into(),
            libc::EBUSY,
        );
        assert_fails(
            vfs_init(c_string(&b"ram://\xff"[..]).as_ptr()).into(),
            libc::EINVAL,
        );
    }
    let previous = vfs_umask(0o027);
    assert_eq!(vfs_umask(previous), 0o027);
}

#[test]
fn access_checks_its_mode() {
    let dir = c_string(scratch("access"));
    unsafe {
        assert_eq!(vfs_access(dir.as_ptr(), libc::F_OK), 0);
        assert_eq!(
            vfs_access(dir.as_ptr(), libc::R_OK | libc::W_OK | libc::X_OK),
            0
        );
        assert_fails(vfs_access(dir.as_ptr(), 8).into(), libc::EINVAL);
        assert_fails(
            vfs_access(c_string("/c_abi/access/none").as_ptr(), libc::F_OK).into(),
            libc::ENOENT,
        );
    }
}

/// A ramfs whose `statfs` panics: a backend bug for the panic test.
struct PanickingStatfs(RamFs);

#[async_trait]
impl Filesystem for PanickingStatfs {
    fn root(&self) -> Arc<dyn Vnode> {
        self.0.root()
    }

    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }

    fn describe(&self) -> String {
        "panic://".to_string()
    }

    async fn statfs(&self) -> Result<FsStat> {
        panic!("statfs of a broken backend (this panic is expected by the test)")
    }
}

struct PanickingFactory;

#[async_trait]
impl BackendFactory for PanickingFactory {
    fn scheme(&self) -> &'static str {
        "panic"
    }

    fn usage(&self) -> &'static str {
        "panic://  a ramfs whose statfs panics"
    }

    async fn mount(&self, _url: &Url) -> Result<Arc<dyn Filesystem>> {
        Ok(Arc::new(PanickingStatfs(RamFs::new(
            RamFsOptions::default(),
        ))))
    }
}

#[test]
fn a_panic_in_a_backend_becomes_eio() {
    let context = context_with_root(DEFAULT_ROOT_URL).expect("context");
    context
        .process
        .vfs()
        .registry()
        .register(Arc::new(PanickingFactory));
    let mount_point = c_string(format!("{}/mnt", scratch("panic")));
    let mut fs: libc::statvfs = zeroed();
    unsafe {
        assert_eq!(vfs_mkdir(mount_point.as_ptr(), 0o755), 0);
        assert_eq!(
            vfs_mount(mount_point.as_ptr(), c_string("panic://").as_ptr(), 0),
            0
        );
        assert_fails(vfs_statvfs(mount_point.as_ptr(), &mut fs).into(), libc::EIO);
        // The context is still usable.
        let mut st: libc::stat = zeroed();
        assert_eq!(vfs_stat(mount_point.as_ptr(), &mut st), 0);
        assert_eq!(vfs_umount(mount_point.as_ptr()), 0);
    }
    assert_fails(
        guarded(|| -> Result<()> { panic!("expected by the test") }).into(),
        libc::EIO,
    );
}
