//! The git questions codeloop asks about a project: where the work tree's top is,
//! which of some paths git would ignore, which it tracks (and, for `doctor`'s leak scan,
//! every tracked path). With the `in-process-git` feature (the default) they are
//! answered in-process by gitoxide's crates (`gitoxide.rs`) wherever those can be
//! trusted to agree with git, and by the git binary everywhere else; without it, always
//! by the git binary. `tests/git_parity.rs` holds both ways to git's own answers.
//! Read-only: this never writes.

#[cfg(feature = "in-process-git")]
mod gitoxide;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::sys::Sys;

/// Who answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// gitoxide's crates, in this process (the index and the ignore files, read).
    InProcess,
    /// The git binary (`git check-ignore`, `git ls-files`, `git rev-parse`).
    Git,
}

impl Via {
    /// How `doctor --json` names it (`listedBy`).
    pub fn label(self) -> &'static str {
        match self {
            Via::InProcess => "index",
            Via::Git => "git",
        }
    }
}

/// What git says about some paths of a work tree (relative to its top, with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// The candidates git would ignore (a tracked file is never ignored).
    pub ignored: Vec<String>,
    /// The files git tracks.
    pub tracked: Vec<String>,
    pub via: Via,
}

/// Variables that tell git where its directories are or where to stop looking; when one
/// is set, git itself finds the top.
#[cfg(feature = "in-process-git")]
const DISCOVERY_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
];

/// The top of the work tree holding `dir` — what `git rev-parse --show-toplevel`
/// says — or `None` when `dir` is not in one. `dir` is canonical.
pub fn top(sys: &Sys, dir: &Path) -> Option<PathBuf> {
    #[cfg(feature = "in-process-git")]
    if !DISCOVERY_VARS.iter().any(|v| sys.var(v).is_some()) {
        return gitoxide::top(sys, dir);
    }
    let output = run_git(
        sys,
        dir,
        &[vec!["rev-parse".into(), "--show-toplevel".into()]],
    )
    .pop()
    .flatten()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let top = PathBuf::from(text.trim_end_matches(['\n', '\r']));
    // git prints `C:/x` on Windows; the canonical form keeps paths comparable.
    Some(dunce::canonicalize(&top).unwrap_or(top))
}

/// Which of `candidates` git would ignore, and which of `files` it tracks, in the
/// work tree at `top` (every path relative to it, with `/`).
pub fn answers(sys: &Sys, top: &Path, candidates: &[String], files: &[String]) -> Answers {
    #[cfg(feature = "in-process-git")]
    if let Some((ignored, tracked)) = gitoxide::answers(sys, top, candidates, files) {
        return Answers {
            ignored,
            tracked,
            via: Via::InProcess,
        };
    }
    // Both questions at once: starting git costs milliseconds.
    let mut jobs = Vec::new();
    if !candidates.is_empty() {
        // check-ignore takes `-z` only with `--stdin`: its output is one path a line.
        jobs.push(with_paths(&["check-ignore", "--"], candidates));
    }
    if !files.is_empty() {
        jobs.push(with_paths(&["ls-files", "-z", "--"], files));
    }
    let mut outputs = run_git(sys, top, &jobs).into_iter();
    let mut paths = |asked: bool| {
        if asked {
            outputs.next().flatten().map(|o| path_list(&o.stdout))
        } else {
            None
        }
    };
    // git fails as a whole (no repository, a path beyond a symlink or in a
    // submodule): then nothing counts as ignored or tracked.
    let ignored = paths(!candidates.is_empty()).unwrap_or_default();
    let mut tracked = paths(!files.is_empty()).unwrap_or_default();
    // An unmerged path is listed once per stage.
    tracked.dedup();
    Answers {
        ignored,
        tracked,
        via: Via::Git,
    }
}

/// Every path git tracks in the work tree at `top` — what `git ls-files` lists,
/// relative to `top`, with `/`, in git's order, each once — and who listed them.
pub fn tracked(sys: &Sys, top: &Path) -> Result<(Vec<String>, Via), String> {
    #[cfg(feature = "in-process-git")]
    if let Some(list) = gitoxide::tracked(sys, top) {
        return Ok((list, Via::InProcess));
    }
    let git = sys
        .which("git")
        .ok_or("git is not on PATH, so the files it tracks cannot be listed")?;
    let output = sys
        .run_all(&git, &[&["ls-files", "-z"]], top)
        .pop()
        .ok_or("git did not run")?
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`git ls-files` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut list = path_list(&output.stdout);
    // An unmerged path is listed once per stage.
    list.dedup();
    Ok((list, Via::Git))
}

fn with_paths(args: &[&str], paths: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| (*a).to_owned())
        .chain(paths.iter().cloned())
        .collect()
}

/// Paths git printed, NUL- or line-separated.
fn path_list(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split(['\0', '\n'])
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Runs git once per argument list, all at once, in `dir`; the output of each run
/// that succeeded (`None` for a failure, or when git is not on PATH).
fn run_git(sys: &Sys, dir: &Path, jobs: &[Vec<String>]) -> Vec<Option<Output>> {
    let Some(git) = sys.which("git") else {
        return vec![None; jobs.len()];
    };
    let jobs: Vec<&[String]> = jobs.iter().map(Vec::as_slice).collect();
    sys.run_all(&git, &jobs, dir)
        .into_iter()
        .map(|o| o.ok().filter(|o| o.status.success()))
        .collect()
}
