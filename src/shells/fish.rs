//! fish: a file in `${XDG_CONFIG_HOME:-~/.config}/fish/conf.d/` is sourced by itself,
//! so codeloop's own `codeloop.fish` (0600) sets the key.

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
    files: |paths, key, _| vec![Write::owned(&paths.fish_env, text::env_fish(key))],
    restart: "open a new fish shell to get CODELOOP_API_KEY (or run `source ~/.config/fish/conf.d/codeloop.fish`)",
};
