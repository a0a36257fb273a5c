//! Cases of the `namespace` area: mounts, crossing them, and what may not cross.
//!
//! Each case mounts fresh file systems of the kind under test on directories of its
//! scratch directory (on the kernel: tmpfs), so they need mount control.

use crate::case::{needs, Area, Case, CaseResult};
use crate::ctx::Ctx;
use crate::target::ScratchMount;
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{AccessMask, Errno, OpenFlags};

const RW: ScratchMount = ScratchMount {
    read_only: false,
    size_limit: None,
};
const RO: ScratchMount = ScratchMount {
    read_only: true,
    size_limit: None,
};
const LIMIT: u64 = 1 << 20;

pub(super) fn cases() -> Vec<Case> {
    let mount = |name, requires, run| Case::new(Area::Namespace, name, requires, run).with_mounts();
    vec![
        mount(
            "mount_hides_covered_entries",
            needs::WRITE,
            mount_hides_covered_entries,
        ),
        mount(
            "unmount_shows_covered_entries_again",
            needs::WRITE,
            unmount_shows_covered_entries_again,
        ),
        mount(
            "files_in_mount_are_reachable_by_path",
            needs::WRITE,
            files_in_mount_are_reachable_by_path,
        ),
        mount(
            "mount_point_listed_in_parent",
            needs::WRITE,
            mount_point_listed_in_parent,
        ),
        mount(
            "mount_point_stat_is_mounted_root",
            needs::DIR_NLINK,
            mount_point_stat_is_mounted_root,
        ),
        mount(
            "dotdot_at_mount_root_crosses_to_parent",
            needs::WRITE,
            dotdot_at_mount_root_crosses_to_parent,
        ),
        mount(
            "dotdot_in_middle_of_path_crosses",
            needs::WRITE,
            dotdot_in_middle_of_path_crosses,
        ),
        mount(
            "rename_into_mount_is_exdev",
            needs::WRITE,
            rename_into_mount_is_exdev,
        ),
        mount(
            "rename_out_of_mount_is_exdev",
            needs::WRITE,
            rename_out_of_mount_is_exdev,
        ),
        mount(
            "rename_across_mounts_checked_before_existence",
            needs::WRITE,
            rename_across_mounts_checked_before_existence,
        ),
        mount(
            "link_across_mounts_is_exdev",
            needs::HARD_LINKS,
            link_across_mounts_is_exdev,
        ),
        mount(
            "rename_within_mount_works",
            needs::WRITE,
            rename_within_mount_works,
        ),
        mount(
            "rename_of_mount_point_is_ebusy",
            needs::WRITE,
            rename_of_mount_point_is_ebusy,
        ),
        mount(
            "rename_onto_mount_point_is_ebusy",
            needs::WRITE,
            rename_onto_mount_point_is_ebusy,
        ),
        mount(
            "rmdir_of_mount_point_is_ebusy",
            needs::WRITE,
            rmdir_of_mount_point_is_ebusy,
        ),
        mount(
            "unmount_with_open_file_is_ebusy",
            needs::WRITE,
            unmount_with_open_file_is_ebusy,
        ),
        mount(
            "unmount_of_plain_directory_is_einval",
            needs::WRITE,
            unmount_of_plain_directory_is_einval,
        ),
        mount(
            "unmount_with_mount_below_is_ebusy",
            needs::WRITE,
            unmount_with_mount_below_is_ebusy,
        ),
        mount(
            "stacked_mounts_show_the_top_one",
            needs::WRITE,
            stacked_mounts_show_the_top_one,
        ),
        mount(
            "symlink_target_crosses_mounts",
            needs::SYMLINKS,
            symlink_target_crosses_mounts,
        ),
        mount(
            "relative_symlink_climbs_out_of_mount",
            needs::SYMLINKS,
            relative_symlink_climbs_out_of_mount,
        ),
        mount(
            "read_only_mount_refuses_create",
            needs::WRITE,
            read_only_mount_refuses_create,
        ),
        mount(
            "read_only_mount_refuses_mkdir",
            needs::WRITE,
            read_only_mount_refuses_mkdir,
        ),
        mount(
            "read_only_mount_erofs_before_enoent",
            needs::WRITE,
            read_only_mount_erofs_before_enoent,
        ),
        mount(
            "read_only_mount_eexist_before_erofs",
            needs::WRITE,
            read_only_mount_eexist_before_erofs,
        ),
        mount(
            "read_only_mount_allows_reading",
            needs::WRITE,
            read_only_mount_allows_reading,
        ),
        mount(
            "read_only_mount_access_write_is_erofs",
            needs::WRITE,
            read_only_mount_access_write_is_erofs,
        ),
        mount(
            "read_only_mount_refuses_chmod",
            needs::PERMISSIONS,
            read_only_mount_refuses_chmod,
        ),
        mount(
            "size_limited_mount_reports_its_size",
            needs::SPACE,
            size_limited_mount_reports_its_size,
        ),
        mount(
            "size_limited_mount_fills_with_enospc",
            needs::SPACE,
            size_limited_mount_fills_with_enospc,
        ),
        mount(
            "space_returns_after_unlink",
            needs::SPACE,
            space_returns_after_unlink,
        ),
    ]
}

fn mount_hides_covered_entries(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    check!(ctx.write_file("m/under", b"covered"));
    check!(ctx.stat("m/under"));
    ctx.mount_scratch("m", RW)?;
    ensure_eq!(check!(ctx.names("m")), Vec::<String>::new());
    expect_errno!(ctx.stat("m/under"), Errno::ENOENT);
    Ok(())
}

fn unmount_shows_covered_entries_again(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    check!(ctx.write_file("m/under", b"covered"));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.write_file("m/over", b"on top"));
    check!(ctx.stat("m/over"));
    check!(ctx.unmount("m")?);
    expect_errno!(ctx.stat("m/over"), Errno::ENOENT);
    ensure_eq!(check!(ctx.names("m")), vec!["under".to_string()]);
    ensure_eq!(check!(ctx.read_file("m/under")), b"covered".to_vec());
    Ok(())
}

fn files_in_mount_are_reachable_by_path(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.mkdir("m/d", 0o755));
    check!(ctx.write_file("m/d/f", b"inside"));
    ensure_eq!(
        check!(ctx.read_file(format!("{}/m/d/f", ctx.root()))),
        b"inside".to_vec()
    );
    ensure_eq!(check!(ctx.names("m")), vec!["d".to_string()]);
    Ok(())
}

fn mount_point_listed_in_parent(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    ensure_eq!(check!(ctx.names(".")), vec!["m".to_string()]);
    Ok(())
}

fn mount_point_stat_is_mounted_root(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    check!(ctx.mkdir("m/a", 0o755));
    check!(ctx.mkdir("m/b", 0o755));
    ensure_eq!(check!(ctx.stat("m")).nlink, 4);
    ctx.mount_scratch("m", RW)?;
    ensure_eq!(check!(ctx.stat("m")).nlink, 2);
    check!(ctx.unmount("m")?);
    ensure_eq!(check!(ctx.stat("m")).nlink, 4);
    Ok(())
}

fn dotdot_at_mount_root_crosses_to_parent(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.mkdir("m/sub", 0o755));
    let scratch = check!(ctx.stat(".")).ino;
    ensure_eq!(check!(ctx.stat("m/..")).ino, scratch);
    ensure_eq!(check!(ctx.stat("m/sub/../..")).ino, scratch);
    Ok(())
}

fn dotdot_in_middle_of_path_crosses(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("outside", b"out"));
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.mkdir("m/d", 0o755));
    ensure_eq!(check!(ctx.read_file("m/d/../../outside")), b"out".to_vec());
    Ok(())
}

fn rename_into_mount_is_exdev(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"x"));
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    expect_errno!(ctx.rename("f", "m/f"), Errno::EXDEV);
    ensure!(ctx.exists("f"), "the source must stay");
    Ok(())
}

fn rename_out_of_mount_is_exdev(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.mkdir("m/d", 0o755));
    expect_errno!(ctx.rename("m/d", "d"), Errno::EXDEV);
    Ok(())
}

/// Linux compares the parents' mounts before it looks the source up.
fn rename_across_mounts_checked_before_existence(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    expect_errno!(ctx.rename("missing", "m/x"), Errno::EXDEV);
    Ok(())
}

fn link_across_mounts_is_exdev(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"x"));
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    expect_errno!(ctx.link("f", "m/f"), Errno::EXDEV);
    ensure_eq!(check!(ctx.stat("f")).nlink, 1);
    Ok(())
}

fn rename_within_mount_works(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.write_file("m/a", b"data"));
    check!(ctx.mkdir("m/d", 0o755));
    check!(ctx.rename("m/a", "m/d/b"));
    ensure_eq!(check!(ctx.read_file("m/d/b")), b"data".to_vec());
    Ok(())
}

fn rename_of_mount_point_is_ebusy(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    expect_errno!(ctx.rename("m", "n"), Errno::EBUSY);
    Ok(())
}

fn rename_onto_mount_point_is_ebusy(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    check!(ctx.mkdir("d", 0o755));
    ctx.mount_scratch("m", RW)?;
    expect_errno!(ctx.rename("d", "m"), Errno::EBUSY);
    Ok(())
}

fn rmdir_of_mount_point_is_ebusy(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    expect_errno!(ctx.rmdir("m"), Errno::EBUSY);
    Ok(())
}

fn unmount_with_open_file_is_ebusy(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    let file = check!(ctx.open("m/f", OpenFlags::RDWR | OpenFlags::CREATE, 0o644));
    expect_errno!(ctx.unmount("m")?, Errno::EBUSY);
    check!(file.close());
    check!(ctx.unmount("m")?);
    Ok(())
}

fn unmount_of_plain_directory_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    expect_errno!(ctx.unmount("d")?, Errno::EINVAL);
    Ok(())
}

fn unmount_with_mount_below_is_ebusy(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.mkdir("m/n", 0o755));
    ctx.mount_scratch("m/n", RW)?;
    check!(ctx.write_file("m/n/f", b"deep"));
    expect_errno!(ctx.unmount("m")?, Errno::EBUSY);
    check!(ctx.unmount("m/n")?);
    check!(ctx.unmount("m")?);
    Ok(())
}

fn stacked_mounts_show_the_top_one(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.write_file("m/lower", b"1"));
    ctx.mount_scratch("m", RW)?;
    ensure_eq!(check!(ctx.names("m")), Vec::<String>::new());
    check!(ctx.write_file("m/upper", b"2"));
    check!(ctx.unmount("m")?);
    ensure_eq!(check!(ctx.names("m")), vec!["lower".to_string()]);
    Ok(())
}

fn symlink_target_crosses_mounts(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.write_file("m/f", b"mounted"));
    check!(ctx.symlink(format!("{}/m/f", ctx.root()), "abs"));
    check!(ctx.symlink("m/f", "rel"));
    ensure_eq!(check!(ctx.read_file("abs")), b"mounted".to_vec());
    ensure_eq!(check!(ctx.read_file("rel")), b"mounted".to_vec());
    Ok(())
}

fn relative_symlink_climbs_out_of_mount(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("outside", b"out"));
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RW)?;
    check!(ctx.symlink("../outside", "m/up"));
    ensure_eq!(check!(ctx.read_file("m/up")), b"out".to_vec());
    Ok(())
}

fn read_only_mount_refuses_create(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RO)?;
    expect_errno!(
        ctx.open("m/f", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
        Errno::EROFS
    );
    Ok(())
}

fn read_only_mount_refuses_mkdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RO)?;
    expect_errno!(ctx.mkdir("m/d", 0o755), Errno::EROFS);
    expect_errno!(ctx.symlink("x", "m/l"), Errno::EROFS);
    Ok(())
}

/// unlink and rmdir ask for write access to the mount before looking the name up.
fn read_only_mount_erofs_before_enoent(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RO)?;
    expect_errno!(ctx.unlink("m/missing"), Errno::EROFS);
    expect_errno!(ctx.rmdir("m/missing"), Errno::EROFS);
    expect_errno!(ctx.rename("m/missing", "m/other"), Errno::EROFS);
    Ok(())
}

/// mkdir looks the name up first: an existing name is EEXIST even read-only.
fn read_only_mount_eexist_before_erofs(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RO)?;
    expect_errno!(ctx.mkdir("m/.", 0o755), Errno::EEXIST);
    expect_errno!(ctx.mkdir(format!("{}/m", ctx.root()), 0o755), Errno::EEXIST);
    Ok(())
}

fn read_only_mount_allows_reading(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RO)?;
    ensure_eq!(check!(ctx.names("m")), Vec::<String>::new());
    let dir = check!(ctx.open("m", OpenFlags::RDONLY | OpenFlags::DIRECTORY, 0));
    check!(dir.close());
    check!(ctx.statfs("m"));
    Ok(())
}

fn read_only_mount_access_write_is_erofs(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RO)?;
    check!(ctx.access("m", AccessMask::READ));
    expect_errno!(ctx.access("m", AccessMask::WRITE), Errno::EROFS);
    Ok(())
}

fn read_only_mount_refuses_chmod(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch("m", RO)?;
    expect_errno!(ctx.chmod("m", 0o700), Errno::EROFS);
    expect_errno!(ctx.open("m", OpenFlags::RDWR, 0), Errno::EISDIR);
    Ok(())
}

fn limited(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("m", 0o755));
    ctx.mount_scratch(
        "m",
        ScratchMount {
            read_only: false,
            size_limit: Some(LIMIT),
        },
    )
}

fn size_limited_mount_reports_its_size(ctx: &Ctx) -> CaseResult {
    limited(ctx)?;
    let stat = check!(ctx.statfs("m"));
    let total = stat.blocks * u64::from(stat.block_size);
    ensure!(
        total.abs_diff(LIMIT) <= 4096,
        "a {LIMIT}-byte mount reports {total} bytes"
    );
    ensure!(
        stat.blocks_free <= stat.blocks,
        "more free than total: {stat:?}"
    );
    ensure_eq!(stat.name_max, 255);
    Ok(())
}

/// Fills the limited mount in 64 KiB writes until the first error; returns it.
fn fill(ctx: &Ctx, name: &str) -> Result<(u64, vfs_core::Error), crate::Failure> {
    let mut file = check!(ctx.open(
        format!("m/{name}"),
        OpenFlags::WRONLY | OpenFlags::CREATE,
        0o644
    ));
    let chunk = vec![0xa5u8; 64 * 1024];
    let mut offset = 0u64;
    while offset < 4 * LIMIT {
        match file.pwrite(&chunk, offset) {
            Ok(n) => offset += n as u64,
            Err(error) => {
                let _ = file.close();
                return Ok((offset, error));
            }
        }
    }
    Err(crate::Failure::msg(format!(
        "wrote {offset} bytes into a {LIMIT}-byte mount"
    )))
}

fn size_limited_mount_fills_with_enospc(ctx: &Ctx) -> CaseResult {
    limited(ctx)?;
    let (written, error) = fill(ctx, "big")?;
    ensure_eq!(error.errno(), Errno::ENOSPC);
    ensure!(
        (LIMIT / 2..=LIMIT).contains(&written),
        "{written} bytes fit in {LIMIT}"
    );
    ensure_eq!(check!(ctx.stat("m/big")).size, written);
    Ok(())
}

fn space_returns_after_unlink(ctx: &Ctx) -> CaseResult {
    limited(ctx)?;
    let (_, error) = fill(ctx, "big")?;
    ensure_eq!(error.errno(), Errno::ENOSPC);
    check!(ctx.unlink("m/big"));
    check!(ctx.write_file("m/small", &[7u8; 64 * 1024]));
    Ok(())
}
