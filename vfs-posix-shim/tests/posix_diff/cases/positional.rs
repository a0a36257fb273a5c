//! `pread` and `pwrite`: the file offset stays, offsets are checked first.

use super::prelude::*;

cases![
    pread_keeps_offset,
    pwrite_keeps_offset,
    pread_past_end_returns_zero,
    pread_far_past_end_returns_zero,
    pwrite_past_end_leaves_hole,
    pwrite_far_offset_grows_sparsely,
    negative_offset_is_einval,
    negative_offset_beats_bad_descriptor,
    offset_plus_length_overflow_is_einval,
    pread_on_write_only_is_ebadf,
    pwrite_on_read_only_is_ebadf,
    pread_on_directory_is_eisdir,
    pread_on_directory_checks_offset_first,
];

fn pread_keeps_offset(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.lseek(fd, 2, SEEK_SET).ok();
    t.want(t.pread(fd, 3, 5), Ok(b"567".to_vec()));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(2));
    t.want(t.read(fd, 2), Ok(b"23".to_vec()));
    t.close(fd).ok();
}

fn pwrite_keeps_offset(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.lseek(fd, 1, SEEK_SET).ok();
    t.want(t.pwrite(fd, b"AB", 7), Ok(2));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(1));
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"0123456AB9".to_vec()));
}

fn pread_past_end_returns_zero(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.pread(fd, 4, 3), Ok(Vec::new()));
    t.want(t.pread(fd, 4, 100), Ok(Vec::new()));
    t.want(t.pread(fd, 4, 1), Ok(b"bc".to_vec()));
    t.close(fd).ok();
}

fn pread_far_past_end_returns_zero(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.pread(fd, 4, 1 << 40), Ok(Vec::new()));
    t.want(t.pread(fd, 4, i64::MAX - 4), Ok(Vec::new()));
    t.close(fd).ok();
}

fn pwrite_past_end_leaves_hole(t: &Trace) {
    let fd = t.create("f", b"ab");
    t.want(t.pwrite(fd, b"z", 5), Ok(1));
    t.fstat(fd).ok();
    t.want(t.pread(fd, 10, 0), Ok(b"ab\0\0\0z".to_vec()));
    t.close(fd).ok();
}

fn pwrite_far_offset_grows_sparsely(t: &Trace) {
    let fd = t.create("f", b"");
    let far = 1i64 << 33;
    t.want(t.pwrite(fd, b"end", far), Ok(3));
    t.want(t.fstat(fd).map(|st| st.size), Ok(far + 3));
    t.want(t.pread(fd, 4, far - 1), Ok(b"\0end".to_vec()));
    t.want(t.pread(fd, 4, 1 << 20), Ok(vec![0; 4]));
    t.close(fd).ok();
}

fn negative_offset_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.pread(fd, 1, -1), EINVAL);
    t.want_errno(t.pwrite(fd, b"x", -1), EINVAL);
    t.want_errno(t.pread(fd, 1, i64::MIN), EINVAL);
    t.want(t.size("f"), Ok(3));
    t.close(fd).ok();
}

fn negative_offset_beats_bad_descriptor(t: &Trace) {
    let bad = t.nth_fd(100);
    t.want_errno(t.pread(bad, 1, -1), EINVAL);
    t.want_errno(t.pwrite(bad, b"x", -1), EINVAL);
    t.want_errno(t.pread(bad, 1, 0), EBADF);
}

fn offset_plus_length_overflow_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.pread(fd, 10, i64::MAX - 2), EINVAL);
    t.want_errno(t.pwrite(fd, b"0123456789", i64::MAX - 2), EINVAL);
    t.want_errno(t.pwrite(fd, b"x", i64::MAX), EINVAL);
    t.want(t.size("f"), Ok(3));
    t.close(fd).ok();
}

fn pread_on_write_only_is_ebadf(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.want_errno(t.pread(fd, 3, 0), EBADF);
    t.close(fd).ok();
}

fn pwrite_on_read_only_is_ebadf(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want_errno(t.pwrite(fd, b"x", 0), EBADF);
    t.close(fd).ok();
}

fn pread_on_directory_is_eisdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d", O_RDONLY, 0));
    t.want_errno(t.pread(fd, 10, 0), EISDIR);
    t.close(fd).ok();
}

fn pread_on_directory_checks_offset_first(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d", O_RDONLY, 0));
    t.want_errno(t.pread(fd, 10, -5), EINVAL);
    t.want_errno(t.pread(fd, 10, i64::MAX - 2), EINVAL);
    t.close(fd).ok();
}
