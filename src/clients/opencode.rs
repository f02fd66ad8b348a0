//! opencode. User servers in `${XDG_CONFIG_HOME:-~/.config}/opencode/` (the same on
//! macOS and Windows: opencode takes its dirs from `xdg-basedir`), which opencode reads
//! as `config.json`, `opencode.json` and `opencode.jsonc`, merged; project servers in
//! `opencode.json[c]` at the project root or `.opencode/opencode.json[c]`, found from
//! the working directory up to the git worktree root (opencode repo,
//! `packages/opencode/src/config/paths.ts`, `packages/core/src/global.ts`; opencode.ai
//! docs, "Config"). `OPENCODE_CONFIG_DIR` and `OPENCODE_CONFIG` only add files.
//!
//! Servers are `mcp.<name>`: `{"type": "local", "command": [the command and its
//! arguments], "environment": {…}, "enabled": true}` (`config/mcp.ts`, docs "MCP
//! servers"). A string `command` is dropped without a word, and the published schema
//! rejects unknown keys, so nothing else is written. The reader takes JSONC; strings
//! expand `{env:NAME}` (`config/variable.ts`). All verified with opencode 1.18.33:
//! `opencode mcp list` lists servers offline (it tries to start each one).

use std::path::{Path, PathBuf};

use super::{Client, EnvReference, Evidence, Fixed, Launch, Lister, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

/// The first of `names` in `dir` that is a file, else the first name: a client that
/// merges several files gets codeloop's entry in one of them only.
pub(super) fn first_file(dir: &Path, names: &[&str]) -> PathBuf {
    names
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| dir.join(names[0]))
}

/// The user file client `id` writes on `os`, with home `home` and these variables
/// (nothing exists on disk there, so it is the first candidate).
#[cfg(test)]
pub(super) fn user_file_on(
    id: &str,
    os: crate::sys::Os,
    home: &str,
    vars: &[(&str, &str)],
) -> PathBuf {
    struct NoPrompt;
    impl crate::sys::Prompter for NoPrompt {
        fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
            unreachable!()
        }
    }
    let sys = crate::sys::Sys::fake(os, PathBuf::from("/p"), vars, Box::new(NoPrompt));
    let dirs = Dirs::resolve(&sys, Path::new(home), Path::new("/p"));
    (super::find(id).unwrap().user_files)(&dirs).remove(0)
}

/// opencode's (and its forks') entry: the command as one array, `environment`, and
/// `enabled`.
pub(super) const SHAPE: Shape = Shape {
    fixed: &[
        ("type", Fixed::Str("local")),
        ("enabled", Fixed::Bool(true)),
    ],
    launch: Launch::CommandArray("command"),
    env: "environment",
};

fn config_dir(d: &Dirs) -> PathBuf {
    d.xdg_config.join("opencode")
}

pub static CLIENT: Client = Client {
    id: "opencode",
    label: "opencode",
    evidence: &[
        Evidence::ProjectDir(".opencode"),
        Evidence::ProjectFile("opencode.json"),
        Evidence::ProjectFile("opencode.jsonc"),
        Evidence::Dir(config_dir),
        Evidence::Binary("opencode"),
    ],
    user_files: |d| {
        vec![first_file(
            &config_dir(d),
            &["opencode.json", "opencode.jsonc", "config.json"],
        )]
    },
    project: Some(ProjectFile::FirstOf(&[
        "opencode.json",
        "opencode.jsonc",
        ".opencode/opencode.json",
        ".opencode/opencode.jsonc",
    ])),
    syntax: Syntax::Jsonc,
    servers: &["mcp"],
    shape: SHAPE,
    env_reference: Some(EnvReference::Text("{env:{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new opencode session (`opencode mcp list` shows the server)",
    lister: Some(Lister {
        package: "opencode-ai",
        bin: "opencode",
        args: &["mcp", "list"],
        stderr: false,
    }),
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::sys::Os;

    #[test]
    fn the_user_file_is_under_xdg_config_on_every_os() {
        assert_eq!(
            user_file_on("opencode", Os::MacOs, "/Users/u", &[]),
            Path::new("/Users/u/.config/opencode/opencode.json")
        );
        assert_eq!(
            user_file_on("opencode", Os::Linux, "/h", &[("XDG_CONFIG_HOME", "/x")]),
            Path::new("/x/opencode/opencode.json")
        );
        assert_eq!(
            user_file_on("opencode", Os::Windows, "C:/Users/u", &[]),
            Path::new("C:/Users/u")
                .join(".config")
                .join("opencode")
                .join("opencode.json")
        );
    }

    #[test]
    fn the_entry_is_one_command_array_with_environment() {
        assert_eq!(
            CLIENT.entry("pkg", "k", false),
            serde_json::json!({"type": "local", "enabled": true, "command": ["npx", "-y", "pkg"], "environment": {"CODELOOP_API_KEY": "k"}})
        );
        assert_eq!(
            CLIENT.reference_text().as_deref(),
            Some("{env:CODELOOP_API_KEY}")
        );
    }
}
