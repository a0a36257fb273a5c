//! The `ram://` URL scheme.

use crate::fs::{RamFs, RamFsOptions};
use async_trait::async_trait;
use std::sync::Arc;
use vfs_core::{BackendFactory, Errno, Error, Filesystem, Registry, Result, Url};

const KNOWN_KEYS: &str = "size, nr_inodes, mode, uid, gid";

/// Makes a fresh [`RamFs`] for each `ram://` URL. The query takes tmpfs's option
/// names: `size` (bytes, with an optional `k`, `m`, `g` or `t` suffix), `nr_inodes`,
/// `mode` (octal), `uid`, `gid`; a `size` or `nr_inodes` of 0 means no limit, as on
/// tmpfs. Anything else in the URL is refused with `EINVAL`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RamFactory;

/// Registers [`RamFactory`] for the `ram` scheme.
pub fn register(registry: &Registry) {
    registry.register(Arc::new(RamFactory));
}

#[async_trait]
impl BackendFactory for RamFactory {
    fn scheme(&self) -> &'static str {
        "ram"
    }

    fn usage(&self) -> &'static str {
        "ram://[?size=BYTES[k|m|g|t]][&nr_inodes=N][&mode=OCTAL][&uid=N][&gid=N]  \
         in memory, with tmpfs semantics"
    }

    async fn mount(&self, url: &Url) -> Result<Arc<dyn Filesystem>> {
        Ok(Arc::new(RamFs::new(parse_options(url)?)))
    }
}

fn invalid(problem: impl Into<String>) -> Error {
    Errno::EINVAL.with(problem)
}

/// The options a `ram://` URL asks for.
fn parse_options(url: &Url) -> Result<RamFsOptions> {
    if url.host_str().is_some_and(|host| !host.is_empty()) {
        return Err(invalid(format!(
            "a ram URL takes no host ('{}')",
            url.host_str().unwrap_or_default()
        )));
    }
    if !matches!(url.path(), "" | "/") {
        return Err(invalid(format!(
            "a ram URL takes no path ('{}')",
            url.path()
        )));
    }
    if url.fragment().is_some() {
        return Err(invalid("a ram URL takes no fragment"));
    }
    let mut options = RamFsOptions::default();
    let mut seen = Vec::new();
    for (key, value) in url.query_pairs() {
        if seen.contains(&key) {
            return Err(invalid(format!("option '{key}' given twice")));
        }
        match &*key {
            "size" => options.size_limit = parse_limit(&key, &value)?,
            "nr_inodes" => options.inode_limit = parse_limit(&key, &value)?,
            "mode" => {
                options.root.mode = u32::from_str_radix(&value, 8)
                    .ok()
                    .filter(|mode| *mode <= 0o7777 && !value.starts_with('+'))
                    .ok_or_else(|| {
                        invalid(format!("mode '{value}' is not an octal mode up to 7777"))
                    })?;
            }
            "uid" => options.root.uid = parse_id(&key, &value)?,
            "gid" => options.root.gid = parse_id(&key, &value)?,
            _ => {
                return Err(invalid(format!(
                    "unknown option '{key}' (known: {KNOWN_KEYS})"
                )))
            }
        }
        seen.push(key);
    }
    Ok(options)
}

/// A count with an optional binary suffix, as tmpfs's `memparse` reads it; 0 is no
/// limit.
fn parse_limit(key: &str, value: &str) -> Result<Option<u64>> {
    let bad = || {
        invalid(format!(
            "{key} '{value}' is not a number with an optional k, m, g or t suffix"
        ))
    };
    let (digits, shift) = match value.as_bytes().last().map(u8::to_ascii_lowercase) {
        Some(b'k') => (&value[..value.len() - 1], 10),
        Some(b'm') => (&value[..value.len() - 1], 20),
        Some(b'g') => (&value[..value.len() - 1], 30),
        Some(b't') => (&value[..value.len() - 1], 40),
        _ => (value, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let count: u64 = digits.parse().map_err(|_| bad())?;
    let count = count
        .checked_mul(1 << shift)
        .ok_or_else(|| invalid(format!("{key} '{value}' is too large")))?;
    Ok((count != 0).then_some(count))
}

fn parse_id(key: &str, value: &str) -> Result<u32> {
    value
        .parse()
        .ok()
        .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| invalid(format!("{key} '{value}' is not a numeric id")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfs_core::NewNode;

    fn options(url: &str) -> Result<RamFsOptions> {
        parse_options(&Url::parse(url).map_err(|e| invalid(e.to_string()))?)
    }

    fn problem(url: &str) -> String {
        let error = options(url).expect_err(url);
        assert_eq!(error.errno(), Errno::EINVAL, "{url}");
        error.to_string()
    }

    #[test]
    fn reads_every_option() {
        assert_eq!(options("ram://").unwrap(), RamFsOptions::default());
        assert_eq!(options("ram:///").unwrap(), RamFsOptions::default());
        let all = options("ram://?size=2m&nr_inodes=100&mode=0755&uid=1000&gid=100").unwrap();
        assert_eq!(
            all,
            RamFsOptions {
                size_limit: Some(2 << 20),
                inode_limit: Some(100),
                root: NewNode {
                    mode: 0o755,
                    uid: 1000,
                    gid: 100
                },
            }
        );
        assert_eq!(options(&all.to_url()).unwrap(), all);
        assert_eq!(
            options("ram://?size=12345").unwrap().size_limit,
            Some(12345)
        );
        assert_eq!(options("ram://?size=1K").unwrap().size_limit, Some(1024));
        assert_eq!(options("ram://?size=0").unwrap().size_limit, None);
    }

    #[test]
    fn refuses_what_it_does_not_know_and_names_it() {
        assert!(problem("ram://?colour=red").contains("unknown option 'colour'"));
        assert!(problem("ram://?size=12x").contains("size '12x'"));
        assert!(problem("ram://?size=").contains("size ''"));
        assert!(problem("ram://?size=-1").contains("size '-1'"));
        assert!(problem("ram://?size=99999999999999t").contains("too large"));
        assert!(problem("ram://?size=1&size=2").contains("given twice"));
        assert!(problem("ram://?mode=800").contains("mode '800'"));
        assert!(problem("ram://?mode=17777").contains("mode '17777'"));
        assert!(problem("ram://?uid=%2B1").contains("uid '+1'"));
        assert!(problem("ram://?gid=4294967296").contains("gid"));
        assert!(problem("ram://host").contains("no host"));
        assert!(problem("ram://?size=1#x").contains("fragment"));
        assert!(problem("ram:somewhere").contains("no path"));
    }
}
