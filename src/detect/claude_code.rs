//! Claude Code: its project files, `~/.claude` and `~/.claude.json`, the `claude` command
//! (including the self-updating install in `~/.claude/local`).

use super::Evidence;
use crate::paths::Paths;
use crate::sys::Sys;

pub(super) fn evidence(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.dir(&paths.claude_project_dir);
    e.file(&paths.claude_project_mcp);
    e.dir(&paths.claude_user_dir);
    e.file(&paths.claude_json);
    e.binary("claude");
    e.found
}
