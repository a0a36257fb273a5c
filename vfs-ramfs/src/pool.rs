//! Where file pages come from: 2 MiB chunks, aligned and (on Linux) advised to be
//! backed by transparent huge pages, carved into 4 KiB pages.
//!
//! A random read of a large file touches a new page per 4 KiB. Pages from the
//! general allocator are scattered 4 KiB mappings, so most such reads also miss the
//! TLB; the kernel's own tmpfs copies out of its huge-page direct map and does not.
//! Taking pages from huge-page-backed chunks closes that gap (from the second chunk
//! on: a small file system keeps small pages). A chunk goes back to the system once
//! all its pages are free, except one spare kept so that a file created and deleted
//! over and over does not map and unmap a chunk each time. Like any slab, a chunk
//! with one page in use stays mapped whole.
//!
//! A chunk hands its pages out in address order, and a file growing past 2 MiB
//! starts each further 2 MiB of pages in an untouched chunk
//! ([`PagePool::take_run_start`]): a sequential writer then gets runs of adjacent
//! pages, which the page table stores as one pointer ([`PageRun`]), so a random
//! read finds its page without a cache miss on the table.

use crate::pages::{Page, PAGE_SIZE};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ptr::NonNull;

/// Bytes per chunk: one huge page.
const CHUNK_SIZE: usize = 2 << 20;

/// Pages per chunk, and per [`PageRun`].
pub(crate) const PAGES_PER_CHUNK: usize = CHUNK_SIZE / PAGE_SIZE;

/// One page, owned like a `Box` (one owner, never aliased), taken from a
/// [`PagePool`] and to be given back to it: dropping it only leaks the page until
/// the pool goes.
pub(crate) struct PageBox(NonNull<Page>);

// SAFETY: a `PageBox` is the only reference to its page, like `Box<Page>`.
unsafe impl Send for PageBox {}
// SAFETY: shared access only reads through `&Page`.
unsafe impl Sync for PageBox {}

impl std::ops::Deref for PageBox {
    type Target = Page;

    fn deref(&self) -> &Page {
        // SAFETY: the page is mapped while its pool lives (pages never outlive their
        // pool: see `PagePool`), and this box is its only owner.
        unsafe { self.0.as_ref() }
    }
}

impl std::ops::DerefMut for PageBox {
    fn deref_mut(&mut self) -> &mut Page {
        // SAFETY: as `deref`, and `&mut self` makes the access exclusive.
        unsafe { self.0.as_mut() }
    }
}

/// [`PAGES_PER_CHUNK`] pages at adjacent addresses, owned together: what a full
/// leaf of the page table becomes when its pages happen to lie in address order,
/// so that finding one is arithmetic rather than a load from the leaf.
pub(crate) struct PageRun(NonNull<Page>);

// SAFETY: as for `PageBox`: the run is the only reference to its pages.
unsafe impl Send for PageRun {}
// SAFETY: shared access only reads through `&Page`.
unsafe impl Sync for PageRun {}

impl PageRun {
    /// The run of `slots` if they hold every page at adjacent addresses in order
    /// (taking them, so `slots` is left empty); otherwise `None` and `slots` as it
    /// was.
    pub(crate) fn join(slots: &mut [Option<PageBox>; PAGES_PER_CHUNK]) -> Option<PageRun> {
        let first = slots[0].as_ref()?.0.as_ptr();
        let adjacent = slots.iter().enumerate().all(|(i, slot)| {
            slot.as_ref()
                .is_some_and(|page| page.0.as_ptr() == first.wrapping_add(i))
        });
        if !adjacent {
            return None;
        }
        // The pages are the run's now (a `PageBox` has no drop of its own);
        // `split` makes the boxes again.
        slots.fill_with(|| None);
        // SAFETY: `first` came from a `PageBox`, so it is not null.
        Some(PageRun(unsafe { NonNull::new_unchecked(first) }))
    }

    /// The pages again, one box each, in order.
    pub(crate) fn split(self) -> impl Iterator<Item = PageBox> {
        let first = self.0.as_ptr();
        (0..PAGES_PER_CHUNK).map(move |i| {
            // SAFETY: the run owned these pages (see `join`), and handing each
            // out once passes that ownership on.
            PageBox(unsafe { NonNull::new_unchecked(first.add(i)) })
        })
    }

    /// Page `i` of the run (`i` < [`PAGES_PER_CHUNK`]).
    pub(crate) fn page(&self, i: usize) -> &Page {
        assert!(i < PAGES_PER_CHUNK);
        // SAFETY: the run owns its pages, mapped while the pool lives.
        unsafe { &*self.0.as_ptr().add(i) }
    }

    /// Page `i` of the run, for writing.
    pub(crate) fn page_mut(&mut self, i: usize) -> &mut Page {
        assert!(i < PAGES_PER_CHUNK);
        // SAFETY: as `page`, and `&mut self` makes the access exclusive.
        unsafe { &mut *self.0.as_ptr().add(i) }
    }
}

/// The free pages of one chunk.
struct Chunk {
    /// Page slots not handed out, the next one last.
    free: Vec<u16>,
}

impl Chunk {
    /// A chunk with every page free, handing them out in address order.
    fn untouched() -> Chunk {
        Chunk {
            free: (0..PAGES_PER_CHUNK as u16).rev().collect(),
        }
    }

    fn is_untouched(&self) -> bool {
        self.free.len() == PAGES_PER_CHUNK
    }
}

#[derive(Default)]
struct Chunks {
    /// Chunk base address -> its free slots.
    chunks: HashMap<usize, Chunk>,
    /// Chunks with a free slot, the one pages are taken from last.
    partial: Vec<usize>,
    /// How many chunks have every page free.
    empty: usize,
}

impl Chunks {
    /// Moves a chunk with every page free, if there is one, to where pages are
    /// taken from.
    fn untouched_on_top(&mut self) {
        if self.empty == 0 {
            return;
        }
        let chunks = &self.chunks;
        if let Some(at) = self
            .partial
            .iter()
            .rposition(|base| chunks[base].is_untouched())
        {
            let base = self.partial.remove(at);
            self.partial.push(base);
        }
    }
}

/// The page allocator of one file system. Every page must be given back (or
/// forgotten) before the pool is dropped, which unmaps all chunks: ramfs keeps it in
/// the state every node holds, and a node gives its pages back when it goes.
#[derive(Default)]
pub(crate) struct PagePool {
    inner: Mutex<Chunks>,
}

impl PagePool {
    /// A page of zeros.
    pub(crate) fn take(&self) -> PageBox {
        self.take_from(false)
    }

    /// A page of zeros from a chunk none of whose pages is in use, for the first
    /// page of [`PAGES_PER_CHUNK`] a sequential writer is about to fill: the rest
    /// then come from the same chunk in order, a run the page table stores as one.
    /// Only for files past their first chunk's worth, so a small file never costs
    /// a chunk of its own.
    pub(crate) fn take_run_start(&self) -> PageBox {
        self.take_from(true)
    }

    fn take_from(&self, untouched: bool) -> PageBox {
        let mut inner = self.inner.lock();
        if untouched {
            inner.untouched_on_top();
        }
        let base = match inner.partial.last() {
            Some(&base) if !untouched || inner.chunks[&base].is_untouched() => base,
            _ => {
                // A file system's first 2 MiB stay in small pages, so a small one
                // costs what it stores, not a whole huge page.
                let base = map_chunk(!inner.chunks.is_empty());
                inner.chunks.insert(base, Chunk::untouched());
                inner.partial.push(base);
                inner.empty += 1;
                base
            }
        };
        let chunk = inner.chunks.get_mut(&base).expect("partial chunks exist");
        let was_empty = chunk.is_untouched();
        let slot = chunk.free.pop().expect("partial chunks have a free slot");
        let now_full = chunk.free.is_empty();
        if was_empty {
            inner.empty -= 1;
        }
        if now_full {
            inner.partial.pop();
        }
        drop(inner);
        let page = (base + usize::from(slot) * PAGE_SIZE) as *mut Page;
        // SAFETY: the slot lies inside a mapped chunk and was free, so nothing else
        // refers to it; zeroing first makes a reused page as clean as a fresh one.
        unsafe {
            page.write_bytes(0, 1);
            PageBox(NonNull::new_unchecked(page))
        }
    }

    /// Takes `page` back; unmaps its chunk when that was the last page in use there
    /// and another empty chunk is kept already.
    pub(crate) fn give(&self, page: PageBox) {
        let address = page.0.as_ptr() as usize;
        let base = address & !(CHUNK_SIZE - 1);
        let slot = ((address - base) / PAGE_SIZE) as u16;
        let mut inner = self.inner.lock();
        let chunk = inner.chunks.get_mut(&base).expect("page of this pool");
        let was_full = chunk.free.is_empty();
        chunk.free.push(slot);
        let now_empty = chunk.is_untouched();
        if now_empty {
            // In address order again, for the runs of whoever fills it next.
            *chunk = Chunk::untouched();
        }
        if was_full {
            inner.partial.push(base);
        }
        if now_empty {
            if inner.empty == 0 {
                inner.empty = 1;
            } else {
                inner.chunks.remove(&base);
                inner.partial.retain(|&b| b != base);
                unmap_chunk(base);
            }
        }
    }

    /// Chunks mapped now.
    #[cfg(test)]
    fn chunks(&self) -> usize {
        self.inner.lock().chunks.len()
    }
}

impl Drop for PagePool {
    fn drop(&mut self) {
        for &base in self.inner.get_mut().chunks.keys() {
            unmap_chunk(base);
        }
    }
}

/// Maps a zeroed, `CHUNK_SIZE`-aligned chunk, advised to be one huge page when
/// `huge`, and returns its address. Aborts like any allocation when memory is
/// exhausted.
#[cfg(unix)]
fn map_chunk(huge: bool) -> usize {
    // Twice the size, so an aligned chunk lies inside; the rest is unmapped.
    let len = 2 * CHUNK_SIZE;
    // SAFETY: an anonymous private mapping has no preconditions.
    let mapped = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        std::alloc::handle_alloc_error(chunk_layout());
    }
    let start = mapped as usize;
    let base = (start + CHUNK_SIZE - 1) & !(CHUNK_SIZE - 1);
    // SAFETY: both ranges lie inside the mapping just made and are not used.
    unsafe {
        if base > start {
            libc::munmap(start as *mut libc::c_void, base - start);
        }
        let end = base + CHUNK_SIZE;
        if start + len > end {
            libc::munmap(end as *mut libc::c_void, start + len - end);
        }
    }
    // Only a hint: without it (or with THP off) the chunk is plain 4 KiB pages.
    #[cfg(target_os = "linux")]
    if huge {
        // SAFETY: the range is the chunk just mapped.
        unsafe { libc::madvise(base as *mut libc::c_void, CHUNK_SIZE, libc::MADV_HUGEPAGE) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = huge;
    base
}

#[cfg(unix)]
fn unmap_chunk(base: usize) {
    // SAFETY: `base` is a chunk `map_chunk` mapped, none of whose pages is in use.
    unsafe { libc::munmap(base as *mut libc::c_void, CHUNK_SIZE) };
}

#[cfg(not(unix))]
fn map_chunk(_huge: bool) -> usize {
    // SAFETY: the layout has a non-zero size.
    let base = unsafe { std::alloc::alloc_zeroed(chunk_layout()) };
    if base.is_null() {
        std::alloc::handle_alloc_error(chunk_layout());
    }
    base as usize
}

#[cfg(not(unix))]
fn unmap_chunk(base: usize) {
    // SAFETY: `base` came from `alloc_zeroed` with this layout.
    unsafe { std::alloc::dealloc(base as *mut u8, chunk_layout()) };
}

fn chunk_layout() -> std::alloc::Layout {
    std::alloc::Layout::from_size_align(CHUNK_SIZE, CHUNK_SIZE).expect("valid layout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_zeroed_distinct_and_chunks_go_when_empty() {
        let pool = PagePool::default();
        let mut pages: Vec<PageBox> = (0..PAGES_PER_CHUNK + 1).map(|_| pool.take()).collect();
        assert_eq!(pool.chunks(), 2);
        for (i, page) in pages.iter_mut().enumerate() {
            assert!(page.iter().all(|&b| b == 0));
            page[0] = i as u8;
            page[PAGE_SIZE - 1] = i as u8;
        }
        for (i, page) in pages.iter().enumerate() {
            assert_eq!((page[0], page[PAGE_SIZE - 1]), (i as u8, i as u8));
        }
        // A reused page comes back zeroed.
        let last = pages.pop().unwrap();
        pool.give(last);
        let again = pool.take();
        assert!(again.iter().all(|&b| b == 0));
        pool.give(again);
        // All given back: one empty chunk is kept, the other unmapped.
        for page in pages {
            pool.give(page);
        }
        assert_eq!(pool.chunks(), 1);
    }
}
