//! JetBrains Junie (the IDE plugin and the Junie CLI share the format). User file
//! `~/.junie/mcp/mcp.json` with `mcpServers` entries of `command`/`args`/`env` — what
//! JetBrains' own `junie-github-action` writes for the Junie CLI
//! (`src/mcp/prepare-mcp-config.ts`); Junie runs stdio servers only (JetBrains Junie
//! help, "Model Context Protocol"). The project file `.junie/mcp/mcp.json` comes from
//! secondary sources only (installers such as Laravel Boost): JetBrains' pages
//! reachable here do not name it. No documented variable expansion, so the project
//! file holds the key and is git-ignored; the reader's tolerance of comments is not
//! documented, so it is treated as strict JSON. The Junie CLI is not on npm: no
//! lister.

use super::{Client, Evidence, ProjectFile, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "junie",
    label: "Junie",
    evidence: &[
        Evidence::ProjectDir(".junie"),
        Evidence::Dir(|d| d.in_home(".junie")),
        Evidence::Binary("junie"),
    ],
    user_files: |d| vec![d.in_home(".junie/mcp/mcp.json")],
    project: Some(ProjectFile::Rel(".junie/mcp/mcp.json")),
    syntax: Syntax::Json,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "restart Junie (in the IDE, Settings | Tools | Junie | MCP Settings lists the server; the Junie CLI reads it in a new session)",
    lister: None,
};
