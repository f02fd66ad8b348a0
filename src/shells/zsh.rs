//! zsh: `${ZDOTDIR:-$HOME}/.zshrc` for interactive shells gets a block sourcing
//! `~/.codeloop/env.sh`.

use super::{Evidence, Shell, Write, always, text};

pub static SHELL: Shell = Shell {
    id: "zsh",
    label: "zsh",
    evidence: &[
        Evidence::LoginShell("zsh"),
        Evidence::Binary("zsh", false),
        Evidence::File(|p| p.zshrc.clone()),
    ],
    default_on: always,
    files: |paths, key, _| {
        vec![
            Write::owned(&paths.env_sh, text::env_sh(key)),
            Write::block(&paths.zshrc, text::POSIX_MARKERS, text::posix_block()),
        ]
    },
    restart: "open a new terminal to get CODELOOP_API_KEY (or run `. ~/.codeloop/env.sh` in this one)",
};
