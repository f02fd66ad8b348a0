//! bash: interactive shells read `~/.bashrc`; login shells (macOS Terminal, ssh)
//! read the first of `~/.bash_profile`, `~/.bash_login`, `~/.profile` that exists
//! (bash's manual, "Bash Startup Files"). Whether that file sources `.bashrc` cannot
//! be told from its text reliably, and loading `env.sh` twice is harmless, so the
//! block goes into `.bashrc` and into the login file bash really reads. When there is
//! none, `~/.profile` is created — never `.bash_profile`, which would stop
//! `.profile` from being read.

use super::{Evidence, Shell, Write, always, text};

pub static SHELL: Shell = Shell {
    id: "bash",
    label: "bash",
    evidence: &[
        Evidence::LoginShell("bash"),
        Evidence::Binary("bash", false),
        Evidence::File(|p| p.bashrc.clone()),
    ],
    default_on: always,
    files: |paths, key, _| {
        let login = paths
            .bash_login_files
            .iter()
            .find(|p| p.is_file())
            .or(paths.bash_login_files.last())
            .expect("bash has login files");
        let mut writes = vec![
            Write::owned(&paths.env_sh, text::env_sh(key)),
            Write::block(&paths.bashrc, text::POSIX_MARKERS, text::posix_block()),
        ];
        // A login file that is a link to `.bashrc` (dotfiles often make one) is the
        // same file: its one block serves both.
        let same = |a: &std::path::Path, b: &std::path::Path| matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b);
        if !same(login, &paths.bashrc) {
            writes.push(Write::block(
                login,
                text::POSIX_MARKERS,
                text::posix_block(),
            ));
        }
        writes
    },
    restart: "open a new terminal to get CODELOOP_API_KEY (or run `. ~/.codeloop/env.sh` in this one)",
};
