/*
 * vfs.h - the C ABI of vfs-posix-shim: POSIX file calls over the VFS namespace.
 *
 * Link with the crate's shared library (-lvfs_posix_shim), or with its static
 * library libvfs_posix_shim.a plus the system libraries Rust's standard library
 * needs (`rustc --print native-static-libs`; with glibc: -lgcc_s -lutil -lrt
 * -lpthread -lm -ldl -lc).
 *
 * Conventions, as libc's:
 *   - A call that fails returns -1 (NULL for pointer results) and sets the calling
 *     thread's errno to a Linux errno value; a call that succeeds leaves errno alone.
 *   - Flags, commands and structs are the platform's own: O_* from <fcntl.h>,
 *     struct stat, struct statvfs, struct flock, struct iovec, struct timespec,
 *     struct dirent, mode_t, off_t, ssize_t. Unknown O_* bits are ignored, as Linux
 *     ignores them.
 *   - Paths are NUL-terminated byte strings, not necessarily UTF-8. A NULL path is
 *     EFAULT, a NULL buffer or result pointer EFAULT too (where Linux would give
 *     it); a NULL pointer never crashes a call. Pointers to too little memory are
 *     undefined behaviour, as with libc.
 *   - A panic inside the library (a backend bug) never unwinds into C: the call
 *     fails with EIO (and Rust's panic hook prints the message on stderr).
 *
 * The context: all calls share one process-wide context (descriptor table, working
 * directory, umask, superuser credentials), safe to use from any number of threads.
 * It is created on first use with an empty in-memory file system ("ram://") as its
 * root, so vfs_mount("/", "nfs://server/export", 0) can stack a real file system
 * over it; or call vfs_init(url) first to choose the root. Descriptors of this
 * context are not kernel descriptors: pass them to vfs_* calls only.
 *
 * Supported: 64-bit Linux (glibc or musl), with POSIX.1-2008 declarations visible
 * (the compilers' default gnu modes, or -std=c11 -D_POSIX_C_SOURCE=200809L). Where
 * a call differs from Linux, its comment says so; docs/posix-shim.md has the table.
 */
#ifndef VFS_POSIX_SHIM_VFS_H
#define VFS_POSIX_SHIM_VFS_H

#if !defined(__linux__) || !defined(__LP64__)
#error "vfs.h: the vfs-posix-shim C ABI uses the struct layouts of 64-bit Linux"
#endif

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An open directory stream, as libc's DIR: a descriptor and the entry buffer
 * vfs_readdir returns (valid until the next vfs_readdir or vfs_closedir). */
typedef struct vfs_dir VFS_DIR;

/* Creates the context with the file system root_url names as its root ("ram://",
 * "ram://?size=64m", ...). 0 if the context now has this root (again is fine);
 * -1 with EFAULT (NULL), EINVAL (malformed URL), ENODEV (unknown scheme), EBUSY
 * (the context already exists with another root), or the mount's error. */
int vfs_init(const char *root_url);

/* Descriptors. */

/* open(2). mode is always passed (ignored without O_CREAT). Access mode 3
 * (O_RDONLY|O_WRONLY|O_RDWR) is EINVAL; O_PATH and O_TMPFILE are EOPNOTSUPP. */
int vfs_open(const char *path, int flags, mode_t mode);
int vfs_close(int fd);
/* read/write family: a NULL buffer with a non-zero count is EFAULT once the
 * descriptor is known open; a count above SSIZE_MAX is EINVAL. */
ssize_t vfs_read(int fd, void *buf, size_t count);
ssize_t vfs_write(int fd, const void *buf, size_t count);
ssize_t vfs_pread(int fd, void *buf, size_t count, off_t offset);
ssize_t vfs_pwrite(int fd, const void *buf, size_t count, off_t offset);
ssize_t vfs_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t vfs_writev(int fd, const struct iovec *iov, int iovcnt);
/* whence: SEEK_SET, SEEK_CUR, SEEK_END (SEEK_DATA/SEEK_HOLE are EINVAL). */
off_t vfs_lseek(int fd, off_t offset, int whence);
int vfs_ftruncate(int fd, off_t length);
/* st_dev is the id of the mount holding the file (0 for the root mount). */
int vfs_fstat(int fd, struct stat *buf);
/* f_fsid is the mount id; f_flag has ST_RDONLY on a read-only mount. */
int vfs_fstatvfs(int fd, struct statvfs *buf);
int vfs_fsync(int fd);
int vfs_fdatasync(int fd);
int vfs_fchmod(int fd, mode_t mode);
/* An id of (uid_t)-1 / (gid_t)-1 is left unchanged. */
int vfs_fchown(int fd, uid_t owner, gid_t group);
/* times NULL: both now; tv_nsec UTIME_NOW / UTIME_OMIT as usual. */
int vfs_futimens(int fd, const struct timespec times[2]);
int vfs_dup(int fd);
int vfs_dup2(int oldfd, int newfd);

/* fcntl(2). C variadic functions cannot be defined in stable Rust, so fcntl comes
 * as two typed functions:
 *   vfs_fcntl_int:  F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL
 *                   (pass 0 as arg for the GETs). F_GETFL reports the bits Linux
 *                   does (O_LARGEFILE's kernel value included).
 *   vfs_fcntl_lock: F_GETLK, F_SETLK, F_SETLKW (which blocks the calling thread)
 *                   with a struct flock; l_pid of a conflicting lock is an id of
 *                   the context's lock owner, not a kernel pid.
 * A command given to the wrong one, or unknown (F_OFD_*, F_GETOWN, ...), is EINVAL. */
int vfs_fcntl_int(int fd, int cmd, int arg);
int vfs_fcntl_lock(int fd, int cmd, struct flock *lock);
/* flock(2): LOCK_SH, LOCK_EX or LOCK_UN, optionally | LOCK_NB. */
int vfs_flock(int fd, int operation);

/* Paths. */

int vfs_truncate(const char *path, off_t length);
int vfs_stat(const char *path, struct stat *buf);
int vfs_lstat(const char *path, struct stat *buf);
int vfs_statvfs(const char *path, struct statvfs *buf);
int vfs_mkdir(const char *path, mode_t mode);
/* FIFOs, sockets and device nodes are names with attributes (stat shows their type
 * and st_rdev); nothing does I/O through them: opening one is ENXIO. A device
 * node needs uid 0 (EPERM otherwise), as CAP_MKNOD on Linux. */
int vfs_mknod(const char *path, mode_t mode, dev_t dev);
int vfs_mkfifo(const char *path, mode_t mode);
int vfs_rmdir(const char *path);
int vfs_unlink(const char *path);
int vfs_rename(const char *oldpath, const char *newpath);
int vfs_link(const char *oldpath, const char *newpath);
int vfs_symlink(const char *target, const char *linkpath);
/* The target truncated to bufsiz bytes, not NUL-terminated; bufsiz 0 is EINVAL. */
ssize_t vfs_readlink(const char *path, char *buf, size_t bufsiz);
int vfs_chmod(const char *path, mode_t mode);
int vfs_chown(const char *path, uid_t owner, gid_t group);
int vfs_lchown(const char *path, uid_t owner, gid_t group);
/* dirfd: AT_FDCWD or an open directory; flags: 0 or AT_SYMLINK_NOFOLLOW
 * (AT_EMPTY_PATH is EINVAL). A NULL path is EINVAL, as with glibc. */
int vfs_utimensat(int dirfd, const char *path, const struct timespec times[2], int flags);
/* mode: F_OK or any of R_OK, W_OK, X_OK; checked with the context's credentials. */
int vfs_access(const char *path, int mode);

/* Directory streams. */

VFS_DIR *vfs_opendir(const char *path);
/* The next entry ("." and ".." first); NULL at the end with errno unchanged, or
 * NULL with errno set on error. d_off is 0 (there is no telldir/seekdir). */
struct dirent *vfs_readdir(VFS_DIR *dir);
void vfs_rewinddir(VFS_DIR *dir);
/* Frees dir even when closing its descriptor reports an error. */
int vfs_closedir(VFS_DIR *dir);
int vfs_dirfd(VFS_DIR *dir);

/* Working directory, mounts, umask. */

int vfs_chdir(const char *path);
int vfs_fchdir(int fd);
/* buf of size bytes; ERANGE when too small, EINVAL for size 0. buf NULL (glibc's
 * extension): the result is malloc'ed, of size bytes or as long as needed if size
 * is 0; free it. */
char *vfs_getcwd(char *buf, size_t size);
/* Mounts the file system url names ("ram://", ...) on directory target, over what
 * is there. flags: MS_RDONLY; MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME,
 * MS_NODIRATIME, MS_RELATIME, MS_SILENT are accepted and ignored; others EINVAL. */
int vfs_mount(const char *target, const char *url, unsigned long flags);
int vfs_umount(const char *target);
/* Sets the file-creation mask, returns the previous one; cannot fail. */
mode_t vfs_umask(mode_t mask);

#ifdef __cplusplus
}
#endif

#endif /* VFS_POSIX_SHIM_VFS_H */
