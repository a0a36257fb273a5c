//! The hostile replies the fake server can send, one kind per scenario: what each
//! breaks, which reply carries it, and which outcomes count as the client
//! rejecting it.

use vfs_core::Errno;

/// One way a server's reply can be hostile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostileKind {
    /// READDIRPLUS lists `.` after other entries, with another directory's handle.
    DotInMiddle,
    /// READDIRPLUS lists `..` with the handle of the export root's parent.
    DotDotEntry,
    /// A directory entry named `a/b`.
    SlashInName,
    /// A directory entry named `a\0b`.
    NulInName,
    /// A directory entry with an empty name.
    EmptyName,
    /// A directory entry with a 256-byte name.
    LongName,
    /// READDIRPLUS refused (NOTSUPP), and the READDIR fallback lists `a/b`.
    SlashInReaddirFallback,
    /// READDIRPLUS returns the same entry and cookie forever, never eof.
    CookieLoop,
    /// READDIRPLUS returns no entries and no eof, forever.
    EmptyPageNoEof,
    /// A READ reply record over the client's 4 MiB cap, in one fragment.
    OversizeRecord,
    /// A LOOKUP reply in many small fragments adding up to over 4 MiB.
    OversizeFragments,
    /// The LOOKUP reply carries another call's xid.
    WrongXid,
    /// A reply record of two bytes: shorter than an xid.
    ShortRecord,
    /// The LOOKUP reply ends in the middle of the file's attributes.
    TruncatedXdr,
    /// The LOOKUP reply has the right xid followed by random bytes.
    GarbageBytes,
    /// READ returns more bytes than the call asked for.
    ReadTooMuch,
    /// READ's count says more bytes than its data holds.
    ReadCountMismatch,
    /// The file's attributes carry file type 9 (no such type).
    BadFileType,
    /// GETATTR says the regular file LOOKUP found is now a directory.
    TypeChange,
    /// The file's size is 2^64 - 1 (beyond any off_t).
    HugeSize,
    /// The file's mtime has 2,000,000,000 nanoseconds.
    BadNanoseconds,
    /// LOOKUP returns a 128-byte file handle (NFSv3 allows 64).
    LongHandle,
    /// LOOKUP of `x` in the root returns the handle of the root's parent, whose
    /// `..` is itself.
    LookupParent,
}

/// Which call of the probe gets the hostile reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Listing the root (READDIRPLUS / READDIR).
    RootListing,
    /// LOOKUP of `file` in the root.
    LookupFile,
    /// GETATTR of `file`.
    GetattrFile,
    /// READ of `file`.
    ReadFile,
    /// LOOKUP of `x` in the root.
    LookupX,
}

impl HostileKind {
    /// Every kind.
    pub const ALL: [HostileKind; 23] = [
        HostileKind::DotInMiddle,
        HostileKind::DotDotEntry,
        HostileKind::SlashInName,
        HostileKind::NulInName,
        HostileKind::EmptyName,
        HostileKind::LongName,
        HostileKind::SlashInReaddirFallback,
        HostileKind::CookieLoop,
        HostileKind::EmptyPageNoEof,
        HostileKind::OversizeRecord,
        HostileKind::OversizeFragments,
        HostileKind::WrongXid,
        HostileKind::ShortRecord,
        HostileKind::TruncatedXdr,
        HostileKind::GarbageBytes,
        HostileKind::ReadTooMuch,
        HostileKind::ReadCountMismatch,
        HostileKind::BadFileType,
        HostileKind::TypeChange,
        HostileKind::HugeSize,
        HostileKind::BadNanoseconds,
        HostileKind::LongHandle,
        HostileKind::LookupParent,
    ];

    /// A short name for reports.
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    /// The call whose reply is hostile.
    pub fn target(self) -> Target {
        use HostileKind::*;
        match self {
            DotInMiddle
            | DotDotEntry
            | SlashInName
            | NulInName
            | EmptyName
            | LongName
            | SlashInReaddirFallback
            | CookieLoop
            | EmptyPageNoEof => Target::RootListing,
            OversizeFragments | WrongXid | ShortRecord | TruncatedXdr | GarbageBytes
            | BadFileType | HugeSize | BadNanoseconds | LongHandle => Target::LookupFile,
            TypeChange => Target::GetattrFile,
            OversizeRecord | ReadTooMuch | ReadCountMismatch => Target::ReadFile,
            LookupParent => Target::LookupX,
        }
    }

    /// The errors that count as rejecting this kind. EIO everywhere (the issue's
    /// rule); besides it, what a careful client may say more precisely: a wrong xid
    /// is no reply at all, so a soft mount times out; Linux reports a readdir
    /// cookie loop as ELOOP and a file whose type changed as ESTALE.
    pub fn rejecting_errnos(self) -> &'static [Errno] {
        match self {
            HostileKind::WrongXid => &[Errno::EIO, Errno::ETIMEDOUT],
            HostileKind::CookieLoop => &[Errno::EIO, Errno::ELOOP],
            HostileKind::TypeChange => &[Errno::EIO, Errno::ESTALE],
            HostileKind::HugeSize => &[Errno::EIO, Errno::EOVERFLOW],
            _ => &[Errno::EIO],
        }
    }

    /// The bad name a listing kind puts in the root, if it is one of those.
    pub fn bad_name(self) -> Option<Vec<u8>> {
        match self {
            HostileKind::DotInMiddle => Some(b".".to_vec()),
            HostileKind::DotDotEntry => Some(b"..".to_vec()),
            HostileKind::SlashInName | HostileKind::SlashInReaddirFallback => Some(b"a/b".to_vec()),
            HostileKind::NulInName => Some(b"a\0b".to_vec()),
            HostileKind::EmptyName => Some(Vec::new()),
            HostileKind::LongName => Some(vec![b'n'; 256]),
            _ => None,
        }
    }
}
