//! The MCP clients codeloop sets up, as data: one file per client describes where it
//! reads its servers from (per scope, per OS), the shape of one stdio entry, which
//! fields of it codeloop owns, how the client refers to an environment variable,
//! what its reader accepts, what shows it is installed, what to restart, and how its
//! own CLI lists servers. Detection, planning, doctor, uninstall, `--only` and the
//! real-client tests all come from [`ALL`]. Adding a client is a new file here and one
//! line in [`ALL`].
//!
//! Facts come from each client's own docs and source; each file names them.

mod amp;
mod augment;
mod claude_code;
mod claude_desktop;
mod cline;
mod codex;
mod continue_dev;
mod copilot;
mod crush;
mod cursor;
mod gemini;
mod goose;
mod junie;
mod kilo;
mod kiro;
mod opencode;
mod qwen;
mod roo;
mod vscode;
mod windsurf;
mod zed;

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::dirs::Dirs;
use crate::record::Format;

/// Every client, in the order the README and `--help` list them.
pub static ALL: &[&Client] = &[
    &cursor::CLIENT,
    &claude_code::CLIENT,
    &codex::CLIENT,
    &gemini::CLIENT,
    &vscode::CLIENT,
    &windsurf::CLIENT,
    &claude_desktop::CLIENT,
    &goose::CLIENT,
    &zed::CLIENT,
    &cline::CLIENT,
    &roo::CLIENT,
    &kiro::CLIENT,
    &junie::CLIENT,
    &amp::CLIENT,
    &augment::CLIENT,
    &copilot::CLIENT,
    &opencode::CLIENT,
    &qwen::CLIENT,
    &kilo::CLIENT,
    &crush::CLIENT,
    &continue_dev::CLIENT,
];

/// One MCP client.
#[derive(Debug)]
pub struct Client {
    /// The `--only` name (scripts depend on it).
    pub id: &'static str,
    pub label: &'static str,
    /// What shows the person uses it.
    pub evidence: &'static [Evidence],
    /// The user-level config file(s), first the one to create: an editor's forks
    /// each keep their own, and every one that exists is set up.
    pub user_files: fn(&Dirs) -> Vec<PathBuf>,
    /// Where the project-level servers live; `None`: the client has no project scope.
    pub project: Option<ProjectFile>,
    /// The file syntax, and what the client's reader accepts.
    pub syntax: Syntax,
    /// Where the servers map is in the user file (path of keys).
    pub servers: &'static [&'static str],
    /// The shape of one stdio entry.
    pub shape: Shape,
    /// How a committed project file refers to `CODELOOP_API_KEY` instead of holding
    /// it; `None`: the project file always holds the key (and is git-ignored).
    pub env_reference: Option<EnvReference>,
    /// On native Windows the client cannot start `npx` (a `.cmd` script) itself: its
    /// per-user entries start it through `cmd /c`.
    pub windows_cmd: bool,
    /// The client guards its user file with a `proper-lockfile` lock directory
    /// (`<file>.lock`), which codeloop takes while writing it.
    pub locks_user_file: bool,
    /// A permission codeloop adds for the project (Claude Code's pre-approval).
    pub permission: Option<Permission>,
    /// What to restart so the change is picked up.
    pub restart: &'static str,
    /// How the client's own CLI lists its servers offline (for tests and docs).
    pub lister: Option<Lister>,
}

/// Where a client keeps project-level servers.
#[derive(Debug, Clone, Copy)]
pub enum ProjectFile {
    /// A file under the project root (`/`-separated), servers at [`Client::servers`].
    Rel(&'static str),
    /// The first of these files that exists under the project root, else the first
    /// (`opencode.jsonc` or `opencode.json`); servers at [`Client::servers`].
    FirstOf(&'static [&'static str]),
    /// The first of these files that exists under the project root, else the second
    /// field (Copilot CLI: an existing `.mcp.json` hides `.github/mcp.json`, and a new
    /// file goes to `.github/mcp.json`, which no other client reads; Kilo: an existing
    /// `kilo.json`, else `.kilo/kilo.json`); servers at [`Client::servers`].
    FirstOfElse(&'static [&'static str], &'static str),
    /// In the user file, under this path, where [`PROJECT_KEY`] stands for the
    /// project (Claude Code's local scope in `~/.claude.json`).
    InUserFile(&'static [&'static str]),
}

/// Stands for the project's key in [`ProjectFile::InUserFile`] paths.
pub const PROJECT_KEY: &str = "{project}";

/// A file syntax and what the client's reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// JSON with comments and trailing commas.
    Jsonc,
    /// Strict JSON: a file with comments, trailing commas or a BOM fails to load.
    Json,
    /// JSON with comments (and a BOM), but a trailing comma fails to load: the reader
    /// strips comments, then calls `JSON.parse` (Qwen Code).
    JsonWithComments,
    Toml,
    /// Block-style YAML (Goose).
    Yaml,
}

impl Syntax {
    pub fn format(self) -> Format {
        match self {
            Syntax::Jsonc | Syntax::Json | Syntax::JsonWithComments => Format::Json,
            Syntax::Toml => Format::Toml,
            Syntax::Yaml => Format::Yaml,
        }
    }

    /// What the client's JSON reader refuses of what JSONC allows.
    pub fn reader(self) -> crate::edit::json::Reader {
        use crate::edit::json::Reader;
        match self {
            Syntax::Json => Reader::Strict,
            Syntax::JsonWithComments => Reader::NoTrailingCommas,
            Syntax::Jsonc | Syntax::Toml | Syntax::Yaml => Reader::Jsonc,
        }
    }
}

/// The fields of one stdio entry.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Fields written with a new entry and never touched after (`"type": "stdio"`).
    pub fixed: &'static [(&'static str, Fixed)],
    pub launch: Launch,
    /// The environment map (`env`, `environment`, `envs`).
    pub env: &'static str,
}

impl Shape {
    /// `command`, `args` and `env`.
    pub const STANDARD: Shape = Shape {
        fixed: &[],
        launch: Launch::CommandArgs {
            command: "command",
            args: "args",
        },
        env: "env",
    };
}

/// How an entry says what to start.
#[derive(Debug, Clone, Copy)]
pub enum Launch {
    /// A command and a list of arguments.
    CommandArgs {
        command: &'static str,
        args: &'static str,
    },
    /// One array: the command, then its arguments (opencode).
    CommandArray(&'static str),
}

/// A fixed value of a new entry.
#[derive(Debug, Clone, Copy)]
pub enum Fixed {
    Str(&'static str),
    Bool(bool),
    Int(i64),
    Strs(&'static [&'static str]),
}

impl Fixed {
    fn value(self) -> Value {
        match self {
            Fixed::Str(s) => json!(s),
            Fixed::Bool(b) => json!(b),
            Fixed::Int(i) => json!(i),
            Fixed::Strs(list) => json!(list),
        }
    }
}

/// How a client refers to an environment variable in its config.
#[derive(Debug, Clone, Copy)]
pub enum EnvReference {
    /// A string the client expands, with `{}` for the variable's name
    /// (`${env:{}}`, `${{}}`).
    Text(&'static str),
    /// The client forwards the variables named in this array field (Codex
    /// `env_vars`).
    Forward(&'static str),
}

/// A string codeloop adds to an array in a project file.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// The file, under the project root.
    pub file: &'static str,
    pub path: &'static [&'static str],
    pub item: &'static str,
}

/// How a client's CLI lists servers offline.
#[derive(Debug, Clone, Copy)]
pub struct Lister {
    /// The npm package that installs it.
    pub package: &'static str,
    pub bin: &'static str,
    pub args: &'static [&'static str],
    /// It prints the list on stderr (Gemini CLI).
    pub stderr: bool,
}

/// What shows a person uses a client.
#[derive(Debug, Clone, Copy)]
pub enum Evidence {
    /// A directory under the project root.
    ProjectDir(&'static str),
    /// A file under the project root.
    ProjectFile(&'static str),
    /// A directory, wherever the client keeps it.
    Dir(fn(&Dirs) -> PathBuf),
    /// The client's user file exists.
    UserFile,
    /// A program on `PATH`.
    Binary(&'static str),
    /// The app is installed (see [`Dirs::apps`]).
    App {
        mac: &'static [&'static str],
        windows: &'static [&'static str],
        linux: &'static [&'static str],
    },
}

impl Client {
    pub fn format(&self) -> Format {
        self.syntax.format()
    }

    /// The entry codeloop writes, holding `key_value` (the key or a reference).
    /// `windows_cmd`: start `npx` through `cmd /c`.
    pub fn entry(&self, package: &str, key_value: &str, windows_cmd: bool) -> Value {
        let mut entry = Map::new();
        for (name, value) in self.shape.fixed {
            entry.insert((*name).to_owned(), value.value());
        }
        let argv: Vec<&str> = if windows_cmd {
            vec!["cmd", "/c", "npx", "-y", package]
        } else {
            vec!["npx", "-y", package]
        };
        match self.shape.launch {
            Launch::CommandArgs { command, args } => {
                entry.insert(command.to_owned(), json!(argv[0]));
                entry.insert(args.to_owned(), json!(argv[1..]));
            }
            Launch::CommandArray(field) => {
                entry.insert(field.to_owned(), json!(argv));
            }
        }
        entry.insert(
            self.shape.env.to_owned(),
            json!({ crate::secret::ENV_VAR: key_value }),
        );
        Value::Object(entry)
    }

    /// The launch fields codeloop owns, as (path in the entry, value).
    pub fn launch(&self, entry: &Value) -> Vec<(Vec<String>, Value)> {
        let fields: Vec<&str> = match self.shape.launch {
            Launch::CommandArgs { command, args } => vec![command, args],
            Launch::CommandArray(field) => vec![field],
        };
        fields
            .into_iter()
            .filter_map(|f| entry.get(f).map(|v| (vec![f.to_owned()], v.clone())))
            .collect()
    }

    /// The reference to `CODELOOP_API_KEY` a committed file holds, if the client
    /// expands one in a string.
    pub fn reference_text(&self) -> Option<String> {
        match self.env_reference? {
            EnvReference::Text(pattern) => Some(pattern.replace("{}", crate::secret::ENV_VAR)),
            EnvReference::Forward(_) => None,
        }
    }

    /// The project file under `root`, if the client keeps one there.
    pub fn project_file(&self, root: &std::path::Path) -> Option<PathBuf> {
        match self.project? {
            ProjectFile::Rel(rel) => Some(crate::dirs::join(root, rel)),
            ProjectFile::FirstOf(candidates) => {
                let all: Vec<PathBuf> = candidates
                    .iter()
                    .map(|rel| crate::dirs::join(root, rel))
                    .collect();
                all.iter().find(|p| p.is_file()).or(all.first()).cloned()
            }
            ProjectFile::FirstOfElse(candidates, new) => Some(
                candidates
                    .iter()
                    .map(|rel| crate::dirs::join(root, rel))
                    .find(|p| p.is_file())
                    .unwrap_or_else(|| crate::dirs::join(root, new)),
            ),
            ProjectFile::InUserFile(_) => None,
        }
    }

    /// The user file to write: the existing ones, else the first candidate.
    pub fn user_targets(&self, dirs: &Dirs) -> Vec<PathBuf> {
        let candidates = (self.user_files)(dirs);
        let existing: Vec<PathBuf> = candidates.iter().filter(|p| p.is_file()).cloned().collect();
        if existing.is_empty() {
            candidates.into_iter().take(1).collect()
        } else {
            existing
        }
    }
}

/// The client named `id`.
pub fn find(id: &str) -> Option<&'static Client> {
    ALL.iter().copied().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::sys::{Os, Prompter, Sys};

    struct NoPrompt;
    impl Prompter for NoPrompt {
        fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
            unreachable!()
        }
    }

    /// The user file of client `id` on `os` with these variables, home `home`.
    fn user_file(id: &str, os: Os, home: &str, vars: &[(&str, &str)]) -> PathBuf {
        let sys = Sys::fake(os, PathBuf::from("/p"), vars, Box::new(NoPrompt));
        let dirs = Dirs::resolve(&sys, Path::new(home), Path::new("/p"));
        (find(id).unwrap().user_files)(&dirs).remove(0)
    }

    #[test]
    fn ids_are_unique_and_every_client_is_complete() {
        let mut ids: Vec<&str> = ALL.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        for c in ALL {
            assert!(!c.evidence.is_empty(), "{} needs evidence", c.id);
            assert!(!c.servers.is_empty() && !c.restart.is_empty(), "{}", c.id);
        }
    }

    #[test]
    fn claude_config_dir_moves_claude_json() {
        assert_eq!(
            user_file(
                "claude-code",
                Os::Linux,
                "/h",
                &[("CLAUDE_CONFIG_DIR", "/cfg")]
            ),
            PathBuf::from("/cfg/.claude.json")
        );
        assert_eq!(
            user_file("claude-code", Os::Linux, "/h", &[]),
            PathBuf::from("/h/.claude.json")
        );
    }

    #[test]
    fn codex_honours_codex_home() {
        assert_eq!(
            user_file("codex", Os::Linux, "/h", &[("CODEX_HOME", "/c")]),
            PathBuf::from("/c/config.toml")
        );
        assert_eq!(
            user_file("codex", Os::MacOs, "/h", &[]),
            PathBuf::from("/h/.codex/config.toml")
        );
    }

    #[test]
    fn app_configs_live_in_each_systems_application_data() {
        let linux = |id, vars: &[(&str, &str)]| user_file(id, Os::Linux, "/h", vars);
        assert_eq!(
            linux("vscode", &[]),
            PathBuf::from("/h/.config/Code/User/mcp.json")
        );
        assert_eq!(
            linux("claude-desktop", &[("XDG_CONFIG_HOME", "/x")]),
            PathBuf::from("/x/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            user_file(
                "vscode",
                Os::MacOs,
                "/Users/u",
                &[("XDG_CONFIG_HOME", "/x")]
            ),
            PathBuf::from("/Users/u/Library/Application Support/Code/User/mcp.json")
        );
        let home = Path::new("C:/Users/u");
        let win = |id, vars: &[(&str, &str)]| user_file(id, Os::Windows, "C:/Users/u", vars);
        assert_eq!(
            win("vscode", &[]),
            home.join("AppData")
                .join("Roaming")
                .join("Code")
                .join("User")
                .join("mcp.json")
        );
        assert_eq!(
            win(
                "claude-desktop",
                &[("APPDATA", "C:/Users/u/AppData/Roaming")]
            ),
            Path::new("C:/Users/u/AppData/Roaming")
                .join("Claude")
                .join("claude_desktop_config.json")
        );
        assert_eq!(
            win("windsurf", &[]),
            home.join(".codeium")
                .join("windsurf")
                .join("mcp_config.json")
        );
    }

    #[test]
    fn app_locations_follow_the_os() {
        let sys = Sys::fake(
            Os::Windows,
            PathBuf::from("/p"),
            &[("LOCALAPPDATA", "C:\\Users\\u\\AppData\\Local")],
            Box::new(NoPrompt),
        );
        let dirs = Dirs::resolve(&sys, Path::new("C:\\Users\\u"), Path::new("C:\\p"));
        let apps = dirs.apps(&["Cursor.app"], &["Programs/cursor/Cursor.exe"], &[]);
        assert_eq!(apps.len(), 1);
        assert!(apps[0].to_string_lossy().ends_with("Cursor.exe"));
        let sys = Sys::fake(Os::MacOs, PathBuf::from("/p"), &[], Box::new(NoPrompt));
        let dirs = Dirs::resolve(&sys, Path::new("/Users/u"), Path::new("/p"));
        let apps = dirs.apps(&["Cursor.app"], &[], &[]);
        assert!(apps.contains(&PathBuf::from("/Applications/Cursor.app")));
        assert!(apps.contains(&PathBuf::from("/Users/u/Applications/Cursor.app")));
    }

    #[test]
    fn entries_take_each_clients_shape() {
        let vscode = find("vscode").unwrap();
        assert_eq!(
            vscode.entry("pkg", "k", false),
            json!({"type": "stdio", "command": "npx", "args": ["-y", "pkg"], "env": {"CODELOOP_API_KEY": "k"}})
        );
        assert_eq!(
            vscode.reference_text().as_deref(),
            Some("${env:CODELOOP_API_KEY}")
        );
        let claude = find("claude-code").unwrap();
        assert_eq!(
            claude.entry("pkg", "k", true)["args"],
            json!(["/c", "npx", "-y", "pkg"])
        );
        assert_eq!(
            find("gemini").unwrap().reference_text().as_deref(),
            Some("${CODELOOP_API_KEY}")
        );
    }
}
