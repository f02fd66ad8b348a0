//! Kilo Code CLI (`kilo`, an opencode fork; the Kilo Code extension shares its config).
//! User servers in `${XDG_CONFIG_HOME:-~/.config}/kilo/` — `kilo.json`, also
//! `kilo.jsonc`, `opencode.json[c]` and `config.json`, merged; project servers in
//! `kilo.json[c]` at the project root or `.kilo/kilo.json[c]` (the one the docs say to
//! create), found up to the git worktree root; the legacy `.kilocode/mcp.json` (`mcpServers`) is still read but not
//! written. `KILO_CONFIG_DIR` only adds a directory (Kilo docs, "Using MCP in Kilo
//! Code", CLI tab; kilocode repo `packages/opencode/src/config/paths.ts`).
//!
//! Servers are opencode's `mcp.<name>` entries (`type: "local"`, the command as one
//! array, `environment`, `enabled`). Strings expand `{env:NAME}` in the user file only:
//! a project file holding any `{env:…}` is skipped whole (`ConfigInvalidError skipped
//! config due to error`, with or without the variable set), so codeloop never writes a
//! reference there — the project file holds the key and is git-ignored. On Windows the
//! docs start `npx` through `cmd /c` in the array. All but Windows verified with
//! `@kilocode/cli` 7.7.7, whose `kilo mcp list` lists servers offline.

use std::path::PathBuf;

use super::opencode::{SHAPE, first_file};
use super::{Client, Evidence, Lister, ProjectFile, Syntax};
use crate::dirs::Dirs;

fn config_dir(d: &Dirs) -> PathBuf {
    d.xdg_config.join("kilo")
}

pub static CLIENT: Client = Client {
    id: "kilo",
    label: "Kilo Code CLI",
    evidence: &[
        Evidence::ProjectDir(".kilo"),
        Evidence::ProjectDir(".kilocode"),
        Evidence::ProjectFile("kilo.json"),
        Evidence::ProjectFile("kilo.jsonc"),
        Evidence::Dir(config_dir),
        Evidence::Binary("kilo"),
    ],
    user_files: |d| {
        vec![first_file(
            &config_dir(d),
            &[
                "kilo.json",
                "kilo.jsonc",
                "opencode.json",
                "opencode.jsonc",
                "config.json",
            ],
        )]
    },
    // The docs: edit `kilo.json[c]` if the project has one, else use `.kilo/kilo.json`.
    project: Some(ProjectFile::FirstOfElse(
        &[
            "kilo.json",
            "kilo.jsonc",
            ".kilo/kilo.json",
            ".kilo/kilo.jsonc",
        ],
        ".kilo/kilo.json",
    )),
    syntax: Syntax::Jsonc,
    servers: &["mcp"],
    shape: SHAPE,
    // Kilo skips a project file with any `{env:…}` in it (see above).
    env_reference: None,
    windows_cmd: true,
    locks_user_file: false,
    permission: None,
    restart: "start a new Kilo session (`kilo mcp list` shows the server)",
    lister: Some(Lister {
        package: "@kilocode/cli",
        bin: "kilo",
        args: &["mcp", "list"],
        stderr: false,
    }),
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::opencode::user_file_on;
    use super::*;
    use crate::sys::Os;

    #[test]
    fn the_user_file_is_kilo_json_under_xdg_config() {
        assert_eq!(
            user_file_on("kilo", Os::Windows, "C:/Users/u", &[]),
            Path::new("C:/Users/u")
                .join(".config")
                .join("kilo")
                .join("kilo.json")
        );
    }

    #[test]
    fn on_windows_the_user_entry_starts_npx_through_cmd_in_the_array() {
        assert_eq!(
            CLIENT.entry("pkg", "k", true)["command"],
            serde_json::json!(["cmd", "/c", "npx", "-y", "pkg"])
        );
    }
}
