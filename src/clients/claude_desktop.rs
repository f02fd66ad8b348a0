//! Claude Desktop. `claude_desktop_config.json` in its config dir: `~/Library/Application
//! Support/Claude` (macOS), `%APPDATA%\\Claude` (Windows), and on Linux (no official
//! build) the community `${XDG_CONFIG_HOME:-~/.config}/Claude`; `mcpServers`. It reads
//! strict JSON: public reports show a BOM or comments stop it loading the file.

use super::{Client, Evidence, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "claude-desktop",
    label: "Claude Desktop",
    evidence: &[
        Evidence::Dir(|d| d.app_data.join("Claude")),
        Evidence::App {
            mac: &["Claude.app"],
            windows: &["AnthropicClaude/claude.exe"],
            linux: &[],
        },
    ],
    user_files: |d| vec![d.app_data.join("Claude").join("claude_desktop_config.json")],
    project: None,
    syntax: Syntax::Json,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: true,
    locks_user_file: false,
    permission: None,
    restart: "quit and reopen Claude Desktop to load the CodeLoop server",
    lister: None,
};
