//! The page table of one file: a radix tree from page index to page, as tall as its
//! highest page needs (a simplified Linux xarray).
//!
//! A random read of a large file looks up one page per 4 KiB copied. A balanced
//! search tree walks a handful of small nodes there, each likely a cache miss once
//! the copies have flushed the caches; this tree takes one step per 512-fold of
//! size (two for a file of up to 1 GiB), and its top levels stay cached. A full
//! leaf whose pages lie in address order (what a sequential writer gets from the
//! pool) becomes a [`PageRun`]: its parent's slot then locates every page by
//! arithmetic, and a random read of a large file misses the cache once, on the
//! data, instead of first on the leaf.

use crate::pool::{PageBox, PagePool, PageRun, PAGES_PER_CHUNK};

/// Bytes per page: the unit of allocation and of space accounting, as tmpfs's.
pub(crate) const PAGE_SIZE: usize = 4096;

/// One page of file data.
pub(crate) type Page = [u8; PAGE_SIZE];

/// Index bits one level resolves.
const LEVEL_BITS: u32 = 9;

/// Slots per node.
const FANOUT: usize = 1 << LEVEL_BITS;

const _: () = assert!(FANOUT == PAGES_PER_CHUNK, "a full leaf is one run");

/// One node: at the bottom level its slots hold pages (or, all of them present
/// and adjacent, a run), above it subtrees.
enum Node {
    Leaf(Box<Leaf>),
    Run(PageRun),
    Inner(Box<[Option<Node>; FANOUT]>),
}

/// The bottom level's slots and how many hold a page.
struct Leaf {
    pages: [Option<PageBox>; FANOUT],
    count: usize,
}

impl Node {
    /// An empty node of a tree level `level` (1 is the bottom).
    fn empty(level: u32) -> Node {
        if level == 1 {
            Node::Leaf(Box::new(Leaf {
                pages: [const { None }; FANOUT],
                count: 0,
            }))
        } else {
            Node::Inner(Box::new([const { None }; FANOUT]))
        }
    }

    /// A run as a leaf again, for taking some of its pages away.
    fn unjoin(&mut self) {
        if let Node::Run(_) = self {
            let Node::Run(run) = std::mem::replace(self, Node::empty(1)) else {
                unreachable!("matched above");
            };
            if let Node::Leaf(leaf) = self {
                for (slot, page) in leaf.pages.iter_mut().zip(run.split()) {
                    *slot = Some(page);
                }
                leaf.count = FANOUT;
            }
        }
    }

    /// Gives every page at or past index `from` (relative to this node, which
    /// covers `span(level)` indexes) back to `pool`; returns how many there were.
    fn truncate(&mut self, level: u32, from: u64, pool: &PagePool) -> u64 {
        let child_span = span(level - 1);
        let first = from.div_ceil(child_span) as usize;
        let mut freed = 0;
        self.unjoin();
        match self {
            Node::Leaf(leaf) => {
                for page in leaf.pages[first..].iter_mut().filter_map(Option::take) {
                    pool.give(page);
                    freed += 1;
                }
                leaf.count -= freed as usize;
            }
            Node::Run(_) => unreachable!("unjoined above"),
            Node::Inner(children) => {
                for mut child in children[first..].iter_mut().filter_map(Option::take) {
                    freed += child.truncate(level - 1, 0, pool);
                }
                // The child that `from` falls inside keeps its head.
                let within = from % child_span;
                if within != 0 {
                    if let Some(child) = &mut children[(from / child_span) as usize] {
                        freed += child.truncate(level - 1, within, pool);
                    }
                }
            }
        }
        freed
    }
}

/// How many page indexes a node of `level` covers (`level` 0: one page).
fn span(level: u32) -> u64 {
    1 << (LEVEL_BITS * level)
}

/// Page index -> page, the absent ones being holes.
#[derive(Default)]
pub(crate) struct PageTable {
    /// Covers the indexes below `span(levels)`; `None` while there is no page.
    root: Option<Node>,
    levels: u32,
    count: u64,
}

impl PageTable {
    /// How many pages are present.
    pub(crate) fn len(&self) -> u64 {
        self.count
    }

    /// The page at `index`, if present.
    #[inline]
    pub(crate) fn get(&self, index: u64) -> Option<&Page> {
        let mut node = self.root.as_ref()?;
        // A page index has at most 51 bits (63-bit offsets), so a tree has at most
        // six levels and the shift stays below 64. Stepping it down is cheaper
        // than computing `span` and each level's shift from the level number.
        let mut shift = LEVEL_BITS * self.levels;
        if index >> shift != 0 {
            return None;
        }
        loop {
            shift -= LEVEL_BITS;
            let slot = (index >> shift) as usize & (FANOUT - 1);
            match node {
                Node::Leaf(leaf) => return leaf.pages[slot].as_deref(),
                Node::Run(run) => return Some(run.page(slot)),
                Node::Inner(children) => node = children[slot].as_ref()?,
            }
        }
    }

    /// The page at `index`, if present, for writing.
    pub(crate) fn get_mut(&mut self, index: u64) -> Option<&mut Page> {
        if index >= span(self.levels) {
            return None;
        }
        let mut node = self.root.as_mut()?;
        let mut level = self.levels;
        loop {
            let slot = ((index >> (LEVEL_BITS * (level - 1))) as usize) & (FANOUT - 1);
            match node {
                Node::Leaf(leaf) => return leaf.pages[slot].as_deref_mut(),
                Node::Run(run) => return Some(run.page_mut(slot)),
                Node::Inner(children) => node = children[slot].as_mut()?,
            }
            level -= 1;
        }
    }

    /// Fills the hole at `index` with a page of zeros from `pool` and returns it.
    /// The first page of each further leaf a file fills from its start comes from
    /// an untouched chunk ([`PagePool::take_run_start`]), so a sequential writer's
    /// leaves become runs.
    pub(crate) fn insert(&mut self, index: u64, pool: &PagePool) -> &mut Page {
        if self.root.is_none() {
            let bits = u64::BITS - index.leading_zeros();
            self.levels = bits.div_ceil(LEVEL_BITS).max(1);
            self.root = Some(Node::empty(self.levels));
        }
        // Grow upwards until the root covers `index`.
        while index >= span(self.levels) {
            self.levels += 1;
            let mut root = Node::empty(self.levels);
            if let Node::Inner(children) = &mut root {
                children[0] = self.root.take();
            }
            self.root = Some(root);
        }
        let slot_in_leaf = (index as usize) & (FANOUT - 1);
        let page = if slot_in_leaf == 0 && index > 0 && self.get(index - 1).is_some() {
            pool.take_run_start()
        } else {
            pool.take()
        };
        let mut node = self.root.as_mut().expect("grown above");
        let mut level = self.levels;
        while level > 1 {
            let slot = ((index >> (LEVEL_BITS * (level - 1))) as usize) & (FANOUT - 1);
            let Node::Inner(children) = node else {
                unreachable!("levels above the bottom are inner nodes");
            };
            node = children[slot].get_or_insert_with(|| Node::empty(level - 1));
            level -= 1;
        }
        // A run has no hole to fill: callers insert only where `get` found none.
        let Node::Leaf(leaf) = &mut *node else {
            unreachable!("insert over page {index} of a full run");
        };
        debug_assert!(
            leaf.pages[slot_in_leaf].is_none(),
            "insert over page {index}"
        );
        leaf.pages[slot_in_leaf] = Some(page);
        leaf.count += 1;
        self.count += 1;
        if leaf.count == FANOUT {
            if let Some(run) = PageRun::join(&mut leaf.pages) {
                *node = Node::Run(run);
            }
        }
        match node {
            Node::Leaf(leaf) => leaf.pages[slot_in_leaf].as_deref_mut().expect("just put"),
            Node::Run(run) => run.page_mut(slot_in_leaf),
            Node::Inner(_) => unreachable!("the bottom level holds pages"),
        }
    }

    /// Gives every page at or past index `from` back to `pool`; returns how many
    /// there were.
    pub(crate) fn truncate(&mut self, from: u64, pool: &PagePool) -> u64 {
        let freed = match &mut self.root {
            Some(root) if from < span(self.levels) => root.truncate(self.levels, from, pool),
            _ => 0,
        };
        self.count -= freed;
        if self.count == 0 {
            // No empty nodes outlive the last page.
            self.root = None;
        }
        freed
    }
}

#[cfg(test)]
impl Node {
    fn runs(&self) -> usize {
        match self {
            Node::Leaf(_) => 0,
            Node::Run(_) => 1,
            Node::Inner(children) => children.iter().flatten().map(Node::runs).sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(table: &PageTable) -> usize {
        table.root.as_ref().map_or(0, Node::runs)
    }

    #[test]
    fn sequentially_filled_leaves_become_runs_and_split_when_cut() {
        let (pool, mut table) = (PagePool::default(), PageTable::default());
        let leaf = FANOUT as u64;
        for index in 0..3 * leaf {
            put(&mut table, &pool, index, index as u8);
        }
        // A fresh pool hands out the first leaf in order too; the later ones
        // start in untouched chunks.
        assert_eq!(runs(&table), 3);
        assert_eq!(table.len(), 3 * leaf);
        for index in 0..3 * leaf {
            assert_eq!(
                table.get(index).map(|p| p[0]),
                Some(index as u8),
                "page {index}"
            );
        }
        table.get_mut(leaf + 7).unwrap()[1] = 42;
        assert_eq!(table.get(leaf + 7).unwrap()[..2], [(leaf + 7) as u8, 42]);
        // Cutting into a run makes it a leaf again, with the pages before the cut.
        assert_eq!(table.truncate(leaf + 100, &pool), 2 * leaf - 100);
        assert_eq!(runs(&table), 1);
        assert_eq!(table.get(leaf + 99).map(|p| p[0]), Some((leaf + 99) as u8));
        assert!(table.get(leaf + 100).is_none());
        // Filled again, the leaf holds what was written where it was written.
        for index in leaf + 100..2 * leaf {
            put(&mut table, &pool, index, 7);
        }
        assert_eq!(table.get(2 * leaf - 1).map(|p| p[0]), Some(7));
        assert_eq!(table.get(leaf + 1).map(|p| p[0]), Some((leaf + 1) as u8));
        assert_eq!(table.truncate(0, &pool), 2 * leaf);
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn interleaved_writers_get_leaves_not_runs() {
        let pool = PagePool::default();
        let (mut a, mut b) = (PageTable::default(), PageTable::default());
        for index in 0..FANOUT as u64 {
            put(&mut a, &pool, index, 1);
            put(&mut b, &pool, index, 2);
        }
        assert_eq!((runs(&a), runs(&b)), (0, 0));
        assert!((0..FANOUT as u64).all(|i| a.get(i).map(|p| p[0]) == Some(1)));
        assert!((0..FANOUT as u64).all(|i| b.get(i).map(|p| p[0]) == Some(2)));
        a.truncate(0, &pool);
        b.truncate(0, &pool);
    }

    fn put(table: &mut PageTable, pool: &PagePool, index: u64, byte: u8) {
        table.insert(index, pool)[0] = byte;
    }

    #[test]
    fn pages_anywhere_are_found_and_holes_are_not() {
        let (pool, mut table) = (PagePool::default(), PageTable::default());
        let far = (1u64 << 51) - 1;
        for (index, byte) in [(0, 1), (511, 2), (512, 3), (1 << 20, 4), (far, 5)] {
            assert!(table.get(index).is_none());
            put(&mut table, &pool, index, byte);
        }
        assert_eq!(table.len(), 5);
        for (index, byte) in [(0, 1), (511, 2), (512, 3), (1 << 20, 4), (far, 5)] {
            assert_eq!(table.get(index).map(|p| p[0]), Some(byte), "page {index}");
        }
        for hole in [1, 510, 513, (1 << 20) + 1, far - 1, u64::MAX] {
            assert!(table.get(hole).is_none(), "hole {hole}");
        }
        table.get_mut(512).unwrap()[1] = 9;
        assert_eq!(table.get(512).unwrap()[..2], [3, 9]);
        assert!(table.get_mut(7).is_none());
        assert_eq!(table.truncate(0, &pool), 5);
    }

    #[test]
    fn truncate_drops_pages_from_the_index_on() {
        let (pool, mut table) = (PagePool::default(), PageTable::default());
        for index in [0, 5, 511, 512, 1000, 300_000, 1 << 30] {
            put(&mut table, &pool, index, 1);
        }
        assert_eq!(table.truncate(1 << 31, &pool), 0);
        assert_eq!(table.truncate(600, &pool), 3);
        assert_eq!(table.len(), 4);
        assert!(table.get(511).is_some() && table.get(1000).is_none());
        assert_eq!(table.truncate(512, &pool), 1);
        assert_eq!(table.truncate(5, &pool), 2);
        assert_eq!(table.len(), 1);
        assert_eq!(table.truncate(0, &pool), 1);
        assert_eq!(table.len(), 0);
        assert!(table.get(0).is_none());
        put(&mut table, &pool, 3, 7);
        assert_eq!(table.get(3).map(|p| p[0]), Some(7));
        assert_eq!(table.truncate(0, &pool), 1);
    }
}
