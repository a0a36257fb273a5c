//! The contents of a regular file: a size and the pages that were written, the rest
//! being holes.

use crate::quota::Quota;
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

/// Bytes per page: the unit of allocation and of space accounting, as tmpfs's.
pub(crate) const PAGE_SIZE: usize = 4096;

const PAGE: u64 = PAGE_SIZE as u64;

/// The largest size a file can reach (`off_t`'s maximum, tmpfs's `s_maxbytes`).
pub(crate) const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// A sparse byte array. A page absent from the map is a hole and reads as zeros, so
/// a write at 1 TiB costs one page. Bytes past `size` inside an allocated page are
/// always zero, so growing the size never exposes stale data.
#[derive(Default)]
pub(crate) struct FileData {
    size: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl FileData {
    /// The size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// How many pages are allocated.
    pub(crate) fn pages(&self) -> u64 {
        self.pages.len() as u64
    }

    /// Copies the bytes at `offset` into `buf`; returns how many, 0 at or past the end.
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size || buf.is_empty() {
            return 0;
        }
        let len = (self.size - offset).min(buf.len() as u64) as usize;
        let out = &mut buf[..len];
        out.fill(0);
        let end = offset + len as u64;
        for (&index, page) in self.pages.range(offset / PAGE..=(end - 1) / PAGE) {
            let page_start = index * PAGE;
            let from = page_start.max(offset);
            let to = (page_start + PAGE).min(end);
            out[(from - offset) as usize..(to - offset) as usize]
                .copy_from_slice(&page[(from - page_start) as usize..(to - page_start) as usize]);
        }
        len
    }

    /// Writes `data` at `offset`, taking a page from `space` for each hole it fills.
    /// Stops at the first page `space` refuses and returns how many bytes were
    /// written. The caller keeps `offset + data.len()` within [`MAX_FILE_SIZE`].
    pub(crate) fn write(&mut self, offset: u64, data: &[u8], space: &Quota) -> usize {
        let mut done = 0;
        while done < data.len() {
            let position = offset + done as u64;
            let within = (position % PAGE) as usize;
            let count = (PAGE_SIZE - within).min(data.len() - done);
            let page = match self.pages.entry(position / PAGE) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => {
                    if !space.take(1) {
                        break;
                    }
                    entry.insert(vec![0; PAGE_SIZE].into_boxed_slice())
                }
            };
            page[within..within + count].copy_from_slice(&data[done..done + count]);
            done += count;
        }
        if done > 0 {
            self.size = self.size.max(offset + done as u64);
        }
        done
    }

    /// Sets the size: growing leaves a hole, shrinking frees the pages past the new
    /// end (returning them to `space`) and zeroes the tail of the last one.
    pub(crate) fn set_size(&mut self, size: u64, space: &Quota) {
        if size < self.size {
            let freed = self.pages.split_off(&size.div_ceil(PAGE));
            space.give_back(freed.len() as u64);
            let within = (size % PAGE) as usize;
            if within != 0 {
                if let Some(page) = self.pages.get_mut(&(size / PAGE)) {
                    page[within..].fill(0);
                }
            }
        }
        self.size = size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &FileData, offset: u64, len: usize) -> Vec<u8> {
        let mut buf = vec![0xee; len];
        let n = data.read(offset, &mut buf);
        buf.truncate(n);
        buf
    }

    #[test]
    fn a_far_write_costs_one_page_and_holes_read_as_zeros() {
        let space = Quota::new(None);
        let mut data = FileData::default();
        let tib = 1u64 << 40;
        assert_eq!(data.write(tib, b"end", &space), 3);
        assert_eq!(data.size(), tib + 3);
        assert_eq!(data.pages(), 1);
        assert_eq!(space.used(), 1);
        assert_eq!(read_all(&data, tib - 2, 10), b"\0\0end");
        assert_eq!(read_all(&data, 12345, 4), [0; 4]);
        assert!(read_all(&data, tib + 3, 10).is_empty());
        assert!(read_all(&data, u64::MAX, 10).is_empty());
    }

    #[test]
    fn writes_spanning_pages_read_back() {
        let space = Quota::new(None);
        let mut data = FileData::default();
        let bytes: Vec<u8> = (0..3 * PAGE_SIZE + 17).map(|i| (i % 251) as u8).collect();
        assert_eq!(data.write(100, &bytes, &space), bytes.len());
        assert_eq!(data.pages(), 4);
        assert_eq!(read_all(&data, 100, bytes.len()), bytes);
        assert_eq!(read_all(&data, 0, 100), vec![0; 100]);
    }

    #[test]
    fn shrinking_frees_pages_and_growing_again_reads_zeros() {
        let space = Quota::new(None);
        let mut data = FileData::default();
        data.write(0, &[7; 3 * PAGE_SIZE], &space);
        data.set_size(10, &space);
        assert_eq!((data.pages(), space.used()), (1, 1));
        data.set_size(2 * PAGE, &space);
        assert_eq!(data.pages(), 1);
        let back = read_all(&data, 0, 2 * PAGE_SIZE);
        assert_eq!(&back[..10], &[7; 10]);
        assert!(back[10..].iter().all(|&b| b == 0));
        data.set_size(0, &space);
        assert_eq!((data.pages(), space.used()), (0, 0));
    }

    #[test]
    fn a_full_quota_stops_the_write_at_a_page_boundary() {
        let space = Quota::new(Some(2));
        let mut data = FileData::default();
        assert_eq!(
            data.write(PAGE - 1, &[1; 3 * PAGE_SIZE], &space),
            PAGE_SIZE + 1
        );
        assert_eq!(data.size(), 2 * PAGE);
        assert_eq!(data.write(5 * PAGE, b"x", &space), 0);
        assert_eq!(data.size(), 2 * PAGE);
        // Pages already there need no space.
        assert_eq!(data.write(0, &[2; PAGE_SIZE], &space), PAGE_SIZE);
    }

    #[test]
    fn an_empty_write_past_the_end_does_not_grow() {
        let space = Quota::new(None);
        let mut data = FileData::default();
        assert_eq!(data.write(1000, b"", &space), 0);
        assert_eq!(data.size(), 0);
    }
}
