//! TARGETs of the file commands: a local path, or a backend URL naming a file
//! system and a path inside it.
//!
//! # Which text is a URL
//!
//! A TARGET is a URL when it starts with a scheme and `://` (`ram://`,
//! `nfs://host/export/dir?uid=1000`); anything else is a local path (write
//! `./ram://x` for a local file of that name). The scheme goes to the same
//! registry `vfs check` uses, so every registered backend works the same way.
//!
//! # Which file system, which path inside it
//!
//! A backend URL's path may name a directory below what a backend can mount
//! (`nfs://host/export/dir`: the NFS factory MOUNTs the export and looks the rest
//! up), or nothing at all (`ram://` takes no path: the whole path is inside the
//! new file system). The rule, the same for every scheme:
//!
//! * The mounted file system is the **longest prefix** of the URL's path that the
//!   backend mounts (the query, host and port are kept); the rest of the path is
//!   the path inside it. Prefixes are tried from the longest down to the empty one;
//!   a mount failing with `ENOENT`, `ENOTDIR`, `EINVAL`, `EACCES` or `EPERM` (the
//!   prefix is missing, not a directory, or not accepted) moves on to the next
//!   shorter one, any other error (unknown scheme, connection refused, ...) is
//!   reported at once.
//! * For a target the command treats as an **entry** of a directory (`cat`, `cp`
//!   SRC, `rm`, `mkdir` without `-p`, `mv` SRC) the search starts at the
//!   **parent**: the target is never the mount's root, so it can be created,
//!   removed or renamed, and no mount of a regular file is attempted.
//! * For a target that may be a **directory to look into** (`ls`, `stat`, `cp` DST,
//!   `mv` DST, `mkdir -p`) the search starts at the **full path**, so
//!   `vfs ls nfs://h/export`, `vfs cp f nfs://h/export` and
//!   `vfs mkdir -p nfs://h/export` work on the export itself.
//! * A URL whose path is empty or `/` is its file system's root.
//!
//! So `vfs cat nfs://h/export/dir/file` mounts `nfs://h/export/dir` and opens
//! `/file`; `vfs ls nfs://h/export/dir` mounts `nfs://h/export/dir` and lists `/`;
//! `vfs mkdir -p nfs://h/export/a/b` mounts `nfs://h/export/a/b` if it exists,
//! else `nfs://h/export/a` or, when `a` does not exist yet, `nfs://h/export`, and
//! creates what is missing; `vfs mkdir -p ram:///a/b`
//! mounts `ram:///` and creates `/a/b`. Within one command, a URL mounted once
//! is reused, so two `ram://` targets of one `vfs cp` or `vfs mv` share one file
//! system. Path components are percent-decoded (`%20` is a space); one decoding
//! to a name with `/` or NUL is refused.

use crate::backends;
use crate::failure::{mount_message, Failure};
use crate::tree::Tree;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vfs_core::{Errno, MountOptions, Namespace, Registry, Url};
use vfs_posix_shim::fs::Fs;
use vfs_posix_shim::Vfs;

/// How deep the mount of a URL target may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The target is an entry of a directory: mount at most its parent.
    Entry,
    /// The target may be the root of the mount (a directory looked into).
    Root,
}

/// True when `text` starts with a URL scheme and `://`.
pub fn is_url(text: &OsStr) -> bool {
    let bytes = text.as_bytes();
    let Some(colon) = bytes.windows(3).position(|window| window == b"://") else {
        return false;
    };
    let scheme = &bytes[..colon];
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// A URL target, split into what can be mounted and the path inside.
#[derive(Clone, Debug)]
pub struct UrlTarget {
    url: Url,
    /// The path's non-empty components, as written (percent-encoded).
    segments: Vec<String>,
    /// The same, decoded: the names inside the file system.
    names: Vec<OsString>,
}

impl UrlTarget {
    /// Parses `text`.
    ///
    /// Errors: a malformed URL, or a path component decoding to a name with `/`
    /// or NUL.
    pub fn parse(text: &str) -> Result<UrlTarget, String> {
        let url = Url::parse(text).map_err(|error| format!("malformed URL: {error}"))?;
        // `ram://` has an empty path: the root, as `ram:///`.
        let segments: Vec<String> = url
            .path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_string)
            .collect();
        let names = segments
            .iter()
            .map(|segment| {
                let name: Vec<u8> = percent_encoding::percent_decode_str(segment).collect();
                if name.contains(&b'/') || name.contains(&0) {
                    Err(format!("'{segment}' decodes to a name with '/' or NUL"))
                } else {
                    Ok(OsString::from_vec(name))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(UrlTarget {
            url,
            segments,
            names,
        })
    }

    /// The number of path components.
    pub fn depth(&self) -> usize {
        self.segments.len()
    }

    /// What must be equal for two targets to be on one server with the same
    /// options: the URL without its path.
    pub fn origin(&self) -> String {
        self.mount_url(0)
    }

    /// The URL mounting the first `keep` path components.
    pub fn mount_url(&self, keep: usize) -> String {
        let mut url = self.url.clone();
        url.set_path(&format!("/{}", self.segments[..keep].join("/")));
        url.to_string()
    }

    /// The path inside the file system mounted by [`UrlTarget::mount_url`]`(keep)`.
    pub fn inner_path(&self, keep: usize) -> PathBuf {
        let mut path = PathBuf::from("/");
        path.extend(&self.names[keep..]);
        path
    }

    /// The most components a mount for a target of this reach may keep.
    pub fn deepest(&self, reach: Reach) -> usize {
        match reach {
            Reach::Root => self.depth(),
            Reach::Entry => self.depth().saturating_sub(1),
        }
    }

    /// The mounts tried for this target, in order: the components kept and the
    /// URL mounting them.
    pub fn candidates(&self, deepest: usize) -> Vec<(usize, String)> {
        (0..=deepest.min(self.depth()))
            .rev()
            .map(|keep| (keep, self.mount_url(keep)))
            .collect()
    }

    /// How many leading path components this and `other` share.
    pub fn common_depth(&self, other: &UrlTarget) -> usize {
        self.segments
            .iter()
            .zip(&other.segments)
            .take_while(|(a, b)| a == b)
            .count()
    }

    /// The target one level down: `name` appended to the path (percent-encoded
    /// in the URL, as it is in the file system among the names).
    fn child(&self, name: &OsStr) -> UrlTarget {
        let segment: String =
            percent_encoding::percent_encode(name.as_bytes(), SEGMENT).to_string();
        let mut url = self.url.clone();
        url.set_path(&format!("{}/{segment}", url.path().trim_end_matches('/')));
        let mut segments = self.segments.clone();
        segments.push(segment);
        let mut names = self.names.clone();
        names.push(name.to_os_string());
        UrlTarget {
            url,
            segments,
            names,
        }
    }
}

/// The bytes percent-encoded in a name put into a URL path: controls, space,
/// `/`, `%`, and what would end the path (`?`, `#`) or confuse a reader.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// A target found: the tree it is in, its path there, and how to name it.
#[derive(Clone, Debug)]
pub struct Located {
    /// The file system it is in.
    pub tree: Tree,
    /// Its path there (absolute in a mounted one).
    pub path: PathBuf,
    /// The target as given, for messages.
    pub shown: String,
    url: Option<UrlTarget>,
}

impl Located {
    /// The last component of the path, if it has one (`/`, `.` and `..` have none).
    pub fn name(&self) -> Option<&OsStr> {
        self.path.file_name()
    }

    /// The entry `name` of this directory.
    pub fn child(&self, name: &OsStr) -> Located {
        let url = self.url.as_ref().map(|url| url.child(name));
        let shown = match &url {
            Some(url) => url.url.to_string(),
            None => Path::new(&self.shown).join(name).display().to_string(),
        };
        Located {
            tree: self.tree.clone(),
            path: self.path.join(name),
            shown,
            url,
        }
    }
}

/// Opens targets: local paths as they are, URLs mounted through the registry,
/// each mount URL once per command.
pub struct Mounts {
    registry: Arc<Registry>,
    umask: u32,
    mounted: RefCell<HashMap<String, Fs>>,
}

impl Default for Mounts {
    fn default() -> Mounts {
        Mounts::new()
    }
}

impl Mounts {
    /// Mounts through the built-in backends; files are created with this
    /// process's umask.
    pub fn new() -> Mounts {
        Mounts {
            registry: backends::registry(),
            umask: process_umask(),
            mounted: RefCell::new(HashMap::new()),
        }
    }

    /// Finds `text` (a local path or a URL); a URL is mounted as its
    /// [`Reach`] says.
    pub fn locate(&self, text: &OsStr, reach: Reach) -> Result<Located, Failure> {
        let shown = text.to_string_lossy().into_owned();
        let Some(target) = self.parse_url(text)? else {
            return Ok(Located {
                tree: Tree::Local,
                path: PathBuf::from(text),
                shown,
                url: None,
            });
        };
        let (fs, keep) = self
            .mount_deepest(&target, target.deepest(reach))
            .map_err(|message| Failure::at(&shown, message))?;
        Ok(Located {
            tree: Tree::Mounted(fs),
            path: target.inner_path(keep),
            shown,
            url: Some(target),
        })
    }

    /// Finds the URLs `entry` and `root` (reached as [`Reach::Entry`] and
    /// [`Reach::Root`]) in one mount, so one can be renamed to the other; `None`
    /// when they are not on the same server with the same options, or no common
    /// directory mounts.
    pub fn locate_together(&self, entry: &OsStr, root: &OsStr) -> Option<(Located, Located)> {
        let a = self.parse_url(entry).ok()??;
        let b = self.parse_url(root).ok()??;
        if a.origin() != b.origin() {
            return None;
        }
        let deepest = a
            .deepest(Reach::Entry)
            .min(b.deepest(Reach::Root))
            .min(a.common_depth(&b));
        let (fs, keep) = self.mount_deepest(&a, deepest).ok()?;
        let at = |target: UrlTarget, text: &OsStr| Located {
            tree: Tree::Mounted(fs.clone()),
            path: target.inner_path(keep),
            shown: text.to_string_lossy().into_owned(),
            url: Some(target),
        };
        Some((at(a, entry), at(b, root)))
    }

    /// `text` parsed as a URL target whose scheme is registered, or `None` for a
    /// local path.
    fn parse_url(&self, text: &OsStr) -> Result<Option<UrlTarget>, Failure> {
        if !is_url(text) {
            return Ok(None);
        }
        let shown = text.to_string_lossy();
        let utf8 = text
            .to_str()
            .ok_or_else(|| Failure::at(&shown, "a URL must be UTF-8"))?;
        self.registry
            .resolve(utf8)
            .map_err(|error| Failure::at(&shown, mount_message(&error, utf8)))?;
        UrlTarget::parse(utf8)
            .map(Some)
            .map_err(|problem| Failure::at(&shown, problem))
    }

    /// Mounts the longest prefix of `target`'s path, keeping at most `deepest`
    /// components, that mounts; returns the file system and the components kept.
    ///
    /// Errors (as the message for the target): the error that ended the search,
    /// or when every prefix failed, the first one that is not `EINVAL` (a path the
    /// backend refuses outright says less than why a real prefix failed), else
    /// the first, from the URL closest to the one given.
    fn mount_deepest(&self, target: &UrlTarget, deepest: usize) -> Result<(Fs, usize), String> {
        let mut errors = Vec::new();
        for (keep, url) in target.candidates(deepest) {
            match self.mount(&url) {
                Ok(fs) => return Ok((fs, keep)),
                Err(error) if is_not_mountable_here(error.errno()) => errors.push((url, error)),
                Err(error) => return Err(mount_message(&error, &url)),
            }
        }
        let pick = errors
            .iter()
            .position(|(_, error)| error.errno() != Errno::EINVAL)
            .unwrap_or(0);
        let (url, error) = &errors[pick];
        Err(mount_message(error, url))
    }

    /// The file system `url` mounts, mounted once per command.
    fn mount(&self, url: &str) -> vfs_core::Result<Fs> {
        if let Some(fs) = self.mounted.borrow().get(url) {
            return Ok(fs.clone());
        }
        let filesystem = futures::executor::block_on(self.registry.mount(url))?;
        let namespace = Arc::new(Namespace::new(filesystem, MountOptions::default()));
        let vfs = Vfs::new(namespace, self.registry.clone());
        let process = vfs.process();
        process.umask(self.umask);
        let fs = Fs::new(Arc::new(process));
        self.mounted
            .borrow_mut()
            .insert(url.to_string(), fs.clone());
        Ok(fs)
    }
}

/// True for mount errors saying this prefix is not a file system's root here,
/// so a shorter one may be.
fn is_not_mountable_here(errno: Errno) -> bool {
    matches!(
        errno,
        Errno::ENOENT | Errno::ENOTDIR | Errno::EINVAL | Errno::EACCES | Errno::EPERM
    )
}

/// This process's umask (Linux shows it in `/proc/self/status`), 022 if unknown.
fn process_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Umask:"))?;
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(text: &str, reach: Reach) -> Vec<(String, String)> {
        let target = UrlTarget::parse(text).unwrap();
        target
            .candidates(target.deepest(reach))
            .into_iter()
            .map(|(keep, url)| (url, target.inner_path(keep).display().to_string()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn urls_are_told_from_local_paths() {
        for url in ["ram://", "ram:///a", "nfs://h/e?uid=1", "my-fs+x.2://"] {
            assert!(is_url(OsStr::new(url)), "{url}");
        }
        for path in [
            "/tmp/x",
            "x",
            "./ram://x",
            "ram:/x",
            "://x",
            "1ram://x",
            "a b://c",
            "",
        ] {
            assert!(!is_url(OsStr::new(path)), "{path}");
        }
    }

    #[test]
    fn an_entry_is_looked_for_from_its_parent() {
        assert_eq!(
            candidates("nfs://h/export/dir/file?uid=1", Reach::Entry),
            pairs(&[
                ("nfs://h/export/dir?uid=1", "/file"),
                ("nfs://h/export?uid=1", "/dir/file"),
                ("nfs://h/?uid=1", "/export/dir/file"),
            ])
        );
    }

    #[test]
    fn a_directory_is_looked_for_from_itself() {
        assert_eq!(
            candidates("nfs://h:2049/export/dir/", Reach::Root),
            pairs(&[
                ("nfs://h:2049/export/dir", "/"),
                ("nfs://h:2049/export", "/dir"),
                ("nfs://h:2049/", "/export/dir"),
            ])
        );
    }

    #[test]
    fn a_root_url_is_its_file_system_root() {
        for reach in [Reach::Entry, Reach::Root] {
            assert_eq!(candidates("ram://", reach), pairs(&[("ram:///", "/")]));
            assert_eq!(
                candidates("ram:///?size=1m", reach),
                pairs(&[("ram:///?size=1m", "/")])
            );
        }
        assert_eq!(
            candidates("ram:///a/b", Reach::Entry),
            pairs(&[("ram:///a", "/b"), ("ram:///", "/a/b")])
        );
    }

    #[test]
    fn names_are_percent_decoded_and_checked() {
        let target = UrlTarget::parse("nfs://h/e/my%20file/%C3%A9").unwrap();
        assert_eq!(target.inner_path(1), PathBuf::from("/my file/é"));
        assert_eq!(target.mount_url(2), "nfs://h/e/my%20file");
        assert!(UrlTarget::parse("nfs://h/e/a%2Fb").is_err());
        assert!(UrlTarget::parse("nfs://h/e/a%00").is_err());
        let dots = UrlTarget::parse("nfs://h/e/x/../y/./z").unwrap();
        assert_eq!(dots.inner_path(0), PathBuf::from("/e/y/z"));
    }

    #[test]
    fn children_are_encoded_into_the_path_before_the_query() {
        let dir = UrlTarget::parse("nfs://h/e/d?uid=1").unwrap();
        let child = dir.child(OsStr::new("a b?#%"));
        assert_eq!(child.url.as_str(), "nfs://h/e/d/a%20b%3F%23%25?uid=1");
        assert_eq!(child.inner_path(1), PathBuf::from("/d/a b?#%"));
        let root = UrlTarget::parse("ram://").unwrap();
        assert_eq!(root.child(OsStr::new("x")).url.as_str(), "ram:///x");
    }

    #[test]
    fn common_depth_and_origin() {
        let a = UrlTarget::parse("nfs://h/e/a/x?uid=1").unwrap();
        let b = UrlTarget::parse("nfs://h/e/b?uid=1").unwrap();
        let c = UrlTarget::parse("nfs://h/e/b?uid=2").unwrap();
        assert_eq!(a.common_depth(&b), 1);
        assert_eq!(a.origin(), b.origin());
        assert_ne!(b.origin(), c.origin());
    }

    #[test]
    fn ram_paths_fall_back_to_the_root_and_nfs_is_routed_to_the_registry() {
        let mounts = Mounts::new();
        let located = mounts
            .locate(OsStr::new("ram:///a/b"), Reach::Entry)
            .unwrap();
        assert_eq!(located.path, PathBuf::from("/a/b"));
        assert_eq!(located.name(), Some(OsStr::new("b")));
        // An unknown scheme is refused before anything is mounted.
        let Err(Failure::At { message, .. }) = mounts.locate(OsStr::new("zip://x/y"), Reach::Root)
        else {
            panic!("zip:// located");
        };
        assert!(message.contains("unknown URL scheme 'zip'"), "{message}");
        // nfs:// reaches its factory (registered by backends::registry()); with
        // a bad option it fails there rather than as an unknown scheme.
        let Err(Failure::At { message, .. }) =
            mounts.locate(OsStr::new("nfs://127.0.0.1/e/f?bogus=1"), Reach::Entry)
        else {
            panic!("bad nfs:// URL located");
        };
        assert!(!message.contains("unknown URL scheme"), "{message}");
    }
}
