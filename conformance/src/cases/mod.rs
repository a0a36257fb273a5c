//! Every case, one file per area.

use crate::case::{Case, CaseResult};
use crate::ctx::{Ctx, OLD_TIME};
use crate::{check, ensure};

/// The cases of one area, each named after its body function:
/// `area_cases![Mkdir; needs::WRITE => creates_empty_directory, ...]`.
macro_rules! area_cases {
    ($area:ident; $($requires:expr => $run:ident),* $(,)?) => {
        vec![$($crate::case::Case::new($crate::case::Area::$area, stringify!($run), $requires, $run)),*]
    };
}

mod fixture;
mod link;
mod mkdir;
mod mknod;
mod names;
mod namespace;
mod open;
mod permission;
mod read;
mod readdir;
mod readonly;
mod rename;
mod rmdir;
mod stat;
mod symlink;
mod truncate;
mod unlink;
mod write;

/// Every case of the suite, grouped by area.
pub fn all() -> Vec<Case> {
    [
        open::cases(),
        read::cases(),
        write::cases(),
        truncate::cases(),
        stat::cases(),
        mkdir::cases(),
        rmdir::cases(),
        unlink::cases(),
        rename::cases(),
        link::cases(),
        symlink::cases(),
        mknod::cases(),
        readdir::cases(),
        namespace::cases(),
        names::cases(),
        fixture::cases(),
        readonly::cases(),
        permission::cases(),
    ]
    .concat()
}

/// Ages directory `dir`, runs `op`, and checks that `op` updated `dir`'s mtime and
/// ctime (ctime no older than before, and no older than the new mtime).
pub(super) fn changes_dir_times(
    ctx: &Ctx,
    dir: &str,
    op: impl FnOnce() -> vfs_core::Result<()>,
) -> CaseResult {
    check!(ctx.age(dir));
    let before = check!(ctx.stat(dir));
    check!(op());
    let after = check!(ctx.stat(dir));
    ensure!(
        after.mtime > OLD_TIME,
        "mtime of {dir} not updated: {:?}",
        after.mtime
    );
    ensure!(
        after.ctime >= before.ctime && after.ctime >= after.mtime,
        "ctime of {dir} not updated: {:?} before, {:?} after (mtime {:?})",
        before.ctime,
        after.ctime,
        after.mtime
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn case_names_are_unique() {
        let mut seen = HashSet::new();
        for case in super::all() {
            assert!(
                seen.insert(case.full_name()),
                "duplicate case {}",
                case.full_name()
            );
        }
    }
}
