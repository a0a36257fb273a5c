//! Permission checks, which depend on who runs the tests: the shim process takes
//! the test process's identity, so for root and for an ordinary user alike the
//! kernel's answer is the one to match.

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
];

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
