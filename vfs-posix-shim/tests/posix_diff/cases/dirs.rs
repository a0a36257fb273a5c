//! Directory streams: `opendir`, `readdir`, `rewinddir`, `closedir`.

use super::prelude::*;

cases![
    empty_directory_lists_dots,
    lists_entries_with_types,
    end_of_stream_stays_ended,
    rewinddir_restarts,
    rewinddir_shows_new_entries,
    removed_entries_gone_after_rewind,
    many_entries_listed_once,
    opendir_on_file_is_enotdir,
    opendir_missing_is_enoent,
    opendir_takes_lowest_descriptor,
    opendir_through_symlink,
    removed_directory_lists_nothing,
    subdirectory_relative_listing,
];

/// A listing as [`Trace::list`] shows it: sorted.
fn names(names: &[&str]) -> SysResult<Vec<String>> {
    let mut names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
    names.sort();
    Ok(names)
}

fn empty_directory_lists_dots(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want(t.list_path("d"), names(&["./", "../"]));
    t.want(t.list_path("."), names(&["./", "../", "d/"]));
}

fn lists_entries_with_types(t: &Trace) {
    t.put("file", b"x");
    t.mkdir("dir", 0o755).ok();
    t.symlink("file", "link").ok();
    t.symlink("nowhere", "dangling").ok();
    t.want(
        t.list_path("."),
        names(&["./", "../", "dangling@", "dir/", "file", "link@"]),
    );
}

fn end_of_stream_stays_ended(t: &Trace) {
    t.put("f", b"");
    let dir = t.ok_fd(t.opendir("."));
    t.list(dir).ok();
    t.want(t.readdir(dir), Ok(None));
    t.want(t.readdir(dir), Ok(None));
    t.closedir(dir).ok();
}

fn rewinddir_restarts(t: &Trace) {
    for name in ["a", "b", "c"] {
        t.put(name, b"");
    }
    let dir = t.ok_fd(t.opendir("."));
    let first = t.list(dir);
    t.want(t.rewinddir(dir), Ok(()));
    let second = t.list(dir);
    t.check(first == second && first.is_ok(), "the same listing twice");
    t.closedir(dir).ok();
}

fn rewinddir_shows_new_entries(t: &Trace) {
    t.put("old", b"");
    let dir = t.ok_fd(t.opendir("."));
    t.list(dir).ok();
    t.put("new", b"");
    t.rewinddir(dir).ok();
    let listed = t.list(dir);
    t.check(
        listed.is_ok_and(|names| names.contains(&"new".to_string())),
        "the new entry listed after rewinddir",
    );
    t.closedir(dir).ok();
}

fn removed_entries_gone_after_rewind(t: &Trace) {
    t.put("stay", b"");
    t.put("go", b"");
    let dir = t.ok_fd(t.opendir("."));
    t.list(dir).ok();
    t.unlink("go").ok();
    t.rewinddir(dir).ok();
    t.want(t.list(dir), names(&["./", "../", "stay"]));
    t.closedir(dir).ok();
}

fn many_entries_listed_once(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    for i in 0..300 {
        t.put(&format!("d/entry-{i:03}"), b"");
    }
    let listed = t.list_path("d");
    t.check(
        listed.is_ok_and(|names| names.len() == 302),
        "300 entries and the dots, each once",
    );
}

fn opendir_on_file_is_enotdir(t: &Trace) {
    t.put("f", b"");
    t.want_errno(t.opendir("f"), ENOTDIR);
    t.want_errno(t.opendir("f/"), ENOTDIR);
}

fn opendir_missing_is_enoent(t: &Trace) {
    t.want_errno(t.opendir("missing"), ENOENT);
    t.want_errno(t.opendir(""), ENOENT);
}

fn opendir_takes_lowest_descriptor(t: &Trace) {
    let fd = t.create("f", b"");
    t.want(t.opendir("."), Ok(t.nth_fd(1)));
    t.close(fd).ok();
    t.want(t.opendir("."), Ok(t.nth_fd(0)));
}

fn opendir_through_symlink(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/inside", b"");
    t.symlink("d", "link").ok();
    t.want(t.list_path("link"), names(&["./", "../", "inside"]));
}

fn removed_directory_lists_nothing(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let dir = t.ok_fd(t.opendir("d"));
    t.rmdir("d").ok();
    t.want(t.readdir(dir), Ok(None));
    t.closedir(dir).ok();
}

fn subdirectory_relative_listing(t: &Trace) {
    t.mkdir("a", 0o755).ok();
    t.mkdir("a/b", 0o755).ok();
    t.put("a/b/c", b"");
    t.want(t.list_path("a/b/../b"), names(&["./", "../", "c"]));
}
