//! The contents of a regular file: a size and the pages that were written, the rest
//! being holes.

use crate::pages::PageTable;
pub(crate) use crate::pages::PAGE_SIZE;
use crate::pool::PagePool;
use crate::quota::Quota;

const PAGE: u64 = PAGE_SIZE as u64;

/// The largest size a file can reach (`off_t`'s maximum, tmpfs's `s_maxbytes`).
pub(crate) const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// A sparse byte array. A page absent from the table is a hole and reads as zeros, so
/// a write at 1 TiB costs one page. Bytes past `size` inside an allocated page are
/// always zero, so growing the size never exposes stale data.
#[derive(Default)]
pub(crate) struct FileData {
    size: u64,
    pages: PageTable,
}

impl FileData {
    /// The size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// How many pages are allocated.
    pub(crate) fn pages(&self) -> u64 {
        self.pages.len()
    }

    /// Copies the bytes at `offset` into `buf`; returns how many, 0 at or past the end.
    /// Only the holes are zero-filled: writing each byte once is half the cost of
    /// clearing the buffer first.
    #[inline]
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size || buf.is_empty() {
            return 0;
        }
        let len = (self.size - offset).min(buf.len() as u64) as usize;
        let out = &mut buf[..len];
        let within = (offset % PAGE) as usize;
        if within + len <= PAGE_SIZE {
            // Within one page, the common random read: no loop.
            match self.pages.get(offset / PAGE) {
                Some(page) => out.copy_from_slice(&page[within..within + len]),
                None => out.fill(0),
            }
            return len;
        }
        let end = offset + len as u64;
        for index in offset / PAGE..=(end - 1) / PAGE {
            let page_start = index * PAGE;
            let from = page_start.max(offset);
            let to = (page_start + PAGE).min(end);
            let dest = &mut out[(from - offset) as usize..(to - offset) as usize];
            match self.pages.get(index) {
                Some(page) => dest.copy_from_slice(
                    &page[(from - page_start) as usize..(to - page_start) as usize],
                ),
                None => dest.fill(0),
            }
        }
        len
    }

    /// Writes `data` at `offset`, taking a page from `pool` and charging it to
    /// `space` for each hole it fills. Stops at the first page `space` refuses and
    /// returns how many bytes were written. The caller keeps `offset + data.len()`
    /// within [`MAX_FILE_SIZE`].
    pub(crate) fn write(
        &mut self,
        offset: u64,
        data: &[u8],
        space: &Quota,
        pool: &PagePool,
    ) -> usize {
        let mut done = 0;
        while done < data.len() {
            let position = offset + done as u64;
            let within = (position % PAGE) as usize;
            let count = (PAGE_SIZE - within).min(data.len() - done);
            let index = position / PAGE;
            if self.pages.get(index).is_none() && !space.take(1) {
                break;
            }
            let page = match self.pages.get_mut(index) {
                Some(page) => page,
                None => self.pages.insert(index, pool),
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
    /// end (returning them to `pool` and `space`) and zeroes the tail of the last one.
    pub(crate) fn set_size(&mut self, size: u64, space: &Quota, pool: &PagePool) {
        if size < self.size {
            space.give_back(self.pages.truncate(size.div_ceil(PAGE), pool));
            let within = (size % PAGE) as usize;
            if within != 0 {
                if let Some(page) = self.pages.get_mut(size / PAGE) {
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
        let (space, pool) = (Quota::new(None), PagePool::default());
        let mut data = FileData::default();
        let tib = 1u64 << 40;
        assert_eq!(data.write(tib, b"end", &space, &pool), 3);
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
        let (space, pool) = (Quota::new(None), PagePool::default());
        let mut data = FileData::default();
        let bytes: Vec<u8> = (0..3 * PAGE_SIZE + 17).map(|i| (i % 251) as u8).collect();
        assert_eq!(data.write(100, &bytes, &space, &pool), bytes.len());
        assert_eq!(data.pages(), 4);
        assert_eq!(read_all(&data, 100, bytes.len()), bytes);
        assert_eq!(read_all(&data, 0, 100), vec![0; 100]);
    }

    #[test]
    fn reads_within_one_page_match_the_bytes_written() {
        let (space, pool) = (Quota::new(None), PagePool::default());
        let mut data = FileData::default();
        let bytes: Vec<u8> = (0..2 * PAGE_SIZE + 300).map(|i| (i % 253) as u8).collect();
        // Page 1 stays a hole; the file ends 300 bytes into page 2.
        data.write(0, &bytes[..PAGE_SIZE], &space, &pool);
        data.write(2 * PAGE, &bytes[2 * PAGE_SIZE..], &space, &pool);
        let expected = |from: usize, len: usize| {
            let mut want = bytes[from..from + len].to_vec();
            for (i, byte) in want.iter_mut().enumerate() {
                if (PAGE_SIZE..2 * PAGE_SIZE).contains(&(from + i)) {
                    *byte = 0;
                }
            }
            want
        };
        for (from, len) in [
            (0, PAGE_SIZE),
            (1, 2048),
            (7, 2049),
            (PAGE_SIZE - 5, 5),
            (PAGE_SIZE + 3, 3000),
            (2 * PAGE_SIZE, 300),
        ] {
            assert_eq!(
                read_all(&data, from as u64, len),
                expected(from, len),
                "{len} at {from}"
            );
        }
        // A read past the end stops at the size, within the last page.
        assert_eq!(
            read_all(&data, 2 * PAGE + 200, PAGE_SIZE),
            expected(2 * PAGE_SIZE + 200, 100)
        );
    }

    #[test]
    fn shrinking_frees_pages_and_growing_again_reads_zeros() {
        let (space, pool) = (Quota::new(None), PagePool::default());
        let mut data = FileData::default();
        data.write(0, &[7; 3 * PAGE_SIZE], &space, &pool);
        data.set_size(10, &space, &pool);
        assert_eq!((data.pages(), space.used()), (1, 1));
        data.set_size(2 * PAGE, &space, &pool);
        assert_eq!(data.pages(), 1);
        let back = read_all(&data, 0, 2 * PAGE_SIZE);
        assert_eq!(&back[..10], &[7; 10]);
        assert!(back[10..].iter().all(|&b| b == 0));
        data.set_size(0, &space, &pool);
        assert_eq!((data.pages(), space.used()), (0, 0));
    }

    #[test]
    fn a_full_quota_stops_the_write_at_a_page_boundary() {
        let (space, pool) = (Quota::new(Some(2)), PagePool::default());
        let mut data = FileData::default();
        assert_eq!(
            data.write(PAGE - 1, &[1; 3 * PAGE_SIZE], &space, &pool),
            PAGE_SIZE + 1
        );
        assert_eq!(data.size(), 2 * PAGE);
        assert_eq!(data.write(5 * PAGE, b"x", &space, &pool), 0);
        assert_eq!(data.size(), 2 * PAGE);
        // Pages already there need no space.
        assert_eq!(data.write(0, &[2; PAGE_SIZE], &space, &pool), PAGE_SIZE);
    }

    #[test]
    fn an_empty_write_past_the_end_does_not_grow() {
        let (space, pool) = (Quota::new(None), PagePool::default());
        let mut data = FileData::default();
        assert_eq!(data.write(1000, b"", &space, &pool), 0);
        assert_eq!(data.size(), 0);
    }
}
