//! Name operations through relative paths: `mkdir`, `rmdir`, `unlink`, `rename`,
//! `link`, `symlink`, `readlink`.

use super::prelude::*;

cases![
    mkdir_makes_directory,
    mkdir_existing_is_eexist,
    mkdir_missing_parent_is_enoent,
    mkdir_through_file_is_enotdir,
    mkdir_with_trailing_slash,
    mkdir_on_dangling_symlink_is_eexist,
    mkdir_dot_or_dotdot_is_eexist,
    rmdir_removes_empty_directory,
    rmdir_non_empty_is_enotempty,
    rmdir_file_is_enotdir,
    rmdir_dot_is_einval,
    rmdir_dotdot_is_enotempty,
    rmdir_missing_is_enoent,
    rmdir_symlink_to_directory_is_enotdir,
    unlink_removes_file,
    unlink_directory_is_eisdir,
    unlink_missing_is_enoent,
    unlink_with_trailing_slash_is_enotdir,
    unlink_symlink_removes_only_the_link,
    rename_file,
    rename_over_existing_file,
    rename_directory_over_empty_directory,
    rename_directory_over_non_empty_is_enotempty,
    rename_file_over_directory_is_eisdir,
    rename_directory_over_file_is_enotdir,
    rename_into_own_subtree_is_einval,
    rename_missing_is_enoent,
    rename_hard_links_of_one_file_is_noop,
    rename_dot_is_ebusy,
    rename_with_trailing_slash,
    rename_keeps_open_descriptor_working,
    link_adds_a_name,
    link_existing_name_is_eexist,
    link_directory_is_eperm,
    link_missing_is_enoent,
    link_to_symlink_links_the_symlink,
    symlink_and_readlink,
    symlink_existing_name_is_eexist,
    symlink_empty_target_is_enoent,
    readlink_on_non_symlink_is_einval,
    readlink_missing_is_enoent,
    symlink_resolves_relative_to_its_directory,
];

fn mkdir_makes_directory(t: &Trace) {
    t.want(t.mkdir("d", 0o755), Ok(()));
    t.want(t.mkdir("d/e", 0o700), Ok(()));
    t.stat("d").ok();
    t.stat("d/e").ok();
}

fn mkdir_existing_is_eexist(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("f", b"");
    t.want_errno(t.mkdir("d", 0o755), EEXIST);
    t.want_errno(t.mkdir("f", 0o755), EEXIST);
}

fn mkdir_missing_parent_is_enoent(t: &Trace) {
    t.want_errno(t.mkdir("missing/d", 0o755), ENOENT);
    t.want_errno(t.mkdir("", 0o755), ENOENT);
}

fn mkdir_through_file_is_enotdir(t: &Trace) {
    t.put("f", b"");
    t.want_errno(t.mkdir("f/d", 0o755), ENOTDIR);
}

fn mkdir_with_trailing_slash(t: &Trace) {
    t.want(t.mkdir("d/", 0o755), Ok(()));
    t.want(t.mkdir("e//", 0o755), Ok(()));
    t.stat("d").ok();
    t.stat("e").ok();
}

fn mkdir_on_dangling_symlink_is_eexist(t: &Trace) {
    t.symlink("target", "link").ok();
    t.want_errno(t.mkdir("link", 0o755), EEXIST);
    t.want_errno(t.stat("target"), ENOENT);
}

fn mkdir_dot_or_dotdot_is_eexist(t: &Trace) {
    t.want_errno(t.mkdir(".", 0o755), EEXIST);
    t.want_errno(t.mkdir("..", 0o755), EEXIST);
}

fn rmdir_removes_empty_directory(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want(t.rmdir("d"), Ok(()));
    t.want_errno(t.stat("d"), ENOENT);
    t.mkdir("e", 0o755).ok();
    t.want(t.rmdir("e/"), Ok(()));
}

fn rmdir_non_empty_is_enotempty(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/f", b"");
    t.want_errno(t.rmdir("d"), ENOTEMPTY);
    t.unlink("d/f").ok();
    t.mkdir("d/sub", 0o755).ok();
    t.want_errno(t.rmdir("d"), ENOTEMPTY);
}

fn rmdir_file_is_enotdir(t: &Trace) {
    t.put("f", b"");
    t.want_errno(t.rmdir("f"), ENOTDIR);
    t.want_errno(t.rmdir("f/"), ENOTDIR);
}

fn rmdir_dot_is_einval(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.rmdir("."), EINVAL);
    t.want_errno(t.rmdir("d/."), EINVAL);
}

fn rmdir_dotdot_is_enotempty(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.rmdir("d/.."), ENOTEMPTY);
}

fn rmdir_missing_is_enoent(t: &Trace) {
    t.want_errno(t.rmdir("missing"), ENOENT);
    t.want_errno(t.rmdir(""), ENOENT);
}

fn rmdir_symlink_to_directory_is_enotdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.symlink("d", "link").ok();
    t.want_errno(t.rmdir("link"), ENOTDIR);
    t.stat("d").ok();
}

fn unlink_removes_file(t: &Trace) {
    t.put("f", b"");
    t.want(t.unlink("f"), Ok(()));
    t.want_errno(t.stat("f"), ENOENT);
}

fn unlink_directory_is_eisdir(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.unlink("d"), EISDIR);
    t.want_errno(t.unlink("."), EISDIR);
}

fn unlink_missing_is_enoent(t: &Trace) {
    t.want_errno(t.unlink("missing"), ENOENT);
    t.want_errno(t.unlink("missing/f"), ENOENT);
}

fn unlink_with_trailing_slash_is_enotdir(t: &Trace) {
    t.put("f", b"");
    t.want_errno(t.unlink("f/"), ENOTDIR);
    t.stat("f").ok();
}

fn unlink_symlink_removes_only_the_link(t: &Trace) {
    t.put("f", b"data");
    t.symlink("f", "link").ok();
    t.want(t.unlink("link"), Ok(()));
    t.want(t.content("f"), Ok(b"data".to_vec()));
}

fn rename_file(t: &Trace) {
    t.put("a", b"data");
    t.mkdir("d", 0o755).ok();
    t.want(t.rename("a", "d/b"), Ok(()));
    t.want_errno(t.stat("a"), ENOENT);
    t.want(t.content("d/b"), Ok(b"data".to_vec()));
}

fn rename_over_existing_file(t: &Trace) {
    t.put("a", b"new");
    t.put("b", b"old");
    t.want(t.rename("a", "b"), Ok(()));
    t.want(t.content("b"), Ok(b"new".to_vec()));
    t.want_errno(t.stat("a"), ENOENT);
}

fn rename_directory_over_empty_directory(t: &Trace) {
    t.mkdir("a", 0o755).ok();
    t.put("a/f", b"");
    t.mkdir("b", 0o755).ok();
    t.want(t.rename("a", "b"), Ok(()));
    t.stat("b/f").ok();
    t.want_errno(t.stat("a"), ENOENT);
}

fn rename_directory_over_non_empty_is_enotempty(t: &Trace) {
    t.mkdir("a", 0o755).ok();
    t.mkdir("b", 0o755).ok();
    t.put("b/f", b"");
    t.want_errno(t.rename("a", "b"), ENOTEMPTY);
}

fn rename_file_over_directory_is_eisdir(t: &Trace) {
    t.put("f", b"");
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.rename("f", "d"), EISDIR);
}

fn rename_directory_over_file_is_enotdir(t: &Trace) {
    t.put("f", b"");
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.rename("d", "f"), ENOTDIR);
}

fn rename_into_own_subtree_is_einval(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.mkdir("d/sub", 0o755).ok();
    t.want_errno(t.rename("d", "d/sub/d"), EINVAL);
    t.want_errno(t.rename("d", "d/x"), EINVAL);
}

fn rename_missing_is_enoent(t: &Trace) {
    t.want_errno(t.rename("missing", "x"), ENOENT);
    t.put("f", b"");
    t.want_errno(t.rename("f", "missing/x"), ENOENT);
}

fn rename_hard_links_of_one_file_is_noop(t: &Trace) {
    t.put("a", b"data");
    t.link("a", "b").ok();
    t.want(t.rename("a", "b"), Ok(()));
    t.want(t.stat("a").map(|st| st.nlink), Ok(2));
    t.stat("b").ok();
}

fn rename_dot_is_ebusy(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.rename(".", "x"), EBUSY);
    t.want_errno(t.rename("d", "."), EBUSY);
    t.want_errno(t.rename("d/.", "x"), EBUSY);
}

fn rename_with_trailing_slash(t: &Trace) {
    t.put("f", b"");
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.rename("f/", "g"), ENOTDIR);
    t.want_errno(t.rename("f", "g/"), ENOTDIR);
    t.want(t.rename("d/", "e/"), Ok(()));
    t.stat("e").ok();
}

fn rename_keeps_open_descriptor_working(t: &Trace) {
    let fd = t.create("a", b"abc");
    t.rename("a", "b").ok();
    t.write(fd, b"def").ok();
    t.close(fd).ok();
    t.want(t.content("b"), Ok(b"abcdef".to_vec()));
}

fn link_adds_a_name(t: &Trace) {
    t.put("f", b"shared");
    t.want(t.link("f", "g"), Ok(()));
    t.want(t.content("g"), Ok(b"shared".to_vec()));
    t.want(t.stat("g").map(|st| st.nlink), Ok(2));
    t.unlink("f").ok();
    t.want(t.content("g"), Ok(b"shared".to_vec()));
}

fn link_existing_name_is_eexist(t: &Trace) {
    t.put("f", b"");
    t.put("g", b"");
    t.want_errno(t.link("f", "g"), EEXIST);
    t.want_errno(t.link("f", "f"), EEXIST);
}

fn link_directory_is_eperm(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.link("d", "e"), EPERM);
}

fn link_missing_is_enoent(t: &Trace) {
    t.want_errno(t.link("missing", "x"), ENOENT);
    t.put("f", b"");
    t.want_errno(t.link("f", "missing/x"), ENOENT);
}

fn link_to_symlink_links_the_symlink(t: &Trace) {
    t.put("f", b"");
    t.symlink("f", "link").ok();
    t.want(t.link("link", "hard"), Ok(()));
    t.want(t.readlink("hard"), Ok(b"f".to_vec()));
    t.want(t.lstat("link").map(|st| st.nlink), Ok(2));
}

fn symlink_and_readlink(t: &Trace) {
    t.want(t.symlink("some/where/../else", "link"), Ok(()));
    t.want(t.readlink("link"), Ok(b"some/where/../else".to_vec()));
    t.symlink("/absolute/target", "abs").ok();
    t.want(t.readlink("abs"), Ok(b"/absolute/target".to_vec()));
}

fn symlink_existing_name_is_eexist(t: &Trace) {
    t.put("f", b"");
    t.symlink("x", "link").ok();
    t.want_errno(t.symlink("x", "f"), EEXIST);
    t.want_errno(t.symlink("y", "link"), EEXIST);
}

fn symlink_empty_target_is_enoent(t: &Trace) {
    t.want_errno(t.symlink("", "link"), ENOENT);
}

fn readlink_on_non_symlink_is_einval(t: &Trace) {
    t.put("f", b"");
    t.mkdir("d", 0o755).ok();
    t.want_errno(t.readlink("f"), EINVAL);
    t.want_errno(t.readlink("d"), EINVAL);
}

fn readlink_missing_is_enoent(t: &Trace) {
    t.want_errno(t.readlink("missing"), ENOENT);
}

fn symlink_resolves_relative_to_its_directory(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.put("d/target", b"in d");
    t.put("target", b"in scratch");
    t.symlink("target", "d/link").ok();
    t.want(t.content("d/link"), Ok(b"in d".to_vec()));
    t.symlink("../target", "d/up").ok();
    t.want(t.content("d/up"), Ok(b"in scratch".to_vec()));
}
