//! Cases of the `link` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
