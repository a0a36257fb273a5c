//! Cases of the `readdir` area.

use crate::case::Case;

pub(super) fn cases() -> Vec<Case> {
    vec![]
}
