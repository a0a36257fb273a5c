//! Every case, one file per area.

use crate::case::Case;

mod link;
mod mkdir;
mod names;
mod namespace;
mod open;
mod read;
mod readdir;
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
        readdir::cases(),
        namespace::cases(),
        names::cases(),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn case_names_are_unique() {
        let mut seen = HashSet::new();
        for case in super::all() {
            assert!(seen.insert(case.full_name()), "duplicate case {}", case.full_name());
        }
    }
}
