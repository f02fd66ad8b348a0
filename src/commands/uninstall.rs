//! `codeloop uninstall`: the reverse edits of every writer, previewed like `init`.

use std::io::Write;

use anyhow::{Result, anyhow};

use super::common::{self, Context};
use crate::Exit;
use crate::apply;
use crate::auth;
use crate::cli::UninstallArgs;
use crate::render;
use crate::sys::Sys;
use crate::target::Target;

pub fn run(
    args: &UninstallArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let ctx = Context::new(sys, args.scope.project.as_deref())?;
    // Every target, detected or not: what init added must go even if the app did.
    let targets = common::choose(
        sys,
        &args.scope.only,
        &args.scope.skip,
        Target::ALL.iter().copied(),
    )?;
    // The key only decides whether the registry value is ours; a bad one is no reason
    // to keep codeloop's files around.
    let key = auth::resolve_key(sys, &ctx.paths).ok().flatten();
    let opts = common::options(sys, &ctx.paths, args.scope.global, true);
    let plan = common::reverse_plan(
        sys,
        &ctx,
        &targets,
        key.as_ref().map(|(k, _)| k.expose()),
        &opts,
    );

    render::preview_with(&plan, out, args.writing.show_secrets, true)?;
    if plan.has_errors() {
        common::report_errors(err, &plan)?;
        return Ok(Exit::Failed);
    }
    if !plan.has_changes() {
        writeln!(out, "nothing of codeloop's found; nothing to remove")?;
        return Ok(Exit::Ok);
    }
    if args.writing.dry_run {
        writeln!(out, "\ndry run: nothing was removed")?;
        return Ok(Exit::Ok);
    }
    if !args.writing.yes && !common::confirm(sys, out, "remove these?")? {
        writeln!(out, "cancelled; nothing was removed")?;
        return Ok(Exit::Ok);
    }
    let result = apply::apply(&plan, &ctx.paths, sys.user_env.as_mut());
    // `~/.codeloop` goes too once only our lock is left in it (config.json, the key
    // `codeloop auth` saved, stays until you delete it).
    apply::remove_codeloop_dir_if_unused(&ctx.paths);
    match result {
        Ok(written) => {
            common::report_written(out, &written)?;
            writeln!(
                out,
                "codeloop's entries, blocks and files are gone; restart your editors and shells to drop the server and CODELOOP_API_KEY"
            )?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            common::report_written(out, &e.written)?;
            Err(anyhow!(
                "{}: {}; the files listed above were changed, the rest were left as they were",
                e.display,
                e.message
            ))
        }
    }
}
