//! Cursor. Project `.cursor/mcp.json`, user `~/.cursor/mcp.json` (`%USERPROFILE%` on
//! Windows), `mcpServers` of `command`/`args`/`env` entries; it interpolates
//! `${env:NAME}` (Cursor docs, "Model Context Protocol"). Its project file is treated
//! as private: it holds the key and is git-ignored.

use super::{Client, Evidence, ProjectFile, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "cursor",
    label: "Cursor",
    evidence: &[
        Evidence::ProjectDir(".cursor"),
        Evidence::Dir(|d| d.in_home(".cursor")),
        Evidence::Binary("cursor"),
        Evidence::App {
            mac: &["Cursor.app"],
            windows: &["Programs/cursor/Cursor.exe"],
            linux: &[
                "/opt/Cursor",
                "/opt/cursor",
                "/usr/share/cursor",
                "~/.local/share/applications/cursor.desktop",
                "/usr/share/applications/cursor.desktop",
            ],
        },
    ],
    user_files: |d| vec![d.in_home(".cursor/mcp.json")],
    project: Some(ProjectFile::Rel(".cursor/mcp.json")),
    syntax: Syntax::Jsonc,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "reload Cursor (or toggle the server in Settings → MCP) to load the CodeLoop server",
    lister: None,
};
