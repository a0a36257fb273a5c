//! The working directory: `chdir`, `fchdir`, `getcwd`, relative paths.

use super::prelude::*;

cases![
    getcwd_starts_in_scratch,
    chdir_relative_and_back,
    relative_paths_follow_chdir,
    fchdir_to_open_directory,
    fchdir_to_directory_stream,
    fchdir_on_file_is_enotdir,
    chdir_on_file_is_enotdir,
    chdir_missing_or_empty_is_enoent,
    chdir_through_symlink_reports_real_path,
    getcwd_after_rmdir_is_enoent,
    removed_cwd_refuses_new_entries,
    removed_cwd_still_stats,
    dotdot_of_removed_cwd,
    renamed_cwd_reports_new_name,
];

fn getcwd_starts_in_scratch(t: &Trace) {
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
}

fn chdir_relative_and_back(t: &Trace) {
    t.mkdir("a", 0o755).ok();
    t.mkdir("a/b", 0o755).ok();
    t.want(t.chdir("a/b"), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH/a/b".into()));
    t.want(t.chdir(".."), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH/a".into()));
    t.want(t.chdir("./b/../.."), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
}

fn relative_paths_follow_chdir(t: &Trace) {
    t.mkdir("sub", 0o755).ok();
    t.chdir("sub").ok();
    t.put("f", b"in sub");
    t.mkdir("inner", 0o700).ok();
    t.chdir("..").ok();
    t.want(t.content("sub/f"), Ok(b"in sub".to_vec()));
    t.stat("sub/inner").ok();
    t.chdir("sub/inner").ok();
    t.want(t.content("../f"), Ok(b"in sub".to_vec()));
    t.rename("../f", "moved").ok();
    t.link("moved", "../again").ok();
    t.symlink("../again", "rel").ok();
    t.want(t.content("rel"), Ok(b"in sub".to_vec()));
    t.unlink("../again").ok();
    t.want_errno(t.content("rel"), ENOENT);
}

fn fchdir_to_open_directory(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let fd = t.ok_fd(t.open("d", O_RDONLY | O_DIRECTORY, 0));
    t.want(t.fchdir(fd), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH/d".into()));
    t.put("here", b"");
    t.stat("../d/here").ok();
    t.close(fd).ok();
}

fn fchdir_to_directory_stream(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    let dir = t.ok_fd(t.opendir("d"));
    t.want(t.fchdir(dir), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH/d".into()));
    t.closedir(dir).ok();
}

fn fchdir_on_file_is_enotdir(t: &Trace) {
    let fd = t.create("f", b"");
    t.want_errno(t.fchdir(fd), ENOTDIR);
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
    t.close(fd).ok();
}

fn chdir_on_file_is_enotdir(t: &Trace) {
    t.put("f", b"");
    t.want_errno(t.chdir("f"), ENOTDIR);
    t.want_errno(t.chdir("f/x"), ENOTDIR);
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
}

fn chdir_missing_or_empty_is_enoent(t: &Trace) {
    t.want_errno(t.chdir("missing"), ENOENT);
    t.want_errno(t.chdir(""), ENOENT);
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
}

fn chdir_through_symlink_reports_real_path(t: &Trace) {
    t.mkdir("real", 0o755).ok();
    t.symlink("real", "link").ok();
    t.want(t.chdir("link"), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH/real".into()));
    t.chdir("..").ok();
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
}

fn getcwd_after_rmdir_is_enoent(t: &Trace) {
    let home = t.ok_fd(t.open(".", O_RDONLY | O_DIRECTORY, 0));
    t.mkdir("d", 0o755).ok();
    t.chdir("d").ok();
    t.want(t.rmdir("../d"), Ok(()));
    t.want_errno(t.getcwd(), ENOENT);
    t.want(t.fchdir(home), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
    t.close(home).ok();
}

fn removed_cwd_refuses_new_entries(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.chdir("d").ok();
    t.rmdir("../d").ok();
    t.want_errno(t.open("f", RW_CREATE, 0o644), ENOENT);
    t.want_errno(t.mkdir("sub", 0o755), ENOENT);
    t.want_errno(t.symlink("x", "link"), ENOENT);
}

fn removed_cwd_still_stats(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.chdir("d").ok();
    t.rmdir("../d").ok();
    t.want(t.stat(".").map(|st| st.nlink), Ok(0));
    t.want_errno(t.stat("missing"), ENOENT);
    t.want(t.list_path("."), Ok(Vec::new()));
}

fn dotdot_of_removed_cwd(t: &Trace) {
    t.mkdir("d", 0o755).ok();
    t.chdir("d").ok();
    t.rmdir("../d").ok();
    t.want(
        t.stat("..").map(|st| st.mode & libc::S_IFMT),
        Ok(libc::S_IFDIR),
    );
    t.want(t.chdir(".."), Ok(()));
    t.want(t.getcwd(), Ok("$SCRATCH".into()));
}

fn renamed_cwd_reports_new_name(t: &Trace) {
    t.mkdir("old", 0o755).ok();
    t.chdir("old").ok();
    t.rename("../old", "../new").ok();
    t.want(t.getcwd(), Ok("$SCRATCH/new".into()));
}
