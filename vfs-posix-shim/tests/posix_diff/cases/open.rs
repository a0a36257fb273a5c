//! `open`: flags, the errno when several checks fail, lowest free descriptor.

use super::prelude::*;

cases![
    missing_is_enoent,
    creat_makes_a_file_with_masked_mode,
    creat_in_missing_dir_is_enoent,
    through_a_file_is_enotdir,
    dotdot_after_a_file_is_enotdir,
    missing_component_before_dotdot_is_enoent,
    excl_on_existing_file_is_eexist,
    excl_on_existing_dir_is_eexist,
    excl_on_dangling_symlink_is_eexist,
    creat_through_dangling_symlink_makes_target,
    excl_without_creat_is_ignored,
    creat_on_existing_keeps_data,
    creat_on_dir_is_eisdir,
    creat_on_dot_is_eisdir,
    creat_with_trailing_slash_is_eisdir,
    dir_for_writing_is_eisdir,
    dir_with_trunc_is_eisdir,
    dir_read_only_opens,
    dir_with_trailing_slash_opens,
    file_with_trailing_slash_is_enotdir,
    o_directory_on_file_is_enotdir,
    o_directory_on_missing_is_enoent,
    o_directory_through_symlink_to_dir,
    nofollow_on_symlink_is_eloop,
    nofollow_creat_on_symlink_is_eloop,
    nofollow_on_regular_file_opens,
    symlink_loop_is_eloop,
    empty_path_is_enoent,
    name_too_long,
    trunc_read_only_still_truncates,
    trunc_write_only_truncates,
    creat_with_mode_zero_still_gives_descriptor,
    lowest_free_descriptor_first,
    emfile_at_descriptor_limit,
];

fn missing_is_enoent(t: &Trace) {
    t.want_errno(t.open("missing", O_RDONLY, 0), ENOENT);
    t.want_errno(t.open("missing", O_RDWR, 0), ENOENT);
}

fn creat_makes_a_file_with_masked_mode(t: &Trace) {
    let fd = t.ok_fd(t.open("f", O_WRONLY | O_CREAT, 0o666));
    t.want(t.fstat(fd).map(|st| st.mode & 0o7777), Ok(0o644));
    t.close(fd).ok();
    t.stat("f").ok();
}

fn creat_in_missing_dir_is_enoent(t: &Trace) {
    t.want_errno(t.open("missing/f", RW_CREATE, 0o644), ENOENT);
}

fn through_a_file_is_enotdir(t: &Trace) {
    t.put("f", b"x");
    t.want_errno(t.open("f/g", O_RDONLY, 0), ENOTDIR);
    t.want_errno(t.open("f/g", RW_CREATE, 0o644), ENOTDIR);
}

fn dotdot_after_a_file_is_enotdir(t: &Trace) {
    t.put("f", b"x");
    t.want_errno(t.open("f/..", O_RDONLY, 0), ENOTDIR);
    t.want_errno(t.open("f/.", O_RDONLY, 0), ENOTDIR);
}

fn missing_component_before_dotdot_is_enoent(t: &Trace) {
    t.put("f", b"x");
    t.want_errno(t.open("missing/../f", O_RDONLY, 0), ENOENT);
}

fn excl_on_existing_file_is_eexist(t: &Trace) {
    t.put("f", b"data");
    t.want_errno(t.open("f", RW_CREATE | O_EXCL, 0o644), EEXIST);
    t.want(t.content("f"), Ok(b"data".to_vec()));
}

fn excl_on_existing_dir_is_eexist(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.open("d", O_RDONLY | O_CREAT | O_EXCL, 0o644), EEXIST);
}

fn excl_on_dangling_symlink_is_eexist(t: &Trace) {
    t.symlink("target", "link").ok();
    t.want_errno(t.open("link", RW_CREATE | O_EXCL, 0o644), EEXIST);
    t.want_errno(t.stat("target"), ENOENT);
}

fn creat_through_dangling_symlink_makes_target(t: &Trace) {
    t.symlink("target", "link").ok();
    let fd = t.ok_fd(t.open("link", RW_CREATE, 0o600));
    t.write(fd, b"via link").ok();
    t.close(fd).ok();
    t.want(t.content("target"), Ok(b"via link".to_vec()));
    t.lstat("link").ok();
}

fn excl_without_creat_is_ignored(t: &Trace) {
    t.put("f", b"x");
    let fd = t.ok_fd(t.open("f", O_RDONLY | O_EXCL, 0));
    t.close(fd).ok();
}

fn creat_on_existing_keeps_data(t: &Trace) {
    t.put("f", b"keep");
    let fd = t.ok_fd(t.open("f", RW_CREATE, 0o600));
    t.want(t.read(fd, 10), Ok(b"keep".to_vec()));
    t.want(t.fstat(fd).map(|st| st.mode & 0o777), Ok(0o644));
    t.close(fd).ok();
}

fn creat_on_dir_is_eisdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.open("d", O_RDONLY | O_CREAT, 0o644), EISDIR);
    t.want_errno(t.open("d", RW_CREATE, 0o644), EISDIR);
}

fn creat_on_dot_is_eisdir(t: &Trace) {
    t.want_errno(t.open(".", O_RDONLY | O_CREAT, 0o644), EISDIR);
    t.want_errno(t.open("..", O_RDONLY | O_CREAT, 0o644), EISDIR);
}

fn creat_with_trailing_slash_is_eisdir(t: &Trace) {
    t.want_errno(t.open("new/", RW_CREATE, 0o644), EISDIR);
    t.want_errno(t.open("new/", RW_CREATE | O_EXCL, 0o644), EISDIR);
    t.want_errno(t.stat("new"), ENOENT);
}

fn dir_for_writing_is_eisdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.open("d", O_WRONLY, 0), EISDIR);
    t.want_errno(t.open("d", O_RDWR, 0), EISDIR);
    t.want_errno(t.open(".", O_RDWR, 0), EISDIR);
}

fn dir_with_trunc_is_eisdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.open("d", O_RDONLY | O_TRUNC, 0), EISDIR);
}

fn dir_read_only_opens(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d", O_RDONLY, 0));
    t.fstat(fd).ok();
    t.close(fd).ok();
    let dot = t.ok_fd(t.open(".", O_RDONLY, 0));
    t.close(dot).ok();
}

fn dir_with_trailing_slash_opens(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d/", O_RDONLY, 0));
    t.close(fd).ok();
    let fd = t.ok_fd(t.open("d//", O_RDONLY | O_DIRECTORY, 0));
    t.close(fd).ok();
}

fn file_with_trailing_slash_is_enotdir(t: &Trace) {
    t.put("f", b"x");
    t.want_errno(t.open("f/", O_RDONLY, 0), ENOTDIR);
    t.want_errno(t.open("f/", RW_CREATE, 0o644), EISDIR);
}

fn o_directory_on_file_is_enotdir(t: &Trace) {
    t.put("f", b"x");
    t.want_errno(t.open("f", O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
}

fn o_directory_on_missing_is_enoent(t: &Trace) {
    t.want_errno(t.open("missing", O_RDONLY | O_DIRECTORY, 0), ENOENT);
}

fn o_directory_through_symlink_to_dir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.symlink("d", "link").ok();
    let fd = t.ok_fd(t.open("link", O_RDONLY | O_DIRECTORY, 0));
    t.close(fd).ok();
    t.want_errno(
        t.open("link", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0),
        ENOTDIR,
    );
}

fn nofollow_on_symlink_is_eloop(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.symlink("d", "dlink").ok();
    t.want_errno(t.open("dlink", O_RDONLY | O_NOFOLLOW, 0), ELOOP);
    t.put("f", b"x");
    t.symlink("f", "link").ok();
    t.want_errno(t.open("link", O_RDONLY | O_NOFOLLOW, 0), ELOOP);
    t.symlink("missing", "dangling").ok();
    t.want_errno(t.open("dangling", O_RDONLY | O_NOFOLLOW, 0), ELOOP);
}

fn nofollow_creat_on_symlink_is_eloop(t: &Trace) {
    t.symlink("target", "link").ok();
    t.want_errno(t.open("link", RW_CREATE | O_NOFOLLOW, 0o644), ELOOP);
    t.want_errno(t.stat("target"), ENOENT);
}

fn nofollow_on_regular_file_opens(t: &Trace) {
    t.put("f", b"x");
    let fd = t.ok_fd(t.open("f", O_RDONLY | O_NOFOLLOW, 0));
    t.close(fd).ok();
}

fn symlink_loop_is_eloop(t: &Trace) {
    t.symlink("b", "a").ok();
    t.symlink("a", "b").ok();
    t.symlink("self", "self").ok();
    t.want_errno(t.open("a", O_RDONLY, 0), ELOOP);
    t.want_errno(t.open("self", RW_CREATE, 0o644), ELOOP);
    t.want_errno(t.open("a/x", O_RDONLY, 0), ELOOP);
}

fn empty_path_is_enoent(t: &Trace) {
    t.want_errno(t.open("", O_RDONLY, 0), ENOENT);
    t.want_errno(t.open("", RW_CREATE, 0o644), ENOENT);
}

fn name_too_long(t: &Trace) {
    let longest = vec![b'n'; 255];
    let fd = t.ok_fd(t.open_bytes(&longest, RW_CREATE, 0o644));
    t.close(fd).ok();
    let too_long = vec![b'n'; 256];
    t.want_errno(t.open_bytes(&too_long, RW_CREATE, 0o644), ENAMETOOLONG);
    t.want_errno(t.open_bytes(&too_long, O_RDONLY, 0), ENAMETOOLONG);
}

fn trunc_read_only_still_truncates(t: &Trace) {
    t.put("f", b"data");
    let fd = t.ok_fd(t.open("f", O_RDONLY | O_TRUNC, 0));
    t.want(t.read(fd, 10), Ok(Vec::new()));
    t.close(fd).ok();
    t.want(t.size("f"), Ok(0));
}

fn trunc_write_only_truncates(t: &Trace) {
    t.put("f", b"data");
    let fd = t.ok_fd(t.open("f", O_WRONLY | O_TRUNC, 0));
    t.write(fd, b"z").ok();
    t.close(fd).ok();
    t.want(t.content("f"), Ok(b"z".to_vec()));
}

fn creat_with_mode_zero_still_gives_descriptor(t: &Trace) {
    let fd = t.ok_fd(t.open("f", RW_CREATE | O_EXCL, 0));
    t.want(t.write(fd, b"mine"), Ok(4));
    t.want(t.pread(fd, 4, 0), Ok(b"mine".to_vec()));
    t.fstat(fd).ok();
    t.close(fd).ok();
}

fn lowest_free_descriptor_first(t: &Trace) {
    t.put("f", b"x");
    let fds: Vec<i32> = (0..4).map(|_| t.ok_fd(t.open("f", O_RDONLY, 0))).collect();
    t.want(Ok(fds.clone()), Ok((0..4).map(|k| t.nth_fd(k)).collect()));
    t.close(fds[1]).ok();
    t.close(fds[2]).ok();
    t.want(t.open("f", O_RDONLY, 0), Ok(fds[1]));
    t.want(t.open("f", O_RDONLY, 0), Ok(fds[2]));
    t.want(t.open("f", O_RDONLY, 0), Ok(t.nth_fd(4)));
}

fn emfile_at_descriptor_limit(t: &Trace) {
    t.put("f", b"x");
    t.set_fd_limit(3);
    let fds: Vec<i32> = (0..3).map(|_| t.ok_fd(t.open("f", O_RDONLY, 0))).collect();
    t.want_errno(t.open("f", O_RDONLY, 0), EMFILE);
    t.want_errno(t.open("missing", O_RDONLY, 0), EMFILE);
    t.want_errno(t.dup(fds[0]), EMFILE);
    t.want_errno(t.dupfd(fds[0], t.nth_fd(0), false), EMFILE);
    t.want_errno(t.dup2(fds[0], t.nth_fd(3)), EBADF);
    t.want_errno(t.dupfd(fds[0], t.nth_fd(3), false), EINVAL);
    t.close(fds[1]).ok();
    t.want(t.open("f", O_RDONLY, 0), Ok(fds[1]));
}
