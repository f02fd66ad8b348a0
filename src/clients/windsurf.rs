//! Windsurf. One per-user file, `~/.codeium/windsurf/mcp_config.json`, with
//! `mcpServers` (Windsurf docs, "MCP"); no project scope. On Windows `npx` goes
//! through `cmd /c`.

use super::{Client, Evidence, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "windsurf",
    label: "Windsurf",
    evidence: &[
        Evidence::Dir(|d| d.in_home(".codeium/windsurf")),
        Evidence::Binary("windsurf"),
        Evidence::App {
            mac: &["Windsurf.app"],
            windows: &["Programs/Windsurf/Windsurf.exe"],
            linux: &[
                "/usr/share/windsurf",
                "/opt/Windsurf",
                "~/.local/share/applications/windsurf.desktop",
                "/usr/share/applications/windsurf.desktop",
            ],
        },
    ],
    user_files: |d| vec![d.in_home(".codeium/windsurf/mcp_config.json")],
    project: None,
    syntax: Syntax::Jsonc,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: true,
    locks_user_file: false,
    permission: None,
    restart: "refresh the MCP servers in Windsurf's Cascade panel",
    lister: None,
};
