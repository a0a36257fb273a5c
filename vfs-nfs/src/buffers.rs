//! Reusable transfer buffers: reply records and write payloads.
//!
//! Streaming moves one `rsize`/`wsize` buffer per call. Allocated fresh each time,
//! a buffer of a megabyte comes from `mmap` (or a trimmed heap) and is handed back
//! to the kernel when freed, so every call pays page faults and zeroing for memory
//! it touches once: the lab measured that at 2.6 times the cost of the transfer.
//! A small process-wide pool keeps a few such buffers instead. It is bounded
//! (`POOL_BUFFERS`), so it adds at most a few megabytes to the resident set, and
//! those are megabytes a stream was using anyway.

use parking_lot::Mutex;
use std::ops::{Deref, DerefMut};

/// Buffers the pool keeps at most.
const POOL_BUFFERS: usize = 8;

/// Buffers smaller than this are cheap to allocate and are not pooled.
const POOL_MIN: usize = 64 << 10;

/// Buffers larger than this are not pooled (a hostile record size must not stay).
const POOL_MAX: usize = 2 << 20;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A byte buffer that goes back to the pool when dropped.
#[derive(Default)]
pub struct Buffer {
    bytes: Vec<u8>,
}

impl Buffer {
    /// A buffer of `len` bytes (contents unspecified: the caller overwrites them).
    /// A pooled buffer keeps its old bytes, so only growth is zeroed.
    pub fn with_len(len: usize) -> Buffer {
        let mut bytes = if len >= POOL_MIN {
            let mut pool = POOL.lock();
            // The most recently returned buffer that fits: likely still in cache.
            match pool.iter().rposition(|b| b.capacity() >= len) {
                Some(i) => pool.remove(i),
                None => Vec::new(),
            }
        } else {
            Vec::new()
        };
        if bytes.capacity() < len {
            bytes = Vec::with_capacity(len);
        }
        bytes.resize(len, 0);
        Buffer { bytes }
    }

    /// A copy of `data`.
    pub fn copy_of(data: &[u8]) -> Buffer {
        let mut buffer = Buffer::with_len(data.len());
        buffer.bytes.copy_from_slice(data);
        buffer
    }

    /// Grows or shrinks to `len` bytes (growth zeroed).
    pub fn resize(&mut self, len: usize) {
        self.bytes.resize(len, 0);
    }
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let capacity = self.bytes.capacity();
        if (POOL_MIN..=POOL_MAX).contains(&capacity) {
            let mut pool = POOL.lock();
            if pool.len() < POOL_BUFFERS {
                pool.push(std::mem::take(&mut self.bytes));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_sized() {
        let first = Buffer::with_len(100 << 10);
        assert_eq!(first.len(), 100 << 10);
        drop(first);
        let second = Buffer::with_len(90 << 10);
        assert_eq!(second.len(), 90 << 10);
        assert!(second.bytes.capacity() >= 90 << 10);
        let copy = Buffer::copy_of(b"abc");
        assert_eq!(&copy[..], b"abc");
    }
}
