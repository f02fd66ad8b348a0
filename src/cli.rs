//! The command line, as clap derive types. No logic lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::target::Target;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  done, or nothing to do
  1  error (nothing was applied if planning failed)
  2  usage error";

#[derive(Debug, Parser)]
#[command(
    name = "codeloop",
    version,
    about = "Wire the CodeLoop MCP server and your API key into your editors, safely.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Configure the CodeLoop MCP server in the editors you use (previewed as diffs).
    #[command(after_help = EXIT_CODES)]
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project to configure [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Print the diff of every change and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Apply without asking (required when stdin is not a terminal or CI is set).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Configure only these targets, detected or not (comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub only: Vec<Target>,

    /// Leave these targets alone (comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub skip: Vec<Target>,

    /// Configure user-level files instead of the project's (~/.cursor/mcp.json,
    /// Claude Code's user scope).
    #[arg(long)]
    pub global: bool,

    /// Show the API key unmasked in diffs.
    #[arg(long)]
    pub show_secrets: bool,
}
