//! VS Code: the project's `.vscode/mcp.json`, its user dir (`Code/User`), the `code`
//! command, the app. A `.vscode/` dir alone is not evidence: many projects commit one
//! for settings whoever edits them.

use super::Evidence;
use crate::paths::Paths;
use crate::sys::Sys;

pub(super) fn evidence(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.file(&paths.vscode_project_mcp);
    e.dir(&paths.vscode_user_dir);
    e.binary("code");
    for app in &paths.vscode_apps {
        e.app("VS Code", app);
    }
    e.found
}
