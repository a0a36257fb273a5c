//! Path resolution: turning a path into a [`Location`], one real step at a time.
//!
//! `.` and `..` are steps through the directory tree, never text edits: `..` asks the
//! backend for the parent, crosses from a mount's root to the directory it covers,
//! and stays put at the namespace root. Symlinks are followed by splicing their
//! target into the remaining components, at most [`MAX_SYMLINKS`] times per call.

use crate::attr::FileType;
use crate::errno::{Errno, Error, Result};
use crate::flags::Credentials;
use crate::mount::{Location, MountTable};
use crate::name::{Name, PATH_MAX};
use crate::permission::may_search;
use crate::vnode::lookup;
use std::borrow::Cow;
use std::collections::VecDeque;

/// How many symlinks one resolution may follow before failing with `ELOOP` (Linux's
/// `MAXSYMLINKS`).
pub const MAX_SYMLINKS: u32 = 40;

/// The last component of a path whose parent was resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LastComponent {
    /// An ordinary name.
    Normal(Name),
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// The path had no component at all (`/`).
    Root,
}

/// A path resolved up to its last component.
pub(crate) struct ParentWalk {
    /// The directory holding the last component (for `Dot`/`Root`: the node itself).
    pub dir: Location,
    pub last: LastComponent,
    /// The path ended with `/`: the last component must be a directory.
    pub trailing_slash: bool,
}

/// Checks a path as every call taking one does: `ENOENT` when empty, `EINVAL` when it
/// holds a NUL byte, `ENAMETOOLONG` at [`PATH_MAX`] bytes or more.
pub fn check_path(path: &[u8]) -> Result<()> {
    if path.is_empty() {
        return Err(Errno::ENOENT.with("empty path"));
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG.with(format!(
            "path of {} bytes (max {})",
            path.len(),
            PATH_MAX - 1
        )));
    }
    if path.contains(&0) {
        return Err(Errno::EINVAL.with("path contains a NUL byte"));
    }
    Ok(())
}

/// The components of a path still to walk, in order: those of symlink targets
/// spliced in (owned) before the rest of the caller's path (borrowed), so a walk
/// that meets no symlink allocates nothing for its components.
struct Remaining<'p> {
    spliced: VecDeque<Box<[u8]>>,
    rest: &'p [u8],
}

impl<'p> Remaining<'p> {
    fn of(path: &'p [u8]) -> Remaining<'p> {
        Remaining {
            spliced: VecDeque::new(),
            rest: path,
        }
    }

    /// Puts the components of `target` before all others.
    fn splice(&mut self, target: &[u8]) {
        let parts = target.split(|&b| b == b'/').filter(|c| !c.is_empty());
        for part in parts.rev() {
            self.spliced.push_front(part.into());
        }
    }

    fn is_empty(&self) -> bool {
        self.spliced.is_empty() && self.rest.iter().all(|&b| b == b'/')
    }

    /// Hands the next component to `walk` (borrowed from wherever it lives).
    fn next(&mut self) -> Option<Component<'p>> {
        if let Some(part) = self.spliced.pop_front() {
            return Some(Component::Spliced(part));
        }
        let start = self.rest.iter().position(|&b| b != b'/')?;
        let rest = &self.rest[start..];
        let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        self.rest = &rest[end..];
        Some(Component::Borrowed(&rest[..end]))
    }
}

/// One component: from the caller's path or from a symlink's target.
enum Component<'p> {
    Borrowed(&'p [u8]),
    Spliced(Box<[u8]>),
}

impl std::ops::Deref for Component<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Component::Borrowed(part) => part,
            Component::Spliced(part) => part,
        }
    }
}

/// `path` split before its last component: the path of the directory holding it
/// and the component (`None` for a path of slashes only).
fn split_last(path: &[u8]) -> (&[u8], Option<&[u8]>) {
    let Some(end) = path.iter().rposition(|&b| b != b'/') else {
        return (path, None);
    };
    let start = path[..end]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    (&path[..start], Some(&path[start..=end]))
}

fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One resolution: the table, whose permissions it walks with, and the symlink
/// budget it shares across its walks.
pub(crate) struct Walker<'a> {
    pub table: &'a MountTable,
    /// Every directory a walk passes through must grant these search permission,
    /// as Linux's `may_lookup` asks before each component.
    creds: &'a Credentials,
    links_followed: u32,
}

impl<'a> Walker<'a> {
    pub fn new(table: &'a MountTable, creds: &'a Credentials) -> Walker<'a> {
        Walker {
            table,
            creds,
            links_followed: 0,
        }
    }

    /// Resolves `path` from `start` (or the root, when absolute) to the node it names.
    /// A symlink as last component is followed when `follow_last` is set or the path
    /// ends with `/`.
    pub async fn walk(
        &mut self,
        start: &Location,
        path: &[u8],
        follow_last: bool,
    ) -> Result<Location> {
        check_path(path)?;
        let start = self.start_for(start, path);
        let must_be_dir = path.ends_with(b"/");
        self.resolve(start, Remaining::of(path), follow_last, must_be_dir)
            .await
            .map(Cow::into_owned)
            .map_err(|e| e.context_prefix(format_args!("'{}'", shown(path))))
    }

    /// Resolves every component of `path` but the last, which it returns unresolved;
    /// the directory holding it must grant search permission (`EACCES`) as Linux's
    /// walk checks it before it sees that the component is the last.
    pub async fn walk_parent(&mut self, start: &Location, path: &[u8]) -> Result<ParentWalk> {
        check_path(path)?;
        let start = self.start_for(start, path);
        let trailing_slash = path.ends_with(b"/");
        let (parent, last) = split_last(path);
        let Some(last) = last else {
            return Ok(ParentWalk {
                dir: start.into_owned(),
                last: LastComponent::Root,
                trailing_slash,
            });
        };
        let dir = self
            .resolve(start, Remaining::of(parent), true, true)
            .await
            .map(Cow::into_owned)
            .map_err(|e| e.context_prefix(format_args!("'{}'", shown(path))))?;
        may_search(&dir, self.creds)
            .await
            .map_err(|e| e.context_prefix(format_args!("'{}'", shown(path))))?;
        let last = match last {
            b"." => LastComponent::Dot,
            b".." => LastComponent::DotDot,
            name => LastComponent::Normal(Name::new(name)?),
        };
        Ok(ParentWalk {
            dir,
            last,
            trailing_slash,
        })
    }

    /// Counts one symlink traversal; `ELOOP` past [`MAX_SYMLINKS`].
    pub fn count_link(&mut self) -> Result<()> {
        if self.links_followed >= MAX_SYMLINKS {
            return Err(Errno::ELOOP.with(format!("more than {MAX_SYMLINKS} symlinks")));
        }
        self.links_followed += 1;
        Ok(())
    }

    /// Reads a symlink's target for following it: `ENOENT` when empty.
    pub async fn read_target(&mut self, link: &Location) -> Result<Vec<u8>> {
        self.count_link()?;
        let target = link.vnode.readlink().await?;
        if target.is_empty() {
            return Err(Errno::ENOENT.with("empty symlink target"));
        }
        Ok(target)
    }

    /// One step from directory `dir`: `.`, `..` or a name, crossing onto whatever is
    /// mounted on the result.
    pub async fn step(&self, dir: &Location, component: &[u8]) -> Result<Location> {
        match component {
            b"." => Ok(dir.clone()),
            b".." => self.parent_of(dir).await,
            name => {
                let name = Name::new(name)?;
                let vnode = lookup(&*dir.vnode, &name).await.map_err(|e| {
                    if e.context().is_none() {
                        e.context_prefix(format_args!("'{name}'"))
                    } else {
                        e
                    }
                })?;
                Ok(self.table.cross(Location {
                    mount: dir.mount.clone(),
                    vnode,
                }))
            }
        }
    }

    /// `..` of directory `dir`.
    pub async fn parent_of(&self, dir: &Location) -> Result<Location> {
        let mut current = dir.clone();
        while current.is_mount_root() {
            match MountTable::covered(&current.mount) {
                Some(covered) => current = covered.clone(),
                // The namespace root: `..` stays here.
                None => return Ok(self.table.cross(current)),
            }
        }
        let parent = current.vnode.parent().await?;
        Ok(self.table.cross(Location {
            mount: current.mount,
            vnode: parent,
        }))
    }

    /// Where a walk of `path` starts: the root for an absolute path, else `start`;
    /// borrowed when it can be, since most walks take a step before keeping it.
    fn start_for<'s>(&self, start: &'s Location, path: &[u8]) -> Cow<'s, Location>
    where
        'a: 's,
    {
        if path.starts_with(b"/") {
            self.root()
        } else {
            Cow::Borrowed(start)
        }
    }

    fn root(&self) -> Cow<'a, Location> {
        match self.table.root_borrowed() {
            Some(root) => Cow::Borrowed(root),
            None => Cow::Owned(self.table.root()),
        }
    }

    async fn resolve<'s>(
        &mut self,
        mut current: Cow<'s, Location>,
        mut parts: Remaining<'_>,
        follow_last: bool,
        mut must_be_dir: bool,
    ) -> Result<Cow<'s, Location>>
    where
        'a: 's,
    {
        while let Some(part) = parts.next() {
            if current.vnode.file_type() != FileType::Directory {
                return Err(Error::from(Errno::ENOTDIR));
            }
            may_search(&current, self.creds).await?;
            let next = self.step(&current, &part).await?;
            let is_last = parts.is_empty();
            if next.vnode.file_type() == FileType::Symlink
                && (!is_last || follow_last || must_be_dir)
            {
                let target = self.read_target(&next).await?;
                if is_last && target.ends_with(b"/") {
                    must_be_dir = true;
                }
                parts.splice(&target);
                if target.starts_with(b"/") {
                    current = self.root();
                }
                continue;
            }
            current = Cow::Owned(next);
        }
        if must_be_dir && current.vnode.file_type() != FileType::Directory {
            return Err(Error::from(Errno::ENOTDIR));
        }
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walked(path: &[u8]) -> Vec<Vec<u8>> {
        let mut parts = Remaining::of(path);
        std::iter::from_fn(|| parts.next().map(|c| c.to_vec())).collect()
    }

    #[test]
    fn components_skip_repeated_and_trailing_slashes() {
        assert_eq!(walked(b"//a///bc/./"), [&b"a"[..], b"bc", b"."]);
        assert!(walked(b"///").is_empty());
        assert!(Remaining::of(b"/a/").next().is_some());
        let mut after_last = Remaining::of(b"a//");
        after_last.next();
        assert!(after_last.is_empty());
    }

    #[test]
    fn spliced_components_come_first() {
        let mut parts = Remaining::of(b"x/y");
        assert_eq!(&*parts.next().unwrap(), b"x");
        parts.splice(b"/t1//t2/");
        let rest: Vec<Vec<u8>> = std::iter::from_fn(|| parts.next().map(|c| c.to_vec())).collect();
        assert_eq!(rest, [&b"t1"[..], b"t2", b"y"]);
    }

    #[test]
    fn split_last_keeps_the_parent_path() {
        assert_eq!(split_last(b"a/b/"), (&b"a/"[..], Some(&b"b"[..])));
        assert_eq!(split_last(b"/b"), (&b"/"[..], Some(&b"b"[..])));
        assert_eq!(split_last(b"b"), (&b""[..], Some(&b"b"[..])));
        assert_eq!(split_last(b"//"), (&b"//"[..], None));
    }
}
