//! Claude Desktop: its per-user config dir and the app (it has no command).

use super::Evidence;
use crate::paths::Paths;
use crate::sys::Sys;

pub(super) fn evidence(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.dir(&paths.claude_desktop_dir);
    for app in &paths.claude_desktop_apps {
        e.app("Claude Desktop", app);
    }
    e.found
}
