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

/// A `.gitignore` as a planned edit leaves it: its directory (relative to the top, with
/// `/`, `""` for the top) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Planned<'a> {
    pub dir: &'a str,
    pub text: &'a str,
}

/// A path git would not ignore, and the line that re-includes it when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible {
    pub path: String,
    pub negation: Option<Negation>,
}

/// A `!` line of an ignore file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negation {
    /// The ignore file, relative to the top with `/` (absolute when outside it).
    pub file: String,
    /// Its line number; `None` in the planned `.gitignore`, not written yet (the
    /// number would be wrong for the file as it is).
    pub line: Option<usize>,
    pub text: String,
}

/// Which of `candidates` — untracked paths git does not ignore now, relative to the
/// top with `/` — it would still not ignore once `planned` is written (`None`: as the
/// files are). In-process the answer is exact, with the negation responsible; from
/// the git binary, which cannot be shown a file not written yet, it is conservative: a
/// path stays visible whenever a `.gitignore` between the planned one and it, or the
/// planned one after codeloop's block, holds a `!` line.
pub fn visible(
    sys: &Sys,
    top: &Path,
    candidates: &[String],
    planned: Option<Planned<'_>>,
) -> Vec<Visible> {
    #[cfg(feature = "in-process-git")]
    if let Some(list) = gitoxide::visible(sys, top, candidates, planned.map(|p| (p.dir, p.text))) {
        return list
            .into_iter()
            .map(|(path, line)| Visible {
                path,
                negation: line.and_then(|(file, n)| negation(top, planned, &file, n)),
            })
            .collect();
    }
    let _ = sys;
    candidates
        .iter()
        .filter(|c| planned.is_none_or(|p| may_negate(top, p, c)))
        .map(|c| Visible {
            path: c.clone(),
            negation: None,
        })
        .collect()
}

/// Line `n` of the ignore file `file`, the planned text for the planned one.
#[cfg(feature = "in-process-git")]
fn negation(top: &Path, planned: Option<Planned<'_>>, file: &Path, n: usize) -> Option<Negation> {
    let rel = file
        .strip_prefix(top)
        .map(|r| r.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| file.to_string_lossy().into_owned());
    let planned = planned.filter(|p| {
        let own = if p.dir.is_empty() {
            ".gitignore".to_owned()
        } else {
            format!("{}/.gitignore", p.dir)
        };
        own == rel
    });
    let read;
    let text = match planned {
        Some(p) => p.text,
        None => {
            read = std::fs::read_to_string(file).ok()?;
            &read
        }
    };
    let line = text.lines().nth(n.checked_sub(1)?)?;
    Some(Negation {
        file: rel,
        line: planned.is_none().then_some(n),
        text: line.trim_start_matches('\u{feff}').trim_end().to_owned(),
    })
}

/// Whether something might re-include `rel` once `planned` is written: a `!` line in
/// a `.gitignore` below the planned one on the way to `rel`, or in the planned one
/// after codeloop's block.
fn may_negate(top: &Path, planned: Planned<'_>, rel: &str) -> bool {
    let negates = |text: &str| text.lines().any(|l| l.starts_with('!'));
    let after_block = crate::edit::block::find(planned.text, crate::edit::block::HASH)
        .ok()
        .flatten()
        .map_or(planned.text, |found| &planned.text[found.end..]);
    if negates(after_block) {
        return true;
    }
    let below = if planned.dir.is_empty() {
        Some(rel)
    } else {
        rel.strip_prefix(planned.dir)
            .and_then(|r| r.strip_prefix('/'))
    };
    let Some(below) = below else {
        return true;
    };
    let mut dir = top.join(planned.dir);
    let mut parts: Vec<&str> = below.split('/').collect();
    parts.pop();
    parts.into_iter().any(|part| {
        dir.push(part);
        std::fs::read_to_string(dir.join(".gitignore")).is_ok_and(|t| negates(&t))
    })
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
