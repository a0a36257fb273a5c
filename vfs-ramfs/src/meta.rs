//! Inode metadata: ownership, permission bits, link count and the three timestamps,
//! with the rules Linux applies to them.

use vfs_core::{NewNode, SetTime, Timespec};

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_IXGRP: u32 = 0o0010;

/// How old an access time may get before relatime refreshes it regardless.
const RELATIME_MAX_AGE_SECS: i64 = 24 * 60 * 60;

/// The metadata of one node. The timestamps change through methods, which keep
/// the second from which a read must look at the access time.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
    /// From which whole second [`Meta::atime_maybe_due`] holds: `i64::MIN` when
    /// the access time is not later than both other times, else a day after it.
    /// Derived from the three times so that a read compares one number.
    atime_due_from: i64,
}

impl Meta {
    /// A new node's metadata: every timestamp is `now`.
    pub(crate) fn new(attrs: &NewNode, nlink: u64, now: Timespec) -> Meta {
        let mut meta = Meta {
            mode: attrs.mode & 0o7777,
            uid: attrs.uid,
            gid: attrs.gid,
            nlink,
            atime: now,
            mtime: now,
            ctime: now,
            atime_due_from: i64::MIN,
        };
        meta.times_changed();
        meta
    }

    pub(crate) fn atime(&self) -> Timespec {
        self.atime
    }

    pub(crate) fn mtime(&self) -> Timespec {
        self.mtime
    }

    pub(crate) fn ctime(&self) -> Timespec {
        self.ctime
    }

    pub(crate) fn set_atime(&mut self, atime: Timespec) {
        self.atime = atime;
        self.times_changed();
    }

    pub(crate) fn set_mtime(&mut self, mtime: Timespec) {
        self.mtime = mtime;
        self.times_changed();
    }

    /// The status changed (owner, mode, links, a rename): ctime only.
    pub(crate) fn changed(&mut self, now: Timespec) {
        self.ctime = now;
        self.times_changed();
    }

    /// The contents changed (write, truncate, an entry added or removed).
    pub(crate) fn modified(&mut self, now: Timespec) {
        self.mtime = now;
        self.ctime = now;
        self.times_changed();
    }

    fn times_changed(&mut self) {
        self.atime_due_from = if self.atime <= self.mtime || self.atime <= self.ctime {
            i64::MIN
        } else {
            self.atime.sec.saturating_add(RELATIME_MAX_AGE_SECS - 1)
        };
    }

    /// Whether a read at `now` refreshes the access time, by the `relatime` rules:
    /// when it is not later than the last modification or status change, or a day
    /// old.
    pub(crate) fn atime_due(&self, now: Timespec) -> bool {
        self.atime != now
            && (self.atime <= self.mtime
                || self.atime <= self.ctime
                || now.sec.saturating_sub(self.atime.sec) >= RELATIME_MAX_AGE_SECS)
    }

    /// Whether [`Meta::atime_due`] may hold at a time whose whole seconds are
    /// `coarse_sec`, read from a clock up to a second behind the precise one. Never
    /// false when `atime_due` would be true, so a read asks the precise clock
    /// (tens of nanoseconds, as much as the rest of a small cached read) only
    /// when this says yes: once per modification, or once a day.
    #[inline]
    pub(crate) fn atime_maybe_due(&self, coarse_sec: i64) -> bool {
        coarse_sec >= self.atime_due_from
    }

    /// A change of owner or group: like Linux's `ATTR_KILL_SUID`/`ATTR_KILL_SGID`,
    /// drops set-user-ID, and set-group-ID when group execute is set (without it the
    /// bit marks mandatory locking, not privilege).
    pub(crate) fn drop_privileges(&mut self) {
        self.mode &= !S_ISUID;
        if self.mode & S_IXGRP != 0 {
            self.mode &= !S_ISGID;
        }
    }
}

/// The time a [`SetTime`] stands for.
pub(crate) fn resolve_time(time: SetTime, now: Timespec) -> Timespec {
    match time {
        SetTime::Now => now,
        SetTime::At(at) => at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(atime: i64, mtime: i64, ctime: i64) -> Meta {
        let mut meta = Meta::new(
            &NewNode {
                mode: 0o644,
                uid: 0,
                gid: 0,
            },
            1,
            Timespec::new(0, 0),
        );
        meta.set_atime(Timespec::new(atime, 0));
        meta.set_mtime(Timespec::new(mtime, 0));
        meta.changed(Timespec::new(ctime, 0));
        meta
    }

    #[test]
    fn relatime_rules() {
        let now = Timespec::new(1_000_000, 0);
        assert!(meta(500, 500, 400).atime_due(now), "atime == mtime");
        assert!(meta(500, 400, 600).atime_due(now), "ctime after atime");
        assert!(
            !meta(999_000, 400, 400).atime_due(now),
            "recent and after both"
        );
        assert!(meta(1_000_000 - 86_400, 0, 0).atime_due(now), "a day old");
        assert!(!meta(1_000_000, 1_000_000, 0).atime_due(now), "already now");
        assert!(meta(i64::MIN, i64::MIN + 1, i64::MIN).atime_due(Timespec::new(i64::MAX, 0)));
    }

    #[test]
    fn maybe_due_covers_due_with_a_lagging_clock() {
        let now = Timespec::new(1_000_000, 999_999_999);
        for (atime, mtime, ctime) in [
            (500, 500, 400),
            (500, 400, 600),
            (999_000, 400, 400),
            (now.sec - 86_400, 0, 0),
            (now.sec - 86_399, 0, 0),
            (now.sec, now.sec, 0),
        ] {
            let meta = meta(atime, mtime, ctime);
            for lag in [0, 1] {
                assert!(
                    !meta.atime_due(now) || meta.atime_maybe_due(now.sec - lag),
                    "{atime} {mtime} {ctime}, clock {lag} s behind"
                );
            }
        }
        assert!(!meta(999_000, 400, 400).atime_maybe_due(1_000_000));
    }

    #[test]
    fn chown_drops_setuid_and_setgid_only_with_group_exec() {
        let mut with_exec = meta(0, 0, 0);
        with_exec.mode = 0o6755;
        with_exec.drop_privileges();
        assert_eq!(with_exec.mode, 0o0755);
        let mut locking = meta(0, 0, 0);
        locking.mode = 0o6644;
        locking.drop_privileges();
        assert_eq!(locking.mode, 0o2644);
    }
}
