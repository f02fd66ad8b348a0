//! Read-only detection of what this person uses, with the evidence for each match,
//! evaluated from the clients' and shells' descriptions. Detection only decides what
//! `init` offers by default; it never writes. It does only the work asked for: a run
//! with `--only cursor` probes Cursor alone.

use std::path::Path;

use crate::clients::{self, Client};
use crate::paths::Paths;
use crate::shells::{self, Shell};
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
    /// Some evidence says the person *uses* it, not only that it is installed: a
    /// shell that is `$SHELL` or has its startup file, not one merely on `PATH`.
    pub used: bool,
}

impl Detection {
    pub fn found(&self) -> bool {
        !self.evidence.is_empty()
    }

    /// Found as in use, and configured by default.
    pub fn chosen_by_default(&self) -> bool {
        self.found() && self.default && self.used
    }
}

/// Every target.
pub fn all(sys: &Sys, paths: &Paths) -> Vec<Detection> {
    Target::all()
        .into_iter()
        .map(|t| one(sys, paths, t))
        .collect()
}

pub fn one(sys: &Sys, paths: &Paths, target: Target) -> Detection {
    let mut e = Evidence::new(sys, paths);
    let mut used = true;
    let default = match target {
        Target::Client(client) => {
            client_evidence(&mut e, client);
            true
        }
        Target::Shell(shell) => {
            used = shell_evidence(&mut e, shell);
            (shell.default_on)(sys.os)
        }
        Target::WindowsEnv => {
            if sys.os == Os::Windows {
                e.found.push(
                    "this is Windows, where the user environment reaches every new program"
                        .to_owned(),
                );
            }
            true
        }
    };
    Detection {
        target,
        evidence: e.found,
        default,
        used,
    }
}

fn client_evidence(e: &mut Evidence, client: &Client) {
    let dirs = &e.paths.dirs;
    for ev in client.evidence {
        match *ev {
            clients::Evidence::ProjectDir(rel) => e.dir(&crate::dirs::join(&dirs.project, rel)),
            clients::Evidence::ProjectFile(rel) => e.file(&crate::dirs::join(&dirs.project, rel)),
            clients::Evidence::Dir(dir) => e.dir(&dir(dirs)),
            clients::Evidence::UserFile => {
                for f in (client.user_files)(dirs) {
                    e.file(&f);
                }
            }
            clients::Evidence::Binary(name) => e.binary(name),
            clients::Evidence::App {
                mac,
                windows,
                linux,
            } => {
                for app in dirs.apps(mac, windows, linux) {
                    e.app(client.label, &app);
                }
            }
        }
    }
}

/// Collects a shell's evidence; whether any of it shows the shell in use (a binary on
/// `PATH` only shows it installed).
fn shell_evidence(e: &mut Evidence, shell: &Shell) -> bool {
    let mut used = false;
    for ev in shell.evidence {
        let before = e.found.len();
        match *ev {
            shells::Evidence::LoginShell(name) => e.login_shell(name),
            shells::Evidence::Binary(name, windows_only) => {
                if !windows_only || e.sys.os == Os::Windows {
                    e.binary(name);
                }
                continue;
            }
            shells::Evidence::File(file) => e.file(&file(e.paths)),
            shells::Evidence::Dir(dir) => e.dir(&dir(e.paths)),
            shells::Evidence::Dirs(dirs) => {
                for d in dirs(e.paths) {
                    e.dir(&d);
                }
            }
        }
        used |= e.found.len() > before;
    }
    used
}

/// Evidence collector.
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
