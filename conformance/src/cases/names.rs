//! Cases of the `names` area: name and path limits, odd bytes, and how `.`, `..`,
//! slashes and symlinks are resolved.

use crate::case::{needs, Case, CaseResult};
use crate::ctx::{Ctx, Failure};
use crate::{check, ensure, ensure_eq, expect_errno};
use vfs_core::{Errno, FileType, OpenFlags};

pub(super) fn cases() -> Vec<Case> {
    area_cases![Names;
        needs::WRITE => name_of_255_bytes_works,
        needs::WRITE => name_of_256_bytes_create_is_enametoolong,
        needs::WRITE => name_of_256_bytes_lookup_is_enametoolong,
        needs::WRITE => long_intermediate_name_is_enametoolong,
        needs::WRITE => path_of_4095_bytes_resolves,
        needs::WRITE => path_of_4096_bytes_is_enametoolong,
        needs::WRITE => empty_path_is_enoent,
        needs::WRITE => nul_byte_is_einval,
        needs::WRITE => dotdot_is_a_real_step,
        needs::WRITE => dot_is_a_real_step,
        needs::WRITE => dotdot_of_scratch_is_its_parent,
        needs::WRITE => dotdot_of_root_is_root,
        needs::WRITE => dotdot_above_root_stays_at_root,
        needs::WRITE => multiple_slashes_are_one,
        needs::SYMLINKS => dotdot_through_symlink_is_target_parent,
        needs::WRITE => file_as_intermediate_is_enotdir,
        needs::WRITE => trailing_slash_or_dot_on_file_is_enotdir,
        needs::WRITE => trailing_slash_or_dot_on_dir_resolves,
        needs::WRITE => missing_intermediate_is_enoent,
        needs::WRITE => non_utf8_names_round_trip,
        needs::WRITE => whitespace_and_punctuation_names_round_trip,
        needs::WRITE => names_are_case_sensitive,
        needs::WRITE => dots_only_name_is_ordinary,
    ]
}

/// The raw names in directory `rel`, sorted.
fn raw_names(ctx: &Ctx, rel: &str) -> Result<Vec<Vec<u8>>, Failure> {
    let mut names: Vec<Vec<u8>> = check!(ctx.read_dir(rel))
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    Ok(names)
}

/// Creates each name as a file holding the name itself, then checks that listing,
/// `stat` and reading give every name back exactly.
fn names_round_trip(ctx: &Ctx, names: &[&[u8]]) -> CaseResult {
    for name in names {
        check!(ctx.write_file(name, name));
    }
    let mut expected: Vec<Vec<u8>> = names.iter().map(|n| n.to_vec()).collect();
    expected.sort();
    ensure_eq!(raw_names(ctx, ".")?, expected);
    for name in names {
        ensure_eq!(check!(ctx.stat(name)).file_type, FileType::Regular);
        ensure_eq!(check!(ctx.read_file(name)), name.to_vec());
    }
    Ok(())
}

/// An absolute path of exactly `len` bytes naming `name` in the scratch directory,
/// padded with `./` steps (and one extra slash when the parity needs it).
fn padded_path(ctx: &Ctx, name: &str, len: usize) -> Vec<u8> {
    let mut path = format!("{}/", ctx.root()).into_bytes();
    let fill = len - path.len() - name.len();
    if fill % 2 == 1 {
        path.push(b'/');
    }
    path.extend_from_slice(&b"./".repeat(fill / 2));
    path.extend_from_slice(name.as_bytes());
    assert_eq!(path.len(), len);
    path
}

fn name_of_255_bytes_works(ctx: &Ctx) -> CaseResult {
    let (file, dir) = ("f".repeat(255), "d".repeat(255));
    check!(ctx.write_file(&file, b"long name"));
    check!(ctx.mkdir(&dir, 0o755));
    ensure_eq!(check!(ctx.read_file(&file)), b"long name");
    ensure_eq!(check!(ctx.stat(&dir)).file_type, FileType::Directory);
    ensure_eq!(check!(ctx.names(".")), vec![dir.clone(), file.clone()]);
    check!(ctx.unlink(&file));
    check!(ctx.rmdir(&dir));
    Ok(())
}

fn name_of_256_bytes_create_is_enametoolong(ctx: &Ctx) -> CaseResult {
    let long = "n".repeat(256);
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.write_file(&long, b""), Errno::ENAMETOOLONG);
    expect_errno!(ctx.mkdir(&long, 0o755), Errno::ENAMETOOLONG);
    expect_errno!(ctx.rename("f", &long), Errno::ENAMETOOLONG);
    expect_errno!(ctx.symlink("f", &long), Errno::ENAMETOOLONG);
    ensure_eq!(check!(ctx.names(".")), vec!["f"]);
    Ok(())
}

fn name_of_256_bytes_lookup_is_enametoolong(ctx: &Ctx) -> CaseResult {
    let long = "n".repeat(256);
    expect_errno!(ctx.stat(&long), Errno::ENAMETOOLONG);
    expect_errno!(ctx.lstat(&long), Errno::ENAMETOOLONG);
    expect_errno!(ctx.open(&long, OpenFlags::RDONLY, 0), Errno::ENAMETOOLONG);
    expect_errno!(ctx.unlink(&long), Errno::ENAMETOOLONG);
    expect_errno!(ctx.rmdir(&long), Errno::ENAMETOOLONG);
    Ok(())
}

fn long_intermediate_name_is_enametoolong(ctx: &Ctx) -> CaseResult {
    let path = format!("{}/f", "n".repeat(256));
    expect_errno!(ctx.stat(&path), Errno::ENAMETOOLONG);
    expect_errno!(ctx.mkdir(&path, 0o755), Errno::ENAMETOOLONG);
    Ok(())
}

fn path_of_4095_bytes_resolves(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"far"));
    let path = padded_path(ctx, "f", 4095);
    ensure_eq!(check!(ctx.read_file(&path)), b"far");
    check!(ctx.mkdir(padded_path(ctx, "d", 4095), 0o755));
    ensure_eq!(check!(ctx.stat("d")).file_type, FileType::Directory);
    Ok(())
}

/// Linux's `PATH_MAX` (4096) counts the terminating NUL: 4096 bytes is too long.
fn path_of_4096_bytes_is_enametoolong(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    for len in [4096, 5000] {
        let path = padded_path(ctx, "f", len);
        expect_errno!(ctx.stat(&path), Errno::ENAMETOOLONG);
        expect_errno!(ctx.open(&path, OpenFlags::RDONLY, 0), Errno::ENAMETOOLONG);
        expect_errno!(
            ctx.mkdir(padded_path(ctx, "d", len), 0o755),
            Errno::ENAMETOOLONG
        );
    }
    ensure_eq!(check!(ctx.names(".")), vec!["f"]);
    Ok(())
}

fn empty_path_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat(""), Errno::ENOENT);
    expect_errno!(ctx.lstat(""), Errno::ENOENT);
    expect_errno!(ctx.mkdir("", 0o755), Errno::ENOENT);
    expect_errno!(ctx.unlink(""), Errno::ENOENT);
    expect_errno!(ctx.rmdir(""), Errno::ENOENT);
    expect_errno!(
        ctx.open("", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
        Errno::ENOENT
    );
    Ok(())
}

/// A C caller cannot pass a NUL inside a path; the kernel target maps it to `EINVAL`
/// and a namespace must refuse it the same way.
fn nul_byte_is_einval(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("a", b""));
    expect_errno!(ctx.stat(b"a\0b"), Errno::EINVAL);
    expect_errno!(ctx.mkdir(b"d\0", 0o755), Errno::EINVAL);
    expect_errno!(
        ctx.open(b"x\0y", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
        Errno::EINVAL
    );
    ensure_eq!(check!(ctx.names(".")), vec!["a"]);
    Ok(())
}

fn dotdot_is_a_real_step(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.mkdir("d/e", 0o755));
    check!(ctx.write_file("f", b"top"));
    let ino = check!(ctx.stat("f")).ino;
    for path in ["d/../f", "d/e/../../f", "d/e/../e/../../f"] {
        ensure_eq!(check!(ctx.stat(path)).ino, ino);
    }
    check!(ctx.write_file("d/e/../g", b"in d"));
    ensure_eq!(check!(ctx.names("d")), vec!["e", "g"]);
    Ok(())
}

fn dot_is_a_real_step(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b"in d"));
    let ino = check!(ctx.stat("d/f")).ino;
    for path in ["d/./f", "./d/f", "d/././f", "./././d/./f"] {
        ensure_eq!(check!(ctx.stat(path)).ino, ino);
    }
    ensure_eq!(check!(ctx.stat("d/.")).ino, check!(ctx.stat("d")).ino);
    Ok(())
}

fn dotdot_of_scratch_is_its_parent(ctx: &Ctx) -> CaseResult {
    let root = ctx.root();
    let (parent, base) = match root.rsplit_once('/') {
        Some(("", base)) => ("/", base),
        Some(split) => split,
        None => {
            return Err(Failure::msg(format!(
                "scratch directory {root} is not absolute"
            )))
        }
    };
    ensure_eq!(check!(ctx.stat("..")).ino, check!(ctx.stat(parent)).ino);
    ensure_eq!(
        check!(ctx.stat(format!("../{base}"))).ino,
        check!(ctx.stat(".")).ino
    );
    Ok(())
}

fn dotdot_of_root_is_root(ctx: &Ctx) -> CaseResult {
    let root = check!(ctx.stat("/")).ino;
    ensure_eq!(check!(ctx.stat("/..")).ino, root);
    ensure_eq!(check!(ctx.stat("/../..")).ino, root);
    ensure_eq!(check!(ctx.stat("/.")).ino, root);
    Ok(())
}

fn dotdot_above_root_stays_at_root(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b"found"));
    ensure_eq!(
        check!(ctx.read_file(format!("/../../..{}/f", ctx.root()))),
        b"found"
    );
    Ok(())
}

fn multiple_slashes_are_one(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    check!(ctx.write_file("d/f", b""));
    let ino = check!(ctx.stat("d/f")).ino;
    for path in ["d//f", "d///f", ".//d//f"] {
        ensure_eq!(check!(ctx.stat(path)).ino, ino);
    }
    ensure_eq!(check!(ctx.stat(format!("/{}//d/f", ctx.root()))).ino, ino);
    Ok(())
}

/// `..` after a symlink steps to the parent of the symlink's target, not back to the
/// directory holding the symlink.
fn dotdot_through_symlink_is_target_parent(ctx: &Ctx) -> CaseResult {
    for dir in ["a", "a/b", "a/b/c"] {
        check!(ctx.mkdir(dir, 0o755));
    }
    check!(ctx.symlink("a/b/c", "l"));
    ensure_eq!(check!(ctx.stat("l/..")).ino, check!(ctx.stat("a/b")).ino);
    check!(ctx.write_file("l/../f", b""));
    ensure_eq!(check!(ctx.names("a/b")), vec!["c", "f"]);
    ensure_eq!(check!(ctx.names(".")), vec!["a", "l"]);
    Ok(())
}

fn file_as_intermediate_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.stat("f/x"), Errno::ENOTDIR);
    expect_errno!(
        ctx.open("f/x", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
        Errno::ENOTDIR
    );
    expect_errno!(ctx.stat("f/x/y"), Errno::ENOTDIR);
    expect_errno!(ctx.stat("f/../f"), Errno::ENOTDIR);
    Ok(())
}

fn trailing_slash_or_dot_on_file_is_enotdir(ctx: &Ctx) -> CaseResult {
    check!(ctx.write_file("f", b""));
    expect_errno!(ctx.stat("f/"), Errno::ENOTDIR);
    expect_errno!(ctx.lstat("f/"), Errno::ENOTDIR);
    expect_errno!(ctx.stat("f/."), Errno::ENOTDIR);
    expect_errno!(ctx.open("f/", OpenFlags::RDONLY, 0), Errno::ENOTDIR);
    Ok(())
}

fn trailing_slash_or_dot_on_dir_resolves(ctx: &Ctx) -> CaseResult {
    check!(ctx.mkdir("d", 0o755));
    let ino = check!(ctx.stat("d")).ino;
    for path in ["d/", "d//", "d/.", "d/./", "d/./."] {
        ensure_eq!(check!(ctx.stat(path)).ino, ino);
    }
    Ok(())
}

fn missing_intermediate_is_enoent(ctx: &Ctx) -> CaseResult {
    expect_errno!(ctx.stat("x/y"), Errno::ENOENT);
    expect_errno!(ctx.stat("x/../y"), Errno::ENOENT);
    expect_errno!(
        ctx.open("x/y", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
        Errno::ENOENT
    );
    ensure!(
        check!(ctx.names(".")).is_empty(),
        "a missing intermediate was created"
    );
    Ok(())
}

fn non_utf8_names_round_trip(ctx: &Ctx) -> CaseResult {
    names_round_trip(
        ctx,
        &[
            b"\xff\xfe",
            b"caf\xe9",
            b"\x80",
            b"\x01\x7f",
            "日本".as_bytes(),
        ],
    )
}

fn whitespace_and_punctuation_names_round_trip(ctx: &Ctx) -> CaseResult {
    names_round_trip(
        ctx,
        &[
            b"a b",
            b" lead",
            b"trail ",
            b"new\nline",
            b"tab\t",
            b"back\\slash",
            b"c:*?\"<>|",
            b"-dash",
            b"~",
        ],
    )
}

fn names_are_case_sensitive(ctx: &Ctx) -> CaseResult {
    names_round_trip(ctx, &[b"a", b"A", b"Name", b"NAME", b"name"])
}

fn dots_only_name_is_ordinary(ctx: &Ctx) -> CaseResult {
    names_round_trip(ctx, &[b"...", b"....", b".a", b"..a", b"a."])?;
    check!(ctx.mkdir(".....", 0o755));
    check!(ctx.write_file("...../f", b""));
    ensure_eq!(check!(ctx.names(".....")), vec!["f"]);
    ensure_eq!(check!(ctx.stat("...../..")).ino, check!(ctx.stat(".")).ino);
    Ok(())
}
