//! Directory listings: READDIRPLUS (READDIR for servers without it) in pages of the
//! server's preferred size, with its cookie verifier.
//!
//! The server's `.` and `..` entries are dropped (a `Vnode` never lists them) and so
//! are this mount's silly-rename names. A name that is not a valid [`Name`] (empty,
//! containing `/` or NUL, too long) fails the listing with `EIO`: it cannot be
//! handed to anyone. So does every other sign of a broken server (see
//! [`PageCheck`] and [`Chain`]): `.` or `..` after another entry or twice (ganesha
//! and Linux's knfsd send them first, other servers not at all), a handle or
//! attributes no server should send, an entry whose cookie is the one the page
//! was asked from or repeats one of the page, a listing coming back to a cookie
//! it was already continued from, or one over [`MAX_LISTING`] entries. Each
//! rejection is logged. READDIRPLUS entries come with handles and attributes, which
//! prime the lookup cache and the attribute caches of live nodes, so `ls -l` costs
//! one call per page. A reply holds more entries than a caller may ask for; the
//! rest is kept for the caller's next page as long as the directory is unchanged.

use crate::attr::{attr_of, check_fattr, file_type_of};
use crate::error::{check_handle, rejected};
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

/// Most entries one listing (cookie 0 to eof) may hold before the server is
/// deemed to be making them up forever: far beyond any directory in use (16
/// million entries, a few GiB of names for whoever collects them), and what
/// bounds a server that hands out fresh cookies without end.
pub const MAX_LISTING: u64 = 1 << 24;

/// Listings of one directory followed at once (see [`Chain`]); more concurrent
/// listers than this only lose the loop detection of the oldest.
const MAX_CHAINS: usize = 16;

/// The listing state of one directory.
#[derive(Default)]
pub struct Listing {
    /// The cookie verifier of the last reply, sent back with its cookies.
    verf: cookieverf3,
    /// Entries fetched but not yet returned.
    buffered: Option<Buffered>,
    /// The listings in progress, for loop detection.
    chains: Vec<Chain>,
}

/// One listing in progress, from cookie 0 (or from wherever this mount first saw
/// it continue) through the replies that continue each other: the next request
/// is from the last cookie of the previous reply. An honest server never leads a
/// listing back to a cookie it was continued from; a broken one may, forever
/// (1 -> 2 -> 1 ...), which Brent's cycle detection finds in at most about
/// twice the loop's length in requests, remembering one cookie. A repeat within
/// one reply is [`PageCheck`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Chain {
    /// The cookie the next request continues from.
    next: u64,
    /// Entries so far (listable or not).
    entries: u64,
    /// Requests so far.
    requests: u64,
    /// A cookie this listing was continued from, taken at the requests that are
    /// powers of two.
    saved: u64,
}

impl Listing {
    /// Accounts one reply to a request from `from` holding `entries` entries, the
    /// last with cookie `last`, ending the listing with `eof`; keys the listing
    /// by `last` for the request continuing it.
    ///
    /// Errors: why the listing cannot be going anywhere.
    fn follow(
        &mut self,
        from: u64,
        entries: usize,
        last: Option<u64>,
        eof: bool,
    ) -> std::result::Result<(), String> {
        let known = (from != 0)
            .then(|| self.chains.iter().position(|chain| chain.next == from))
            .flatten();
        // A listing not seen begin (another lister's, or one from before a
        // restart of this directory's state) is followed from here.
        let mut chain = match known {
            Some(at) => self.chains.remove(at),
            None => Chain {
                next: from,
                entries: 0,
                requests: 0,
                saved: from,
            },
        };
        if chain.requests > 0 && from == chain.saved {
            return Err(format!("the listing came back to cookie {from}"));
        }
        chain.requests += 1;
        if chain.requests.is_power_of_two() {
            chain.saved = from;
        }
        chain.entries += entries as u64;
        if chain.entries > MAX_LISTING {
            return Err(format!("the listing went past {MAX_LISTING} entries"));
        }
        if let (Some(last), false) = (last, eof) {
            chain.next = last;
            if self.chains.len() >= MAX_CHAINS {
                self.chains.remove(0);
            }
            self.chains.push(chain);
        }
        Ok(())
    }
}

/// The checks of one reply's entries, in order: `.` and `..` only before any
/// other entry and once each, and no cookie (of another entry than those, whose
/// cookies some servers may number apart) equal to the one the page was asked
/// from or to another of the page.
struct PageCheck {
    from: u64,
    dots: [bool; 2],
    others: bool,
    cookies: foldhash::HashSet<u64>,
}

impl PageCheck {
    fn new(from: u64, entries: usize) -> PageCheck {
        let mut cookies = foldhash::HashSet::default();
        cookies.reserve(entries);
        PageCheck {
            from,
            dots: [false; 2],
            others: false,
            cookies,
        }
    }

    /// Checks the next entry. Errors: why it cannot come from an honest server.
    fn entry(&mut self, name: &[u8], cookie: u64) -> std::result::Result<(), String> {
        let dot = match name {
            b"." => Some(0),
            b".." => Some(1),
            _ => None,
        };
        if let Some(which) = dot {
            if self.others || self.dots[which] {
                return Err(format!(
                    "'{}' listed after other entries",
                    String::from_utf8_lossy(name)
                ));
            }
            self.dots[which] = true;
            return Ok(());
        }
        self.others = true;
        if cookie == self.from {
            return Err(format!(
                "an entry with cookie {cookie}, the one the page was asked from"
            ));
        }
        if !self.cookies.insert(cookie) {
            return Err(format!("cookie {cookie} twice in one page"));
        }
        Ok(())
    }
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
    /// The server's entries, listable or not.
    count: usize,
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
            let followed = self.dir_state()?.listing.lock().follow(
                cookie,
                fetched.count,
                fetched.last_cookie,
                fetched.eof,
            );
            followed
                .map_err(|why| self.broken(format_args!("READDIR from cookie {cookie}: {why}")))?;
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
            Some(_) => Ok(self.attrs.is_fresh()),
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

    /// The error (logged) for a listing of this directory no server should send.
    fn broken(&self, what: impl std::fmt::Display) -> vfs_core::Error {
        rejected(
            Errno::EIO,
            self.state.server(),
            format_args!("{what} in {}", self.what()),
        )
    }

    /// The name of a listed entry, or `None` for one that is not listed; `page`
    /// checks the entry's place in the reply first.
    fn listed_name(&self, page: &mut PageCheck, raw: &[u8], cookie: u64) -> Result<Option<Name>> {
        page.entry(raw, cookie)
            .map_err(|why| self.broken(format_args!("READDIR from cookie {}: {why}", page.from)))?;
        if raw == b"." || raw == b".." {
            return Ok(None);
        }
        let name = Name::new(raw).map_err(|e| {
            let shown = String::from_utf8_lossy(&raw[..raw.len().min(64)]).into_owned();
            self.broken(format_args!("an invalid name {shown:?} ({e})"))
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
        let count = ok.reply.entries.0.len();
        let mut entries = Vec::with_capacity(count);
        let mut last_cookie = None;
        let mut page = PageCheck::new(cookie, count);
        self.state.reserve_nodes(count);
        dir.lookup.reserve(count);
        for entry in ok.reply.entries.0 {
            last_cookie = Some(entry.cookie);
            let Some(name) = self.listed_name(&mut page, entry.name.as_ref(), entry.cookie)? else {
                continue;
            };
            if let Nfs3Option::Some(fh) = &entry.name_handle {
                self.refuse_child(name.as_bytes(), check_handle(fh))?;
            }
            if let Nfs3Option::Some(fattr) = &entry.name_attributes {
                self.refuse_child(name.as_bytes(), check_fattr(fattr))?;
            }
            let listed = match (entry.name_handle, entry.name_attributes) {
                (Nfs3Option::Some(fh), Nfs3Option::Some(fattr)) => {
                    // The node is made (or refreshed) now and kept alive a while, so
                    // the `stat` that usually follows a listing costs no GETATTR.
                    let node = self.state.node(fh, &fattr, seq);
                    self.adopt(&node)?;
                    dir.lookup.learn(&name, child(&node, &fattr, seq));
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
            count,
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
        let count = ok.reply.entries.0.len();
        let mut named = Vec::new();
        let mut last_cookie = None;
        let mut page = PageCheck::new(cookie, count);
        for entry in ok.reply.entries.0 {
            last_cookie = Some(entry.cookie);
            if let Some(name) = self.listed_name(&mut page, entry.name.as_ref(), entry.cookie)? {
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
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(from: u64, entries: &[(&str, u64)]) -> std::result::Result<(), String> {
        let mut check = PageCheck::new(from, 0);
        entries
            .iter()
            .try_for_each(|(name, cookie)| check.entry(name.as_bytes(), *cookie))
    }

    #[test]
    fn dots_are_allowed_first_only() {
        assert!(page(0, &[(".", 1), ("..", 2), ("a", 3), ("b", 4)]).is_ok());
        assert!(page(0, &[("..", 1), (".", 2), ("a", 3)]).is_ok());
        assert!(page(0, &[("a", 3), ("b", 4)]).is_ok());
        assert!(page(4, &[(".", 1), ("a", 5)]).is_ok());
        assert!(page(0, &[("a", 1), (".", 2)]).is_err());
        assert!(page(0, &[(".", 1), ("a", 2), ("..", 3)]).is_err());
        assert!(page(0, &[(".", 1), (".", 2)]).is_err());
    }

    #[test]
    fn cookies_must_move_on_within_a_page() {
        assert!(page(7, &[("a", 7)]).is_err());
        assert!(page(0, &[("a", 0)]).is_err());
        assert!(page(0, &[("a", 5), ("b", 5)]).is_err());
        // Hash cookies need not grow.
        assert!(page(9, &[("a", 3), ("b", 12), ("c", 1)]).is_ok());
    }

    #[test]
    fn a_listing_going_round_is_caught() {
        let mut listing = Listing::default();
        assert!(listing.follow(0, 2, Some(1), false).is_ok());
        // 1 -> 2 -> 1 -> 2 ...: found within a few rounds.
        let mut from = 1;
        let caught = (0..16).any(|_| {
            let next = 3 - from;
            let verdict = listing.follow(from, 1, Some(next), false);
            from = next;
            verdict.is_err()
        });
        assert!(caught);
    }

    #[test]
    fn honest_listings_pass_and_are_forgotten_at_eof() {
        let mut listing = Listing::default();
        for round in 0..3 {
            let mut from = 0;
            for page in 1..=100u64 {
                let last = page * 1000 + round;
                assert!(listing.follow(from, 1000, Some(last), page == 100).is_ok());
                from = last;
            }
        }
        assert!(listing.chains.is_empty());
        // Two listers at the same place follow the same cookies: no loop.
        assert!(listing.follow(0, 10, Some(10), false).is_ok());
        assert!(listing.follow(0, 10, Some(10), false).is_ok());
        assert!(listing.follow(10, 10, Some(20), false).is_ok());
        assert!(listing.follow(10, 10, Some(20), false).is_ok());
        assert!(listing.follow(20, 10, Some(30), false).is_ok());
        assert!(listing.follow(20, 10, Some(30), false).is_ok());
        // Many concurrent listings only bound what is remembered.
        for lister in 0..100 {
            assert!(listing.follow(0, 1, Some(1000 + lister), false).is_ok());
        }
        assert!(listing.chains.len() <= MAX_CHAINS);
    }

    #[test]
    fn a_listing_without_end_is_cut() {
        let mut listing = Listing::default();
        let mut from = 0;
        let page = 1 << 16;
        let cut = (1..).find_map(|n: u64| {
            let verdict = listing.follow(from, page, Some(n), false);
            from = n;
            verdict.err().map(|_| n)
        });
        assert_eq!(cut, Some(MAX_LISTING / page as u64 + 1));
    }
}
