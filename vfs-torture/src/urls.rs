//! Editing `nfs://` URLs: a directory appended to the path, an option added, the
//! NFS port pointed at a proxy.

/// The value of option `key` in `url`'s query.
pub fn option<'a>(url: &'a str, key: &str) -> Option<&'a str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

/// `url` with its `nfsport` option replaced by `port` (the MOUNT port stays: only
/// the NFS traffic goes through the proxy).
pub fn with_nfs_port(url: &str, port: u16) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("nfsport="))
        .map(str::to_string)
        .collect();
    pairs.insert(0, format!("nfsport={port}"));
    format!("{base}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vfs_core::{url_with_option, url_with_path};

    #[test]
    fn edits() {
        let url = "nfs://127.0.0.1/export?nfsport=2049&mountport=20048";
        assert_eq!(option(url, "nfsport"), Some("2049"));
        assert_eq!(
            with_nfs_port(url, 7),
            "nfs://127.0.0.1/export?nfsport=7&mountport=20048"
        );
        assert_eq!(
            url_with_path(url, "d"),
            "nfs://127.0.0.1/export/d?nfsport=2049&mountport=20048"
        );
        assert_eq!(url_with_option("nfs://h/e", "soft"), "nfs://h/e?soft");
    }
}
