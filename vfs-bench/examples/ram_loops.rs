//! The in-memory figures' loops alone, for a profiler: no kernel side, no
//! alternation, long enough for `perf record`, with allocations counted.
//!
//! ```text
//! cargo build --release -p vfs-bench --example ram_loops
//! perf record -g target/release/examples/ram_loops
//! ```
//!
//! Prints ns per operation for a random 4 KiB `pread` in a 64 MiB file (first,
//! on a fresh heap: two million opens before it moved it by tens of ns here),
//! open+fstat+close (and allocations per cycle), a `stat` by path, and the
//! ramfs backend's own lookup+open+getattr called directly: the gap between the
//! open+fstat+close and the last is what the framework's layers cost.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use vfs_core::{CreateMode, Filesystem, Name, NewNode, OpenFlags};
use vfs_posix_shim::Vfs;

/// The system allocator, counting allocations.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const OPS: u64 = 2_000_000;
const PREAD_FILE: u64 = 64 << 20;

/// Runs `op` `OPS` times; returns ns and allocations per call.
fn per_op(mut op: impl FnMut()) -> (f64, f64) {
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let start = Instant::now();
    for _ in 0..OPS {
        op();
    }
    let ns = start.elapsed().as_nanos() as f64 / OPS as f64;
    let made = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
    (ns, made as f64 / OPS as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let vfs = Vfs::from_url("ram://")?;
    let process = vfs.process();
    let posix = process.blocking();
    let fd = posix.open("/file", OpenFlags::RDWR | OpenFlags::CREATE, 0o644)?;
    let chunk = vec![7u8; 1 << 20];
    for _ in 0..PREAD_FILE / chunk.len() as u64 {
        posix.write(fd, &chunk)?;
    }
    posix.close(fd)?;

    // The benchmark's `ram_pread_4k` offsets: a fixed xorshift sequence, made
    // before the clock starts.
    let blocks = PREAD_FILE / 4096;
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let offsets: Vec<i64> = (0..OPS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state % blocks) * 4096) as i64
        })
        .collect();
    let fd = posix.open("/file", OpenFlags::RDONLY, 0)?;
    let mut buffer = vec![0u8; 4096];
    let mut next = offsets.iter();
    let (ns, _) = per_op(|| {
        let offset = *next.next().expect("an offset per call");
        black_box(posix.pread(fd, &mut buffer, offset).expect("pread"));
    });
    posix.close(fd)?;
    println!("random 4 KiB pread: {ns:.0} ns");

    let (ns, allocations) = per_op(|| {
        let fd = posix.open("/file", OpenFlags::RDONLY, 0).expect("open");
        black_box(posix.fstat(fd).expect("fstat"));
        posix.close(fd).expect("close");
    });
    println!("open+fstat+close: {ns:.0} ns, {allocations:.1} allocations");

    let (ns, _) = per_op(|| {
        black_box(posix.stat("/file").expect("stat"));
    });
    println!("stat by path: {ns:.0} ns");

    let fs = vfs_ramfs::RamFs::new(Default::default());
    let root = fs.root();
    let name = Name::new(b"file")?;
    let new = NewNode {
        mode: 0o644,
        uid: 0,
        gid: 0,
    };
    futures::executor::block_on(root.create(&name, &new, CreateMode::Guarded))?;
    let (ns, _) = per_op(|| {
        let node = root
            .lookup_now(&name)
            .expect("ramfs answers")
            .expect("lookup");
        let file = node
            .open_now(OpenFlags::RDONLY)
            .expect("answers")
            .expect("open");
        black_box(node.getattr_now().expect("answers").expect("getattr"));
        drop(file);
    });
    println!("ramfs alone, lookup+open+getattr: {ns:.0} ns");
    Ok(())
}
