//! Base directories per OS, from the `Sys` snapshot alone — never the platform's
//! home-directory API, which tests cannot sandbox. Clients and shells build their
//! paths from these. Pure: nothing here looks at the disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::sys::{Os, Sys};

#[derive(Debug, Clone)]
pub struct Dirs {
    pub os: Os,
    pub home: PathBuf,
    /// The project root (the git top-level when in a repository).
    pub project: PathBuf,
    /// `${XDG_CONFIG_HOME:-~/.config}` — also on macOS, where CLI tools use it.
    pub xdg_config: PathBuf,
    /// Per-user application data: `%APPDATA%` (Windows, default
    /// `<home>\AppData\Roaming`), `~/Library/Application Support` (macOS),
    /// `${XDG_CONFIG_HOME:-~/.config}` (Linux).
    pub app_data: PathBuf,
    /// `%LOCALAPPDATA%` (default `<home>\AppData\Local`); on other systems unused.
    pub local_app_data: PathBuf,
    /// The Documents known folder on Windows (OneDrive may move it), else
    /// `<home>/Documents`.
    pub documents: PathBuf,
    vars: BTreeMap<String, String>,
}

impl Dirs {
    pub fn resolve(sys: &Sys, home: &Path, project: &Path) -> Dirs {
        let os = sys.os;
        let xdg_config = sys
            .var("XDG_CONFIG_HOME")
            .map_or_else(|| home.join(".config"), PathBuf::from);
        let app_data = match os {
            Os::Windows => sys
                .var("APPDATA")
                .map_or_else(|| home.join("AppData").join("Roaming"), PathBuf::from),
            Os::MacOs => home.join("Library").join("Application Support"),
            Os::Linux => xdg_config.clone(),
        };
        let local_app_data = sys
            .var("LOCALAPPDATA")
            .map_or_else(|| home.join("AppData").join("Local"), PathBuf::from);
        let documents = sys
            .documents
            .clone()
            .unwrap_or_else(|| home.join("Documents"));
        Dirs {
            os,
            home: home.to_path_buf(),
            project: project.to_path_buf(),
            xdg_config,
            app_data,
            local_app_data,
            documents,
            vars: sys.env().clone(),
        }
    }

    /// A variable from the snapshot; empty counts as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The directory a variable names, else `default`.
    pub fn var_dir(&self, name: &str, default: PathBuf) -> PathBuf {
        self.var(name).map_or(default, PathBuf::from)
    }

    /// `rel` (with `/` separators) under the home directory.
    pub fn in_home(&self, rel: &str) -> PathBuf {
        join(&self.home, rel)
    }

    /// Places an app is installed on this OS: bundles in `/Applications` and
    /// `~/Applications` (macOS), files under `%LOCALAPPDATA%` (Windows), and
    /// absolute or `~/` paths (Linux).
    pub fn apps(&self, mac: &[&str], windows: &[&str], linux: &[&str]) -> Vec<PathBuf> {
        match self.os {
            Os::MacOs => mac
                .iter()
                .flat_map(|a| {
                    [
                        Path::new("/Applications").join(a),
                        self.home.join("Applications").join(a),
                    ]
                })
                .collect(),
            Os::Windows => windows
                .iter()
                .map(|rel| join(&self.local_app_data, rel))
                .collect(),
            Os::Linux => linux
                .iter()
                .map(|p| match p.strip_prefix("~/") {
                    Some(rel) => join(&self.home, rel),
                    None => PathBuf::from(p),
                })
                .collect(),
        }
    }
}

/// `base` joined with each `/`-separated part of `rel` (so Windows paths get `\`).
pub fn join(base: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|p| !p.is_empty())
        .fold(base.to_path_buf(), |p, part| p.join(part))
}
