//! Validated directory-entry names.

use crate::errno::{Errno, Error, Result};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The longest name a directory entry may have, in bytes (Linux `NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// The longest path a call accepts, in bytes, including the terminating NUL a C
/// caller would pass (Linux `PATH_MAX`): a path of 4096 bytes or more is refused.
pub const PATH_MAX: usize = 4096;

/// One directory-entry name: not empty, not `.` or `..`, no `/`, no NUL, at most
/// [`NAME_MAX`] bytes. Names are bytes, as on Linux; they need not be UTF-8.
///
/// Every directory operation of a backend takes a `Name`, never a path, so a backend
/// cannot be handed a string that escapes the directory it was asked about.
///
/// ```
/// use vfs_core::{Errno, Name};
/// assert_eq!(Name::new("notes.txt").unwrap().as_bytes(), b"notes.txt");
/// assert_eq!(Name::new("a/b").unwrap_err().errno(), Errno::EINVAL);
/// assert_eq!(Name::new("x".repeat(256)).unwrap_err().errno(), Errno::ENAMETOOLONG);
/// ```
#[derive(Clone)]
pub struct Name(Repr);

/// Most names are short: those fit in the value itself, so making one (as every
/// path component does) allocates nothing.
#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

/// The longest name kept inline: the size of the heap form, less the length byte
/// and the variant's tag.
const INLINE: usize = 22;

impl Name {
    /// Validates `bytes` as a name.
    ///
    /// Errors: `EINVAL` for an empty name, `.`, `..`, or one containing `/` or NUL;
    /// `ENAMETOOLONG` for more than [`NAME_MAX`] bytes.
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Name> {
        let bytes = bytes.as_ref();
        Self::check(bytes)?;
        Ok(Name(if bytes.len() <= INLINE {
            let mut inline = [0; INLINE];
            inline[..bytes.len()].copy_from_slice(bytes);
            Repr::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            Repr::Heap(bytes.into())
        }))
    }

    /// Checks `bytes` as [`Name::new`] does, without allocating.
    pub fn check(bytes: &[u8]) -> Result<()> {
        let shown = || String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned();
        if bytes.is_empty() {
            return Err(Error::new(Errno::EINVAL, "empty name"));
        }
        if bytes == b"." || bytes == b".." {
            return Err(Error::new(
                Errno::EINVAL,
                format!("'{}' is not a name", shown()),
            ));
        }
        if bytes.len() > NAME_MAX {
            return Err(Error::new(
                Errno::ENAMETOOLONG,
                format!(
                    "name of {} bytes (max {NAME_MAX}): '{}...'",
                    bytes.len(),
                    shown()
                ),
            ));
        }
        if bytes.contains(&b'/') {
            return Err(Error::new(
                Errno::EINVAL,
                format!("name '{}' contains '/'", shown()),
            ));
        }
        if bytes.contains(&0) {
            return Err(Error::new(
                Errno::EINVAL,
                format!("name '{}' contains NUL", shown()),
            ));
        }
        Ok(())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(bytes) => bytes,
        }
    }

    /// The name as text, with invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

// Compared and hashed as their bytes, whatever the form, so a map keyed by `Name`
// can be searched with a `&[u8]` (`Borrow`).
impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Borrow<[u8]> for Name {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Name {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string_lossy())
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl TryFrom<&str> for Name {
    type Error = Error;
    fn try_from(value: &str) -> Result<Name> {
        Name::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_bad_form() {
        for (bad, errno) in [
            (&b""[..], Errno::EINVAL),
            (b".", Errno::EINVAL),
            (b"..", Errno::EINVAL),
            (b"a/b", Errno::EINVAL),
            (b"a\0b", Errno::EINVAL),
        ] {
            assert_eq!(Name::new(bad).unwrap_err().errno(), errno, "{bad:?}");
        }
        assert!(Name::new([b'x'; 255]).is_ok());
        assert_eq!(
            Name::new([b'x'; 256]).unwrap_err().errno(),
            Errno::ENAMETOOLONG
        );
        assert!(Name::new("...").is_ok());
        // Both forms, at the boundary, hold exactly their bytes.
        for len in [INLINE - 1, INLINE, INLINE + 1, 255] {
            let bytes = vec![b'n'; len];
            assert_eq!(Name::new(&bytes).unwrap().as_bytes(), &bytes[..]);
        }
        assert!(Name::new([0xff, 0xfe]).is_ok());
    }
}
