//! `codeloop init`: detect, resolve the key, plan, preview, confirm, apply, report.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::apply::{self, Outcome};
use crate::auth::{self, PLACEHOLDER};
use crate::cli::InitArgs;
use crate::detect::{self, Detection};
use crate::paths::Paths;
use crate::plan::{self, Op, Options, Plan, PlanError, Project};
use crate::render::{self, BOLD, DIM, GREEN, YELLOW};
use crate::sys::{Os, Sys};
use crate::target::Target;
use crate::{Exit, UsageError};

pub fn run(
    args: &InitArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let home = sys.home().ok_or_else(|| {
        anyhow!("cannot find your home directory: HOME (USERPROFILE on Windows) is not set; set it and run again")
    })?;
    let project = project_dir(sys, args.project.as_deref())?;
    let paths = Paths::resolve(sys, &home, &project);
    let detections = detect::all(sys, &paths);
    let targets = choose(args, &detections);
    if targets.contains(&Target::WindowsEnv) && sys.os != Os::Windows {
        return Err(UsageError(
            "the windows-env target exists only on Windows; on this system use the shell targets (zsh, bash, fish, powershell) to set CODELOOP_API_KEY".to_owned(),
        )
        .into());
    }

    report_detection(out, args, &detections, &targets)?;
    if targets.is_empty() {
        return Ok(Exit::Ok);
    }

    let key = auth::resolve_key(sys, &paths)?;
    let key_text = match &key {
        Some((key, source)) => {
            writeln!(
                out,
                "using the API key from {} ({key})",
                source.describe(&paths)
            )?;
            key.expose().to_owned()
        }
        None if args.dry_run => {
            writeln!(
                out,
                "{YELLOW}no API key configured yet: the diffs show a placeholder where your key will go{YELLOW:#}"
            )?;
            PLACEHOLDER.to_owned()
        }
        None => bail!(
            "no CodeLoop API key found; run `codeloop auth` to sign in, or set {} in the environment, then run `codeloop init` again",
            auth::ENV_VAR
        ),
    };

    let project_info = project_info(sys, &paths);
    let opts = Options {
        global: args.global,
        powershell_profiles: powershell_profiles(sys, &paths),
    };
    let mut plan = Plan::default();
    for &target in &targets {
        plan.targets.push(match target {
            Target::WindowsEnv => plan::windows_env(sys.user_env.as_ref(), &key_text),
            _ => plan::target(&paths, &project_info, target, &key_text, &opts),
        });
    }
    plan.dedupe();
    guard_leaks(sys, &paths, &project_info, &mut plan);

    writeln!(out)?;
    render::preview(&plan, out, args.show_secrets)?;
    for warning in &plan.warnings {
        writeln!(err, "{YELLOW}warning:{YELLOW:#} {warning}")?;
    }

    if plan.has_errors() {
        report_errors(err, &plan)?;
        return Ok(Exit::Failed);
    }
    if !plan.has_changes() {
        writeln!(out, "\neverything is already configured; nothing to change")?;
        return Ok(Exit::Ok);
    }
    if args.dry_run {
        writeln!(out, "\ndry run: nothing was written")?;
        return Ok(Exit::Ok);
    }
    if !args.yes {
        if !sys.interactive() {
            bail!(
                "not applying changes without confirmation: stdin is not a terminal or CI is set; pass --yes to apply them, or --dry-run to only preview"
            );
        }
        writeln!(out)?;
        let yes = sys
            .confirm("apply these changes?", false)
            .context("could not read your answer; pass --yes to apply without asking")?;
        if !yes {
            writeln!(out, "cancelled; nothing was written")?;
            return Ok(Exit::Ok);
        }
    }

    match apply::apply(&plan, &paths, sys.user_env.as_mut()) {
        Ok(written) => {
            report_written(out, &written)?;
            report_restart(out, &plan)?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            report_written(out, &e.written)?;
            Err(anyhow!(
                "{}: {}; files listed above were written, the rest were left as they were",
                e.display,
                e.message
            ))
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

/// `--only` as given (deduplicated), else what was detected; minus `--skip`.
fn choose(args: &InitArgs, detections: &[Detection]) -> Vec<Target> {
    let base: BTreeSet<Target> = if args.only.is_empty() {
        detections
            .iter()
            .filter(|d| d.chosen_by_default())
            .map(|d| d.target)
            .collect()
    } else {
        args.only.iter().copied().collect()
    };
    base.into_iter()
        .filter(|t| !args.skip.contains(t))
        .collect()
}

fn report_detection(
    out: &mut dyn Write,
    args: &InitArgs,
    detections: &[Detection],
    targets: &[Target],
) -> std::io::Result<()> {
    for d in detections {
        let chosen = targets.contains(&d.target);
        if d.found() {
            let skipped = if chosen { "" } else { " (skipped)" };
            writeln!(
                out,
                "found {}: {}{skipped}",
                d.target.label(),
                d.evidence.join("; ")
            )?;
        } else if chosen {
            writeln!(
                out,
                "{}: not detected, configuring it because of --only",
                d.target.label()
            )?;
        }
    }
    if targets.is_empty() {
        if detections.iter().any(Detection::found) {
            writeln!(out, "nothing left to configure after --skip")?;
        } else {
            let names: Vec<String> = Target::ALL
                .iter()
                .map(|t| format!("--only {}", t.name()))
                .collect();
            let labels: Vec<&str> = Target::ALL.iter().map(|t| t.label()).collect();
            writeln!(
                out,
                "no supported editor found (looked for {}); to configure one anyway, pass {}",
                labels.join(" and "),
                names.join(" or ")
            )?;
        }
    }
    let _ = args;
    Ok(())
}

/// The profiles of the PowerShell editions installed here (Windows PowerShell 5.1
/// always is, on Windows); all of this OS's when none is (`--only powershell` asked).
fn powershell_profiles(sys: &Sys, paths: &Paths) -> Vec<PathBuf> {
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
    if installed.is_empty() {
        paths
            .powershell_profiles
            .iter()
            .map(|p| p.path.clone())
            .collect()
    } else {
        installed
    }
}

/// Where Claude Code files this project: the git top-level when in a repository
/// (verified with Claude Code itself), else the project directory, both canonical.
fn project_info(sys: &Sys, paths: &Paths) -> Project {
    let top = git(sys, &paths.project, &["rev-parse", "--show-toplevel"])
        .filter(|(ok, _)| *ok)
        .map(|(_, stdout)| PathBuf::from(stdout.trim_end_matches(['\n', '\r'])));
    let in_git = top.is_some();
    let root = top
        .and_then(|t| std::fs::canonicalize(t).ok())
        .map(dunce)
        .unwrap_or_else(|| paths.project.clone());
    let mut claude_key = root.to_string_lossy().into_owned();
    if sys.os == Os::Windows {
        // Claude Code keys projects by the path with forward slashes on Windows
        // (read from its own code: `replaceAll("\\", "/")` when the platform is windows).
        claude_key = claude_key.replace('\\', "/");
    }
    Project { claude_key, in_git }
}

/// Runs git in `dir`; `None` when git is missing or could not run.
fn git(sys: &Sys, dir: &Path, args: &[&str]) -> Option<(bool, String)> {
    let git = sys.which("git")?;
    let output = sys.run(&git, args, dir).ok()?;
    Some((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

/// Adds a `.gitignore` edit for key-holding project files that git would otherwise
/// pick up, and warns about ones already committed.
fn guard_leaks(sys: &Sys, paths: &Paths, project: &Project, plan: &mut Plan) {
    if !project.in_git {
        return;
    }
    let mut patterns = Vec::new();
    let private_files: Vec<(PathBuf, bool)> = plan
        .targets
        .iter()
        .flat_map(|t| t.edits.iter())
        .filter(|e| e.private && e.after.is_some())
        .filter(|e| e.path.starts_with(&paths.project))
        .map(|e| (e.path.clone(), e.secret))
        .collect();
    for (file, secret) in private_files {
        let rel = file
            .strip_prefix(&paths.project)
            .expect("filtered to project files")
            .to_string_lossy()
            .replace('\\', "/");
        let mut backup = rel.clone();
        backup.push_str(".codeloop.bak");
        for candidate in [&rel, &backup] {
            let ignored = git(
                sys,
                &paths.project,
                &["check-ignore", "-q", "--", candidate],
            )
            .is_some_and(|(ok, _)| ok);
            if !ignored {
                patterns.push(format!("/{candidate}"));
            }
        }
        let tracked = git(
            sys,
            &paths.project,
            &["ls-files", "--error-unmatch", "--", &rel],
        )
        .is_some_and(|(ok, _)| ok);
        if tracked && secret {
            plan.warnings.push(format!(
                "{rel} is tracked by git, so your API key would be committed with it; untrack it with `git rm --cached {rel}` and commit, then rotate the key if it was ever pushed"
            ));
        }
    }
    if patterns.is_empty() {
        return;
    }
    match plan::edit_file(paths, &paths.gitignore, false, Op::Gitignore { patterns }) {
        Ok(edit) => plan.guard = Some(edit),
        Err(e) => plan.guard_error = Some(e),
    }
}

fn report_errors(err: &mut dyn Write, plan: &Plan) -> std::io::Result<()> {
    let red = render::RED.bold();
    let mut failed = Vec::new();
    for t in &plan.targets {
        for e in &t.errors {
            writeln!(
                err,
                "{red}error:{red:#} {}; fix the file, or pass --skip {} to configure the rest",
                e.message,
                t.target.name()
            )?;
            failed.push(t.target.name());
        }
    }
    if let Some(PlanError { message, .. }) = &plan.guard_error {
        writeln!(
            err,
            "{red}error:{red:#} {message}; codeloop must add key files to it before writing them"
        )?;
    }
    writeln!(err, "nothing was written")?;
    Ok(())
}

fn report_written(out: &mut dyn Write, written: &[apply::Written]) -> std::io::Result<()> {
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
            Outcome::AlreadyDone => ("already configured by another program", None),
        };
        write!(out, "{GREEN}✓{GREEN:#} {verb} {BOLD}{}{BOLD:#}", w.display)?;
        if let Some(b) = backup {
            write!(out, " {DIM}(original saved as {b}){DIM:#}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn report_restart(out: &mut dyn Write, plan: &Plan) -> std::io::Result<()> {
    let mut hints: Vec<&str> = Vec::new();
    for t in plan.targets.iter().filter(|t| t.has_changes()) {
        let hint = t.target.restart_hint();
        if !hints.contains(&hint) {
            hints.push(hint);
            writeln!(out, "next: {hint}")?;
        }
    }
    Ok(())
}
