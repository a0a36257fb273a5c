//! The full consistency pass: the whole scratch tree, walked with `read_dir` and
//! `lstat`, against the model: names, types, sizes, link counts, symlink targets,
//! full file contents, and that names share an inode exactly when the model says
//! so. Open files with no name left are read through their handles.

use super::exec::{difference, read_up_to, Executor, Mismatch};
use super::model::{Ino, ROOT};
use super::ops::{shown, SLOTS};
use crate::ctx::read_all;
use std::collections::{HashMap, HashSet};
use vfs_core::{FileType, OpenFlags};

/// Which target inode number each model inode has, both ways, within one pass.
#[derive(Default)]
struct InoMap {
    to_target: HashMap<Ino, (u64, String)>,
    to_model: HashMap<u64, (Ino, String)>,
}

impl InoMap {
    fn bind(&mut self, ino: Ino, target_ino: u64, path: &str) -> Result<(), Mismatch> {
        if let Some((other, other_path)) = self.to_target.get(&ino) {
            if *other != target_ino {
                return Err(Mismatch::new(
                    format!("check: inode of {} and {}", shown(other_path), shown(path)),
                    "the same inode (hard links)",
                    format!("inodes {other} and {target_ino}"),
                ));
            }
        }
        if let Some((other, other_path)) = self.to_model.get(&target_ino) {
            if *other != ino {
                return Err(Mismatch::new(
                    format!("check: inode of {} and {}", shown(other_path), shown(path)),
                    "different inodes",
                    format!("both inode {target_ino}"),
                ));
            }
        }
        self.to_target.insert(ino, (target_ino, path.to_string()));
        self.to_model.insert(target_ino, (ino, path.to_string()));
        Ok(())
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn failed(what: String, error: vfs_core::Error) -> Mismatch {
    Mismatch::new(what, "success", format!("{error:?}"))
}

impl Executor<'_> {
    /// Compares the whole target tree and the nameless open files with the model.
    pub fn check(&mut self) -> Result<(), Mismatch> {
        self.check_tree()?;
        self.check_nameless_open_files()
    }

    fn check_tree(&self) -> Result<(), Mismatch> {
        let Some(live) = &self.live else {
            return Ok(());
        };
        let target = live.target;
        let mut inos = InoMap::default();
        let mut contents_checked = HashSet::new();
        let root = target
            .lstat(&live.abs(""))
            .map_err(|e| failed("check: lstat .".into(), e))?;
        self.compare_attr("check: lstat .", &self.model.attr(ROOT), &root)?;
        inos.bind(ROOT, root.ino, "")?;
        let mut dirs = vec![(String::new(), ROOT)];
        while let Some((dir_path, dir)) = dirs.pop() {
            let mut listed = target
                .read_dir(&live.abs(&dir_path))
                .map_err(|e| failed(format!("check: readdir {}", shown(&dir_path)), e))?;
            listed.sort();
            let expected: Vec<(&str, Ino)> = self.model.entries(dir).collect();
            let expected_names: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
            let listed_names: Vec<String> = listed
                .iter()
                .map(|entry| String::from_utf8_lossy(&entry.name).into_owned())
                .collect();
            if expected_names != listed_names {
                return Err(Mismatch::new(
                    format!("check: names in {}", shown(&dir_path)),
                    format!("{expected_names:?}"),
                    format!("{listed_names:?}"),
                ));
            }
            for (&(name, ino), entry) in expected.iter().zip(&listed) {
                let path = join(&dir_path, name);
                let file_type = self.model.file_type(ino);
                if entry.file_type != file_type {
                    return Err(Mismatch::new(
                        format!("check: readdir type of {path}"),
                        format!("{file_type:?}"),
                        format!("{:?}", entry.file_type),
                    ));
                }
                let abs = live.abs(&path);
                let attr = target
                    .lstat(&abs)
                    .map_err(|e| failed(format!("check: lstat {path}"), e))?;
                self.compare_attr(
                    &format!("check: lstat {path}"),
                    &self.model.attr(ino),
                    &attr,
                )?;
                inos.bind(ino, attr.ino, &path)?;
                match file_type {
                    FileType::Directory => dirs.push((path, ino)),
                    FileType::Symlink => {
                        let expected = self.model.symlink_target(ino).unwrap_or_default();
                        let seen = target
                            .readlink(&abs)
                            .map_err(|e| failed(format!("check: readlink {path}"), e))?;
                        if expected.as_bytes() != seen.as_slice() {
                            return Err(Mismatch::new(
                                format!("check: readlink {path}"),
                                expected,
                                String::from_utf8_lossy(&seen),
                            ));
                        }
                    }
                    _ => {
                        if contents_checked.insert(ino) {
                            let what = || format!("check: contents of {path}");
                            let mut file = target
                                .open(&abs, OpenFlags::RDONLY, 0)
                                .map_err(|e| failed(format!("check: open {path}"), e))?;
                            let seen = read_all(file.as_mut()).map_err(|e| failed(what(), e))?;
                            file.close()
                                .map_err(|e| failed(format!("check: close {path}"), e))?;
                            if let Some((expected, seen)) = difference(self.model.data(ino), &seen)
                            {
                                return Err(Mismatch::new(what(), expected, seen));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Open files whose names are all gone: `fstat` and contents through the handle.
    fn check_nameless_open_files(&mut self) -> Result<(), Mismatch> {
        let mut checked = HashSet::new();
        for slot in 0..SLOTS {
            let Some(open) = self.model.slot(slot) else {
                continue;
            };
            if self.model.inode(open.ino).links != 0 || !checked.insert(open.ino) {
                continue;
            }
            let expected = self.model.attr(open.ino);
            let Some(file) = self
                .live
                .as_mut()
                .and_then(|live| live.files[slot].as_mut())
            else {
                continue;
            };
            let what = format!("check: unlinked open f{slot}");
            let attr = file
                .fstat()
                .map_err(|e| failed(format!("{what}: fstat"), e))?;
            let seen = read_up_to(file.as_mut(), 0, expected.size as usize + 1)
                .map_err(|seen| Mismatch::new(format!("{what}: read"), "success", seen))?;
            self.compare_attr(&what, &expected, &attr)?;
            if let Some((expected, seen)) = difference(self.model.data(open.ino), &seen) {
                return Err(Mismatch::new(format!("{what}: contents"), expected, seen));
            }
        }
        Ok(())
    }
}
