//! `read` and `write` at the file offset: data, offsets, holes, access modes.

use super::prelude::*;

cases![
    write_then_read_back,
    read_at_end_returns_zero,
    read_stops_at_end_of_file,
    zero_length_read_and_write,
    sequential_writes_advance_offset,
    overwrite_in_the_middle,
    write_past_end_leaves_zeroed_hole,
    large_write_round_trips,
    read_on_write_only_is_ebadf,
    write_on_read_only_is_ebadf,
    zero_length_io_still_checks_access_mode,
    read_on_directory_is_eisdir,
    write_on_directory_descriptor_is_ebadf,
    separate_opens_have_separate_offsets,
    unlinked_open_file_stays_usable,
    o_sync_and_o_dsync_writes,
];

fn write_then_read_back(t: &Trace) {
    let fd = t.create("f", b"hello, world");
    t.want(t.lseek(fd, 0, SEEK_SET), Ok(0));
    t.want(t.read(fd, 5), Ok(b"hello".to_vec()));
    t.want(t.read(fd, 100), Ok(b", world".to_vec()));
    t.close(fd).ok();
}

fn read_at_end_returns_zero(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.read(fd, 10), Ok(Vec::new()));
    t.want(t.read(fd, 10), Ok(Vec::new()));
    t.close(fd).ok();
}

fn read_stops_at_end_of_file(t: &Trace) {
    t.put("f", b"0123456789");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.read(fd, 4), Ok(b"0123".to_vec()));
    t.want(t.read(fd, 4), Ok(b"4567".to_vec()));
    t.want(t.read(fd, 4), Ok(b"89".to_vec()));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(10));
    t.close(fd).ok();
}

fn zero_length_read_and_write(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.want(t.write(fd, b""), Ok(0));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(3));
    t.lseek(fd, 0, SEEK_SET).ok();
    t.want(t.read(fd, 0), Ok(Vec::new()));
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(0));
    t.want(t.size("f"), Ok(3));
    t.close(fd).ok();
}

fn sequential_writes_advance_offset(t: &Trace) {
    let fd = t.create("f", b"");
    for chunk in [&b"one "[..], b"two ", b"three"] {
        t.write(fd, chunk).ok();
        t.lseek(fd, 0, SEEK_CUR).ok();
    }
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"one two three".to_vec()));
}

fn overwrite_in_the_middle(t: &Trace) {
    let fd = t.create("f", b"aaaaaaaaaa");
    t.lseek(fd, 3, SEEK_SET).ok();
    t.write(fd, b"XYZ").ok();
    t.want(t.lseek(fd, 0, SEEK_CUR), Ok(6));
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"aaaXYZaaaa".to_vec()));
    t.want(t.size("f"), Ok(10));
}

fn write_past_end_leaves_zeroed_hole(t: &Trace) {
    let fd = t.create("f", b"ab");
    t.lseek(fd, 6, SEEK_SET).ok();
    t.write(fd, b"cd").ok();
    t.fstat(fd).ok();
    t.lseek(fd, 0, SEEK_SET).ok();
    t.want(t.read(fd, 20), Ok(b"ab\0\0\0\0cd".to_vec()));
    t.close(fd).ok();
}

fn large_write_round_trips(t: &Trace) {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let fd = t.create("f", &data);
    t.fstat(fd).ok();
    t.lseek(fd, 0, SEEK_SET).ok();
    let mut back = Vec::new();
    while let Ok(chunk) = t.read(fd, 65_536) {
        if chunk.is_empty() {
            break;
        }
        back.extend_from_slice(&chunk);
    }
    t.check(back == data, "the data read back is the data written");
    t.close(fd).ok();
}

fn read_on_write_only_is_ebadf(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.want_errno(t.read(fd, 3), EBADF);
    t.close(fd).ok();
}

fn write_on_read_only_is_ebadf(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want_errno(t.write(fd, b"x"), EBADF);
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"abc".to_vec()));
}

fn zero_length_io_still_checks_access_mode(t: &Trace) {
    t.put("f", b"abc");
    let reader = t.ok_fd(t.open("f", O_RDONLY, 0));
    let writer = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.want_errno(t.write(reader, b""), EBADF);
    t.want_errno(t.read(writer, 0), EBADF);
    t.close(reader).ok();
    t.close(writer).ok();
}

fn read_on_directory_is_eisdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d", O_RDONLY, 0));
    t.want_errno(t.read(fd, 10), EISDIR);
    t.want_errno(t.read(fd, 0), EISDIR);
    t.close(fd).ok();
    let dir = t.ok_fd(t.open("d", O_RDONLY | O_DIRECTORY, 0));
    t.want_errno(t.read(dir, 10), EISDIR);
    t.close(dir).ok();
}

fn write_on_directory_descriptor_is_ebadf(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d", O_RDONLY, 0));
    t.want_errno(t.write(fd, b"x"), EBADF);
    t.close(fd).ok();
}

fn separate_opens_have_separate_offsets(t: &Trace) {
    t.put("f", b"0123456789");
    let a = t.ok_fd(t.open("f", O_RDWR, 0));
    let b = t.ok_fd(t.open("f", O_RDWR, 0));
    t.want(t.read(a, 4), Ok(b"0123".to_vec()));
    t.want(t.read(b, 2), Ok(b"01".to_vec()));
    t.write(b, b"AB").ok();
    t.want(t.read(a, 4), Ok(b"4567".to_vec()));
    t.want(t.lseek(b, 0, SEEK_CUR), Ok(4));
    t.close(a).ok();
    t.close(b).ok();
    t.want(t.content("f"), Ok(b"01AB456789".to_vec()));
}

fn unlinked_open_file_stays_usable(t: &Trace) {
    let fd = t.create("f", b"before");
    t.unlink("f").ok();
    t.want_errno(t.stat("f"), ENOENT);
    t.write(fd, b" after").ok();
    t.fstat(fd).ok();
    t.want(t.pread(fd, 100, 0), Ok(b"before after".to_vec()));
    t.close(fd).ok();
}

fn o_sync_and_o_dsync_writes(t: &Trace) {
    let sync = t.ok_fd(t.open("s", RW_CREATE | O_SYNC, 0o644));
    t.want(t.write(sync, b"durable"), Ok(7));
    let dsync = t.ok_fd(t.open("d", RW_CREATE | O_DSYNC, 0o644));
    t.want(t.write(dsync, b"data"), Ok(4));
    t.getfl(sync).ok();
    t.getfl(dsync).ok();
    t.close(sync).ok();
    t.close(dsync).ok();
    t.want(t.content("s"), Ok(b"durable".to_vec()));
}
