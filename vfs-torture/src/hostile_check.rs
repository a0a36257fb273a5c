//! One hostile-reply scenario: mount the fake server breaking one kind of reply,
//! make the calls that draw it, and judge what the client did with it.
//!
//! Rejected means: the call drawing the hostile reply failed with one of the
//! kind's rejecting errnos ([`HostileKind::rejecting_errnos`]), nothing hostile
//! showed (no bad name listed, no wrong data returned), and no path of the mount
//! reached outside it (`/..`, `/sub/..` and `/x/..` are the root; the root's
//! parent's `secret` is never found). Anything else is accepted, with what was
//! seen. Panics and hangs are the caller's to catch ([`crate::watchdog`]).

use crate::fake_server::{FakeServer, FILE_DATA};
use crate::hostile::{HostileKind, Target};
use crate::report::Verdict;
use futures::executor::block_on;
use std::sync::Arc;
use vfs_core::{Caller, Errno, MountOptions, Namespace, OpenFlags};
use vfs_nfs::NfsFs;

/// Runs the scenario of `kind`.
pub fn check_hostile(kind: HostileKind) -> Verdict {
    let name = kind.name();
    let server = match FakeServer::start(Some(kind)) {
        Ok(server) => server,
        Err(e) => return Verdict::fail(name, format!("cannot start the fake server: {e}")),
    };
    let fs = match block_on(NfsFs::mount(&server.url())) {
        Ok(fs) => fs,
        Err(e) => return Verdict::fail(name, format!("mount of the fake server failed: {e}")),
    };
    let ns = Namespace::new(Arc::new(fs), MountOptions::default());
    let me = ns.root_caller();
    let drawn = draw(&ns, &me, kind);
    let escapes = escapes(&ns, &me);
    let verdict = match (&drawn, escapes.is_empty()) {
        (_, false) => Err(format!("escaped the mount: {}", escapes.join("; "))),
        (Drawn::Failed(errno, message), true) if kind.rejecting_errnos().contains(errno) => {
            Ok(format!("{errno:?}: {message}"))
        }
        (Drawn::Failed(errno, message), true) => Err(format!(
            "failed with {errno:?} (want one of {:?}): {message}",
            kind.rejecting_errnos()
        )),
        (Drawn::Clean(what), true) if kind == HostileKind::LookupParent => {
            Ok(format!("no escape ({what})"))
        }
        (Drawn::Clean(what), true) => Err(format!("no error: {what}")),
        (Drawn::Hostile(what), true) => Err(format!("hostile data got through: {what}")),
    };
    match verdict {
        Ok(detail) => Verdict::pass(name, detail),
        Err(detail) => Verdict::fail(name, detail),
    }
}

/// What the calls drawing the hostile reply gave.
enum Drawn {
    /// A call failed.
    Failed(Errno, String),
    /// Every call succeeded and showed only honest data.
    Clean(String),
    /// A call succeeded and showed hostile data.
    Hostile(String),
}

fn draw(ns: &Namespace, me: &Caller, kind: HostileKind) -> Drawn {
    let failed = |e: vfs_core::Error| Drawn::Failed(e.errno(), e.to_string());
    match kind.target() {
        Target::RootListing => match block_on(ns.read_dir(me, "/")) {
            Err(e) => failed(e),
            Ok(entries) => {
                let names: Vec<String> = entries.iter().map(|e| e.name.to_string()).collect();
                let honest = names == ["file", "sub"];
                let what = format!("listing {names:?}");
                if honest {
                    Drawn::Clean(what)
                } else {
                    Drawn::Hostile(what)
                }
            }
        },
        Target::LookupFile | Target::GetattrFile | Target::ReadFile => {
            let attr = match block_on(ns.stat(me, "/file")) {
                Err(e) => return failed(e),
                Ok(attr) => attr,
            };
            let file = match block_on(ns.open(me, "/file", OpenFlags::RDONLY, 0)) {
                Err(e) => return failed(e),
                Ok(file) => file,
            };
            // `fstat` of the open file: a `stat` or `open` right after a LOOKUP
            // may rightly use the attributes that LOOKUP brought (even under
            // `noac`), so this is the call sure to draw a GETATTR.
            let fstat = match block_on(file.getattr()) {
                Err(e) => {
                    let _ = block_on(file.close());
                    return failed(e);
                }
                Ok(attr) => attr,
            };
            let mut data = Vec::new();
            let mut chunk = vec![0u8; 256 << 10];
            let read = loop {
                match block_on(file.read_at(data.len() as u64, &mut chunk)) {
                    Err(e) => break Err(e),
                    Ok(0) => break Ok(()),
                    Ok(n) => data.extend_from_slice(&chunk[..n]),
                }
                // More than the file could hold: the client is taking whatever
                // the server sends.
                if data.len() > 64 << 20 {
                    break Ok(());
                }
            };
            let _ = block_on(file.close());
            if let Err(e) = read {
                return failed(e);
            }
            let what = format!(
                "stat gave {:?} of {} bytes, fstat {:?} of {} bytes, read gave {} bytes",
                attr.file_type,
                attr.size,
                fstat.file_type,
                fstat.size,
                data.len()
            );
            let honest = |attr: &vfs_core::Attr| {
                attr.file_type == vfs_core::FileType::Regular && attr.size == FILE_DATA.len() as u64
            };
            if data == FILE_DATA && honest(&attr) && honest(&fstat) {
                Drawn::Clean(what)
            } else {
                Drawn::Hostile(what)
            }
        }
        Target::LookupX => match block_on(ns.stat(me, "/x")) {
            Err(e) => failed(e),
            Ok(attr) => Drawn::Clean(format!("/x is a {:?}", attr.file_type)),
        },
    }
}

/// The ways a path of the mount reached outside it, after the hostile reply.
fn escapes(ns: &Namespace, me: &Caller) -> Vec<String> {
    let mut found = Vec::new();
    let root = match block_on(ns.stat(me, "/")) {
        Ok(attr) => attr.ino,
        Err(e) => return vec![format!("stat / failed afterwards: {e}")],
    };
    for path in ["/..", "/.", "/sub/..", "/x/.."] {
        if let Ok(attr) = block_on(ns.stat(me, path)) {
            if attr.ino != root {
                found.push(format!(
                    "{path} is inode {}, not the root ({root})",
                    attr.ino
                ));
            }
        }
    }
    for path in ["/../secret", "/secret", "/x/../secret"] {
        if block_on(ns.stat(me, path)).is_ok() {
            found.push(format!("{path} (outside the export) was found"));
        }
    }
    found
}
