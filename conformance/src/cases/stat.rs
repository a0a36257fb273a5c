//! Cases of the `stat` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
