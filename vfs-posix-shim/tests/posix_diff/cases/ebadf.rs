//! Every call on a descriptor fails with `EBADF` when it is not open: never
//! opened, just closed, or negative.

use super::prelude::*;

/// One case per call: `name => |trace, fd| call`.
macro_rules! ebadf_cases {
    ($($name:ident => |$t:ident, $fd:ident| $call:expr;)*) => {
        $(
            fn $name(t: &Trace) {
                for $fd in bad_descriptors(t) {
                    let $t = t;
                    t.want_errno($call, EBADF);
                }
            }
        )*
        cases![$($name),*];
    };
}

/// A descriptor never opened, one just closed, and -1.
fn bad_descriptors(t: &Trace) -> [i32; 3] {
    let closed = t.create("f", b"abc");
    t.close(closed).ok();
    [t.nth_fd(100), closed, -1]
}

ebadf_cases! {
    close => |t, fd| t.close(fd);
    read => |t, fd| t.read(fd, 1);
    write => |t, fd| t.write(fd, b"x");
    pread => |t, fd| t.pread(fd, 1, 0);
    pwrite => |t, fd| t.pwrite(fd, b"x", 0);
    readv => |t, fd| t.readv(fd, &[1, 1]);
    writev => |t, fd| t.writev(fd, &[b"x", b"y"]);
    lseek => |t, fd| t.lseek(fd, 0, SEEK_SET);
    fstat => |t, fd| t.fstat(fd);
    ftruncate => |t, fd| t.ftruncate(fd, 0);
    fsync => |t, fd| t.fsync(fd);
    fdatasync => |t, fd| t.fdatasync(fd);
    fchmod => |t, fd| t.fchmod(fd, 0o600);
    fchown => |t, fd| t.fchown(fd, u32::MAX, u32::MAX);
    fchdir => |t, fd| t.fchdir(fd);
    fstatvfs => |t, fd| t.fstatvfs(fd);
    dup => |t, fd| t.dup(fd);
    dup2 => |t, fd| t.dup2(fd, t.nth_fd(7));
    f_dupfd => |t, fd| t.dupfd(fd, t.nth_fd(0), false);
    f_getfl => |t, fd| t.getfl(fd);
    f_setfl => |t, fd| t.setfl(fd, O_APPEND);
    f_getfd => |t, fd| t.getfd(fd);
    f_setfd => |t, fd| t.setfd(fd, FD_CLOEXEC);
    f_getlk => |t, fd| t.getlk(fd, lock(F_WRLCK, SEEK_SET, 0, 0));
    f_setlk => |t, fd| t.setlk(fd, lock(F_WRLCK, SEEK_SET, 0, 0), false);
    f_setlk_unlock => |t, fd| t.setlk(fd, lock(F_UNLCK, SEEK_SET, 0, 0), false);
    flock => |t, fd| t.flock(fd, LOCK_EX | LOCK_NB);
}
