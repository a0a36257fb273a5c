//! Writes small tar archives in memory, so the tests need no `tar` command.

// Each test file uses a different part of this module.
#![allow(dead_code)]

/// The mtime every member gets.
pub const MTIME: i64 = 1_700_000_000;

/// One member to write.
pub enum Item<'a> {
    /// Path and mode.
    Dir(&'a str, u32),
    /// Path, data and mode.
    File(&'a str, &'a [u8], u32),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
}

/// A ustar archive of `items`, with the end marker.
pub fn tar(items: &[Item]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        match *item {
            Item::Dir(path, mode) => out.extend(header(path, b'5', 0, "", mode)),
            Item::File(path, data, mode) => {
                out.extend(header(path, b'0', data.len(), "", mode));
                out.extend(padded(data));
            }
            Item::Symlink(path, target) => out.extend(header(path, b'2', 0, target, 0o777)),
            Item::HardLink(path, target) => out.extend(header(path, b'1', 0, target, 0o644)),
        }
    }
    out.extend([0; 1024]);
    out
}

/// `data` padded with zeros to whole 512-byte blocks.
pub fn padded(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.resize(data.len().div_ceil(512) * 512, 0);
    out
}

/// A POSIX ustar header; a path over 100 bytes is split into prefix and name.
pub fn header(path: &str, flag: u8, size: usize, link: &str, mode: u32) -> [u8; 512] {
    let mut h = [0u8; 512];
    let (prefix, name) = match path.len() {
        0..=100 => ("", path),
        _ => {
            let cut = path[..=155.min(path.len() - 1)].rfind('/').expect("a '/'");
            (&path[..cut], &path[cut + 1..])
        }
    };
    assert!(name.len() <= 100 && link.len() <= 100, "{path}: too long");
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    h[100..108].copy_from_slice(format!("{mode:07o}\0").as_bytes());
    h[108..116].copy_from_slice(b"0001750\0"); // uid 1000
    h[116..124].copy_from_slice(b"0000144\0"); // gid 100
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(format!("{MTIME:011o}\0").as_bytes());
    h[156] = flag;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    seal(&mut h);
    h
}

/// Writes the checksum of `h`: the byte sum with the checksum field as spaces.
pub fn seal(h: &mut [u8; 512]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// A path longer than the ustar name field, that needs the prefix.
pub fn long_path() -> String {
    format!("long/{}/{}", "d".repeat(60), "f".repeat(80))
}

/// The image the tests serve:
///
/// ```text
/// bin/sh            "#!/bin/true\n", mode 0755
/// bin/busybox       hard link to bin/sh
/// doc               -> usr/share/doc
/// etc/              mode 0750 (declared after its contents: updates metadata)
/// etc/hostname      "unikernel\n"
/// etc/motd          -> hostname
/// long/ddd.../fff...   "deep"  (path in prefix + name)
/// usr/share/doc/README "read me\n"  (usr, usr/share, usr/share/doc implied)
/// ```
pub fn sample() -> Vec<u8> {
    tar(&[
        Item::File("./etc/hostname", b"unikernel\n", 0o644),
        Item::Symlink("etc/motd", "hostname"),
        Item::File("bin/sh", b"#!/bin/true\n", 0o755),
        Item::HardLink("bin/busybox", "bin/sh"),
        Item::File("usr/share/doc/README", b"read me\n", 0o644),
        Item::Symlink("doc", "usr/share/doc"),
        Item::File(&long_path(), b"deep", 0o644),
        Item::Dir("etc/", 0o750),
    ])
}

/// The conformance suite's fixture tree (`conformance::fixture::FIXTURE`) as an
/// archive, entry by entry in its order: the tree holds every kind of entry
/// (directories with their modes, files, symlinks, hard links).
pub fn fixture_tar() -> Vec<u8> {
    use conformance::fixture::{FixtureKind, FIXTURE};
    let data: Vec<Vec<u8>> = FIXTURE
        .iter()
        .map(|entry| {
            entry
                .contents()
                .map_or_else(Vec::new, |c| c.bytes().into_owned())
        })
        .collect();
    let items: Vec<Item> = FIXTURE
        .iter()
        .zip(&data)
        .map(|(entry, data)| match entry.kind {
            FixtureKind::Dir { mode } => Item::Dir(entry.path, mode),
            FixtureKind::File { mode, .. } => Item::File(entry.path, data, mode),
            FixtureKind::Symlink { target } => Item::Symlink(entry.path, target),
            FixtureKind::HardLink { target } => Item::HardLink(entry.path, target),
        })
        .collect();
    tar(&items)
}
