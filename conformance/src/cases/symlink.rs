//! Cases of the `symlink` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
