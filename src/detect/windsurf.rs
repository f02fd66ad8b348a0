//! Windsurf: its config dir under `~/.codeium`, the `windsurf` command, the app.

use super::Evidence;
use crate::paths::Paths;
use crate::sys::Sys;

pub(super) fn evidence(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.dir(&paths.windsurf_dir);
    e.binary("windsurf");
    for app in &paths.windsurf_apps {
        e.app("Windsurf", app);
    }
    e.found
}
