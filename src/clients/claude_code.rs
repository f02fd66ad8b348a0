//! Claude Code. Servers live in `~/.claude.json` (or `$CLAUDE_CONFIG_DIR/.claude.json`):
//! top-level `mcpServers` for the user scope, `projects["<project>"].mcpServers` for
//! the local scope — what `claude mcp add` writes; `mcpServers` in
//! `.claude/settings.local.json` is ignored (verified with `claude mcp list`). The
//! project's `.claude/settings.local.json` gets `permissions.allow: ["mcp__codeloop"]`.
//! Claude Code guards `~/.claude.json` with `proper-lockfile`; on native Windows it
//! cannot start `npx` itself (`cmd /c npx`, from its own code).

use std::path::PathBuf;

use super::{Client, Evidence, Lister, PROJECT_KEY, Permission, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

fn config_dir(d: &Dirs) -> Option<PathBuf> {
    d.var("CLAUDE_CONFIG_DIR").map(PathBuf::from)
}

pub static CLIENT: Client = Client {
    id: "claude-code",
    label: "Claude Code",
    evidence: &[
        Evidence::ProjectDir(".claude"),
        Evidence::ProjectFile(".mcp.json"),
        Evidence::Dir(|d| config_dir(d).unwrap_or_else(|| d.in_home(".claude"))),
        Evidence::UserFile,
        Evidence::Binary("claude"),
    ],
    user_files: |d| {
        vec![
            config_dir(d)
                .unwrap_or_else(|| d.home.clone())
                .join(".claude.json"),
        ]
    },
    project: Some(ProjectFile::InUserFile(&[
        "projects",
        PROJECT_KEY,
        "mcpServers",
    ])),
    syntax: Syntax::Json,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: true,
    locks_user_file: true,
    permission: Some(Permission {
        file: ".claude/settings.local.json",
        path: &["permissions", "allow"],
        item: "mcp__codeloop",
    }),
    restart: "start a new Claude Code session to load the CodeLoop server",
    lister: Some(Lister {
        package: "@anthropic-ai/claude-code",
        bin: "claude",
        args: &["mcp", "get", "codeloop"],
        stderr: false,
    }),
};
