//! `lseek`: the three origins, negative results, overflow, bad whence.

use super::prelude::*;

cases![
    seek_set_cur_end,
    seek_end_backwards,
    seek_before_start_is_einval,
    failed_seek_keeps_offset,
    seek_past_end_then_read_returns_zero,
    seek_past_end_then_write_leaves_hole,
    seek_to_largest_offset,
    seek_cur_overflow_is_einval,
    seek_end_overflow_is_einval,
    bad_whence_is_einval,
    bad_descriptor_beats_bad_whence,
    offset_follows_reads_and_writes,
    directory_rewinds_to_start,
];

fn seek_set_cur_end(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want(t.lseek(fd, 4, SEEK_SET), Ok(4));
    t.want(t.lseek(fd, 3, SEEK_CUR), Ok(7));
    t.want(t.lseek(fd, -2, SEEK_CUR), Ok(5));
    t.want(t.lseek(fd, 0, SEEK_END), Ok(10));
    t.want(t.lseek(fd, 5, SEEK_END), Ok(15));
    t.close(fd).ok();
}

fn seek_end_backwards(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want(t.lseek(fd, -3, SEEK_END), Ok(7));
    t.want(t.read(fd, 10), Ok(b"789".to_vec()));
    t.want(t.lseek(fd, -10, SEEK_END), Ok(0));
    t.close(fd).ok();
}

fn seek_before_start_is_einval(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want_errno(t.lseek(fd, -1, SEEK_SET), EINVAL);
    t.want_errno(t.lseek(fd, -11, SEEK_END), EINVAL);
    t.lseek(fd, 2, SEEK_SET).ok();
    t.want_errno(t.lseek(fd, -3, SEEK_CUR), EINVAL);
    t.want_errno(t.lseek(fd, i64::MIN, SEEK_SET), EINVAL);
    t.close(fd).ok();
}

fn failed_seek_keeps_offset(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.lseek(fd, 6, SEEK_SET).ok();
    t.lseek(fd, -100, SEEK_CUR).ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(6));
    t.want(t.read(fd, 1), Ok(b"6".to_vec()));
    t.close(fd).ok();
}

fn seek_past_end_then_read_returns_zero(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.lseek(fd, 100, SEEK_SET), Ok(100));
    t.want(t.read(fd, 10), Ok(Vec::new()));
    t.want(t.size("f"), Ok(3));
    t.close(fd).ok();
}

fn seek_past_end_then_write_leaves_hole(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.lseek(fd, 2, SEEK_END).ok();
    t.write(fd, b"!").ok();
    t.want(t.pread(fd, 10, 0), Ok(b"abc\0\0!".to_vec()));
    t.close(fd).ok();
}

fn seek_to_largest_offset(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.lseek(fd, i64::MAX, SEEK_SET), Ok(i64::MAX));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(i64::MAX));
    t.want_errno(t.read(fd, 1), EINVAL);
    t.want(t.read(fd, 0), Ok(Vec::new()));
    t.want_errno(t.write(fd, b"x"), EINVAL);
    t.close(fd).ok();
}

fn seek_cur_overflow_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.lseek(fd, 10, SEEK_SET).ok();
    t.want_errno(t.lseek(fd, i64::MAX, SEEK_CUR), EINVAL);
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(10));
    t.close(fd).ok();
}

fn seek_end_overflow_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.lseek(fd, i64::MAX, SEEK_END), EINVAL);
    t.want(t.lseek(fd, i64::MAX - 3, SEEK_END), Ok(i64::MAX));
    t.close(fd).ok();
}

fn bad_whence_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.lseek(fd, 0, 5), EINVAL);
    t.want_errno(t.lseek(fd, 0, -1), EINVAL);
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(3));
    t.close(fd).ok();
}

fn bad_descriptor_beats_bad_whence(t: &Trace) {
    t.want_errno(t.lseek(t.nth_fd(100), 0, 5), EBADF);
    t.want_errno(t.lseek(-1, -1, SEEK_SET), EBADF);
}

fn offset_follows_reads_and_writes(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(10));
    t.lseek(fd, 0, SEEK_SET).ok();
    t.read(fd, 3).ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(3));
    t.write(fd, b"ab").ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(5));
    t.close(fd).ok();
}

fn directory_rewinds_to_start(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d", O_RDONLY | O_DIRECTORY, 0));
    t.want(t.lseek(fd, 0, SEEK_SET), Ok(0));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(0));
    t.want_errno(t.lseek(fd, -1, SEEK_SET), EINVAL);
    t.close(fd).ok();
}
