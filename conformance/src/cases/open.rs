//! Cases of the `open` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
