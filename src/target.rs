//! The things `init` can configure: every client of the registry
//! (`crate::clients::ALL`), every shell (`crate::shells::ALL`), and the Windows user
//! environment. Scripts depend on the names.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::clients::{self, Client};
use crate::shells::{self, Shell};

#[derive(Clone, Copy)]
pub enum Target {
    Client(&'static Client),
    Shell(&'static Shell),
    /// `CODELOOP_API_KEY` in `HKCU\Environment`.
    WindowsEnv,
}

impl Target {
    /// Every target, in the order the README and `--help` list them: clients, then
    /// shells, then the Windows user environment.
    pub fn all() -> Vec<Target> {
        clients::ALL
            .iter()
            .map(|c| Target::Client(c))
            .chain(shells::ALL.iter().map(|s| Target::Shell(s)))
            .chain([Target::WindowsEnv])
            .collect()
    }

    /// Every name, for `--only`, `--skip` and their errors.
    pub fn names() -> Vec<&'static str> {
        Target::all().into_iter().map(Target::name).collect()
    }

    /// The target named `name` on the command line (and in the record).
    pub fn from_name(name: &str) -> Option<Target> {
        Target::all().into_iter().find(|t| t.name() == name)
    }

    /// The name on the command line (`--only`, `--skip`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Client(c) => c.id,
            Target::Shell(s) => s.id,
            Target::WindowsEnv => "windows-env",
        }
    }

    /// The name a person knows it by.
    pub fn label(self) -> &'static str {
        match self {
            Target::Client(c) => c.label,
            Target::Shell(s) => s.label,
            Target::WindowsEnv => "the Windows user environment",
        }
    }

    /// What to restart so the change is picked up.
    pub fn restart_hint(self) -> &'static str {
        match self {
            Target::Client(c) => c.restart,
            Target::Shell(s) => s.restart,
            Target::WindowsEnv => {
                "restart running programs (your editor, open terminals) to see CODELOOP_API_KEY; in this PowerShell run: $env:CODELOOP_API_KEY = (Get-ItemProperty HKCU:\\Environment).CODELOOP_API_KEY"
            }
        }
    }

    /// Clients with a project config (the rest — user-only clients, shells and the
    /// Windows user environment — are set up per user by any run).
    pub fn has_project_scope(self) -> bool {
        matches!(self, Target::Client(c) if c.project.is_some())
    }

    /// Shell targets set `CODELOOP_API_KEY`; the others configure an MCP client.
    pub fn is_shell(self) -> bool {
        matches!(self, Target::Shell(_))
    }

    /// Targets that give `CODELOOP_API_KEY` to the user's programs: the shells and the
    /// Windows user environment.
    pub fn sets_env(self) -> bool {
        matches!(self, Target::Shell(_) | Target::WindowsEnv)
    }

    /// The client, if this is one.
    pub fn client(self) -> Option<&'static Client> {
        match self {
            Target::Client(c) => Some(c),
            _ => None,
        }
    }

    fn index(self) -> usize {
        Target::all()
            .iter()
            .position(|t| t.name() == self.name())
            .unwrap_or(usize::MAX)
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Target {}

impl Hash for Target {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl PartialOrd for Target {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Target {
    fn cmp(&self, other: &Self) -> Ordering {
        self.index().cmp(&other.index())
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names this build offers: `windows-env` only on Windows.
pub fn offered() -> Vec<&'static str> {
    Target::names()
        .into_iter()
        .filter(|n| cfg!(windows) || *n != "windows-env")
        .collect()
}

/// The `--only`/`--skip` value parser: one of [`offered`] (clap lists them on a typo,
/// and completions offer them).
pub fn parser() -> impl clap::builder::TypedValueParser<Value = Target> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(offered())
        .map(|name| Target::from_name(&name).expect("a possible value names a target"))
}
