//! Deterministic file contents addressed by offset: any range of a 256 MiB file
//! can be produced or checked without holding the file in memory, and no
//! misplaced or repeated block can match by accident.

/// The byte at `offset` of the contents numbered `seed`.
fn word(seed: u64, index: u64) -> u64 {
    // splitmix64: consecutive indexes give unrelated words.
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(index.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `buffer` with the contents numbered `seed` from `offset` on.
pub fn fill(seed: u64, offset: u64, buffer: &mut [u8]) {
    for (i, byte) in buffer.iter_mut().enumerate() {
        let at = offset + i as u64;
        *byte = (word(seed, at / 8) >> ((at % 8) * 8)) as u8;
    }
}

/// Where `data` first differs from the contents numbered `seed` at `offset`.
pub fn first_difference(seed: u64, offset: u64, data: &[u8]) -> Option<u64> {
    let mut expected = vec![0u8; data.len()];
    fill(seed, offset, &mut expected);
    data.iter()
        .zip(&expected)
        .position(|(a, b)| a != b)
        .map(|i| offset + i as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_agree_with_the_whole() {
        let mut whole = vec![0u8; 100];
        super::fill(7, 0, &mut whole);
        let mut part = vec![0u8; 37];
        super::fill(7, 13, &mut part);
        assert_eq!(&whole[13..50], &part[..]);
        assert_eq!(super::first_difference(7, 13, &part), None);
        assert_eq!(super::first_difference(8, 13, &part), Some(13));
    }
}
