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

/// What of codeloop's a run leaves, and why, for its closing line: within its reach,
/// the shells' `CODELOOP_API_KEY` that other projects' files refer to and what the
/// user changed since (the notes name both); beyond it, projects' files.
struct Remains {
    kept: Vec<String>,
    beyond: Vec<String>,
}

impl Remains {
    fn of(ctx: &Context, plan: &Plan, reach: Reach, kept_for: &[String]) -> Remains {
        let mut kept = Vec::new();
        if !kept_for.is_empty() {
            kept.push(format!(
                "CODELOOP_API_KEY for your shells, which the files of {} still refer to (see the note above)",
                kept_for.join(", ")
            ));
        }
        if plan.keeps() {
            kept.push("what you changed since codeloop wrote it (named in the notes above)".into());
        }
        let mut beyond = Vec::new();
        match reach {
            Reach::Global if ctx.record.changes().any(|(_, c)| c.project.is_some()) => {
                beyond.push(
                    "what codeloop set up in projects stays (`codeloop uninstall` in each, or `codeloop uninstall --all`)"
                        .to_owned(),
                );
            }
            Reach::All if !ctx.gone_projects().is_empty() => {
                beyond.push(
                    "what codeloop wrote in projects that are gone from here stays (see the note above)"
                        .to_owned(),
                );
            }
            _ => {}
        }
        Remains { kept, beyond }
    }

    /// The end of a sentence saying what went: `, except …; … stays`.
    fn tail_gone(&self) -> String {
        let mut text = String::new();
        if !self.kept.is_empty() {
            text.push_str(", except ");
            text.push_str(&self.kept.join(" and "));
        }
        for b in &self.beyond {
            text.push_str("; ");
            text.push_str(b);
        }
        text
    }

    /// The end of a sentence saying nothing went: `; kept: …; … stays`.
    fn tail_kept(&self) -> String {
        let mut text = String::new();
        if !self.kept.is_empty() {
            text.push_str("; kept: ");
            text.push_str(&self.kept.join("; "));
        }
        for b in &self.beyond {
            text.push_str("; ");
            text.push_str(b);
        }
        text
    }
}

/// What to restart to drop what this plan removes: editors for a client's entry,
/// shells for `CODELOOP_API_KEY`.
fn restart(plan: &Plan) -> Option<&'static str> {
    let removed = |pick: fn(Target) -> bool| {
        plan.targets
            .iter()
            .filter(|t| pick(t.target))
            .any(|t| t.has_changes())
    };
    let editors = removed(|t| t.client().is_some());
    let shells = removed(|t| t.is_shell() || t == Target::WindowsEnv);
    match (editors, shells) {
        (true, true) => {
            Some("restart your editors and shells to drop the server and CODELOOP_API_KEY")
        }
        (true, false) => Some("restart your editors to drop the server"),
        (false, true) => Some(
            "open a new terminal (and restart what you started from the old one) to drop CODELOOP_API_KEY",
        ),
        (false, false) => None,
    }
}

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
    let (plan, notes, kept_for) = common::reverse_plan(sys, &ctx, &targets, reach);
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
    let remains = Remains::of(&ctx, plan, reach, &kept_for);
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
                "nothing of codeloop's is left in the files {what}; codeloop forgets them{}",
                remains.tail_kept()
            )?;
        } else if remains.kept.is_empty() {
            writeln!(
                out,
                "codeloop has nothing recorded {what}; nothing to remove{}",
                remains.tail_kept()
            )?;
        } else {
            writeln!(out, "nothing to remove {what}{}", remains.tail_kept())?;
        }
        // What an earlier run left once the person deleted the saved key (the lock,
        // an empty record, codeloop's .gitignore) goes with nothing else in it.
        if !args.writing.dry_run {
            apply::remove_codeloop_dir_if_unused(&ctx.paths);
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
            let gone = match reach {
                Reach::All => "everything codeloop set up on this machine is gone",
                Reach::Global => "what codeloop set up in your user-level configs is gone",
                Reach::Project => "what codeloop set up for this project is gone",
            };
            writeln!(out, "{gone}{}", remains.tail_gone())?;
            if let Some(restart) = restart(plan) {
                writeln!(out, "next: {restart}")?;
            }
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
