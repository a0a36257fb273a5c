//! Cases of the `mkdir` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
