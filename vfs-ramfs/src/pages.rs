//! The page table of one file: a radix tree from page index to page, as tall as its
//! highest page needs (a simplified Linux xarray).
//!
//! A random read of a large file looks up one page per 4 KiB copied. A balanced
//! search tree walks a handful of small nodes there, each likely a cache miss once
//! the copies have flushed the caches; this tree takes one step per 512-fold of
//! size (two for a file of up to 1 GiB), and its top levels stay cached.

use crate::pool::{PageBox, PagePool};

/// Bytes per page: the unit of allocation and of space accounting, as tmpfs's.
pub(crate) const PAGE_SIZE: usize = 4096;

/// One page of file data.
pub(crate) type Page = [u8; PAGE_SIZE];

/// Index bits one level resolves.
const LEVEL_BITS: u32 = 9;

/// Slots per node.
const FANOUT: usize = 1 << LEVEL_BITS;

/// One node: at the bottom level its slots hold pages, above it subtrees.
enum Node {
    Leaf(Box<[Option<PageBox>; FANOUT]>),
    Inner(Box<[Option<Node>; FANOUT]>),
}

impl Node {
    /// An empty node of a tree level `level` (1 is the bottom).
    fn empty(level: u32) -> Node {
        if level == 1 {
            Node::Leaf(Box::new([const { None }; FANOUT]))
        } else {
            Node::Inner(Box::new([const { None }; FANOUT]))
        }
    }

    /// Gives every page at or past index `from` (relative to this node, which
    /// covers `span(level)` indexes) back to `pool`; returns how many there were.
    fn truncate(&mut self, level: u32, from: u64, pool: &PagePool) -> u64 {
        let child_span = span(level - 1);
        let first = from.div_ceil(child_span) as usize;
        let mut freed = 0;
        match self {
            Node::Leaf(pages) => {
                for page in pages[first..].iter_mut().filter_map(Option::take) {
                    pool.give(page);
                    freed += 1;
                }
            }
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
    pub(crate) fn get(&self, index: u64) -> Option<&Page> {
        if index >= span(self.levels) {
            return None;
        }
        let mut node = self.root.as_ref()?;
        let mut level = self.levels;
        loop {
            let slot = ((index >> (LEVEL_BITS * (level - 1))) as usize) & (FANOUT - 1);
            match node {
                Node::Leaf(pages) => return pages[slot].as_deref(),
                Node::Inner(children) => node = children[slot].as_ref()?,
            }
            level -= 1;
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
                Node::Leaf(pages) => return pages[slot].as_deref_mut(),
                Node::Inner(children) => node = children[slot].as_mut()?,
            }
            level -= 1;
        }
    }

    /// Puts `page` at `index`, which must be a hole, and returns it.
    pub(crate) fn insert(&mut self, index: u64, page: PageBox) -> &mut Page {
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
        let mut node = self.root.as_mut().expect("grown above");
        let mut level = self.levels;
        loop {
            let slot = ((index >> (LEVEL_BITS * (level - 1))) as usize) & (FANOUT - 1);
            match node {
                Node::Leaf(pages) => {
                    debug_assert!(pages[slot].is_none(), "insert over page {index}");
                    self.count += 1;
                    return pages[slot].insert(page);
                }
                Node::Inner(children) => {
                    node = children[slot].get_or_insert_with(|| Node::empty(level - 1));
                }
            }
            level -= 1;
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
mod tests {
    use super::*;

    fn put(table: &mut PageTable, pool: &PagePool, index: u64, byte: u8) {
        table.insert(index, pool.take())[0] = byte;
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
