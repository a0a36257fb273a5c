//! Running the cases on a target and counting.

use crate::case::{Case, Setup};
use crate::ctx::{Ctx, Failure};
use crate::fixture;
use crate::target::{ScratchMount, Target};
use std::panic::{catch_unwind, AssertUnwindSafe};
use vfs_core::Errno;

/// How one case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// A check failed.
    Failed(Failure),
    /// Not run: the reason (missing capabilities, or the case said so).
    Skipped(String),
}

/// The outcome of each case of one run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Case full names with their outcomes, in run order.
    pub results: Vec<(String, Outcome)>,
}

impl Report {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Passed))
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }

    /// Cases skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }

    /// The failures, with case names.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &Failure)> {
        self.results
            .iter()
            .filter_map(|(name, outcome)| match outcome {
                Outcome::Failed(failure) => Some((name.as_str(), failure)),
                _ => None,
            })
    }

    /// The summary line `conformance: N passed, M failed, K skipped`.
    pub fn summary(&self) -> String {
        format!(
            "conformance: {} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        )
    }

    fn count(&self, pick: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|(_, o)| pick(o)).count()
    }
}

/// Which cases to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Run only cases whose full name contains this text.
    pub name_contains: Option<String>,
}

impl Selection {
    fn includes(&self, case: &Case) -> bool {
        match &self.name_contains {
            Some(text) => case.full_name().contains(text.as_str()),
            None => true,
        }
    }
}

/// Runs `cases` on `target` one after the other, each in a fresh scratch directory
/// that is removed afterwards (holding the fixture for the fixture cases, see
/// [`Setup`]); calls `on_result` after each case.
pub fn run_cases(
    target: &dyn Target,
    cases: &[Case],
    selection: &Selection,
    on_result: &mut dyn FnMut(&str, &Outcome),
) -> Report {
    let capabilities = target.capabilities();
    let mut report = Report::default();
    for case in cases.iter().filter(|case| selection.includes(case)) {
        let name = case.full_name();
        let outcome = run_one(target, case, &name, &capabilities);
        on_result(&name, &outcome);
        report.results.push((name, outcome));
    }
    report
}

fn run_one(
    target: &dyn Target,
    case: &Case,
    name: &str,
    capabilities: &vfs_core::Capabilities,
) -> Outcome {
    let missing = capabilities.missing(&case.requires);
    if !missing.is_empty() {
        return Outcome::Skipped(format!("needs {}", missing.join(", ")));
    }
    if case.needs_mounts && target.mounts().is_none() {
        return Outcome::Skipped("needs mount control".to_string());
    }
    let dir_name = name.replace("::", "-");
    let place = match case.setup {
        Setup::Empty => Place::scratch(target, &dir_name, false),
        Setup::Fixture | Setup::ReadOnlyFixture if !capabilities.write => {
            match target.fixture_dir() {
                Some(dir) => Ok(Place::Given(dir)),
                None => Err(Outcome::Skipped(
                    "needs write (to build the fixture) or a fixture directory".to_string(),
                )),
            }
        }
        Setup::Fixture => Place::scratch(target, &dir_name, true),
        Setup::ReadOnlyFixture => Place::read_only_fixture(target, &dir_name),
    };
    let place = match place {
        Ok(place) => place,
        Err(outcome) => return outcome,
    };
    let ctx = Ctx::new(target, place.root().to_string());
    let result = catch_unwind(AssertUnwindSafe(|| (case.run)(&ctx)));
    ctx.unmount_leftovers();
    let outcome = match result {
        Ok(Ok(())) => Outcome::Passed,
        Ok(Err(failure)) if failure.skipped => Outcome::Skipped(failure.message),
        Ok(Err(failure)) => Outcome::Failed(failure),
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".to_string());
            Outcome::Failed(Failure::msg(format!("panicked: {text}")))
        }
    };
    match place.remove(target) {
        Err(failure) if matches!(outcome, Outcome::Passed) => Outcome::Failed(failure),
        _ => outcome,
    }
}

/// Where a case runs.
enum Place {
    /// A scratch directory of the target, removed afterwards.
    Scratch(String),
    /// A scratch directory with a file system mounted on it, unmounted and removed
    /// afterwards.
    Mounted(String),
    /// A directory the target provided, left alone.
    Given(String),
}

impl Place {
    /// A fresh scratch directory, holding the fixture when `fixture` is set.
    fn scratch(target: &dyn Target, dir_name: &str, fixture: bool) -> Result<Place, Outcome> {
        let place = Place::Scratch(scratch_dir(target, dir_name)?);
        if fixture {
            if let Err(outcome) = place.fill(target) {
                let _ = place.remove(target);
                return Err(outcome);
            }
        }
        Ok(place)
    }

    /// A fresh file system mounted on a scratch directory, holding the fixture and
    /// then made read-only; skipped when the target cannot mount or remount.
    fn read_only_fixture(target: &dyn Target, dir_name: &str) -> Result<Place, Outcome> {
        let Some(control) = target.mounts() else {
            return Err(Outcome::Skipped(
                "needs mount control (to make the fixture read-only)".to_string(),
            ));
        };
        let unsupported = |call: &str, e: &vfs_core::Error| {
            if e.errno() == Errno::EOPNOTSUPP {
                Outcome::Skipped(format!(
                    "target cannot {call} (to make the fixture read-only)"
                ))
            } else {
                Outcome::Failed(Failure::unexpected(call, e))
            }
        };
        let root = scratch_dir(target, dir_name)?;
        if let Err(e) = control.mount_scratch(root.as_bytes(), ScratchMount::default()) {
            let _ = Place::Scratch(root).remove(target);
            return Err(unsupported("mount_scratch", &e));
        }
        let place = Place::Mounted(root);
        let made = place.fill(target).and_then(|()| {
            control
                .remount_read_only(place.root().as_bytes())
                .map_err(|e| unsupported("remount_read_only", &e))
        });
        match made {
            Ok(()) => Ok(place),
            Err(outcome) => {
                let _ = place.remove(target);
                Err(outcome)
            }
        }
    }

    fn root(&self) -> &str {
        match self {
            Place::Scratch(root) | Place::Mounted(root) | Place::Given(root) => root,
        }
    }

    /// Builds the fixture in it.
    fn fill(&self, target: &dyn Target) -> Result<(), Outcome> {
        fixture::build(target, self.root())
            .map_err(|e| Outcome::Failed(Failure::unexpected("building the fixture", &e)))
    }

    /// Undoes what making it did.
    fn remove(&self, target: &dyn Target) -> Result<(), Failure> {
        let root = match self {
            Place::Given(_) => return Ok(()),
            Place::Scratch(root) => root,
            Place::Mounted(root) => {
                let control = target.mounts().expect("mounted through mount control");
                control
                    .unmount(root.as_bytes())
                    .map_err(|e| Failure::unexpected("unmounting the fixture", &e))?;
                root
            }
        };
        remove_tree(target, root.as_bytes())
            .map_err(|e| Failure::unexpected("removing the scratch directory", &e))
    }
}

/// A fresh scratch directory for the case.
fn scratch_dir(target: &dyn Target, dir_name: &str) -> Result<String, Outcome> {
    target
        .scratch_dir(dir_name)
        .map_err(|e| Outcome::Failed(Failure::unexpected("creating the scratch directory", &e)))
}

/// Removes `path` and everything below it, restoring write and search permission on
/// directories as it goes.
pub fn remove_tree(target: &dyn Target, path: &[u8]) -> vfs_core::Result<()> {
    let attr = target.lstat(path)?;
    if attr.file_type != vfs_core::FileType::Directory {
        return target.unlink(path);
    }
    if attr.mode & 0o700 != 0o700 {
        target.chmod(path, attr.mode | 0o700)?;
    }
    for entry in target.read_dir(path)? {
        let mut child = path.to_vec();
        child.push(b'/');
        child.extend_from_slice(&entry.name);
        remove_tree(target, &child)?;
    }
    target.rmdir(path)
}
