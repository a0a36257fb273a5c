//! Cases of the `rename` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
