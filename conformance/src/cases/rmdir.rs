//! Cases of the `rmdir` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
