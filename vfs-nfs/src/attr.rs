//! Attributes: NFSv3 `fattr3` to [`vfs_core::Attr`], [`SetAttr`] to `sattr3`, time
//! conversions, and the per-node attribute cache.
//!
//! The cache follows Linux's rules: attributes are trusted for a timeout that starts
//! at `acregmin`/`acdirmin`, doubles (up to `acregmax`/`acdirmax`) each time a
//! revalidation finds them unchanged and drops back to the minimum when they change;
//! `noac` makes the timeout zero, so every `getattr` asks the server. Every reply
//! that carries attributes (post-op attributes, WCC data) refreshes the cache, so a
//! reply that already told us never costs an extra GETATTR.

use crate::clock::Tick;
use nfs3_types::nfs3::{
    fattr3, ftype3, nfstime3, post_op_attr, pre_op_attr, sattr3, set_atime, set_gid3, set_mode3,
    set_mtime, set_size3, set_uid3, specdata3, wcc_attr, wcc_data, Nfs3Option,
};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;
use vfs_core::{Attr, Errno, FileType, NewNode, Result, SetAttr, SetTime, Timespec};

/// The node type of an NFS file type.
pub fn file_type_of(kind: ftype3) -> FileType {
    match kind {
        ftype3::NF3REG => FileType::Regular,
        ftype3::NF3DIR => FileType::Directory,
        ftype3::NF3BLK => FileType::BlockDevice,
        ftype3::NF3CHR => FileType::CharDevice,
        ftype3::NF3LNK => FileType::Symlink,
        ftype3::NF3SOCK => FileType::Socket,
        ftype3::NF3FIFO => FileType::Fifo,
    }
}

/// Why `fattr` cannot describe a real file, if it cannot: a size no `off_t` can
/// hold (a program would see a negative size) or a time with a billion
/// nanoseconds or more. Attributes failing this are never cached or shown.
pub fn check_fattr(fattr: &fattr3) -> std::result::Result<(), String> {
    if fattr.size > i64::MAX as u64 {
        return Err(format!(
            "size {} of #{} is beyond any off_t",
            fattr.size, fattr.fileid
        ));
    }
    for (which, time) in [
        ("atime", fattr.atime),
        ("mtime", fattr.mtime),
        ("ctime", fattr.ctime),
    ] {
        if time.nseconds >= 1_000_000_000 {
            return Err(format!(
                "{which} of #{} has {} nanoseconds",
                fattr.fileid, time.nseconds
            ));
        }
    }
    Ok(())
}

/// An NFS time as a POSIX one.
pub fn timespec_of(time: nfstime3) -> Timespec {
    // Attributes that reach the caches passed `check_fattr`; the clamp is for the
    // times of a READ reply's attributes, which only tell a change and must never
    // build an invalid Timespec.
    Timespec::new(i64::from(time.seconds), time.nseconds.min(999_999_999))
}

/// A POSIX time as an NFS one: NFSv3 times are unsigned 32-bit seconds, so times
/// before 1970 or after 2106 cannot be sent.
///
/// Errors: `EINVAL` for a time outside that range.
pub fn nfstime_of(time: Timespec) -> Result<nfstime3> {
    let seconds = u32::try_from(time.sec).map_err(|_| {
        Errno::EINVAL.with(format!(
            "time {}.{:09} is outside NFSv3's range (1970..2106)",
            time.sec, time.nsec
        ))
    })?;
    Ok(nfstime3 {
        seconds,
        nseconds: time.nsec,
    })
}

/// Linux's `new_encode_dev` of the device numbers NFSv3 carries as two words.
fn rdev_of(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major), u64::from(minor));
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

/// A device number in Linux's encoding as the two words NFSv3 carries (major,
/// minor): the inverse of the decoding `attr_of` applies.
pub fn specdata_of(rdev: u64) -> specdata3 {
    specdata3 {
        specdata1: (((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)) as u32,
        specdata2: ((rdev & 0xff) | ((rdev >> 12) & !0xff)) as u32,
    }
}

/// `fattr` as a [`vfs_core::Attr`]; `blksize` is the mount's preferred I/O size.
pub fn attr_of(fattr: &fattr3, blksize: u32) -> Attr {
    Attr {
        file_type: file_type_of(fattr.type_),
        mode: fattr.mode & 0o7777,
        nlink: u64::from(fattr.nlink),
        uid: fattr.uid,
        gid: fattr.gid,
        size: fattr.size,
        blocks: fattr.used.div_ceil(512),
        blksize,
        ino: fattr.fileid,
        rdev: rdev_of(fattr.rdev.specdata1, fattr.rdev.specdata2),
        atime: timespec_of(fattr.atime),
        mtime: timespec_of(fattr.mtime),
        ctime: timespec_of(fattr.ctime),
    }
}

/// A change of attributes as SETATTR takes it.
///
/// Errors: `EINVAL` for a time NFSv3 cannot carry.
pub fn sattr_of(changes: &SetAttr) -> Result<sattr3> {
    let time = |change: Option<SetTime>| -> Result<Option<Option<nfstime3>>> {
        Ok(match change {
            None => None,
            Some(SetTime::Now) => Some(None),
            Some(SetTime::At(at)) => Some(Some(nfstime_of(at)?)),
        })
    };
    Ok(sattr3 {
        mode: option(changes.mode.map(|mode| mode & 0o7777)),
        uid: option(changes.uid),
        gid: option(changes.gid),
        size: option(changes.size),
        atime: match time(changes.atime)? {
            None => set_atime::DONT_CHANGE,
            Some(None) => set_atime::SET_TO_SERVER_TIME,
            Some(Some(at)) => set_atime::SET_TO_CLIENT_TIME(at),
        },
        mtime: match time(changes.mtime)? {
            None => set_mtime::DONT_CHANGE,
            Some(None) => set_mtime::SET_TO_SERVER_TIME,
            Some(Some(at)) => set_mtime::SET_TO_CLIENT_TIME(at),
        },
    })
}

/// The initial attributes of a node being created. The server makes the node owned
/// by the RPC credential (as it does for Linux, which never sends an owner on
/// create); owner and group are sent only when the namespace decided on others
/// (a set-group-ID directory's group, a caller other than the mount's identity).
pub fn new_node_sattr(attrs: &NewNode, cred_uid: u32, cred_gid: u32) -> sattr3 {
    sattr3 {
        mode: set_mode3::Some(attrs.mode & 0o7777),
        uid: if attrs.uid == cred_uid {
            set_uid3::None
        } else {
            set_uid3::Some(attrs.uid)
        },
        gid: if attrs.gid == cred_gid {
            set_gid3::None
        } else {
            set_gid3::Some(attrs.gid)
        },
        size: set_size3::None,
        atime: set_atime::DONT_CHANGE,
        mtime: set_mtime::DONT_CHANGE,
    }
}

fn option<T: nfs3_types::xdr_codec::Pack + nfs3_types::xdr_codec::Unpack>(
    value: Option<T>,
) -> Nfs3Option<T> {
    match value {
        Some(value) => Nfs3Option::Some(value),
        None => Nfs3Option::None,
    }
}

/// What tells whether a node changed: size, mtime and ctime, the fields WCC data
/// carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeKey {
    size: u64,
    mtime: nfstime3,
    ctime: nfstime3,
}

impl ChangeKey {
    /// The key of full attributes.
    pub fn of(fattr: &fattr3) -> ChangeKey {
        ChangeKey {
            size: fattr.size,
            mtime: fattr.mtime,
            ctime: fattr.ctime,
        }
    }

    /// The key of WCC pre-operation attributes.
    pub fn of_wcc(wcc: &wcc_attr) -> ChangeKey {
        ChangeKey {
            size: wcc.size,
            mtime: wcc.mtime,
            ctime: wcc.ctime,
        }
    }

    fn ctime_after(&self, other: &ChangeKey) -> bool {
        (self.ctime.seconds, self.ctime.nseconds) > (other.ctime.seconds, other.ctime.nseconds)
    }
}

/// What storing new attributes found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// The attributes differ from those cached before (or nothing was cached).
    pub changed: bool,
    /// The attributes were older than those cached and were dropped.
    pub stale: bool,
}

struct CacheState {
    /// The attributes, while they may be served.
    attr: Option<Attr>,
    /// The last known change key, kept after expiry to tell a change from a
    /// revalidation.
    key: Option<ChangeKey>,
    fetched: Tick,
    timeout: Duration,
    /// The sequence number of the call whose attributes are cached.
    seq: u64,
    /// Set when the cached attributes came from a reply to the operation in
    /// progress (a LOOKUP or CREATE that just named this node) and nobody has
    /// used them yet: the call number and when they came.
    just_fetched: Option<(u64, Tick)>,
}

/// How long attributes marked just fetched may stand in for a GETATTR at most.
/// What really limits them is that no other call may have begun on the mount
/// since (see [`AttrCache::take_just_fetched`]); this bound only keeps a mark left
/// behind on an idle mount from being served long after.
const JUST_FETCHED: Duration = Duration::from_secs(1);

/// One node's cached attributes.
pub struct AttrCache {
    state: Mutex<CacheState>,
    min: Duration,
    max: Duration,
    blksize: u32,
    /// The node's type and fileid: a handle keeps them for its life, so
    /// attributes saying otherwise are a broken server's (or a handle it reused)
    /// and are not stored.
    identity: (ftype3, u64),
    /// `host:export`, to name the node in log lines ("file #INO on HOST:EXPORT").
    server: Arc<str>,
}

impl AttrCache {
    /// An empty cache trusting attributes between `min` and `max`, for the node
    /// whose first attributes are `first`, on `server`.
    pub fn new(
        min: Duration,
        max: Duration,
        blksize: u32,
        first: &fattr3,
        server: Arc<str>,
    ) -> AttrCache {
        AttrCache {
            identity: (first.type_, first.fileid),
            server,
            state: Mutex::new(CacheState {
                attr: None,
                key: None,
                fetched: Tick::now(),
                timeout: min,
                seq: 0,
                just_fetched: None,
            }),
            min,
            max: max.max(min),
            blksize,
        }
    }

    /// True while the cached attributes are fresh.
    pub fn is_fresh(&self) -> bool {
        let state = self.state.lock();
        state.attr.is_some() && state.fetched.elapsed() < state.timeout
    }

    /// The cached attributes while they are fresh.
    pub fn fresh(&self) -> Option<Attr> {
        let state = self.state.lock();
        let attr = state.attr.as_ref()?;
        (state.fetched.elapsed() < state.timeout).then(|| attr.clone())
    }

    /// The last attributes seen, fresh or not.
    pub fn last(&self) -> Option<Attr> {
        self.state.lock().attr.clone()
    }

    /// Stores `fattr` from the reply to the call numbered `seq` (numbers are taken
    /// before sending, from [`crate::state::MountState::begin`]). Replies arrive in
    /// any order; one from an older call whose ctime is not newer than what is
    /// cached is dropped, so it cannot replace newer attributes. Attributes that
    /// fail [`AttrCache::check`] expire the cache instead (logged): nothing known
    /// about the node can be trusted then, so it counts as a change.
    pub fn store(&self, fattr: &fattr3, seq: u64) -> Stored {
        if let Err(why) = self.check(fattr) {
            let (kind, ino) = self.identity;
            eprintln!(
                "vfs-nfs: dropped the attributes of {} on {}: {why}",
                crate::node::kind_and_ino(file_type_of(kind), ino),
                self.server
            );
            self.expire();
            return Stored {
                changed: true,
                stale: false,
            };
        }
        let key = ChangeKey::of(fattr);
        let mut state = self.state.lock();
        if let Some(old) = &state.key {
            if seq < state.seq && !key.ctime_after(old) {
                return Stored {
                    changed: false,
                    stale: true,
                };
            }
        }
        let changed = state.key != Some(key);
        state.timeout = if changed || state.timeout.is_zero() {
            self.min
        } else {
            (state.timeout * 2).min(self.max)
        };
        state.key = Some(key);
        state.attr = Some(attr_of(fattr, self.blksize));
        state.fetched = Tick::now();
        state.seq = state.seq.max(seq);
        state.just_fetched = None;
        Stored {
            changed,
            stale: false,
        }
    }

    /// Why `fattr` cannot be this node's, if it cannot: invalid values
    /// ([`check_fattr`]), or another type or fileid than the node's.
    pub fn check(&self, fattr: &fattr3) -> std::result::Result<(), String> {
        check_fattr(fattr)?;
        let (type_, fileid) = self.identity;
        if fattr.type_ != type_ || fattr.fileid != fileid {
            return Err(format!(
                "{:?} #{} is now {:?} #{}",
                type_, fileid, fattr.type_, fattr.fileid
            ));
        }
        Ok(())
    }

    /// Stores optional post-op attributes; their absence expires the cache.
    pub fn store_post_op(&self, after: &post_op_attr, seq: u64) -> Stored {
        match after {
            Nfs3Option::Some(fattr) => self.store(fattr, seq),
            Nfs3Option::None => {
                self.expire();
                Stored {
                    changed: true,
                    stale: false,
                }
            }
        }
    }

    /// Applies the WCC data of a call numbered `seq` that changed this node.
    /// Returns true when the node was exactly as cached before the call, so the call
    /// alone explains the change (nobody else changed it meanwhile).
    pub fn store_wcc(&self, wcc: &wcc_data, seq: u64) -> bool {
        let ours = match &wcc.before {
            pre_op_attr::Some(before) => {
                let state = self.state.lock();
                state.key == Some(ChangeKey::of_wcc(before))
            }
            pre_op_attr::None => false,
        };
        self.store_post_op(&wcc.after, seq);
        ours
    }

    /// Forgets the attributes (the next `getattr` asks the server) but keeps what
    /// tells a change from a revalidation.
    pub fn expire(&self) {
        let mut state = self.state.lock();
        state.attr = None;
        state.just_fetched = None;
    }

    /// Marks the cached attributes as the answer of call `seq`, made for the
    /// operation in progress, if they are still the ones it stored.
    pub fn mark_just_fetched(&self, seq: u64) {
        let mut state = self.state.lock();
        if state.seq == seq && state.attr.is_some() {
            state.just_fetched = Some((seq, Tick::now()));
        }
    }

    /// The attributes marked by [`AttrCache::mark_just_fetched`], once, when the
    /// call that brought them is the last one begun on the mount (`next_seq` is
    /// the number the next call will get) and they are younger than
    /// [`JUST_FETCHED`]. They are as fresh as a GETATTR sent now would be for the
    /// operation that looked the node up or created it: `stat` under `noac` is
    /// then one LOOKUP, and the close-to-open check of an `open` that just looked
    /// up or created its file costs nothing. Whatever happens in between (another
    /// call, another store) takes the mark away.
    pub fn take_just_fetched(&self, next_seq: u64) -> Option<Attr> {
        let mut state = self.state.lock();
        let (seq, at) = state.just_fetched.take()?;
        if seq + 1 != next_seq || at.elapsed() >= JUST_FETCHED {
            return None;
        }
        state.attr.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    static SEQ: AtomicU64 = AtomicU64::new(1);

    trait Begin {
        fn begin(&self) -> u64;
    }

    impl Begin for AttrCache {
        fn begin(&self) -> u64 {
            SEQ.fetch_add(1, Ordering::Relaxed)
        }
    }

    fn fattr(size: u64, mtime: u32) -> fattr3 {
        let time = nfstime3 {
            seconds: mtime,
            nseconds: 0,
        };
        fattr3 {
            type_: ftype3::NF3REG,
            mode: 0o100644,
            nlink: 1,
            uid: 1,
            gid: 2,
            size,
            used: 4096,
            rdev: specdata3::default(),
            fsid: 0,
            fileid: 42,
            atime: time,
            mtime: time,
            ctime: time,
        }
    }

    fn cache(min: Duration, max: Duration) -> AttrCache {
        AttrCache::new(min, max, 4096, &fattr(1, 10), "a test file".into())
    }

    #[test]
    fn timeout_doubles_while_unchanged_and_resets_on_change() {
        let cache = cache(Duration::from_secs(3), Duration::from_secs(60));
        assert!(cache.store(&fattr(1, 10), cache.begin()).changed);
        let timeout = || cache.state.lock().timeout;
        assert_eq!(timeout(), Duration::from_secs(3));
        assert!(!cache.store(&fattr(1, 10), cache.begin()).changed);
        assert_eq!(timeout(), Duration::from_secs(6));
        for _ in 0..10 {
            cache.store(&fattr(1, 10), cache.begin());
        }
        assert_eq!(timeout(), Duration::from_secs(60));
        assert!(cache.store(&fattr(2, 11), cache.begin()).changed);
        assert_eq!(timeout(), Duration::from_secs(3));
        let attr = cache.fresh().unwrap();
        assert_eq!(
            (attr.size, attr.mode, attr.ino, attr.blocks),
            (2, 0o644, 42, 8)
        );
    }

    #[test]
    fn noac_never_serves_from_the_cache() {
        let cache = cache(Duration::ZERO, Duration::ZERO);
        cache.store(&fattr(1, 10), cache.begin());
        assert!(cache.fresh().is_none());
        assert_eq!(cache.last().unwrap().size, 1);
    }

    #[test]
    fn older_replies_do_not_replace_newer_attributes() {
        let cache = cache(Duration::from_secs(3), Duration::from_secs(60));
        let (first, second) = (cache.begin(), cache.begin());
        cache.store(&fattr(2, 11), second);
        assert!(cache.store(&fattr(1, 10), first).stale);
        assert_eq!(cache.fresh().unwrap().size, 2);
        // An older call with a newer ctime was processed later by the server.
        assert!(!cache.store(&fattr(3, 12), first).stale);
        assert_eq!(cache.fresh().unwrap().size, 3);
    }

    #[test]
    fn wcc_tells_our_change_from_someone_elses() {
        let cache = cache(Duration::from_secs(3), Duration::from_secs(60));
        cache.store(&fattr(1, 10), cache.begin());
        let before = |size, time| {
            pre_op_attr::Some(wcc_attr {
                size,
                mtime: nfstime3 {
                    seconds: time,
                    nseconds: 0,
                },
                ctime: nfstime3 {
                    seconds: time,
                    nseconds: 0,
                },
            })
        };
        let ours = wcc_data {
            before: before(1, 10),
            after: post_op_attr::Some(fattr(5, 20)),
        };
        assert!(cache.store_wcc(&ours, cache.begin()));
        let theirs = wcc_data {
            before: before(7, 25),
            after: post_op_attr::Some(fattr(9, 30)),
        };
        assert!(!cache.store_wcc(&theirs, cache.begin()));
        assert_eq!(cache.fresh().unwrap().size, 9);
    }

    #[test]
    fn times_outside_nfsv3_are_refused() {
        assert_eq!(
            nfstime_of(Timespec::new(-1, 0)).unwrap_err().errno(),
            Errno::EINVAL
        );
        assert!(nfstime_of(Timespec::new(i64::from(u32::MAX) + 1, 0)).is_err());
        let time = nfstime_of(Timespec::new(1_234_567_890, 5)).unwrap();
        assert_eq!(timespec_of(time), Timespec::new(1_234_567_890, 5));
    }

    #[test]
    fn device_numbers_as_linux_encodes_them() {
        assert_eq!(rdev_of(8, 1), 0x801);
        assert_eq!(rdev_of(259, 65536), (259 << 8) | (65536 << 12));
        for (major, minor) in [
            (0, 0),
            (1, 3),
            (8, 1),
            (259, 65536),
            (4095, 255),
            (4096, 256),
        ] {
            let spec = specdata_of(rdev_of(major, minor));
            assert_eq!((spec.specdata1, spec.specdata2), (major, minor));
        }
        assert_eq!(specdata_of(0x1001_0300).specdata2, 65536);
    }

    #[test]
    fn impossible_attributes_are_refused() {
        assert!(check_fattr(&fattr(1, 10)).is_ok());
        let mut huge = fattr(0, 10);
        huge.size = i64::MAX as u64;
        assert!(check_fattr(&huge).is_ok());
        huge.size = u64::MAX;
        assert!(check_fattr(&huge).is_err());
        let with = |which: usize, nseconds: u32| {
            let mut attr = fattr(1, 10);
            let time = match which {
                0 => &mut attr.atime,
                1 => &mut attr.mtime,
                _ => &mut attr.ctime,
            };
            time.nseconds = nseconds;
            attr
        };
        for which in 0..3 {
            assert!(check_fattr(&with(which, 999_999_999)).is_ok());
            assert!(check_fattr(&with(which, 1_000_000_000)).is_err());
        }
    }

    #[test]
    fn attributes_of_another_node_are_not_stored() {
        let cache = cache(Duration::from_secs(3), Duration::from_secs(60));
        cache.store(&fattr(1, 10), cache.begin());
        let mut dir = fattr(1, 10);
        dir.type_ = ftype3::NF3DIR;
        assert!(cache.check(&dir).is_err());
        assert!(cache.store(&dir, cache.begin()).changed);
        assert!(
            cache.last().is_none(),
            "the bad attributes expire the cache"
        );
        let mut other = fattr(1, 10);
        other.fileid = 43;
        assert!(cache.check(&other).is_err());
        let mut huge = fattr(1, 10);
        huge.size = u64::MAX;
        cache.store(&huge, cache.begin());
        assert!(cache.last().is_none());
        cache.store(&fattr(2, 11), cache.begin());
        assert_eq!(cache.fresh().unwrap().size, 2);
    }
}
