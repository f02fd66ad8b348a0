//! Where codeloop's own files and the shells' startup files live, per OS, computed
//! from the environment snapshot alone; clients compute theirs from [`Dirs`]. Pure:
//! nothing here looks at the disk.

use std::path::{Path, PathBuf};

use crate::clients::{self, ProjectFile};
use crate::dirs::Dirs;
use crate::sys::{Os, Sys};

#[derive(Debug, Clone)]
pub struct Paths {
    pub os: Os,
    pub home: PathBuf,
    /// The project root, absolute (the git top-level when in a repository).
    pub project: PathBuf,
    /// The base directories clients build their paths from.
    pub dirs: Dirs,
    pub codeloop_dir: PathBuf,
    pub config_json: PathBuf,
    pub lock: PathBuf,
    pub gitignore: PathBuf,
    /// `${ZDOTDIR:-$HOME}/.zshrc`, where `ZDOTDIR` may come from `~/.zshenv`
    /// (see `crate::shells::zsh::resolve`).
    pub zshrc: PathBuf,
    pub bashrc: PathBuf,
    /// Login-shell files bash reads, in bash's order (it reads the first that exists).
    pub bash_login_files: Vec<PathBuf>,
    /// What the shells' startup code sources: the key for POSIX shells, PowerShell
    /// and fish (all in `~/.codeloop`, which keeps itself out of git).
    pub env_sh: PathBuf,
    pub env_ps1: PathBuf,
    pub fish_env: PathBuf,
    /// `${XDG_CONFIG_HOME:-~/.config}/fish`, and our loader in its `conf.d`, which fish
    /// sources by itself (it holds no key: a fish config kept in a dotfiles repo
    /// never carries it).
    pub fish_dir: PathBuf,
    pub fish_conf: PathBuf,
    /// The current-user, all-hosts profile of each PowerShell edition on this OS.
    pub powershell_profiles: Vec<PowerShellProfile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerShellProfile {
    pub edition: &'static str,
    /// The executable that runs this edition.
    pub exe: &'static str,
    pub path: PathBuf,
}

impl PowerShellProfile {
    /// Every current-user profile this edition runs, in the order it runs them: the
    /// all-hosts `profile.ps1` (the one codeloop edits), then each host's own
    /// `<shell id>_profile.ps1` beside it — the console's
    /// `Microsoft.PowerShell_profile.ps1` (`$PROFILE`, the one most people edit), VS
    /// Code's `Microsoft.VSCode_profile.ps1`, and for Windows PowerShell 5.1 the ISE's
    /// `Microsoft.PowerShellISE_profile.ps1`. Sources: PowerShell's about_Profiles
    /// (MicrosoftDocs/PowerShell-Docs, `reference/7.4/.../about_Profiles.md`, "Profile
    /// types and locations", and `reference/5.1/...` for the ISE), and PowerShell's
    /// `HostUtilities.GetFullProfileFileName`, which names a host's profile
    /// `shellId + "_profile.ps1"` with the console's shell id `Microsoft.PowerShell` —
    /// so on Linux and macOS the file is `Microsoft.PowerShell_profile.ps1`, not the
    /// `Microsoft.Powershell_profile.ps1` the docs spell (case matters there).
    pub fn current_user_profiles(&self) -> Vec<PathBuf> {
        let Some(dir) = self.path.parent() else {
            return vec![self.path.clone()];
        };
        let mut hosts = vec!["Microsoft.PowerShell", "Microsoft.VSCode"];
        if self.exe == "powershell" {
            hosts.push("Microsoft.PowerShellISE");
        }
        std::iter::once(self.path.clone())
            .chain(hosts.iter().map(|h| dir.join(format!("{h}_profile.ps1"))))
            .collect()
    }
}

impl Paths {
    pub fn resolve(sys: &Sys, home: &Path, project: &Path) -> Paths {
        let os = sys.os;
        let dirs = Dirs::resolve(sys, home, project);
        let codeloop_dir = home.join(".codeloop");
        let zdotdir = sys
            .var("ZDOTDIR")
            .map_or_else(|| home.to_path_buf(), PathBuf::from);
        let fish_dir = dirs.xdg_config.join("fish");
        let powershell_profiles = match os {
            // PowerShell resolves "Documents" through the known folder, which OneDrive
            // often redirects; without it, the default location.
            Os::Windows => vec![
                PowerShellProfile {
                    edition: "PowerShell 7",
                    exe: "pwsh",
                    path: dirs.documents.join("PowerShell").join("profile.ps1"),
                },
                PowerShellProfile {
                    edition: "Windows PowerShell 5.1",
                    exe: "powershell",
                    path: dirs.documents.join("WindowsPowerShell").join("profile.ps1"),
                },
            ],
            Os::Linux | Os::MacOs => vec![PowerShellProfile {
                edition: "PowerShell 7",
                exe: "pwsh",
                path: dirs.xdg_config.join("powershell").join("profile.ps1"),
            }],
        };
        Paths {
            zshrc: zdotdir.join(".zshrc"),
            bashrc: home.join(".bashrc"),
            bash_login_files: vec![
                home.join(".bash_profile"),
                home.join(".bash_login"),
                home.join(".profile"),
            ],
            env_sh: codeloop_dir.join("env.sh"),
            env_ps1: codeloop_dir.join("env.ps1"),
            fish_env: codeloop_dir.join("env.fish"),
            fish_conf: fish_dir.join("conf.d").join("codeloop.fish"),
            fish_dir,
            powershell_profiles,
            os,
            home: home.to_path_buf(),
            project: project.to_path_buf(),
            dirs,
            config_json: codeloop_dir.join("config.json"),
            lock: codeloop_dir.join("lock"),
            codeloop_dir,
            gitignore: project.join(".gitignore"),
        }
    }

    /// Every configuration file codeloop may edit here, in both scopes (for finding
    /// what an earlier version left beside them).
    pub fn config_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for c in clients::ALL {
            files.extend((c.user_files)(&self.dirs));
            match c.project {
                Some(ProjectFile::Rel(rel)) => files.push(crate::dirs::join(&self.project, rel)),
                Some(ProjectFile::FirstOf(all) | ProjectFile::FirstOfElse(all, _)) => {
                    files.extend(all.iter().map(|rel| crate::dirs::join(&self.project, rel)));
                }
                _ => {}
            }
            if let Some(p) = c.permission {
                files.push(crate::dirs::join(&self.project, p.file));
            }
        }
        files.extend([
            self.zshrc.clone(),
            self.bashrc.clone(),
            self.gitignore.clone(),
        ]);
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
        assert_eq!(p.fish_conf, PathBuf::from("/x/fish/conf.d/codeloop.fish"));
        assert_eq!(
            p.powershell_profiles[0].path,
            PathBuf::from("/x/powershell/profile.ps1")
        );
        let s = sys(Os::MacOs, &[]);
        let p = Paths::resolve(&s, Path::new("/h"), Path::new("/p"));
        assert_eq!(p.zshrc, PathBuf::from("/h/.zshrc"));
        assert_eq!(
            p.fish_conf,
            PathBuf::from("/h/.config/fish/conf.d/codeloop.fish")
        );
        assert_eq!(p.powershell_profiles.len(), 1);
        assert_eq!(p.env_sh, PathBuf::from("/h/.codeloop/env.sh"));
        assert_eq!(p.fish_env, PathBuf::from("/h/.codeloop/env.fish"));
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
}
