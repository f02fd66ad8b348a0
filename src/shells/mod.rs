//! The shells, as data: where each could read its startup files from, what shows the
//! person uses it, and the files codeloop writes for it — env files that hold the key
//! (codeloop's own, 0600) and rc blocks that only source them (rustup's `UnixShell`
//! idea). The texts themselves are in [`text`].

mod bash;
mod fish;
mod powershell;
pub mod text;
pub mod zsh;

use std::path::{Path, PathBuf};

use crate::edit::block::Markers;
use crate::paths::Paths;
use crate::sys::Os;

/// Every shell, in the order the README lists them.
pub static ALL: &[&Shell] = &[&zsh::SHELL, &bash::SHELL, &powershell::SHELL, &fish::SHELL];

#[derive(Debug)]
pub struct Shell {
    /// The `--only` name.
    pub id: &'static str,
    pub label: &'static str,
    pub evidence: &'static [Evidence],
    /// Whether `init` without `--only` sets it up when found, on this OS.
    pub default_on: fn(Os) -> bool,
    /// The files codeloop writes for it, holding `key`; the PowerShell profiles to
    /// edit are given (those of the installed editions).
    pub files: fn(&Paths, &str, &[PathBuf]) -> Vec<Write>,
    pub restart: &'static str,
}

/// What shows a person uses a shell.
#[derive(Debug, Clone, Copy)]
pub enum Evidence {
    /// `$SHELL` names it (the login shell, not always the running one).
    LoginShell(&'static str),
    /// A program on `PATH` (on Windows only, when the second field says so).
    Binary(&'static str, bool),
    /// A startup file exists.
    File(fn(&Paths) -> PathBuf),
    /// A config directory exists.
    Dir(fn(&Paths) -> PathBuf),
    /// Any of these directories exists.
    Dirs(fn(&Paths) -> Vec<PathBuf>),
}

fn always(_: Os) -> bool {
    true
}

/// A file codeloop writes for a shell.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// A file that is codeloop's own: exactly `contents`; `secret`: it holds the key
    /// (0600, kept out of git).
    Owned {
        path: PathBuf,
        contents: String,
        secret: bool,
    },
    /// A startup file that gets a marker block with `body`.
    Block {
        path: PathBuf,
        markers: Markers,
        body: Vec<String>,
    },
}

impl Write {
    /// codeloop's own file holding the key.
    fn owned(path: &Path, contents: String) -> Write {
        Write::Owned {
            path: path.to_path_buf(),
            contents,
            secret: true,
        }
    }

    /// codeloop's own file that only loads the one holding the key.
    fn loader(path: &Path, contents: String) -> Write {
        Write::Owned {
            path: path.to_path_buf(),
            contents,
            secret: false,
        }
    }

    fn block(path: &Path, markers: Markers, body: Vec<String>) -> Write {
        Write::Block {
            path: path.to_path_buf(),
            markers,
            body,
        }
    }
}
