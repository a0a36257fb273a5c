//! Cases of the `unlink` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
