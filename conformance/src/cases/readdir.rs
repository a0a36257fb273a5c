//! Cases of the `readdir` area: what a directory listing holds, by path and by handle.

use crate::case::{needs, Area, Case, CaseResult};
use crate::ctx::Ctx;
use crate::target::Entry;
use crate::{check, ensure, ensure_eq, expect_errno};
use std::collections::BTreeMap;
use vfs_core::{Errno, FileType, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    let symlinks_and_links = needs::all(&[needs::SYMLINKS, needs::HARD_LINKS]);
    vec![
        Case::new(
            Area::Readdir,
            "empty_dir_lists_nothing",
            needs::WRITE,
            empty_dir_lists_nothing,
        ),
        Case::new(
            Area::Readdir,
            "lists_files_and_dirs_with_types",
            needs::WRITE,
            lists_files_and_dirs_with_types,
        ),
        Case::new(
            Area::Readdir,
            "lists_symlinks_as_symlinks",
            needs::SYMLINKS,
            lists_symlinks_as_symlinks,
        ),
        Case::new(
            Area::Readdir,
            "entry_inodes_match_lstat",
            needs::SYMLINKS,
            entry_inodes_match_lstat,
        ),
        Case::new(
            Area::Readdir,
            "hard_links_listed_with_same_inode",
            symlinks_and_links,
            hard_links_listed_with_same_inode,
        ),
        Case::new(
            Area::Readdir,
            "only_direct_children",
            needs::WRITE,
            only_direct_children,
        ),
        Case::new(
            Area::Readdir,
            "removed_names_disappear",
            needs::WRITE,
            removed_names_disappear,
        ),
        Case::new(
            Area::Readdir,
            "renamed_names_appear_under_new_name",
            needs::WRITE,
            renamed_names_appear_under_new_name,
        ),
        Case::new(
            Area::Readdir,
            "thousand_entries_each_once",
            needs::WRITE,
            thousand_entries_each_once,
        ),
        Case::new(
            Area::Readdir,
            "interleaved_creates_and_removes",
            needs::WRITE,
            interleaved_creates_and_removes,
        ),
        Case::new(
            Area::Readdir,
            "odd_names_round_trip",
            needs::WRITE,
            odd_names_round_trip,
        ),
        Case::new(
            Area::Readdir,
            "file_path_is_enotdir",
            needs::WRITE,
            file_path_is_enotdir,
        ),
        Case::new(
            Area::Readdir,
            "missing_is_enoent",
            needs::WRITE,
            missing_is_enoent,
        ),
        Case::new(
            Area::Readdir,
            "through_symlink_and_trailing_slash",
            needs::SYMLINKS,
            through_symlink_and_trailing_slash,
        ),
        Case::new(
            Area::Readdir,
            "open_handle_lists_same_set",
            needs::WRITE,
            open_handle_lists_same_set,
        ),
        Case::new(
            Area::Readdir,
            "open_handle_sees_later_changes",
            needs::WRITE,
            open_handle_sees_later_changes,
        ),
        Case::new(
            Area::Readdir,
            "removed_directory_handle_lists_nothing",
            needs::UNLINKED_OPEN,
            removed_directory_handle_lists_nothing,
        ),
    ]
}

/// The listing of `rel` keyed by name; fails on a name listed twice.
fn listing(ctx: &Ctx, rel: &str) -> Result<BTreeMap<Vec<u8>, Entry>, crate::Failure> {
    to_map(check!(ctx.read_dir(rel)))
}

fn to_map(entries: Vec<Entry>) -> Result<BTreeMap<Vec<u8>, Entry>, crate::Failure> {
    let mut map = BTreeMap::new();
    for entry in entries {
        let name = entry.name.clone();
        ensure!(
            name != b"." && name != b"..",
            "listing contains {:?}",
            String::from_utf8_lossy(&name)
        );
        if let Some(old) = map.insert(name, entry) {
            return Err(crate::Failure::msg(format!(
                "{:?} listed twice",
                String::from_utf8_lossy(&old.name)
            )));
        }
    }
    Ok(map)
}

/// The (name, type) pairs of a listing, sorted by name.
fn typed(map: &BTreeMap<Vec<u8>, Entry>) -> Vec<(String, FileType)> {
    map.values()
        .map(|e| (String::from_utf8_lossy(&e.name).into_owned(), e.file_type))
        .collect()
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn empty_dir_lists_nothing(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    ensure_eq!(check!(ctx.read_dir("d")), Vec::new());
    ensure_eq!(check!(ctx.names(".")), strings(&["d"]));
    Ok(())
}

fn lists_files_and_dirs_with_types(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("file", b"x"));
    check!(ctx.write_file("empty", b""));
    check!(ctx.mkdir("dir", 0o755));
    check!(ctx.mkdir("dir/sub", 0o755));
    let got = typed(&listing(ctx, ".")?);
    let want = [
        ("dir", FileType::Directory),
        ("empty", FileType::Regular),
        ("file", FileType::Regular),
    ];
    ensure_eq!(got, want.map(|(n, t)| (n.to_string(), t)).to_vec());
    Ok(())
}

fn lists_symlinks_as_symlinks(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("d", "to_dir"));
    check!(ctx.symlink("nowhere", "dangling"));
    let got = typed(&listing(ctx, ".")?);
    let want = [
        ("d", FileType::Directory),
        ("dangling", FileType::Symlink),
        ("to_dir", FileType::Symlink),
    ];
    ensure_eq!(got, want.map(|(n, t)| (n.to_string(), t)).to_vec());
    Ok(())
}

fn entry_inodes_match_lstat(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.symlink("f", "l"));
    for (name, entry) in listing(ctx, ".")? {
        let attr = check!(ctx.lstat(&name));
        ensure!(
            entry.ino == attr.ino && entry.file_type == attr.file_type,
            "entry {:?} is ({}, {:?}) but lstat says ({}, {:?})",
            String::from_utf8_lossy(&name),
            entry.ino,
            entry.file_type,
            attr.ino,
            attr.file_type
        );
    }
    Ok(())
}

fn hard_links_listed_with_same_inode(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("a", b""));
    check!(ctx.link("a", "b"));
    check!(ctx.symlink("a", "s"));
    let map = listing(ctx, ".")?;
    ensure_eq!(map.len(), 3);
    ensure_eq!(map[&b"a"[..]].ino, map[&b"b"[..]].ino);
    ensure!(
        map[&b"s"[..]].ino != map[&b"a"[..]].ino,
        "a symlink listed with its target's inode"
    );
    Ok(())
}

fn only_direct_children(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("a", 0o755));
    check!(ctx.mkdir("a/b", 0o755));
    check!(ctx.write_file("a/b/deep", b""));
    check!(ctx.write_file("a/top", b""));
    ensure_eq!(check!(ctx.names(".")), strings(&["a"]));
    ensure_eq!(check!(ctx.names("a")), strings(&["b", "top"]));
    ensure_eq!(check!(ctx.names("a/b")), strings(&["deep"]));
    Ok(())
}

fn removed_names_disappear(ctx: &Ctx) -> CaseResult {
    for name in ["f1", "f2"] {
        check!(ctx.write_file(name, b""));
    }
    check!(ctx.mkdir("d1", 0o755));
    check!(ctx.mkdir("d2", 0o755));
    check!(ctx.unlink("f1"));
    check!(ctx.rmdir("d2"));
    ensure_eq!(check!(ctx.names(".")), strings(&["d1", "f2"]));
    check!(ctx.unlink("f2"));
    check!(ctx.rmdir("d1"));
    ensure_eq!(check!(ctx.read_dir(".")), Vec::new());
    Ok(())
}

fn renamed_names_appear_under_new_name(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("old", b""));
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("olddir", 0o755));
    let ino = check!(ctx.lstat("old")).ino;
    check!(ctx.rename("old", "new"));
    check!(ctx.rename("olddir", "d/moved"));
    let map = listing(ctx, ".")?;
    ensure_eq!(
        typed(&map),
        vec![
            ("d".to_string(), FileType::Directory),
            ("new".to_string(), FileType::Regular)
        ]
    );
    ensure_eq!(map[&b"new"[..]].ino, ino);
    ensure_eq!(
        typed(&listing(ctx, "d")?),
        vec![("moved".to_string(), FileType::Directory)]
    );
    Ok(())
}

fn thousand_entries_each_once(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("big", 0o755));
    let mut want: Vec<String> = (0..1000).map(|i| format!("entry-{i:04}")).collect();
    for name in &want {
        check!(ctx.write_file(format!("big/{name}"), b""));
    }
    let map = listing(ctx, "big")?;
    want.sort();
    let got: Vec<String> = map
        .keys()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    ensure_eq!(got.len(), 1000);
    ensure!(
        got == want,
        "the listing of 1000 entries differs from the names created"
    );
    Ok(())
}

fn interleaved_creates_and_removes(ctx: &Ctx) -> CaseResult {
    for i in 0..100 {
        check!(ctx.write_file(format!("n{i:03}"), b""));
        if i % 3 == 0 {
            check!(ctx.unlink(format!("n{:03}", i / 3)));
        }
    }
    let removed: Vec<usize> = (0..100).filter(|i| i % 3 == 0).map(|i| i / 3).collect();
    let want: Vec<String> = (0..100)
        .filter(|i| !removed.contains(i))
        .map(|i| format!("n{i:03}"))
        .collect();
    ensure_eq!(check!(ctx.names(".")), want);
    Ok(())
}

fn odd_names_round_trip(ctx: &Ctx) -> CaseResult {
    let names: [&[u8]; 7] = [
        b"with space",
        b" leading and trailing ",
        "unicod\u{e9} \u{65e5}\u{672c} \u{1f600}".as_bytes(),
        b"high\xff\xfe bytes",
        b"tab\there\nnewline",
        b"-dash...dots.",
        b"*?[glob]\\",
    ];
    for name in names {
        check!(ctx.write_file(name, name));
    }
    let map = listing(ctx, ".")?;
    let mut want: Vec<Vec<u8>> = names.iter().map(|n| n.to_vec()).collect();
    want.sort();
    ensure_eq!(map.keys().cloned().collect::<Vec<_>>(), want);
    for name in names {
        ensure_eq!(check!(ctx.read_file(name)), name.to_vec());
    }
    Ok(())
}

fn file_path_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.read_dir("f"), Errno::ENOTDIR);
    expect_errno!(ctx.read_dir("f/"), Errno::ENOTDIR);
    expect_errno!(ctx.read_dir("f/x"), Errno::ENOTDIR);
    Ok(())
}

fn missing_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.read_dir("missing"), Errno::ENOENT);
    expect_errno!(ctx.read_dir("missing/sub"), Errno::ENOENT);
    expect_errno!(ctx.read_dir(""), Errno::ENOENT);
    Ok(())
}

fn through_symlink_and_trailing_slash(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/inside", b""));
    check!(ctx.write_file("f", b""));
    check!(ctx.symlink("d", "ld"));
    check!(ctx.symlink("f", "lf"));
    check!(ctx.symlink("nowhere", "dangling"));
    let direct = listing(ctx, "d")?;
    ensure_eq!(listing(ctx, "d/")?, direct);
    ensure_eq!(listing(ctx, "ld")?, direct);
    ensure_eq!(listing(ctx, "ld/")?, direct);
    expect_errno!(ctx.read_dir("lf"), Errno::ENOTDIR);
    expect_errno!(ctx.read_dir("dangling"), Errno::ENOENT);
    Ok(())
}

fn open_handle_lists_same_set(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("d/sub", 0o755));
    for name in ["a", "b", "c"] {
        check!(ctx.write_file(format!("d/{name}"), b""));
    }
    let by_path = listing(ctx, "d")?;
    let mut dir = check!(ctx.open("d", OpenFlags::RDONLY | OpenFlags::DIRECTORY, 0));
    ensure_eq!(to_map(check!(dir.read_dir()))?, by_path);
    // Listing again through the same handle starts over.
    ensure_eq!(to_map(check!(dir.read_dir()))?, by_path);
    check!(dir.close());
    Ok(())
}

/// Each listing through a handle starts from the beginning (a rewind), so it reflects
/// the directory as it is now, not as it was when the handle was opened.
fn open_handle_sees_later_changes(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/before", b""));
    let mut dir = check!(ctx.open("d", OpenFlags::RDONLY, 0));
    check!(ctx.write_file("d/after", b""));
    check!(ctx.unlink("d/before"));
    let names: Vec<Vec<u8>> = check!(dir.read_dir()).into_iter().map(|e| e.name).collect();
    ensure_eq!(names, vec![b"after".to_vec()]);
    Ok(())
}

/// A directory removed while open lists nothing through the handle (Linux returns no
/// entries for a dead directory, not even `.` and `..`).
fn removed_directory_handle_lists_nothing(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    let mut dir = check!(ctx.open("d", OpenFlags::RDONLY, 0));
    check!(ctx.rmdir("d"));
    ensure_eq!(check!(dir.read_dir()), Vec::new());
    ensure!(!ctx.exists("d"), "the removed directory came back");
    Ok(())
}
