//! Cases of the `fixture` area: looking at the [fixture](crate::fixture) tree
//! without changing it — `stat` of every kind, whole and partial reads, listings
//! through paths and handles, lookups that fail, symlinks and hard links — so a
//! read-only backend, which cannot build its own files, is checked too.
//!
//! Each case runs in a directory holding the fixture (`ctx.root()`), built by the
//! runner on a writable target and served by the backend on a read-only one. Only
//! the entries the target's capabilities can hold are there: the symlinks need
//! `symlinks`, `hard/two` needs `hard_links`.

use crate::case::{needs, Case, CaseResult};
use crate::ctx::{read_all, Ctx, Failure};
use crate::fixture::{self, Contents, FixtureKind, BIG_LEN};
use crate::target::Entry;
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{AccessMask, Errno, FileType, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    area_cases![Fixture;
        needs::NOTHING => root_lists_the_fixture,
        needs::NOTHING => every_directory_lists_its_entries,
        needs::NOTHING => empty_directories_list_nothing,
        needs::NOTHING => listing_inos_and_types_match_lstat,
        needs::NOTHING => stat_of_regular_files,
        needs::NOTHING => stat_of_directories,
        needs::READ_SYMLINKS => lstat_of_symlinks,
        needs::NOTHING => reads_every_file_whole,
        needs::NOTHING => empty_file_reads_nothing,
        needs::NOTHING => big_file_at_odd_offsets,
        needs::NOTHING => at_and_past_eof_reads_nothing,
        needs::NOTHING => short_read_at_end,
        needs::NOTHING => handles_read_independently,
        needs::NOTHING => fstat_matches_stat,
        needs::NOTHING => directory_handle_lists_entries,
        needs::NOTHING => directory_handle_read_is_eisdir,
        needs::NOTHING => names_with_spaces_and_unicode,
        needs::NOTHING => missing_names_are_enoent,
        needs::NOTHING => file_as_directory_component_is_enotdir,
        needs::NOTHING => trailing_slash_on_file_is_enotdir,
        needs::NOTHING => trailing_slash_on_directory_resolves,
        needs::NOTHING => dot_and_dotdot_inside_the_fixture,
        needs::NOTHING => readdir_of_file_is_enotdir,
        needs::NOTHING => open_directory_flag_on_file_is_enotdir,
        needs::NOTHING => open_directory_for_writing_is_eisdir,
        needs::NOTHING => readlink_of_non_symlink_is_einval,
        needs::NOTHING => access_of_existing_and_missing,
        needs::READ_SYMLINKS => readlink_gives_stored_targets,
        needs::READ_SYMLINKS => follows_relative_file_symlinks,
        needs::READ_SYMLINKS => follows_relative_directory_symlink,
        needs::READ_SYMLINKS => follows_symlink_chains,
        needs::READ_SYMLINKS => dotdot_after_directory_symlink_is_physical,
        needs::READ_SYMLINKS => dangling_symlink_is_enoent_but_lstat_works,
        needs::READ_SYMLINKS => symlink_loop_is_eloop,
        needs::READ_SYMLINKS => trailing_slash_on_symlinks,
        needs::READ_SYMLINKS => open_nofollow_on_symlink_is_eloop,
        needs::READ_SYMLINKS => listing_through_directory_symlink,
        needs::READ_HARD_LINKS => hard_link_pair_shares_inode,
    ]
    .into_iter()
    .map(Case::on_fixture)
    .collect()
}

/// The contents of fixture file `path`.
fn contents_of(path: &str) -> Result<Contents, Failure> {
    fixture::entry(path)
        .and_then(|entry| entry.contents())
        .ok_or_else(|| Failure::msg(format!("{path} is no file of the fixture")))
}

/// Directory `rel`'s listing as sorted `(name, type)`; the fixture's names are all
/// UTF-8, and a name that is not shows with replacement characters.
fn listing(ctx: &Ctx, rel: &str) -> Result<Vec<(String, FileType)>, Failure> {
    Ok(sorted(check!(ctx.read_dir(rel))))
}

/// `entries` as sorted `(name, type)`.
fn sorted(entries: Vec<Entry>) -> Vec<(String, FileType)> {
    let mut out: Vec<_> = entries
        .into_iter()
        .map(|entry| {
            (
                String::from_utf8_lossy(&entry.name).into_owned(),
                entry.file_type,
            )
        })
        .collect();
    out.sort();
    out
}

/// What the fixture says directory `dir` (`""`: the fixture directory) lists on this
/// target, as [`listing`] gives it.
fn expected_listing(ctx: &Ctx, dir: &str) -> Vec<(String, FileType)> {
    fixture::children(dir, &ctx.caps())
        .into_iter()
        .map(|(name, file_type)| (name.to_string(), file_type))
        .collect()
}

/// `dir` as a path relative to the fixture directory (`"."` for itself).
fn rel(dir: &str) -> &str {
    if dir.is_empty() {
        "."
    } else {
        dir
    }
}

/// Every fixture directory, the fixture directory itself (`""`) first.
fn directories() -> impl Iterator<Item = &'static str> {
    std::iter::once("").chain(
        fixture::FIXTURE
            .iter()
            .filter(|entry| matches!(entry.kind, FixtureKind::Dir { .. }))
            .map(|entry| entry.path),
    )
}

/// Up to `len` bytes at `offset` of `rel` through a fresh read-only handle.
fn pread_at(ctx: &Ctx, rel: &str, offset: u64, len: usize) -> vfs_core::Result<Vec<u8>> {
    let mut file = ctx.open(rel, OpenFlags::RDONLY, 0)?;
    let mut buf = vec![0xAAu8; len];
    let n = file.pread(&mut buf, offset)?;
    buf.truncate(n);
    file.close()?;
    Ok(buf)
}

fn root_lists_the_fixture(ctx: &Ctx) -> CaseResult {
    ensure_eq!(listing(ctx, ".")?, expected_listing(ctx, ""));
    Ok(())
}

fn every_directory_lists_its_entries(ctx: &Ctx) -> CaseResult {
    for dir in directories() {
        let got = listing(ctx, rel(dir))?;
        ensure!(
            got == expected_listing(ctx, dir),
            "listing of '{}': {:?}, expected {:?}",
            rel(dir),
            got,
            expected_listing(ctx, dir)
        );
    }
    Ok(())
}

fn empty_directories_list_nothing(ctx: &Ctx) -> CaseResult {
    for dir in ["empty-dir", "dir/sub/deeper"] {
        ensure_eq!(check!(ctx.read_dir(dir)), Vec::new());
        let mut handle = check!(ctx.open(dir, OpenFlags::RDONLY | OpenFlags::DIRECTORY, 0));
        ensure_eq!(check!(handle.read_dir()), Vec::new());
        check!(handle.close());
    }
    Ok(())
}

/// Each listed entry's inode number and type are those `lstat` of its path gives.
fn listing_inos_and_types_match_lstat(ctx: &Ctx) -> CaseResult {
    for dir in directories() {
        for entry in check!(ctx.read_dir(rel(dir))) {
            let mut path = rel(dir).as_bytes().to_vec();
            path.push(b'/');
            path.extend_from_slice(&entry.name);
            let attr = check!(ctx.lstat(&path));
            let shown = String::from_utf8_lossy(&path).into_owned();
            ensure!(
                (attr.ino, attr.file_type) == (entry.ino, entry.file_type),
                "{shown}: listed as ino {} {:?}, lstat says ino {} {:?}",
                entry.ino,
                entry.file_type,
                attr.ino,
                attr.file_type
            );
        }
    }
    Ok(())
}

/// Type, size and link count of every regular file; the mode too with
/// `permissions`.
fn stat_of_regular_files(ctx: &Ctx) -> CaseResult {
    let caps = ctx.caps();
    for entry in fixture::entries_for(&caps) {
        let Some(contents) = entry.contents() else {
            continue;
        };
        let attr = check!(ctx.lstat(entry.path));
        let path = entry.path;
        ensure_eq!((path, attr.file_type), (path, FileType::Regular));
        ensure_eq!((path, attr.size), (path, contents.len() as u64));
        ensure_eq!((path, attr.nlink), (path, fixture::nlink(entry, &caps)));
        if caps.permissions {
            ensure_eq!(
                (path, attr.mode & 0o7777),
                (path, entry.mode().unwrap_or(0))
            );
        }
    }
    Ok(())
}

/// Type of every directory; its link count with `dir_link_counts` (2 plus its
/// subdirectories, the fixture directory included); its mode with `permissions`.
fn stat_of_directories(ctx: &Ctx) -> CaseResult {
    let caps = ctx.caps();
    for dir in directories() {
        let attr = check!(ctx.lstat(rel(dir)));
        ensure_eq!((dir, attr.file_type), (dir, FileType::Directory));
        if caps.dir_link_counts {
            ensure_eq!((dir, attr.nlink), (dir, 2 + fixture::subdirectories(dir)));
        }
        if let (true, Some(entry)) = (caps.permissions, fixture::entry(dir)) {
            ensure_eq!((dir, attr.mode & 0o7777), (dir, entry.mode().unwrap_or(0)));
        }
    }
    Ok(())
}

/// `lstat` of a symlink: the symlink itself, its size the length of its target.
fn lstat_of_symlinks(ctx: &Ctx) -> CaseResult {
    for entry in fixture::FIXTURE {
        let FixtureKind::Symlink { target } = entry.kind else {
            continue;
        };
        let attr = check!(ctx.lstat(entry.path));
        let path = entry.path;
        ensure_eq!((path, attr.file_type), (path, FileType::Symlink));
        ensure_eq!((path, attr.size), (path, target.len() as u64));
        ensure_eq!((path, attr.nlink), (path, 1));
    }
    Ok(())
}

fn reads_every_file_whole(ctx: &Ctx) -> CaseResult {
    for entry in fixture::entries_for(&ctx.caps()) {
        let Some(contents) = entry.contents() else {
            continue;
        };
        let got = check!(ctx.read_file(entry.path));
        ensure!(
            got == *contents.bytes(),
            "{}: read {} bytes that differ from the fixture's {}",
            entry.path,
            got.len(),
            contents.len()
        );
    }
    Ok(())
}

fn empty_file_reads_nothing(ctx: &Ctx) -> CaseResult {
    for offset in [0, 1, 4096] {
        ensure_eq!(check!(pread_at(ctx, "empty", offset, 16)), Vec::<u8>::new());
    }
    let mut file = check!(ctx.open("empty", OpenFlags::RDONLY, 0));
    ensure_eq!(check!(file.fstat()).size, 0);
    ensure_eq!(check!(file.pread(&mut [], 0)), 0);
    Ok(())
}

/// The pattern file read through one handle at offsets crossing page and chunk
/// boundaries, and in one call of its whole length.
fn big_file_at_odd_offsets(ctx: &Ctx) -> CaseResult {
    let data = contents_of("big.bin")?.bytes();
    let mut file = check!(ctx.open("big.bin", OpenFlags::RDONLY, 0));
    for (offset, len) in [
        (0, BIG_LEN),
        (0, 1),
        (1, 4096),
        (4095, 2),
        (4096, 4096),
        (4097, 70_001),
        (65_535, 131_075),
        (200_000, 1),
        (BIG_LEN - 3, 10),
        (BIG_LEN - 4096, 4096),
    ] {
        let mut buf = vec![0u8; len];
        let n = check!(file.pread(&mut buf, offset as u64));
        let want = &data[offset..(offset + len).min(BIG_LEN)];
        ensure!(
            n == want.len() && buf[..n] == *want,
            "pread of {len} at {offset} gave wrong data ({n} bytes)"
        );
    }
    ensure!(
        check!(read_all(file.as_mut())) == *data,
        "reading the whole file in chunks differs"
    );
    check!(file.close());
    Ok(())
}

fn at_and_past_eof_reads_nothing(ctx: &Ctx) -> CaseResult {
    let small = contents_of("hello.txt")?.len() as u64;
    let big = BIG_LEN as u64;
    for (path, offset) in [
        ("hello.txt", small),
        ("hello.txt", small + 1),
        ("hello.txt", 4096),
        ("hello.txt", 1 << 40),
        ("big.bin", big),
        ("big.bin", big + 4096),
    ] {
        let got = check!(pread_at(ctx, path, offset, 64));
        ensure!(
            got.is_empty(),
            "pread at {offset} of {path} ({} bytes long) gave {} bytes",
            if path == "big.bin" { big } else { small },
            got.len()
        );
    }
    Ok(())
}

fn short_read_at_end(ctx: &Ctx) -> CaseResult {
    ensure_eq!(
        check!(pread_at(ctx, "hello.txt", 7, 100)),
        b"world\n".to_vec()
    );
    ensure_eq!(check!(pread_at(ctx, "hello.txt", 12, 2)), b"\n".to_vec());
    ensure_eq!(check!(pread_at(ctx, "hello.txt", 0, 5)), b"hello".to_vec());
    let data = contents_of("big.bin")?.bytes();
    ensure_eq!(
        check!(pread_at(ctx, "big.bin", BIG_LEN as u64 - 5, 4096)),
        data[BIG_LEN - 5..].to_vec()
    );
    Ok(())
}

fn handles_read_independently(ctx: &Ctx) -> CaseResult {
    let data = contents_of("big.bin")?.bytes();
    let mut one = check!(ctx.open("big.bin", OpenFlags::RDONLY, 0));
    let mut two = check!(ctx.open("big.bin", OpenFlags::RDONLY, 0));
    let (mut a, mut b) = ([0u8; 7], [0u8; 7]);
    ensure_eq!(check!(one.pread(&mut a, 100_000)), 7);
    ensure_eq!(check!(two.pread(&mut b, 3)), 7);
    ensure_eq!(&a[..], &data[100_000..100_007]);
    ensure_eq!(&b[..], &data[3..10]);
    check!(one.close());
    ensure!(
        check!(read_all(two.as_mut())) == *data,
        "the second handle reads differently after the first closed"
    );
    check!(two.close());
    Ok(())
}

fn fstat_matches_stat(ctx: &Ctx) -> CaseResult {
    for path in ["hello.txt", "big.bin", "empty", "run.sh"] {
        let by_path = check!(ctx.stat(path));
        let mut file = check!(ctx.open(path, OpenFlags::RDONLY, 0));
        let by_handle = check!(file.fstat());
        check!(file.close());
        ensure_eq!(
            (
                path,
                by_handle.ino,
                by_handle.file_type,
                by_handle.size,
                by_handle.nlink
            ),
            (
                path,
                by_path.ino,
                by_path.file_type,
                by_path.size,
                by_path.nlink
            )
        );
    }
    Ok(())
}

/// A directory opened for reading lists through its handle what a listing by path
/// gives, and `fstat` on the handle is the directory's.
fn directory_handle_lists_entries(ctx: &Ctx) -> CaseResult {
    for (dir, flags) in [
        ("dir", OpenFlags::RDONLY),
        ("dir/sub", OpenFlags::RDONLY | OpenFlags::DIRECTORY),
        (".", OpenFlags::RDONLY | OpenFlags::DIRECTORY),
    ] {
        let mut handle = check!(ctx.open(dir, flags, 0));
        let got = sorted(check!(handle.read_dir()));
        let fixture_dir = if dir == "." { "" } else { dir };
        ensure_eq!((dir, got), (dir, expected_listing(ctx, fixture_dir)));
        let attr = check!(handle.fstat());
        ensure_eq!(attr.file_type, FileType::Directory);
        ensure_eq!(attr.ino, check!(ctx.stat(dir)).ino);
        check!(handle.close());
    }
    Ok(())
}

fn directory_handle_read_is_eisdir(ctx: &Ctx) -> CaseResult {
    let mut dir = check!(ctx.open("dir", OpenFlags::RDONLY, 0));
    let mut buf = [0u8; 16];
    expect_errno!(dir.pread(&mut buf, 0), Errno::EISDIR);
    Ok(())
}

/// Names are bytes: spaces and multi-byte UTF-8 are found, read and listed exactly.
fn names_with_spaces_and_unicode(ctx: &Ctx) -> CaseResult {
    let names: Vec<Vec<u8>> = check!(ctx.read_dir("."))
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    for path in ["name with spaces.txt", "ünïcødé 名前.txt"] {
        ensure!(
            names.contains(&path.as_bytes().to_vec()),
            "'{path}' not listed exactly"
        );
        ensure_eq!(check!(ctx.stat(path)).file_type, FileType::Regular);
        ensure_eq!(
            check!(ctx.read_file(path)),
            contents_of(path)?.bytes().to_vec()
        );
    }
    // Another normalisation of the same text is another name.
    expect_errno!(ctx.stat("u\u{308}nïcødé 名前.txt"), Errno::ENOENT);
    expect_errno!(ctx.stat("name  with spaces.txt"), Errno::ENOENT);
    Ok(())
}

fn missing_names_are_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat("no-such"), Errno::ENOENT);
    expect_errno!(ctx.lstat("no-such"), Errno::ENOENT);
    expect_errno!(ctx.open("no-such", OpenFlags::RDONLY, 0), Errno::ENOENT);
    expect_errno!(ctx.read_dir("no-such"), Errno::ENOENT);
    expect_errno!(ctx.readlink("no-such"), Errno::ENOENT);
    expect_errno!(ctx.stat("dir/no-such"), Errno::ENOENT);
    expect_errno!(ctx.stat("no-such/a.txt"), Errno::ENOENT);
    expect_errno!(ctx.stat("empty-dir/x"), Errno::ENOENT);
    expect_errno!(
        ctx.open("dir/sub/deeper/x", OpenFlags::RDONLY, 0),
        Errno::ENOENT
    );
    // Names are case-sensitive.
    expect_errno!(ctx.stat("HELLO.TXT"), Errno::ENOENT);
    expect_errno!(ctx.stat("Dir/a.txt"), Errno::ENOENT);
    Ok(())
}

fn file_as_directory_component_is_enotdir(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat("hello.txt/x"), Errno::ENOTDIR);
    expect_errno!(ctx.lstat("dir/a.txt/x"), Errno::ENOTDIR);
    expect_errno!(ctx.open("empty/x", OpenFlags::RDONLY, 0), Errno::ENOTDIR);
    expect_errno!(ctx.read_dir("hello.txt/x"), Errno::ENOTDIR);
    expect_errno!(ctx.stat("dir/a.txt/.."), Errno::ENOTDIR);
    expect_errno!(ctx.stat("big.bin/."), Errno::ENOTDIR);
    Ok(())
}

fn trailing_slash_on_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat("hello.txt/"), Errno::ENOTDIR);
    expect_errno!(ctx.lstat("dir/a.txt/"), Errno::ENOTDIR);
    expect_errno!(ctx.open("hello.txt/", OpenFlags::RDONLY, 0), Errno::ENOTDIR);
    expect_errno!(ctx.stat("empty//"), Errno::ENOTDIR);
    Ok(())
}

fn trailing_slash_on_directory_resolves(ctx: &Ctx) -> CaseResult {
    let dir = check!(ctx.stat("dir"));
    for path in ["dir/", "dir//", "dir/.", "dir/./", "./dir"] {
        let attr = check!(ctx.stat(path));
        ensure_eq!(
            (path, attr.ino, attr.file_type),
            (path, dir.ino, dir.file_type)
        );
    }
    ensure_eq!(listing(ctx, "dir/")?, expected_listing(ctx, "dir"));
    ensure_eq!(
        check!(ctx.read_file("dir//sub///deep.txt")),
        b"deep down\n".to_vec()
    );
    Ok(())
}

/// `.` and `..` are real steps inside the tree: `dir/sub/..` is `dir`, `dir/..` the
/// fixture directory.
fn dot_and_dotdot_inside_the_fixture(ctx: &Ctx) -> CaseResult {
    let top = check!(ctx.stat(".")).ino;
    let dir = check!(ctx.stat("dir")).ino;
    let sub = check!(ctx.stat("dir/sub")).ino;
    for (path, want) in [
        ("dir/sub/..", dir),
        ("dir/sub/deeper/..", sub),
        ("dir/sub/deeper/../..", dir),
        ("dir/..", top),
        ("dir/sub/../..", top),
        ("dir/./sub/.", sub),
        ("empty-dir/../dir", dir),
    ] {
        ensure_eq!((path, check!(ctx.stat(path)).ino), (path, want));
    }
    ensure_eq!(
        check!(ctx.read_file("dir/sub/../a.txt")),
        b"alpha\n".to_vec()
    );
    ensure_eq!(
        check!(ctx.read_file("dir/sub/deeper/../../b.txt")),
        b"bravo bravo\n".to_vec()
    );
    ensure_eq!(
        check!(ctx.read_file("./dir/../hello.txt")),
        b"hello, world\n".to_vec()
    );
    expect_errno!(ctx.stat("empty-dir/no-such/.."), Errno::ENOENT);
    Ok(())
}

fn readdir_of_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.read_dir("hello.txt"), Errno::ENOTDIR);
    expect_errno!(ctx.read_dir("empty"), Errno::ENOTDIR);
    expect_errno!(ctx.read_dir("dir/a.txt"), Errno::ENOTDIR);
    Ok(())
}

fn open_directory_flag_on_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    let flags = OpenFlags::RDONLY | OpenFlags::DIRECTORY;
    expect_errno!(ctx.open("hello.txt", flags, 0), Errno::ENOTDIR);
    expect_errno!(ctx.open("empty", flags, 0), Errno::ENOTDIR);
    if ctx.caps().symlinks {
        expect_errno!(ctx.open("links/to-hello", flags, 0), Errno::ENOTDIR);
        check!(check!(ctx.open("links/to-dir", flags, 0)).close());
    }
    check!(check!(ctx.open("dir", flags, 0)).close());
    Ok(())
}

/// Opening a directory for writing is `EISDIR` — on a read-only file system too,
/// where Linux checks the type before the mount.
fn open_directory_for_writing_is_eisdir(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.open("dir", OpenFlags::WRONLY, 0), Errno::EISDIR);
    expect_errno!(ctx.open("dir/sub", OpenFlags::RDWR, 0), Errno::EISDIR);
    expect_errno!(ctx.open(".", OpenFlags::WRONLY, 0), Errno::EISDIR);
    Ok(())
}

fn readlink_of_non_symlink_is_einval(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.readlink("hello.txt"), Errno::EINVAL);
    expect_errno!(ctx.readlink("dir"), Errno::EINVAL);
    expect_errno!(ctx.readlink("empty"), Errno::EINVAL);
    Ok(())
}

fn access_of_existing_and_missing(ctx: &Ctx) -> CaseResult {
    check!(ctx.access("hello.txt", AccessMask::empty()));
    check!(ctx.access("hello.txt", AccessMask::READ));
    check!(ctx.access("dir", AccessMask::READ | AccessMask::EXECUTE));
    expect_errno!(ctx.access("no-such", AccessMask::empty()), Errno::ENOENT);
    expect_errno!(ctx.access("hello.txt/x", AccessMask::READ), Errno::ENOTDIR);
    Ok(())
}

fn readlink_gives_stored_targets(ctx: &Ctx) -> CaseResult {
    for entry in fixture::FIXTURE {
        if let FixtureKind::Symlink { target } = entry.kind {
            let got = check!(ctx.readlink(entry.path));
            ensure!(
                got == target.as_bytes(),
                "readlink {}: {:?}, expected {target:?}",
                entry.path,
                String::from_utf8_lossy(&got)
            );
        }
    }
    Ok(())
}

/// `links/to-hello -> ../hello.txt` and `links/deep -> ../dir/sub/deep.txt` are
/// resolved relative to `links/`, the directory holding them.
fn follows_relative_file_symlinks(ctx: &Ctx) -> CaseResult {
    for (link, file) in [
        ("links/to-hello", "hello.txt"),
        ("links/deep", "dir/sub/deep.txt"),
    ] {
        ensure_eq!(
            (link, check!(ctx.read_file(link))),
            (link, contents_of(file)?.bytes().to_vec())
        );
        let (via, direct) = (check!(ctx.stat(link)), check!(ctx.stat(file)));
        ensure_eq!(
            (link, via.ino, via.file_type, via.size),
            (link, direct.ino, direct.file_type, direct.size)
        );
        let mut handle = check!(ctx.open(link, OpenFlags::RDONLY, 0));
        ensure_eq!(check!(handle.fstat()).ino, direct.ino);
        check!(handle.close());
    }
    Ok(())
}

fn follows_relative_directory_symlink(ctx: &Ctx) -> CaseResult {
    let dir = check!(ctx.stat("dir"));
    let via = check!(ctx.stat("links/to-dir"));
    ensure_eq!((via.ino, via.file_type), (dir.ino, FileType::Directory));
    ensure_eq!(
        check!(ctx.read_file("links/to-dir/a.txt")),
        b"alpha\n".to_vec()
    );
    ensure_eq!(
        check!(ctx.read_file("links/to-dir/sub/deep.txt")),
        b"deep down\n".to_vec()
    );
    ensure_eq!(
        check!(ctx.lstat("links/to-dir/sub")).ino,
        check!(ctx.stat("dir/sub")).ino
    );
    Ok(())
}

/// `links/chain -> to-hello -> ../hello.txt`, and `links/through-dir ->
/// to-dir/sub` through the directory link `to-dir -> ../dir`: followed to the end,
/// no `ELOOP`.
fn follows_symlink_chains(ctx: &Ctx) -> CaseResult {
    ensure_eq!(
        check!(ctx.read_file("links/chain")),
        b"hello, world\n".to_vec()
    );
    ensure_eq!(
        check!(ctx.stat("links/chain")).ino,
        check!(ctx.stat("hello.txt")).ino
    );
    ensure_eq!(
        check!(ctx.lstat("links/chain")).file_type,
        FileType::Symlink
    );
    let sub = check!(ctx.stat("dir/sub")).ino;
    ensure_eq!(check!(ctx.stat("links/through-dir")).ino, sub);
    ensure_eq!(
        check!(ctx.read_file("links/through-dir/deep.txt")),
        b"deep down\n".to_vec()
    );
    ensure_eq!(
        check!(ctx.stat("links/through-dir/deeper")).file_type,
        FileType::Directory
    );
    Ok(())
}

/// `..` after a directory symlink is the parent of the symlink's target, not the
/// directory holding the symlink: `links/to-dir/..` is the fixture directory.
fn dotdot_after_directory_symlink_is_physical(ctx: &Ctx) -> CaseResult {
    let top = check!(ctx.stat(".")).ino;
    let links = check!(ctx.stat("links")).ino;
    let dir = check!(ctx.stat("dir")).ino;
    let via = check!(ctx.stat("links/to-dir/.."));
    ensure!(
        via.ino == top && via.ino != links,
        "links/to-dir/.. is ino {}: the fixture directory is {top}, links/ is {links}",
        via.ino
    );
    ensure_eq!(check!(ctx.stat("links/through-dir/..")).ino, dir);
    ensure_eq!(
        check!(ctx.read_file("links/to-dir/../hello.txt")),
        b"hello, world\n".to_vec()
    );
    expect_errno!(ctx.stat("links/to-dir/../to-hello"), Errno::ENOENT);
    Ok(())
}

fn dangling_symlink_is_enoent_but_lstat_works(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat("links/dangling"), Errno::ENOENT);
    expect_errno!(
        ctx.open("links/dangling", OpenFlags::RDONLY, 0),
        Errno::ENOENT
    );
    expect_errno!(ctx.stat("links/dangling/"), Errno::ENOENT);
    expect_errno!(ctx.read_dir("links/dangling"), Errno::ENOENT);
    expect_errno!(
        ctx.access("links/dangling", AccessMask::empty()),
        Errno::ENOENT
    );
    let attr = check!(ctx.lstat("links/dangling"));
    ensure_eq!(attr.file_type, FileType::Symlink);
    ensure_eq!(attr.size, "../no-such-file".len() as u64);
    ensure_eq!(
        check!(ctx.readlink("links/dangling")),
        b"../no-such-file".to_vec()
    );
    Ok(())
}

/// `links/loop -> loop` points at itself: following it is `ELOOP`, not a hang.
fn symlink_loop_is_eloop(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat("links/loop"), Errno::ELOOP);
    expect_errno!(ctx.open("links/loop", OpenFlags::RDONLY, 0), Errno::ELOOP);
    expect_errno!(ctx.stat("links/loop/x"), Errno::ELOOP);
    expect_errno!(ctx.read_dir("links/loop"), Errno::ELOOP);
    ensure_eq!(check!(ctx.lstat("links/loop")).file_type, FileType::Symlink);
    ensure_eq!(check!(ctx.readlink("links/loop")), b"loop".to_vec());
    Ok(())
}

/// A trailing slash follows a final symlink, even for `lstat`: to a directory it
/// resolves, to a file it is `ENOTDIR`.
fn trailing_slash_on_symlinks(ctx: &Ctx) -> CaseResult {
    let dir = check!(ctx.stat("dir")).ino;
    let attr = check!(ctx.lstat("links/to-dir/"));
    ensure_eq!((attr.ino, attr.file_type), (dir, FileType::Directory));
    ensure_eq!(
        check!(ctx.lstat("links/to-dir")).file_type,
        FileType::Symlink
    );
    expect_errno!(ctx.stat("links/to-hello/"), Errno::ENOTDIR);
    expect_errno!(ctx.lstat("links/chain/"), Errno::ENOTDIR);
    expect_errno!(
        ctx.open("links/to-hello/", OpenFlags::RDONLY, 0),
        Errno::ENOTDIR
    );
    Ok(())
}

/// `O_NOFOLLOW` refuses a final symlink (to a file or a directory) with `ELOOP`;
/// symlinks earlier in the path are still followed.
fn open_nofollow_on_symlink_is_eloop(ctx: &Ctx) -> CaseResult {
    let flags = OpenFlags::RDONLY | OpenFlags::NOFOLLOW;
    expect_errno!(ctx.open("links/to-hello", flags, 0), Errno::ELOOP);
    expect_errno!(ctx.open("links/to-dir", flags, 0), Errno::ELOOP);
    expect_errno!(ctx.open("links/dangling", flags, 0), Errno::ELOOP);
    let mut file = check!(ctx.open("links/to-dir/a.txt", flags, 0));
    ensure_eq!(check!(read_all(file.as_mut())), b"alpha\n".to_vec());
    check!(file.close());
    Ok(())
}

/// Listing a directory through a symlink to it, by path and through a handle.
fn listing_through_directory_symlink(ctx: &Ctx) -> CaseResult {
    ensure_eq!(listing(ctx, "links/to-dir")?, expected_listing(ctx, "dir"));
    ensure_eq!(
        listing(ctx, "links/through-dir")?,
        expected_listing(ctx, "dir/sub")
    );
    let mut handle = check!(ctx.open("links/to-dir", OpenFlags::RDONLY, 0));
    ensure_eq!(
        sorted(check!(handle.read_dir())),
        expected_listing(ctx, "dir")
    );
    check!(handle.close());
    Ok(())
}

/// `hard/one` and `hard/two` are one file: same inode, link count 2, same data, and
/// the listing shows one inode number twice.
fn hard_link_pair_shares_inode(ctx: &Ctx) -> CaseResult {
    let one = check!(ctx.lstat("hard/one"));
    let two = check!(ctx.lstat("hard/two"));
    ensure_eq!(one.ino, two.ino);
    ensure_eq!((one.nlink, two.nlink), (2, 2));
    ensure_eq!((one.size, one.file_type), (two.size, FileType::Regular));
    ensure_eq!(check!(ctx.read_file("hard/two")), b"linked\n".to_vec());
    ensure_eq!(check!(ctx.read_file("hard/one")), b"linked\n".to_vec());
    let entries = check!(ctx.read_dir("hard"));
    ensure!(
        entries.len() == 2 && entries.iter().all(|entry| entry.ino == one.ino),
        "hard/ lists {entries:?}, expected two names of ino {}",
        one.ino
    );
    let mut file = check!(ctx.open("hard/two", OpenFlags::RDONLY, 0));
    ensure_eq!(check!(file.fstat()).nlink, 2);
    check!(file.close());
    Ok(())
}
