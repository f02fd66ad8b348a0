//! Zed. `settings.json` in Zed's config dir — `$FLATPAK_XDG_CONFIG_HOME/zed` or
//! `${XDG_CONFIG_HOME:-~/.config}/zed` on Linux, `~/.config/zed` on macOS (not
//! Application Support, which is Zed's support dir), `%APPDATA%\Zed` on Windows
//! (zed repo, `crates/paths/src/paths.rs`, `config_dir`) — and a project's
//! `.zed/settings.json` (`local_settings_file_relative_path`; `context_servers` is
//! part of `ProjectSettingsContent`, started once the worktree is trusted). Servers
//! are `context_servers.<name>` with `command`, `args`, `env` (the untagged `Stdio`
//! variant of `ContextServerSettingsContent`; optional `enabled`, `timeout`). No
//! `"source": "custom"`: Zed's migration `m_2025_11_25` removes it. Settings are read
//! with comments and trailing commas (`parse_json_with_comments`). Zed does not
//! expand variables in `env`, so a project file holds the key (git-ignored).
//! No CLI lists servers.

use std::path::PathBuf;

use super::{Client, Evidence, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;
use crate::sys::Os;

fn config_dir(d: &Dirs) -> PathBuf {
    match d.os {
        Os::Windows => d.app_data.join("Zed"),
        Os::Linux => d
            .var("FLATPAK_XDG_CONFIG_HOME")
            .map_or_else(|| d.xdg_config.clone(), PathBuf::from)
            .join("zed"),
        Os::MacOs => d.in_home(".config/zed"),
    }
}

pub static CLIENT: Client = Client {
    id: "zed",
    label: "Zed",
    evidence: &[
        Evidence::ProjectDir(".zed"),
        Evidence::Dir(config_dir),
        Evidence::Binary("zed"),
        Evidence::App {
            mac: &["Zed.app", "Zed Preview.app"],
            windows: &[],
            linux: &["~/.local/zed.app", "~/.local/zed-preview.app"],
        },
    ],
    user_files: |d| vec![config_dir(d).join("settings.json")],
    project: Some(ProjectFile::Rel(".zed/settings.json")),
    syntax: Syntax::Jsonc,
    servers: &["context_servers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "Zed reloads settings.json on save: check the codeloop server's dot in the Agent Panel's settings (a project's servers start once you trust the project)",
    lister: None,
};

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::dirs::Dirs;
    use crate::sys::{Os, Prompter, Sys};

    struct NoPrompt;
    impl Prompter for NoPrompt {
        fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
            unreachable!()
        }
    }

    fn settings(os: Os, home: &str, vars: &[(&str, &str)]) -> PathBuf {
        let sys = Sys::fake(os, PathBuf::from("/p"), vars, Box::new(NoPrompt));
        let dirs = Dirs::resolve(&sys, Path::new(home), Path::new("/p"));
        (super::CLIENT.user_files)(&dirs).remove(0)
    }

    #[test]
    fn zed_reads_its_config_dir_not_application_support_on_macos() {
        assert_eq!(
            settings(Os::MacOs, "/Users/u", &[("XDG_CONFIG_HOME", "/x")]),
            PathBuf::from("/Users/u/.config/zed/settings.json")
        );
        assert_eq!(
            settings(Os::Linux, "/h", &[("XDG_CONFIG_HOME", "/x")]),
            PathBuf::from("/x/zed/settings.json")
        );
        assert_eq!(
            settings(Os::Linux, "/h", &[("FLATPAK_XDG_CONFIG_HOME", "/f")]),
            PathBuf::from("/f/zed/settings.json")
        );
        assert_eq!(
            settings(
                Os::Windows,
                "C:/Users/u",
                &[("APPDATA", "C:/Users/u/AppData/Roaming")]
            ),
            Path::new("C:/Users/u/AppData/Roaming")
                .join("Zed")
                .join("settings.json")
        );
    }
}
