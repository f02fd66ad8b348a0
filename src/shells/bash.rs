//! bash: `~/.bashrc` for interactive shells and, for login shells (macOS Terminal,
//! ssh), the first of `~/.bash_profile`, `~/.bash_login` that exists and does not
//! source `.bashrc` — never created, which would stop `.profile` from being read.

use super::{Evidence, Shell, Write, always, text};
use crate::edit::block;
use crate::fsx::read_text;

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
        let mut files = vec![
            Write::owned(&paths.env_sh, text::env_sh(key)),
            Write::block(&paths.bashrc, text::POSIX_MARKERS, text::posix_block()),
        ];
        if let Some(login) = paths.bash_login_files.iter().find(|p| p.is_file()) {
            let text = read_text(login)
                .ok()
                .flatten()
                .map(|(t, _)| t)
                .unwrap_or_default();
            let ours = block::find(&text, text::POSIX_MARKERS)
                .ok()
                .flatten()
                .is_some();
            if ours || !text::sources_bashrc(&text) {
                files.push(Write::block(
                    login,
                    text::POSIX_MARKERS,
                    text::posix_block(),
                ));
            }
        }
        files
    },
    restart: "open a new terminal to get CODELOOP_API_KEY (or run `. ~/.codeloop/env.sh` in this one)",
};
