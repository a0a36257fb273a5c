//! Editing mount URL text: a directory appended to the path, an option added.
//! Frontends and harnesses use these to mount a subdirectory of a URL, or the
//! same URL with one more option, without re-encoding what the user wrote.

/// `url` with `path` appended to its path, before any query. A leading `/` on
/// `path` is optional.
///
/// ```
/// use vfs_core::url_with_path;
/// let url = "nfs://h/export?nfsport=2049";
/// assert_eq!(url_with_path(url, "d/f"), "nfs://h/export/d/f?nfsport=2049");
/// assert_eq!(url_with_path("nfs://h/e/", "/f"), "nfs://h/e/f");
/// ```
pub fn url_with_path(url: &str, path: &str) -> String {
    let path = path.trim_start_matches('/');
    match url.split_once('?') {
        Some((base, query)) => format!("{}/{path}?{query}", base.trim_end_matches('/')),
        None => format!("{}/{path}", url.trim_end_matches('/')),
    }
}

/// `url` with one more query option (`noac`, `key=value`).
///
/// ```
/// use vfs_core::url_with_option;
/// assert_eq!(url_with_option("ram://", "size=5"), "ram://?size=5");
/// assert_eq!(url_with_option("ram://?a=1", "size=5"), "ram://?a=1&size=5");
/// ```
pub fn url_with_option(url: &str, option: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{option}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_extended_before_the_query() {
        assert_eq!(
            url_with_path("nfs://h/e?nfsport=1", "d"),
            "nfs://h/e/d?nfsport=1"
        );
        assert_eq!(url_with_path("nfs://h/e/", "d"), "nfs://h/e/d");
        assert_eq!(url_with_option("ram://", "size=5"), "ram://?size=5");
        assert_eq!(url_with_option("ram://?a=1", "size=5"), "ram://?a=1&size=5");
    }
}
