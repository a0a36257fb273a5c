//! `FD_CLOEXEC`: a flag of the descriptor, not of the open file description.

use super::prelude::*;

cases![
    clear_by_default,
    o_cloexec_sets_it,
    setfd_round_trips,
    setfd_keeps_only_cloexec_bit,
    flag_is_per_descriptor,
    dup_and_dup2_clear_it,
    dupfd_cloexec_sets_it,
    opendir_sets_it,
];

fn clear_by_default(t: &Trace) {
    let fd = t.create("f", b"");
    t.want(t.getfd(fd), Ok(0));
    t.close(fd).ok();
}

fn o_cloexec_sets_it(t: &Trace) {
    let fd = t.ok_fd(t.open("f", RW_CREATE | O_CLOEXEC, 0o644));
    t.want(t.getfd(fd), Ok(FD_CLOEXEC));
    t.close(fd).ok();
}

fn setfd_round_trips(t: &Trace) {
    let fd = t.create("f", b"");
    t.setfd(fd, FD_CLOEXEC).ok();
    t.want(t.getfd(fd), Ok(FD_CLOEXEC));
    t.setfd(fd, 0).ok();
    t.want(t.getfd(fd), Ok(0));
    t.close(fd).ok();
}

fn setfd_keeps_only_cloexec_bit(t: &Trace) {
    let fd = t.create("f", b"");
    t.setfd(fd, 0xff).ok();
    t.want(t.getfd(fd), Ok(FD_CLOEXEC));
    t.setfd(fd, 0xfe).ok();
    t.want(t.getfd(fd), Ok(0));
    t.close(fd).ok();
}

fn flag_is_per_descriptor(t: &Trace) {
    let fd = t.create("f", b"");
    let copy = t.ok_fd(t.dup(fd));
    t.setfd(copy, FD_CLOEXEC).ok();
    t.want(t.getfd(fd), Ok(0));
    t.want(t.getfd(copy), Ok(FD_CLOEXEC));
    t.close(fd).ok();
    t.close(copy).ok();
}

fn dup_and_dup2_clear_it(t: &Trace) {
    let fd = t.ok_fd(t.open("f", RW_CREATE | O_CLOEXEC, 0o644));
    let copy = t.ok_fd(t.dup(fd));
    t.want(t.getfd(copy), Ok(0));
    let target = t.nth_fd(8);
    t.dup2(fd, target).ok();
    t.want(t.getfd(target), Ok(0));
    t.setfd(target, FD_CLOEXEC).ok();
    t.dup2(copy, target).ok();
    t.want(t.getfd(target), Ok(0));
    let plain = t.ok_fd(t.dupfd(fd, t.nth_fd(0), false));
    t.want(t.getfd(plain), Ok(0));
}

fn dupfd_cloexec_sets_it(t: &Trace) {
    let fd = t.create("f", b"");
    let copy = t.ok_fd(t.dupfd(fd, t.nth_fd(0), true));
    t.want(t.getfd(copy), Ok(FD_CLOEXEC));
    t.want(t.getfd(fd), Ok(0));
}

fn opendir_sets_it(t: &Trace) {
    let dir = t.ok_fd(t.opendir("."));
    t.want(t.getfd(dir), Ok(FD_CLOEXEC));
    t.closedir(dir).ok();
}
