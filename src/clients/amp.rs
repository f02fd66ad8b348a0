//! Amp (the `amp` CLI, npm `@ampcode/cli`, formerly `@sourcegraph/amp`). User
//! settings `${XDG_CONFIG_HOME:-~/.config}/amp/settings.json`, or `settings.jsonc`
//! when only that exists (`settings.json` wins when both do); workspace settings
//! `.amp/settings.json` (or `.jsonc`). Servers live under the literal root key
//! `"amp.mcpServers"` (a key containing a dot), entries of `command`/`args`/`env`.
//! All of this is what `amp mcp add [--workspace]` writes and `amp mcp list` reads
//! (verified with `@ampcode/cli` 0.0.1790142911: comments and trailing commas are
//! read; `${VAR}` — not `$VAR` or `${env:VAR}` — is expanded in `args` and `env` when a
//! server starts, checked with `amp mcp doctor`; workspace servers wait for `amp mcp
//! approve <name>`). Windows (`%USERPROFILE%\.config\amp`) is from Amp's docs as
//! quoted by others, not checked.

use std::path::PathBuf;

use super::{Client, EnvReference, Evidence, Lister, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

fn config_dir(d: &Dirs) -> PathBuf {
    d.xdg_config.join("amp")
}

pub static CLIENT: Client = Client {
    id: "amp",
    label: "Amp",
    evidence: &[
        Evidence::ProjectDir(".amp"),
        Evidence::Dir(config_dir),
        Evidence::Binary("amp"),
    ],
    user_files: |d| {
        // Amp reads `settings.jsonc` only when there is no `settings.json`.
        let dir = config_dir(d);
        let json = dir.join("settings.json");
        let jsonc = dir.join("settings.jsonc");
        if !json.is_file() && jsonc.is_file() {
            vec![jsonc]
        } else {
            vec![json]
        }
    },
    project: Some(ProjectFile::FirstOf(&[
        ".amp/settings.json",
        ".amp/settings.jsonc",
    ])),
    syntax: Syntax::Jsonc,
    servers: &["amp.mcpServers"],
    shape: Shape::STANDARD,
    env_reference: Some(EnvReference::Text("${{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new Amp session (`amp mcp list` shows the server); approve a project's server once with `amp mcp approve codeloop`",
    lister: Some(Lister {
        package: "@ampcode/cli",
        bin: "amp",
        args: &["mcp", "list", "--json"],
        stderr: false,
    }),
};
