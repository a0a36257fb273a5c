//! A reply declaring a huge length (a 4 GiB file handle in a 10-byte LOOKUP
//! result, as the `nfs_reply` fuzz target found) must fail without the client
//! allocating what was declared: the allocator of this test binary records the
//! largest single request.

use futures::executor::block_on;
use nfs3_types::nfs3::NFS_PROGRAM;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use vfs_torture::fake_server::FakeServer;

/// The system allocator, remembering the largest allocation asked of it.
struct LargestRequest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for LargestRequest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from the system allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestRequest = LargestRequest;

#[test]
fn a_declared_4_gib_handle_allocates_nothing_like_it() {
    // NFS3_OK, then the object handle's length 0xffff02eb and two bytes of it.
    let lookup_result = vec![0, 0, 0, 0, 0xff, 0xff, 0x02, 0xeb, 0x02, 0xeb];
    let server = FakeServer::start_raw(NFS_PROGRAM::NFSPROC3_LOOKUP, lookup_result).unwrap();
    let fs = block_on(vfs_nfs::NfsFs::mount(&server.url())).expect("mount needs no LOOKUP");
    let ns = vfs_core::Namespace::new(std::sync::Arc::new(fs), Default::default());
    let me = ns.root_caller();
    assert!(block_on(ns.stat(&me, "/file")).is_err());
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest < 64 << 20,
        "the client allocated {largest} bytes for a 10-byte reply"
    );
}
