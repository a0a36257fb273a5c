/*
 * demo.c - the vfs-posix-shim C ABI from C: an in-memory root, files, a directory
 * listing, special files, renames, locks, and the errors bad input must give.
 *
 * Prints one line per check and exits 0 only if every check held.
 *
 *   cc -Wall -Wextra -Werror -I vfs-posix-shim/include vfs-posix-shim/examples/c/demo.c \
 *      -L target/debug -lvfs_posix_shim -Wl,-rpath,target/debug -o demo && ./demo
 */
#include "vfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

static int failures;

/* Records one check; errno, as the checked call left it, is printed on failure. */
static void check(int held, const char *what)
{
    int errno_seen = errno;
    if (held) {
        printf("ok    %s\n", what);
    } else {
        printf("FAIL  %s (errno %d: %s)\n", what, errno_seen, strerror(errno_seen));
        failures++;
    }
}

/* A call that must succeed: `result` is not negative. */
static void expect_ok(long result, const char *what)
{
    check(result >= 0, what);
}

/* A call that must fail: `result` is -1 and errno is `expected`. */
static void expect_errno(long result, int expected, const char *what)
{
    int errno_seen = errno;
    char line[256];
    snprintf(line, sizeof line, "%s -> %s", what, strerror(expected));
    check(result == -1 && errno_seen == expected, line);
}

/* True when `dir` lists exactly the names in `expected` (count of them). */
static int lists_exactly(const char *dir, const char *const *expected, int count)
{
    VFS_DIR *stream = vfs_opendir(dir);
    if (stream == NULL) {
        return 0;
    }
    int seen = 0, matched = 0;
    struct dirent *entry;
    errno = 0;
    while ((entry = vfs_readdir(stream)) != NULL) {
        seen++;
        for (int i = 0; i < count; i++) {
            matched += strcmp(entry->d_name, expected[i]) == 0;
        }
    }
    int listing_errno = errno;
    vfs_closedir(stream);
    return listing_errno == 0 && seen == count && matched == count;
}

int main(void)
{
    char buf[64];
    struct stat st;

    puts("-- the context: an in-memory root");
    expect_ok(vfs_init("ram://"), "vfs_init(\"ram://\")");
    expect_ok(vfs_init("ram://"), "vfs_init again with the same root");
    expect_errno(vfs_init("ram://?size=1m"), EBUSY, "vfs_init with another root");
    vfs_umask(022);

    puts("-- files");
    expect_ok(vfs_mkdir("/dir", 0755), "mkdir /dir");
    int fd = vfs_open("/dir/file", O_RDWR | O_CREAT | O_EXCL, 0666);
    expect_ok(fd, "open /dir/file O_RDWR|O_CREAT|O_EXCL");
    check(vfs_write(fd, "hello, world", 12) == 12, "write 12 bytes");
    memset(buf, 0, sizeof buf);
    check(vfs_pread(fd, buf, 5, 7) == 5 && memcmp(buf, "world", 5) == 0,
          "pread 5 bytes at 7 gives \"world\"");
    check(vfs_lseek(fd, 0, SEEK_CUR) == 12, "pread left the offset at 12");
    expect_ok(vfs_ftruncate(fd, 5), "ftruncate to 5");
    expect_ok(vfs_fstat(fd, &st), "fstat");
    check(S_ISREG(st.st_mode) && st.st_size == 5 && (st.st_mode & 07777) == 0644 &&
              st.st_nlink == 1 && st.st_blksize > 0,
          "fstat: regular, size 5, mode 0644 after umask 022, one link");
    check((vfs_fcntl_int(fd, F_GETFL, 0) & O_ACCMODE) == O_RDWR, "F_GETFL shows O_RDWR");

    puts("-- locks");
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    expect_ok(vfs_fcntl_lock(fd, F_SETLK, &lock), "F_SETLK write lock on the whole file");
    lock.l_type = F_WRLCK;
    expect_ok(vfs_fcntl_lock(fd, F_GETLK, &lock), "F_GETLK");
    check(lock.l_type == F_UNLCK, "F_GETLK: our own lock does not conflict");
    expect_ok(vfs_flock(fd, LOCK_EX | LOCK_NB), "flock LOCK_EX|LOCK_NB");
    expect_ok(vfs_flock(fd, LOCK_UN), "flock LOCK_UN");

    puts("-- errors");
    expect_errno(vfs_open("/dir/file", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST,
                 "open O_EXCL on an existing name");
    int dirfd = vfs_open("/dir", O_RDONLY | O_DIRECTORY, 0);
    expect_ok(dirfd, "open /dir O_DIRECTORY");
    expect_errno(vfs_read(dirfd, buf, sizeof buf), EISDIR, "read on a directory descriptor");
    expect_errno(vfs_open("/dir/file", O_RDONLY | O_DIRECTORY, 0), ENOTDIR,
                 "open O_DIRECTORY on a file");
    expect_errno(vfs_read(12345, buf, sizeof buf), EBADF, "read on a descriptor never opened");
    expect_errno(vfs_close(-1), EBADF, "close(-1)");
    expect_errno(vfs_open(NULL, O_RDONLY, 0), EFAULT, "open(NULL)");
    expect_errno(vfs_stat(NULL, &st), EFAULT, "stat(NULL)");
    expect_errno(vfs_pread(fd, buf, 1, -1), EINVAL, "pread at a negative offset");
    expect_errno(vfs_lseek(fd, 0, 42), EINVAL, "lseek with an unknown whence");
    expect_errno(vfs_stat("/no/such", &st), ENOENT, "stat of a missing path");
    expect_errno(vfs_getcwd(buf, 1) == NULL ? -1 : 0, ERANGE, "getcwd into 1 byte");

    puts("-- names are bytes");
    const char latin1_name[] = "/dir/caf\xe9";
    int latin1 = vfs_open(latin1_name, O_WRONLY | O_CREAT, 0600);
    expect_ok(latin1, "create a non-UTF-8 name");
    expect_ok(vfs_close(latin1), "close it");
    expect_ok(vfs_stat(latin1_name, &st), "stat it");

    puts("-- directory listing");
    const char *const listing[] = {".", "..", "file", "caf\xe9"};
    check(lists_exactly("/dir", listing, 4), "readdir /dir: . .. file caf\\xe9");

    puts("-- special files");
    expect_ok(vfs_mkfifo("/dir/fifo", 0666), "mkfifo /dir/fifo");
    check(vfs_lstat("/dir/fifo", &st) == 0 && S_ISFIFO(st.st_mode) &&
              (st.st_mode & 07777) == 0644,
          "lstat: a FIFO, mode 0644 after umask 022");
    expect_ok(vfs_mknod("/dir/null", S_IFCHR | 0666, makedev(1, 3)), "mknod /dir/null c 1 3");
    check(vfs_stat("/dir/null", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
              minor(st.st_rdev) == 3,
          "stat: a character device 1:3");
    expect_errno(vfs_open("/dir/null", O_RDONLY, 0), ENXIO, "open a device node: no driver here");
    expect_errno(vfs_mknod("/dir/fifo", S_IFIFO | 0644, 0), EEXIST, "mknod an existing name");
    expect_errno(vfs_mknod("/dir/d", S_IFDIR | 0755, 0), EPERM, "mknod of a directory");
    expect_ok(vfs_unlink("/dir/fifo"), "unlink the FIFO");
    expect_ok(vfs_unlink("/dir/null"), "unlink the device");

    puts("-- rename, unlink");
    expect_ok(vfs_rename("/dir/file", "/dir/renamed"), "rename file -> renamed");
    expect_errno(vfs_stat("/dir/file", &st), ENOENT, "the old name is gone");
    expect_ok(vfs_stat("/dir/renamed", &st), "the new name is there");
    check(st.st_size == 5, "with the same content");
    expect_ok(vfs_unlink("/dir/renamed"), "unlink renamed");
    expect_errno(vfs_unlink("/dir/renamed"), ENOENT, "unlink it again");
    check(vfs_fstat(fd, &st) == 0 && st.st_nlink == 0, "the open file lives on, unlinked");

    puts("-- a second file system");
    expect_ok(vfs_mkdir("/mnt", 0755), "mkdir /mnt");
    expect_ok(vfs_mount("/mnt", "ram://", MS_RDONLY), "mount ram:// read-only on /mnt");
    struct stat root_st, mnt_st;
    check(vfs_stat("/", &root_st) == 0 && vfs_stat("/mnt", &mnt_st) == 0 &&
              root_st.st_dev != mnt_st.st_dev,
          "st_dev differs across the mount");
    expect_errno(vfs_open("/mnt/x", O_WRONLY | O_CREAT, 0644), EROFS,
                 "create on the read-only mount");
    expect_ok(vfs_umount("/mnt"), "umount /mnt");

    expect_ok(vfs_close(dirfd), "close the directory");
    expect_ok(vfs_close(fd), "close the file");

    if (failures != 0) {
        printf("%d check(s) failed\n", failures);
        return EXIT_FAILURE;
    }
    puts("all checks held");
    return EXIT_SUCCESS;
}
