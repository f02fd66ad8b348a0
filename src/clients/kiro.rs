//! Kiro (IDE and `kiro-cli`). User `~/.kiro/settings/mcp.json`, workspace
//! `.kiro/settings/mcp.json`, merged with the workspace winning; `mcpServers` entries
//! with `command`/`args`/`env` (optional `disabled`, `autoApprove`, `disabledTools`) —
//! kiro.dev docs, "MCP configuration". Kiro expands `${VAR}` only for variables the
//! user approved (kiro.dev docs, "MCP best practices", approved environment
//! variables), so a reference would not resolve until then: the workspace file holds
//! the key and is git-ignored. The docs call the files JSON; the CLI's ancestor, the
//! Amazon Q Developer CLI, parses them with `serde_json`
//! (`crates/chat-cli/src/cli/agent/mcp_config.rs`), so they are treated as strict
//! JSON (the IDE's reader could not be checked). `kiro-cli` is not on npm: no lister.

use super::{Client, Evidence, ProjectFile, Shape, Syntax};

pub static CLIENT: Client = Client {
    id: "kiro",
    label: "Kiro",
    evidence: &[
        Evidence::ProjectDir(".kiro"),
        Evidence::Dir(|d| d.in_home(".kiro")),
        Evidence::Binary("kiro"),
        Evidence::Binary("kiro-cli"),
    ],
    user_files: |d| vec![d.in_home(".kiro/settings/mcp.json")],
    project: Some(ProjectFile::Rel(".kiro/settings/mcp.json")),
    syntax: Syntax::Json,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "Kiro reconnects MCP servers when the file is saved (MCP Servers in the Kiro panel); start a new kiro-cli session",
    lister: None,
};
