//! GitHub Copilot CLI. User servers in `mcp-config.json` in its home, `$COPILOT_HOME`
//! else `~/.copilot` (`%USERPROFILE%\.copilot`); the old `$XDG_CONFIG_HOME/.copilot` is
//! only migrated from. Project servers in `.mcp.json` (every one from the working
//! directory up to the git root) or `.github/mcp.json`, read only once the folder is
//! trusted; an existing `.mcp.json` hides `.github/mcp.json`, so codeloop writes the
//! `.mcp.json` that is there, else `.github/mcp.json` — `.mcp.json` is Claude Code's
//! project file too (GitHub docs, "Adding MCP servers for GitHub Copilot CLI";
//! `copilot mcp --help`; verified with `@github/copilot` 1.0.102).
//!
//! Servers are `mcpServers.<name>`: `{"type", "command", "args", "env", "tools"}`.
//! `copilot mcp add` writes `"type": "local"`; the docs say `"stdio"` works the same and
//! is the one other clients understand — Claude Code skips a `"local"` server in
//! `.mcp.json` with a warning (verified with Claude Code 2.1.328) — so codeloop writes
//! `"stdio"`, with `"tools": ["*"]` as `copilot mcp add` does. `env` values are literal
//! unless written `$VAR` / `${VAR}` (Copilot CLI changelog, 0.0.340; not run here: no
//! server starts offline). Its reader takes comments and trailing commas (verified).
//! `copilot mcp list --json` lists servers offline, with their source.

use std::path::PathBuf;

use super::{Client, EnvReference, Evidence, Fixed, Launch, Lister, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

fn home(d: &Dirs) -> PathBuf {
    d.var_dir("COPILOT_HOME", d.in_home(".copilot"))
}

pub static CLIENT: Client = Client {
    id: "copilot",
    label: "GitHub Copilot CLI",
    evidence: &[
        Evidence::ProjectFile(".github/mcp.json"),
        Evidence::Dir(home),
        Evidence::Binary("copilot"),
    ],
    user_files: |d| vec![home(d).join("mcp-config.json")],
    project: Some(ProjectFile::FirstOfElse(
        &[".mcp.json", ".github/mcp.json"],
        ".github/mcp.json",
    )),
    syntax: Syntax::Jsonc,
    servers: &["mcpServers"],
    shape: Shape {
        fixed: &[
            ("type", Fixed::Str("stdio")),
            ("tools", Fixed::Strs(&["*"])),
        ],
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
    restart: "start a new Copilot CLI session (`copilot mcp list` shows the server; trust the folder to load project servers)",
    lister: Some(Lister {
        package: "@github/copilot",
        bin: "copilot",
        args: &["mcp", "list", "--json"],
        stderr: false,
    }),
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::opencode::user_file_on;
    use crate::sys::Os;

    #[test]
    fn the_user_file_is_in_copilot_home_and_xdg_config_home_does_not_move_it() {
        assert_eq!(
            user_file_on("copilot", Os::Windows, "C:/Users/u", &[]),
            Path::new("C:/Users/u")
                .join(".copilot")
                .join("mcp-config.json")
        );
        assert_eq!(
            user_file_on("copilot", Os::Linux, "/h", &[("XDG_CONFIG_HOME", "/x")]),
            Path::new("/h/.copilot/mcp-config.json")
        );
        assert_eq!(
            user_file_on("copilot", Os::MacOs, "/h", &[("COPILOT_HOME", "/c")]),
            Path::new("/c/mcp-config.json")
        );
    }
}
