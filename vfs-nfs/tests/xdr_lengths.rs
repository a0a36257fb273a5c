//! The XDR decoding of variable-length items (the vendored `nfs3_types`, patched in
//! third_party/nfs3_types): a reply decodes the lengths it declares exactly, and a
//! declared length the reply does not hold fails without being allocated first.
//! These check the decoder alone, chunk boundaries included; the whole client
//! meeting such a reply from a server is vfs-torture/tests/declared_lengths.rs.
//!
//! This binary counts its allocations with its own global allocator, which records
//! the largest single request made on the current thread.

use nfs3_types::nfs3::{LOOKUP3res, Nfs3Result};
use nfs3_types::xdr_codec::{Opaque, Pack, Unpack};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, noting the largest request of each thread.
struct Largest;

// SAFETY: every call is passed to `System` unchanged.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

fn note(size: usize) {
    // `try_with`: the thread's slot may already be gone while it exits.
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

/// The largest allocation `work` asked for on this thread, and its result.
fn largest_allocation<T>(work: impl FnOnce() -> T) -> (usize, T) {
    LARGEST.with(|largest| largest.set(0));
    let result = work();
    (LARGEST.with(Cell::get), result)
}

/// A LOOKUP reply's bytes: NFS3_OK, then a handle declaring `declared` bytes of
/// which `held` follow, and nothing after them.
fn lookup_reply(declared: u32, held: usize) -> Vec<u8> {
    let mut reply = 0u32.to_be_bytes().to_vec();
    reply.extend_from_slice(&declared.to_be_bytes());
    reply.extend((0..held).map(|i| i as u8));
    reply
}

#[test]
fn a_handle_declaring_4_gib_that_the_reply_does_not_hold_fails_without_allocating_it() {
    for declared in [u32::MAX, u32::MAX - 3, 1 << 30, 64 * 1024 + 1] {
        let reply = lookup_reply(declared, 40);
        let (largest, decoded) =
            largest_allocation(|| LOOKUP3res::unpack(&mut Cursor::new(&reply[..])));
        assert!(decoded.is_err(), "declared {declared}: decoded");
        assert!(
            largest <= 64 * 1024,
            "declared {declared}: allocated {largest} bytes for a 48-byte reply"
        );
    }
}

#[test]
fn a_truncated_reply_fails_wherever_it_ends() {
    let whole = lookup_reply(32, 32);
    for end in 0..whole.len() {
        assert!(
            LOOKUP3res::unpack(&mut Cursor::new(&whole[..end])).is_err(),
            "a reply cut at byte {end} of {} decoded",
            whole.len()
        );
    }
}

#[test]
fn opaques_of_every_length_around_padding_and_chunks_decode_exactly() {
    // Lengths around the 4-byte padding and the decoder's 64 KiB chunks.
    let lengths: [usize; 12] = [
        0, 1, 2, 3, 4, 5, 64, 65_535, 65_536, 65_537, 131_072, 200_003,
    ];
    for len in lengths {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let mut packed = Vec::new();
        Opaque::from(&data[..]).pack(&mut packed).expect("pack");
        packed.extend_from_slice(b"next");
        let mut cursor = Cursor::new(&packed[..]);
        let (decoded, read) = Opaque::unpack(&mut cursor).expect("unpack");
        assert_eq!(&decoded[..], &data[..], "length {len}");
        assert_eq!(read, 4 + len.div_ceil(4) * 4, "length {len}: bytes read");
        assert_eq!(cursor.position() as usize, read, "length {len}: position");
    }
}

#[test]
fn a_handle_decodes_into_one_allocation_of_its_own_length() {
    let reply = lookup_reply(28, 28);
    let mut with_attributes = reply.clone();
    // No object attributes, no directory attributes.
    with_attributes.extend_from_slice(&[0; 8]);
    let (largest, decoded) =
        largest_allocation(|| LOOKUP3res::unpack(&mut Cursor::new(&with_attributes[..])));
    let Ok((Nfs3Result::Ok(ok), _)) = decoded else {
        panic!("the reply did not decode");
    };
    let handle: Vec<u8> = (0..28).collect();
    assert_eq!(ok.object.data.as_ref(), &handle[..]);
    assert_eq!(largest, 28, "the handle's allocation");
}
