//! Cursor: its project and user config dirs, the `cursor` command, the app.

use super::Evidence;
use crate::paths::Paths;
use crate::sys::Sys;

pub(super) fn evidence(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.dir(&paths.cursor_project_dir);
    e.dir(&paths.cursor_user_dir);
    e.binary("cursor");
    for app in &paths.cursor_apps {
        e.app("Cursor", app);
    }
    e.found
}
