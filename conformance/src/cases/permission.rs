//! Cases of the `permission` area: an ordinary user (uid 1000, groups 1000 and
//! 1001) acts on nodes root prepared, through [`Target::as_user`]; a target that
//! cannot act as another user skips them. Root's own calls are the rest of the
//! suite.

use crate::case::{needs, Case, CaseResult};
use crate::ctx::{Ctx, Failure};
use crate::target::Target;
use crate::{check, ensure_eq, expect_errno};
use vfs_core::{AccessMask, Capabilities, Credentials, Errno, OpenFlags, SetTime, Timespec};

/// The user's uid and primary group.
const USER: u32 = 1000;
/// The user's second group.
const SECOND_GROUP: u32 = 1001;
/// Another user, owner of what the user does not own.
const OTHER: u32 = 2000;
/// A group the user is not in.
const FOREIGN_GROUP: u32 = 3000;

const PERMS: Capabilities = needs::all(&[needs::PERMISSIONS, needs::OWNERSHIP]);
const PERMS_LINKS: Capabilities = needs::all(&[PERMS, needs::HARD_LINKS]);
const PERMS_TIMES: Capabilities = needs::all(&[PERMS, needs::TIMESTAMPS]);

pub(super) fn cases() -> Vec<Case> {
    area_cases![Permission;
        PERMS => search_needed_on_every_directory,
        PERMS => create_reports_existing_names_before_eacces,
        PERMS => removal_needs_write_then_sticky_ownership,
        PERMS => open_follows_the_mode,
        PERMS => chmod_and_chown_rules,
        PERMS_TIMES => times_rules,
        PERMS => writes_drop_set_id_bits,
        PERMS_LINKS => hard_links_are_protected,
        PERMS => rename_of_directory_to_new_parent_needs_write_on_it,
        PERMS => truncate_needs_write,
    ]
}

/// Runs `body` with a context whose calls are the user's.
fn as_user(ctx: &Ctx, body: impl FnOnce(&Ctx) -> CaseResult) -> CaseResult {
    let creds = Credentials::new(USER, USER, [USER, SECOND_GROUP]);
    let Some(target) = ctx.target().as_user(&creds) else {
        return Err(Failure::skip("the target cannot act as another user"));
    };
    let target: &dyn Target = &*target;
    body(&Ctx::new(target, ctx.root().to_string()))
}

/// Root writes `path` with `mode`, owned by `uid`:`gid`.
fn file_of(ctx: &Ctx, path: &str, mode: u32, uid: u32, gid: u32) -> CaseResult {
    check!(ctx.write_file(path, b"data"));
    check!(ctx.chown(path, Some(uid), Some(gid), true));
    check!(ctx.chmod(path, mode));
    Ok(())
}

/// Search permission is asked of every directory a path passes through, and
/// listing asks read permission.
fn search_needed_on_every_directory(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o700));
    check!(ctx.write_file("d/f", b""));
    as_user(ctx, |user| {
        expect_errno!(user.stat("d/f"), Errno::EACCES);
        expect_errno!(user.stat("d/."), Errno::EACCES);
        check!(user.stat("d"));
        Ok(())
    })?;
    check!(ctx.chmod("d", 0o711));
    as_user(ctx, |user| {
        check!(user.stat("d/f"));
        expect_errno!(user.names("d"), Errno::EACCES);
        Ok(())
    })?;
    // Taken away again after the user walked through: refused again.
    check!(ctx.chmod("d", 0o700));
    as_user(ctx, |user| {
        expect_errno!(user.stat("d/f"), Errno::EACCES);
        Ok(())
    })
}

/// `filename_create` reports an existing name (`EEXIST`) before `may_create`
/// reports the missing write permission (`EACCES`).
fn create_reports_existing_names_before_eacces(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b""));
    as_user(ctx, |user| {
        expect_errno!(user.mkdir("d/f", 0o755), Errno::EEXIST);
        expect_errno!(user.mkdir("d/new", 0o755), Errno::EACCES);
        expect_errno!(
            user.open(
                "d/f",
                OpenFlags::RDWR | OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                0o644
            ),
            Errno::EEXIST
        );
        expect_errno!(
            user.open("d/g", OpenFlags::RDWR | OpenFlags::CREATE, 0o644),
            Errno::EACCES
        );
        // O_CREAT of an existing file asks nothing of the directory.
        check!(check!(user.open("d/f", OpenFlags::RDONLY | OpenFlags::CREATE, 0o644)).close());
        Ok(())
    })
}

/// Removing asks write permission on the directory (after `ENOENT`), then, in a
/// sticky directory, that the user owns the entry or the directory (`EPERM`).
fn removal_needs_write_then_sticky_ownership(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b""));
    check!(ctx.mkdir("d/sub", 0o755));
    check!(ctx.mkdir("s", 0o1777));
    file_of(ctx, "s/theirs", 0o666, OTHER, OTHER)?;
    check!(ctx.mkdir("s/their-dir", 0o777));
    check!(ctx.chown("s/their-dir", Some(OTHER), Some(OTHER), true));
    as_user(ctx, |user| {
        expect_errno!(user.unlink("d/missing"), Errno::ENOENT);
        expect_errno!(user.unlink("d/f"), Errno::EACCES);
        expect_errno!(user.unlink("d/sub"), Errno::EACCES);
        expect_errno!(user.rmdir("d/f"), Errno::EACCES);
        expect_errno!(user.rename("d/f", "d/g"), Errno::EACCES);
        check!(user.write_file("s/mine", b""));
        expect_errno!(user.unlink("s/theirs"), Errno::EPERM);
        expect_errno!(user.rmdir("s/their-dir"), Errno::EPERM);
        expect_errno!(user.rename("s/theirs", "s/x"), Errno::EPERM);
        expect_errno!(user.rename("s/mine", "s/theirs"), Errno::EPERM);
        check!(user.rename("s/mine", "s/mine2"));
        check!(user.unlink("s/mine2"));
        Ok(())
    })
}

/// `open` asks what the access mode asks (and write for `O_TRUNC`) of an
/// existing file; a file the call creates opens whatever its mode.
fn open_follows_the_mode(ctx: &Ctx) -> CaseResult {
    file_of(ctx, "group-read", 0o640, OTHER, USER)?;
    file_of(ctx, "private", 0o600, OTHER, OTHER)?;
    check!(ctx.mkdir("w", 0o777));
    as_user(ctx, |user| {
        check!(check!(user.open("group-read", OpenFlags::RDONLY, 0)).close());
        expect_errno!(user.open("group-read", OpenFlags::WRONLY, 0), Errno::EACCES);
        expect_errno!(
            user.open("group-read", OpenFlags::RDONLY | OpenFlags::TRUNCATE, 0),
            Errno::EACCES
        );
        expect_errno!(user.open("private", OpenFlags::RDONLY, 0), Errno::EACCES);
        let made = check!(user.open("w/new", OpenFlags::RDWR | OpenFlags::CREATE, 0o444));
        check!(made.close());
        expect_errno!(user.open("w/new", OpenFlags::RDWR, 0), Errno::EACCES);
        Ok(())
    })
}

/// chmod: owner or root (`EPERM`), set-group-ID dropped outside the file's group;
/// chown: root only, but the owner may pick one of his groups.
fn chmod_and_chown_rules(ctx: &Ctx) -> CaseResult {
    file_of(ctx, "mine", 0o644, USER, FOREIGN_GROUP)?;
    file_of(ctx, "theirs", 0o666, OTHER, USER)?;
    as_user(ctx, |user| {
        check!(user.chmod("mine", 0o2755));
        ensure_eq!(check!(user.stat("mine")).mode, 0o755);
        expect_errno!(user.chmod("theirs", 0o600), Errno::EPERM);
        expect_errno!(user.chown("mine", Some(OTHER), None, true), Errno::EPERM);
        check!(user.chown("mine", Some(USER), None, true));
        check!(user.chown("mine", None, Some(SECOND_GROUP), true));
        expect_errno!(
            user.chown("mine", None, Some(FOREIGN_GROUP), true),
            Errno::EPERM
        );
        expect_errno!(user.chown("theirs", None, Some(USER), true), Errno::EPERM);
        check!(user.chmod("mine", 0o2755));
        ensure_eq!(check!(user.stat("mine")).mode, 0o2755);
        Ok(())
    })
}

/// Both times now: the owner or anyone who may write (`EACCES`); any other time:
/// the owner or root (`EPERM`).
fn times_rules(ctx: &Ctx) -> CaseResult {
    file_of(ctx, "writable", 0o666, OTHER, OTHER)?;
    file_of(ctx, "read-only", 0o644, OTHER, OTHER)?;
    file_of(ctx, "mine", 0o444, USER, USER)?;
    let now = Some(SetTime::Now);
    let then = Some(SetTime::At(Timespec::new(1_000_000_000, 0)));
    as_user(ctx, |user| {
        check!(user.utimens("writable", now, now, true));
        expect_errno!(user.utimens("writable", now, None, true), Errno::EPERM);
        expect_errno!(user.utimens("writable", then, then, true), Errno::EPERM);
        expect_errno!(user.utimens("read-only", now, now, true), Errno::EACCES);
        check!(user.utimens("mine", then, then, true));
        Ok(())
    })
}

/// A write by anyone but root drops set-user-ID, and set-group-ID when group
/// execute is set.
fn writes_drop_set_id_bits(ctx: &Ctx) -> CaseResult {
    file_of(ctx, "suid", 0o4766, OTHER, OTHER)?;
    file_of(ctx, "sgid-exec", 0o2777, OTHER, USER)?;
    file_of(ctx, "sgid-only", 0o2666, OTHER, USER)?;
    as_user(ctx, |user| {
        for (path, after) in [("suid", 0o766), ("sgid-exec", 0o777), ("sgid-only", 0o2666)] {
            let mut file = check!(user.open(path, OpenFlags::WRONLY, 0));
            check!(file.pwrite(b"x", 0));
            check!(file.close());
            ensure_eq!(check!(user.stat(path)).mode, after);
        }
        Ok(())
    })
}

/// `fs.protected_hardlinks` (1 on Linux distributions): a user may hard-link a
/// file of another only if it is regular, without set-ID bits, and readable and
/// writable to him; `EPERM` comes before the parent's `EACCES`.
fn hard_links_are_protected(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("w", 0o777));
    file_of(ctx, "w/shared", 0o666, OTHER, OTHER)?;
    file_of(ctx, "w/read-only", 0o644, OTHER, OTHER)?;
    file_of(ctx, "w/suid", 0o4777, OTHER, OTHER)?;
    as_user(ctx, |user| {
        check!(user.link("w/shared", "w/l1"));
        expect_errno!(user.link("w/read-only", "w/l2"), Errno::EPERM);
        expect_errno!(user.link("w/suid", "w/l3"), Errno::EPERM);
        expect_errno!(user.link("w/read-only", "l4"), Errno::EPERM);
        expect_errno!(user.link("w/shared", "l5"), Errno::EACCES);
        Ok(())
    })
}

/// Moving a directory to another parent rewrites its `..`: write permission on
/// the directory itself is needed too.
fn rename_of_directory_to_new_parent_needs_write_on_it(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("a", 0o777));
    check!(ctx.mkdir("b", 0o777));
    check!(ctx.mkdir("a/d", 0o755));
    as_user(ctx, |user| {
        expect_errno!(user.rename("a/d", "b/d"), Errno::EACCES);
        check!(user.rename("a/d", "a/e"));
        check!(user.mkdir("a/mine", 0o755));
        check!(user.rename("a/mine", "b/mine"));
        Ok(())
    })
}

/// `truncate` asks write permission; `access` tells the same.
fn truncate_needs_write(ctx: &Ctx) -> CaseResult {
    file_of(ctx, "f", 0o644, OTHER, OTHER)?;
    as_user(ctx, |user| {
        expect_errno!(user.truncate("f", 1), Errno::EACCES);
        expect_errno!(user.access("f", AccessMask::WRITE), Errno::EACCES);
        check!(user.access("f", AccessMask::READ));
        Ok(())
    })
}
