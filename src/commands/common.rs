//! What `init`, `uninstall` and `doctor` share: finding the project and its paths,
//! choosing targets, building the forward or reverse plan, asking once, and the
//! human report lines.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};

use crate::UsageError;
use crate::apply::{self, Outcome};
use crate::detect::{self, Detection};
use crate::paths::Paths;
use crate::plan::{self, Op, Options, Plan, PlanError, Project};
use crate::render::{BOLD, DIM, GREEN, RED};
use crate::sys::{Os, Sys};
use crate::target::Target;

/// Where we are: the paths, the project as Claude Code files it, what is installed.
pub struct Context {
    pub paths: Paths,
    pub project: Project,
    pub detections: Vec<Detection>,
}

impl Context {
    pub fn new(sys: &Sys, project: Option<&Path>) -> Result<Context> {
        let home = sys.home().ok_or_else(|| {
            anyhow!(
                "cannot find your home directory: HOME (USERPROFILE on Windows) is not set; set it and run again"
            )
        })?;
        if !home.is_dir() {
            // Never create a home directory that is not there (a typo in HOME).
            bail!(
                "your home directory {} does not exist or is not a directory; set HOME (USERPROFILE on Windows) to it and run again",
                home.display()
            );
        }
        let project = project_dir(sys, project)?;
        let paths = Paths::resolve(sys, &home, &project);
        let detections = detect::all(sys, &paths);
        let project = project_info(sys, &paths);
        Ok(Context {
            paths,
            project,
            detections,
        })
    }
}

fn project_dir(sys: &Sys, given: Option<&Path>) -> Result<PathBuf> {
    let dir = match given {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => sys.cwd.join(p),
        None => sys.cwd.clone(),
    };
    if !dir.is_dir() {
        return Err(UsageError(format!(
            "the project directory {} does not exist or is not a directory; pass --project DIR with an existing directory",
            dir.display()
        ))
        .into());
    }
    Ok(dunce(std::fs::canonicalize(&dir).unwrap_or(dir)))
}

/// `canonicalize` on Windows yields `\\?\C:\…`; tools write plain `C:\…`.
fn dunce(path: PathBuf) -> PathBuf {
    let s = path.to_string_lossy();
    match s.strip_prefix(r"\\?\") {
        Some(rest) if !rest.starts_with("UNC") => PathBuf::from(rest),
        _ => path,
    }
}

/// Where Claude Code files this project: the git top-level when in a repository
/// (verified with Claude Code itself), else the project directory, both canonical.
fn project_info(sys: &Sys, paths: &Paths) -> Project {
    // The work tree's top is the nearest directory holding `.git` (a directory, or a
    // file in worktrees and submodules) — what `git rev-parse --show-toplevel` says,
    // without starting git on every run. `paths.project` is canonical already.
    let top = paths
        .project
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf);
    let in_git = top.is_some();
    let root = top.unwrap_or_else(|| paths.project.clone());
    let mut claude_key = root.to_string_lossy().into_owned();
    if sys.os == Os::Windows {
        // Claude Code keys projects by the path with forward slashes on Windows
        // (read from its own code: `replaceAll("\\", "/")` when the platform is windows).
        claude_key = claude_key.replace('\\', "/");
    }
    Project {
        claude_key,
        in_git,
        git_top: in_git.then_some(root),
    }
}

/// Which `candidates` git ignores and which `existing` files it tracks (paths
/// relative to the project): read in-process when the layout allows (see
/// `crate::git`), else from git itself, two commands at once.
fn git_answers(
    sys: &Sys,
    ctx: &Context,
    candidates: &[String],
    existing: &[String],
) -> (Vec<String>, Vec<String>) {
    let project = &ctx.paths.project;
    if let Some(top) = &ctx.project.git_top
        && let Ok(prefix) = project.strip_prefix(top)
    {
        let prefix = prefix.to_string_lossy().replace('\\', "/");
        let to_top = |rel: &String| {
            if prefix.is_empty() {
                rel.clone()
            } else {
                format!("{prefix}/{rel}")
            }
        };
        let in_top: Vec<String> = candidates.iter().map(to_top).collect();
        let files: Vec<String> = existing.iter().map(to_top).collect();
        if let Some((ignored, tracked)) = crate::git::answers(sys, top, &in_top, &files) {
            let back = |list: Vec<String>, from: &[String], to: &[String]| -> Vec<String> {
                list.iter()
                    .filter_map(|p| from.iter().position(|f| f == p).map(|i| to[i].clone()))
                    .collect()
            };
            return (
                back(ignored, &in_top, candidates),
                back(tracked, &files, existing),
            );
        }
    }
    let mut jobs = vec![git_args(&["check-ignore", "--"], candidates)];
    if !existing.is_empty() {
        jobs.push(git_args(&["ls-files", "-z", "--"], existing));
    }
    let mut answers = git_paths(sys, project, &jobs).into_iter();
    (
        answers.next().unwrap_or_default(),
        answers.next().unwrap_or_default(),
    )
}

fn git_args(args: &[&str], paths: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| (*a).to_owned())
        .chain(paths.iter().cloned())
        .collect()
}

/// Runs the git commands at once in `dir`; for each, the paths it printed, NUL- or
/// line-separated (none when git is missing or fails, so every file counts as
/// neither ignored nor tracked).
fn git_paths(sys: &Sys, dir: &Path, jobs: &[Vec<String>]) -> Vec<Vec<String>> {
    let Some(git) = sys.which("git") else {
        return vec![Vec::new(); jobs.len()];
    };
    let jobs: Vec<&[String]> = jobs.iter().map(Vec::as_slice).collect();
    sys.run_all(&git, &jobs, dir)
        .into_iter()
        .map(|output| {
            output
                .map(|o| {
                    String::from_utf8_lossy(&o.stdout)
                        .split(['\0', '\n'])
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// `only` as given (deduplicated), else `default`; minus `skip`. `windows-env`
/// outside Windows is a usage error.
pub fn choose(
    sys: &Sys,
    only: &[Target],
    skip: &[Target],
    default: impl Iterator<Item = Target>,
) -> Result<Vec<Target>> {
    let base: BTreeSet<Target> = if only.is_empty() {
        default.collect()
    } else {
        only.iter().copied().collect()
    };
    let targets: Vec<Target> = base.into_iter().filter(|t| !skip.contains(t)).collect();
    if only.contains(&Target::WindowsEnv) && sys.os != Os::Windows {
        return Err(UsageError(
            "the windows-env target exists only on Windows; on this system use the shell targets (zsh, bash, fish, powershell) to set CODELOOP_API_KEY".to_owned(),
        )
        .into());
    }
    Ok(targets
        .into_iter()
        .filter(|t| *t != Target::WindowsEnv || sys.os == Os::Windows)
        .collect())
}

/// The planner options for this machine. `all_profiles`: every PowerShell profile of
/// this OS (uninstall and doctor look everywhere), not just the installed editions'.
pub fn options(sys: &Sys, paths: &Paths, global: bool, all_profiles: bool) -> Options {
    let profiles: Vec<PathBuf> = paths
        .powershell_profiles
        .iter()
        .map(|p| p.path.clone())
        .collect();
    let installed: Vec<PathBuf> = paths
        .powershell_profiles
        .iter()
        .filter(|p| {
            (sys.os == Os::Windows && p.exe == "powershell")
                || sys.which(p.exe).is_some()
                || p.path.parent().is_some_and(Path::is_dir)
        })
        .map(|p| p.path.clone())
        .collect();
    Options {
        global,
        // None installed but asked for (`--only powershell`): every profile of this OS.
        powershell_profiles: if all_profiles || installed.is_empty() {
            profiles
        } else {
            installed
        },
        // `init` sets it when the same run configures a shell or windows-env.
        shell_env: false,
    }
}

/// Whether an earlier run already gave shells (or the Windows user environment)
/// `CODELOOP_API_KEY`, so project files can refer to the variable.
pub fn shell_env_configured(sys: &Sys, paths: &Paths) -> bool {
    [&paths.env_sh, &paths.env_ps1, &paths.fish_env]
        .iter()
        .any(|p| p.is_file())
        || (sys.os == Os::Windows
            && sys
                .user_env
                .get(crate::auth::ENV_VAR)
                .is_ok_and(|v| v.is_some()))
}

/// The forward plan: every target's edits with `key`, plus the git-ignore guard.
pub fn forward_plan(
    sys: &Sys,
    ctx: &Context,
    targets: &[Target],
    key: &str,
    opts: &Options,
) -> Plan {
    let mut plan = Plan::default();
    for &target in targets {
        plan.targets.push(match target {
            Target::WindowsEnv => plan::windows_env(sys.user_env.as_ref(), key),
            _ => plan::target(&ctx.paths, &ctx.project, target, key, opts),
        });
    }
    plan.dedupe();
    guard_leaks(sys, ctx, &mut plan);
    plan
}

/// The reverse plan: what `init` would have added for `targets`, removed. `key` is
/// the key codeloop writes now, the only registry value it will delete.
pub fn reverse_plan(
    sys: &Sys,
    ctx: &Context,
    targets: &[Target],
    key: Option<&str>,
    opts: &Options,
) -> Plan {
    let forward = {
        let mut plan = Plan::default();
        for &target in targets {
            if target != Target::WindowsEnv {
                plan.targets.push(plan::target(
                    &ctx.paths,
                    &ctx.project,
                    target,
                    crate::auth::PLACEHOLDER,
                    opts,
                ));
            }
        }
        plan.dedupe();
        plan
    };
    let mut plan = Plan::default();
    let mut project_files = Vec::new();
    for t in forward.targets {
        let mut undo = plan::TargetPlan::new(t.target);
        undo.errors = t.errors;
        for edit in t.edits {
            if edit.private && edit.path.starts_with(&ctx.paths.project) {
                project_files.push(edit.path.clone());
            }
            match plan::undo_edit(edit) {
                Ok(e) => undo.edits.push(e),
                Err(e) => undo.errors.push(e),
            }
        }
        plan.targets.push(undo);
    }
    if targets.contains(&Target::WindowsEnv) {
        plan.targets
            .push(plan::windows_env_undo(sys.user_env.as_ref(), key));
    }
    // The `.gitignore` lines codeloop added for these targets' project files.
    let patterns: Vec<String> = project_files
        .iter()
        .flat_map(|file| guarded_names(&relative(&ctx.paths, file)).map(|n| format!("/{n}")))
        .collect();
    if !patterns.is_empty() {
        let edit = plan::edit_file(
            &ctx.paths,
            &ctx.paths.gitignore,
            false,
            Op::Gitignore { patterns },
        )
        .and_then(plan::undo_edit);
        match edit {
            Ok(edit) if edit.after.is_some() => plan.guard = Some(edit),
            Ok(_) => {}
            Err(e) => plan.guard_error = Some(e),
        }
    }
    plan
}

/// What the guard keeps out of git for a project file: it and its one-time backup.
fn guarded_names(rel: &str) -> [String; 2] {
    let backup = plan::backup_path(Path::new(rel));
    [rel.to_owned(), backup.to_string_lossy().replace('\\', "/")]
}

fn relative(paths: &Paths, file: &Path) -> String {
    file.strip_prefix(&paths.project)
        .expect("a project file")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Adds a `.gitignore` edit for key-holding project files that git would otherwise
/// pick up, and warns about ones already committed.
fn guard_leaks(sys: &Sys, ctx: &Context, plan: &mut Plan) {
    let paths = &ctx.paths;
    if !ctx.project.in_git {
        return;
    }
    let private_files: Vec<(String, bool, bool)> = plan
        .targets
        .iter()
        .flat_map(|t| t.edits.iter())
        .filter(|e| e.private && e.after.is_some())
        .filter(|e| e.path.starts_with(&paths.project))
        .map(|e| (relative(paths, &e.path), e.secret, e.before.is_some()))
        .collect();
    if private_files.is_empty() {
        return;
    }
    // One git for all the ignore checks and, at the same time, one for whether the
    // key files that exist are tracked (a file that is not there is not).
    // (`check-ignore -z` needs `--stdin`; our own relative names are plain ASCII.)
    let candidates: Vec<String> = private_files
        .iter()
        .flat_map(|(rel, _, _)| guarded_names(rel))
        .collect();
    let existing: Vec<String> = private_files
        .iter()
        .filter(|(_, secret, exists)| *secret && *exists)
        .map(|(rel, _, _)| rel.clone())
        .collect();
    let (ignored, tracked) = git_answers(sys, ctx, &candidates, &existing);
    let patterns: Vec<String> = candidates
        .iter()
        .filter(|c| !ignored.contains(*c))
        .map(|c| format!("/{c}"))
        .collect();
    for rel in tracked {
        plan.warnings.push(format!(
            "{rel} is tracked by git, so your API key would be committed with it; untrack it with `git rm --cached {rel}` and commit, then rotate the key if it was ever pushed"
        ));
    }
    if patterns.is_empty() {
        return;
    }
    match plan::edit_file(paths, &paths.gitignore, false, Op::Gitignore { patterns }) {
        Ok(edit) => plan.guard = Some(edit),
        Err(e) => plan.guard_error = Some(e),
    }
}

/// Asks once before writing. Refuses (an error) when nobody can answer.
pub fn confirm(sys: &mut Sys, out: &mut dyn Write, question: &str) -> Result<bool> {
    if !sys.interactive() {
        bail!(
            "not applying changes without confirmation: stdin is not a terminal or CI is set; pass --yes to apply them, or --dry-run to only preview"
        );
    }
    writeln!(out)?;
    sys.confirm(question, false)
        .context("could not read your answer; pass --yes to apply without asking")
}

pub fn report_errors(err: &mut dyn Write, plan: &Plan) -> std::io::Result<()> {
    let red = RED.bold();
    for t in &plan.targets {
        for e in &t.errors {
            writeln!(
                err,
                "{red}error:{red:#} {}; fix it, or pass --skip {} to go ahead with the rest",
                e.message,
                t.target.name()
            )?;
        }
    }
    if let Some(PlanError { message, .. }) = &plan.guard_error {
        writeln!(
            err,
            "{red}error:{red:#} {message}; codeloop keeps key files out of git through it, so it must be readable"
        )?;
    }
    writeln!(err, "nothing was written")?;
    Ok(())
}

pub fn report_written(out: &mut dyn Write, written: &[apply::Written]) -> std::io::Result<()> {
    if written.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    for w in written {
        let (verb, backup) = match &w.outcome {
            Outcome::Created => ("created", None),
            Outcome::Changed { backup } => ("updated", backup.as_ref()),
            Outcome::Replanned { backup } => (
                "updated (it changed on disk after the preview, so the edit was planned again on the new content)",
                backup.as_ref(),
            ),
            Outcome::AlreadyDone => ("already done by another program", None),
            Outcome::Deleted => ("removed", None),
        };
        write!(out, "{GREEN}✓{GREEN:#} {verb} {BOLD}{}{BOLD:#}", w.display)?;
        if let Some(b) = backup {
            write!(out, " {DIM}(original saved as {b}){DIM:#}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
