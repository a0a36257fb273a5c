//! `dup`, `dup2` and `F_DUPFD`: new descriptors for one open file description.

use super::prelude::*;

cases![
    dup_takes_lowest_free,
    dup_shares_offset,
    dup_shares_status_flags,
    dup_survives_closing_original,
    dup2_to_chosen_descriptor,
    dup2_onto_itself_returns_it,
    dup2_onto_itself_when_closed_is_ebadf,
    dup2_closes_the_target_first,
    dup2_with_bad_old_leaves_target_open,
    dup2_to_negative_or_huge_is_ebadf,
    dupfd_takes_lowest_at_or_above_min,
    dupfd_skips_taken_numbers,
    dupfd_negative_or_huge_min_is_einval,
    dupfd_bad_descriptor_beats_bad_min,
    open_after_dup2_takes_lowest_free,
];

fn dup_takes_lowest_free(t: &Trace) {
    let fd = t.create("f", b"x");
    let other = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.dup(fd), Ok(t.nth_fd(2)));
    t.close(fd).ok();
    t.want(t.dup(other), Ok(t.nth_fd(0)));
}

fn dup_shares_offset(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    let copy = t.ok_fd(t.dup(fd));
    t.lseek(fd, 2, SEEK_SET).ok();
    t.want(t.read(copy, 3), Ok(b"234".to_vec()));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(5));
    t.write(copy, b"X").ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(6));
    let via_fcntl = t.ok_fd(t.dupfd(fd, t.nth_fd(0), false));
    t.want(t.read(via_fcntl, 2), Ok(b"67".to_vec()));
    let via_dup2 = t.ok_fd(t.dup2(fd, t.nth_fd(9)));
    t.want(t.lseek(via_dup2, 0, SEEK_CUR), Ok(8));
    for fd in [fd, copy, via_fcntl, via_dup2] {
        t.close(fd).ok();
    }
}

fn dup_shares_status_flags(t: &Trace) {
    let fd = t.create("f", b"abc");
    let copy = t.ok_fd(t.dup(fd));
    t.setfl(copy, O_APPEND).ok();
    t.getfl(fd).ok();
    t.lseek(fd, 0, SEEK_SET).ok();
    t.write(fd, b"d").ok();
    t.want(t.content("f"), Ok(b"abcd".to_vec()));
    t.close(fd).ok();
    t.close(copy).ok();
}

fn dup_survives_closing_original(t: &Trace) {
    let fd = t.create("f", b"abc");
    let copy = t.ok_fd(t.dup(fd));
    t.close(fd).ok();
    t.want(t.write(copy, b"d"), Ok(1));
    t.want(t.pread(copy, 10, 0), Ok(b"abcd".to_vec()));
    t.want_errno(t.write(fd, b"x"), EBADF);
    t.close(copy).ok();
}

fn dup2_to_chosen_descriptor(t: &Trace) {
    let fd = t.create("f", b"abc");
    let target = t.nth_fd(10);
    t.want(t.dup2(fd, target), Ok(target));
    t.want(t.pread(target, 3, 0), Ok(b"abc".to_vec()));
    t.close(fd).ok();
    t.close(target).ok();
}

fn dup2_onto_itself_returns_it(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.dup2(fd, fd), Ok(fd));
    t.want(t.pread(fd, 3, 0), Ok(b"abc".to_vec()));
    t.close(fd).ok();
}

fn dup2_onto_itself_when_closed_is_ebadf(t: &Trace) {
    let closed = t.nth_fd(5);
    t.want_errno(t.dup2(closed, closed), EBADF);
}

fn dup2_closes_the_target_first(t: &Trace) {
    let a = t.create("a", b"");
    let b = t.create("b", b"");
    t.write(b, b"kept").ok();
    t.want(t.dup2(a, b), Ok(b));
    t.write(b, b"into a").ok();
    t.close(a).ok();
    t.close(b).ok();
    t.want(t.content("a"), Ok(b"into a".to_vec()));
    t.want(t.content("b"), Ok(b"kept".to_vec()));
}

fn dup2_with_bad_old_leaves_target_open(t: &Trace) {
    let target = t.create("f", b"abc");
    t.want_errno(t.dup2(t.nth_fd(50), target), EBADF);
    t.want_errno(t.dup2(-1, target), EBADF);
    t.want(t.pread(target, 3, 0), Ok(b"abc".to_vec()));
    t.close(target).ok();
}

fn dup2_to_negative_or_huge_is_ebadf(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.dup2(fd, -1), EBADF);
    t.want_errno(t.dup2(fd, i32::MAX), EBADF);
    t.close(fd).ok();
}

fn dupfd_takes_lowest_at_or_above_min(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.dupfd(fd, t.nth_fd(5), false), Ok(t.nth_fd(5)));
    t.want(t.dupfd(fd, t.nth_fd(5), false), Ok(t.nth_fd(6)));
    t.want(t.dupfd(fd, t.nth_fd(0), false), Ok(t.nth_fd(1)));
}

fn dupfd_skips_taken_numbers(t: &Trace) {
    let fd = t.create("f", b"abc");
    for k in [3, 4, 6] {
        t.dup2(fd, t.nth_fd(k)).ok();
    }
    t.want(t.dupfd(fd, t.nth_fd(3), false), Ok(t.nth_fd(5)));
    t.want(t.dupfd(fd, t.nth_fd(3), true), Ok(t.nth_fd(7)));
}

fn dupfd_negative_or_huge_min_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.dupfd(fd, -1, false), EINVAL);
    t.want_errno(t.dupfd(fd, i32::MAX, false), EINVAL);
    t.want_errno(t.dupfd(fd, i32::MIN, true), EINVAL);
    t.close(fd).ok();
}

fn dupfd_bad_descriptor_beats_bad_min(t: &Trace) {
    t.want_errno(t.dupfd(t.nth_fd(100), -1, false), EBADF);
    t.want_errno(t.dupfd(-1, i32::MAX, false), EBADF);
}

fn open_after_dup2_takes_lowest_free(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.dup2(fd, t.nth_fd(3)).ok();
    t.want(t.open("f", O_RDONLY, 0), Ok(t.nth_fd(1)));
    t.want(t.open("f", O_RDONLY, 0), Ok(t.nth_fd(2)));
    t.want(t.open("f", O_RDONLY, 0), Ok(t.nth_fd(4)));
}
