//! One random operation, with concrete values only, so any subsequence of a run can
//! be replayed: paths are spelled out relative to the scratch directory, data comes
//! from a per-op seed, and open files are named by slot (`f0`..`f2`). An op on a
//! slot that is not open at that point of a replay is skipped, deterministically.

use std::fmt;
use std::str::FromStr;

/// How many open-file slots the runner keeps.
pub const SLOTS: usize = 3;

/// One operation of the random mode.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `open(path, O_CREAT|O_EXCL|O_RDWR, 0644)` into `slot` (closing what it held).
    Create { slot: u8, path: String },
    /// `open(path, O_RDWR [|O_APPEND])` into `slot` (closing what it held).
    Open {
        slot: u8,
        path: String,
        append: bool,
    },
    /// `close` of the slot's file.
    Close { slot: u8 },
    /// `close`, then `open` again, same flags, by the first name the file still has
    /// (stays closed when it has none).
    Reopen { slot: u8 },
    /// `pwrite` of `len` bytes made from `seed` at `offset`.
    Pwrite {
        slot: u8,
        offset: u64,
        len: u32,
        seed: u32,
    },
    /// `write` of `len` bytes made from `seed` on an `O_APPEND` file.
    Append { slot: u8, len: u32, seed: u32 },
    /// `pread` of up to `len` bytes at `offset`, checked byte for byte.
    Pread { slot: u8, offset: u64, len: u32 },
    /// `ftruncate` of the slot's file.
    Ftruncate { slot: u8, size: u64 },
    /// `fstat` of the slot's file (type, size, link count).
    Fstat { slot: u8 },
    /// `truncate(path, size)`.
    Truncate { path: String, size: u64 },
    /// `mkdir(path, 0755)`.
    Mkdir { path: String },
    /// `rmdir(path)`.
    Rmdir { path: String },
    /// `unlink(path)`.
    Unlink { path: String },
    /// `rename(from, to)`.
    Rename { from: String, to: String },
    /// `link(from, to)`.
    Link { from: String, to: String },
    /// `symlink(target, path)`; targets never resolve (they name nothing in the pool).
    Symlink { target: String, path: String },
    /// `stat(path)`.
    Stat { path: String },
    /// `lstat(path)`.
    Lstat { path: String },
    /// `readlink(path)`.
    Readlink { path: String },
    /// The sorted names and types of directory `path` (`""` is the scratch root).
    ReadDir { path: String },
    /// A full consistency pass: the whole tree and every open file against the model.
    Check,
}

impl Op {
    /// The op's kind, as counted in the summary.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Create { .. } => "create",
            Op::Open { .. } => "open",
            Op::Close { .. } => "close",
            Op::Reopen { .. } => "reopen",
            Op::Pwrite { .. } => "pwrite",
            Op::Append { .. } => "append",
            Op::Pread { .. } => "pread",
            Op::Ftruncate { .. } => "ftruncate",
            Op::Fstat { .. } => "fstat",
            Op::Truncate { .. } => "truncate",
            Op::Mkdir { .. } => "mkdir",
            Op::Rmdir { .. } => "rmdir",
            Op::Unlink { .. } => "unlink",
            Op::Rename { .. } => "rename",
            Op::Link { .. } => "link",
            Op::Symlink { .. } => "symlink",
            Op::Stat { .. } => "stat",
            Op::Lstat { .. } => "lstat",
            Op::Readlink { .. } => "readlink",
            Op::ReadDir { .. } => "readdir",
            Op::Check => "check",
        }
    }
}

/// A path for display: the scratch root shows as `.`.
pub(crate) fn shown(path: &str) -> &str {
    if path.is_empty() {
        "."
    } else {
        path
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Op::Create { slot, path } => write!(f, "{kind} f{slot} {path}"),
            Op::Open { slot, path, append } => {
                write!(f, "{kind} f{slot} {path}")?;
                if *append {
                    f.write_str(" append")?;
                }
                Ok(())
            }
            Op::Close { slot } | Op::Reopen { slot } | Op::Fstat { slot } => {
                write!(f, "{kind} f{slot}")
            }
            Op::Pwrite {
                slot,
                offset,
                len,
                seed,
            } => write!(f, "{kind} f{slot} off={offset} len={len} seed={seed}"),
            Op::Append { slot, len, seed } => write!(f, "{kind} f{slot} len={len} seed={seed}"),
            Op::Pread { slot, offset, len } => write!(f, "{kind} f{slot} off={offset} len={len}"),
            Op::Ftruncate { slot, size } => write!(f, "{kind} f{slot} size={size}"),
            Op::Truncate { path, size } => write!(f, "{kind} {path} size={size}"),
            Op::Mkdir { path }
            | Op::Rmdir { path }
            | Op::Unlink { path }
            | Op::Stat { path }
            | Op::Lstat { path }
            | Op::Readlink { path }
            | Op::ReadDir { path } => write!(f, "{kind} {}", shown(path)),
            Op::Rename { from, to } | Op::Link { from, to } => write!(f, "{kind} {from} {to}"),
            Op::Symlink { target, path } => write!(f, "{kind} {target} {path}"),
            Op::Check => f.write_str(kind),
        }
    }
}

impl FromStr for Op {
    type Err = String;

    /// Parses the [`Display`](fmt::Display) form back (`pwrite f1 off=4096 len=300 seed=17`).
    fn from_str(line: &str) -> Result<Op, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let bad = || format!("not an op: {line:?}");
        let (&kind, args) = words.split_first().ok_or_else(bad)?;
        let slot = |at: usize| -> Result<u8, String> {
            let word = args.get(at).ok_or_else(bad)?;
            let slot: u8 = word
                .strip_prefix('f')
                .and_then(|n| n.parse().ok())
                .ok_or_else(bad)?;
            (usize::from(slot) < SLOTS).then_some(slot).ok_or_else(bad)
        };
        let path = |at: usize| -> Result<String, String> {
            let word = *args.get(at).ok_or_else(bad)?;
            Ok(if word == "." {
                String::new()
            } else {
                word.to_string()
            })
        };
        let number = |at: usize, key: &str| -> Result<u64, String> {
            let word = args.get(at).ok_or_else(bad)?;
            let value = word
                .strip_prefix(key)
                .and_then(|w| w.strip_prefix('='))
                .ok_or_else(bad)?;
            value.parse().map_err(|_| bad())
        };
        let small = |at: usize, key: &str| -> Result<u32, String> {
            u32::try_from(number(at, key)?).map_err(|_| bad())
        };
        let arity = match kind {
            "check" => 0,
            "close" | "reopen" | "fstat" | "mkdir" | "rmdir" | "unlink" | "stat" | "lstat"
            | "readlink" | "readdir" => 1,
            "create" | "ftruncate" | "truncate" | "rename" | "link" | "symlink" => 2,
            "open" => 2 + usize::from(args.len() == 3),
            "append" | "pread" => 3,
            "pwrite" => 4,
            _ => return Err(bad()),
        };
        if args.len() != arity {
            return Err(bad());
        }
        Ok(match kind {
            "create" => Op::Create {
                slot: slot(0)?,
                path: path(1)?,
            },
            "open" => Op::Open {
                slot: slot(0)?,
                path: path(1)?,
                append: match args.get(2) {
                    None => false,
                    Some(&"append") => true,
                    Some(_) => return Err(bad()),
                },
            },
            "close" => Op::Close { slot: slot(0)? },
            "reopen" => Op::Reopen { slot: slot(0)? },
            "fstat" => Op::Fstat { slot: slot(0)? },
            "pwrite" => Op::Pwrite {
                slot: slot(0)?,
                offset: number(1, "off")?,
                len: small(2, "len")?,
                seed: small(3, "seed")?,
            },
            "append" => Op::Append {
                slot: slot(0)?,
                len: small(1, "len")?,
                seed: small(2, "seed")?,
            },
            "pread" => Op::Pread {
                slot: slot(0)?,
                offset: number(1, "off")?,
                len: small(2, "len")?,
            },
            "ftruncate" => Op::Ftruncate {
                slot: slot(0)?,
                size: number(1, "size")?,
            },
            "truncate" => Op::Truncate {
                path: path(0)?,
                size: number(1, "size")?,
            },
            "mkdir" => Op::Mkdir { path: path(0)? },
            "rmdir" => Op::Rmdir { path: path(0)? },
            "unlink" => Op::Unlink { path: path(0)? },
            "stat" => Op::Stat { path: path(0)? },
            "lstat" => Op::Lstat { path: path(0)? },
            "readlink" => Op::Readlink { path: path(0)? },
            "readdir" => Op::ReadDir { path: path(0)? },
            "rename" => Op::Rename {
                from: path(0)?,
                to: path(1)?,
            },
            "link" => Op::Link {
                from: path(0)?,
                to: path(1)?,
            },
            "symlink" => Op::Symlink {
                target: path(0)?,
                path: path(1)?,
            },
            _ => Op::Check,
        })
    }
}

/// Parses a sequence as a failure prints it: one op a line, optionally numbered
/// (`  3: rmdir a`) and annotated (`<- expected ...`); other lines are ignored when
/// `lenient`, errors otherwise.
pub fn parse_sequence(text: &str, lenient: bool) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    for line in text.lines() {
        let mut line = line.split("<-").next().unwrap_or_default().trim();
        if let Some((number, rest)) = line.split_once(':') {
            if number.trim().chars().all(|c| c.is_ascii_digit()) {
                line = rest.trim();
            }
        }
        if line.is_empty() {
            continue;
        }
        match line.parse() {
            Ok(op) => ops.push(op),
            Err(_) if lenient => {}
            Err(error) => return Err(error),
        }
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_display_as_readable_lines() {
        let op = Op::Pwrite {
            slot: 1,
            offset: 4096,
            len: 300,
            seed: 17,
        };
        assert_eq!(op.to_string(), "pwrite f1 off=4096 len=300 seed=17");
        let op = Op::Open {
            slot: 0,
            path: "a/b".into(),
            append: true,
        };
        assert_eq!(op.to_string(), "open f0 a/b append");
        assert_eq!(
            Op::ReadDir {
                path: String::new()
            }
            .to_string(),
            "readdir ."
        );
        let op = Op::Symlink {
            target: "zz".into(),
            path: "c".into(),
        };
        assert_eq!(op.to_string(), "symlink zz c");
    }

    #[test]
    fn printed_sequences_parse_back() {
        let text = "random mode: x diverged\n  0: mkdir a\n  1: pwrite f2 off=7 len=3 seed=9\n  2: open f0 a/b append    <- expected ENOENT, seen success\n  3: readdir .\nrerun: vfs check";
        let ops = parse_sequence(text, true).unwrap();
        assert_eq!(
            ops,
            vec![
                Op::Mkdir { path: "a".into() },
                Op::Pwrite {
                    slot: 2,
                    offset: 7,
                    len: 3,
                    seed: 9
                },
                Op::Open {
                    slot: 0,
                    path: "a/b".into(),
                    append: true
                },
                Op::ReadDir {
                    path: String::new()
                },
            ]
        );
        assert!(parse_sequence(text, false).is_err());
        assert!("pwrite f3 off=1 len=1 seed=1".parse::<Op>().is_err());
        assert!("mkdir a b".parse::<Op>().is_err());
    }
}
