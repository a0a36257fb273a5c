//! The umask: applied to the mode of `open(O_CREAT)` and `mkdir`, not to `chmod`.

use super::prelude::*;

cases![
    umask_returns_previous,
    applied_to_open,
    applied_to_mkdir,
    zero_umask_keeps_full_modes,
    full_umask_gives_no_permissions,
    not_applied_to_chmod,
    not_applied_to_existing_file,
    mkdir_keeps_sticky_bit,
];

fn umask_returns_previous(t: &Trace) {
    t.check(t.umask(0o077) == 0o022, "the case's umask was 022");
    t.check(t.umask(0o027) == 0o077, "umask returns the previous mask");
    t.check(t.umask(0o1777) == 0o027, "umask returns the previous mask");
    t.check(t.umask(0o022) == 0o777, "only the permission bits are kept");
}

fn applied_to_open(t: &Trace) {
    t.umask(0o077);
    let fd = t.ok_fd(t.open("f", RW_CREATE, 0o666));
    t.want(t.fstat(fd).map(|st| st.mode & 0o7777), Ok(0o600));
    t.close(fd).ok();
    t.umask(0o002);
    t.put("g", b"");
    t.want(t.stat("g").map(|st| st.mode & 0o7777), Ok(0o644));
    let fd = t.ok_fd(t.open("h", RW_CREATE, 0o777));
    t.want(t.fstat(fd).map(|st| st.mode & 0o7777), Ok(0o775));
    t.close(fd).ok();
}

fn applied_to_mkdir(t: &Trace) {
    t.umask(0o027);
    t.mkdir("d", 0o777).ok();
    t.want(t.stat("d").map(|st| st.mode & 0o7777), Ok(0o750));
}

fn zero_umask_keeps_full_modes(t: &Trace) {
    t.umask(0);
    t.mkdir("d", 0o777).ok();
    let fd = t.ok_fd(t.open("f", RW_CREATE, 0o666));
    t.want(t.stat("d").map(|st| st.mode & 0o7777), Ok(0o777));
    t.want(t.fstat(fd).map(|st| st.mode & 0o7777), Ok(0o666));
    t.close(fd).ok();
}

fn full_umask_gives_no_permissions(t: &Trace) {
    t.umask(0o777);
    let fd = t.ok_fd(t.open("f", RW_CREATE, 0o666));
    t.want(t.write(fd, b"still writable"), Ok(14));
    t.want(t.fstat(fd).map(|st| st.mode & 0o7777), Ok(0));
    t.close(fd).ok();
    t.mkdir("d", 0o777).ok();
    t.stat("d").ok();
}

fn not_applied_to_chmod(t: &Trace) {
    t.umask(0o077);
    t.put("f", b"");
    t.chmod("f", 0o666).ok();
    t.want(t.stat("f").map(|st| st.mode & 0o7777), Ok(0o666));
}

fn not_applied_to_existing_file(t: &Trace) {
    t.put("f", b"");
    t.umask(0o777);
    let fd = t.ok_fd(t.open("f", RW_CREATE, 0o600));
    t.want(t.fstat(fd).map(|st| st.mode & 0o7777), Ok(0o644));
    t.close(fd).ok();
}

fn mkdir_keeps_sticky_bit(t: &Trace) {
    t.mkdir("sticky", 0o1777).ok();
    t.want(t.stat("sticky").map(|st| st.mode & 0o7777), Ok(0o1755));
    t.mkdir("suid", 0o4777).ok();
    t.stat("suid").ok();
}
