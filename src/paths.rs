//! Where every file codeloop knows about lives, per OS, computed from the environment
//! snapshot alone. Pure: nothing here looks at the disk.

use std::path::{Path, PathBuf};

use crate::sys::{Os, Sys};

#[derive(Debug, Clone)]
pub struct Paths {
    pub os: Os,
    pub home: PathBuf,
    /// The project directory, absolute.
    pub project: PathBuf,
    pub codeloop_dir: PathBuf,
    pub config_json: PathBuf,
    pub lock: PathBuf,
    pub cursor_project_dir: PathBuf,
    pub cursor_user_dir: PathBuf,
    pub cursor_project_mcp: PathBuf,
    pub cursor_user_mcp: PathBuf,
    /// Places the Cursor app is installed on this OS.
    pub cursor_apps: Vec<PathBuf>,
    pub claude_project_dir: PathBuf,
    pub claude_project_mcp: PathBuf,
    pub claude_settings_local: PathBuf,
    /// `~/.claude` (or `$CLAUDE_CONFIG_DIR`).
    pub claude_user_dir: PathBuf,
    /// `~/.claude.json` (or `$CLAUDE_CONFIG_DIR/.claude.json`), where Claude Code keeps
    /// user- and local-scope MCP servers.
    pub claude_json: PathBuf,
    pub gitignore: PathBuf,
    /// `${ZDOTDIR:-$HOME}/.zshrc`.
    pub zshrc: PathBuf,
    pub bashrc: PathBuf,
    /// Login-shell files bash reads instead of `.bashrc`, in bash's order.
    pub bash_login_files: Vec<PathBuf>,
    /// What the shell rc blocks source: the key for POSIX shells and for PowerShell.
    pub env_sh: PathBuf,
    pub env_ps1: PathBuf,
    /// `${XDG_CONFIG_HOME:-~/.config}/fish`, and our file in its `conf.d`.
    pub fish_dir: PathBuf,
    pub fish_env: PathBuf,
    /// The current-user, all-hosts profile of each PowerShell edition on this OS.
    pub powershell_profiles: Vec<PowerShellProfile>,
    /// `$CODEX_HOME`, default `~/.codex`, and its `config.toml`.
    pub codex_home: PathBuf,
    pub codex_user_config: PathBuf,
    pub codex_project_dir: PathBuf,
    pub codex_project_config: PathBuf,
    /// Places the Codex app is installed on this OS.
    pub codex_apps: Vec<PathBuf>,
    pub gemini_user_dir: PathBuf,
    pub gemini_user_settings: PathBuf,
    pub gemini_project_dir: PathBuf,
    pub gemini_project_settings: PathBuf,
    /// VS Code's user dir (`Code/User`) and the `mcp.json` in it.
    pub vscode_user_dir: PathBuf,
    pub vscode_user_mcp: PathBuf,
    pub vscode_project_dir: PathBuf,
    pub vscode_project_mcp: PathBuf,
    pub vscode_apps: Vec<PathBuf>,
    /// `~/.codeium/windsurf`, and its `mcp_config.json` (user scope only).
    pub windsurf_dir: PathBuf,
    pub windsurf_mcp: PathBuf,
    pub windsurf_apps: Vec<PathBuf>,
    /// Claude Desktop's config dir and `claude_desktop_config.json` (user scope only).
    pub claude_desktop_dir: PathBuf,
    pub claude_desktop_config: PathBuf,
    pub claude_desktop_apps: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerShellProfile {
    pub edition: &'static str,
    /// The executable that runs this edition.
    pub exe: &'static str,
    pub path: PathBuf,
}

impl Paths {
    pub fn resolve(sys: &Sys, home: &Path, project: &Path) -> Paths {
        let os = sys.os;
        let codeloop_dir = home.join(".codeloop");
        let claude_config_dir = sys.var("CLAUDE_CONFIG_DIR").map(PathBuf::from);
        let claude_user_dir = claude_config_dir
            .clone()
            .unwrap_or_else(|| home.join(".claude"));
        let claude_json = claude_config_dir
            .unwrap_or_else(|| home.to_path_buf())
            .join(".claude.json");
        let cursor_apps = match os {
            Os::MacOs => vec![
                PathBuf::from("/Applications/Cursor.app"),
                home.join("Applications/Cursor.app"),
            ],
            Os::Windows => sys
                .var("LOCALAPPDATA")
                .map(|d| {
                    vec![
                        Path::new(d)
                            .join("Programs")
                            .join("cursor")
                            .join("Cursor.exe"),
                    ]
                })
                .unwrap_or_default(),
            Os::Linux => vec![
                PathBuf::from("/opt/Cursor"),
                PathBuf::from("/opt/cursor"),
                PathBuf::from("/usr/share/cursor"),
                home.join(".local/share/applications/cursor.desktop"),
                PathBuf::from("/usr/share/applications/cursor.desktop"),
            ],
        };
        let zdotdir = sys
            .var("ZDOTDIR")
            .map_or_else(|| home.to_path_buf(), PathBuf::from);
        let config_home = sys
            .var("XDG_CONFIG_HOME")
            .map_or_else(|| home.join(".config"), PathBuf::from);
        let fish_dir = config_home.join("fish");
        let powershell_profiles = match os {
            Os::Windows => {
                // PowerShell resolves "Documents" through the known folder, which
                // OneDrive often redirects; without it, the default location.
                let documents = sys
                    .documents
                    .clone()
                    .unwrap_or_else(|| home.join("Documents"));
                vec![
                    PowerShellProfile {
                        edition: "PowerShell 7",
                        exe: "pwsh",
                        path: documents.join("PowerShell").join("profile.ps1"),
                    },
                    PowerShellProfile {
                        edition: "Windows PowerShell 5.1",
                        exe: "powershell",
                        path: documents.join("WindowsPowerShell").join("profile.ps1"),
                    },
                ]
            }
            Os::Linux | Os::MacOs => vec![PowerShellProfile {
                edition: "PowerShell 7",
                exe: "pwsh",
                path: config_home.join("powershell").join("profile.ps1"),
            }],
        };
        let codex_home = sys
            .var("CODEX_HOME")
            .map_or_else(|| home.join(".codex"), PathBuf::from);
        // Per-user application data: %APPDATA% on Windows (default under the profile),
        // ~/Library/Application Support on macOS, ${XDG_CONFIG_HOME:-~/.config} on Linux.
        let app_data = match os {
            Os::Windows => sys
                .var("APPDATA")
                .map_or_else(|| home.join("AppData").join("Roaming"), PathBuf::from),
            Os::MacOs => home.join("Library").join("Application Support"),
            Os::Linux => config_home.clone(),
        };
        let local_app_data = sys
            .var("LOCALAPPDATA")
            .map_or_else(|| home.join("AppData").join("Local"), PathBuf::from);
        let vscode_user_dir = app_data.join("Code").join("User");
        let claude_desktop_dir = app_data.join("Claude");
        let windsurf_dir = home.join(".codeium").join("windsurf");
        let apps = |mac: &[&str], windows: &[&str], linux: &[&str]| -> Vec<PathBuf> {
            match os {
                Os::MacOs => mac
                    .iter()
                    .flat_map(|a| {
                        [
                            Path::new("/Applications").join(a),
                            home.join("Applications").join(a),
                        ]
                    })
                    .collect(),
                Os::Windows => windows
                    .iter()
                    .map(|rel| {
                        rel.split('/')
                            .fold(local_app_data.clone(), |p, part| p.join(part))
                    })
                    .collect(),
                Os::Linux => linux
                    .iter()
                    .map(|p| match p.strip_prefix("~/") {
                        Some(rel) => home.join(rel),
                        None => PathBuf::from(p),
                    })
                    .collect(),
            }
        };
        let vscode_apps = apps(
            &["Visual Studio Code.app"],
            &["Programs/Microsoft VS Code/Code.exe"],
            &[
                "/usr/share/code",
                "/snap/code",
                "~/.local/share/applications/code.desktop",
                "/usr/share/applications/code.desktop",
            ],
        );
        let windsurf_apps = apps(
            &["Windsurf.app"],
            &["Programs/Windsurf/Windsurf.exe"],
            &[
                "/usr/share/windsurf",
                "/opt/Windsurf",
                "~/.local/share/applications/windsurf.desktop",
                "/usr/share/applications/windsurf.desktop",
            ],
        );
        // No official Linux build of Claude Desktop: only its config dir tells there.
        let claude_desktop_apps = apps(&["Claude.app"], &["AnthropicClaude/claude.exe"], &[]);
        let codex_apps = apps(&["Codex.app"], &[], &[]);
        Paths {
            codex_user_config: codex_home.join("config.toml"),
            codex_home,
            codex_project_dir: project.join(".codex"),
            codex_project_config: project.join(".codex").join("config.toml"),
            codex_apps,
            gemini_user_dir: home.join(".gemini"),
            gemini_user_settings: home.join(".gemini").join("settings.json"),
            gemini_project_dir: project.join(".gemini"),
            gemini_project_settings: project.join(".gemini").join("settings.json"),
            vscode_user_mcp: vscode_user_dir.join("mcp.json"),
            vscode_user_dir,
            vscode_project_dir: project.join(".vscode"),
            vscode_project_mcp: project.join(".vscode").join("mcp.json"),
            vscode_apps,
            windsurf_mcp: windsurf_dir.join("mcp_config.json"),
            windsurf_dir,
            windsurf_apps,
            claude_desktop_config: claude_desktop_dir.join("claude_desktop_config.json"),
            claude_desktop_dir,
            claude_desktop_apps,
            zshrc: zdotdir.join(".zshrc"),
            bashrc: home.join(".bashrc"),
            bash_login_files: vec![home.join(".bash_profile"), home.join(".bash_login")],
            env_sh: codeloop_dir.join("env.sh"),
            env_ps1: codeloop_dir.join("env.ps1"),
            fish_env: fish_dir.join("conf.d").join("codeloop.fish"),
            fish_dir,
            powershell_profiles,
            os,
            home: home.to_path_buf(),
            project: project.to_path_buf(),
            config_json: codeloop_dir.join("config.json"),
            lock: codeloop_dir.join("lock"),
            codeloop_dir,
            cursor_project_dir: project.join(".cursor"),
            cursor_user_dir: home.join(".cursor"),
            cursor_project_mcp: project.join(".cursor").join("mcp.json"),
            cursor_user_mcp: home.join(".cursor").join("mcp.json"),
            cursor_apps,
            claude_project_dir: project.join(".claude"),
            claude_project_mcp: project.join(".mcp.json"),
            claude_settings_local: project.join(".claude").join("settings.local.json"),
            claude_user_dir,
            claude_json,
            gitignore: project.join(".gitignore"),
        }
    }

    /// Every configuration file codeloop may edit here, in both scopes (for finding
    /// what an earlier version left beside them).
    pub fn config_files(&self) -> Vec<PathBuf> {
        let mut files = vec![
            self.cursor_project_mcp.clone(),
            self.cursor_user_mcp.clone(),
            self.claude_json.clone(),
            self.claude_settings_local.clone(),
            self.codex_project_config.clone(),
            self.codex_user_config.clone(),
            self.gemini_project_settings.clone(),
            self.gemini_user_settings.clone(),
            self.vscode_project_mcp.clone(),
            self.vscode_user_mcp.clone(),
            self.windsurf_mcp.clone(),
            self.claude_desktop_config.clone(),
            self.zshrc.clone(),
            self.bashrc.clone(),
            self.gitignore.clone(),
        ];
        files.extend(self.bash_login_files.iter().cloned());
        files.extend(self.powershell_profiles.iter().map(|p| p.path.clone()));
        files
    }

    /// How a path is shown: project files relative to the project, home files under
    /// `~`, anything else in full. (When the project contains the home directory,
    /// home files still show under `~`.)
    pub fn display(&self, path: &Path) -> String {
        let sep = if self.os == Os::Windows { "\\" } else { "/" };
        let home_inside_project = self.home.starts_with(&self.project);
        if let Ok(rel) = path.strip_prefix(&self.project)
            && !(home_inside_project && path.starts_with(&self.home))
        {
            return rel.display().to_string();
        }
        if let Ok(rel) = path.strip_prefix(&self.home) {
            return format!("~{sep}{}", rel.display());
        }
        path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{Os, Prompter};

    struct NoPrompt;
    impl Prompter for NoPrompt {
        fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
            unreachable!()
        }
    }

    fn sys(os: Os, vars: &[(&str, &str)]) -> Sys {
        Sys::fake(os, PathBuf::from("/p"), vars, Box::new(NoPrompt))
    }

    #[test]
    fn claude_config_dir_moves_claude_json() {
        let s = sys(Os::Linux, &[("CLAUDE_CONFIG_DIR", "/cfg")]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.claude_json, PathBuf::from("/cfg/.claude.json"));
        let s = sys(Os::Linux, &[]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.claude_json, PathBuf::from("/h/.claude.json"));
        assert_eq!(p.cursor_project_mcp, PathBuf::from("/p/.cursor/mcp.json"));
    }

    #[test]
    fn displays_paths_relative_to_project_then_home() {
        let s = sys(Os::Linux, &[]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/h/p"));
        assert_eq!(
            p.display(Path::new("/h/p/.cursor/mcp.json")),
            ".cursor/mcp.json"
        );
        assert_eq!(p.display(Path::new("/h/.claude.json")), "~/.claude.json");
        assert_eq!(p.display(Path::new("/etc/x")), "/etc/x");
    }

    #[test]
    fn shell_files_honour_zdotdir_and_xdg_config_home() {
        let s = sys(Os::Linux, &[("ZDOTDIR", "/z"), ("XDG_CONFIG_HOME", "/x")]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.zshrc, PathBuf::from("/z/.zshrc"));
        assert_eq!(p.fish_env, PathBuf::from("/x/fish/conf.d/codeloop.fish"));
        assert_eq!(
            p.powershell_profiles[0].path,
            PathBuf::from("/x/powershell/profile.ps1")
        );
        let s = sys(Os::MacOs, &[]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.zshrc, PathBuf::from("/h/.zshrc"));
        assert_eq!(
            p.fish_env,
            PathBuf::from("/h/.config/fish/conf.d/codeloop.fish")
        );
        assert_eq!(p.powershell_profiles.len(), 1);
        assert_eq!(p.env_sh, PathBuf::from("/h/.codeloop/env.sh"));
    }

    #[test]
    fn windows_profiles_live_in_the_documents_known_folder() {
        let mut s = sys(Os::Windows, &[]);
        let home = Path::new("C:/Users/u");
        let p = Paths::resolve(&s, home, Path::new("C:/p"));
        let shown: Vec<_> = p
            .powershell_profiles
            .iter()
            .map(|p| (p.edition, p.path.clone()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "PowerShell 7",
                    home.join("Documents")
                        .join("PowerShell")
                        .join("profile.ps1")
                ),
                (
                    "Windows PowerShell 5.1",
                    home.join("Documents")
                        .join("WindowsPowerShell")
                        .join("profile.ps1")
                ),
            ]
        );
        // OneDrive moved Documents: the known folder says where.
        let onedrive = Path::new("C:/Users/u/OneDrive/Documents");
        s.documents = Some(onedrive.to_path_buf());
        let p = Paths::resolve(&s, home, Path::new("C:/p"));
        assert!(
            p.powershell_profiles
                .iter()
                .all(|p| p.path.starts_with(onedrive))
        );
    }

    #[test]
    fn cursor_app_locations_follow_the_os() {
        let s = sys(
            Os::Windows,
            &[("LOCALAPPDATA", "C:\\Users\\u\\AppData\\Local")],
        );
        let p = Paths::resolve(&s, Path::new("C:\\Users\\u"), Path::new("C:\\p"));
        assert_eq!(p.cursor_apps.len(), 1);
        assert!(p.cursor_apps[0].to_string_lossy().ends_with("Cursor.exe"));
        let s = sys(Os::MacOs, &[]);
        let p = Paths::resolve(&s, Path::new("/Users/u"), Path::new("/p"));
        assert!(
            p.cursor_apps
                .contains(&PathBuf::from("/Applications/Cursor.app"))
        );
    }

    #[test]
    fn codex_honours_codex_home() {
        let s = sys(Os::Linux, &[("CODEX_HOME", "/c")]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.codex_user_config, PathBuf::from("/c/config.toml"));
        assert_eq!(
            p.codex_project_config,
            PathBuf::from("/p/.codex/config.toml")
        );
        let s = sys(Os::MacOs, &[]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.codex_user_config, PathBuf::from("/h/.codex/config.toml"));
        assert_eq!(
            p.gemini_user_settings,
            PathBuf::from("/h/.gemini/settings.json")
        );
        assert_eq!(
            p.gemini_project_settings,
            PathBuf::from("/p/.gemini/settings.json")
        );
    }

    #[test]
    fn linux_app_configs_follow_xdg_config_home() {
        let s = sys(Os::Linux, &[]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(
            p.vscode_user_mcp,
            PathBuf::from("/h/.config/Code/User/mcp.json")
        );
        assert_eq!(
            p.claude_desktop_config,
            PathBuf::from("/h/.config/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p.windsurf_mcp,
            PathBuf::from("/h/.codeium/windsurf/mcp_config.json")
        );
        assert_eq!(p.vscode_project_mcp, PathBuf::from("/p/.vscode/mcp.json"));
        let s = sys(Os::Linux, &[("XDG_CONFIG_HOME", "/x")]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.vscode_user_mcp, PathBuf::from("/x/Code/User/mcp.json"));
        assert_eq!(
            p.claude_desktop_config,
            PathBuf::from("/x/Claude/claude_desktop_config.json")
        );
    }

    #[test]
    fn macos_app_configs_live_in_application_support() {
        let s = sys(Os::MacOs, &[("XDG_CONFIG_HOME", "/x")]);
        let p = Paths::resolve(&s, Path::new("/Users/u"), Path::new("/p"));
        assert_eq!(
            p.vscode_user_mcp,
            PathBuf::from("/Users/u/Library/Application Support/Code/User/mcp.json")
        );
        assert_eq!(
            p.claude_desktop_config,
            PathBuf::from("/Users/u/Library/Application Support/Claude/claude_desktop_config.json")
        );
        assert_eq!(
            p.windsurf_mcp,
            PathBuf::from("/Users/u/.codeium/windsurf/mcp_config.json")
        );
        assert!(
            p.vscode_apps
                .contains(&PathBuf::from("/Applications/Visual Studio Code.app"))
        );
        assert!(
            p.claude_desktop_apps
                .contains(&PathBuf::from("/Applications/Claude.app"))
        );
    }

    #[test]
    fn windows_app_configs_live_in_appdata() {
        let s = sys(
            Os::Windows,
            &[
                ("APPDATA", "C:/Users/u/AppData/Roaming"),
                ("LOCALAPPDATA", "C:/Users/u/AppData/Local"),
            ],
        );
        let home = Path::new("C:/Users/u");
        let p = Paths::resolve(&s, home, Path::new("C:/p"));
        let roaming = Path::new("C:/Users/u/AppData/Roaming");
        assert_eq!(
            p.vscode_user_mcp,
            roaming.join("Code").join("User").join("mcp.json")
        );
        assert_eq!(
            p.claude_desktop_config,
            roaming.join("Claude").join("claude_desktop_config.json")
        );
        assert_eq!(
            p.windsurf_mcp,
            home.join(".codeium")
                .join("windsurf")
                .join("mcp_config.json")
        );
        assert_eq!(p.codex_user_config, home.join(".codex").join("config.toml"));
        assert!(p.vscode_apps[0].ends_with("Programs/Microsoft VS Code/Code.exe"));
        // Without APPDATA: the default under the profile.
        let s = sys(Os::Windows, &[]);
        let p = Paths::resolve(&s, home, Path::new("C:/p"));
        assert_eq!(
            p.vscode_user_mcp,
            home.join("AppData")
                .join("Roaming")
                .join("Code")
                .join("User")
                .join("mcp.json")
        );
    }
}
