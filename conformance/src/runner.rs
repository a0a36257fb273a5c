//! Running the cases on a target and counting.

use crate::case::Case;
use crate::ctx::{Ctx, Failure};
use crate::target::Target;
use std::panic::{catch_unwind, AssertUnwindSafe};

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
/// that is removed afterwards; calls `on_result` after each case.
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
    let root = match target.scratch_dir(&name.replace("::", "-")) {
        Ok(root) => root,
        Err(e) => {
            return Outcome::Failed(Failure::unexpected("creating the scratch directory", &e))
        }
    };
    let ctx = Ctx::new(target, root.clone());
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
    if let Err(e) = remove_tree(target, root.as_bytes()) {
        if matches!(outcome, Outcome::Passed) {
            return Outcome::Failed(Failure::unexpected("removing the scratch directory", &e));
        }
    }
    outcome
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
