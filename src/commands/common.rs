//! What `init`, `uninstall` and `doctor` share: finding the project and its paths,
//! choosing targets, building the forward or reverse plan, asking once, and the
//! human report lines.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::UsageError;
use crate::apply::{self, Outcome};
use crate::detect::{self, Detection};
use crate::paths::Paths;
use crate::plan::{self, Op, Options, Owner, Plan, PlanError, Project};
use crate::record::{self, Record};
use crate::render::{BOLD, DIM, GREEN, RED};
use crate::sys::{Os, Sys};
use crate::target::Target;

/// Where we are: the paths, the project as Claude Code files it, what is installed,
/// and what codeloop did before (the record).
pub struct Context {
    pub paths: Paths,
    pub project: Project,
    /// What [`Context::detect`] found (nothing until it runs).
    pub detections: Vec<Detection>,
    pub record: Record,
    /// The directory the run was started in (or `--project`), when the project root
    /// is the git top-level above it.
    pub start: Option<PathBuf>,
    /// The `.codeloop.bak` files of 0.1 this run moves under `~/.codeloop/backups`
    /// (set by [`Context::migrate`]): their `.gitignore` lines go.
    pub moving: Vec<PathBuf>,
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
        let dir = project_dir(sys, project)?;
        // One project root for every project file of the run: the git top-level when
        // the directory is in a repository (the key Claude Code files it under, and the
        // folder its `.claude/settings.local.json` is read from), else the directory.
        let top = crate::git::top(sys, &dir);
        let root = top.clone().unwrap_or_else(|| dir.clone());
        let mut paths = Paths::resolve(sys, &home, &root);
        crate::shells::zsh::resolve(sys, &mut paths);
        let project = project_info(sys, &paths, top.is_some());
        let record_path = apply::record_path(&paths);
        let record = Record::load(&record_path)?;
        Ok(Context {
            start: (root != dir).then_some(dir),
            moving: Vec::new(),
            paths,
            project,
            detections: Vec::new(),
            record,
        })
    }

    /// Adopts what codeloop 0.1 left (no record; `.codeloop.bak` files) into this
    /// run's record; returns it so `apply` can make it permanent (moving the backups).
    /// Costs a few `stat`s when there is nothing to migrate.
    pub fn migrate(&mut self, sys: &Sys) -> crate::migrate::Legacy {
        let exists = apply::record_path(&self.paths).exists();
        if !crate::migrate::suspected(&self.paths, exists) {
            return crate::migrate::Legacy::default();
        }
        let opts = options(sys, &self.paths, false, true);
        let known = crate::migrate::known_files(&self.paths, &self.project, &Target::all(), &opts);
        let legacy = crate::migrate::find(&self.paths, &known, &self.record);
        legacy.into_record(&mut self.record);
        self.moving = legacy.moves.iter().map(|(from, _)| from.clone()).collect();
        legacy
    }

    /// Detects `only` (every target when empty): a run with `--only cursor` probes
    /// Cursor alone, not `PATH` for every other client.
    pub fn detect(&mut self, sys: &Sys, only: &[Target]) {
        self.detections = if only.is_empty() {
            detect::all(sys, &self.paths)
        } else {
            only.iter()
                .map(|t| detect::one(sys, &self.paths, *t))
                .collect()
        };
    }

    /// A project moved or renamed since codeloop set it up: when this run's root
    /// holds, at the same place, a file codeloop recorded under a root that is gone —
    /// with the bytes codeloop last wrote, or codeloop's key in its entry — the
    /// record follows the project here. Returns the moves (for `apply`) so the record
    /// on disk follows too.
    pub fn relocate(&mut self) -> Vec<(String, String)> {
        let here = self.project_key();
        let gone: Vec<String> = self
            .record
            .projects
            .keys()
            .filter(|p| **p != here && !Path::new(p).is_dir())
            .cloned()
            .collect();
        let mut moves = Vec::new();
        for old in gone {
            let same = self.record.files.iter().any(|(f, file)| {
                let Ok(rel) = Path::new(f).strip_prefix(&old) else {
                    return false;
                };
                let new = self.paths.project.join(rel);
                if self.record.file(&new).is_some() {
                    return false;
                }
                let Ok(bytes) = std::fs::read(&new) else {
                    return false;
                };
                if file.written.as_deref() == Some(crate::fsx::content_hash(&bytes).as_str()) {
                    return true;
                }
                let text = String::from_utf8_lossy(&bytes);
                file.changes.iter().any(|c| match &c.kind {
                    record::ChangeKind::Entry {
                        format, path, key, ..
                    } => crate::plan::entry::get(*format, &text, path)
                        .ok()
                        .flatten()
                        .and_then(|e| key.path.iter().try_fold(&e, |v, k| v.get(k)).cloned())
                        .is_some_and(|v| {
                            matches!(key.written, record::Written::Key(_))
                                && key.written.matches(Some(&v))
                        }),
                    _ => false,
                })
            });
            if same {
                self.record.relocate(&old, &here);
                moves.push((old, here.clone()));
            }
        }
        moves
    }

    /// Projects codeloop set up whose directories are gone (moved or deleted).
    pub fn gone_projects(&self) -> Vec<String> {
        self.record
            .projects
            .keys()
            .filter(|p| !Path::new(p).is_dir())
            .cloned()
            .collect()
    }

    /// This run's project, as the record names it.
    pub fn project_key(&self) -> String {
        record::key_of(&self.paths.project)
    }

    /// "project: DIR" and, when it is above where the run started, why.
    pub fn project_line(&self) -> String {
        match &self.start {
            Some(start) => format!(
                "project: {} (the git top-level above {}; its files go here)",
                self.paths.project.display(),
                start.display()
            ),
            None => format!("project: {}", self.paths.project.display()),
        }
    }
}

fn project_dir(sys: &Sys, given: Option<&Path>) -> Result<PathBuf> {
    let dir = match given {
        Some(p) if p.is_absolute() => p.to_path_buf(),
        Some(p) => sys.cwd.join(p),
        None => sys.cwd.clone(),
    };
    if !dir.is_dir() {
        // Named as the OS would resolve it lexically: `../app/./src` from /home/me/x
        // reads /home/me/app/src.
        return Err(UsageError(format!(
            "the project directory {} does not exist or is not a directory; pass --project DIR with an existing directory",
            path_clean::clean(&dir).display()
        ))
        .into());
    }
    // `canonicalize` on Windows yields `\\?\C:\…`; tools write plain `C:\…` (dunce
    // keeps the verbatim form only where the plain one would mean something else).
    match dunce::canonicalize(&dir) {
        Ok(dir) => Ok(dir),
        // The directory the shell is in was deleted (or moved) under it.
        Err(_) if !dir.is_absolute() => Err(UsageError(
            "the current directory no longer exists; cd into your project, or pass --project DIR"
                .to_owned(),
        )
        .into()),
        Err(_) => Ok(dir),
    }
}

/// Where Claude Code files this project: the git top-level when in a repository
/// (verified with Claude Code itself), else the project directory, both canonical.
fn project_info(sys: &Sys, paths: &Paths, in_git: bool) -> Project {
    let root = paths.project.clone();
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
/// relative to the project, `/`-separated): see `crate::git`.
fn git_answers(
    sys: &Sys,
    ctx: &Context,
    candidates: &[String],
    existing: &[String],
) -> (Vec<String>, Vec<String>) {
    let project = &ctx.paths.project;
    let Some(top) = &ctx.project.git_top else {
        return (Vec::new(), Vec::new());
    };
    let prefix = project
        .strip_prefix(top)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let to_top = |rel: &String| {
        if prefix.is_empty() {
            rel.clone()
        } else {
            format!("{prefix}/{rel}")
        }
    };
    let in_top: Vec<String> = candidates.iter().map(to_top).collect();
    let files: Vec<String> = existing.iter().map(to_top).collect();
    let answers = crate::git::answers(sys, top, &in_top, &files);
    let back = |list: Vec<String>, from: &[String], to: &[String]| -> Vec<String> {
        list.iter()
            .filter_map(|p| from.iter().position(|f| f == p).map(|i| to[i].clone()))
            .collect()
    };
    (
        back(answers.ignored, &in_top, candidates),
        back(answers.tracked, &files, existing),
    )
}

/// Which of the project files `rels` (relative, `/`-separated) git would not ignore
/// and which it tracks already.
pub fn git_exposure(sys: &Sys, ctx: &Context, rels: &[String]) -> (Vec<String>, Vec<String>) {
    git_answers(sys, ctx, rels, rels)
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
    if !only.is_empty() && targets.is_empty() {
        return Err(UsageError(
            "--skip takes out every target --only names, so there is nothing to do; drop the targets from one of the two".to_owned(),
        )
        .into());
    }
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
    // Earlier versions kept fish's key in conf.d/codeloop.fish itself.
    [
        &paths.env_sh,
        &paths.env_ps1,
        &paths.fish_env,
        &paths.fish_conf,
    ]
    .iter()
    .any(|p| p.is_file())
        || (sys.os == Os::Windows
            && sys
                .user_env
                .get(crate::secret::ENV_VAR)
                .is_ok_and(|v| v.is_some()))
}

/// The forward plan: every target's edits with `key`, plus the git-ignore guard. A
/// file that cannot be written as it is (read-only, another user's, in a directory
/// that takes no new files) is an error of its target already here, so `--check`
/// and `--json` report it.
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
            Target::WindowsEnv => {
                let prior = ctx
                    .record
                    .registry
                    .iter()
                    .find(|r| r.name == crate::secret::ENV_VAR);
                plan::windows_env(sys.user_env.as_ref(), key, prior)
            }
            _ => plan::target(&ctx.paths, &ctx.project, target, key, opts, &ctx.record),
        });
    }
    plan.dedupe();
    refuse_unwritable(&mut plan);
    guard_leaks(sys, ctx, &mut plan, key);
    plan
}

/// What a run that writes (`init`, `auth --rotate`) warns about beyond its plan: a key
/// the person wrote into a startup file, which would override the one set here, and
/// user-level key files another git work tree would pick up. (doctor asks the same
/// questions itself, once, as problems.)
pub fn add_run_warnings(sys: &Sys, ctx: &Context, targets: &[Target], plan: &mut Plan) {
    if targets.iter().any(|t| t.sets_env()) {
        plan.warnings.extend(
            crate::checks::startup_keys(&ctx.paths)
                .iter()
                .map(crate::checks::StartupKey::warning),
        );
    }
    let exposed = user_files_in_git(sys, ctx, plan);
    plan.warnings.extend(
        exposed
            .into_iter()
            .map(|(problem, fix)| format!("{problem}; {fix}")),
    );
}

/// User-level files of `plan` that hold (or are to hold) the key and sit in a git work
/// tree that would pick them up — a home kept in git (`git init ~`), a config
/// directory symlinked into a dotfiles repository — each as (problem, fix). codeloop
/// does not write into that repository's `.gitignore` (it is not the project's); the
/// fix names the line to add. Project files have the guard.
pub fn user_files_in_git(sys: &Sys, ctx: &Context, plan: &Plan) -> Vec<(String, String)> {
    let paths = &ctx.paths;
    let mut tops: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    let mut warnings = Vec::new();
    // codeloop's `*` is in `~/.codeloop`, or will be made with the directory.
    let own_ignore = paths.codeloop_dir.join(".gitignore");
    let own_dir_ignored = !own_ignore.exists() || crate::fsx::is_own_dir_gitignore(&own_ignore);
    for e in plan.targets.iter().flat_map(|t| t.edits.iter()) {
        let holds_key = e.secret && !e.remove_file && (e.after.is_some() || e.before.is_some());
        // `~/.codeloop` is asked too: its own `.gitignore` of `*` keeps it out, but one
        // the person wrote there instead may not.
        if !holds_key || e.path.starts_with(&paths.project) {
            continue;
        }
        if own_dir_ignored && e.path.starts_with(&paths.codeloop_dir) {
            continue;
        }
        // Where the file really is (through a symlinked directory), from its nearest
        // existing ancestor.
        let Some(name) = e.path.file_name() else {
            continue;
        };
        let real = match dunce::canonicalize(&e.path) {
            Ok(real) => real,
            Err(_) => {
                let Some(dir) = e.path.ancestors().skip(1).find(|a| a.is_dir()) else {
                    continue;
                };
                let Ok(real_dir) = dunce::canonicalize(dir) else {
                    continue;
                };
                let rest = e.path.parent().and_then(|p| p.strip_prefix(dir).ok());
                real_dir.join(rest.unwrap_or(Path::new(""))).join(name)
            }
        };
        let Some(dir) = real.ancestors().skip(1).find(|a| a.is_dir()) else {
            continue;
        };
        let top = tops
            .entry(dir.to_path_buf())
            .or_insert_with(|| crate::git::top(sys, dir))
            .clone();
        let Some(top) = top else {
            continue;
        };
        let Ok(rel) = real.strip_prefix(&top) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        // The line to add, with gitignore's special characters taken literally.
        let line = {
            let mut line = String::from("/");
            for c in rel.chars() {
                if matches!(c, '*' | '?' | '[' | '\\') {
                    line.push('\\');
                }
                line.push(c);
            }
            line
        };
        let answers = crate::git::answers(
            sys,
            &top,
            std::slice::from_ref(&rel),
            std::slice::from_ref(&rel),
        );
        let shown = paths.display(&top);
        let repo = shown.trim_end_matches(['/', '\\']);
        // Run from inside that repository, it is this project's (shown relative).
        let (tree, git_c) = if repo.is_empty() {
            ("this project's git work tree".to_owned(), ".")
        } else {
            (format!("the git work tree at {repo}"), repo)
        };
        let ignore_file = paths.display(&top.join(".gitignore"));
        if answers.tracked.contains(&rel) {
            warnings.push((
                format!(
                    "{} holds your API key and {tree} tracks it, so a commit there would publish the key",
                    e.display
                ),
                format!(
                    "untrack it (`git -C {git_c} rm --cached {rel}`) and add `{line}` to {ignore_file}"
                ),
            ));
        } else if !answers.ignored.contains(&rel) {
            warnings.push((
                format!(
                    "{} holds your API key and is in {tree} without being ignored, so `git add -A` there would commit it",
                    e.display
                ),
                format!("add `{line}` to {ignore_file}"),
            ));
        }
    }
    warnings
}

/// Moves edits of files that cannot be written into their target's errors.
fn refuse_unwritable(plan: &mut Plan) {
    let me = crate::fsx::effective_uid();
    for t in &mut plan.targets {
        let mut errors = Vec::new();
        t.edits.retain(|e| {
            if e.after.is_none() {
                return true;
            }
            match crate::fsx::preflight(&e.path, me) {
                Ok(()) => true,
                Err(message) => {
                    errors.push(PlanError {
                        display: e.display.clone(),
                        message: format!("{}: {message}", e.display),
                    });
                    false
                }
            }
        });
        t.errors.extend(errors);
    }
}

/// How far `uninstall` reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// This project's files and entries, and the user-level pieces a run in a project
    /// sets up (shells, the Windows user environment, user-only clients).
    Project,
    /// The user-level configs (`--global`).
    Global,
    /// Everything codeloop ever wrote on this machine (`--all`).
    All,
}

/// The reverse plan: from the record, undo what codeloop did for `targets` within
/// `reach`. User-level pieces another recorded project relies on (its files refer to
/// `CODELOOP_API_KEY`, which the shells' env files set) stay; the notes say why, and
/// the third value names those projects (empty: nothing stays for them).
pub fn reverse_plan(
    sys: &Sys,
    ctx: &Context,
    targets: &[Target],
    reach: Reach,
) -> (Plan, Vec<String>, Vec<String>) {
    let record = &ctx.record;
    let project = ctx.project_key();
    let names: BTreeSet<String> = targets.iter().map(|t| t.name().to_owned()).collect();
    // Files of a project whose directory is gone cannot be reached: their record
    // stays, so `uninstall` in the project's new place (it follows a move) finds them.
    let gone = ctx.gone_projects();
    let unreachable = |file: &Path| gone.iter().any(|g| file.starts_with(g));
    let in_reach = |c: &record::Change| match reach {
        Reach::All => true,
        Reach::Global => c.project.is_none(),
        Reach::Project => {
            c.project.as_deref() == Some(project.as_str())
                || (c.project.is_none()
                    && c.targets
                        .iter()
                        .all(|t| Target::from_name(t).is_some_and(|t| !t.has_project_scope())))
        }
    };
    // (file, change id, targets going, the whole change goes)
    let mut chosen: Vec<(PathBuf, record::ChangeId, BTreeSet<String>, bool)> = Vec::new();
    for (file, c) in record.changes() {
        if matches!(c.kind, record::ChangeKind::Gitignore { .. })
            || !in_reach(c)
            || unreachable(&file)
        {
            continue;
        }
        let going: BTreeSet<String> = if reach == Reach::All {
            c.targets.clone()
        } else {
            c.targets.intersection(&names).cloned().collect()
        };
        if going.is_empty() {
            continue;
        }
        let whole = going == c.targets;
        chosen.push((file, c.kind.id(), going, whole));
    }
    // Projects whose committed files keep referring to the variable after this run.
    let undone = |file: &Path, id: &record::ChangeId| {
        chosen
            .iter()
            .any(|(f, i, _, whole)| *whole && f == file && i == id)
    };
    let relying: BTreeSet<String> = record
        .changes()
        .filter(|(file, c)| c.project.is_some() && c.refers_to_env() && !undone(file, &c.kind.id()))
        .filter_map(|(_, c)| c.project.clone())
        .collect();
    let mut notes = Vec::new();
    let mut kept_for: Vec<String> = Vec::new();
    let env_piece = |targets: &BTreeSet<String>| {
        targets
            .iter()
            .all(|t| Target::from_name(t).is_some_and(|t| t.is_shell()))
    };
    if !relying.is_empty() {
        let before = chosen.len();
        chosen.retain(|(_, _, going, _)| !env_piece(going));
        let kept_windows = targets.contains(&Target::WindowsEnv) && !record.registry.is_empty();
        if chosen.len() != before || kept_windows {
            kept_for = relying.iter().cloned().collect();
            notes.push(format!(
                "kept CODELOOP_API_KEY for your shells (~/.codeloop/env.sh and the lines that load it): the files of {} refer to it; run `codeloop uninstall` there first, or `codeloop uninstall --all`",
                kept_for.join(", ")
            ));
        }
    }

    // Group by file.
    let mut files: Vec<PathBuf> = Vec::new();
    for (f, ..) in &chosen {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    let mut plan = Plan::default();
    let mut gone_files: Vec<PathBuf> = Vec::new();
    let mut edits: Vec<(Target, plan::FileEdit)> = Vec::new();
    let mut errors: Vec<(Target, PlanError)> = Vec::new();
    for file in files {
        let mut reverse = plan::Reverse::default();
        let mut owner = None;
        for (f, id, going, whole) in chosen.iter().filter(|(f, ..)| *f == file) {
            let _ = f;
            owner = owner.or_else(|| going.iter().next().and_then(|t| Target::from_name(t)));
            if *whole {
                reverse.undo.push(id.clone());
            } else {
                reverse.detach.push((id.clone(), going.clone()));
            }
        }
        let fully = record.file(&file).is_some_and(|fr| {
            fr.changes
                .iter()
                .all(|c| reverse.undo.contains(&c.kind.id()))
        });
        if fully {
            gone_files.push(file.clone());
        }
        let target = owner.unwrap_or(Target::WindowsEnv);
        match plan::edit_file(
            &ctx.paths,
            &file,
            false,
            Op::Reverse(reverse),
            Owner::default(),
            record,
        ) {
            Ok(edit) => edits.push((target, edit)),
            Err(e) => errors.push((target, e)),
        }
    }
    for t in Target::all() {
        let mut tp = plan::TargetPlan::new(t);
        tp.edits = edits
            .iter()
            .filter(|(tt, _)| *tt == t)
            .map(|(_, e)| e.clone())
            .collect();
        tp.errors = errors
            .iter()
            .filter(|(tt, _)| *tt == t)
            .map(|(_, e)| e.clone())
            .collect();
        if t == Target::WindowsEnv
            && targets.contains(&t)
            && relying.is_empty()
            && let Some(prior) = record
                .registry
                .iter()
                .find(|r| r.name == crate::secret::ENV_VAR)
        {
            let undo = plan::windows_env_undo(sys.user_env.as_ref(), prior);
            tp.env_edits = undo.env_edits;
            tp.errors.extend(undo.errors);
        }
        if !tp.edits.is_empty() || !tp.env_edits.is_empty() || !tp.errors.is_empty() {
            plan.targets.push(tp);
        }
    }
    // The `.gitignore` lines of project files codeloop no longer has (gone now, or
    // never written: a run stopped half-way), in the projects this run reaches.
    let mut by_gitignore: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for (file, c) in record.changes() {
        let record::ChangeKind::Gitignore { lines } = &c.kind else {
            continue;
        };
        let reached = match reach {
            Reach::All => true,
            Reach::Global => false,
            Reach::Project => c.project.as_deref() == Some(project.as_str()),
        };
        let Some(root) = file.parent().filter(|_| reached) else {
            continue;
        };
        let kept = |line: &str| {
            // A file's line, and the line codeloop 0.1 added for the backup beside it.
            let rel = line.strip_suffix(".codeloop.bak").unwrap_or(line);
            let path = crate::dirs::join(root, rel.trim_start_matches('/'));
            record.file(&path).is_some() && !gone_files.contains(&path)
        };
        let drop: Vec<String> = lines.iter().filter(|l| !kept(l)).cloned().collect();
        if !drop.is_empty() {
            by_gitignore.push((file, drop));
        }
    }
    for (file, lines) in by_gitignore {
        let reverse = plan::Reverse {
            gitignore_lines: lines,
            ..plan::Reverse::default()
        };
        match plan::edit_file(
            &ctx.paths,
            &file,
            false,
            Op::Reverse(reverse),
            Owner::default(),
            record,
        ) {
            // The project's own `.gitignore` shows as the guard; others' as edits.
            Ok(edit) if file == ctx.paths.gitignore && plan.guard.is_none() => {
                plan.guard = Some(edit);
            }
            Ok(edit) => {
                if let Some(tp) = plan.targets.first_mut() {
                    tp.edits.push(edit);
                }
            }
            Err(e) => plan.guard_error = Some(e),
        }
    }
    (plan, notes, kept_for)
}

fn slashes(rel: &Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}

fn relative(paths: &Paths, file: &Path) -> String {
    slashes(file.strip_prefix(&paths.project).expect("a project file"))
}

/// Adds a `.gitignore` edit for key-holding and private project files that git would
/// otherwise pick up (whether or not this run changes them), and warns, on every run,
/// about key files git already tracks.
fn guard_leaks(sys: &Sys, ctx: &Context, plan: &mut Plan, key: &str) {
    let paths = &ctx.paths;
    if !ctx.project.in_git {
        return;
    }
    let private_files: Vec<(String, bool, bool, BTreeSet<String>)> = plan
        .targets
        .iter()
        .flat_map(|t| t.edits.iter())
        .filter(|e| e.private && !e.remove_file)
        .filter(|e| e.path.starts_with(&paths.project))
        .map(|e| {
            (
                relative(paths, &e.path),
                e.secret,
                e.before.is_some(),
                e.owner.targets.clone(),
            )
        })
        .collect();
    if private_files.is_empty() {
        return;
    }
    // One git for all the ignore checks and, at the same time, one for whether the
    // key files that exist are tracked (a file that is not there is not).
    // (`check-ignore -z` needs `--stdin`; our own relative names are plain ASCII.)
    let candidates: Vec<String> = private_files.iter().map(|f| f.0.clone()).collect();
    let existing: Vec<String> = private_files
        .iter()
        .filter(|(_, secret, exists, _)| *secret && *exists)
        .map(|f| f.0.clone())
        .collect();
    let (ignored, tracked) = git_answers(sys, ctx, &candidates, &existing);
    // A file git tracks is not kept out of it by .gitignore: no line for it.
    let lines: Vec<String> = candidates
        .iter()
        .filter(|c| !ignored.contains(*c) && !tracked.contains(*c))
        .map(|c| format!("/{c}"))
        .collect();
    let shell = shell_in_use(sys);
    // Whether a user-level change codeloop made holds this key (a reference, or no key
    // to compare, counts as current).
    let fp = crate::record::fingerprint(key);
    let current = |c: &crate::record::Change| match &c.kind {
        crate::record::ChangeKind::Entry { key: field, .. } => match &field.written {
            crate::record::Written::Key(written) => {
                *written == fp || key == crate::secret::PLACEHOLDER
            }
            _ => true,
        },
        _ => true,
    };
    for rel in &tracked {
        let path = crate::dirs::join(&paths.project, rel);
        let mut refused = false;
        for t in plan.targets.iter_mut() {
            // The run would write the key into a file the team shares through git
            // (a committed `.mcp.json`, a `.zed/settings.json` for tab sizes): refused.
            if writes_key_to(t, &path) {
                refused = true;
                let name = t.target.name();
                // The user-level setup codeloop made for this client.
                let user_level: Vec<bool> = ctx
                    .record
                    .changes()
                    .filter(|(_, c)| c.project.is_none() && c.targets.contains(name))
                    .map(|(_, c)| current(c))
                    .collect();
                if user_level.contains(&false) {
                    t.errors.push(PlanError {
                        display: rel.clone(),
                        message: format!(
                            "{rel} is tracked by git, so it does not get your key, and the {} setup for your user that serves this project holds another key; update it: `codeloop init --global --only {name}`",
                            t.target.label()
                        ),
                    });
                    continue;
                }
                if !user_level.is_empty() {
                    // The way around was taken already (`--global`): the user-level
                    // setup serves this project too, and the team's file stays as it is.
                    t.edits.retain(|e| e.path != path);
                    plan.warnings.push(format!(
                        "{rel} is tracked by git, so it does not get your key; {} set up for your user serves this project (left as it is)",
                        t.target.label()
                    ));
                    continue;
                }
                t.errors.push(PlanError {
                    display: rel.clone(),
                    message: tracked_refusal(rel, t.target, &shell),
                });
            }
        }
        if !refused {
            // It holds the key already, and this run does not change that.
            plan.warnings.push(format!(
                "{rel} holds your API key and git tracks it, so a commit would publish the key; take the key out of it, untrack it if it is yours alone (`git rm --cached {rel}`), and rotate the key if it was ever pushed"
            ));
        }
    }
    // Lines codeloop 0.1 added for the backups it kept beside these files: stale once
    // the backup moved under ~/.codeloop/backups (or was deleted).
    let stale: Vec<String> = candidates
        .iter()
        .map(|c| format!("/{c}.codeloop.bak"))
        .filter(|l| {
            let bak = crate::dirs::join(&paths.project, &l[1..]);
            !bak.exists() || ctx.moving.contains(&bak)
        })
        .filter(|l| gitignore_lists(&paths.gitignore, l))
        .collect();
    if lines.is_empty() && stale.is_empty() {
        return;
    }
    // The key files git does not ignore now, which the guard's lines are for.
    let mut exposed: Vec<String> = private_files
        .iter()
        .filter(|(rel, secret, ..)| *secret && !ignored.contains(rel) && !tracked.contains(rel))
        .map(|f| f.0.clone())
        .collect();
    exposed.dedup();
    let owner = Owner {
        targets: private_files
            .iter()
            .filter(|f| lines.contains(&format!("/{}", f.0)))
            .flat_map(|f| f.3.iter().cloned())
            .collect(),
        project: Some(ctx.project_key()),
    };
    match plan::edit_file(
        paths,
        &paths.gitignore,
        false,
        Op::Gitignore { lines, stale },
        owner,
        &ctx.record,
    ) {
        Ok(edit) => plan.guard = Some(edit),
        Err(e) => {
            plan.guard_error = Some(e);
            return;
        }
    }
    if exposed.is_empty() {
        return;
    }
    // A deeper `.gitignore` (or a `!` line after codeloop's block) can re-include a
    // file whatever codeloop's line says: asked of the `.gitignore` as it will be.
    let planned = plan.guard.as_ref().and_then(|g| g.after.clone());
    for visible in git_visible(sys, ctx, &exposed, planned.as_deref()) {
        let rel = &visible.path;
        let path = crate::dirs::join(&paths.project, rel);
        let cause = match &visible.negation {
            Some(n) => format!("{} un-ignores it", negation_at(n)),
            None => format!(
                "a .gitignore deeper in the project un-ignores it (`git check-ignore -v {rel}` shows which line)"
            ),
        };
        let mut refused = false;
        for t in plan.targets.iter_mut() {
            if writes_key_to(t, &path) {
                refused = true;
                t.errors.push(PlanError {
                    display: rel.clone(),
                    message: format!(
                        "{rel} would stay visible to git even with codeloop's .gitignore line: {cause}; take that line out, or {}",
                        way_around(t.target, &shell)
                    ),
                });
            }
        }
        if !refused && path.exists() {
            // It holds the key already, and this run does not change that.
            plan.warnings.push(format!(
                "{rel} holds your API key and stays visible to git even with codeloop's .gitignore line: {cause}; take that line out before a commit publishes the key, and rotate the key if it was ever pushed"
            ));
        }
    }
}

/// For doctor: the `!` line that keeps the project file `rel` (which holds the key)
/// visible to git, as "line 3 of .cursor/.gitignore (`!mcp.json`)", when one does.
pub fn unignored_by(sys: &Sys, ctx: &Context, rel: &str) -> Option<String> {
    let visible = git_visible(sys, ctx, &[rel.to_owned()], None)
        .into_iter()
        .next()?;
    visible.negation.as_ref().map(negation_at)
}

/// A `!` line as the person finds it: "line 3 of .cursor/.gitignore (`!mcp.json`)", or
/// by its text in a `.gitignore` not written yet.
fn negation_at(n: &crate::git::Negation) -> String {
    match n.line {
        Some(line) => format!("line {line} of {} (`{}`)", n.file, n.text),
        None => format!("the line `{}` of {}", n.text, n.file),
    }
}

/// Whether `t` would write the key into the file at `path`.
fn writes_key_to(t: &crate::plan::TargetPlan, path: &Path) -> bool {
    t.edits
        .iter()
        .any(|e| e.path == path && e.secret && e.after.is_some())
}

/// Which of the project files `rels`, which git does not ignore now, it would still
/// not ignore once the project's `.gitignore` holds `planned` (`None`: as it is).
fn git_visible(
    sys: &Sys,
    ctx: &Context,
    rels: &[String],
    planned: Option<&str>,
) -> Vec<crate::git::Visible> {
    let Some(top) = &ctx.project.git_top else {
        return Vec::new();
    };
    let prefix = ctx
        .paths
        .project
        .strip_prefix(top)
        .map(slashes)
        .unwrap_or_default();
    let to_top = |rel: &String| {
        if prefix.is_empty() {
            rel.clone()
        } else {
            format!("{prefix}/{rel}")
        }
    };
    let in_top: Vec<String> = rels.iter().map(to_top).collect();
    let planned = planned.map(|text| crate::git::Planned { dir: &prefix, text });
    crate::git::visible(sys, top, &in_top, planned)
        .into_iter()
        .filter_map(|mut v| {
            let i = in_top.iter().position(|p| *p == v.path)?;
            v.path = rels[i].clone();
            Some(v)
        })
        .collect()
}

/// Why codeloop will not put the key into `rel`, a file git tracks, and the way
/// around it for `target` ([`way_around`]).
fn tracked_refusal(rel: &str, target: Target, shell: &str) -> String {
    format!(
        "{rel} is tracked by git, so codeloop will not write your API key into it (a commit would publish it); {}",
        way_around(target, shell)
    )
}

/// How to set up `target` without its key in a project file git can pick up: a
/// reference to `CODELOOP_API_KEY` where the client reads one, else the user-level
/// config.
fn way_around(target: Target, shell: &str) -> String {
    let name = target.name();
    match target.client() {
        Some(c) if c.env_reference.is_some() => format!(
            "set up your shell in the same run so the file refers to CODELOOP_API_KEY instead (`codeloop init --only {name},{shell}`)"
        ),
        _ => format!("set it up for your user instead (`codeloop init --global --only {name}`)"),
    }
}

/// The target that gives this person's shells `CODELOOP_API_KEY`: the Windows user
/// environment on Windows, else the shell `$SHELL` names (bash when it names none
/// codeloop sets up).
fn shell_in_use(sys: &Sys) -> String {
    if sys.os == Os::Windows {
        return Target::WindowsEnv.name().to_owned();
    }
    let base = sys
        .var("SHELL")
        .and_then(|s| Path::new(s).file_stem()?.to_str().map(str::to_owned));
    match base.as_deref() {
        Some(name @ ("zsh" | "bash" | "fish")) => name.to_owned(),
        _ => "bash".to_owned(),
    }
}

/// Whether codeloop's block in the `.gitignore` at `path` lists `line`.
fn gitignore_lists(path: &Path, line: &str) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| crate::edit::block::body(&text, crate::edit::block::HASH).ok()?)
        .is_some_and(|body| body.iter().any(|l| l == line))
}

/// Says, once, that backups codeloop 0.1 kept beside files move under
/// `~/.codeloop/backups` (`dry`: they would).
pub fn report_legacy(
    out: &mut dyn Write,
    ctx: &Context,
    legacy: &crate::migrate::Legacy,
    dry: bool,
) -> std::io::Result<()> {
    if legacy.moves.is_empty() && legacy.adopt.is_empty() {
        return Ok(());
    }
    let verb = if dry { "would move" } else { "moves" };
    writeln!(
        out,
        "codeloop now keeps a record of what it changes ({}) and its backups under {}, out of your projects; this run {verb}:",
        ctx.paths.display(&apply::record_path(&ctx.paths)),
        ctx.paths
            .display(&ctx.paths.codeloop_dir.join(record::BACKUP_DIR)),
    )?;
    for (from, to) in &legacy.moves {
        writeln!(
            out,
            "  {} -> {}",
            ctx.paths.display(from),
            ctx.paths.display(to)
        )?;
    }
    if legacy.moves.is_empty() {
        writeln!(out, "  (no backups; only the record)")?;
    }
    Ok(())
}

/// Asks once before writing. Refuses (an error) when nobody can answer; `removes` words
/// that refusal for `uninstall`.
pub fn confirm(
    sys: &mut Sys,
    out: &mut dyn Write,
    question: &str,
    removes: bool,
) -> Result<Answer> {
    if !sys.interactive() {
        let (what, verb) = if removes {
            ("removing anything", "remove them")
        } else {
            ("applying changes", "apply them")
        };
        bail!(
            "not {what} without confirmation: stdin is not a terminal or CI is set; pass --yes to {verb}, or --dry-run to only preview"
        );
    }
    writeln!(out)?;
    match sys.confirm(question, false) {
        Ok(true) => Ok(Answer::Yes),
        Ok(false) => Ok(Answer::No),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(Answer::Interrupted),
        Err(e) if crate::sys::is_escape(&e) => Ok(Answer::No),
        Err(e) => Err(anyhow!(
            "could not read your answer ({e}); pass --yes to apply without asking"
        )),
    }
}

/// The preview a person decides on: every diff, the notes, then the summary table
/// right above the question. When the run will ask (`asks`) and the diffs would
/// push the notes, the table and the question off a terminal of `sys.terminal_rows`,
/// the diffs go through the pager first (not with `--no-pager`), so the question never
/// comes after text that scrolled away unread.
pub fn preview(
    sys: &Sys,
    out: &mut dyn Write,
    plan: &Plan,
    writing: &crate::cli::Writing,
    undo: bool,
    asks: bool,
    notes: &[String],
) -> std::io::Result<()> {
    let mut diffs: Vec<u8> = Vec::new();
    crate::render::preview_with(plan, &mut diffs, writing.show_secrets, undo)?;
    // The notes are part of what is decided on (what of yours an uninstall takes
    // along): they stay out of the pager, above the summary.
    let mut said: Vec<u8> = Vec::new();
    for note in notes {
        writeln!(said, "note: {note}")?;
    }
    let table = crate::render::summary_table(plan, undo);
    let lines = |b: &[u8]| memchr::memchr_iter(b'\n', b).count();
    // The notes, the table, a blank line, the question and its answer line stay in
    // view.
    let room = usize::from(sys.terminal_rows.unwrap_or(u16::MAX));
    let tall = lines(&diffs) + lines(&said) + lines(table.as_bytes()) + 4 > room;
    let paged =
        asks && tall && !writing.no_pager && sys.page(&String::from_utf8_lossy(&diffs)).is_ok();
    if !paged {
        out.write_all(&diffs)?;
    }
    out.write_all(&said)?;
    if plan.has_changes() && !table.is_empty() {
        writeln!(out, "\n{BOLD}summary{BOLD:#}")?;
        write!(out, "{table}")?;
    }
    Ok(())
}

/// How a `--json` run ended: its exit code, and the error's text when it failed (a
/// usage error exits 2).
pub fn exit_of(result: Result<crate::Exit>) -> (crate::Exit, Option<String>) {
    match result {
        Ok(exit) => (exit, None),
        Err(e) => {
            let exit = if e.downcast_ref::<UsageError>().is_some() {
                crate::Exit::Usage
            } else {
                crate::Exit::Failed
            };
            (exit, Some(format!("{e:#}")))
        }
    }
}

/// The person's answer at the one confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    /// "n", or Esc.
    No,
    /// Ctrl-C: the run ends with exit 130.
    Interrupted,
}

/// The plan's errors, each with the one step past it; `saved_key` says the key just
/// pasted or signed in with was saved although no config file was written; `removes`
/// words the way past them for `uninstall`.
pub fn report_errors(
    err: &mut dyn Write,
    plan: &Plan,
    saved_key: Option<&str>,
    removes: bool,
) -> std::io::Result<()> {
    let red = RED.bold();
    let mut failing: Vec<&str> = Vec::new();
    for t in &plan.targets {
        for e in &t.errors {
            writeln!(err, "{red}error:{red:#} {}", e.message)?;
            if !failing.contains(&t.target.name()) {
                failing.push(t.target.name());
            }
        }
    }
    if let Some(PlanError { message, .. }) = &plan.guard_error {
        writeln!(
            err,
            "{red}error:{red:#} {message} (codeloop keeps key files out of git through it, so it must be readable)"
        )?;
    }
    match saved_key {
        Some(file) => writeln!(
            err,
            "no configuration file was written (your key was saved to {file})"
        )?,
        None => writeln!(err, "nothing was written")?,
    }
    // Only when there is a rest to set up without them.
    if !failing.is_empty() && plan.targets.iter().any(|t| t.errors.is_empty()) {
        writeln!(err, "{}", skip_line(&failing, removes))?;
    }
    Ok(())
}

/// The one way past a plan's errors: `--skip` the failing targets.
fn skip_line(failing: &[&str], removes: bool) -> String {
    let verb = if removes { "remove" } else { "set up" };
    format!(
        "to {verb} the rest without fixing these first, pass --skip {}",
        failing.join(",")
    )
}

/// The plan's errors for a `--json` document's `error` (`init`, `uninstall`): each with
/// its own next step, then the one way past them all, as [`report_errors`] says it.
pub fn json_error(plan: &Plan, removes: bool) -> String {
    let mut lines: Vec<String> = plan
        .targets
        .iter()
        .flat_map(|t| t.errors.iter().map(|e| e.message.clone()))
        .chain(plan.guard_error.iter().map(|e| e.message.clone()))
        .collect();
    let failing: Vec<&str> = plan
        .targets
        .iter()
        .filter(|t| !t.errors.is_empty())
        .map(|t| t.target.name())
        .collect();
    if !failing.is_empty() && plan.targets.iter().any(|t| t.errors.is_empty()) {
        lines.push(skip_line(&failing, removes));
    }
    lines.join("\n")
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
