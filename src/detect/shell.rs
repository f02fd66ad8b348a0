//! Shells: their binaries on PATH, `$SHELL`, and their rc files or config dirs.

use super::Evidence;
use crate::paths::Paths;
use crate::sys::{Os, Sys};

pub(super) fn zsh(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.login_shell("zsh");
    e.binary("zsh");
    e.file(&paths.zshrc);
    e.found
}

pub(super) fn bash(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.login_shell("bash");
    e.binary("bash");
    e.file(&paths.bashrc);
    e.found
}

pub(super) fn fish(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.login_shell("fish");
    e.binary("fish");
    e.dir(&paths.fish_dir);
    e.found
}

pub(super) fn powershell(sys: &Sys, paths: &Paths) -> Vec<String> {
    let mut e = Evidence::new(sys, paths);
    e.login_shell("pwsh");
    e.binary("pwsh");
    if sys.os == Os::Windows {
        e.binary("powershell");
    }
    for profile in &paths.powershell_profiles {
        if let Some(dir) = profile.path.parent() {
            e.dir(dir);
        }
    }
    e.found
}
