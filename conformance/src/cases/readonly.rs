//! Cases of the `readonly` area: on a read-only file system holding the
//! [fixture](crate::fixture), every change fails with `EROFS` — except where Linux
//! finds another error first, which these cases pin down — and nothing changes.
//!
//! They run on a target without `write` (in its fixture directory), and on a
//! writable target through mount control: the runner mounts a fresh file system,
//! builds the fixture in it and makes it read-only (`mount -o remount,ro` for the
//! kernel), so the kernel is the oracle here too.

use crate::case::{needs, Case, CaseResult};
use crate::ctx::{read_all, Ctx};
use crate::fixture::{self, FixtureKind};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{AccessMask, Errno, OpenFlags, SetTime, Timespec};

pub(super) fn cases() -> Vec<Case> {
    area_cases![ReadOnly;
        needs::NOTHING => reads_and_listings_still_work,
        needs::NOTHING => create_is_erofs,
        needs::NOTHING => create_of_existing_without_excl_opens_it,
        needs::NOTHING => existing_name_is_eexist_before_erofs,
        needs::NOTHING => open_for_writing_is_erofs,
        needs::NOTHING => open_with_truncate_is_erofs,
        needs::NOTHING => open_directory_for_writing_is_eisdir_before_erofs,
        needs::NOTHING => write_through_read_handle_is_ebadf,
        needs::NOTHING => mkdir_is_erofs,
        needs::NOTHING => mknod_is_erofs_after_type_and_name_checks,
        needs::NOTHING => rmdir_is_erofs,
        needs::NOTHING => unlink_is_erofs,
        needs::NOTHING => rename_is_erofs,
        needs::NOTHING => symlink_is_erofs,
        needs::NOTHING => link_is_erofs,
        needs::NOTHING => chmod_is_erofs,
        needs::NOTHING => chown_is_erofs,
        needs::NOTHING => utimens_is_erofs,
        needs::NOTHING => truncate_is_erofs,
        needs::NOTHING => truncate_of_directory_is_eisdir_before_erofs,
        needs::NOTHING => access_for_writing_is_erofs,
        needs::NOTHING => tree_is_intact_after_refused_changes,
    ]
    .into_iter()
    .map(Case::on_read_only_fixture)
    .collect()
}

fn reads_and_listings_still_work(ctx: &Ctx) -> CaseResult {
    ensure_eq!(
        check!(ctx.read_file("hello.txt")),
        b"hello, world\n".to_vec()
    );
    ensure_eq!(check!(ctx.names("dir")), vec!["a.txt", "b.txt", "sub"]);
    let mut file = check!(ctx.open("dir/sub/deep.txt", OpenFlags::RDONLY, 0));
    ensure_eq!(check!(read_all(file.as_mut())), b"deep down\n".to_vec());
    check!(file.close());
    Ok(())
}

/// Creating a missing name, with any access mode, `O_EXCL` or not.
fn create_is_erofs(ctx: &Ctx) -> CaseResult {
    for flags in [
        OpenFlags::WRONLY | OpenFlags::CREATE,
        OpenFlags::RDWR | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
        OpenFlags::RDONLY | OpenFlags::CREATE,
        OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE,
    ] {
        expect_errno!(ctx.open("new-file", flags, 0o644), Errno::EROFS);
    }
    expect_errno!(
        ctx.open("dir/sub/new", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
        Errno::EROFS
    );
    expect_errno!(
        ctx.open(
            "empty-dir/new",
            OpenFlags::RDONLY | OpenFlags::CREATE,
            0o644
        ),
        Errno::EROFS
    );
    ensure!(
        !ctx.exists("new-file"),
        "new-file exists after a refused create"
    );
    Ok(())
}

/// `O_CREAT` without `O_EXCL` on an existing file only opens it: read-only, that
/// succeeds (Linux drops the create when the name exists).
fn create_of_existing_without_excl_opens_it(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("hello.txt", OpenFlags::RDONLY | OpenFlags::CREATE, 0o644));
    ensure_eq!(check!(read_all(file.as_mut())), b"hello, world\n".to_vec());
    check!(file.close());
    expect_errno!(
        ctx.open("hello.txt", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
        Errno::EROFS
    );
    Ok(())
}

/// Creating over an existing name is `EEXIST` first: Linux looks the name up before
/// it asks the mount for write access.
fn existing_name_is_eexist_before_erofs(ctx: &Ctx) -> CaseResult {
    let excl = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    expect_errno!(ctx.open("hello.txt", excl, 0o644), Errno::EEXIST);
    expect_errno!(ctx.open("dir", excl, 0o644), Errno::EEXIST);
    expect_errno!(ctx.mkdir("dir", 0o755), Errno::EEXIST);
    expect_errno!(ctx.mkdir("hello.txt", 0o755), Errno::EEXIST);
    expect_errno!(ctx.symlink("x", "hello.txt"), Errno::EEXIST);
    expect_errno!(ctx.link("hello.txt", "dir/a.txt"), Errno::EEXIST);
    Ok(())
}

/// Opening an existing file for writing: `O_WRONLY`, `O_RDWR`, `O_APPEND`, and
/// through a symlink.
fn open_for_writing_is_erofs(ctx: &Ctx) -> CaseResult {
    for path in ["hello.txt", "empty", "big.bin", "hard/one"] {
        for flags in [
            OpenFlags::WRONLY,
            OpenFlags::RDWR,
            OpenFlags::WRONLY | OpenFlags::APPEND,
        ] {
            expect_errno!(ctx.open(path, flags, 0), Errno::EROFS);
        }
    }
    if ctx.caps().symlinks {
        expect_errno!(ctx.open("links/to-hello", OpenFlags::RDWR, 0), Errno::EROFS);
    }
    Ok(())
}

/// `O_TRUNC` on an existing file, even with `O_RDONLY` (and even when it is empty).
fn open_with_truncate_is_erofs(ctx: &Ctx) -> CaseResult {
    for path in ["hello.txt", "empty"] {
        for flags in [
            OpenFlags::RDONLY | OpenFlags::TRUNCATE,
            OpenFlags::WRONLY | OpenFlags::TRUNCATE,
            OpenFlags::RDWR | OpenFlags::CREATE | OpenFlags::TRUNCATE,
        ] {
            expect_errno!(ctx.open(path, flags, 0o644), Errno::EROFS);
        }
    }
    ensure_eq!(check!(ctx.stat("hello.txt")).size, 13);
    Ok(())
}

/// Linux checks that the node is a directory before the mount: `EISDIR`.
fn open_directory_for_writing_is_eisdir_before_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.open("dir", OpenFlags::WRONLY, 0), Errno::EISDIR);
    expect_errno!(ctx.open("empty-dir", OpenFlags::RDWR, 0), Errno::EISDIR);
    expect_errno!(
        ctx.open("dir", OpenFlags::RDONLY | OpenFlags::CREATE, 0o644),
        Errno::EISDIR
    );
    Ok(())
}

/// A handle opened for reading refuses writes, appends and truncation.
fn write_through_read_handle_is_ebadf(ctx: &Ctx) -> CaseResult {
    let mut file = check!(ctx.open("hello.txt", OpenFlags::RDONLY, 0));
    expect_errno!(file.pwrite(b"x", 0), Errno::EBADF);
    expect_errno!(file.pwrite(b"x", 100), Errno::EBADF);
    check!(file.close());
    ensure_eq!(
        check!(ctx.read_file("hello.txt")),
        b"hello, world\n".to_vec()
    );
    Ok(())
}

fn mkdir_is_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.mkdir("new-dir", 0o755), Errno::EROFS);
    expect_errno!(ctx.mkdir("dir/sub/deeper/new", 0o755), Errno::EROFS);
    expect_errno!(ctx.mkdir("empty-dir/new/", 0o755), Errno::EROFS);
    Ok(())
}

/// `mknod` of any type on a new name is `EROFS`; but the type is judged before
/// anything (`EPERM` for a directory, `EINVAL` for no type), and an existing name
/// (`EEXIST`) or a trailing slash on a new one (`ENOENT`) is found before the mount
/// is asked for write access (Linux's `filename_create`).
fn mknod_is_erofs_after_type_and_name_checks(ctx: &Ctx) -> CaseResult {
    for mode in [0o010644, 0o140644, 0o020644, 0o060644, 0o100644, 0o644] {
        expect_errno!(ctx.mknod("new-node", mode, 0x103), Errno::EROFS);
        expect_errno!(ctx.mknod("dir/sub/new-node", mode, 0x103), Errno::EROFS);
        expect_errno!(ctx.mknod("hello.txt", mode, 0x103), Errno::EEXIST);
        expect_errno!(ctx.mknod("empty-dir/new/", mode, 0x103), Errno::ENOENT);
    }
    expect_errno!(ctx.mknod("new-node", 0o040755, 0), Errno::EPERM);
    expect_errno!(ctx.mknod("new-node", 0o170644, 0), Errno::EINVAL);
    ensure!(
        !ctx.exists("new-node"),
        "new-node exists after a refused mknod"
    );
    Ok(())
}

/// `rmdir` of an empty, a full and a missing directory: Linux asks the mount for
/// write access before it looks the name up.
fn rmdir_is_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.rmdir("empty-dir"), Errno::EROFS);
    expect_errno!(ctx.rmdir("dir/sub/deeper"), Errno::EROFS);
    expect_errno!(ctx.rmdir("dir"), Errno::EROFS);
    expect_errno!(ctx.rmdir("no-such"), Errno::EROFS);
    Ok(())
}

/// `unlink` of files, a hard link, a symlink, and a missing name.
fn unlink_is_erofs(ctx: &Ctx) -> CaseResult {
    for path in [
        "hello.txt",
        "empty",
        "dir/sub/deep.txt",
        "hard/one",
        "no-such",
    ] {
        expect_errno!(ctx.unlink(path), Errno::EROFS);
    }
    if ctx.caps().hard_links {
        expect_errno!(ctx.unlink("hard/two"), Errno::EROFS);
    }
    if ctx.caps().symlinks {
        expect_errno!(ctx.unlink("links/to-hello"), Errno::EROFS);
        expect_errno!(ctx.unlink("links/dangling"), Errno::EROFS);
    }
    Ok(())
}

/// `rename` of a file and a directory, to a new name and over an existing one.
fn rename_is_erofs(ctx: &Ctx) -> CaseResult {
    for (from, to) in [
        ("hello.txt", "renamed"),
        ("hello.txt", "dir/a.txt"),
        ("dir/a.txt", "dir/b.txt"),
        ("dir", "dir2"),
        ("empty-dir", "dir/sub/deeper"),
        ("dir/sub", "moved"),
    ] {
        expect_errno!(ctx.rename(from, to), Errno::EROFS);
    }
    Ok(())
}

fn symlink_is_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.symlink("hello.txt", "new-link"), Errno::EROFS);
    expect_errno!(ctx.symlink("../hello.txt", "dir/new-link"), Errno::EROFS);
    expect_errno!(ctx.symlink("no-such", "empty-dir/dangling"), Errno::EROFS);
    Ok(())
}

fn link_is_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.link("hello.txt", "new-name"), Errno::EROFS);
    expect_errno!(ctx.link("dir/a.txt", "empty-dir/a.txt"), Errno::EROFS);
    expect_errno!(ctx.link("hard/one", "hard/three"), Errno::EROFS);
    Ok(())
}

/// `chmod` of every kind of node (a symlink's target through it).
fn chmod_is_erofs(ctx: &Ctx) -> CaseResult {
    for path in ["hello.txt", "dir", ".", "run.sh"] {
        expect_errno!(ctx.chmod(path, 0o600), Errno::EROFS);
    }
    if ctx.caps().symlinks {
        expect_errno!(ctx.chmod("links/to-hello", 0o600), Errno::EROFS);
    }
    Ok(())
}

/// `chown` and `lchown`, even to the owner a node already has.
fn chown_is_erofs(ctx: &Ctx) -> CaseResult {
    let attr = check!(ctx.stat("hello.txt"));
    expect_errno!(
        ctx.chown("hello.txt", Some(attr.uid), Some(attr.gid), true),
        Errno::EROFS
    );
    expect_errno!(ctx.chown("dir", Some(1), None, true), Errno::EROFS);
    if ctx.caps().symlinks {
        expect_errno!(
            ctx.chown("links/to-hello", None, Some(1), false),
            Errno::EROFS
        );
    }
    Ok(())
}

/// `utimensat` with times, with `UTIME_NOW`, and without following a symlink.
fn utimens_is_erofs(ctx: &Ctx) -> CaseResult {
    let at = SetTime::At(Timespec::new(1_000_000_000, 0));
    expect_errno!(
        ctx.utimens("hello.txt", Some(at), Some(at), true),
        Errno::EROFS
    );
    expect_errno!(
        ctx.utimens("dir", Some(SetTime::Now), Some(SetTime::Now), true),
        Errno::EROFS
    );
    expect_errno!(ctx.utimens("empty", None, Some(at), true), Errno::EROFS);
    if ctx.caps().symlinks {
        expect_errno!(
            ctx.utimens("links/to-dir", Some(at), Some(at), false),
            Errno::EROFS
        );
    }
    Ok(())
}

/// `truncate` shrinking, growing and keeping the size of a file.
fn truncate_is_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.truncate("hello.txt", 0), Errno::EROFS);
    expect_errno!(ctx.truncate("hello.txt", 13), Errno::EROFS);
    expect_errno!(ctx.truncate("empty", 4096), Errno::EROFS);
    expect_errno!(ctx.truncate("big.bin", 1), Errno::EROFS);
    if ctx.caps().symlinks {
        expect_errno!(ctx.truncate("links/to-hello", 1), Errno::EROFS);
    }
    Ok(())
}

/// Linux checks for a directory before the mount: `EISDIR`.
fn truncate_of_directory_is_eisdir_before_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.truncate("dir", 0), Errno::EISDIR);
    expect_errno!(ctx.truncate(".", 0), Errno::EISDIR);
    Ok(())
}

/// `access(W_OK)` of a file or directory is `EROFS`, even for root; reading and
/// existence checks still succeed.
fn access_for_writing_is_erofs(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.access("hello.txt", AccessMask::WRITE), Errno::EROFS);
    expect_errno!(
        ctx.access("dir", AccessMask::READ | AccessMask::WRITE),
        Errno::EROFS
    );
    check!(ctx.access("hello.txt", AccessMask::READ));
    check!(ctx.access("dir", AccessMask::empty()));
    Ok(())
}

/// Every refusal above, then the whole tree compared with the fixture: same
/// listings, types, sizes, link counts and contents.
fn tree_is_intact_after_refused_changes(ctx: &Ctx) -> CaseResult {
    let caps = ctx.caps();
    let before: Vec<_> = fixture::entries_for(&caps)
        .map(|entry| {
            ctx.lstat(entry.path)
                .map(|a| (a.ino, a.size, a.nlink, a.mode))
        })
        .collect();
    for run in [
        create_is_erofs,
        open_for_writing_is_erofs,
        open_with_truncate_is_erofs,
        mkdir_is_erofs,
        rmdir_is_erofs,
        unlink_is_erofs,
        rename_is_erofs,
        symlink_is_erofs,
        link_is_erofs,
        chmod_is_erofs,
        chown_is_erofs,
        utimens_is_erofs,
        truncate_is_erofs,
    ] {
        run(ctx)?;
    }
    let mut expected_top: Vec<String> = fixture::children("", &caps)
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect();
    expected_top.sort();
    ensure_eq!(check!(ctx.names(".")), expected_top);
    for (entry, before) in fixture::entries_for(&caps).zip(before) {
        let before = check!(before);
        let after = check!(ctx.lstat(entry.path));
        let after = (after.ino, after.size, after.nlink, after.mode);
        ensure!(
            before == after,
            "{}: (ino, size, nlink, mode) {before:?} before, {after:?} after",
            entry.path
        );
        match entry.kind {
            FixtureKind::Dir { .. } => {
                let names: Vec<String> = fixture::children(entry.path, &caps)
                    .into_iter()
                    .map(|(name, _)| name.to_string())
                    .collect();
                ensure_eq!(
                    (entry.path, check!(ctx.names(entry.path))),
                    (entry.path, names)
                );
            }
            FixtureKind::File { .. } | FixtureKind::HardLink { .. } => {
                let want = entry.contents().map(|c| c.bytes().to_vec());
                ensure!(
                    Some(check!(ctx.read_file(entry.path))) == want,
                    "{}: contents changed",
                    entry.path
                );
            }
            FixtureKind::Symlink { target } => {
                ensure_eq!(
                    (entry.path, check!(ctx.readlink(entry.path))),
                    (entry.path, target.as_bytes().to_vec())
                );
            }
        }
    }
    Ok(())
}
