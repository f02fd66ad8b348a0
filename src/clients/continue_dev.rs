//! Continue (continue.dev: the VS Code extension and the JetBrains plugin, which share
//! Continue's `core`). Facts from the continuedev/continue repo (snapshot of
//! 2026-06-18, commit d0a3c0b):
//!
//! - **Where it reads MCP servers.** Besides the `mcpServers` list of its config, the
//!   IDE reads every file of a `mcpServers` block directory: `.continue/mcpServers/`
//!   in each workspace folder and `mcpServers/` in its global dir, for every config
//!   it loads — the local `config.yaml`, an agent from the hub (both
//!   `core/config/yaml/loadYaml.ts` `loadConfigYaml` and `configYamlToContinueConfig`)
//!   and the legacy `config.json` (`core/config/load.ts`). `*.yaml` files there are
//!   blocks (`core/config/loadLocalAssistants.ts` `getAllDotContinueDefinitionFiles`,
//!   `includeGlobal` and `includeWorkspace`); `*.json` files are read by
//!   `core/context/mcp/json/loadJsonMcpConfigs.ts` with `comment-json` (comments and
//!   trailing commas accepted, 4.6.2 in `core/package-lock.json`) in Claude's format
//!   (`{"mcpServers": {"<name>": {command, args, env}}}`, `claudeDesktopLikeConfigFileSchema`
//!   in `packages/config-yaml/src/schemas/mcp/json.ts`; unknown fields are dropped,
//!   `type: "stdio"` optional). A workspace file wins over a global one of the same
//!   server name (first wins, workspace dirs first). The directories are walked
//!   from the block dir down, so the repository's `.gitignore` does not hide a
//!   git-ignored file there (`core/indexing/walkDir.ts`).
//! - **The global dir** is `$CONTINUE_GLOBAL_DIR` (a relative one is resolved against
//!   Continue's own working directory, so codeloop follows only an absolute one), else
//!   `~/.continue` — `os.homedir()`, `%USERPROFILE%` on Windows (`core/util/paths.ts`).
//! - **Why a JSON file codeloop names, not `config.yaml`.** The user's `config.yaml`
//!   holds `mcpServers` as a YAML *list* of `{name, command, args, env}`
//!   (`packages/config-yaml/src/schemas/mcp/index.ts`), and applies only while the
//!   "Local Config" is the selected config; creating one is unsafe — the IDE writes a
//!   default one itself when neither `config.yaml` nor `config.json` exists, a
//!   `config.yaml` without top-level `name` and `version` fails to load whole, and a new
//!   one would replace a legacy `config.json` (`getConfigYamlPath`,
//!   `getPrimaryConfigFilePath`). A YAML block file needs top-level `name`, `version`
//!   and `schema: v1` around a one-item list (`blockSchema`, `configYamlSchema` in
//!   `packages/config-yaml/src/schemas/index.ts`; the docs' "Quick Start" in
//!   `docs/customize/deep-dives/mcp.mdx`), which an entry edit cannot express. The JSON
//!   file `mcpServers/codeloop.json` is read by every config kind above, and codeloop
//!   creates it, owns its one entry, and deletes it on uninstall.
//! - **Secrets.** In YAML, `${{ secrets.NAME }}` is looked up in `~/.continue/.env`,
//!   `<workspace>/.continue/.env`, `<workspace>/.env`, then the IDE's environment
//!   (`core/config/yaml/LocalPlatformClient.ts`). A JSON file's `${NAME}` is rewritten
//!   to `${{ secrets.NAME }}` (`convertJsonEnvToYamlEnv`,
//!   `packages/config-yaml/src/schemas/mcp/convertJson.ts`) but never rendered:
//!   `loadJsonMcpConfigs` runs after the secrets pass, and `MCPConnection` reports it
//!   as an unresolved secret (`core/context/mcp/MCPConnection.ts`). So both files hold
//!   the key: the user one is private, the project one 0600 and git-ignored. A server
//!   gets only its `env` and a few common variables (`PATH`, …), not the IDE's whole
//!   environment, so the key must be in `env`.
//! - **Windows.** Continue starts `npx` through `cmd.exe /c` itself
//!   (`MCPConnection.resolveCommandForPlatform`, `WINDOWS_BATCH_COMMANDS`).
//! - **Not the `cn` CLI** (npm `@continuedev/cli`): it reads servers only from the
//!   config it loads (`~/.continue/config.yaml`, `--config`, the hub) and `--mcp`
//!   (`extensions/cli/src/configLoader.ts`, `services/ConfigService.ts`), never the
//!   block directories, and has no command that lists servers (`extensions/cli/src/index.ts`).
//!   So `cn` on PATH is no evidence here, and no CLI lists servers. The tests run what
//!   the IDE core does with a JSON block instead — `comment-json` 4.6.2, then the
//!   schemas and conversion of the published `@continuedev/config-yaml` 1.42.0
//!   (`tests/clients/continue-read.mjs`, `tests/it/continue_dev.rs`).
//! - **Evidence.** The IDE creates the global dir on start (`getContinueGlobalPath`);
//!   the VS Code extension (`Continue.continue`) creates its global storage dir on
//!   activation (`extensions/vscode/src/stubs/SecretStorage.ts`).
//! - **Reload.** The IDE reloads its config when a file under `.continue/` is saved in
//!   the editor (`core/core.ts`, `isContinueConfigRelatedUri`); a file written from
//!   outside is picked up at the next reload.

use std::path::PathBuf;

use super::{Client, Evidence, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

/// Continue's global dir: `$CONTINUE_GLOBAL_DIR` when absolute, else `~/.continue`.
fn global_dir(d: &Dirs) -> PathBuf {
    d.var("CONTINUE_GLOBAL_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| d.in_home(".continue"))
}

pub static CLIENT: Client = Client {
    id: "continue",
    label: "Continue",
    evidence: &[
        Evidence::ProjectDir(".continue"),
        Evidence::Dir(global_dir),
        // The VS Code extension's global storage (VS Code lower-cases the id).
        Evidence::Dir(|d| {
            d.app_data
                .join("Code")
                .join("User")
                .join("globalStorage")
                .join("continue.continue")
        }),
    ],
    user_files: |d| vec![global_dir(d).join("mcpServers").join("codeloop.json")],
    project: Some(ProjectFile::Rel(".continue/mcpServers/codeloop.json")),
    syntax: Syntax::Jsonc,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "reload Continue (VS Code: Developer: Reload Window; JetBrains: restart the IDE) to start the CodeLoop server; it runs in agent mode",
    lister: None,
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::opencode::user_file_on;
    use crate::sys::Os;

    #[test]
    fn the_user_file_is_in_continues_global_dir() {
        assert_eq!(
            user_file_on("continue", Os::Linux, "/h", &[]),
            Path::new("/h/.continue/mcpServers/codeloop.json")
        );
        assert_eq!(
            user_file_on(
                "continue",
                Os::MacOs,
                "/h",
                &[("CONTINUE_GLOBAL_DIR", "/g")]
            ),
            Path::new("/g/mcpServers/codeloop.json")
        );
        // Relative to Continue's own working directory, which codeloop cannot know.
        assert_eq!(
            user_file_on(
                "continue",
                Os::Linux,
                "/h",
                &[("CONTINUE_GLOBAL_DIR", "rel/dir")]
            ),
            Path::new("/h/.continue/mcpServers/codeloop.json")
        );
        assert_eq!(
            user_file_on("continue", Os::Windows, "C:/Users/u", &[]),
            Path::new("C:/Users/u")
                .join(".continue")
                .join("mcpServers")
                .join("codeloop.json")
        );
    }
}
