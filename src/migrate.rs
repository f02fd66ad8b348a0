//! Installs made by codeloop 0.1, which kept no record: a `<file>.codeloop.bak`
//! beside each file it changed (in projects too, where `git add -A` could pick it
//! up) and nothing for files it created. On the next run their changes are adopted
//! into the record and the backups move under `~/.codeloop/backups/`, once.
//!
//! What counts as codeloop 0.1's: a machine with `~/.codeloop/lock` but no record
//! (every 0.1 run that wrote took that lock), or any `.codeloop.bak` beside a file
//! codeloop knows. Then each known file holding codeloop's entry, item or block is
//! adopted: added by codeloop when its backup lacks it (or there is no backup, since
//! 0.1 made none for files it created), merged into the user's entry otherwise. A
//! backup beside a file that holds nothing of codeloop's is stale: it is moved aside
//! too, never deleted. Directories 0.1 created are unknown, so none is claimed.
//!
//! Pure apart from reading files: the moves happen in `apply`, under the lock.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fsx::{self, read_text};
use crate::paths::Paths;
use crate::plan::entry::{self, KeyHolder};
use crate::plan::{self, Op, block, json, legacy_backup_path};
use crate::record::{
    self, Change, ChangeKind, Field, FileRecord, Format, Record, Written, fingerprint,
};

/// What migrating finds: records to adopt, backups to move, and what to tell.
#[derive(Debug, Clone, Default)]
pub struct Legacy {
    /// Files and their changes, as the record will hold them.
    pub adopt: Vec<(String, FileRecord)>,
    /// `(from, to)`: a `.codeloop.bak` and where it goes.
    pub moves: Vec<(PathBuf, PathBuf)>,
}

impl Legacy {
    pub fn is_empty(&self) -> bool {
        self.adopt.is_empty() && self.moves.is_empty()
    }

    /// The record with the adopted files in it (those it already had stay).
    pub fn into_record(&self, record: &mut Record) {
        for (path, file) in &self.adopt {
            record
                .files
                .entry(path.clone())
                .or_insert_with(|| file.clone());
        }
        record.refresh_projects();
    }
}

/// One file a target edits, with the op and whose change it is.
pub struct Known {
    pub path: PathBuf,
    pub op: Op,
    pub target: String,
    pub project: Option<String>,
}

/// Whether this machine shows signs of codeloop 0.1 (cheap: a few `stat`s), so that
/// [`find`] is worth running. `record_exists`: `~/.codeloop/state.json` is there.
pub fn suspected(paths: &Paths, record_exists: bool) -> bool {
    (!record_exists && paths.lock.exists())
        || paths
            .config_files()
            .iter()
            .any(|p| legacy_backup_path(p).is_file())
}

/// Finds codeloop 0.1's changes in `known` (the files every target edits, in this
/// project and user-level).
pub fn find(paths: &Paths, known: &[Known], record: &Record) -> Legacy {
    let mut legacy = Legacy::default();
    let backups = paths.codeloop_dir.join(record::BACKUP_DIR);
    let mut paths_seen: Vec<&Path> = Vec::new();
    for k in known {
        if record.file(&k.path).is_some() && !legacy_backup_path(&k.path).is_file() {
            continue;
        }
        let Ok(Some((text, _))) = read_text(&k.path) else {
            continue;
        };
        let bak_path = legacy_backup_path(&k.path);
        let bak = read_text(&bak_path).ok().flatten().map(|(t, _)| t);
        let Some(kind) = adopt(&k.op, &text, bak.as_deref()) else {
            continue;
        };
        let key = record::key_of(&k.path);
        let change = Change {
            targets: [k.target.clone()].into(),
            project: k.project.clone(),
            kind,
        };
        if let Some((_, file)) = legacy.adopt.iter_mut().find(|(p, _)| *p == key) {
            match file
                .changes
                .iter_mut()
                .find(|c| c.kind.id() == change.kind.id())
            {
                Some(c) => c.targets.extend(change.targets),
                None => file.changes.push(change),
            }
            continue;
        }
        let mut file = FileRecord {
            created: bak.is_none(),
            written: Some(fsx::content_hash(text.as_bytes())),
            changes: vec![change],
            ..FileRecord::default()
        };
        if bak.is_some() && !paths_seen.contains(&k.path.as_path()) {
            let name = backup_name(&k.path);
            legacy.moves.push((bak_path.clone(), backups.join(&name)));
            file.backup = Some(name);
        }
        paths_seen.push(&k.path);
        legacy.adopt.push((key, file));
    }
    // An env file serves the shells whose startup files load it: `env.sh` is bash's
    // alone when only `.bashrc` has the block.
    let loading: std::collections::BTreeSet<String> = legacy
        .adopt
        .iter()
        .flat_map(|(_, f)| &f.changes)
        .filter(|c| matches!(c.kind, ChangeKind::Block { .. }))
        .flat_map(|c| c.targets.iter().cloned())
        .collect();
    for (_, file) in &mut legacy.adopt {
        for c in &mut file.changes {
            if matches!(c.kind, ChangeKind::Owned) {
                let served: std::collections::BTreeSet<String> =
                    c.targets.intersection(&loading).cloned().collect();
                if !served.is_empty() {
                    c.targets = served;
                }
            }
        }
    }
    // Backups beside files that hold nothing of codeloop's: moved aside too.
    for k in known {
        let bak = legacy_backup_path(&k.path);
        let adopted = legacy
            .adopt
            .iter()
            .any(|(p, _)| *p == record::key_of(&k.path));
        if bak.is_file() && !adopted && !legacy.moves.iter().any(|(from, _)| *from == bak) {
            let name = format!("stale-{}", backup_name(&k.path));
            legacy.moves.push((bak, backups.join(name)));
        }
    }
    legacy
}

/// A backup's name under `~/.codeloop/backups`, as `apply` names them.
fn backup_name(path: &Path) -> String {
    let tag = &fsx::content_hash(record::key_of(path).as_bytes())[..8];
    format!(
        "{tag}-{}",
        path.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// The change codeloop 0.1 made by `op` in `text`, judged against its backup (the
/// file before 0.1 first changed it; `None`: 0.1 created the file).
fn adopt(op: &Op, text: &str, bak: Option<&str>) -> Option<ChangeKind> {
    match op {
        Op::Entry(spec) => {
            let now = entry::get(spec.format, text, &spec.path).ok()??;
            now.as_object()?;
            let before = bak.and_then(|b| entry::get(spec.format, b, &spec.path).ok().flatten());
            let added = before.is_none();
            let field_of = |v: &Value, p: &[String]| {
                p.iter().try_fold(v, |v, k| v.as_object()?.get(k)).cloned()
            };
            let launch: Vec<Field> = spec
                .launch
                .iter()
                .filter_map(|(p, _)| {
                    Some(Field {
                        path: p.clone(),
                        before: before.as_ref().and_then(|b| field_of(b, p)),
                        written: Written::Value(field_of(&now, p)?),
                    })
                })
                .collect();
            let key = match &spec.key {
                KeyHolder::Value { path, .. } => {
                    let v = field_of(&now, path)?;
                    let s = v.as_str()?;
                    let written = if crate::secret::ApiKey::parse(s).is_ok() {
                        Written::Key(fingerprint(s))
                    } else {
                        Written::Value(v.clone())
                    };
                    Field {
                        path: path.clone(),
                        before: before.as_ref().and_then(|b| field_of(b, path)),
                        written,
                    }
                }
                KeyHolder::Item { path, item } => Field {
                    path: path.clone(),
                    before: before.as_ref().and_then(|b| field_of(b, path)),
                    written: Written::Item(item.clone()),
                },
            };
            let created_containers = if !added || spec.format == Format::Toml {
                0
            } else {
                containers_created(bak, &spec.path[..spec.path.len() - 1])
            };
            Some(ChangeKind::Entry {
                format: spec.format,
                path: spec.path.clone(),
                added,
                created_containers,
                launch,
                key,
                wrote: if added {
                    now.as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default()
                } else {
                    Vec::new()
                },
                // What 0.1 gave these fields is not known, so none is taken for
                // a change of the user's.
                fixed: std::collections::BTreeMap::new(),
                empty_maps: Vec::new(),
            })
        }
        Op::ArrayItem { path, item } => {
            let has = |t: &str| {
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                json::get(t, &p)
                    .ok()
                    .flatten()
                    .and_then(|v| v.as_array().cloned())
                    .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(item)))
            };
            if !has(text) {
                return None;
            }
            let added = !bak.is_some_and(has);
            Some(ChangeKind::ArrayItem {
                path: path.clone(),
                item: item.clone(),
                added,
                created_containers: if added {
                    containers_created(bak, path)
                } else {
                    0
                },
            })
        }
        Op::Block { markers, .. } => {
            block::find(text, *markers).ok()??;
            Some(ChangeKind::Block {
                begin: markers.begin.to_owned(),
                end: markers.end.to_owned(),
            })
        }
        Op::Owned { .. } => Some(ChangeKind::Owned),
        Op::Gitignore { .. } => {
            let lines = block::body(text, block::HASH).ok()??;
            let lines: Vec<String> = lines
                .into_iter()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .collect();
            Some(ChangeKind::Gitignore { lines })
        }
        Op::Reverse(_) => None,
    }
}

/// How many of the containers along `path` (the document itself included) did not
/// exist in `before`: what a JSON edit creating `path` created.
fn containers_created(before: Option<&str>, path: &[String]) -> usize {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match before.map(|b| json::reach(b, &p)) {
        Some(Ok(Some((depth, _)))) => path.len() - depth,
        // No document: the root object too.
        _ => path.len() + 1,
    }
}

/// The files every target edits, for migration: both scopes, with `key`
/// (anything: only paths and shapes matter).
pub fn known_files(
    paths: &Paths,
    project: &plan::Project,
    targets: &[crate::target::Target],
    opts: &plan::Options,
) -> Vec<Known> {
    let empty = Record::default();
    let mut out = Vec::new();
    for global in [false, true] {
        for reference in [false, true] {
            let opts = plan::Options {
                global,
                shell_env: reference,
                ..opts.clone()
            };
            for &t in targets {
                if t == crate::target::Target::WindowsEnv {
                    continue;
                }
                let tp = plan::target(paths, project, t, crate::secret::PLACEHOLDER, &opts, &empty);
                for e in tp.edits {
                    if out.iter().any(|k: &Known| k.path == e.path && k.op == e.op) {
                        continue;
                    }
                    out.push(Known {
                        path: e.path,
                        op: e.op,
                        target: t.name().to_owned(),
                        project: e.owner.project,
                    });
                }
            }
        }
    }
    // The project's `.gitignore` block.
    out.push(Known {
        path: paths.gitignore.clone(),
        op: Op::Gitignore {
            lines: Vec::new(),
            stale: Vec::new(),
        },
        target: "git-ignore".to_owned(),
        project: Some(record::key_of(&paths.project)),
    });
    out
}
