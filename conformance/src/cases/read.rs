//! Cases of the `read` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
