//! PLACEHOLDER until the lock manager lands (being written in parallel).
#![allow(dead_code, unused_variables)]

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileKey {
    pub mount: u64,
    pub ino: u64,
}
pub type LockOwner = u64;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    Read,
    Write,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockRange {
    pub start: u64,
    pub end: Option<u64>,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub kind: LockKind,
    pub range: LockRange,
    pub owner: LockOwner,
}
#[derive(Default)]
pub struct LockManager;
impl LockManager {
    pub fn new() -> LockManager {
        LockManager
    }
    pub fn test_record(
        &self,
        file: FileKey,
        owner: LockOwner,
        kind: LockKind,
        range: LockRange,
    ) -> Option<Conflict> {
        None
    }
    pub async fn set_record(
        &self,
        file: FileKey,
        owner: LockOwner,
        kind: Option<LockKind>,
        range: LockRange,
        wait: bool,
    ) -> vfs_core::Result<()> {
        Ok(())
    }
    pub fn release_records(&self, file: FileKey, owner: LockOwner) {}
    pub async fn flock(
        &self,
        file: FileKey,
        owner: LockOwner,
        kind: Option<LockKind>,
        wait: bool,
    ) -> vfs_core::Result<()> {
        Ok(())
    }
    pub fn release_flock(&self, file: FileKey, owner: LockOwner) {}
}
pub fn range_from_flock(start: i64, len: i64) -> vfs_core::Result<LockRange> {
    Ok(LockRange {
        start: start as u64,
        end: None,
    })
}
