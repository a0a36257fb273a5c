//! `F_GETFL` and `F_SETFL`: the access mode and the status flags.

use super::prelude::*;

cases![
    getfl_shows_access_mode,
    getfl_hides_open_time_flags,
    getfl_shows_append_and_nonblock,
    getfl_shows_directory_and_nofollow,
    getfl_does_not_show_close_on_exec,
    setfl_cannot_change_access_mode,
    setfl_toggles_nonblock,
    setfl_ignores_creation_flags,
    status_flags_belong_to_the_description,
];

fn getfl_shows_access_mode(t: &Trace) {
    t.put("f", b"x");
    for (mode, name) in [
        (O_RDONLY, "O_RDONLY"),
        (O_WRONLY, "O_WRONLY"),
        (O_RDWR, "O_RDWR"),
    ] {
        let fd = t.ok_fd(t.open("f", mode, 0));
        let got = t.getfl(fd);
        t.check(got == Ok(mode), name);
        t.close(fd).ok();
    }
}

fn getfl_hides_open_time_flags(t: &Trace) {
    let fd = t.ok_fd(t.open("f", RW_CREATE | O_EXCL | O_TRUNC, 0o644));
    t.want(t.getfl(fd), Ok(O_RDWR));
    t.close(fd).ok();
}

fn getfl_shows_append_and_nonblock(t: &Trace) {
    t.put("f", b"x");
    let fd = t.ok_fd(t.open("f", O_WRONLY | O_APPEND | O_NONBLOCK, 0));
    t.want(t.getfl(fd), Ok(O_WRONLY | O_APPEND | O_NONBLOCK));
    t.close(fd).ok();
}

fn getfl_shows_directory_and_nofollow(t: &Trace) {
    t.put("f", b"x");
    let file = t.ok_fd(t.open("f", O_RDONLY | O_NOFOLLOW, 0));
    t.want(t.getfl(file), Ok(O_RDONLY | O_NOFOLLOW));
    let dir = t.ok_fd(t.open(".", O_RDONLY | O_DIRECTORY, 0));
    t.want(t.getfl(dir), Ok(O_RDONLY | O_DIRECTORY));
    t.close(file).ok();
    t.close(dir).ok();
}

fn getfl_does_not_show_close_on_exec(t: &Trace) {
    t.put("f", b"x");
    let fd = t.ok_fd(t.open("f", O_RDONLY | O_CLOEXEC, 0));
    t.want(t.getfl(fd), Ok(O_RDONLY));
    t.close(fd).ok();
}

fn setfl_cannot_change_access_mode(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.setfl(fd, O_RDWR), Ok(()));
    t.want(t.getfl(fd), Ok(O_RDONLY));
    t.want_errno(t.write(fd, b"x"), EBADF);
    t.close(fd).ok();
}

fn setfl_toggles_nonblock(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.setfl(fd, O_NONBLOCK).ok();
    t.want(t.getfl(fd), Ok(O_NONBLOCK));
    t.want(t.read(fd, 10), Ok(b"abc".to_vec()));
    t.setfl(fd, 0).ok();
    t.want(t.getfl(fd), Ok(O_RDONLY));
    t.close(fd).ok();
}

fn setfl_ignores_creation_flags(t: &Trace) {
    t.put("f", b"abc");
    let fd = t.ok_fd(t.open("f", O_RDWR, 0));
    t.setfl(fd, O_CREAT | O_TRUNC | O_EXCL | O_APPEND).ok();
    t.want(t.getfl(fd), Ok(O_RDWR | O_APPEND));
    t.want(t.size("f"), Ok(3));
    t.close(fd).ok();
}

fn status_flags_belong_to_the_description(t: &Trace) {
    t.put("f", b"abc");
    let a = t.ok_fd(t.open("f", O_RDWR, 0));
    let b = t.ok_fd(t.open("f", O_RDWR, 0));
    t.setfl(a, O_APPEND).ok();
    t.want(t.getfl(b), Ok(O_RDWR));
    t.close(a).ok();
    t.close(b).ok();
}
