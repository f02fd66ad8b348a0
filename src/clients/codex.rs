//! Codex CLI. `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`) and a trusted
//! project's `.codex/config.toml`; `[mcp_servers.<name>]` tables with `command`,
//! `args`, `env`, and `env_vars` naming variables to forward (Codex docs,
//! "config.md"). `codex mcp list --json` lists them offline (verified).

use std::path::PathBuf;

use super::{Client, EnvReference, Evidence, Lister, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

fn home(d: &Dirs) -> PathBuf {
    d.var_dir("CODEX_HOME", d.in_home(".codex"))
}

pub static CLIENT: Client = Client {
    id: "codex",
    label: "Codex CLI",
    evidence: &[
        Evidence::ProjectDir(".codex"),
        Evidence::Dir(home),
        Evidence::Binary("codex"),
        Evidence::App {
            mac: &["Codex.app"],
            windows: &[],
            linux: &[],
        },
    ],
    user_files: |d| vec![home(d).join("config.toml")],
    project: Some(ProjectFile::Rel(".codex/config.toml")),
    syntax: Syntax::Toml,
    servers: &["mcp_servers"],
    shape: Shape::STANDARD,
    env_reference: Some(EnvReference::Forward("env_vars")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new Codex session (`codex mcp list` shows the server)",
    lister: Some(Lister {
        package: "@openai/codex",
        bin: "codex",
        args: &["mcp", "list", "--json"],
        stderr: false,
    }),
};
