//! `O_APPEND`: every write lands at the end, whatever the offset says.

use super::prelude::*;

cases![
    writes_land_at_end,
    seek_does_not_escape_append,
    offset_after_append_is_end_of_file,
    pwrite_appends_on_linux,
    pwrite_with_append_keeps_offset,
    reads_use_the_offset,
    append_and_plain_descriptors_interleave,
    append_after_truncate_lands_at_new_end,
    append_on_read_only_write_is_ebadf,
    setfl_clears_append,
    setfl_sets_append,
    writev_appends_in_one_piece,
];

const APPEND_RW: i32 = O_RDWR | O_APPEND;

fn writes_land_at_end(t: &Trace) {
    t.put("f", b"start");
    let fd = t.ok_fd(t.open("f", O_WRONLY | O_APPEND, 0));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(0));
    t.write(fd, b"-1").ok();
    t.write(fd, b"-2").ok();
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"start-1-2".to_vec()));
}

fn seek_does_not_escape_append(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", APPEND_RW, 0));
    t.lseek(fd, 1, SEEK_SET).ok();
    t.write(fd, b"Z").ok();
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"abcZ".to_vec()));
}

fn offset_after_append_is_end_of_file(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", APPEND_RW, 0));
    t.write(fd, b"de").ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(5));
    t.close(fd).ok();
}

fn pwrite_appends_on_linux(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", APPEND_RW, 0));
    t.want(t.pwrite(fd, b"XY", 0), Ok(2));
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"abcXY".to_vec()));
}

fn pwrite_with_append_keeps_offset(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", APPEND_RW, 0));
    t.lseek(fd, 1, SEEK_SET).ok();
    t.pwrite(fd, b"!", 0).ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(1));
    t.want_errno(t.pwrite(fd, b"!", -1), EINVAL);
    t.close(fd).ok();
}

fn reads_use_the_offset(t: &Trace) {
    t.put("f", b"abcdef");
    let fd = t.ok_fd(t.open("f", APPEND_RW, 0));
    t.want(t.read(fd, 2), Ok(b"ab".to_vec()));
    t.write(fd, b"G").ok();
    t.lseek(fd, 2, SEEK_SET).ok();
    t.want(t.read(fd, 10), Ok(b"cdefG".to_vec()));
    t.close(fd).ok();
}

fn append_and_plain_descriptors_interleave(t: &Trace) {
    t.put("f", b"");
    let appender = t.ok_fd(t.open("f", O_WRONLY | O_APPEND, 0));
    let plain = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.write(appender, b"aaaa").ok();
    t.write(plain, b"bb").ok();
    t.write(appender, b"cc").ok();
    t.write(plain, b"dd").ok();
    t.close(appender).ok();
    t.close(plain).ok();
    t.want(t.content("f"), Ok(b"bbddcc".to_vec()));
}

fn append_after_truncate_lands_at_new_end(t: &Trace) {
    t.put("f", b"0123456789");
    let fd = t.ok_fd(t.open("f", APPEND_RW, 0));
    t.ftruncate(fd, 4).ok();
    t.write(fd, b"x").ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(5));
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"0123x".to_vec()));
}

fn append_on_read_only_write_is_ebadf(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY | O_APPEND, 0));
    t.want_errno(t.write(fd, b"x"), EBADF);
    t.want(t.read(fd, 10), Ok(b"abc".to_vec()));
    t.close(fd).ok();
}

fn setfl_clears_append(t: &Trace) {
    t.put("f", b"abcdef");
    let fd = t.ok_fd(t.open("f", APPEND_RW, 0));
    t.want(t.setfl(fd, O_RDWR), Ok(()));
    t.getfl(fd).ok();
    t.lseek(fd, 1, SEEK_SET).ok();
    t.write(fd, b"X").ok();
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"aXcdef".to_vec()));
}

fn setfl_sets_append(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDWR, 0));
    t.want(t.setfl(fd, O_APPEND), Ok(()));
    t.getfl(fd).ok();
    t.lseek(fd, 0, SEEK_SET).ok();
    t.write(fd, b"d").ok();
    t.pwrite(fd, b"e", 0).ok();
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"abcde".to_vec()));
}

fn writev_appends_in_one_piece(t: &Trace) {
    t.put("f", b"<");
    let fd = t.ok_fd(t.open("f", O_WRONLY | O_APPEND, 0));
    t.lseek(fd, 0, SEEK_SET).ok();
    t.want(t.writev(fd, &[b"a", b"b", b"c"]), Ok(3));
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"<abc".to_vec()));
}
