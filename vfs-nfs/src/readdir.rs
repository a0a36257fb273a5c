//! Directory listings: READDIRPLUS (READDIR for servers without it) in pages of the
//! server's preferred size, with its cookie verifier.
//!
//! The server's `.` and `..` entries are dropped (a `Vnode` never lists them) and so
//! are this mount's silly-rename names. A name that is not a valid [`Name`] (empty,
//! containing `/` or NUL, too long) fails the listing with `EIO`: it cannot be
//! handed to anyone. READDIRPLUS entries come with handles and attributes, which
//! prime the lookup cache and the attribute caches of live nodes, so `ls -l` costs
//! one call per page. A reply holds more entries than a caller may ask for; the
//! rest is kept for the caller's next page as long as the directory is unchanged.

use crate::attr::{attr_of, file_type_of};
use crate::node::NfsNode;
use crate::proc_dir::child;
use futures::stream::{self, StreamExt, TryStreamExt};
use nfs3_types::nfs3::{
    cookieverf3, nfsstat3, Nfs3Option, Nfs3Result, READDIR3args, READDIR3res, READDIRPLUS3args,
    READDIRPLUS3res, NFS_PROGRAM,
};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use vfs_core::{DirEntry, DirPage, Errno, Name, Result};

/// The most bytes asked of one READDIRPLUS reply (at most `rsize`): a 2,000-entry
/// directory with attributes and handles (about 170 bytes an entry) comes in one
/// round trip, as Linux asks for (its `dtsize` is up to 1 MiB).
const MAX_REPLY: u32 = 1024 * 1024;

/// Most pages in a row without a listable entry before the server is deemed to be
/// going round in circles.
const MAX_EMPTY_PAGES: usize = 10_000;

/// LOOKUPs in flight when READDIR (without types) needs them.
const LOOKUPS_IN_FLIGHT: usize = 16;

/// The listing state of one directory.
#[derive(Default)]
pub struct Listing {
    /// The cookie verifier of the last reply, sent back with its cookies.
    verf: cookieverf3,
    /// Entries fetched but not yet returned.
    buffered: Option<Buffered>,
}

struct Buffered {
    /// They follow the entry with this cookie.
    after: u64,
    /// The lookup cache generation they were fetched at.
    generation: u64,
    entries: VecDeque<DirEntry>,
    /// Nothing follows them.
    eof: bool,
}

/// One page as the server sent it, filtered.
struct Fetched {
    entries: Vec<DirEntry>,
    eof: bool,
    generation: u64,
    /// The cookie of the server's last entry, listable or not.
    last_cookie: Option<u64>,
}

impl NfsNode {
    /// Up to `max` entries after `cookie`.
    ///
    /// Errors: `EINVAL` (a cookie the server no longer honours), `ENOENT`/`ESTALE`
    /// (the directory is gone), `EIO`.
    pub async fn list(&self, cookie: u64, max: usize) -> Result<DirPage> {
        let mut cookie = cookie;
        for _ in 0..MAX_EMPTY_PAGES {
            if let Some(page) = self.take_buffered(cookie, max)? {
                return Ok(page);
            }
            let fetched = self.fetch(cookie).await?;
            if fetched.entries.is_empty() {
                if fetched.eof {
                    return Ok(DirPage {
                        entries: Vec::new(),
                        eof: true,
                    });
                }
                match fetched.last_cookie {
                    Some(last) if last != cookie => {
                        cookie = last;
                        continue;
                    }
                    _ => {
                        return Err(Errno::EIO.with(format!(
                            "READDIR of {} made no progress after cookie {cookie}",
                            self.what()
                        )))
                    }
                }
            }
            let mut rest: VecDeque<DirEntry> = fetched.entries.into();
            let page: Vec<DirEntry> = rest.drain(..max.min(rest.len())).collect();
            let eof = rest.is_empty() && fetched.eof;
            let mut listing = self.dir_state()?.listing.lock();
            listing.buffered = match page.last() {
                Some(last) if !rest.is_empty() => Some(Buffered {
                    after: last.cookie,
                    generation: fetched.generation,
                    entries: rest,
                    eof: fetched.eof,
                }),
                _ => None,
            };
            return Ok(DirPage { entries: page, eof });
        }
        Err(Errno::EIO.with(format!(
            "READDIR of {} returned {MAX_EMPTY_PAGES} pages without an entry",
            self.what()
        )))
    }

    /// Lists this directory from its start in one READDIRPLUS reply to fill the
    /// lookup and attribute caches (see [`crate::lookup_cache::LookupCache::miss`]);
    /// the entries themselves are not kept. Returns false when nothing was
    /// learned: the server has no READDIRPLUS, or the directory's attributes were
    /// not fresh after the reply (the entries are then not to be trusted).
    ///
    /// Errors: as [`NfsNode::list`].
    pub async fn prime_by_listing(&self) -> Result<bool> {
        if !self.state.readdirplus.load(Ordering::Relaxed) {
            return Ok(false);
        }
        // A caller listing page by page keeps its cookie verifier: this call
        // starts at cookie 0 and leaves the listing state alone.
        let kept = self.dir_state()?.listing.lock().verf;
        let fetched = self.fetch_plus(0, cookieverf3::default()).await;
        self.dir_state()?.listing.lock().verf = kept;
        match fetched? {
            Some(_) => Ok(self.attrs.fresh().is_some()),
            None => {
                self.state.readdirplus.store(false, Ordering::Relaxed);
                Ok(false)
            }
        }
    }

    /// The next page from the entries kept from the last reply, if they continue
    /// at `cookie` and the directory has not changed since.
    fn take_buffered(&self, cookie: u64, max: usize) -> Result<Option<DirPage>> {
        let dir = self.dir_state()?;
        let generation = dir.lookup.generation();
        let mut listing = dir.listing.lock();
        let Some(buffered) = listing.buffered.as_mut() else {
            return Ok(None);
        };
        if cookie == 0 || buffered.after != cookie || buffered.generation != generation {
            listing.buffered = None;
            return Ok(None);
        }
        let count = max.min(buffered.entries.len());
        let entries: Vec<DirEntry> = buffered.entries.drain(..count).collect();
        let eof = buffered.entries.is_empty() && buffered.eof;
        match entries.last() {
            Some(last) if !buffered.entries.is_empty() => buffered.after = last.cookie,
            _ => listing.buffered = None,
        }
        Ok(Some(DirPage { entries, eof }))
    }

    /// One page from the server.
    async fn fetch(&self, cookie: u64) -> Result<Fetched> {
        let verf = if cookie == 0 {
            cookieverf3::default()
        } else {
            self.dir_state()?.listing.lock().verf
        };
        if self.state.readdirplus.load(Ordering::Relaxed) {
            if let Some(fetched) = self.fetch_plus(cookie, verf).await? {
                return Ok(fetched);
            }
            self.state.readdirplus.store(false, Ordering::Relaxed);
        }
        self.fetch_plain(cookie, verf).await
    }

    /// The name of a listed entry, or `None` for one that is not listed.
    fn listed_name(&self, raw: &[u8]) -> Result<Option<Name>> {
        if raw == b"." || raw == b".." {
            return Ok(None);
        }
        let name = Name::new(raw).map_err(|e| {
            let shown = String::from_utf8_lossy(&raw[..raw.len().min(64)]).into_owned();
            eprintln!(
                "vfs-nfs: {} listed an invalid name {shown:?} in {}: {e}",
                self.state.server(),
                self.what()
            );
            Errno::EIO.with(format!(
                "{} listed an invalid name {shown:?} in {} ({e})",
                self.state.server(),
                self.what()
            ))
        })?;
        if self.state.is_hidden(&self.fh, &name) {
            return Ok(None);
        }
        Ok(Some(name))
    }

    /// The entry `name` with its type from a LOOKUP; `None` when it went away
    /// since it was listed.
    async fn typed(&self, name: Name, cookie: u64) -> Result<Option<DirEntry>> {
        match self.lookup_child(&name).await {
            Ok(node) => Ok(Some(DirEntry {
                ino: node.ino,
                file_type: node.file_type,
                cookie,
                attr: None,
                name,
            })),
            Err(e) if e.errno() == Errno::ENOENT => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The errors of a failed listing call.
    fn listing_failed(&self, status: nfsstat3, procedure: &str, cookie: u64) -> vfs_core::Error {
        match status {
            nfsstat3::NFS3ERR_BAD_COOKIE | nfsstat3::NFS3ERR_NOT_SYNC => {
                Errno::EINVAL.with(format!(
                    "NFS {procedure} of {}: cookie {cookie} is no longer valid ({status:?})",
                    self.what()
                ))
            }
            other => self.fail(other, procedure, format_args!("from cookie {cookie}")),
        }
    }

    /// READDIRPLUS; `None` when the server does not do it.
    async fn fetch_plus(&self, cookie: u64, verf: cookieverf3) -> Result<Option<Fetched>> {
        let dir = self.dir_state()?;
        let limits = self.state.limits;
        let maxcount = limits.rsize.clamp(4096, MAX_REPLY);
        let args = READDIRPLUS3args {
            dir: self.fh.clone(),
            cookie,
            cookieverf: verf,
            // The names and cookies alone never limit the reply before its full
            // size does: the server's preferred `dtpref` (16 KiB on ganesha, about
            // 450 names) would cut a listing into many round trips.
            dircount: maxcount,
            maxcount,
        };
        let seq = self.state.begin();
        let reply: READDIRPLUS3res<'static> = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_READDIRPLUS, &args)
            .await?;
        let ok = match reply {
            Nfs3Result::Ok(ok) => ok,
            Nfs3Result::Err((nfsstat3::NFS3ERR_NOTSUPP, _)) => return Ok(None),
            Nfs3Result::Err((status, fail)) => {
                self.absorb_post_op(&fail.dir_attributes, seq);
                return Err(self.listing_failed(status, "READDIRPLUS", cookie));
            }
        };
        // Attributes first: a directory changed behind our back loses its lookup
        // cache before this page primes it again.
        self.absorb_post_op(&ok.dir_attributes, seq);
        dir.listing.lock().verf = ok.cookieverf;
        let generation = dir.lookup.generation();
        let mut entries = Vec::with_capacity(ok.reply.entries.0.len());
        let mut last_cookie = None;
        for entry in ok.reply.entries.0 {
            last_cookie = Some(entry.cookie);
            let Some(name) = self.listed_name(entry.name.as_ref())? else {
                continue;
            };
            let listed = match (entry.name_handle, entry.name_attributes) {
                (Nfs3Option::Some(fh), Nfs3Option::Some(fattr)) => {
                    dir.lookup.learn(&name, child(&fh, &fattr, seq));
                    // The node is made (or refreshed) now and kept alive a while, so
                    // the `stat` that usually follows a listing costs no GETATTR.
                    self.state.node(fh, &fattr, seq);
                    DirEntry {
                        ino: fattr.fileid,
                        file_type: file_type_of(fattr.type_),
                        cookie: entry.cookie,
                        attr: Some(attr_of(&fattr, limits.wsize)),
                        name,
                    }
                }
                (_, Nfs3Option::Some(fattr)) => DirEntry {
                    ino: fattr.fileid,
                    file_type: file_type_of(fattr.type_),
                    cookie: entry.cookie,
                    attr: Some(attr_of(&fattr, limits.wsize)),
                    name,
                },
                // No attributes for this one: its type comes from a LOOKUP.
                (_, Nfs3Option::None) => match self.typed(name, entry.cookie).await? {
                    Some(listed) => listed,
                    None => continue,
                },
            };
            entries.push(listed);
        }
        Ok(Some(Fetched {
            entries,
            eof: ok.reply.eof,
            generation,
            last_cookie,
        }))
    }

    /// READDIR, for servers without READDIRPLUS: names and fileids only, so each
    /// entry's type comes from a LOOKUP (several in flight).
    async fn fetch_plain(&self, cookie: u64, verf: cookieverf3) -> Result<Fetched> {
        let dir = self.dir_state()?;
        let limits = self.state.limits;
        let args = READDIR3args {
            dir: self.fh.clone(),
            cookie,
            cookieverf: verf,
            count: limits
                .dtpref
                .clamp(4096, limits.rsize.clamp(4096, MAX_REPLY)),
        };
        let seq = self.state.begin();
        let reply: READDIR3res<'static> = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_READDIR, &args)
            .await?;
        let ok = match reply {
            Nfs3Result::Ok(ok) => ok,
            Nfs3Result::Err((status, fail)) => {
                self.absorb_post_op(&fail.dir_attributes, seq);
                return Err(self.listing_failed(status, "READDIR", cookie));
            }
        };
        self.absorb_post_op(&ok.dir_attributes, seq);
        dir.listing.lock().verf = ok.cookieverf;
        let generation = dir.lookup.generation();
        let mut named = Vec::new();
        let mut last_cookie = None;
        for entry in ok.reply.entries.0 {
            last_cookie = Some(entry.cookie);
            if let Some(name) = self.listed_name(entry.name.as_ref())? {
                named.push((name, entry.cookie));
            }
        }
        let entries: Vec<Option<DirEntry>> = stream::iter(named)
            .map(|(name, cookie)| self.typed(name, cookie))
            .buffered(LOOKUPS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(Fetched {
            entries: entries.into_iter().flatten().collect(),
            eof: ok.reply.eof,
            generation,
            last_cookie,
        })
    }
}
