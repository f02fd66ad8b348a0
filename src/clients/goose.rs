//! Goose (Block). One per-user `config.yaml`: `$GOOSE_PATH_ROOT/config/` when that
//! variable holds an absolute path, else `${XDG_CONFIG_HOME:-~/.config}/goose/` on
//! Linux and macOS and `%APPDATA%\\Block\\goose\\config\\` on Windows (goose
//! `crates/goose/src/config/paths.rs`: etcetera's app strategy; the docs' "Configuration
//! File" page). Extensions live in the `extensions` map, keyed by the name lower-cased
//! without spaces; a stdio one is `{enabled, type: stdio, name, description, cmd,
//! args, envs, env_keys, timeout}` with `name`, `cmd` and `args` required, and a
//! malformed entry is skipped with a warning (`crates/goose/src/config/extensions.rs`,
//! `agents/extension.rs`). No project scope, and no command that lists extensions
//! offline: tests read the file.

use std::path::PathBuf;

use super::{Client, Evidence, Fixed, Launch, Shape, Syntax};
use crate::dirs::Dirs;
use crate::sys::Os;

fn config_dir(d: &Dirs) -> PathBuf {
    if let Some(root) = d
        .var("GOOSE_PATH_ROOT")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return root.join("config");
    }
    match d.os {
        Os::Windows => d.app_data.join("Block").join("goose").join("config"),
        Os::Linux | Os::MacOs => d.xdg_config.join("goose"),
    }
}

pub static CLIENT: Client = Client {
    id: "goose",
    label: "Goose",
    evidence: &[
        Evidence::Dir(config_dir),
        Evidence::Binary("goose"),
        Evidence::App {
            mac: &["Goose.app"],
            windows: &[],
            linux: &[],
        },
    ],
    user_files: |d| vec![config_dir(d).join("config.yaml")],
    project: None,
    syntax: Syntax::Yaml,
    servers: &["extensions"],
    shape: Shape {
        fixed: &[
            ("enabled", Fixed::Bool(true)),
            ("type", Fixed::Str("stdio")),
            ("name", Fixed::Str("codeloop")),
            ("description", Fixed::Str("CodeLoop")),
            ("timeout", Fixed::Int(300)),
        ],
        launch: Launch::CommandArgs {
            command: "cmd",
            args: "args",
        },
        env: "envs",
    },
    env_reference: None,
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new goose session (or restart the Goose app) to load the CodeLoop extension",
    lister: None,
};
