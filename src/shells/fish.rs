//! fish: a file in `${XDG_CONFIG_HOME:-~/.config}/fish/conf.d/` is sourced by itself
//! (fish's docs, "Configuration files"), so codeloop's own `conf.d/codeloop.fish` loads
//! `~/.codeloop/env.fish` (0600), which sets the key. The key stays out of the fish
//! directory, which people keep in dotfiles repositories.

use super::{Evidence, Shell, Write, always, text};

pub static SHELL: Shell = Shell {
    id: "fish",
    label: "fish",
    evidence: &[
        Evidence::LoginShell("fish"),
        Evidence::Binary("fish", false),
        Evidence::Dir(|p| p.fish_dir.clone()),
    ],
    default_on: always,
    files: |paths, key, _| {
        vec![
            Write::owned(&paths.fish_env, text::env_fish(key)),
            Write::loader(&paths.fish_conf, text::fish_loader()),
        ]
    },
    restart: "open a new fish shell to get CODELOOP_API_KEY (or run `source ~/.codeloop/env.fish`)",
};
