//! The shared conformance suite on ramfs: every case, and the random mode.

use std::sync::Arc;
use vfs_core::Filesystem;
use vfs_ramfs::{RamFs, RamFsOptions};

conformance::conformance_tests!(|scratch: conformance::ScratchMount| {
    let options = RamFsOptions {
        size_limit: scratch.size_limit,
        ..RamFsOptions::default()
    };
    Ok(Arc::new(RamFs::new(options)) as Arc<dyn Filesystem>)
});
