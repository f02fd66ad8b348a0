//! Codex CLI: its project and user config dirs (`$CODEX_HOME`), the `codex` command,
//! the desktop app.

use super::Evidence;
use crate::paths::Paths;
use crate::sys::Sys;

pub(super) fn evidence(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.dir(&paths.codex_project_dir);
    e.dir(&paths.codex_home);
    e.binary("codex");
    for app in &paths.codex_apps {
        e.app("Codex", app);
    }
    e.found
}
