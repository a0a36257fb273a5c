//! Path resolution: turning a path into a [`Location`], one real step at a time.
//!
//! `.` and `..` are steps through the directory tree, never text edits: `..` asks the
//! backend for the parent, crosses from a mount's root to the directory it covers,
//! and stays put at the namespace root. Symlinks are followed by splicing their
//! target into the remaining components, at most [`MAX_SYMLINKS`] times per call.

use crate::attr::FileType;
use crate::errno::{Errno, Error, Result};
use crate::fetch::{drive, now, now_try, Fetch};
use crate::flags::Credentials;
use crate::mount::{Location, Mount, MountTable};
use crate::name::{Name, PATH_MAX};
use crate::permission::search_permission;
use crate::vnode::Vnode;
use crate::walk_cache::{Stamp, WalkCache};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

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

/// Where one step of a walk lands.
enum Stepped {
    /// On this node of the mount the step started on.
    Within(Arc<dyn Vnode>),
    /// Elsewhere: on a mount's root, or through `..` onto the mount below.
    Onto(Location),
}

impl Stepped {
    fn file_type(&self) -> FileType {
        match self {
            Stepped::Within(vnode) => vnode.file_type(),
            Stepped::Onto(location) => location.vnode.file_type(),
        }
    }

    /// The location stepped to; `mount` gives the mount stepped from.
    fn into_location(self, mount: impl FnOnce() -> Arc<Mount>) -> Location {
        match self {
            Stepped::Within(vnode) => Location {
                mount: mount(),
                vnode,
            },
            Stepped::Onto(location) => location,
        }
    }
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

/// The mount of `location`, moved out when owned and counted once more when
/// borrowed.
fn mount_of(location: Cow<'_, Location>) -> Arc<Mount> {
    match location {
        Cow::Owned(location) => location.mount,
        Cow::Borrowed(location) => location.mount.clone(),
    }
}

fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One resolution: the table, whose permissions it walks with, and the symlink
/// budget it shares across its walks.
pub(crate) struct Walker<'a> {
    pub table: &'a MountTable,
    /// The walks remembered, which `walk` consults first.
    cache: &'a WalkCache,
    /// Every directory a walk passes through must grant these search permission,
    /// as Linux's `may_lookup` asks before each component.
    creds: &'a Credentials,
    links_followed: u32,
    /// The walk under way stepped off the mount it started on (and so cannot be
    /// remembered: only its start mount's changes are counted).
    left_start_mount: bool,
}

impl<'a> Walker<'a> {
    pub fn new(table: &'a MountTable, cache: &'a WalkCache, creds: &'a Credentials) -> Walker<'a> {
        Walker {
            table,
            cache,
            creds,
            links_followed: 0,
            left_start_mount: false,
        }
    }

    /// Runs `body` to completion as a [`drive`]n operation of this walker: the
    /// symlinks a run counted are given back when it gives up, since its next
    /// run counts them again.
    pub async fn drive<T>(
        &mut self,
        mut body: impl FnMut(&mut Self, &mut Fetch) -> Option<Result<T>>,
    ) -> Result<T> {
        drive(|fetch| {
            let links_before = self.links_followed;
            let done = body(self, fetch);
            if done.is_none() {
                self.links_followed = links_before;
            }
            done
        })
        .await
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
        self.drive(|walker, fetch| walker.walk_with(fetch, start, path, follow_last))
            .await
    }

    /// [`Walker::walk`] as one run (see [`crate::fetch`]).
    pub fn walk_with(
        &mut self,
        fetch: &mut Fetch,
        start: &Location,
        path: &[u8],
        follow_last: bool,
    ) -> Option<Result<Location>> {
        if let Err(e) = check_path(path) {
            return Some(Err(e));
        }
        // Read before the start is chosen: a mount on the root changes both.
        let table_version = self.table.version();
        let start = self.start_for(start, path);
        let remembered = Stamp::before_walk(table_version, &start)
            .map(|stamp| (stamp, self.cache.key(&start, path, follow_last)));
        if let Some((stamp, key)) = &remembered {
            if let Some((vnode, links)) = self.cache.find(key, self.creds, *stamp) {
                // Over budget, the walk runs again to fail where Linux's would.
                if self.links_followed + links <= MAX_SYMLINKS {
                    self.links_followed += links;
                    let mount = mount_of(start);
                    return Some(Ok(Location { mount, vnode }));
                }
            }
        }
        let links_before = self.links_followed;
        self.left_start_mount = false;
        let must_be_dir = path.ends_with(b"/");
        let walked = self.resolve(fetch, start, Remaining::of(path), follow_last, must_be_dir)?;
        let found = match walked {
            Ok(found) => found.into_owned(),
            Err(e) => return Some(Err(e.context_prefix(format_args!("'{}'", shown(path))))),
        };
        if let Some((stamp, key)) = remembered {
            if !self.left_start_mount && fetch.waited_nothing() {
                let links = self.links_followed - links_before;
                self.cache.remember(&key, self.creds, stamp, links, &found);
            }
        }
        Some(Ok(found))
    }

    /// Resolves every component of `path` but the last, which it returns unresolved;
    /// the directory holding it must grant search permission (`EACCES`) as Linux's
    /// walk checks it before it sees that the component is the last.
    pub async fn walk_parent(&mut self, start: &Location, path: &[u8]) -> Result<ParentWalk> {
        self.drive(|walker, fetch| walker.walk_parent_with(fetch, start, path))
            .await
    }

    fn walk_parent_with(
        &mut self,
        fetch: &mut Fetch,
        start: &Location,
        path: &[u8],
    ) -> Option<Result<ParentWalk>> {
        if let Err(e) = check_path(path) {
            return Some(Err(e));
        }
        let start = self.start_for(start, path);
        let trailing_slash = path.ends_with(b"/");
        let (parent, last) = split_last(path);
        let Some(last) = last else {
            return Some(Ok(ParentWalk {
                dir: start.into_owned(),
                last: LastComponent::Root,
                trailing_slash,
            }));
        };
        let in_path = |e: Error| e.context_prefix(format_args!("'{}'", shown(path)));
        let dir = now_try!(self
            .resolve(fetch, start, Remaining::of(parent), true, true)
            .map(|walked| walked.map(Cow::into_owned).map_err(in_path)));
        now_try!(
            search_permission(fetch, &dir, self.creds).map(|searched| searched.map_err(in_path))
        );
        let last = match last {
            b"." => LastComponent::Dot,
            b".." => LastComponent::DotDot,
            name => LastComponent::Normal(now_try!(Some(Name::new(name)))),
        };
        Some(Ok(ParentWalk {
            dir,
            last,
            trailing_slash,
        }))
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
        self.drive(|walker, fetch| walker.read_target_with(fetch, link))
            .await
    }

    fn read_target_with(&mut self, fetch: &mut Fetch, link: &Location) -> Option<Result<Vec<u8>>> {
        now_try!(Some(self.count_link()));
        match fetch.readlink(link)? {
            Ok(target) if target.is_empty() => {
                Some(Err(Errno::ENOENT.with("empty symlink target")))
            }
            read => Some(read),
        }
    }

    /// One step from directory `dir`: `.`, `..` or a name, crossing onto whatever is
    /// mounted on the result.
    pub async fn step(&self, dir: &Location, component: &[u8]) -> Result<Location> {
        drive(|fetch| self.step_with(fetch, dir, component)).await
    }

    /// [`Walker::step`] when the backend answers without waiting; `None` when it
    /// would have to wait.
    pub fn step_now(&self, dir: &Location, component: &[u8]) -> Option<Result<Location>> {
        now(|fetch| self.step_with(fetch, dir, component))
    }

    fn step_with(
        &self,
        fetch: &mut Fetch,
        dir: &Location,
        component: &[u8],
    ) -> Option<Result<Location>> {
        let stepped = now_try!(self.stepped(fetch, dir, component));
        Some(Ok(stepped.into_location(|| dir.mount.clone())))
    }

    /// [`Walker::step`] as one run, telling a step that stays on `dir`'s mount
    /// (so a walk can keep the mount it has instead of counting one more
    /// reference to it per component) from one that lands elsewhere.
    fn stepped(
        &self,
        fetch: &mut Fetch,
        dir: &Location,
        component: &[u8],
    ) -> Option<Result<Stepped>> {
        match component {
            b"." => Some(Ok(Stepped::Within(dir.vnode.clone()))),
            b".." => Some(self.parent_with(fetch, dir)?.map(Stepped::Onto)),
            name => {
                let name = now_try!(Some(Name::new(name)));
                let vnode = now_try!(fetch.lookup(dir, &name).map(|found| {
                    found.map_err(|e| {
                        if e.context().is_none() {
                            e.context_prefix(format_args!("'{name}'"))
                        } else {
                            e
                        }
                    })
                }));
                Some(Ok(match self.table.crossing(&dir.mount, &vnode) {
                    None => Stepped::Within(vnode),
                    Some(mounted) => Stepped::Onto(mounted),
                }))
            }
        }
    }

    /// `..` of directory `dir`.
    pub async fn parent_of(&self, dir: &Location) -> Result<Location> {
        drive(|fetch| self.parent_with(fetch, dir)).await
    }

    fn parent_with(&self, fetch: &mut Fetch, dir: &Location) -> Option<Result<Location>> {
        let mut current = dir;
        while current.is_mount_root() {
            match MountTable::covered(&current.mount) {
                Some(covered) => current = covered,
                // The namespace root: `..` stays here.
                None => return Some(Ok(self.table.cross(current.clone()))),
            }
        }
        let parent = now_try!(fetch.parent(current));
        Some(Ok(self.table.cross(Location {
            mount: current.mount.clone(),
            vnode: parent,
        })))
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

    fn resolve<'s>(
        &mut self,
        fetch: &mut Fetch,
        mut current: Cow<'s, Location>,
        mut parts: Remaining<'_>,
        follow_last: bool,
        mut must_be_dir: bool,
    ) -> Option<Result<Cow<'s, Location>>>
    where
        'a: 's,
    {
        while let Some(part) = parts.next() {
            if current.vnode.file_type() != FileType::Directory {
                return Some(Err(Error::from(Errno::ENOTDIR)));
            }
            now_try!(search_permission(fetch, &current, self.creds));
            let next = now_try!(self.stepped(fetch, &current, &part));
            let is_last = parts.is_empty();
            if next.file_type() == FileType::Symlink && (!is_last || follow_last || must_be_dir) {
                let link = next.into_location(|| current.mount.clone());
                let target = now_try!(self.read_target_with(fetch, &link));
                if is_last && target.ends_with(b"/") {
                    must_be_dir = true;
                }
                parts.splice(&target);
                if target.starts_with(b"/") {
                    let root = self.root();
                    self.left_start_mount |= !Arc::ptr_eq(&root.mount, &current.mount);
                    current = root;
                }
                continue;
            }
            if let Stepped::Onto(onto) = &next {
                self.left_start_mount |= !Arc::ptr_eq(&onto.mount, &current.mount);
            }
            // The mount moves on from the directory just left, unless it was
            // borrowed (the start).
            current = Cow::Owned(next.into_location(|| mount_of(current)));
        }
        if must_be_dir && current.vnode.file_type() != FileType::Directory {
            return Some(Err(Error::from(Errno::ENOTDIR)));
        }
        Some(Ok(current))
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
