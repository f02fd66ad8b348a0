//! codeloop: wires the CodeLoop MCP server and API key into editors and shells.
//! `run` is the whole program minus argument parsing, so tests can drive it in-process.

pub mod api;
pub mod apply;
pub mod auth;
pub mod checks;
pub mod cli;
pub mod clients;
pub mod commands;
pub mod detect;
pub mod dirs;
pub mod edit;
pub mod fsx;
pub mod git;
pub mod migrate;
pub mod outcome;
pub mod paths;
pub mod plan;
pub mod record;
pub mod render;
pub mod report;
pub mod secret;
pub mod shells;
pub mod sys;
pub mod target;

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::sys::Sys;

/// A failure the user caused by how they called us: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    /// Something was reported to the user already; exit 1 without another message.
    Failed,
    /// A usage error already reported (in a `--json` document); exit 2.
    Usage,
    /// `init --check` found changes to make; exit 3.
    Pending,
    /// Ended by this signal (Ctrl-C at a prompt is SIGINT): exit 128 + it.
    Signal(u8),
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Pending => 3,
            Exit::Signal(n) => 128u8.saturating_add(n),
        }
    }
}

/// The `--json` document of a command line clap refused (an unknown flag, a bad
/// `--only` value), for `init` and `uninstall`: scripts that pass `--json` get their
/// one document (exit 2, `error` holding clap's message) instead of text. `None` for
/// other commands, or without `--json`.
pub fn usage_error_document(args: &[std::ffi::OsString], error: &clap::Error) -> Option<String> {
    let words: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    if !words.contains(&"--json") {
        return None;
    }
    let has = |flag: &str| words.contains(&flag);
    // clap's text on one line: what is wrong, the values and the tip, without the
    // usage block and the pointer to --help.
    let message = error
        .render()
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
        .map(|l| l.trim_start_matches("error: "))
        .collect::<Vec<_>>()
        .join("; ");
    let outcome = outcome::Outcome::default();
    let doc = match words.first().copied() {
        Some("init") => {
            let mode = if has("--check") {
                "check"
            } else if has("--dry-run") {
                "dry-run"
            } else {
                "apply"
            };
            report::init(mode, &outcome, Exit::Usage, Some(message))
        }
        Some("uninstall") => {
            let mode = if has("--dry-run") { "dry-run" } else { "apply" };
            let reach = if has("--all") {
                "all"
            } else if has("--global") {
                "global"
            } else {
                "project"
            };
            report::uninstall(mode, reach, &outcome, Exit::Usage, Some(message))
        }
        _ => return None,
    };
    Some(report::to_text(&doc, false))
}

pub fn run(cli: Cli, sys: &mut Sys, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    ExitCode::from(run_code(cli, sys, out, err))
}

/// [`run`], as the number the process exits with (for tests driving it in-process).
pub fn run_code(cli: Cli, sys: &mut Sys, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match cli.command {
        Command::Init(args) => commands::init::run(&args, sys, out, err),
        Command::Uninstall(args) => commands::uninstall::run(&args, sys, out, err),
        Command::Doctor(args) => commands::doctor::run(&args, sys, out),
        Command::Auth(args) => commands::auth::run(&args, sys, out, err),
        Command::Login(args) => commands::account::login(&args, sys, out),
        Command::Logout => commands::account::logout(sys, out),
        Command::Signup(args) => commands::account::signup(&args, sys, out),
        Command::Keys(args) => commands::account::keys(&args, sys, out, err),
        Command::Update(args) => commands::update::run(&args, sys, out),
        Command::Completions { shell } => commands::completions(shell, out),
    };
    match result {
        Ok(exit) => exit.code(),
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            // The reader went away (`| head`): nothing more to say, and no one to say it to.
            1
        }
        Err(e) => {
            let message = auth::mask_secrets(&format!("{e:#}")).into_owned();
            let _ = writeln!(
                err,
                "{}error:{} {message}",
                render::RED.bold().render(),
                render::RED.bold().render_reset()
            );
            if e.downcast_ref::<UsageError>().is_some() {
                2
            } else {
                1
            }
        }
    }
}
