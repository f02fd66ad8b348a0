//! `codeloop init`: detect, resolve the key, plan, preview, confirm, apply, report.

use std::io::{self, Write};

use anyhow::{Result, anyhow, bail};
use serde_json::json;

use super::common::{self, Context};
use crate::apply;
use crate::auth::{self, ApiKey, KeySource, PLACEHOLDER};
use crate::cli::{InitArgs, Scope, Writing};
use crate::detect::Detection;
use crate::plan::Plan;
use crate::render::{self, YELLOW};
use crate::report;
use crate::sys::Sys;
use crate::target::Target;
use crate::{Exit, UsageError};

pub fn run(
    args: &InitArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    if args.key.is_some() {
        auth::warn_key_argument(err, args.key_stdin);
    }
    if args.json {
        // One document, whatever happens: errors go into it too.
        let mut doc = serde_json::Map::new();
        let result = run_inner(
            args,
            sys,
            &mut io::sink(),
            &mut io::sink(),
            Some(&mut doc),
            None,
        );
        let exit = match &result {
            Ok(exit) => *exit,
            Err(e) => {
                doc.insert("error".into(), format!("{e:#}").into());
                if e.downcast_ref::<UsageError>().is_some() {
                    Exit::Usage
                } else {
                    Exit::Failed
                }
            }
        };
        doc.insert("ok".into(), matches!(exit, Exit::Ok | Exit::Pending).into());
        doc.insert("exitCode".into(), exit.code().into());
        writeln!(
            out,
            "{}",
            report::to_text(&doc.into(), args.writing.show_secrets)
        )?;
        return Ok(exit);
    }
    run_inner(args, sys, out, err, None, None)
}

/// After `codeloop auth --rotate` saved `key`: plans `init` again with it, in the
/// project and then in the user-level configs, for every target that already holds
/// something of codeloop's (detected or not), so no configured file keeps the old
/// key. Shows the diffs; applies with `yes` or on confirmation.
pub fn rekey(
    sys: &mut Sys,
    key: &(ApiKey, KeySource),
    project: Option<&std::path::Path>,
    yes: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let mut worst = Exit::Ok;
    for global in [false, true] {
        let args = InitArgs {
            scope: Scope {
                project: project.map(std::path::Path::to_path_buf),
                global,
                ..Scope::default()
            },
            writing: Writing {
                yes,
                ..Writing::default()
            },
            json: false,
            check: false,
            key_stdin: false,
            key: None,
        };
        let scope = if global {
            "your user-level configs"
        } else {
            "this project"
        };
        writeln!(out, "\nupdating {scope} to the new key:")?;
        match run_inner(&args, sys, out, err, None, Some(key)) {
            Ok(Exit::Ok) => {}
            Ok(exit) => worst = exit,
            Err(e) => {
                let red = render::RED.bold();
                let message = auth::mask_secrets(&format!("{e:#}")).into_owned();
                writeln!(err, "{red}error:{red:#} {message}")?;
                worst = Exit::Failed;
            }
        }
    }
    Ok(worst)
}

fn run_inner(
    args: &InitArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
    mut doc: Option<&mut serde_json::Map<String, serde_json::Value>>,
    preset: Option<&(ApiKey, KeySource)>,
) -> Result<Exit> {
    if let Some(doc) = doc.as_deref_mut() {
        doc.insert("command".into(), "init".into());
        let mode = if args.check {
            "check"
        } else if args.writing.dry_run {
            "dry-run"
        } else {
            "apply"
        };
        doc.insert("mode".into(), mode.into());
        doc.insert("applied".into(), false.into());
    }
    let ctx = Context::new(sys, args.scope.project.as_deref())?;
    let defaults = ctx
        .detections
        .iter()
        .filter(|d| d.chosen_by_default())
        .map(|d| d.target);
    let mut targets = if preset.is_some() {
        // Re-keying: every target (of this OS) is a candidate; those holding nothing
        // of ours are dropped below.
        common::choose(sys, &[], &[], Target::ALL.iter().copied())?
    } else {
        common::choose(sys, &args.scope.only, &args.scope.skip, defaults)?
    };
    let prompts =
        sys.interactive() && !(args.writing.yes || args.json || args.check || args.writing.dry_run);
    if prompts && args.scope.only.is_empty() && preset.is_none() {
        targets = select(sys, &ctx.detections, &targets, &args.scope.skip)?;
    }
    if let Some(doc) = doc.as_deref_mut() {
        doc.insert(
            "project".into(),
            ctx.paths.project.to_string_lossy().into_owned().into(),
        );
        doc.insert(
            "targets".into(),
            report::targets(&ctx.detections, &targets, None).into(),
        );
    }
    if preset.is_none() {
        report_detection(out, &ctx.detections, &targets, !args.scope.only.is_empty())?;
    }
    if targets.is_empty() {
        return Ok(Exit::Ok);
    }

    let key = match preset {
        Some(found) => Some(found.clone()),
        None => {
            let how = auth::Resolve {
                key_stdin: args.key_stdin,
                key_arg: args.key.as_ref().map(|k| k.0.as_str()),
                // Never prompt in a dry run, a check, --json or --yes.
                interactive: prompts,
            };
            auth::resolve_key_with(sys, &ctx.paths, how, out, err)?
        }
    };
    if let Some(doc) = doc.as_deref_mut() {
        doc.insert("key".into(), report::key(&ctx.paths, key.as_ref()));
    }
    let key_text = key_text(out, &ctx, key.as_ref(), args.writing.dry_run)?;

    let opts = crate::plan::Options {
        // Committed project files reference CODELOOP_API_KEY when this run sets it.
        // (or already set it), so `--only vscode` later does not flip it back.
        shell_env: targets
            .iter()
            .any(|t| t.is_shell() || *t == Target::WindowsEnv)
            || common::shell_env_configured(sys, &ctx.paths),
        ..common::options(sys, &ctx.paths, args.scope.global, false)
    };
    let mut plan = common::forward_plan(sys, &ctx, &targets, &key_text, &opts);
    if preset.is_some() {
        targets.retain(|t| {
            plan.targets
                .iter()
                .any(|tp| tp.target == *t && holds_codeloop(tp))
        });
        if targets.is_empty() {
            writeln!(out, "nothing here holds a CodeLoop key; nothing to update")?;
            return Ok(Exit::Ok);
        }
        plan = common::forward_plan(sys, &ctx, &targets, &key_text, &opts);
    }
    if let Some(doc) = doc.as_deref_mut() {
        doc.insert(
            "targets".into(),
            report::targets(&ctx.detections, &targets, Some(&plan)).into(),
        );
        doc.insert(
            "gitignore".into(),
            plan.guard
                .as_ref()
                .map_or(serde_json::Value::Null, report::file_change),
        );
        doc.insert("warnings".into(), plan.warnings.clone().into());
    }

    writeln!(out)?;
    render::preview(&plan, out, args.writing.show_secrets)?;
    for warning in &plan.warnings {
        writeln!(err, "{YELLOW}warning:{YELLOW:#} {warning}")?;
    }

    if plan.has_errors() {
        common::report_errors(err, &plan)?;
        if doc.is_some() {
            bail!("{}", first_error(&plan));
        }
        return Ok(Exit::Failed);
    }
    if !plan.has_changes() {
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
    if preset.is_some() && !args.writing.yes && !sys.interactive() {
        bail!(
            "the new key is saved, but these files still hold the old one: run `codeloop init --yes{}` to update them",
            if args.scope.global { " --global" } else { "" }
        );
    }
    if !args.writing.yes {
        if args.json {
            bail!(
                "--json never prompts: pass --yes to apply, or --dry-run or --check to only plan"
            );
        }
        if !common::confirm(sys, out, "apply these changes?")? {
            writeln!(out, "cancelled; nothing was written")?;
            return Ok(Exit::Ok);
        }
    }

    let spinner = render::Spinner::start(sys.stderr_tty, "writing");
    let result = apply::apply(&plan, &ctx.paths, sys.user_env.as_mut());
    drop(spinner);
    match result {
        Ok(written) => {
            if let Some(doc) = doc.as_deref_mut() {
                doc.insert("applied".into(), true.into());
            }
            common::report_written(out, &written)?;
            summary(out, &plan)?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            common::report_written(out, &e.written)?;
            if let Some(doc) = doc {
                let written: Vec<String> = e.written.iter().map(|w| w.display.clone()).collect();
                doc.insert("written".into(), json!(written));
            }
            Err(anyhow!(
                "{}: {}; the files listed above were written, the rest were left as they were",
                e.display,
                e.message
            ))
        }
    }
}

fn no_key_message() -> String {
    auth::no_key_message("codeloop init")
}

/// Whether any of the target's files already holds something of codeloop's.
fn holds_codeloop(t: &crate::plan::TargetPlan) -> bool {
    t.edits.iter().any(|e| e.op.present(e.before.as_deref()))
        || t.env_edits.iter().any(|e| e.before.is_some())
}

/// The value written for the key: the key, or the placeholder in a key-less dry run.
fn key_text(
    out: &mut dyn Write,
    ctx: &Context,
    key: Option<&(ApiKey, KeySource)>,
    dry_run: bool,
) -> Result<String> {
    match key {
        Some((key, source)) => {
            writeln!(
                out,
                "using the API key from {} ({key})",
                source.describe(&ctx.paths)
            )?;
            Ok(key.expose().to_owned())
        }
        None if dry_run => {
            writeln!(
                out,
                "{YELLOW}no API key configured yet: the diffs show a placeholder where your key will go{YELLOW:#}"
            )?;
            Ok(PLACEHOLDER.to_owned())
        }
        None => bail!(no_key_message()),
    }
}

fn first_error(plan: &Plan) -> String {
    plan.targets
        .iter()
        .flat_map(|t| {
            t.errors
                .iter()
                .map(move |e| format!("{}; fix it, or pass --skip {}", e.message, t.target.name()))
        })
        .chain(plan.guard_error.iter().map(|e| e.message.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The multi-select of a person at a terminal: detected targets first, pre-selected.
fn select(
    sys: &mut Sys,
    detections: &[Detection],
    defaults: &[Target],
    skip: &[Target],
) -> Result<Vec<Target>> {
    let mut order: Vec<&Detection> = detections
        .iter()
        .filter(|d| !skip.contains(&d.target))
        .filter(|d| d.target != Target::WindowsEnv || sys.os == crate::sys::Os::Windows)
        .collect();
    order.sort_by_key(|d| !d.found());
    let labels: Vec<String> = order
        .iter()
        .map(|d| {
            if d.found() {
                format!("{} ({})", d.target.label(), d.evidence[0])
            } else {
                format!("{} (not detected)", d.target.label())
            }
        })
        .collect();
    let chosen: Vec<usize> = order
        .iter()
        .enumerate()
        .filter(|(_, d)| defaults.contains(&d.target))
        .map(|(i, _)| i)
        .collect();
    let picked = sys
        .select("configure which?", &labels, &chosen)
        .map_err(|e| {
            anyhow!("could not read your choice ({e}); pass --only LIST to choose without a prompt")
        })?;
    let mut targets: Vec<Target> = picked.into_iter().map(|i| order[i].target).collect();
    targets.sort();
    Ok(targets)
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
            let note = if chosen { "" } else { " (not selected)" };
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
        if detections.iter().any(Detection::found) {
            writeln!(out, "nothing selected to configure")?;
        } else {
            let names: Vec<String> = Target::ALL
                .iter()
                .filter(|t| **t != Target::WindowsEnv)
                .map(|t| format!("--only {}", t.name()))
                .collect();
            writeln!(
                out,
                "no supported editor or shell found; to configure one anyway, pass {}",
                names.join(" or ")
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
