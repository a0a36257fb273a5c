//! `readv` and `writev`: one read or write over several buffers.

use super::prelude::*;

cases![
    writev_gathers_in_order,
    readv_scatters_in_order,
    readv_short_at_end_fills_leading_buffers,
    readv_advances_offset,
    no_buffers_moves_nothing,
    empty_buffers_among_full_ones,
    too_many_buffers_is_einval,
    bad_descriptor_beats_too_many_buffers,
    access_mode_beats_too_many_buffers,
    writev_on_read_only_is_ebadf,
    readv_on_write_only_is_ebadf,
    readv_on_directory_is_eisdir,
];

/// One more buffer than `IOV_MAX`.
const TOO_MANY: usize = 1025;

fn writev_gathers_in_order(t: &Trace) {
    let fd = t.create("f", b"");
    t.want(t.writev(fd, &[b"one", b"-", b"two"]), Ok(7));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(7));
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"one-two".to_vec()));
}

fn readv_scatters_in_order(t: &Trace) {
    t.put("f", b"abcdefghij");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    let expected = vec![b"abc".to_vec(), b"d".to_vec(), b"efghij".to_vec()];
    t.want(t.readv(fd, &[3, 1, 6]), Ok(expected));
    t.close(fd).ok();
}

fn readv_short_at_end_fills_leading_buffers(t: &Trace) {
    t.put("f", b"abcde");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    let expected = vec![b"abc".to_vec(), b"de".to_vec(), Vec::new()];
    t.want(t.readv(fd, &[3, 3, 3]), Ok(expected));
    t.want(t.readv(fd, &[3, 3]), Ok(vec![Vec::new(), Vec::new()]));
    t.close(fd).ok();
}

fn readv_advances_offset(t: &Trace) {
    t.put("f", b"0123456789");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.readv(fd, &[2, 2]).ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(4));
    t.want(t.read(fd, 2), Ok(b"45".to_vec()));
    t.close(fd).ok();
}

fn no_buffers_moves_nothing(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.writev(fd, &[]), Ok(0));
    t.lseek(fd, 0, SEEK_SET).ok();
    t.want(t.readv(fd, &[]), Ok(Vec::new()));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(0));
    t.close(fd).ok();
}

fn empty_buffers_among_full_ones(t: &Trace) {
    let fd = t.create("f", b"");
    t.want(t.writev(fd, &[b"", b"ab", b"", b"c"]), Ok(3));
    t.lseek(fd, 0, SEEK_SET).ok();
    let expected = vec![Vec::new(), b"a".to_vec(), b"bc".to_vec()];
    t.want(t.readv(fd, &[0, 1, 5]), Ok(expected));
    t.close(fd).ok();
}

fn too_many_buffers_is_einval(t: &Trace) {
    let fd = t.create("f", b"abc");
    let parts: Vec<&[u8]> = vec![b"x"; TOO_MANY];
    t.want_errno(t.writev(fd, &parts), EINVAL);
    t.want_errno(t.readv(fd, &[1; TOO_MANY]), EINVAL);
    let parts: Vec<&[u8]> = vec![b"x"; TOO_MANY - 1];
    t.want(t.writev(fd, &parts), Ok(TOO_MANY - 1));
    t.fstat(fd).ok();
    t.close(fd).ok();
}

fn bad_descriptor_beats_too_many_buffers(t: &Trace) {
    let bad = t.nth_fd(100);
    let parts: Vec<&[u8]> = vec![b"x"; TOO_MANY];
    t.want_errno(t.writev(bad, &parts), EBADF);
    t.want_errno(t.readv(bad, &[1; TOO_MANY]), EBADF);
}

fn access_mode_beats_too_many_buffers(t: &Trace) {
    t.put("f", b"abc");
    let reader = t.ok_fd(t.open("f", O_RDONLY, 0));
    let writer = t.ok_fd(t.open("f", O_WRONLY, 0));
    let parts: Vec<&[u8]> = vec![b"x"; TOO_MANY];
    t.want_errno(t.writev(reader, &parts), EBADF);
    t.want_errno(t.readv(writer, &[1; TOO_MANY]), EBADF);
    t.close(reader).ok();
    t.close(writer).ok();
}

fn writev_on_read_only_is_ebadf(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want_errno(t.writev(fd, &[b"x", b"y"]), EBADF);
    t.close(fd).ok();
}

fn readv_on_write_only_is_ebadf(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.want_errno(t.readv(fd, &[1, 2]), EBADF);
    t.close(fd).ok();
}

fn readv_on_directory_is_eisdir(t: &Trace) {
    let fd = t.ok_fd(t.open(".", O_RDONLY, 0));
    t.want_errno(t.readv(fd, &[4, 4]), EISDIR);
    t.close(fd).ok();
}
