//! Auggie, Augment's CLI (npm `@augmentcode/auggie`). User settings
//! `~/.augment/settings.json` (`%USERPROFILE%\.augment` on Windows; the
//! `--augment-cache-dir` flag moves it, no variable does), project settings
//! `.augment/settings.json` (shared, committed) — docs.augmentcode.com, "The /settings
//! menu", settings files — and `mcpServers` entries as `auggie mcp add [--project]`
//! writes them: `{"type": "stdio", "command", "args", "env"}` (verified with 0.36.0).
//! It parses settings with `jsonc-parser` (comments, trailing commas) and expands
//! `${VAR}` / `${VAR:-default}` in `command`, `args`, `env` from its environment when a
//! server starts, failing on a missing variable (`_expandConfigVariables` in the
//! shipped `augment.mjs`). `auggie mcp list --json` lists servers offline.

use super::{Client, EnvReference, Evidence, Fixed, Launch, Lister, ProjectFile, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "augment",
    label: "Auggie CLI",
    evidence: &[
        Evidence::ProjectDir(".augment"),
        Evidence::Dir(|d| d.in_home(".augment")),
        Evidence::Binary("auggie"),
    ],
    user_files: |d| vec![d.in_home(".augment/settings.json")],
    project: Some(ProjectFile::Rel(".augment/settings.json")),
    syntax: Syntax::Jsonc,
    servers: &["mcpServers"],
    shape: Shape {
        fixed: &[("type", Fixed::Str("stdio"))],
        launch: Launch::CommandArgs {
            command: "command",
            args: "args",
        },
        env: "env",
    },
    env_reference: Some(EnvReference::Text("${{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new Auggie session (`auggie mcp list` shows the server)",
    lister: Some(Lister {
        package: "@augmentcode/auggie",
        bin: "auggie",
        args: &["mcp", "list", "--json"],
        stderr: false,
    }),
};
