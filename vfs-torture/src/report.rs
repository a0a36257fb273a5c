//! The tallies a run prints: one line per scenario as it ends, and the three
//! summary lines last.

/// What one scenario concluded.
#[derive(Debug)]
pub struct Verdict {
    /// The scenario's name.
    pub name: String,
    /// Whether the client did what the issue asks.
    pub passed: bool,
    /// What happened, for the log.
    pub detail: String,
}

impl Verdict {
    /// A passing verdict.
    pub fn pass(name: impl Into<String>, detail: impl Into<String>) -> Verdict {
        Verdict {
            name: name.into(),
            passed: true,
            detail: detail.into(),
        }
    }

    /// A failing verdict.
    pub fn fail(name: impl Into<String>, detail: impl Into<String>) -> Verdict {
        Verdict {
            name: name.into(),
            passed: false,
            detail: detail.into(),
        }
    }
}

/// Counts of one run, by section.
#[derive(Debug, Default)]
pub struct Tally {
    /// Fault scenarios survived and failed.
    pub faults: (u64, u64),
    /// Hostile reply kinds rejected and accepted.
    pub hostile: (u64, u64),
    /// Stress operations done and errors found.
    pub stress: (u64, u64),
}

impl Tally {
    /// Whether anything failed.
    pub fn failed(&self) -> bool {
        self.faults.1 > 0 || self.hostile.1 > 0 || self.stress.1 > 0
    }

    /// The three summary lines, in the words.
    pub fn summary(&self) -> String {
        format!(
            "faults: {} survived, {} failed\nhostile replies: {} rejected, {} accepted\nstress: {} ops, {} errors",
            self.faults.0, self.faults.1, self.hostile.0, self.hostile.1, self.stress.0, self.stress.1
        )
    }
}
