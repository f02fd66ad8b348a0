//! Crush (Charm). Its JSON config — deprecated in favour of the Bash `crushrc`, but
//! still read and "supported for the foreseeable future" — is `crush.json` in
//! `${XDG_CONFIG_HOME:-~/.config}/crush/` on every OS (`$CRUSH_GLOBAL_CONFIG/crush.json`
//! when that is set), and `.crush.json` or `crush.json` in a project, found from the
//! working directory up to the git worktree root (`.crush.json` wins). Servers are
//! `mcp.<name>`: `{"type": "stdio", "command", "args", "env"}`, `type` required; `env`
//! values are shell-expanded at start (`$VAR`, `${VAR}` — and `$(cmd)` runs). Every
//! file must pass Go's `json.Valid`: strict JSON, no comments, trailing commas or BOM
//! (crush repo `internal/config/{load,config}.go`, `internal/home/home.go`,
//! `docs/config/README.md`, `schema.json`). Not run here: the npm package downloads
//! its binary at install. codeloop does not write `crushrc`.

use std::path::PathBuf;

use super::{Client, EnvReference, Evidence, Fixed, Launch, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

fn config_dir(d: &Dirs) -> PathBuf {
    d.var_dir("CRUSH_GLOBAL_CONFIG", d.xdg_config.join("crush"))
}

pub static CLIENT: Client = Client {
    id: "crush",
    label: "Crush",
    evidence: &[
        Evidence::ProjectFile(".crush.json"),
        Evidence::ProjectFile("crush.json"),
        Evidence::ProjectFile(".crushrc"),
        Evidence::Dir(config_dir),
        Evidence::Binary("crush"),
    ],
    user_files: |d| vec![config_dir(d).join("crush.json")],
    project: Some(ProjectFile::FirstOf(&[".crush.json", "crush.json"])),
    syntax: Syntax::Json,
    servers: &["mcp"],
    shape: Shape {
        fixed: &[("type", Fixed::Str("stdio"))],
        launch: Launch::CommandArgs {
            command: "command",
            args: "args",
        },
        env: "env",
    },
    env_reference: Some(EnvReference::Text("${{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new Crush session to load the CodeLoop server",
    lister: None,
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::opencode::user_file_on;
    use crate::sys::Os;

    #[test]
    fn the_user_file_is_under_xdg_config_or_crush_global_config() {
        assert_eq!(
            user_file_on("crush", Os::Windows, "C:/Users/u", &[]),
            Path::new("C:/Users/u")
                .join(".config")
                .join("crush")
                .join("crush.json")
        );
        assert_eq!(
            user_file_on("crush", Os::Linux, "/h", &[("CRUSH_GLOBAL_CONFIG", "/g")]),
            Path::new("/g/crush.json")
        );
    }
}
