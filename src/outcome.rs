//! What an `init` or `uninstall` run found and did, as one value: the command fills it
//! in as it goes and `crate::report` turns it into the `--json` document at the end.

use std::path::PathBuf;

use crate::detect::Detection;
use crate::plan::Plan;
use crate::target::Target;

/// What an `init` or `uninstall` run found and did, as far as it got. The command
/// fills it in as it goes; at the end `crate::report` turns it into the `--json`
/// document. The human output is written as the run goes — it must come before each
/// prompt — from the same values. Fields a run did not reach stay empty.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The project root, once found.
    pub project: Option<PathBuf>,
    /// What detection found (`init`; nothing for `uninstall`, which does not detect).
    pub detections: Vec<Detection>,
    /// The targets the run works on, once chosen.
    pub selected: Vec<Target>,
    /// Where the key came from (`KeySource::label`) and its masked form.
    pub key: Option<(String, String)>,
    /// The plan, once made.
    pub plan: Option<Plan>,
    /// Notes beyond the plan's own (a project `--all` cannot reach).
    pub notes: Vec<String>,
    /// What this run wrote, as displayed; on a failed apply, what it wrote before.
    pub written: Vec<String>,
    /// The whole plan was applied.
    pub applied: bool,
}

impl Outcome {
    /// Every note: the plan's ("file: note"), then the run's.
    pub fn all_notes(&self) -> Vec<String> {
        let mut notes = self.plan.as_ref().map_or_else(Vec::new, plan_notes);
        notes.extend(self.notes.iter().cloned());
        notes
    }
}

/// The plan's notes, as "file: note".
pub fn plan_notes(plan: &Plan) -> Vec<String> {
    let guard = plan
        .guard
        .iter()
        .flat_map(|e| e.notes.iter().map(move |n| format!("{}: {n}", e.display)));
    guard
        .chain(
            plan.targets
                .iter()
                .flat_map(|t| t.notes().map(|(file, n)| format!("{file}: {n}"))),
        )
        .collect()
}
