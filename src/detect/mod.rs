//! Read-only detection of what this person uses, with the evidence for each match.
//! Detection only decides what `init` offers by default; it never writes.

mod claude_code;
mod claude_desktop;
mod codex;
mod cursor;
mod gemini;
mod shell;
mod vscode;
mod windsurf;

use std::path::Path;

use crate::paths::Paths;
use crate::sys::{Os, Sys};
use crate::target::Target;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub target: Target,
    /// Why we think it is used; empty when it was not found.
    pub evidence: Vec<String>,
    /// Whether `init` without `--only` configures it when found. PowerShell profiles
    /// on Windows are opt-in: the user environment covers every process there.
    pub default: bool,
}

impl Detection {
    pub fn found(&self) -> bool {
        !self.evidence.is_empty()
    }

    /// Found, and configured by default.
    pub fn chosen_by_default(&self) -> bool {
        self.found() && self.default
    }
}

pub fn all(sys: &Sys, paths: &Paths) -> Vec<Detection> {
    Target::ALL.iter().map(|&t| one(sys, paths, t)).collect()
}

pub fn one(sys: &Sys, paths: &Paths, target: Target) -> Detection {
    let evidence = match target {
        Target::Cursor => cursor::evidence(sys, paths),
        Target::ClaudeCode => claude_code::evidence(sys, paths),
        Target::Codex => codex::evidence(sys, paths),
        Target::Gemini => gemini::evidence(sys, paths),
        Target::VsCode => vscode::evidence(sys, paths),
        Target::Windsurf => windsurf::evidence(sys, paths),
        Target::ClaudeDesktop => claude_desktop::evidence(sys, paths),
        Target::Zsh => shell::zsh(sys, paths),
        Target::Bash => shell::bash(sys, paths),
        Target::PowerShell => shell::powershell(sys, paths),
        Target::Fish => shell::fish(sys, paths),
        Target::WindowsEnv if sys.os == Os::Windows => {
            vec!["this is Windows, where the user environment reaches every new program".to_owned()]
        }
        Target::WindowsEnv => Vec::new(),
    };
    let default = !(target == Target::PowerShell && sys.os == Os::Windows);
    Detection {
        target,
        evidence,
        default,
    }
}

/// Evidence collector shared by the per-target files.
struct Evidence<'a> {
    sys: &'a Sys,
    paths: &'a Paths,
    found: Vec<String>,
}

impl<'a> Evidence<'a> {
    fn new(sys: &'a Sys, paths: &'a Paths) -> Self {
        Evidence {
            sys,
            paths,
            found: Vec::new(),
        }
    }

    fn dir(&mut self, path: &Path) {
        if path.is_dir() {
            self.found
                .push(format!("{} exists", self.shown(path, true)));
        }
    }

    fn file(&mut self, path: &Path) {
        if path.is_file() {
            self.found
                .push(format!("{} exists", self.shown(path, false)));
        }
    }

    fn app(&mut self, label: &str, path: &Path) {
        if path.exists() {
            self.found
                .push(format!("the {label} app is installed ({})", path.display()));
        }
    }

    fn binary(&mut self, name: &str) {
        if let Some(found) = self.sys.which(name) {
            self.found
                .push(format!("`{name}` is on PATH ({})", found.display()));
        }
    }

    /// `$SHELL` names this shell (it is the login shell, not always the running one).
    fn login_shell(&mut self, name: &str) {
        if let Some(shell) = self.sys.var("SHELL") {
            let base = Path::new(shell).file_stem().and_then(|s| s.to_str());
            if base == Some(name) {
                self.found.push(format!("$SHELL is {shell}"));
            }
        }
    }

    fn shown(&self, path: &Path, dir: bool) -> String {
        let shown = self.paths.display(path);
        if dir { format!("{shown}/") } else { shown }
    }
}
