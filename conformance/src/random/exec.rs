//! Executing ops: each op is applied to the model, which predicts its outcome, and,
//! when a target is attached, made on the target and compared. Without a target the
//! executor only advances the model (to generate or inspect a sequence).

use super::model::{Model, ModelAttr, RenamePlan};
use super::ops::{Op, SLOTS};
use super::rng;
use super::Tally;
use crate::target::{Target, TargetFile};
use vfs_core::{Attr, Capabilities, Errno, FileType, OpenFlags};

/// Where the target first disagreed with the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The call or check that disagreed.
    pub what: String,
    /// What the model predicted.
    pub expected: String,
    /// What the target did.
    pub seen: String,
}

impl Mismatch {
    pub(crate) fn new(
        what: impl Into<String>,
        expected: impl Into<String>,
        seen: impl Into<String>,
    ) -> Mismatch {
        Mismatch {
            what: what.into(),
            expected: expected.into(),
            seen: seen.into(),
        }
    }
}

/// How an op ended, for the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded (on the target as predicted).
    Ok,
    /// It failed with this errno (on the target as predicted).
    Err(Errno),
    /// It did not apply at this point (slot not open, or a capability forbids it).
    Skipped,
}

/// The target side: the scratch directory and the open files of the slots.
pub(crate) struct Live<'t> {
    pub target: &'t dyn Target,
    pub root: String,
    pub files: [Option<Box<dyn TargetFile>>; SLOTS],
}

impl Live<'_> {
    /// The absolute path of `rel` (`""` is the scratch directory).
    pub fn abs(&self, rel: &str) -> Vec<u8> {
        let mut path = Vec::with_capacity(self.root.len() + 1 + rel.len());
        path.extend_from_slice(self.root.as_bytes());
        if !rel.is_empty() {
            path.push(b'/');
            path.extend_from_slice(rel.as_bytes());
        }
        path
    }
}

/// The model, optionally a live target, and the tally of outcomes.
pub(crate) struct Executor<'t> {
    pub caps: Capabilities,
    pub model: Model,
    pub live: Option<Live<'t>>,
    pub tally: Tally,
}

fn show<T>(result: &Result<T, Errno>) -> String {
    match result {
        Ok(_) => "success".to_string(),
        Err(errno) => format!("{errno:?}"),
    }
}

fn show_seen<T>(result: &vfs_core::Result<T>) -> String {
    match result {
        Ok(_) => "success".to_string(),
        Err(error) => format!("{error:?}"),
    }
}

/// Success or the same errno on both sides, else a mismatch naming `what`.
fn same<T, U>(
    what: impl FnOnce() -> String,
    expected: &Result<T, Errno>,
    seen: &vfs_core::Result<U>,
) -> Result<Outcome, Mismatch> {
    match (expected, seen) {
        (Ok(_), Ok(_)) => Ok(Outcome::Ok),
        (Err(errno), Err(error)) if error.errno() == *errno => Ok(Outcome::Err(*errno)),
        _ => Err(Mismatch::new(what(), show(expected), show_seen(seen))),
    }
}

/// The outcome the model alone predicts.
fn predicted<T>(expected: &Result<T, Errno>) -> Outcome {
    match expected {
        Ok(_) => Outcome::Ok,
        Err(errno) => Outcome::Err(*errno),
    }
}

/// Where two byte strings first differ, described for a person; `None` when equal.
pub(crate) fn difference(expected: &[u8], seen: &[u8]) -> Option<(String, String)> {
    if expected == seen {
        return None;
    }
    let at = expected.iter().zip(seen).position(|(a, b)| a != b);
    Some(match at {
        Some(at) => (
            format!(
                "{} bytes, byte {at} = {:#04x}",
                expected.len(),
                expected[at]
            ),
            format!("{} bytes, byte {at} = {:#04x}", seen.len(), seen[at]),
        ),
        None => (
            format!("{} bytes", expected.len()),
            format!("{} bytes", seen.len()),
        ),
    })
}

impl<'t> Executor<'t> {
    /// An executor on a fresh model; `live` attaches a target.
    pub fn new(caps: Capabilities, live: Option<(&'t dyn Target, String)>) -> Executor<'t> {
        Executor {
            caps,
            model: Model::new(),
            live: live.map(|(target, root)| Live {
                target,
                root,
                files: Default::default(),
            }),
            tally: Tally::default(),
        }
    }

    /// Applies `op`, comparing the target's answer with the model's prediction.
    pub fn step(&mut self, op: &Op) -> Result<(), Mismatch> {
        let outcome = self.apply(op)?;
        self.tally.record(op.kind(), outcome);
        Ok(())
    }

    /// Closes every open slot on both sides (best effort on the target).
    pub fn close_all(&mut self) {
        for slot in 0..SLOTS {
            self.model.close_slot(slot);
            if let Some(live) = &mut self.live {
                if let Some(file) = live.files[slot].take() {
                    let _ = file.close();
                }
            }
        }
    }

    /// Compares the attributes the model predicts with those seen, as far as the
    /// capabilities make them meaningful.
    pub fn compare_attr(
        &self,
        what: &str,
        expected: &ModelAttr,
        seen: &Attr,
    ) -> Result<(), Mismatch> {
        if expected.file_type != seen.file_type {
            return Err(Mismatch::new(
                format!("{what}: type"),
                format!("{:?}", expected.file_type),
                format!("{:?}", seen.file_type),
            ));
        }
        if expected.file_type != FileType::Directory && expected.size != seen.size {
            return Err(Mismatch::new(
                format!("{what}: size"),
                expected.size.to_string(),
                seen.size.to_string(),
            ));
        }
        let nlink_counts = match expected.file_type {
            FileType::Directory => self.caps.dir_link_counts,
            _ => self.caps.hard_links,
        };
        if nlink_counts && expected.nlink != seen.nlink {
            return Err(Mismatch::new(
                format!("{what}: nlink"),
                expected.nlink.to_string(),
                seen.nlink.to_string(),
            ));
        }
        Ok(())
    }

    /// Closes `slot` on both sides; `Ok(false)` when it was not open.
    fn close_slot(&mut self, slot: usize) -> Result<bool, Mismatch> {
        if self.model.close_slot(slot).is_none() {
            return Ok(false);
        }
        if let Some(file) = self.live.as_mut().and_then(|live| live.files[slot].take()) {
            if let Err(error) = file.close() {
                return Err(Mismatch::new(
                    format!("close f{slot}"),
                    "success",
                    format!("{error:?}"),
                ));
            }
        }
        Ok(true)
    }

    /// Without `unlinked_open_files`, closes the slots on `ino` before its last name
    /// goes, as a careful program would.
    fn close_doomed(&mut self, ino: usize) -> Result<(), Mismatch> {
        if self.caps.unlinked_open_files || self.model.inode(ino).links != 1 {
            return Ok(());
        }
        for slot in self.model.slots_on(ino) {
            self.close_slot(slot)?;
        }
        Ok(())
    }

    /// Opens `path` into the (closed) `slot`, expecting `expected`.
    fn open_into(
        &mut self,
        slot: usize,
        path: &str,
        append: bool,
        create: bool,
    ) -> Result<Outcome, Mismatch> {
        let expected = if create {
            self.model.create(path)
        } else {
            self.model.writable_file(path)
        };
        if let Some(live) = &mut self.live {
            let mut flags = OpenFlags::RDWR;
            if create {
                flags |= OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
            }
            if append {
                flags |= OpenFlags::APPEND;
            }
            let seen = live.target.open(&live.abs(path), flags, 0o644);
            let kind = if create { "create" } else { "open" };
            let outcome = same(|| format!("{kind} f{slot} {path}"), &expected, &seen)?;
            if let Ok(file) = seen {
                live.files[slot] = Some(file);
            }
            if let Ok(ino) = expected {
                self.model.open_slot(slot, ino, append);
            }
            return Ok(outcome);
        }
        if let Ok(ino) = expected {
            self.model.open_slot(slot, ino, append);
        }
        Ok(predicted(&expected))
    }

    fn apply(&mut self, op: &Op) -> Result<Outcome, Mismatch> {
        let what = || op.to_string();
        match op {
            Op::Create { slot, path } => {
                let slot = usize::from(*slot);
                self.close_slot(slot)?;
                self.open_into(slot, path, false, true)
            }
            Op::Open { slot, path, append } => {
                let slot = usize::from(*slot);
                self.close_slot(slot)?;
                self.open_into(slot, path, *append, false)
            }
            Op::Close { slot } => Ok(if self.close_slot(usize::from(*slot))? {
                Outcome::Ok
            } else {
                Outcome::Skipped
            }),
            Op::Reopen { slot } => {
                let slot = usize::from(*slot);
                let Some(open) = self.model.slot(slot) else {
                    return Ok(Outcome::Skipped);
                };
                let path = self.model.first_path(open.ino);
                self.close_slot(slot)?;
                match path {
                    Some(path) => match self.open_into(slot, &path, open.append, false)? {
                        Outcome::Ok => Ok(Outcome::Ok),
                        _ => unreachable!("model: reopening by a name the file has must work"),
                    },
                    None => Ok(Outcome::Ok),
                }
            }
            Op::Pwrite {
                slot,
                offset,
                len,
                seed,
            } => {
                let slot = usize::from(*slot);
                let Some(open) = self.model.slot(slot) else {
                    return Ok(Outcome::Skipped);
                };
                if open.append || (!self.caps.sparse_files && *offset > self.model.size(open.ino)) {
                    return Ok(Outcome::Skipped);
                }
                let data = rng::data(*seed, *len as usize);
                self.model.write(open.ino, *offset, &data);
                self.tally.bytes_written += u64::from(*len);
                if let Some(file) = self.live_file(slot) {
                    write_all(file, &data, Some(*offset))
                        .map_err(|seen| Mismatch::new(what(), "success", seen))?;
                }
                Ok(Outcome::Ok)
            }
            Op::Append { slot, len, seed } => {
                let slot = usize::from(*slot);
                let Some(open) = self.model.slot(slot).filter(|open| open.append) else {
                    return Ok(Outcome::Skipped);
                };
                let data = rng::data(*seed, *len as usize);
                let end = self.model.size(open.ino);
                self.model.write(open.ino, end, &data);
                self.tally.bytes_written += u64::from(*len);
                if let Some(file) = self.live_file(slot) {
                    write_all(file, &data, None)
                        .map_err(|seen| Mismatch::new(what(), "success", seen))?;
                }
                Ok(Outcome::Ok)
            }
            Op::Pread { slot, offset, len } => {
                let slot = usize::from(*slot);
                let Some(open) = self.model.slot(slot) else {
                    return Ok(Outcome::Skipped);
                };
                let data = self.model.data(open.ino);
                let start = (*offset as usize).min(data.len());
                let end = (*offset as usize)
                    .saturating_add(*len as usize)
                    .min(data.len());
                self.tally.bytes_read += (end - start) as u64;
                let Some(file) = self
                    .live
                    .as_mut()
                    .and_then(|live| live.files[slot].as_mut())
                else {
                    return Ok(Outcome::Ok);
                };
                let seen = read_up_to(file.as_mut(), *offset, *len as usize)
                    .map_err(|seen| Mismatch::new(what(), "success", seen))?;
                match difference(&data[start..end], &seen) {
                    None => Ok(Outcome::Ok),
                    Some((expected, seen)) => Err(Mismatch::new(what(), expected, seen)),
                }
            }
            Op::Ftruncate { slot, size } => {
                let slot = usize::from(*slot);
                let Some(open) = self.model.slot(slot) else {
                    return Ok(Outcome::Skipped);
                };
                if !self.caps.sparse_files && *size > self.model.size(open.ino) {
                    return Ok(Outcome::Skipped);
                }
                self.model.set_size(open.ino, *size);
                if let Some(file) = self.live_file(slot) {
                    let seen = file.ftruncate(*size);
                    same(what, &Ok::<(), Errno>(()), &seen)?;
                }
                Ok(Outcome::Ok)
            }
            Op::Fstat { slot } => {
                let slot = usize::from(*slot);
                let Some(open) = self.model.slot(slot) else {
                    return Ok(Outcome::Skipped);
                };
                let expected = self.model.attr(open.ino);
                if let Some(file) = self.live_file(slot) {
                    let seen = file.fstat();
                    same(what, &Ok::<(), Errno>(()), &seen)?;
                    if let Ok(attr) = seen {
                        self.compare_attr(&what(), &expected, &attr)?;
                    }
                }
                Ok(Outcome::Ok)
            }
            Op::Truncate { path, size } => {
                let expected = self.model.writable_file(path);
                if let Ok(ino) = expected {
                    if !self.caps.sparse_files && *size > self.model.size(ino) {
                        return Ok(Outcome::Skipped);
                    }
                    self.model.set_size(ino, *size);
                }
                self.call(what, &expected, |live| {
                    live.target.truncate(&live.abs(path), *size)
                })
            }
            Op::Mkdir { path } => {
                let expected = self.model.mkdir(path);
                self.call(what, &expected, |live| {
                    live.target.mkdir(&live.abs(path), 0o755)
                })
            }
            Op::Rmdir { path } => {
                let expected = self.model.rmdir(path);
                self.call(what, &expected, |live| live.target.rmdir(&live.abs(path)))
            }
            Op::Unlink { path } => {
                let plan = self.model.plan_unlink(path);
                let expected = plan.as_ref().map(drop).map_err(|&errno| errno);
                if let Ok(plan) = plan {
                    self.close_doomed(plan.ino)?;
                    self.model.unlink(plan);
                }
                self.call(what, &expected, |live| live.target.unlink(&live.abs(path)))
            }
            Op::Rename { from, to } => {
                let plan = self.model.plan_rename(from, to);
                let expected = plan.as_ref().map(drop).map_err(|&errno| errno);
                if let Ok(plan) = plan {
                    if let RenamePlan::Move {
                        replaced: Some(victim),
                        ..
                    } = plan
                    {
                        self.close_doomed(victim)?;
                    }
                    self.model.rename(plan);
                }
                self.call(what, &expected, |live| {
                    live.target.rename(&live.abs(from), &live.abs(to))
                })
            }
            Op::Link { from, to } => {
                let expected = self.model.link(from, to);
                self.call(what, &expected, |live| {
                    live.target.link(&live.abs(from), &live.abs(to))
                })
            }
            Op::Symlink { target, path } => {
                let expected = self.model.symlink(target, path);
                self.call(what, &expected, |live| {
                    live.target.symlink(target.as_bytes(), &live.abs(path))
                })
            }
            Op::Stat { path } | Op::Lstat { path } => {
                let follow = matches!(op, Op::Stat { .. });
                let expected = if follow {
                    self.model.lookup_follow(path)
                } else {
                    self.model.lookup(path)
                };
                let expected = expected.map(|ino| self.model.attr(ino));
                let Some(live) = &self.live else {
                    return Ok(predicted(&expected));
                };
                let abs = live.abs(path);
                let seen = if follow {
                    live.target.stat(&abs)
                } else {
                    live.target.lstat(&abs)
                };
                let outcome = same(what, &expected, &seen)?;
                if let (Ok(expected), Ok(seen)) = (&expected, &seen) {
                    self.compare_attr(&what(), expected, seen)?;
                }
                Ok(outcome)
            }
            Op::Readlink { path } => {
                let expected = self.model.lookup(path).and_then(|ino| {
                    self.model
                        .symlink_target(ino)
                        .map(str::to_string)
                        .ok_or(Errno::EINVAL)
                });
                let Some(live) = &self.live else {
                    return Ok(predicted(&expected));
                };
                let seen = live.target.readlink(&live.abs(path));
                let outcome = same(what, &expected, &seen)?;
                if let (Ok(expected), Ok(seen)) = (&expected, &seen) {
                    if expected.as_bytes() != seen.as_slice() {
                        return Err(Mismatch::new(
                            what(),
                            expected.clone(),
                            String::from_utf8_lossy(seen),
                        ));
                    }
                }
                Ok(outcome)
            }
            Op::ReadDir { path } => {
                let expected = self.model.list(path);
                let Some(live) = &self.live else {
                    return Ok(predicted(&expected));
                };
                let seen = live.target.read_dir(&live.abs(path));
                let outcome = same(what, &expected, &seen)?;
                if let (Ok(expected), Ok(seen)) = (&expected, seen) {
                    let mut seen: Vec<(String, FileType)> = seen
                        .into_iter()
                        .map(|entry| {
                            (
                                String::from_utf8_lossy(&entry.name).into_owned(),
                                entry.file_type,
                            )
                        })
                        .collect();
                    seen.sort();
                    if *expected != seen {
                        return Err(Mismatch::new(
                            what(),
                            format!("{expected:?}"),
                            format!("{seen:?}"),
                        ));
                    }
                }
                Ok(outcome)
            }
            Op::Check => {
                self.tally.checks += 1;
                self.check()?;
                Ok(Outcome::Ok)
            }
        }
    }

    fn live_file(&mut self, slot: usize) -> Option<&mut dyn TargetFile> {
        Some(self.live.as_mut()?.files[slot].as_mut()?.as_mut())
    }

    /// Makes a path call on the live target, if any, and compares.
    fn call<T>(
        &self,
        what: impl FnOnce() -> String,
        expected: &Result<T, Errno>,
        call: impl FnOnce(&Live<'t>) -> vfs_core::Result<()>,
    ) -> Result<Outcome, Mismatch> {
        match &self.live {
            Some(live) => same(what, expected, &call(live)),
            None => Ok(predicted(expected)),
        }
    }
}

/// Writes all of `data` at `offset` (or appends), looping over short writes; the
/// error is described for a person.
fn write_all(file: &mut dyn TargetFile, data: &[u8], offset: Option<u64>) -> Result<(), String> {
    let mut done = 0;
    while done < data.len() {
        let result = match offset {
            Some(offset) => file.pwrite(&data[done..], offset + done as u64),
            None => file.append(&data[done..]),
        };
        match result {
            Ok(0) => return Err(format!("wrote 0 bytes after {done}")),
            Ok(n) => done += n,
            Err(error) => return Err(format!("{error:?} after {done} bytes")),
        }
    }
    Ok(())
}

/// Reads up to `len` bytes at `offset`, looping over short reads until end of file.
pub(crate) fn read_up_to(
    file: &mut dyn TargetFile,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; len];
    let mut done = 0;
    while done < len {
        match file.pread(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(error) => return Err(format!("{error:?} after {done} bytes")),
        }
    }
    buf.truncate(done);
    Ok(buf)
}
