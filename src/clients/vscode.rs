//! VS Code. `.vscode/mcp.json` and `mcp.json` in the user dir (`Code/User` under the
//! per-user application data); the key is `servers` (beside `inputs`), each entry
//! with a `type`; it expands `${env:NAME}` (VS Code docs, "MCP servers"). A bare
//! `.vscode/` is no evidence: many projects commit one.

use super::{Client, EnvReference, Evidence, Fixed, Launch, ProjectFile, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "vscode",
    label: "VS Code",
    evidence: &[
        Evidence::ProjectFile(".vscode/mcp.json"),
        Evidence::Dir(|d| d.app_data.join("Code").join("User")),
        Evidence::Binary("code"),
        Evidence::App {
            mac: &["Visual Studio Code.app"],
            windows: &["Programs/Microsoft VS Code/Code.exe"],
            linux: &[
                "/usr/share/code",
                "/snap/code",
                "~/.local/share/applications/code.desktop",
                "/usr/share/applications/code.desktop",
            ],
        },
    ],
    user_files: |d| vec![d.app_data.join("Code").join("User").join("mcp.json")],
    project: Some(ProjectFile::Rel(".vscode/mcp.json")),
    syntax: Syntax::Jsonc,
    servers: &["servers"],
    shape: Shape {
        fixed: &[("type", Fixed::Str("stdio"))],
        launch: Launch::CommandArgs {
            command: "command",
            args: "args",
        },
        env: "env",
    },
    env_reference: Some(EnvReference::Text("${env:{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "reload VS Code (or run \"MCP: List Servers\") and start the codeloop server",
    lister: None,
};
