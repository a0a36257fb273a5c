//! `nfs://` URLs and their options, compatible with libnfs where they overlap.

use std::time::Duration;
use url::Url;
use vfs_core::{Capabilities, Errno, Result};

/// How long attributes may be served from the cache, as Linux's `ac*` mount options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrCacheTimes {
    /// Shortest time a regular file's attributes are trusted (`acregmin`, 3 s).
    pub reg_min: Duration,
    /// Longest time a regular file's attributes are trusted (`acregmax`, 60 s).
    pub reg_max: Duration,
    /// Shortest time a directory's attributes are trusted (`acdirmin`, 30 s).
    pub dir_min: Duration,
    /// Longest time a directory's attributes are trusted (`acdirmax`, 60 s).
    pub dir_max: Duration,
}

impl AttrCacheTimes {
    /// Linux's defaults.
    pub const LINUX: AttrCacheTimes = AttrCacheTimes {
        reg_min: Duration::from_secs(3),
        reg_max: Duration::from_secs(60),
        dir_min: Duration::from_secs(30),
        dir_max: Duration::from_secs(60),
    };

    /// No caching at all (`noac`).
    pub const NONE: AttrCacheTimes = AttrCacheTimes {
        reg_min: Duration::ZERO,
        reg_max: Duration::ZERO,
        dir_min: Duration::ZERO,
        dir_max: Duration::ZERO,
    };

    /// Every bound the same (`actimeo=N`).
    pub fn all(time: Duration) -> AttrCacheTimes {
        AttrCacheTimes {
            reg_min: time,
            reg_max: time,
            dir_min: time,
            dir_max: time,
        }
    }
}

/// Capability switches given with `caps=` (a comma-separated list of capability
/// names, each optionally prefixed with `no`). The mount-time probe decides what
/// the protocol can tell (hard links and symlinks from FSINFO and PATHCONF,
/// directory link counts from the root's `nlink`, space accounting from FSSTAT);
/// these switches correct it for servers that claim more than they do (the
/// embedded nfs3_server memfs claims symlinks it refuses and ignores modes) or
/// declare what no probe can see. `None` leaves the probe's answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CapOverrides {
    /// `hard_links` (alias `hardlinks`).
    pub hard_links: Option<bool>,
    /// `symlinks`.
    pub symlinks: Option<bool>,
    /// `sparse_files` (alias `sparse`).
    pub sparse_files: Option<bool>,
    /// `permissions` (alias `modes`).
    pub permissions: Option<bool>,
    /// `ownership`.
    pub ownership: Option<bool>,
    /// `timestamps` (alias `times`).
    pub timestamps: Option<bool>,
    /// `symlink_times`.
    pub symlink_times: Option<bool>,
    /// `dir_link_counts` (alias `dirnlink`).
    pub dir_link_counts: Option<bool>,
    /// `unlinked_open_files` (alias `silly`): off also turns off silly rename, so an
    /// open file's name is removed for real.
    pub unlinked_open_files: Option<bool>,
    /// `space_accounting` (alias `space`).
    pub space_accounting: Option<bool>,
    /// `special_files` (alias `mknod`).
    pub special_files: Option<bool>,
}

impl CapOverrides {
    /// `probed` with these switches applied.
    pub fn apply(&self, probed: Capabilities) -> Capabilities {
        let pick = |switch: Option<bool>, probed: bool| switch.unwrap_or(probed);
        Capabilities {
            hard_links: pick(self.hard_links, probed.hard_links),
            symlinks: pick(self.symlinks, probed.symlinks),
            sparse_files: pick(self.sparse_files, probed.sparse_files),
            permissions: pick(self.permissions, probed.permissions),
            ownership: pick(self.ownership, probed.ownership),
            timestamps: pick(self.timestamps, probed.timestamps),
            symlink_times: pick(self.symlink_times, probed.symlink_times),
            dir_link_counts: pick(self.dir_link_counts, probed.dir_link_counts),
            unlinked_open_files: pick(self.unlinked_open_files, probed.unlinked_open_files),
            space_accounting: pick(self.space_accounting, probed.space_accounting),
            special_files: pick(self.special_files, probed.special_files),
            ..probed
        }
    }

    /// Reads one `caps=` value; `Err` names the word it does not know.
    fn parse(&mut self, list: &str) -> std::result::Result<(), String> {
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let (on, name) = match word.strip_prefix("no") {
                Some(rest) => (false, rest),
                None => (true, word),
            };
            let slot = match name.trim_start_matches(['_', '-']) {
                "hard_links" | "hardlinks" => &mut self.hard_links,
                "symlinks" => &mut self.symlinks,
                "sparse_files" | "sparse" => &mut self.sparse_files,
                "permissions" | "modes" => &mut self.permissions,
                "ownership" => &mut self.ownership,
                "timestamps" | "times" => &mut self.timestamps,
                "symlink_times" => &mut self.symlink_times,
                "dir_link_counts" | "dirnlink" => &mut self.dir_link_counts,
                "unlinked_open_files" | "silly" => &mut self.unlinked_open_files,
                "space_accounting" | "space" => &mut self.space_accounting,
                "special_files" | "mknod" => &mut self.special_files,
                "atomic_append" | "noatime" if !on => continue,
                "noatime" => {
                    return Err(
                        "noatime cannot be declared: an NFSv3 server sets atime on READ"
                            .to_string(),
                    )
                }
                "atomic_append" => {
                    return Err(
                        "atomic_append cannot be declared: NFSv3 has no atomic append".to_string(),
                    )
                }
                _ => {
                    return Err(format!(
                        "unknown capability '{word}' in caps= (known: {CAPS})"
                    ))
                }
            };
            *slot = Some(on);
        }
        Ok(())
    }
}

/// The capability names `caps=` takes, for messages.
const CAPS: &str = "hard_links, symlinks, sparse_files, permissions, ownership, timestamps, \
                    symlink_times, \
                    dir_link_counts, unlinked_open_files, space_accounting, special_files \
                    (each with an optional no prefix)";

/// A parsed `nfs://host[:port]/export[?options]` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NfsUrl {
    /// The URL as given (for messages).
    pub text: String,
    /// Server host name or address.
    pub host: String,
    /// The path: the export, possibly followed by a directory inside it.
    pub path: Vec<u8>,
    /// User id sent in AUTH_UNIX credentials (`uid=`, default 0).
    pub uid: u32,
    /// Group id sent in AUTH_UNIX credentials (`gid=`, default 0).
    pub gid: u32,
    /// NFS port (`nfsport=` or the URL's port); portmapper when absent.
    pub nfs_port: Option<u16>,
    /// MOUNT port (`mountport=`); portmapper when absent.
    pub mount_port: Option<u16>,
    /// Largest READ, in bytes (`rsize=`); the server's preference when absent.
    pub rsize: Option<u32>,
    /// Largest WRITE, in bytes (`wsize=`); the server's preference when absent.
    pub wsize: Option<u32>,
    /// How long to wait for a reply before retransmitting (`timeo=`, deciseconds as
    /// in Linux; default 60 s).
    pub timeo: Duration,
    /// Retransmissions before a soft mount gives up (`retrans=`, default 2).
    pub retrans: u32,
    /// Mount read-only (`readonly`).
    pub read_only: bool,
    /// Attribute cache times (`actimeo=`, `acregmin=`... in seconds; `noac`).
    pub attr_cache: AttrCacheTimes,
    /// Retry forever (`hard`, the default) or fail after the retransmissions
    /// (`soft`).
    pub hard: bool,
    /// Capability switches (`caps=`).
    pub caps: CapOverrides,
    /// Mount a fresh, empty, uniquely named subdirectory of `path`, made at mount
    /// and removed with its contents at unmount (`scratch`): every mount of such a
    /// URL is a new empty file system, which is what test harnesses need.
    pub scratch: bool,
}

/// The options a URL may carry, for messages.
const OPTIONS: &str = "uid, gid, nfsport, mountport, rsize, wsize, timeo, retrans, readonly, actimeo, \
                       acregmin, acregmax, acdirmin, acdirmax, noac, hard, soft, version, caps, scratch";

impl NfsUrl {
    /// Parses `text`.
    ///
    /// ```
    /// let url = vfs_nfs::NfsUrl::parse("nfs://127.0.0.1/export?nfsport=2049&mountport=20048&noac").unwrap();
    /// assert_eq!(url.path, b"/export");
    /// assert_eq!(url.nfs_port, Some(2049));
    /// assert!(url.attr_cache.reg_max.is_zero());
    /// ```
    ///
    /// Errors: `EINVAL` naming the problem (not `nfs://`, no host, an unknown
    /// option, a bad value), without repeating `text`.
    pub fn parse(text: &str) -> Result<NfsUrl> {
        // The caller names the URL (the registry and NfsFs::mount prefix it).
        let bad = |why: String| Errno::EINVAL.with(why);
        let url = Url::parse(text).map_err(|e| bad(format!("malformed URL: {e}")))?;
        if url.scheme() != "nfs" {
            return Err(bad(format!("scheme '{}' is not nfs", url.scheme())));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no server host".to_string()))?;
        // "/" is a real export path (nfs3_server's default export); only a URL
        // without any path names no export.
        let path = percent_decode(url.path());
        if path.is_empty() {
            return Err(bad("no export path".to_string()));
        }
        let mut parsed = NfsUrl {
            text: text.to_string(),
            host: host.to_string(),
            path,
            uid: 0,
            gid: 0,
            nfs_port: url.port(),
            mount_port: None,
            rsize: None,
            wsize: None,
            timeo: Duration::from_secs(60),
            retrans: 2,
            read_only: false,
            attr_cache: AttrCacheTimes::LINUX,
            hard: true,
            caps: CapOverrides::default(),
            scratch: false,
        };
        let mut noac = false;
        let mut actimeo = None;
        for (key, value) in url.query_pairs() {
            let number = |max: u64| -> Result<u64> {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| {
                        bad(format!(
                            "option {key}='{value}' is not a number up to {max}"
                        ))
                    })
            };
            let flag = || -> Result<bool> {
                match &*value {
                    "" | "1" | "true" | "yes" => Ok(true),
                    "0" | "false" | "no" => Ok(false),
                    _ => Err(bad(format!("option {key}='{value}' is not a flag"))),
                }
            };
            let seconds = || number(u64::from(u32::MAX)).map(Duration::from_secs);
            match &*key {
                "uid" => parsed.uid = number(u64::from(u32::MAX))? as u32,
                "gid" => parsed.gid = number(u64::from(u32::MAX))? as u32,
                "nfsport" => parsed.nfs_port = Some(port(number(65535)?, &key, &bad)?),
                "mountport" => parsed.mount_port = Some(port(number(65535)?, &key, &bad)?),
                "rsize" => {
                    parsed.rsize = Some(transfer_size(number(u64::from(u32::MAX))?, &key, &bad)?)
                }
                "wsize" => {
                    parsed.wsize = Some(transfer_size(number(u64::from(u32::MAX))?, &key, &bad)?)
                }
                "timeo" => {
                    let deciseconds = number(u64::from(u32::MAX))?;
                    if deciseconds == 0 {
                        return Err(bad("timeo=0 would never wait".to_string()));
                    }
                    parsed.timeo = Duration::from_millis(deciseconds * 100);
                }
                "retrans" => parsed.retrans = number(1000)? as u32,
                "readonly" | "ro" => parsed.read_only = flag()?,
                "actimeo" => actimeo = Some(seconds()?),
                "acregmin" => parsed.attr_cache.reg_min = seconds()?,
                "acregmax" => parsed.attr_cache.reg_max = seconds()?,
                "acdirmin" => parsed.attr_cache.dir_min = seconds()?,
                "acdirmax" => parsed.attr_cache.dir_max = seconds()?,
                "noac" => noac = flag()?,
                "hard" => parsed.hard = flag()?,
                "soft" => parsed.hard = !flag()?,
                "caps" => parsed.caps.parse(&value).map_err(&bad)?,
                "scratch" => parsed.scratch = flag()?,
                "version" if value == "3" => {}
                "version" => {
                    return Err(bad(format!(
                        "NFS version {value} is not supported (only 3)"
                    )))
                }
                _ => return Err(bad(format!("unknown option '{key}' (known: {OPTIONS})"))),
            }
        }
        if let Some(time) = actimeo {
            parsed.attr_cache = AttrCacheTimes::all(time);
        }
        if noac {
            parsed.attr_cache = AttrCacheTimes::NONE;
        }
        Ok(parsed)
    }
}

fn port(value: u64, key: &str, bad: &dyn Fn(String) -> vfs_core::Error) -> Result<u16> {
    u16::try_from(value)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| bad(format!("option {key}={value} is not a port")))
}

fn transfer_size(value: u64, key: &str, bad: &dyn Fn(String) -> vfs_core::Error) -> Result<u32> {
    if !(4096..=(1 << 20)).contains(&value) {
        return Err(bad(format!(
            "option {key}={value} is outside 4096..=1048576"
        )));
    }
    Ok(value as u32)
}

/// The bytes of a URL path with `%XX` escapes decoded (export names are bytes).
fn percent_decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let url = NfsUrl::parse(
            "nfs://server:2050/export/sub?uid=1000&gid=100&mountport=20048&rsize=65536&wsize=1048576\
             &timeo=15&retrans=4&readonly&actimeo=7&soft",
        )
        .unwrap();
        assert_eq!(url.host, "server");
        assert_eq!(url.path, b"/export/sub");
        assert_eq!((url.uid, url.gid), (1000, 100));
        assert_eq!((url.nfs_port, url.mount_port), (Some(2050), Some(20048)));
        assert_eq!((url.rsize, url.wsize), (Some(65536), Some(1 << 20)));
        assert_eq!(url.timeo, Duration::from_millis(1500));
        assert_eq!(url.retrans, 4);
        assert!(url.read_only && !url.hard);
        assert_eq!(url.attr_cache, AttrCacheTimes::all(Duration::from_secs(7)));
    }

    #[test]
    fn defaults_are_linux_ones() {
        let url = NfsUrl::parse("nfs://h/e").unwrap();
        assert_eq!(url.attr_cache, AttrCacheTimes::LINUX);
        assert!(url.hard && !url.read_only);
        assert_eq!(url.nfs_port, None);
        assert_eq!(url.timeo, Duration::from_secs(60));
    }

    #[test]
    fn bad_urls_name_the_problem() {
        for (text, needle) in [
            ("nfs:///export", "no server host"),
            ("nfs://h", "no export path"),
            ("nfs://h/e?caps=nocolour", "unknown capability 'nocolour'"),
            ("nfs://h/e?caps=atomic_append", "atomic_append"),
            ("nfs://h/e?bogus=1", "unknown option 'bogus'"),
            ("nfs://h/e?nfsport=70000", "nfsport"),
            ("nfs://h/e?rsize=12", "rsize=12"),
            ("nfs://h/e?version=4", "version 4"),
            ("nfs://h/e?noac=maybe", "not a flag"),
            ("ram://h/e", "not nfs"),
            ("nfs://h/e?timeo=0", "timeo=0"),
        ] {
            let error = NfsUrl::parse(text).unwrap_err();
            assert_eq!(error.errno(), Errno::EINVAL, "{text}");
            assert!(error.to_string().contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn root_export_and_capability_switches() {
        let url = NfsUrl::parse("nfs://h/?caps=nosymlinks,hardlinks,no_sparse&scratch").unwrap();
        assert_eq!(url.path, b"/");
        assert!(url.scratch);
        assert_eq!(url.caps.symlinks, Some(false));
        assert_eq!(url.caps.hard_links, Some(true));
        assert_eq!(url.caps.sparse_files, Some(false));
        assert_eq!(url.caps.permissions, None);
        let caps = url.caps.apply(Capabilities::POSIX);
        assert!(!caps.symlinks && caps.hard_links && !caps.sparse_files && caps.permissions);
    }

    #[test]
    fn percent_escapes_are_bytes() {
        assert_eq!(NfsUrl::parse("nfs://h/a%20b%ff").unwrap().path, b"/a b\xff");
    }
}
