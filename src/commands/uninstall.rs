//! `codeloop uninstall`: reverses what the record says codeloop did — in this project,
//! in the user-level configs (`--global`) or everywhere (`--all`) — previewed like
//! `init`. Nothing the record does not list is touched.

use std::io::Write;

use anyhow::{Result, anyhow, bail};

use super::common::{self, Answer, Context, Reach};
use crate::Exit;
use crate::apply::{self, RecordNotes};
use crate::cli::UninstallArgs;
use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::render;
use crate::report;
use crate::sys::Sys;
use crate::target::Target;

pub fn run(
    args: &UninstallArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let mut outcome = Outcome::default();
    if !args.json {
        return run_inner(args, sys, out, err, &mut outcome);
    }
    // One document, whatever happens (as `init --json`).
    let mode = if args.writing.dry_run {
        "dry-run"
    } else {
        "apply"
    };
    let reach = if args.all {
        "all"
    } else if args.scope.global {
        "global"
    } else {
        "project"
    };
    let result = run_inner(
        args,
        sys,
        &mut std::io::sink(),
        &mut std::io::sink(),
        &mut outcome,
    );
    let (exit, error) = common::exit_of(result);
    let doc = report::uninstall(mode, reach, &outcome, exit, error);
    writeln!(out, "{}", report::to_text(&doc, args.writing.show_secrets))?;
    Ok(exit)
}

fn run_inner(
    args: &UninstallArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
    outcome: &mut Outcome,
) -> Result<Exit> {
    let mut ctx = Context::new(sys, args.scope.project.as_deref())?;
    let legacy = ctx.migrate(sys);
    let relocate = ctx.relocate();
    // Every target, detected or not: what init added must go even if the app did.
    let targets = common::choose(
        sys,
        &args.scope.only,
        &args.scope.skip,
        Target::all().into_iter(),
    )?;
    let reach = if args.all {
        Reach::All
    } else if args.scope.global {
        Reach::Global
    } else {
        Reach::Project
    };
    if reach != Reach::All {
        writeln!(out, "{}", ctx.project_line())?;
    }
    common::report_legacy(out, &ctx, &legacy, args.writing.dry_run)?;
    for (old, _) in &relocate {
        writeln!(
            out,
            "this project was at {old}: codeloop's record of it follows it here"
        )?;
    }
    if reach == Reach::All {
        let gone = ctx.gone_projects();
        if !gone.is_empty() {
            writeln!(
                out,
                "note: these projects codeloop set up are gone (moved or deleted), so what it wrote in them cannot be reached from here: {}; if one was moved, run `codeloop uninstall` in its new place",
                gone.join(", ")
            )?;
        }
    }
    let notes_for_record = RecordNotes {
        legacy,
        relocate,
        ..RecordNotes::default()
    };
    let (plan, notes) = common::reverse_plan(sys, &ctx, &targets, reach);
    outcome.project = Some(ctx.paths.project.clone());
    outcome.selected = targets.clone();
    let mut kept = crate::outcome::plan_notes(&plan);
    kept.extend(notes.iter().cloned());
    outcome.notes = notes;
    let plan: &Plan = outcome.plan.insert(plan);
    // --json never asks, so it never pages either.
    let asks = !args.json
        && sys.interactive()
        && !(args.writing.yes || args.writing.dry_run)
        && plan.has_changes()
        && !plan.has_errors();
    common::preview(sys, out, plan, &args.writing, true, asks, &kept)?;
    if plan.has_errors() {
        common::report_errors(err, plan, None, true)?;
        if args.json {
            bail!("{}", common::json_error(plan, true));
        }
        return Ok(Exit::Failed);
    }
    if !plan.has_changes() {
        let what = match reach {
            Reach::All => "on this machine",
            Reach::Global => "in your user-level configs",
            Reach::Project => "for this project",
        };
        if plan.records() {
            // Only the record changes: a target's share of a file others still use,
            // or files that are gone since.
            if !args.writing.dry_run {
                apply::apply(plan, &ctx.paths, sys.user_env.as_mut(), &notes_for_record)
                    .map_err(|e| anyhow!("{}: {}", e.display, e.message))?;
                apply::remove_codeloop_dir_if_unused(&ctx.paths);
            }
            writeln!(
                out,
                "nothing of codeloop's is left in the files {what}; codeloop forgets them"
            )?;
        } else {
            writeln!(
                out,
                "codeloop has nothing recorded {what}; nothing to remove"
            )?;
        }
        return Ok(Exit::Ok);
    }
    if args.writing.dry_run {
        writeln!(out, "\ndry run: nothing was removed")?;
        return Ok(Exit::Ok);
    }
    if !args.writing.yes {
        if args.json {
            bail!("--json never prompts: pass --yes to remove, or --dry-run to only plan");
        }
        match common::confirm(sys, out, "remove these?", true)? {
            Answer::Yes => {}
            answer => {
                writeln!(out, "cancelled; nothing was removed")?;
                return Ok(if answer == Answer::Interrupted {
                    Exit::Signal(2)
                } else {
                    Exit::Ok
                });
            }
        }
    }
    let result = apply::apply(plan, &ctx.paths, sys.user_env.as_mut(), &notes_for_record);
    // `~/.codeloop` goes too once only our lock is left in it (config.json, the key
    // `codeloop auth` saved, stays until you delete it).
    apply::remove_codeloop_dir_if_unused(&ctx.paths);
    let listed = match &result {
        Ok(written) => written,
        Err(e) => &e.written,
    };
    outcome.written = listed.iter().map(|w| w.display.clone()).collect();
    outcome.applied = result.is_ok();
    match result {
        Ok(written) => {
            common::report_written(out, &written)?;
            writeln!(
                out,
                "codeloop's entries, blocks and files are gone; restart your editors and shells to drop the server and CODELOOP_API_KEY"
            )?;
            if reach == Reach::All {
                writeln!(
                    out,
                    "this machine's key still works until you revoke it: revoke it on your CodeLoop dashboard (API keys), and delete {} if you no longer need it here",
                    ctx.paths.display(&ctx.paths.config_json)
                )?;
            }
            Ok(Exit::Ok)
        }
        Err(e) => {
            common::report_written(out, &e.written)?;
            if let Some(signal) = e.signal {
                let red = render::RED.bold();
                writeln!(err, "{red}error:{red:#} {}", e.message)?;
                return Ok(Exit::Signal(signal as u8));
            }
            let what = if e.written.is_empty() {
                "nothing was changed"
            } else {
                "the files listed above were changed, the rest were left as they were"
            };
            Err(anyhow!("{}: {}; {what}", e.display, e.message))
        }
    }
}
