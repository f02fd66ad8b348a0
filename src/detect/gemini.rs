//! Gemini CLI: its project and user config dirs, the `gemini` command.

use super::Evidence;
use crate::paths::Paths;
use crate::sys::Sys;

pub(super) fn evidence(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.dir(&paths.gemini_project_dir);
    e.dir(&paths.gemini_user_dir);
    e.binary("gemini");
    e.found
}
