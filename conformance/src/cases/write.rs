//! Cases of the `write` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
