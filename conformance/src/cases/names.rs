//! Cases of the `names` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
