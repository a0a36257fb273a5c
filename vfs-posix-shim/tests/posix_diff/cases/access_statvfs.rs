//! `access` and `statvfs`/`fstatvfs`.

use super::prelude::*;

cases![
    access_existing,
    access_missing_is_enoent,
    access_through_file_is_enotdir,
    access_dangling_symlink_is_enoent,
    access_invalid_mode_is_einval,
    access_follows_permission_bits,
    statvfs_basics,
    statvfs_missing_is_enoent,
    fstatvfs_basics,
];

fn access_existing(t: &Trace) {
    t.put("f", b"");
    t.mkdir("d", 0o755).ok();
    t.want(t.access("f", F_OK), Ok(()));
    t.want(t.access("d", F_OK), Ok(()));
    t.want(t.access("d", R_OK | W_OK | X_OK), Ok(()));
    t.want(t.access("f", R_OK | W_OK), Ok(()));
}

fn access_missing_is_enoent(t: &Trace) {
    t.want_errno(t.access("missing", F_OK), ENOENT);
    t.want_errno(t.access("missing", R_OK), ENOENT);
}

fn access_through_file_is_enotdir(t: &Trace) {
    t.put("f", b"");
    t.want_errno(t.access("f/x", F_OK), ENOTDIR);
}

fn access_dangling_symlink_is_enoent(t: &Trace) {
    t.symlink("missing", "link").ok();
    t.want_errno(t.access("link", F_OK), ENOENT);
}

fn access_invalid_mode_is_einval(t: &Trace) {
    t.put("f", b"");
    t.want_errno(t.access("f", 8), EINVAL);
    t.want_errno(t.access("missing", 0x10), EINVAL);
}

/// What is allowed depends on who runs the tests (the shim process takes the test
/// process's identity), so only the kernel's answer is the expectation.
fn access_follows_permission_bits(t: &Trace) {
    for (name, mode) in [("none", 0o000), ("ro", 0o444), ("x", 0o100), ("rw", 0o600)] {
        t.put(name, b"");
        t.chmod(name, mode).ok();
        for mask in [R_OK, W_OK, X_OK, R_OK | W_OK | X_OK] {
            t.access(name, mask).ok();
        }
    }
}

fn statvfs_basics(t: &Trace) {
    t.put("f", b"");
    let stats = t.statvfs(".");
    t.check(
        stats.is_ok_and(|st| st.name_max == 255 && st.block_size > 0),
        "a name_max of 255 and a block size",
    );
    t.statvfs("f").ok();
}

fn statvfs_missing_is_enoent(t: &Trace) {
    t.want_errno(t.statvfs("missing"), ENOENT);
    t.put("f", b"");
    t.want_errno(t.statvfs("f/x"), ENOTDIR);
}

fn fstatvfs_basics(t: &Trace) {
    let fd = t.create("f", b"");
    t.check(
        t.fstatvfs(fd).is_ok_and(|st| st.name_max == 255),
        "a name_max of 255",
    );
    t.close(fd).ok();
}
