//! The seeded random mode (placeholder until written).

use crate::target::Target;

/// Runs `ops` random operations from `seed` on `target`, checking each against a model.
pub fn run(target: &dyn Target, seed: u64, ops: usize) -> Result<(), String> {
    let _ = (target, seed, ops);
    Ok(())
}
