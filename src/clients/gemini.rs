//! Gemini CLI. `~/.gemini/settings.json` and `.gemini/settings.json`, `mcpServers` of
//! `command`/`args`/`env`; values expand `$VAR` / `${VAR}` (Gemini CLI docs,
//! "configuration"). Servers of an untrusted folder are listed as disabled.
//! `gemini mcp list` lists them offline, on stderr (verified).

use super::{Client, EnvReference, Evidence, Lister, ProjectFile, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "gemini",
    label: "Gemini CLI",
    evidence: &[
        Evidence::ProjectDir(".gemini"),
        Evidence::Dir(|d| d.in_home(".gemini")),
        Evidence::Binary("gemini"),
    ],
    user_files: |d| vec![d.in_home(".gemini/settings.json")],
    project: Some(ProjectFile::Rel(".gemini/settings.json")),
    syntax: Syntax::Jsonc,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: Some(EnvReference::Text("${{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new Gemini CLI session (`gemini mcp list` shows the server; trust the folder to enable project servers)",
    lister: Some(Lister {
        package: "@google/gemini-cli",
        bin: "gemini",
        args: &["mcp", "list"],
        stderr: true,
    }),
};
