//! Bad input against nfs-ganesha: every bad URL, unreachable server, wrong port,
//! missing export or refused credential gives an error (never a panic or a hang)
//! whose message names the server, the export and the cause.

mod support;

use futures::executor::block_on;
use std::os::unix::fs::PermissionsExt;
use support::{server_url, TestDir};
use vfs_core::{url_with_option, url_with_path};
use vfs_core::{Errno, Error};
use vfs_nfs::{NfsFs, NfsUrl};

/// The server's host and export path, as messages should name them.
fn host_and_export() -> (String, String) {
    let url = NfsUrl::parse(server_url()).unwrap();
    (url.host, String::from_utf8(url.path).unwrap())
}

/// Replaces the server's URL's query with `query`.
fn with_query_only(query: &str) -> String {
    let base = server_url()
        .split_once('?')
        .map_or(server_url(), |(b, _)| b);
    format!("{base}?{query}")
}

/// A local port nobody listens on: bound, then let go.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Mounts `url`, which must fail with `errno` and a message holding every one of
/// `needles`; returns the error.
fn mount_fails(url: &str, errno: Errno, needles: &[&str]) -> Error {
    let error = match block_on(NfsFs::mount(url)) {
        Ok(fs) => panic!("mount of {url} succeeded: {fs:?}"),
        Err(error) => error,
    };
    let message = error.to_string();
    eprintln!("{url}\n  -> {message}");
    assert_eq!(error.errno(), errno, "{url}: {message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{url}: the message does not name '{needle}': {message}"
        );
    }
    error
}

#[test]
fn malformed_urls() {
    let (host, export) = host_and_export();
    let bad_port = format!("nfs://{host}:99999{export}");
    mount_fails(&bad_port, Errno::EINVAL, &[&host, &export, "invalid port"]);
    let no_host = format!("nfs://{export}");
    mount_fails(&no_host, Errno::EINVAL, &[&export, "no server host"]);
    let not_nfs = format!("nfsv3://{host}{export}");
    mount_fails(&not_nfs, Errno::EINVAL, &[&host, &export, "not nfs"]);
    let bad_value = url_with_option(server_url(), "rsize=big");
    mount_fails(&bad_value, Errno::EINVAL, &[&host, &export, "rsize='big'"]);
}

#[test]
fn unknown_option() {
    let (host, export) = host_and_export();
    let url = url_with_option(server_url(), "colour=blue");
    mount_fails(
        &url,
        Errno::EINVAL,
        &[&host, &export, "unknown option 'colour'"],
    );
}

#[test]
fn unreachable_host() {
    let (_, export) = host_and_export();
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed. Whether the network
    // answers "unreachable" at once or not at all, timeo bounds the wait.
    let url = format!("nfs://192.0.2.1{export}?nfsport=2049&mountport=20048&timeo=5&soft");
    let error = mount_fails_somehow(&url, &["192.0.2.1", &export]);
    assert!(
        matches!(
            error.errno(),
            Errno::ETIMEDOUT | Errno::EHOSTUNREACH | Errno::ECONNREFUSED
        ),
        "{error}"
    );
}

#[test]
fn server_that_never_answers() {
    let (host, export) = host_and_export();
    let mount_port = NfsUrl::parse(server_url())
        .unwrap()
        .mount_port
        .unwrap_or(20048);
    // Bound and listening but never accepting: connections complete (the kernel
    // queues them) and calls go unanswered, so only timeo ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = with_query_only(&format!("nfsport={port}&mountport={port}&timeo=5"));
    mount_fails(
        &url,
        Errno::ETIMEDOUT,
        &[&host, &export, &port.to_string(), "no answer"],
    );
    // MOUNT answers, NFS does not: a soft mount gives up after its retransmissions.
    let url = with_query_only(&format!(
        "nfsport={port}&mountport={mount_port}&timeo=5&retrans=1&soft"
    ));
    mount_fails(&url, Errno::ETIMEDOUT, &[&host, &export, "no reply"]);
    // A hard mount waits for replies as long as the connection lives, but not
    // while mounting.
    let url = with_query_only(&format!(
        "nfsport={port}&mountport={mount_port}&timeo=5&retrans=1"
    ));
    mount_fails(
        &url,
        Errno::ETIMEDOUT,
        &[&host, &export, &port.to_string(), "no answer"],
    );
    drop(silent);
}

/// Like [`mount_fails`] for failures whose errno depends on the network.
fn mount_fails_somehow(url: &str, needles: &[&str]) -> Error {
    let error = match block_on(NfsFs::mount(url)) {
        Ok(fs) => panic!("mount of {url} succeeded: {fs:?}"),
        Err(error) => error,
    };
    let message = error.to_string();
    eprintln!("{url}\n  -> {message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{url}: the message does not name '{needle}': {message}"
        );
    }
    error
}

#[test]
fn wrong_ports() {
    let (host, export) = host_and_export();
    let nfs_port = NfsUrl::parse(server_url())
        .unwrap()
        .nfs_port
        .unwrap_or(2049);
    let mount_port = NfsUrl::parse(server_url())
        .unwrap()
        .mount_port
        .unwrap_or(20048);
    let closed = closed_port();
    // Nobody at the MOUNT port.
    let url = with_query_only(&format!("nfsport={nfs_port}&mountport={closed}&timeo=50"));
    mount_fails(
        &url,
        Errno::ECONNREFUSED,
        &[&host, &export, &closed.to_string(), "refused"],
    );
    // MOUNT answers, nobody at the NFS port.
    let url = with_query_only(&format!("nfsport={closed}&mountport={mount_port}&timeo=50"));
    mount_fails(
        &url,
        Errno::ECONNREFUSED,
        &[&host, &export, &closed.to_string(), "refused"],
    );
    // The NFS port given as the MOUNT port: the wrong program answers.
    let url = with_query_only(&format!("nfsport={nfs_port}&mountport={nfs_port}&timeo=50"));
    mount_fails_somehow(&url, &[&host, &export, "MOUNT"]);
}

#[test]
fn export_not_found() {
    let (host, _) = host_and_export();
    let root = server_url()
        .split_once('?')
        .map_or(server_url(), |(b, _)| b);
    let base = root.rsplit_once('/').map_or(root, |(b, _)| b);
    let query = server_url().split_once('?').map_or("", |(_, q)| q);
    let url = format!("{base}/no-such-export?{query}");
    // ganesha answers MNT3ERR_ACCES for a path it does not export; the message
    // says what that may mean.
    let error = mount_fails_somehow(&url, &[&host, "/no-such-export", "MOUNT", "not exported"]);
    assert!(
        matches!(error.errno(), Errno::EACCES | Errno::ENOENT),
        "{error}"
    );
}

#[test]
fn directory_below_the_export_not_found() {
    let (host, export) = host_and_export();
    let url = url_with_path(server_url(), "no-such-directory");
    mount_fails(
        &url,
        Errno::ENOENT,
        &[&host, &export, "no-such-directory", "NOENT"],
    );
}

#[test]
fn permission_denied_by_the_server() {
    let (host, export) = host_and_export();
    let dir = TestDir::new("denied");
    // Made as root, for root only.
    let locked = dir.local().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    let as_user = url_with_option(
        &url_with_path(server_url(), &format!("{}/locked", dir.name())),
        "uid=1000&gid=1000",
    );
    let needles = [host.as_str(), export.as_str(), "locked", "ACCES"];

    // A mount that must write there (a scratch directory) fails at once.
    mount_fails(
        &url_with_option(&as_user, "scratch"),
        Errno::EACCES,
        &needles,
    );

    // A plain mount succeeds: MOUNT, FSINFO and GETATTR need no permission on the
    // directory (ganesha resolves MOUNT paths itself). What the user may not do
    // fails with the server's refusal.
    let ns = support::mount(&as_user);
    let me = ns.root_caller();
    let listing = block_on(ns.read_dir(&me, "/")).unwrap_err();
    let flags = vfs_core::OpenFlags::WRONLY | vfs_core::OpenFlags::CREATE;
    let create = block_on(ns.open(&me, "/f", flags, 0o644)).unwrap_err();
    let mkdir = block_on(ns.mkdir(&me, "/d", 0o755)).unwrap_err();
    for (what, error) in [("listing", listing), ("create", create), ("mkdir", mkdir)] {
        let message = error.to_string();
        eprintln!("{what} -> {message}");
        assert_eq!(error.errno(), Errno::EACCES, "{what}: {message}");
        for needle in needles {
            assert!(
                message.contains(needle),
                "{what}: no '{needle}' in: {message}"
            );
        }
    }
}
