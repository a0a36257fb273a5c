//! Cases of the `truncate` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
