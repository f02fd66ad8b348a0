//! `codeloop init`: detect, resolve the key, plan against the record, preview,
//! confirm, apply (which records), report.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use super::common::{self, Answer, Context};
use crate::Exit;
use crate::apply::{self, RecordNotes};
use crate::auth::{self, ApiKey, KeySource, PLACEHOLDER};
use crate::cli::InitArgs;
use crate::detect::Detection;
use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::record;
use crate::render::{self, YELLOW};
use crate::report;
use crate::sys::Sys;
use crate::target::Target;

pub fn run(
    args: &InitArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    if args.key.is_some() {
        writeln!(
            err,
            "{YELLOW}warning:{YELLOW:#} {}",
            auth::key_argument_warning(args.key_stdin)
        )?;
    }
    let mut outcome = Outcome::default();
    if args.json {
        // One document, whatever happens: errors go into it too, and every field is
        // there whatever step the run ends at.
        let result = run_inner(args, sys, &mut io::sink(), &mut io::sink(), &mut outcome);
        let (exit, error) = common::exit_of(result);
        let doc = report::init(mode(args), &outcome, exit, error);
        writeln!(out, "{}", report::to_text(&doc, args.writing.show_secrets))?;
        return Ok(exit);
    }
    run_inner(args, sys, out, err, &mut outcome)
}

/// After `codeloop auth --rotate` saved `key`: every file the record lists as holding
/// codeloop's key — in every recorded project and in the user-level configs — moves to
/// it, previewed as one plan and applied on one confirmation (or `yes`). `project` is
/// where the command runs; a recorded project whose directory is gone is dropped from
/// the record with a note.
pub fn rekey(
    sys: &mut Sys,
    key: &(ApiKey, KeySource),
    project: Option<&Path>,
    yes: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let here = Context::new(sys, project)?;
    let mut scopes: Vec<(Option<PathBuf>, bool)> = vec![(None, true)];
    let mut gone = Vec::new();
    for dir in here.record.projects.keys() {
        let dir = PathBuf::from(dir);
        if dir.is_dir() {
            scopes.push((Some(dir), false));
        } else {
            gone.push(record::key_of(&dir));
        }
    }
    let key_text = key.0.expose().to_owned();
    let mut plans: Vec<(Context, Plan)> = Vec::new();
    for (dir, global) in scopes {
        let ctx = Context::new(sys, dir.as_deref().or(project))?;
        let scope_project = dir.as_ref().map(|d| record::key_of(d));
        let targets: Vec<Target> = ctx
            .record
            .changes()
            .filter(|(_, c)| c.project == scope_project)
            .flat_map(|(_, c)| c.targets.iter().filter_map(|t| Target::from_name(t)))
            .chain((global && !ctx.record.registry.is_empty()).then_some(Target::WindowsEnv))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let targets = common::choose(sys, &targets, &[], std::iter::empty())?;
        if targets.is_empty() {
            continue;
        }
        let opts = crate::plan::Options {
            shell_env: ctx
                .record
                .changes()
                .any(|(_, c)| c.project == scope_project && c.refers_to_env()),
            ..common::options(sys, &ctx.paths, global, false)
        };
        let mut plan = common::forward_plan(sys, &ctx, &targets, &key_text, &opts);
        common::add_run_warnings(sys, &ctx, &targets, &mut plan);
        plans.push((ctx, plan));
    }
    for g in &gone {
        writeln!(
            out,
            "{g} is gone; codeloop forgets it (nothing of it to update)"
        )?;
    }
    // A file that cannot be updated (read-only, damaged) must not keep every other
    // file on the revoked key: the rest is updated, and the run names what is left.
    let mut any_error = false;
    for (ctx, plan) in &mut plans {
        let failed: Vec<(Target, String)> = plan
            .targets
            .iter()
            .flat_map(|t| t.errors.iter().map(move |e| (t.target, e.message.clone())))
            .chain(
                plan.guard_error
                    .iter()
                    .map(|e| (Target::WindowsEnv, e.message.clone())),
            )
            .collect();
        if !failed.is_empty() {
            any_error = true;
            let red = render::RED.bold();
            for (target, message) in &failed {
                writeln!(
                    err,
                    "{red}error:{red:#} {message}; it keeps the old key: fix it, then run `codeloop init --yes --only {}` in {}",
                    target.name(),
                    ctx.paths.project.display()
                )?;
            }
            plan.targets.retain(|t| t.errors.is_empty());
            plan.guard_error = None;
        }
    }
    let mut any_change = false;
    for (ctx, plan) in &plans {
        if plan.has_changes() {
            writeln!(out, "\n{}", ctx.project_line())?;
            render::preview(plan, out, false)?;
        }
        any_change |= plan.has_changes();
    }
    if !any_change {
        writeln!(
            out,
            "\nevery file codeloop set up already holds the new key; nothing to update"
        )?;
        forget(&here, &gone)?;
        return Ok(if any_error { Exit::Failed } else { Exit::Ok });
    }
    if !yes {
        if !sys.interactive() {
            bail!(
                "the new key is saved, but the files above still hold the old one: run `codeloop auth --rotate --yes` or `codeloop init --yes` in each project to update them"
            );
        }
        match common::confirm(sys, out, "update these files to the new key?", false)? {
            Answer::Yes => {}
            Answer::No => {
                writeln!(
                    out,
                    "cancelled; your new key is saved, but no configuration file was changed"
                )?;
                return Ok(Exit::Ok);
            }
            Answer::Interrupted => {
                writeln!(
                    out,
                    "cancelled; your new key is saved, but no configuration file was changed"
                )?;
                return Ok(Exit::Signal(2));
            }
        }
    }
    let notes = RecordNotes {
        key_fingerprint: Some(record::fingerprint(&key_text)),
        forget_projects: gone,
        ..RecordNotes::default()
    };
    for (ctx, plan) in &plans {
        match apply::apply(plan, &ctx.paths, sys.user_env.as_mut(), &notes) {
            Ok(written) => common::report_written(out, &written)?,
            Err(e) => {
                common::report_written(out, &e.written)?;
                let red = render::RED.bold();
                let message = auth::mask_secrets(&e.to_string()).into_owned();
                writeln!(err, "{red}error:{red:#} {message}")?;
                return Ok(e.signal.map_or(Exit::Failed, |s| Exit::Signal(s as u8)));
            }
        }
    }
    Ok(if any_error { Exit::Failed } else { Exit::Ok })
}

/// Drops projects whose directories are gone from the record.
fn forget(ctx: &Context, gone: &[String]) -> Result<()> {
    if gone.is_empty() {
        return Ok(());
    }
    let notes = RecordNotes {
        forget_projects: gone.to_vec(),
        ..RecordNotes::default()
    };
    let mut user_env = crate::sys::user_env::MemoryUserEnv::default();
    apply::apply(&Plan::default(), &ctx.paths, &mut user_env, &notes)
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

fn run_inner(
    args: &InitArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
    outcome: &mut Outcome,
) -> Result<Exit> {
    let mut ctx = Context::new(sys, args.scope.project.as_deref())?;
    let legacy = ctx.migrate(sys);
    let relocate = ctx.relocate();
    ctx.detect(sys, &args.scope.only);
    let defaults = ctx
        .detections
        .iter()
        .filter(|d| d.chosen_by_default())
        .map(|d| d.target);
    let mut targets = common::choose(sys, &args.scope.only, &args.scope.skip, defaults)?;
    let prompts =
        sys.interactive() && !(args.writing.yes || args.json || args.check || args.writing.dry_run);
    if prompts && args.scope.only.is_empty() {
        match select(sys, &ctx.detections, &targets, &args.scope.skip)? {
            Picked::These(picked) => targets = picked,
            Picked::Interrupted => {
                writeln!(out, "cancelled; nothing was written")?;
                return Ok(Exit::Signal(2));
            }
            Picked::Escaped => {
                writeln!(out, "cancelled; nothing was written")?;
                return Ok(Exit::Ok);
            }
        }
    }
    outcome.project = Some(ctx.paths.project.clone());
    outcome.detections = ctx.detections.clone();
    outcome.selected = targets.clone();
    writeln!(out, "{}", ctx.project_line())?;
    common::report_legacy(out, &ctx, &legacy, args.writing.dry_run || args.check)?;
    for (old, _) in &relocate {
        writeln!(
            out,
            "this project was at {old}: codeloop's record of it follows it here"
        )?;
    }
    report_detection(out, &ctx.detections, &targets, !args.scope.only.is_empty())?;
    if targets.is_empty() {
        if args.writing.dry_run {
            writeln!(out, "\ndry run: nothing was written")?;
        }
        return Ok(Exit::Ok);
    }

    let how = auth::Resolve {
        key_stdin: args.key_stdin,
        key_arg: args.key.as_ref().map(|k| k.0.as_str()),
        // Never prompt in a dry run, a check, --json or --yes.
        interactive: prompts,
    };
    let key = match auth::resolve_key_with(sys, &ctx.paths, how, &mut |n| {
        crate::render::notice(&n, out, err)
    }) {
        Ok(key) => key,
        Err(auth::AuthError::Cancelled { interrupted }) => {
            writeln!(out, "cancelled; nothing was written")?;
            return Ok(if interrupted {
                Exit::Signal(2)
            } else {
                Exit::Ok
            });
        }
        Err(e) => return Err(e.into()),
    };
    outcome.key = key
        .as_ref()
        .map(|(k, source)| report::key_of(&ctx.paths, k, source));
    // The key pasted or signed in with just now is saved whatever happens next.
    let saved_key = key.as_ref().and_then(|(_, source)| match source {
        KeySource::SignIn(p) | KeySource::Pasted(p) => Some(ctx.paths.display(p)),
        _ => None,
    });
    let key_text = key_text(
        out,
        &ctx,
        key.as_ref(),
        args.writing.dry_run || args.check,
        args.check,
    )?;

    let opts = crate::plan::Options {
        // Committed project files reference CODELOOP_API_KEY when this run sets it
        // (or an earlier one did), so `--only vscode` later does not flip it back.
        shell_env: targets.iter().any(|t| t.sets_env())
            || common::shell_env_configured(sys, &ctx.paths),
        ..common::options(sys, &ctx.paths, args.scope.global, false)
    };
    let mut plan = common::forward_plan(sys, &ctx, &targets, &key_text, &opts);
    common::add_run_warnings(sys, &ctx, &targets, &mut plan);
    // The outcome holds the plan from here on (its fields are borrowed apart).
    let plan: &Plan = outcome.plan.insert(plan);

    if args.check && key.is_none() && !plan.has_errors() {
        // No key here (an onboarding check in CI): the files are held to the key the
        // record says codeloop wrote last.
        let want = ctx.record.key.as_deref();
        let mut pending: Vec<String> = plan
            .targets
            .iter()
            .flat_map(|t| super::doctor::pieces(t, want))
            .filter(|(p, _)| *p != super::doctor::Piece::Current || want.is_none())
            .map(|(_, display)| display)
            .collect();
        pending.extend(
            plan.guard
                .iter()
                .filter(|g| g.after.is_some())
                .map(|g| g.display.clone()),
        );
        pending.dedup();
        if pending.is_empty() {
            writeln!(
                out,
                "
everything is configured with the key codeloop recorded; nothing to change"
            )?;
            return Ok(Exit::Ok);
        }
        if want.is_some() {
            writeln!(
                out,
                "\nthese files disagree with the key codeloop recorded:"
            )?;
        } else {
            writeln!(out, "\nthese files are not set up yet:")?;
        }
        for p in &pending {
            writeln!(out, "  {p}")?;
        }
        writeln!(out, "run `codeloop init` with your key to set them up")?;
        return Ok(Exit::Pending);
    }
    writeln!(out)?;
    let asks = prompts && key.is_some() && plan.has_changes() && !plan.has_errors();
    common::preview(
        sys,
        out,
        plan,
        &args.writing,
        false,
        asks,
        &crate::outcome::plan_notes(plan),
    )?;
    for warning in &plan.warnings {
        writeln!(err, "{YELLOW}warning:{YELLOW:#} {warning}")?;
    }

    if plan.has_errors() {
        common::report_errors(err, plan, saved_key.as_deref(), false)?;
        if args.json {
            bail!("{}", common::json_error(plan, false));
        }
        return Ok(Exit::Failed);
    }
    let record_notes = RecordNotes {
        key_fingerprint: key.as_ref().map(|(k, _)| record::fingerprint(k.expose())),
        legacy,
        relocate,
        ..RecordNotes::default()
    };
    if !plan.has_changes() {
        let migrating = !record_notes.legacy.is_empty() || !record_notes.relocate.is_empty();
        if (plan.records() || migrating) && !args.check && !args.writing.dry_run && key.is_some() {
            // Already configured (by hand, or a record lost): now codeloop knows.
            apply::apply(plan, &ctx.paths, sys.user_env.as_mut(), &record_notes)
                .map_err(|e| anyhow!("{}: {}", e.display, e.message))?;
        }
        writeln!(out, "\neverything is already configured; nothing to change")?;
        return Ok(Exit::Ok);
    }
    if args.check {
        writeln!(out, "\nchanges are pending:")?;
        for e in plan.edits().filter(|e| e.after.is_some()) {
            writeln!(out, "  {} ({})", e.display, e.status().word())?;
        }
        for e in plan
            .targets
            .iter()
            .flat_map(|t| &t.env_edits)
            .filter(|e| e.after.is_some())
        {
            writeln!(
                out,
                "  HKCU\\Environment\\{} ({})",
                e.name,
                e.status().word()
            )?;
        }
        writeln!(out, "run `codeloop init` to apply them")?;
        return Ok(Exit::Pending);
    }
    if args.writing.dry_run {
        writeln!(out, "\ndry run: nothing was written")?;
        return Ok(Exit::Ok);
    }
    if key.is_none() {
        bail!(no_key_message());
    }
    if !args.writing.yes {
        if args.json {
            bail!(
                "--json never prompts: pass --yes to apply, or --dry-run or --check to only plan"
            );
        }
        let answer = common::confirm(sys, out, "apply these changes?", false)?;
        if answer != Answer::Yes {
            match &saved_key {
                Some(file) => writeln!(
                    out,
                    "cancelled; your key was saved to {file}, but no configuration file was changed"
                )?,
                None => writeln!(out, "cancelled; nothing was written")?,
            }
            return Ok(if answer == Answer::Interrupted {
                Exit::Signal(2)
            } else {
                Exit::Ok
            });
        }
    }

    let spinner = render::Spinner::start(sys.stderr_tty, "writing");
    let result = apply::apply(plan, &ctx.paths, sys.user_env.as_mut(), &record_notes);
    drop(spinner);
    match result {
        Ok(written) => {
            outcome.applied = true;
            outcome.written = written.iter().map(|w| w.display.clone()).collect();
            common::report_written(out, &written)?;
            summary(out, plan)?;
            writeln!(out, "{}", ctx.project_line())?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            common::report_written(out, &e.written)?;
            outcome.written = e.written.iter().map(|w| w.display.clone()).collect();
            if let Some(signal) = e.signal {
                let red = render::RED.bold();
                writeln!(err, "{red}error:{red:#} {}", e.message)?;
                return Ok(Exit::Signal(signal as u8));
            }
            let what = if e.written.is_empty() {
                "nothing was written".to_owned()
            } else {
                "the files listed above were written, the rest were left as they were".to_owned()
            };
            Err(anyhow!("{}: {}; {what}", e.display, e.message))
        }
    }
}

/// `init --json`'s `mode`.
fn mode(args: &InitArgs) -> &'static str {
    if args.check {
        "check"
    } else if args.writing.dry_run {
        "dry-run"
    } else {
        "apply"
    }
}

fn no_key_message() -> String {
    auth::no_key_message("codeloop init")
}

/// The value written for the key: the key, or the placeholder in a key-less dry run
/// or check.
fn key_text(
    out: &mut dyn Write,
    ctx: &Context,
    key: Option<&(ApiKey, KeySource)>,
    may_lack: bool,
    check: bool,
) -> Result<String> {
    match key {
        // A check compares fingerprints; it shows no diffs to put a placeholder in.
        None if check && ctx.record.key.is_some() => {
            writeln!(
                out,
                "no API key here: checking the files against the key codeloop recorded"
            )?;
            Ok(PLACEHOLDER.to_owned())
        }
        None if check => {
            writeln!(
                out,
                "no API key here, and codeloop has recorded none on this machine"
            )?;
            Ok(PLACEHOLDER.to_owned())
        }
        Some((key, source)) => {
            writeln!(out, "{}", source.using(&ctx.paths, key))?;
            Ok(key.expose().to_owned())
        }
        None if may_lack => {
            writeln!(
                out,
                "{YELLOW}no API key configured yet: the diffs show a placeholder where your key will go{YELLOW:#}"
            )?;
            Ok(PLACEHOLDER.to_owned())
        }
        None => bail!(no_key_message()),
    }
}

/// What the person did with the picker.
enum Picked {
    These(Vec<Target>),
    /// Ctrl-C: the run ends with 130.
    Interrupted,
    /// Esc: declined.
    Escaped,
}

/// The multi-select of a person at a terminal: detected targets first, pre-selected.
fn select(
    sys: &mut Sys,
    detections: &[Detection],
    defaults: &[Target],
    skip: &[Target],
) -> Result<Picked> {
    let mut order: Vec<&Detection> = detections
        .iter()
        .filter(|d| !skip.contains(&d.target))
        .filter(|d| d.target != Target::WindowsEnv || sys.os == crate::sys::Os::Windows)
        .collect();
    order.sort_by_key(|d| !d.found());
    // "zsh — $SHELL is /bin/zsh": the evidence once, plainly; the targets not found
    // come after, each saying so (a separator row would be one more box to tick).
    let labels: Vec<String> = order
        .iter()
        .map(|d| match d.evidence.first() {
            Some(why) => format!("{} — {}", d.target.label(), why.replace('`', "")),
            None => format!("{} — not detected", d.target.label()),
        })
        .collect();
    let rows: Vec<Target> = order.iter().map(|d| d.target).collect();
    let chosen: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, t)| defaults.contains(t))
        .map(|(i, _)| i)
        .collect();
    let picked = match sys.select("set up which?", &labels, &chosen) {
        Ok(picked) => picked,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(Picked::Interrupted),
        Err(e) if crate::sys::is_escape(&e) => return Ok(Picked::Escaped),
        Err(e) => {
            return Err(anyhow!(
                "could not read your choice ({e}); pass --only LIST to choose without a prompt"
            ));
        }
    };
    let mut targets: Vec<Target> = picked.into_iter().map(|i| rows[i]).collect();
    targets.sort();
    Ok(Picked::These(targets))
}

fn report_detection(
    out: &mut dyn Write,
    detections: &[Detection],
    targets: &[Target],
    forced: bool,
) -> io::Result<()> {
    for d in detections {
        let chosen = targets.contains(&d.target);
        if d.found() {
            let note = match (chosen, d.used) {
                (true, _) => "",
                (false, true) => " (not selected)",
                (false, false) => " (installed, not set up unless you choose it)",
            };
            writeln!(
                out,
                "found {}: {}{note}",
                d.target.label(),
                d.evidence.join("; ")
            )?;
        } else if chosen && forced {
            writeln!(
                out,
                "{}: not detected, configuring it because of --only",
                d.target.label()
            )?;
        }
    }
    if targets.is_empty() {
        let unused: Vec<String> = detections
            .iter()
            .filter(|d| d.found())
            .map(|d| format!("--only {}", d.target.name()))
            .collect();
        if !unused.is_empty() {
            writeln!(
                out,
                "nothing selected to configure; to set up what was found anyway, pass {}",
                crate::render::listed(&unused, "or")
            )?;
        } else {
            let names: Vec<String> = Target::all()
                .into_iter()
                .filter(|t| *t != Target::WindowsEnv)
                .map(|t| format!("--only {}", t.name()))
                .collect();
            writeln!(
                out,
                "no supported editor or shell found; to configure one anyway, pass {}",
                crate::render::listed(&names, "or")
            )?;
        }
    }
    Ok(())
}

/// At a glance: what changed, what was fine, what to restart.
fn summary(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let fine: Vec<&str> = plan
        .targets
        .iter()
        .filter(|t| !t.has_changes())
        .map(|t| t.target.label())
        .collect();
    if !fine.is_empty() {
        writeln!(out, "already configured: {}", fine.join(", "))?;
    }
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
