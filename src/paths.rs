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
        Paths {
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

    /// How a path is shown: project files relative to the project, home files under
    /// `~`, anything else in full.
    pub fn display(&self, path: &Path) -> String {
        let sep = if self.os == Os::Windows { "\\" } else { "/" };
        if let Ok(rel) = path.strip_prefix(&self.project) {
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
}
