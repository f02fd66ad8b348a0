//! `codeloop uninstall`: reverses what the record says codeloop did — in this project,
//! in the user-level configs (`--global`) or everywhere (`--all`) — previewed like
//! `init`. Nothing the record does not list is touched.

use std::io::Write;

use anyhow::{Result, anyhow, bail};

use super::common::{self, Answer, Context, Reach};
use crate::apply::{self, RecordNotes};
use crate::cli::UninstallArgs;
use crate::render;
use crate::report;
use crate::sys::Sys;
use crate::target::Target;
use crate::{Exit, UsageError};

pub fn run(
    args: &UninstallArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    if !args.json {
        return run_inner(args, sys, out, err, None);
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
    let mut doc = report::uninstall_document(mode, reach);
    let result = run_inner(
        args,
        sys,
        &mut std::io::sink(),
        &mut std::io::sink(),
        Some(&mut doc),
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
    doc.insert("ok".into(), (exit == Exit::Ok).into());
    doc.insert("exitCode".into(), exit.code().into());
    writeln!(
        out,
        "{}",
        report::to_text(&doc.into(), args.writing.show_secrets)
    )?;
    Ok(exit)
}

fn run_inner(
    args: &UninstallArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
    mut doc: Option<&mut serde_json::Map<String, serde_json::Value>>,
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

    let kept: Vec<String> = plan
        .targets
        .iter()
        .flat_map(|t| t.notes().map(|(file, n)| format!("{file}: {n}")))
        .chain(notes)
        .collect();
    // --json never asks, so it never pages either.
    let asks = doc.is_none()
        && sys.interactive()
        && !(args.writing.yes || args.writing.dry_run)
        && plan.has_changes()
        && !plan.has_errors();
    common::preview(sys, out, &plan, &args.writing, true, asks, &kept)?;
    if let Some(doc) = doc.as_deref_mut() {
        doc.insert(
            "project".into(),
            ctx.paths.project.to_string_lossy().into_owned().into(),
        );
        doc.insert(
            "targets".into(),
            report::targets(&ctx.detections, &targets, Some(&plan)).into(),
        );
        doc.insert("notes".into(), kept.clone().into());
    }
    if plan.has_errors() {
        common::report_errors(err, &plan, None, true)?;
        if doc.is_some() {
            bail!("{}", common::json_error(&plan, true));
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
                apply::apply(&plan, &ctx.paths, sys.user_env.as_mut(), &notes_for_record)
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
        if doc.is_some() {
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
    let result = apply::apply(&plan, &ctx.paths, sys.user_env.as_mut(), &notes_for_record);
    // `~/.codeloop` goes too once only our lock is left in it (config.json, the key
    // `codeloop auth` saved, stays until you delete it).
    apply::remove_codeloop_dir_if_unused(&ctx.paths);
    if let Some(doc) = doc {
        let listed = match &result {
            Ok(written) => written,
            Err(e) => &e.written,
        };
        let files: Vec<String> = listed.iter().map(|w| w.display.clone()).collect();
        doc.insert("applied".into(), result.is_ok().into());
        doc.insert("written".into(), files.into());
    }
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
