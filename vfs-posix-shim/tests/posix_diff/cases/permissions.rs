//! Permission checks, which depend on who runs the tests: the shim process takes
//! the test process's identity, so for root and for an ordinary user alike the
//! kernel's answer is the one to match. `cargo test` as root runs every case
//! twice: as root, and as an ordinary user in a child process
//! (`shim_matches_kernel_as_ordinary_user`).

use super::prelude::*;

cases![
    open_for_reading_needs_read_permission,
    open_for_writing_needs_write_permission,
    truncate_needs_write_permission,
    create_needs_write_permission_on_directory,
    unlink_needs_write_permission_on_directory,
    lookup_needs_search_permission,
    listing_needs_read_permission,
    chmod_by_owner,
    existing_names_reported_before_missing_write_permission,
    removal_needs_write_permission_before_type_checks,
    search_permission_through_symlinks,
    rename_of_directory_to_new_parent_needs_write_on_it,
    rename_into_own_subtree_before_permissions,
    writes_drop_set_id_bits,
    set_id_bits_given_after_open_drop_at_the_next_write,
    truncation_drops_set_id_bits,
    chown_rules,
    chown_drops_set_id_bits,
    times_of_own_read_only_file,
    changes_to_a_node_of_root,
    access_follows_the_mode,
];

/// The effective ids of the test process, which both sides run as.
fn ids() -> (u32, u32) {
    // SAFETY: plain getters.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

fn mode(t: &Trace, path: &str) -> SysResult<u32> {
    t.stat(path).map(|st| st.mode & 0o7777)
}

fn open_for_reading_needs_read_permission(t: &Trace) {
    t.put("f", b"secret");
    t.chmod("f", 0o200).ok();
    if let Ok(fd) = t.open("f", O_RDONLY, 0) {
        t.read(fd, 10).ok();
        t.close(fd).ok();
    }
    t.open("f", O_WRONLY, 0).ok();
}

fn open_for_writing_needs_write_permission(t: &Trace) {
    t.put("f", b"data");
    t.chmod("f", 0o444).ok();
    t.open("f", O_WRONLY, 0).ok();
    t.open("f", O_RDWR, 0).ok();
    t.open("f", O_RDONLY | O_TRUNC, 0).ok();
    t.want(t.open("f", O_RDONLY, 0).map(drop), Ok(()));
}

fn truncate_needs_write_permission(t: &Trace) {
    t.put("f", b"data");
    t.chmod("f", 0o444).ok();
    t.truncate("f", 1).ok();
    t.size("f").ok();
}

fn create_needs_write_permission_on_directory(t: &Trace) {
    t.mkdir("d", 0o555).ok();
    t.open("d/f", RW_CREATE, 0o644).ok();
    t.mkdir("d/sub", 0o755).ok();
    t.symlink("x", "d/link").ok();
    t.chmod("d", 0o755).ok();
}

fn unlink_needs_write_permission_on_directory(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/f", b"");
    t.chmod("d", 0o555).ok();
    t.unlink("d/f").ok();
    t.rename("d/f", "moved").ok();
    t.chmod("d", 0o755).ok();
}

fn lookup_needs_search_permission(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/f", b"");
    t.chmod("d", 0o600).ok();
    t.stat("d/f").ok();
    t.open("d/f", O_RDONLY, 0).ok();
    t.mkdir("d/sub", 0o755).ok();
    t.chmod("d", 0o755).ok();
}

fn listing_needs_read_permission(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.chmod("d", 0o311).ok();
    t.list_path("d").ok();
    t.chmod("d", 0o755).ok();
}

fn chmod_by_owner(t: &Trace) {
    t.put("f", b"");
    t.want(t.chmod("f", 0o600), Ok(()));
    t.want(t.stat("f").map(|st| st.mode & 0o7777), Ok(0o600));
}

fn existing_names_reported_before_missing_write_permission(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/f", b"");
    t.mkdir("d/sub", 0o755).ok();
    t.chmod("d", 0o555).ok();
    t.want_errno(t.mkdir("d/sub", 0o755), EEXIST);
    t.mkdir("d/new", 0o755).ok();
    t.want_errno(t.symlink("x", "d/f"), EEXIST);
    t.symlink("x", "d/l").ok();
    t.want_errno(t.open("d/f", RW_CREATE | O_EXCL, 0o644), EEXIST);
    let fd = t.ok_fd(t.open("d/f", RW_CREATE, 0o644));
    t.close(fd).ok();
    t.open("d/g", RW_CREATE, 0o644).ok();
    t.want_errno(t.link("d/f", "d/sub"), EEXIST);
    t.link("d/f", "d/f2").ok();
    t.chmod("d", 0o755).ok();
}

fn removal_needs_write_permission_before_type_checks(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/f", b"");
    t.mkdir("d/sub", 0o755).ok();
    t.chmod("d", 0o555).ok();
    t.want_errno(t.unlink("d/missing"), ENOENT);
    t.unlink("d/f/").ok();
    t.unlink("d/sub/").ok();
    t.unlink("d/sub").ok();
    t.rmdir("d/f").ok();
    t.want_errno(t.rmdir("d/missing"), ENOENT);
    t.rename("d/f", "d/g").ok();
    t.rename("d/sub", "sub").ok();
    t.want_errno(t.rename("d/missing", "x"), ENOENT);
    t.chmod("d", 0o755).ok();
    t.mkdir("sticky", 0o1777).ok();
    t.put("sticky/mine", b"");
    t.want(t.unlink("sticky/mine"), Ok(()));
}

fn search_permission_through_symlinks(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/f", b"x");
    t.symlink("d/f", "l").ok();
    t.symlink("d", "ld").ok();
    t.chmod("d", 0o600).ok();
    t.stat("l").ok();
    t.want(t.lstat("l").map(drop), Ok(()));
    t.want(t.readlink("l").map(drop), Ok(()));
    t.stat("d/.").ok();
    t.stat("ld/").ok();
    t.stat("ld/f").ok();
    t.want(t.stat("d").map(drop), Ok(()));
    t.open("l", O_RDONLY, 0).ok();
    t.list_path("d").ok();
    if t.chdir("d").is_ok() {
        t.chdir("..").ok();
    }
    t.chmod("d", 0o755).ok();
}

fn rename_of_directory_to_new_parent_needs_write_on_it(t: &Trace) {
    t.mkdir("a", 0o755).ok();
    t.mkdir("b", 0o755).ok();
    t.mkdir("a/d", 0o755).ok();
    t.put("a/f", b"");
    t.chmod("a/d", 0o555).ok();
    t.chmod("a/f", 0o444).ok();
    t.want(t.rename("a/d", "a/e"), Ok(()));
    t.rename("a/e", "b/d").ok();
    t.want(t.rename("a/f", "b/f"), Ok(()));
    t.want(t.rename("b/f", "a/f"), Ok(()));
    t.chmod("a/e", 0o755).ok();
    t.chmod("b/d", 0o755).ok();
}

fn rename_into_own_subtree_before_permissions(t: &Trace) {
    t.mkdir("a", 0o755).ok();
    t.mkdir("a/b", 0o755).ok();
    t.mkdir("a/b/c", 0o755).ok();
    t.chmod("a/b", 0o555).ok();
    t.rename("a", "a/b/x").ok();
    t.rename("a", "a/b/c").ok();
    t.rename("a/b", "a/b/c/x").ok();
    t.rename("a/b/c", "a").ok();
    t.chmod("a/b", 0o755).ok();
    t.chmod("a", 0o555).ok();
    t.rename("a/b/c", "a").ok();
    t.rename("a", "a/b/x").ok();
    t.rename("a/b", "a/b/c/x").ok();
    t.chmod("a", 0o755).ok();
}

fn writes_drop_set_id_bits(t: &Trace) {
    for set in [0o4755, 0o2775, 0o2745, 0o6711] {
        t.put("f", b"x");
        t.want(t.chmod("f", set), Ok(()));
        let fd = t.ok_fd(t.open("f", O_WRONLY, 0));
        t.write(fd, b"y").ok();
        mode(t, "f").ok();
        t.write(fd, b"z").ok();
        t.close(fd).ok();
        t.want(t.unlink("f"), Ok(()));
    }
    t.put("f", b"x");
    t.want(t.chmod("f", 0o4755), Ok(()));
    let fd = t.ok_fd(t.open("f", O_WRONLY | O_APPEND, 0));
    t.write(fd, b"y").ok();
    mode(t, "f").ok();
    t.want(t.fchmod(fd, 0o4755), Ok(()));
    t.write(fd, b"z").ok();
    mode(t, "f").ok();
    t.close(fd).ok();
}

/// A set-ID bit given by path while the file is open for writing goes at the
/// next write through that descriptor (by anyone but root), as on Linux, whose
/// `file_remove_privs` looks at the inode's mode on every write.
fn set_id_bits_given_after_open_drop_at_the_next_write(t: &Trace) {
    t.put("f", b"x");
    let fd = t.ok_fd(t.open("f", O_WRONLY, 0));
    t.write(fd, b"y").ok();
    t.want(t.chmod("f", 0o4755), Ok(()));
    t.write(fd, b"z").ok();
    mode(t, "f").ok();
    t.want(t.chmod("f", 0o2775), Ok(()));
    t.write(fd, b"w").ok();
    mode(t, "f").ok();
    t.close(fd).ok();
}

fn truncation_drops_set_id_bits(t: &Trace) {
    t.put("f", b"data");
    t.want(t.chmod("f", 0o6755), Ok(()));
    t.truncate("f", 1).ok();
    mode(t, "f").ok();
    t.want(t.chmod("f", 0o4755), Ok(()));
    let fd = t.ok_fd(t.open("f", O_WRONLY | O_TRUNC, 0));
    mode(t, "f").ok();
    t.want(t.fchmod(fd, 0o4755), Ok(()));
    t.ftruncate(fd, 3).ok();
    mode(t, "f").ok();
    t.close(fd).ok();
}

fn chown_rules(t: &Trace) {
    let (uid, gid) = ids();
    t.put("f", b"");
    t.want(t.chown("f", uid, u32::MAX), Ok(()));
    t.want(t.chown("f", u32::MAX, gid), Ok(()));
    t.chown("f", 4242, u32::MAX).ok();
    t.chown("f", u32::MAX, 4243).ok();
    t.stat("f").ok();
}

fn chown_drops_set_id_bits(t: &Trace) {
    let (_, gid) = ids();
    for set in [0o6755, 0o2745, 0o4700] {
        t.put("f", b"");
        t.mkdir("d", 0o755).ok();
        t.want(t.chmod("f", set), Ok(()));
        t.want(t.chmod("d", set), Ok(()));
        t.want(t.chown("f", u32::MAX, gid), Ok(()));
        t.want(t.chown("d", u32::MAX, gid), Ok(()));
        mode(t, "f").ok();
        mode(t, "d").ok();
        // Changing neither id still drops them from a non-directory (Linux's
        // chown_common asks ATTR_KILL_SUID | ATTR_KILL_SGID whatever the ids).
        t.want(t.chmod("f", set), Ok(()));
        t.want(t.chmod("d", set), Ok(()));
        t.want(t.chown("f", u32::MAX, u32::MAX), Ok(()));
        t.want(t.chown("d", u32::MAX, u32::MAX), Ok(()));
        mode(t, "f").ok();
        mode(t, "d").ok();
        t.want(t.chmod("f", set), Ok(()));
        let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
        t.want(t.fchown(fd, u32::MAX, u32::MAX), Ok(()));
        mode(t, "f").ok();
        t.close(fd).ok();
        t.want(t.unlink("f"), Ok(()));
        t.want(t.rmdir("d"), Ok(()));
    }
}

fn times_of_own_read_only_file(t: &Trace) {
    t.put("f", b"");
    t.chmod("f", 0o444).ok();
    t.want(t.utimensat("f", None, 0), Ok(()));
    let set = [time(1_000_000_000, 5), time(1_000_000_001, 7)];
    t.want(t.utimensat("f", Some(set), 0), Ok(()));
    t.times("f", true).ok();
}

/// Calls refused to anyone but the owner or root, on `/` (owned by root on both
/// sides, whose modes differ: 755 on the host, 1777 on `ram://`); as root the
/// case changes nothing outside its scratch directory.
fn changes_to_a_node_of_root(t: &Trace) {
    if ids().0 == 0 {
        return;
    }
    t.utimensat("/", Some([time(0, UTIME_NOW), time(0, UTIME_OMIT)]), 0)
        .ok();
    t.utimensat("/", Some([time(1, 0), time(1, 0)]), 0).ok();
    t.chmod("/", 0o755).ok();
    t.chown("/", u32::MAX, ids().1).ok();
    t.open("/", O_RDONLY | libc::O_NOATIME, 0).ok();
    t.open("/", O_RDONLY | O_DIRECTORY, 0)
        .map(|fd| t.close(fd))
        .ok();
    t.mkdir("/no-such-dir/y", 0o755).ok();
}

fn access_follows_the_mode(t: &Trace) {
    t.put("f", b"");
    for set in [0o444, 0o222, 0o111, 0o000, 0o700] {
        t.chmod("f", set).ok();
        for how in [R_OK, W_OK, X_OK, R_OK | W_OK] {
            t.access("f", how).ok();
        }
    }
    t.chmod("f", 0o644).ok();
}
