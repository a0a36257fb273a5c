//! Advisory locks within one process: `fcntl` record locks never conflict with
//! the process's own; `flock` locks belong to open file descriptions, so two opens
//! conflict even in one process.

use super::prelude::*;

cases![
    own_write_lock_shows_unlocked,
    own_locks_never_conflict,
    read_lock_needs_read_access,
    write_lock_needs_write_access,
    getlk_needs_no_access,
    getlk_with_unlock_is_einval,
    bad_lock_type_is_einval,
    bad_whence_is_einval,
    negative_start_is_einval,
    range_checked_before_access_mode,
    negative_length_locks_bytes_before_start,
    negative_length_before_zero_is_einval,
    whence_cur_and_end,
    unlock_without_lock_succeeds,
    setlkw_on_own_lock_does_not_wait,
    flock_two_opens_conflict,
    flock_shared_locks_coexist,
    flock_shared_blocks_exclusive,
    flock_dup_shares_the_lock,
    flock_released_by_last_close,
    flock_converts_on_one_description,
    flock_unlock_lets_others_in,
    flock_bad_operation_is_einval,
    flock_needs_no_write_access,
    flock_on_directory,
];

fn own_write_lock_shows_unlocked(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want(t.setlk(fd, lock(F_WRLCK, SEEK_SET, 0, 10), false), Ok(()));
    let query = lock(F_WRLCK, SEEK_SET, 0, 0);
    t.want(
        t.getlk(fd, query),
        Ok(Flock {
            l_type: F_UNLCK as i16,
            ..query
        }),
    );
    t.close(fd).ok();
}

fn own_locks_never_conflict(t: &Trace) {
    let a = t.create("f", b"0123456789");
    let b = t.ok_fd(t.open("f", O_RDWR, 0));
    t.setlk(a, lock(F_WRLCK, SEEK_SET, 0, 0), false).ok();
    t.want(t.setlk(b, lock(F_WRLCK, SEEK_SET, 2, 3), false), Ok(()));
    t.want(t.setlk(b, lock(F_RDLCK, SEEK_SET, 0, 5), false), Ok(()));
    t.getlk(b, lock(F_WRLCK, SEEK_SET, 0, 0)).ok();
    t.close(a).ok();
    t.close(b).ok();
}

fn read_lock_needs_read_access(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.want_errno(t.setlk(fd, lock(F_RDLCK, SEEK_SET, 0, 1), false), EBADF);
    t.want(t.setlk(fd, lock(F_WRLCK, SEEK_SET, 0, 1), false), Ok(()));
    t.close(fd).ok();
}

fn write_lock_needs_write_access(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want_errno(t.setlk(fd, lock(F_WRLCK, SEEK_SET, 0, 1), false), EBADF);
    t.want_errno(t.setlk(fd, lock(F_WRLCK, SEEK_SET, 0, 1), true), EBADF);
    t.want(t.setlk(fd, lock(F_RDLCK, SEEK_SET, 0, 1), false), Ok(()));
    t.want(t.setlk(fd, lock(F_UNLCK, SEEK_SET, 0, 1), false), Ok(()));
    t.close(fd).ok();
}

fn getlk_needs_no_access(t: &Trace) {
    t.put("f", b"abc");
    let reader = t.ok_fd(t.open("f", O_RDONLY, 0));
    let writer = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.getlk(reader, lock(F_WRLCK, SEEK_SET, 0, 0)).ok();
    t.getlk(writer, lock(F_RDLCK, SEEK_SET, 0, 0)).ok();
    t.close(reader).ok();
    t.close(writer).ok();
}

fn getlk_with_unlock_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.getlk(fd, lock(F_UNLCK, SEEK_SET, 0, 0)), EINVAL);
    t.close(fd).ok();
}

fn bad_lock_type_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.setlk(fd, lock(7, SEEK_SET, 0, 0), false), EINVAL);
    t.want_errno(t.getlk(fd, lock(-1, SEEK_SET, 0, 0)), EINVAL);
    t.close(fd).ok();
}

fn bad_whence_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.setlk(fd, lock(F_WRLCK, 3, 0, 0), false), EINVAL);
    t.want_errno(t.getlk(fd, lock(F_WRLCK, -1, 0, 0)), EINVAL);
    t.close(fd).ok();
}

fn negative_start_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.setlk(fd, lock(F_WRLCK, SEEK_SET, -1, 1), false), EINVAL);
    t.want_errno(t.setlk(fd, lock(F_WRLCK, SEEK_END, -4, 1), false), EINVAL);
    t.want_errno(t.getlk(fd, lock(F_WRLCK, SEEK_SET, -1, 0)), EINVAL);
    t.close(fd).ok();
}

fn range_checked_before_access_mode(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want_errno(t.setlk(fd, lock(F_WRLCK, SEEK_SET, -1, 1), false), EINVAL);
    t.close(fd).ok();
}

fn negative_length_locks_bytes_before_start(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want(t.setlk(fd, lock(F_WRLCK, SEEK_SET, 5, -5), false), Ok(()));
    t.want(t.setlk(fd, lock(F_UNLCK, SEEK_SET, 5, -5), false), Ok(()));
    t.close(fd).ok();
}

fn negative_length_before_zero_is_einval(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want_errno(t.setlk(fd, lock(F_WRLCK, SEEK_SET, 2, -3), false), EINVAL);
    t.close(fd).ok();
}

fn whence_cur_and_end(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.lseek(fd, 4, SEEK_SET).ok();
    t.want(t.setlk(fd, lock(F_WRLCK, SEEK_CUR, -4, 2), false), Ok(()));
    t.want(t.setlk(fd, lock(F_WRLCK, SEEK_END, -10, 0), false), Ok(()));
    t.want_errno(t.setlk(fd, lock(F_WRLCK, SEEK_CUR, -5, 1), false), EINVAL);
    t.getlk(fd, lock(F_RDLCK, SEEK_END, 0, 0)).ok();
    t.close(fd).ok();
}

fn unlock_without_lock_succeeds(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.setlk(fd, lock(F_UNLCK, SEEK_SET, 0, 0), false), Ok(()));
    t.want(t.setlk(fd, lock(F_UNLCK, SEEK_SET, 100, 5), false), Ok(()));
    t.close(fd).ok();
}

fn setlkw_on_own_lock_does_not_wait(t: &Trace) {
    let a = t.create("f", b"abc");
    let b = t.ok_fd(t.open("f", O_RDWR, 0));
    t.setlk(a, lock(F_WRLCK, SEEK_SET, 0, 0), false).ok();
    t.want(t.setlk(b, lock(F_WRLCK, SEEK_SET, 0, 0), true), Ok(()));
    t.close(a).ok();
    t.close(b).ok();
}

fn flock_two_opens_conflict(t: &Trace) {
    let a = t.create("f", b"");
    let b = t.ok_fd(t.open("f", O_RDWR, 0));
    t.want(t.flock(a, LOCK_EX), Ok(()));
    t.want_errno(t.flock(b, LOCK_EX | LOCK_NB), EAGAIN);
    t.want_errno(t.flock(b, LOCK_SH | LOCK_NB), EAGAIN);
    t.close(a).ok();
    t.close(b).ok();
}

fn flock_shared_locks_coexist(t: &Trace) {
    let a = t.create("f", b"");
    let b = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.flock(a, LOCK_SH), Ok(()));
    t.want(t.flock(b, LOCK_SH | LOCK_NB), Ok(()));
    t.close(a).ok();
    t.close(b).ok();
}

fn flock_shared_blocks_exclusive(t: &Trace) {
    let a = t.create("f", b"");
    let b = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.flock(a, LOCK_SH).ok();
    t.want_errno(t.flock(b, LOCK_EX | LOCK_NB), EAGAIN);
    t.close(a).ok();
    t.close(b).ok();
}

fn flock_dup_shares_the_lock(t: &Trace) {
    let a = t.create("f", b"");
    let copy = t.ok_fd(t.dup(a));
    let other = t.ok_fd(t.open("f", O_RDWR, 0));
    t.flock(a, LOCK_EX).ok();
    t.want(t.flock(copy, LOCK_EX | LOCK_NB), Ok(()));
    t.want_errno(t.flock(other, LOCK_EX | LOCK_NB), EAGAIN);
    t.want(t.flock(copy, LOCK_UN), Ok(()));
    t.want(t.flock(other, LOCK_EX | LOCK_NB), Ok(()));
}

fn flock_released_by_last_close(t: &Trace) {
    let a = t.create("f", b"");
    let copy = t.ok_fd(t.dup(a));
    let other = t.ok_fd(t.open("f", O_RDWR, 0));
    t.flock(a, LOCK_EX).ok();
    t.close(a).ok();
    t.want_errno(t.flock(other, LOCK_EX | LOCK_NB), EAGAIN);
    t.close(copy).ok();
    t.want(t.flock(other, LOCK_EX | LOCK_NB), Ok(()));
    t.close(other).ok();
}

fn flock_converts_on_one_description(t: &Trace) {
    let a = t.create("f", b"");
    let other = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.flock(a, LOCK_SH), Ok(()));
    t.want(t.flock(a, LOCK_EX | LOCK_NB), Ok(()));
    t.want_errno(t.flock(other, LOCK_SH | LOCK_NB), EAGAIN);
    t.want(t.flock(a, LOCK_SH), Ok(()));
    t.want(t.flock(other, LOCK_SH | LOCK_NB), Ok(()));
    t.close(a).ok();
    t.close(other).ok();
}

fn flock_unlock_lets_others_in(t: &Trace) {
    let a = t.create("f", b"");
    let b = t.ok_fd(t.open("f", O_RDWR, 0));
    t.flock(a, LOCK_EX).ok();
    t.want(t.flock(a, LOCK_UN), Ok(()));
    t.want(t.flock(b, LOCK_EX | LOCK_NB), Ok(()));
    t.want(t.flock(b, LOCK_UN | LOCK_NB), Ok(()));
    t.want(t.flock(b, LOCK_UN), Ok(()));
    t.close(a).ok();
    t.close(b).ok();
}

fn flock_bad_operation_is_einval(t: &Trace) {
    let fd = t.create("f", b"");
    t.want_errno(t.flock(fd, 0), EINVAL);
    t.want_errno(t.flock(fd, LOCK_SH | LOCK_EX), EINVAL);
    t.want_errno(t.flock(fd, LOCK_NB), EINVAL);
    t.close(fd).ok();
}

fn flock_needs_no_write_access(t: &Trace) {
    t.put("f", b"");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.flock(fd, LOCK_EX), Ok(()));
    t.close(fd).ok();
}

fn flock_on_directory(t: &Trace) {
    let a = t.ok_fd(t.open(".", O_RDONLY, 0));
    let b = t.ok_fd(t.opendir("."));
    t.want(t.flock(a, LOCK_EX), Ok(()));
    t.want_errno(t.flock(b, LOCK_EX | LOCK_NB), EAGAIN);
    t.close(a).ok();
    t.closedir(b).ok();
}
