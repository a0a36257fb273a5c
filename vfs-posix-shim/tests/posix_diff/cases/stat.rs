//! `stat`/`lstat`/`fstat`, and the attribute changes: `chmod`, `chown`,
//! `utimensat`, plus `fsync`.

use super::prelude::*;

cases![
    fstat_follows_writes,
    types_and_modes,
    lstat_sees_the_symlink,
    dangling_symlink_stats,
    stat_missing_is_enoent,
    stat_through_file_is_enotdir,
    stat_with_trailing_slash,
    stat_empty_path_is_enoent,
    nlink_follows_links,
    directory_nlink_counts_subdirectories,
    unlinked_open_file_has_no_links,
    chmod_sets_permission_bits,
    chmod_special_bits,
    chmod_follows_symlink,
    chmod_missing_is_enoent,
    fchmod_through_read_only_descriptor,
    chown_changes_owner,
    chown_minus_one_keeps_id,
    fchown_changes_owner,
    utimensat_sets_exact_times,
    utimensat_omit_keeps_one,
    utimensat_both_omitted_skips_the_path,
    utimensat_nofollow_sets_symlink_itself,
    utimensat_invalid_nanoseconds_is_einval,
    utimensat_null_times_and_missing_path,
    fsync_and_fdatasync,
];

fn fstat_follows_writes(t: &Trace) {
    let fd = t.create("f", b"");
    for chunk in [&b"abc"[..], b"defgh", b""] {
        t.write(fd, chunk).ok();
        t.fstat(fd).ok();
    }
    t.pwrite(fd, b"z", 20).ok();
    t.want(t.fstat(fd).map(|st| st.size), Ok(21));
    t.close(fd).ok();
}

fn types_and_modes(t: &Trace) {
    t.put("f", b"x");
    t.mkdir("d", 0o755).ok();
    t.symlink("f", "link").ok();
    let file = t.stat("f");
    t.want(file.map(|st| st.mode), Ok(libc::S_IFREG | 0o644));
    t.want(t.stat("d").map(|st| st.mode), Ok(libc::S_IFDIR | 0o755));
    t.want(t.lstat("link").map(|st| st.mode), Ok(libc::S_IFLNK | 0o777));
    t.stat(".").ok();
}

fn lstat_sees_the_symlink(t: &Trace) {
    t.put("f", b"12345");
    t.symlink("f", "link").ok();
    t.want(t.stat("link").map(|st| st.size), Ok(5));
    t.want(t.lstat("link").map(|st| st.size), Ok(1));
    t.lstat("f").ok();
}

fn dangling_symlink_stats(t: &Trace) {
    t.symlink("nowhere/at/all", "link").ok();
    t.want_errno(t.stat("link"), ENOENT);
    t.want(t.lstat("link").map(|st| st.size), Ok(14));
}

fn stat_missing_is_enoent(t: &Trace) {
    t.want_errno(t.stat("missing"), ENOENT);
    t.want_errno(t.lstat("missing"), ENOENT);
    t.want_errno(t.stat("missing/x"), ENOENT);
}

fn stat_through_file_is_enotdir(t: &Trace) {
    t.put("f", b"x");
    t.want_errno(t.stat("f/x"), ENOTDIR);
    t.want_errno(t.lstat("f/x"), ENOTDIR);
}

fn stat_with_trailing_slash(t: &Trace) {
    t.put("f", b"x");
    t.mkdir("d", 0o755).ok();
    t.symlink("d", "dlink").ok();
    t.want_errno(t.stat("f/"), ENOTDIR);
    t.want_errno(t.lstat("f/"), ENOTDIR);
    t.stat("d/").ok();
    t.want(
        t.lstat("dlink/").map(|st| st.mode & libc::S_IFMT),
        Ok(libc::S_IFDIR),
    );
}

fn stat_empty_path_is_enoent(t: &Trace) {
    t.want_errno(t.stat(""), ENOENT);
    t.want_errno(t.lstat(""), ENOENT);
}

fn nlink_follows_links(t: &Trace) {
    t.put("f", b"x");
    t.want(t.stat("f").map(|st| st.nlink), Ok(1));
    t.link("f", "g").ok();
    t.link("g", "h").ok();
    t.want(t.stat("f").map(|st| st.nlink), Ok(3));
    t.unlink("g").ok();
    t.want(t.stat("h").map(|st| st.nlink), Ok(2));
}

fn directory_nlink_counts_subdirectories(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want(t.stat("d").map(|st| st.nlink), Ok(2));
    t.mkdir("d/a", 0o755).ok();
    t.mkdir("d/b", 0o755).ok();
    t.put("d/file", b"");
    t.want(t.stat("d").map(|st| st.nlink), Ok(4));
    t.rmdir("d/a").ok();
    t.want(t.stat("d").map(|st| st.nlink), Ok(3));
    t.rename("d/b", "b").ok();
    t.stat("d").ok();
    t.stat(".").ok();
}

fn unlinked_open_file_has_no_links(t: &Trace) {
    let fd = t.create("f", b"abc");
    t.unlink("f").ok();
    t.want(t.fstat(fd).map(|st| st.nlink), Ok(0));
    t.close(fd).ok();
}

fn chmod_sets_permission_bits(t: &Trace) {
    t.put("f", b"x");
    t.mkdir("d", 0o755).ok();
    t.want(t.chmod("f", 0o600), Ok(()));
    t.want(t.stat("f").map(|st| st.mode & 0o7777), Ok(0o600));
    t.chmod("d", 0o700).ok();
    t.stat("d").ok();
    t.chmod("f", 0o100644).ok();
    t.stat("f").ok();
}

fn chmod_special_bits(t: &Trace) {
    t.put("f", b"x");
    t.mkdir("d", 0o755).ok();
    t.chmod("f", 0o4755).ok();
    t.stat("f").ok();
    t.chmod("d", 0o1777).ok();
    t.stat("d").ok();
    t.chmod("f", 0o2644).ok();
    t.stat("f").ok();
}

fn chmod_follows_symlink(t: &Trace) {
    t.put("f", b"x");
    t.symlink("f", "link").ok();
    t.chmod("link", 0o640).ok();
    t.want(t.stat("f").map(|st| st.mode & 0o777), Ok(0o640));
    t.want(t.lstat("link").map(|st| st.mode & 0o777), Ok(0o777));
}

fn chmod_missing_is_enoent(t: &Trace) {
    t.want_errno(t.chmod("missing", 0o644), ENOENT);
    t.symlink("missing", "dangling").ok();
    t.want_errno(t.chmod("dangling", 0o644), ENOENT);
}

fn fchmod_through_read_only_descriptor(t: &Trace) {
    t.put("f", b"x");
    let fd = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.fchmod(fd, 0o400), Ok(()));
    t.fstat(fd).ok();
    t.close(fd).ok();
}

fn chown_changes_owner(t: &Trace) {
    t.put("f", b"x");
    let result = t.chown("f", 1234, 5678);
    t.stat("f").ok();
    t.check(
        result.is_ok() || result == Err(EPERM),
        "chown succeeds, or fails with EPERM for an unprivileged caller",
    );
}

fn chown_minus_one_keeps_id(t: &Trace) {
    t.put("f", b"x");
    t.chown("f", u32::MAX, u32::MAX).ok();
    t.chown("f", 4321, u32::MAX).ok();
    t.stat("f").ok();
    t.chown("f", u32::MAX, 8765).ok();
    t.stat("f").ok();
}

fn fchown_changes_owner(t: &Trace) {
    let fd = t.create("f", b"x");
    t.fchown(fd, 42, 43).ok();
    t.fstat(fd).ok();
    t.close(fd).ok();
}

fn utimensat_sets_exact_times(t: &Trace) {
    t.put("f", b"x");
    let times = [time(1_000_000_000, 5), time(1_234_567_890, 987_654_321)];
    t.want(t.utimensat("f", Some(times), 0), Ok(()));
    t.want(t.times("f", true), Ok(times));
    let before_epoch = [time(-100, 0), time(0, 999_999_999)];
    t.want(t.utimensat("f", Some(before_epoch), 0), Ok(()));
    t.want(t.times("f", true), Ok(before_epoch));
}

fn utimensat_omit_keeps_one(t: &Trace) {
    t.put("f", b"x");
    t.utimensat("f", Some([time(100, 1), time(200, 2)]), 0).ok();
    t.utimensat("f", Some([time(0, UTIME_OMIT), time(300, 3)]), 0)
        .ok();
    t.want(t.times("f", true), Ok([time(100, 1), time(300, 3)]));
    t.utimensat("f", Some([time(400, 4), time(0, UTIME_OMIT)]), 0)
        .ok();
    t.want(t.times("f", true), Ok([time(400, 4), time(300, 3)]));
}

fn utimensat_both_omitted_skips_the_path(t: &Trace) {
    let omit = time(0, UTIME_OMIT);
    t.want(t.utimensat("missing", Some([omit, omit]), 0), Ok(()));
}

fn utimensat_nofollow_sets_symlink_itself(t: &Trace) {
    t.put("f", b"x");
    t.symlink("f", "link").ok();
    t.utimensat("f", Some([time(10, 0), time(20, 0)]), 0).ok();
    let times = [time(30, 0), time(40, 0)];
    t.want(
        t.utimensat("link", Some(times), AT_SYMLINK_NOFOLLOW),
        Ok(()),
    );
    t.want(t.times("link", false), Ok(times));
    t.want(t.times("f", true), Ok([time(10, 0), time(20, 0)]));
}

fn utimensat_invalid_nanoseconds_is_einval(t: &Trace) {
    t.put("f", b"x");
    t.want_errno(
        t.utimensat("f", Some([time(1, 1_000_000_000), time(1, 0)]), 0),
        EINVAL,
    );
    t.want_errno(t.utimensat("f", Some([time(1, 0), time(1, -5)]), 0), EINVAL);
    t.want_errno(
        t.utimensat("f", Some([time(1, 0), time(1, 0)]), 0x4000_0000),
        EINVAL,
    );
}

fn utimensat_null_times_and_missing_path(t: &Trace) {
    t.put("f", b"x");
    t.want(t.utimensat("f", None, 0), Ok(()));
    let now = time(0, UTIME_NOW);
    t.want(t.utimensat("f", Some([now, now]), 0), Ok(()));
    t.want_errno(t.utimensat("missing", None, 0), ENOENT);
    t.want_errno(t.utimensat("missing", Some([now, now]), 0), ENOENT);
}

fn fsync_and_fdatasync(t: &Trace) {
    let fd = t.create("f", b"data");
    t.want(t.fsync(fd), Ok(()));
    t.want(t.fdatasync(fd), Ok(()));
    t.close(fd).ok();
    let reader = t.ok_fd(t.open("f", O_RDONLY, 0));
    t.want(t.fsync(reader), Ok(()));
    t.close(reader).ok();
    let dir = t.ok_fd(t.open(".", O_RDONLY | O_DIRECTORY, 0));
    t.want(t.fsync(dir), Ok(()));
    t.want(t.fdatasync(dir), Ok(()));
    t.close(dir).ok();
}
