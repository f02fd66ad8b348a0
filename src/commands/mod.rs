//! One module per subcommand: orchestration only, no parsing or file editing.

pub mod account;
pub mod auth;
mod common;
pub mod doctor;
pub mod init;
pub mod uninstall;
pub mod update;

use std::io::Write;

use clap::CommandFactory;

use crate::Exit;
use crate::cli::Cli;

/// `codeloop completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "codeloop", out);
    Ok(Exit::Ok)
}
