//! What codeloop owns: the per-user record of every change it made
//! (`~/.codeloop/state.json`, 0600, written atomically under codeloop's lock). Per
//! file: whether codeloop created it and which directories, where its original bytes
//! are kept, and each change — the entry or array item it added or merged into (with
//! the values it replaced), the marker block, the `.gitignore` lines, or the whole
//! file. Per project: whether its committed files refer to `CODELOOP_API_KEY`. The key
//! itself is never stored: a fingerprint stands for it. `uninstall`, `doctor` and
//! `auth --rotate` read this instead of guessing from the files.
//!
//! This module is data and its (de)serialisation; it never decides what to write.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::fsx::{self, Mode, SECRET_FILE_MODE};

/// The record's schema. A record with a higher number was written by a newer
/// codeloop, which this one refuses to rewrite.
pub const SCHEMA_VERSION: u32 = 1;

/// The record's file name inside `~/.codeloop`.
pub const FILE_NAME: &str = "state.json";
/// Where original bytes of changed files are kept, inside `~/.codeloop`.
pub const BACKUP_DIR: &str = "backups";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub schema_version: u32,
    /// Fingerprint ([`fingerprint`]) of the key codeloop last wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Every project codeloop changed files for, by its root directory.
    #[serde(default)]
    pub projects: BTreeMap<String, ProjectRecord>,
    /// Every file codeloop changed, by absolute path.
    #[serde(default)]
    pub files: BTreeMap<String, FileRecord>,
    /// Values codeloop set in the Windows user environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registry: Vec<RegistryRecord>,
    /// Directories codeloop created for files it has since removed, that still held
    /// something else then; removed by a later run once empty.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub leftover_dirs: BTreeSet<String>,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            schema_version: SCHEMA_VERSION,
            key: None,
            projects: BTreeMap::new(),
            files: BTreeMap::new(),
            registry: Vec::new(),
            leftover_dirs: BTreeSet::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRecord {
    /// Its committed files refer to `CODELOOP_API_KEY` instead of holding the key, so
    /// they rely on the shells (or the Windows user environment) setting it.
    #[serde(default)]
    pub env_reference: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    /// codeloop created the file (it did not exist before its first change).
    #[serde(default)]
    pub created: bool,
    /// Directories codeloop created for it, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<String>,
    /// The file's bytes before codeloop first changed it, as a file name in
    /// `~/.codeloop/backups`. Kept only while nobody else has written the file since
    /// (then putting those bytes back is exactly right); dropped the first time
    /// codeloop finds the file changed by someone else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    /// [`fsx::content_hash`] of the bytes codeloop last wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// Whether the file is untouched by others since codeloop first changed it (a
    /// created file can then simply be deleted, a changed one restored from `backup`).
    #[serde(default)]
    pub pristine: bool,
    pub changes: Vec<Change>,
}

impl FileRecord {
    pub fn change(&self, id: &ChangeId) -> Option<&Change> {
        self.changes.iter().find(|c| c.kind.id() == *id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The targets (`cursor`, `bash`, …) that rely on this change; it is reversed when
    /// the last of them is uninstalled (`zsh` and `bash` share `~/.codeloop/env.sh`).
    pub targets: BTreeSet<String>,
    /// The project this change belongs to; `None` for user-level changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(flatten)]
    pub kind: ChangeKind,
}

impl Change {
    /// Whether the change refers to `CODELOOP_API_KEY` instead of holding the key (a
    /// committed project file relying on the shells to set it).
    pub fn refers_to_env(&self) -> bool {
        matches!(
            &self.kind,
            ChangeKind::Entry { key, .. }
                if matches!(key.written, Written::Value(_) | Written::Item(_))
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Toml,
    Yaml,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[allow(clippy::large_enum_variant)] // a record holds a few dozen changes; boxing buys nothing
pub enum ChangeKind {
    /// An MCP server entry at `path`: added by codeloop (`added`), or an entry that
    /// was there before, into which codeloop merged its fields.
    #[serde(rename_all = "camelCase")]
    Entry {
        format: Format,
        path: Vec<String>,
        added: bool,
        /// How many innermost containers of `path` (the entry's parents) codeloop
        /// created; the reverse removes those while empty.
        #[serde(default)]
        created_containers: usize,
        /// The launch fields (`command`, `args`) when codeloop owns them, with what
        /// they held before; empty when the user pointed them elsewhere.
        #[serde(default)]
        launch: Vec<Field>,
        /// How the entry holds the key, with what that field held before.
        key: Field,
        /// The fields of the entry as codeloop created it (when `added`): any other
        /// field in it is one the user added.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        wrote: Vec<String>,
        /// The values codeloop gave the fields of `wrote` that are neither launch
        /// fields nor the key holder (Goose's `enabled` and `timeout`, Copilot's
        /// `tools`): one that differs now is one the user changed. Empty in records
        /// written before codeloop kept them.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        fixed: BTreeMap<String, Value>,
        /// Mappings on the entry's path or inside it that held an empty flow mapping
        /// `{}` (as Goose writes one) before codeloop wrote into them, as paths from
        /// the file's root: the reverse leaves each as it found it, `{}`, once empty
        /// again.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        empty_maps: Vec<Vec<String>>,
    },
    /// A string codeloop added to the array at `path` (`mcp__codeloop`).
    #[serde(rename_all = "camelCase")]
    ArrayItem {
        path: Vec<String>,
        item: String,
        /// Whether the item was absent before (else the user had it: it stays).
        added: bool,
        /// Containers of `path`, the array included, that codeloop created.
        #[serde(default)]
        created_containers: usize,
    },
    /// A marker block in a line-based file (rc files, PowerShell profiles).
    Block { begin: String, end: String },
    /// Lines in `.gitignore`'s codeloop block.
    Gitignore { lines: Vec<String> },
    /// The whole file is codeloop's (`~/.codeloop/env.sh`, the fish file).
    Owned,
}

/// Identifies a change within one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeId {
    Entry(Vec<String>),
    ArrayItem(Vec<String>, String),
    Block(String),
    Gitignore,
    Owned,
}

impl ChangeKind {
    pub fn id(&self) -> ChangeId {
        match self {
            ChangeKind::Entry { path, .. } => ChangeId::Entry(path.clone()),
            ChangeKind::ArrayItem { path, item, .. } => {
                ChangeId::ArrayItem(path.clone(), item.clone())
            }
            ChangeKind::Block { begin, .. } => ChangeId::Block(begin.clone()),
            ChangeKind::Gitignore { .. } => ChangeId::Gitignore,
            ChangeKind::Owned => ChangeId::Owned,
        }
    }
}

/// One field codeloop set inside an entry, relative to the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub path: Vec<String>,
    /// What it held before codeloop first set it; `None`: it was absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub before: Option<Value>,
    /// What codeloop wrote last.
    pub written: Written,
}

/// A value codeloop wrote: in clear, or — for the key — its fingerprint only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Written {
    Value(Value),
    /// The key, by [`fingerprint`].
    Key(String),
    /// This string, added to the array at the field's path (Codex `env_vars`).
    Item(String),
}

impl Written {
    /// Whether `current` (the field's value) is still what codeloop wrote.
    pub fn matches(&self, current: Option<&Value>) -> bool {
        match (self, current) {
            (Written::Value(v), Some(c)) => v == c,
            (Written::Key(fp), Some(Value::String(s))) => fingerprint(s) == *fp,
            (Written::Item(item), Some(Value::Array(a))) => {
                a.iter().any(|v| v.as_str() == Some(item.as_str()))
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryRecord {
    pub name: String,
    /// The `REG_SZ` value it held before codeloop first set it; `None`: unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Fingerprint of the key codeloop wrote last.
    pub written: String,
}

/// Deserialises a present field, `null` included, as `Some` (a missing one is `None`
/// through `#[serde(default)]`), so "was absent" and "was null" stay apart.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A fingerprint of `key` for the record: `sha256:` and the first 16 hex digits of
/// SHA-256 over a fixed label and the key. Enough to tell keys apart; says nothing
/// usable about the key.
pub fn fingerprint(key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"codeloop key fingerprint v1\0")
        .chain_update(key.as_bytes())
        .finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[derive(Debug, Error)]
pub enum RecordError {
    #[error("{path}: cannot read codeloop's record: {err}; check the permissions of ~/.codeloop")]
    Read { path: String, err: io::Error },
    #[error(
        "{path}:{line}:{column}: codeloop's record is damaged ({message}); move it aside (it lists what codeloop changed) and run again — without it, `codeloop uninstall` cannot know what codeloop added"
    )]
    Damaged {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path} was written by a newer codeloop (schema {found}, this one knows {SCHEMA_VERSION}); update codeloop (`npm i -g codeloop@latest`) and run again"
    )]
    Newer { path: String, found: u32 },
    #[error("{path}: cannot save codeloop's record: {message}")]
    Write { path: String, message: String },
}

impl Record {
    /// The record at `path`; an empty one when there is none yet.
    pub fn load(path: &Path) -> Result<Record, RecordError> {
        let shown = path.display().to_string();
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Record::default()),
            Err(err) => return Err(RecordError::Read { path: shown, err }),
        };
        let damaged = |e: serde_json::Error| RecordError::Damaged {
            path: shown.clone(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        let raw: Value = serde_json::from_str(&text).map_err(damaged)?;
        let found = raw
            .get("schemaVersion")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if found > u64::from(SCHEMA_VERSION) {
            return Err(RecordError::Newer {
                path: shown,
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        serde_json::from_value(raw).map_err(damaged)
    }

    /// Writes the record to `path` atomically, 0600.
    pub fn save(&self, path: &Path) -> Result<(), RecordError> {
        let mut text = serde_json::to_string_pretty(self).expect("the record serialises");
        text.push('\n');
        fsx::write_atomic(path, text.as_bytes(), Mode::Always(SECRET_FILE_MODE)).map_err(
            |message| RecordError::Write {
                path: path.display().to_string(),
                message,
            },
        )
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.registry.is_empty() && self.leftover_dirs.is_empty()
    }

    pub fn file(&self, path: &Path) -> Option<&FileRecord> {
        self.files.get(&key_of(path))
    }

    /// Every recorded change, with the file it is in.
    pub fn changes(&self) -> impl Iterator<Item = (PathBuf, &Change)> {
        self.files
            .iter()
            .flat_map(|(p, f)| f.changes.iter().map(move |c| (PathBuf::from(p), c)))
    }

    /// The targets set up for `project` (`None`: user-level), from the changes.
    pub fn targets(&self, project: Option<&Path>) -> BTreeSet<String> {
        let project = project.map(key_of);
        let mut out: BTreeSet<String> = self
            .changes()
            .filter(|(_, c)| c.project == project)
            .flat_map(|(_, c)| c.targets.iter().cloned())
            .collect();
        if project.is_none() && !self.registry.is_empty() {
            out.insert("windows-env".to_owned());
        }
        out
    }

    /// Projects other than `except` whose committed files refer to the variable.
    pub fn projects_relying_on_env(&self, except: Option<&Path>) -> Vec<String> {
        let except = except.map(key_of);
        self.projects
            .iter()
            .filter(|(p, r)| r.env_reference && Some(*p) != except.as_ref())
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Derives the project list from the changes: every project that owns one, and
    /// whether its committed files refer to the variable.
    pub fn refresh_projects(&mut self) {
        let mut projects: BTreeMap<String, ProjectRecord> = BTreeMap::new();
        for (_, c) in self.changes() {
            if let Some(p) = &c.project {
                projects.entry(p.clone()).or_default().env_reference |= c.refers_to_env();
            }
        }
        self.projects = projects;
    }

    /// A project moved from `old` to `new`: its files and its changes follow.
    pub fn relocate(&mut self, old: &str, new: &str) {
        let moved: Vec<String> = self
            .files
            .keys()
            .filter(|f| Path::new(f).starts_with(old))
            .cloned()
            .collect();
        for f in moved {
            let rel = Path::new(&f)
                .strip_prefix(old)
                .expect("under old")
                .to_path_buf();
            let mut file = self.files.remove(&f).expect("listed");
            file.created_dirs = file
                .created_dirs
                .iter()
                .map(|d| match Path::new(d).strip_prefix(old) {
                    Ok(r) => key_of(&Path::new(new).join(r)),
                    Err(_) => d.clone(),
                })
                .collect();
            self.files.insert(key_of(&Path::new(new).join(rel)), file);
        }
        for file in self.files.values_mut() {
            for c in &mut file.changes {
                if c.project.as_deref() == Some(old) {
                    c.project = Some(new.to_owned());
                }
            }
        }
        self.refresh_projects();
    }

    /// Forgets a project whose directory is gone: its files, and its changes in
    /// user-level files (its entry in `~/.claude.json`).
    pub fn forget_project(&mut self, project: &str) {
        let inside = |file: &str| Path::new(file).starts_with(project);
        self.files.retain(|f, _| !inside(f));
        for file in self.files.values_mut() {
            file.changes
                .retain(|c| c.project.as_deref() != Some(project));
        }
        self.files.retain(|_, f| !f.changes.is_empty());
        self.refresh_projects();
    }
}

/// How a path is written in the record.
pub fn key_of(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprints_tell_keys_apart_and_hide_them() {
        let a = fingerprint("cl_live_aaaaaaaaaaaa");
        assert_eq!(a, fingerprint("cl_live_aaaaaaaaaaaa"));
        assert_ne!(a, fingerprint("cl_live_aaaaaaaaaaab"));
        assert!(a.starts_with("sha256:") && a.len() == 7 + 16, "{a}");
        assert!(!a.contains("cl_live_"));
    }

    #[test]
    fn a_null_before_is_not_an_absent_one() {
        let field = Field {
            path: vec!["x".into()],
            before: Some(Value::Null),
            written: Written::Value(json!(1)),
        };
        let text = serde_json::to_string(&field).unwrap();
        let back: Field = serde_json::from_str(&text).unwrap();
        assert_eq!(back.before, Some(Value::Null));
        let absent: Field =
            serde_json::from_str(r#"{"path":["x"],"written":{"value":1}}"#).unwrap();
        assert_eq!(absent.before, None);
    }

    #[test]
    fn round_trips_and_refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert_eq!(Record::load(&path).unwrap(), Record::default());
        let mut record = Record::default();
        record.files.insert(
            "/p/.cursor/mcp.json".into(),
            FileRecord {
                created: true,
                created_dirs: vec!["/p/.cursor".into()],
                changes: vec![Change {
                    targets: ["cursor".to_owned()].into(),
                    project: Some("/p".into()),
                    kind: ChangeKind::Entry {
                        format: Format::Json,
                        path: vec!["mcpServers".into(), "codeloop".into()],
                        added: true,
                        created_containers: 1,
                        launch: Vec::new(),
                        key: Field {
                            path: vec!["env".into(), "CODELOOP_API_KEY".into()],
                            before: None,
                            written: Written::Key(fingerprint("cl_live_abcdefgh")),
                        },
                        wrote: vec!["command".into(), "enabled".into()],
                        fixed: [("enabled".to_owned(), Value::Bool(true))]
                            .into_iter()
                            .collect(),
                        empty_maps: Vec::new(),
                    },
                }],
                ..FileRecord::default()
            },
        );
        record.save(&path).unwrap();
        assert_eq!(Record::load(&path).unwrap(), record);
        assert_eq!(fsx::file_mode(&path).unwrap_or(0o600), 0o600);
        fsx::write_atomic(&path, br#"{"schemaVersion": 9}"#, Mode::KeepOr(0o600)).unwrap();
        let err = Record::load(&path).unwrap_err().to_string();
        assert!(err.contains("newer codeloop"), "{err}");
        fsx::write_atomic(&path, b"{", Mode::KeepOr(0o600)).unwrap();
        let err = Record::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("damaged") && err.contains("move it aside"),
            "{err}"
        );
    }
}
