//! `truncate` and `ftruncate`.

use super::prelude::*;

cases![
    ftruncate_shrinks,
    ftruncate_grows_with_zeros,
    ftruncate_keeps_offset,
    ftruncate_negative_is_einval,
    ftruncate_negative_length_beats_bad_descriptor,
    ftruncate_on_read_only_is_einval,
    ftruncate_on_directory_is_einval,
    truncate_shrinks_and_grows,
    truncate_negative_is_einval,
    truncate_negative_length_beats_missing_path,
    truncate_directory_is_eisdir,
    truncate_missing_is_enoent,
    truncate_follows_symlink,
    truncate_with_trailing_slash_is_enotdir,
    truncate_open_file_shows_through_descriptor,
];

fn ftruncate_shrinks(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.want(t.ftruncate(fd, 4), Ok(()));
    t.fstat(fd).ok();
    t.want(t.pread(fd, 20, 0), Ok(b"0123".to_vec()));
    t.close(fd).ok();
}

fn ftruncate_grows_with_zeros(t: &Trace) {
    let fd = t.create("f", b"ab");
    t.want(t.ftruncate(fd, 6), Ok(()));
    t.want(t.pread(fd, 20, 0), Ok(b"ab\0\0\0\0".to_vec()));
    t.ftruncate(fd, 0).ok();
    t.want(t.fstat(fd).map(|st| st.size), Ok(0));
    t.close(fd).ok();
}

fn ftruncate_keeps_offset(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.ftruncate(fd, 2).ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(10));
    t.write(fd, b"x").ok();
    t.want(t.pread(fd, 20, 0), Ok(b"01\0\0\0\0\0\0\0\0x".to_vec()));
    t.close(fd).ok();
}

fn ftruncate_negative_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want_errno(t.ftruncate(fd, -1), EINVAL);
    t.want_errno(t.ftruncate(fd, i64::MIN), EINVAL);
    t.want(t.size("f"), Ok(3));
    t.close(fd).ok();
}

fn ftruncate_negative_length_beats_bad_descriptor(t: &Trace) {
    t.want_errno(t.ftruncate(t.nth_fd(100), -1), EINVAL);
    t.want_errno(t.ftruncate(-1, -1), EINVAL);
}

fn ftruncate_on_read_only_is_einval(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want_errno(t.ftruncate(fd, 1), EINVAL);
    t.want(t.size("f"), Ok(3));
    t.close(fd).ok();
}

fn ftruncate_on_directory_is_einval(t: &Trace) {
    let fd = t.ok_fd(t.open(".", O_RDONLY, 0));
    t.want_errno(t.ftruncate(fd, 0), EINVAL);
    t.close(fd).ok();
}

fn truncate_shrinks_and_grows(t: &Trace) {
    t.put("f", b"0123456789");
    t.want(t.truncate("f", 3), Ok(()));
    t.want(t.content("f"), Ok(b"012".to_vec()));
    t.want(t.truncate("f", 5), Ok(()));
    t.want(t.content("f"), Ok(b"012\0\0".to_vec()));
}

fn truncate_negative_is_einval(t: &Trace) {
    t.put("f", b"abc");
    t.want_errno(t.truncate("f", -1), EINVAL);
    t.want(t.size("f"), Ok(3));
}

fn truncate_negative_length_beats_missing_path(t: &Trace) {
    t.want_errno(t.truncate("missing", -1), EINVAL);
}

fn truncate_directory_is_eisdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.truncate("d", 0), EISDIR);
    t.want_errno(t.truncate(".", 0), EISDIR);
}

fn truncate_missing_is_enoent(t: &Trace) {
    t.want_errno(t.truncate("missing", 0), ENOENT);
    t.want_errno(t.truncate("missing/f", 0), ENOENT);
}

fn truncate_follows_symlink(t: &Trace) {
    t.put("f", b"0123456789");
    t.symlink("f", "link").ok();
    t.want(t.truncate("link", 2), Ok(()));
    t.want(t.size("f"), Ok(2));
    t.lstat("link").ok();
}

fn truncate_with_trailing_slash_is_enotdir(t: &Trace) {
    t.put("f", b"abc");
    t.want_errno(t.truncate("f/", 0), ENOTDIR);
    t.want(t.size("f"), Ok(3));
}

fn truncate_open_file_shows_through_descriptor(t: &Trace) {
    let fd = t.create("f", b"0123456789");
    t.truncate("f", 4).ok();
    t.want(t.fstat(fd).map(|st| st.size), Ok(4));
    t.want(t.pread(fd, 10, 0), Ok(b"0123".to_vec()));
    t.close(fd).ok();
}
