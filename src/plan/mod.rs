//! The plan: for each target, every file it needs changed, as (before, after) text,
//! plus the operation that produced it so `apply` can re-plan a file that changed on
//! disk in the meantime. Building a plan reads files but never writes; the editors in
//! the submodules are pure functions of text.

pub mod block;
pub mod json;
pub mod jsonc;
pub mod shell;
pub mod toml;
pub mod user_env;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::paths::Paths;
use crate::sys::user_env::{RegValue, UserEnv};
use crate::target::Target;

/// The MCP server entry every editor gets, with `key` as its API key.
pub fn server_entry(key: &str) -> Value {
    json!({
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": { "CODELOOP_API_KEY": key }
    })
}

/// The entry for per-user configs of clients that cannot start `npx` (a `.cmd`
/// script) directly on native Windows, Claude Code among them.
pub fn server_entry_windows(key: &str) -> Value {
    json!({
        "command": "cmd",
        "args": ["/c", "npx", "-y", "codeloop-mcp-server"],
        "env": { "CODELOOP_API_KEY": key }
    })
}

pub const SERVER_NAME: &str = "codeloop";
/// Claude Code's permission rule that pre-approves every tool of our server.
pub const CLAUDE_PERMISSION: &str = "mcp__codeloop";

/// How a file is edited; `apply` runs it again if the file changed after the preview.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Put `value` at `path` in a JSONC file.
    JsonSet { path: Vec<String>, value: Value },
    /// Put the table `value` at `path` in a TOML file (Codex's `config.toml`).
    TomlSet { path: Vec<String>, value: Value },
    /// Make the array at `path` in a JSONC file contain `item`.
    JsonArrayItem { path: Vec<String>, item: String },
    /// Make `.gitignore`'s codeloop block list `patterns` (merged with what it lists).
    Gitignore { patterns: Vec<String> },
    /// Make a line-based file hold one marker block with `body`.
    Block {
        markers: block::Markers,
        body: Vec<String>,
    },
    /// A file codeloop owns outright (the env files): exactly `contents`.
    Owned { contents: String },
    /// The reverse of the inner edit (`codeloop uninstall`).
    Undo(Box<Op>),
}

/// What a reverse edit does to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Keep,
    Write(String),
    /// The file only ever held what codeloop put there.
    Delete,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Json(#[from] json::JsonError),
    #[error(transparent)]
    Block(#[from] block::BlockError),
    #[error(transparent)]
    Toml(#[from] toml::TomlError),
}

impl Op {
    /// The new text for `current` (`None` = file absent), or `None` when nothing changes.
    pub fn plan(&self, current: Option<&str>) -> Result<Option<String>, EditError> {
        Ok(match self {
            Op::JsonSet { path, value } => {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                json::set(current, &path, value)?.map(|e| e.text)
            }
            Op::TomlSet { path, value } => {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                toml::set(current, &path, value)?
            }
            Op::JsonArrayItem { path, item } => {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                json::ensure_in_array(current, &path, item)?.map(|e| e.text)
            }
            Op::Gitignore { patterns } => gitignore(current, patterns)?,
            Op::Block { markers, body } => block::upsert(current, *markers, body)?,
            Op::Owned { contents } => {
                (current != Some(contents.as_str())).then(|| contents.clone())
            }
            Op::Undo(inner) => match inner.undo(current, None)? {
                Change::Keep => None,
                Change::Write(text) => Some(text),
                Change::Delete => Some(String::new()),
            },
        })
    }

    /// The reverse edit: remove exactly what this edit adds. `backup` is the file as it
    /// was before codeloop first changed it (`<file>.codeloop.bak`), when there is one:
    /// among the ways to prune containers that became empty, the one that gives back
    /// those bytes wins. Without a backup, emptied containers on the path are pruned,
    /// and a file left with nothing in it was codeloop's and is deleted.
    pub fn undo(&self, current: Option<&str>, backup: Option<&str>) -> Result<Change, EditError> {
        let Some(text) = current else {
            return Ok(Change::Keep);
        };
        match self {
            Op::JsonSet { path, .. } => {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                let candidates = (0..=path.len())
                    .map(|prune| json::remove(text, &path, prune))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(pick_undo(candidates, path.len() - 1, backup))
            }
            Op::TomlSet { path, .. } => {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                let candidates = toml::remove(text, &path)?;
                if candidates.is_empty() {
                    return Ok(Change::Keep);
                }
                Ok(pick_undo(
                    candidates.into_iter().map(Some).collect(),
                    0,
                    backup,
                ))
            }
            Op::JsonArrayItem { path, item } => {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                let candidates = (0..=path.len() + 1)
                    .map(|prune| json::remove_from_array(text, &path, item, prune))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(pick_undo(candidates, path.len(), backup))
            }
            Op::Block { markers, .. } => {
                let Some(out) = block::remove(text, *markers)? else {
                    return Ok(Change::Keep);
                };
                Ok(empty_means_ours(out, backup))
            }
            Op::Gitignore { patterns } => {
                let Some(body) = block::body(text, block::HASH)? else {
                    return Ok(Change::Keep);
                };
                let kept: Vec<String> = body
                    .iter()
                    .filter(|l| {
                        !l.starts_with('#') && !l.trim().is_empty() && !patterns.contains(l)
                    })
                    .cloned()
                    .collect();
                let out = if kept.is_empty() {
                    block::remove(text, block::HASH)?
                } else {
                    let mut new_body = vec![GITIGNORE_HEADER.to_owned()];
                    new_body.extend(kept);
                    block::upsert(Some(text), block::HASH, &new_body)?
                };
                Ok(match out {
                    None => Change::Keep,
                    Some(out) => empty_means_ours(out, backup),
                })
            }
            Op::Owned { .. } => Ok(Change::Delete),
            Op::Undo(inner) => Ok(match inner.plan(Some(text))? {
                Some(t) => Change::Write(t),
                None => Change::Keep,
            }),
        }
    }

    /// Whether anything of codeloop's is in `current` (for `doctor`).
    pub fn present(&self, current: Option<&str>) -> bool {
        match self.undo(current, None) {
            Ok(Change::Keep) | Err(_) => false,
            Ok(_) => true,
        }
    }
}

/// Chooses among reverse edits that prune 0, 1, … emptied containers.
fn pick_undo(
    candidates: Vec<Option<String>>,
    default_prune: usize,
    backup: Option<&str>,
) -> Change {
    if candidates.iter().all(Option::is_none) {
        return Change::Keep;
    }
    if let Some(backup) = backup
        && let Some(exact) = candidates.iter().flatten().find(|c| c.as_str() == backup)
    {
        return Change::Write(exact.clone());
    }
    if backup.is_none()
        && let Some(Some(all)) = candidates.last()
        && all.trim_start_matches('\u{feff}').trim().is_empty()
    {
        return Change::Delete;
    }
    let default = candidates
        .into_iter()
        .take(default_prune + 1)
        .flatten()
        .last()
        .expect("removal found something");
    Change::Write(default)
}

fn empty_means_ours(out: String, backup: Option<&str>) -> Change {
    if out.is_empty() && backup.is_none() {
        Change::Delete
    } else {
        Change::Write(out)
    }
}

pub const GITIGNORE_HEADER: &str = "# files holding your CodeLoop API key; managed by `codeloop init`, removed by `codeloop uninstall`";

/// The codeloop block of a `.gitignore`, listing what it listed plus `patterns`.
fn gitignore(
    current: Option<&str>,
    patterns: &[String],
) -> Result<Option<String>, block::BlockError> {
    let mut body = vec![GITIGNORE_HEADER.to_owned()];
    if let Some(existing) = current
        .map(|t| block::body(t, block::HASH))
        .transpose()?
        .flatten()
    {
        body.extend(
            existing
                .into_iter()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty()),
        );
    }
    for p in patterns {
        if !body.contains(p) {
            body.push(p.clone());
        }
    }
    block::upsert(current, block::HASH, &body)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Unchanged,
    Changed,
    Created,
    Deleted,
}

impl Status {
    /// From what was there, whether anything is to be written, and whether that
    /// write is a deletion.
    pub fn of(existed: bool, writes: bool, deletes: bool) -> Status {
        match (existed, writes) {
            (_, false) => Status::Unchanged,
            _ if deletes => Status::Deleted,
            (false, true) => Status::Created,
            (true, true) => Status::Changed,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Unchanged => "unchanged",
            Status::Changed => "changed",
            Status::Created => "created",
            Status::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FileEdit {
    pub path: PathBuf,
    pub display: String,
    /// The text read while planning; `None` when the file did not exist.
    pub before: Option<String>,
    /// The text to write; `None` when the file is already right.
    pub after: Option<String>,
    /// The file holds the key: created 0600, and git-ignored in projects.
    pub secret: bool,
    /// The file is private to this user even without the key (Claude Code's
    /// `settings.local.json`): git-ignored in projects like key files.
    pub private: bool,
    /// How the file is stored; kept on write.
    pub encoding: Encoding,
    pub op: Op,
    /// Delete the file instead of writing `after` (a reverse edit of a file that
    /// only held codeloop's content).
    pub remove_file: bool,
    /// Keep the one-time `<file>.codeloop.bak` before changing it (forward edits).
    pub backup: bool,
    /// Delete `<file>.codeloop.bak` after writing: the reverse edit restored it.
    pub drop_backup: bool,
}

impl FileEdit {
    pub fn status(&self) -> Status {
        Status::of(
            self.before.is_some(),
            self.after.is_some(),
            self.remove_file,
        )
    }
}

/// `<file>.codeloop.bak`, beside the path the user knows.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".codeloop.bak");
    path.with_file_name(name)
}

/// Turns a forward edit into its reverse, against the file as planned and its backup.
pub fn undo_edit(edit: FileEdit) -> Result<FileEdit, PlanError> {
    let backup_file = backup_path(&edit.path);
    let backup = read_text(&backup_file).ok().flatten().map(|(t, _)| t);
    let change = edit
        .op
        .undo(edit.before.as_deref(), backup.as_deref())
        .map_err(|e| PlanError {
            display: edit.display.clone(),
            message: format!("{}:{e}", edit.display),
        })?;
    let (after, remove_file) = match change {
        Change::Keep => (None, false),
        Change::Write(text) => (Some(text), false),
        Change::Delete => (Some(String::new()), true),
    };
    let drop_backup = match (&after, &backup) {
        (Some(a), Some(b)) => !remove_file && a == b,
        _ => false,
    };
    Ok(FileEdit {
        after,
        remove_file,
        backup: false,
        drop_backup,
        op: Op::Undo(Box::new(edit.op)),
        ..edit
    })
}

/// Why a file could not be planned. The message names the file and what to do.
#[derive(Debug, Clone)]
pub struct PlanError {
    pub display: String,
    pub message: String,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// A change to one value of the Windows user environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEdit {
    pub name: String,
    /// The `REG_SZ` value found while planning; `None` when unset.
    pub before: Option<String>,
    /// The value to write; `None` when it is already right.
    pub after: Option<String>,
    /// The value wanted, to re-plan with if the registry changed before apply.
    pub wanted: String,
    /// Delete the value (the reverse edit) instead of writing `after`.
    pub delete: bool,
}

impl EnvEdit {
    pub fn status(&self) -> Status {
        Status::of(self.before.is_some(), self.after.is_some(), self.delete)
    }
}

#[derive(Debug, Clone)]
pub struct TargetPlan {
    pub target: Target,
    pub edits: Vec<FileEdit>,
    pub env_edits: Vec<EnvEdit>,
    pub errors: Vec<PlanError>,
}

impl TargetPlan {
    pub fn new(target: Target) -> TargetPlan {
        TargetPlan {
            target,
            edits: Vec::new(),
            env_edits: Vec::new(),
            errors: Vec::new(),
        }
    }

    pub fn has_changes(&self) -> bool {
        self.edits.iter().any(|e| e.after.is_some())
            || self.env_edits.iter().any(|e| e.after.is_some())
    }
}

/// The `windows-env` target: `CODELOOP_API_KEY` in `HKCU\Environment`.
pub fn windows_env(env: &dyn UserEnv, key: &str) -> TargetPlan {
    registry_plan(env, |name, current| {
        let after = user_env::set(name, current, key)?;
        Ok((after, false, key.to_owned()))
    })
}

/// The reverse of `windows_env`: delete `CODELOOP_API_KEY` only while it holds the
/// key codeloop writes (`key`; without one, any value in the key format, which only
/// codeloop puts there).
pub fn windows_env_undo(env: &dyn UserEnv, key: Option<&str>) -> TargetPlan {
    registry_plan(env, |_, current| {
        let ours = match (key, current) {
            (Some(key), _) => user_env::remove(current, key),
            (None, Some(RegValue::Sz(v))) => crate::auth::ApiKey::parse(v).is_ok(),
            (None, _) => false,
        };
        Ok((ours.then(String::new), ours, String::new()))
    })
}

/// Reads `CODELOOP_API_KEY` and plans one edit of it: `decide` returns the value to
/// write (if any), whether that is a deletion, and the value wanted.
fn registry_plan(
    env: &dyn UserEnv,
    decide: impl FnOnce(&str, Option<&RegValue>) -> Result<(Option<String>, bool, String), String>,
) -> TargetPlan {
    let mut plan = TargetPlan::new(Target::WindowsEnv);
    let name = crate::auth::ENV_VAR;
    let shown = format!("{}\\{name}", user_env::LOCATION);
    let current = match env.get(name) {
        Ok(current) => current,
        Err(e) => {
            plan.errors.push(PlanError {
                display: shown.clone(),
                message: format!("{shown}: cannot read it: {e}"),
            });
            return plan;
        }
    };
    match decide(name, current.as_ref()) {
        Ok((after, delete, wanted)) => plan.env_edits.push(EnvEdit {
            name: name.to_owned(),
            before: match current {
                Some(RegValue::Sz(v)) => Some(v),
                _ => None,
            },
            after,
            wanted,
            delete,
        }),
        Err(message) => plan.errors.push(PlanError {
            display: shown,
            message,
        }),
    }
    plan
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub targets: Vec<TargetPlan>,
    /// The `.gitignore` edit that keeps key-holding project files out of git; applied
    /// before any of them is written.
    pub guard: Option<FileEdit>,
    pub guard_error: Option<PlanError>,
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn has_errors(&self) -> bool {
        self.guard_error.is_some() || self.targets.iter().any(|t| !t.errors.is_empty())
    }

    pub fn has_changes(&self) -> bool {
        self.targets.iter().any(TargetPlan::has_changes)
            || self.guard.as_ref().is_some_and(|g| g.after.is_some())
    }

    /// Every edit in the order `apply` writes them: the git-ignore guard first.
    /// Drops a later target's edit of a file an earlier target already edits the
    /// same way (zsh and bash share `~/.codeloop/env.sh`).
    pub fn dedupe(&mut self) {
        let mut seen: Vec<(PathBuf, Op)> = Vec::new();
        for t in &mut self.targets {
            t.edits.retain(|e| {
                if seen.iter().any(|(p, op)| *p == e.path && *op == e.op) {
                    false
                } else {
                    seen.push((e.path.clone(), e.op.clone()));
                    true
                }
            });
        }
    }

    pub fn edits(&self) -> impl Iterator<Item = &FileEdit> {
        self.guard
            .iter()
            .chain(self.targets.iter().flat_map(|t| t.edits.iter()))
    }
}

/// What the caller learned about the project from git (`plan` itself runs nothing).
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The key Claude Code files this project under in `~/.claude.json`: the canonical
    /// git top-level when in a repository, else the canonical project directory.
    pub claude_key: String,
    pub in_git: bool,
    /// The work tree's top directory, when in git.
    pub git_top: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub global: bool,
    /// The same run sets `CODELOOP_API_KEY` for the user (a shell target or
    /// windows-env): normally-committed project files then reference the variable
    /// instead of holding the key.
    pub shell_env: bool,
    /// The PowerShell profiles to edit: those of the installed editions.
    pub powershell_profiles: Vec<PathBuf>,
}

/// One target's edits. `key` is the value written for the API key (the real key, or
/// the placeholder in a key-less dry run).
pub fn target(
    paths: &Paths,
    project: &Project,
    target: Target,
    key: &str,
    opts: &Options,
) -> TargetPlan {
    let entry = server_entry(key);
    // Claude Code's configs are per-user files, never shared with macOS/Linux teammates.
    let claude_entry = if paths.os == crate::sys::Os::Windows {
        server_entry_windows(key)
    } else {
        entry.clone()
    };
    // (file, holds the key, private to the user, edit)
    let mut specs: Vec<(PathBuf, bool, bool, Op)> = Vec::new();
    match target {
        Target::Cursor => {
            let file = if opts.global {
                &paths.cursor_user_mcp
            } else {
                &paths.cursor_project_mcp
            };
            specs.push((
                file.clone(),
                true,
                true,
                set_op(&["mcpServers", SERVER_NAME], &entry),
            ));
        }
        Target::ClaudeCode => {
            if opts.global {
                specs.push((
                    paths.claude_json.clone(),
                    true,
                    true,
                    set_op(&["mcpServers", SERVER_NAME], &claude_entry),
                ));
            } else {
                specs.push((
                    paths.claude_json.clone(),
                    true,
                    true,
                    set_op(
                        &["projects", &project.claude_key, "mcpServers", SERVER_NAME],
                        &claude_entry,
                    ),
                ));
                specs.push((
                    paths.claude_settings_local.clone(),
                    false,
                    true,
                    Op::JsonArrayItem {
                        path: vec!["permissions".into(), "allow".into()],
                        item: CLAUDE_PERMISSION.into(),
                    },
                ));
            }
        }
        Target::Zsh | Target::Bash => {
            specs.push((
                paths.env_sh.clone(),
                true,
                true,
                Op::Owned {
                    contents: shell::env_sh(key),
                },
            ));
            let block = Op::Block {
                markers: shell::POSIX_MARKERS,
                body: shell::posix_block(),
            };
            if target == Target::Zsh {
                specs.push((paths.zshrc.clone(), false, false, block));
            } else {
                specs.push((paths.bashrc.clone(), false, false, block.clone()));
                // Login shells (macOS Terminal, ssh) read the first of these instead;
                // never create one, which would stop `.profile` from being read.
                let login = paths.bash_login_files.iter().find(|p| p.is_file());
                if let Some(login) = login {
                    let text = read_text(login)
                        .ok()
                        .flatten()
                        .map(|(t, _)| t)
                        .unwrap_or_default();
                    let ours = block::find(&text, shell::POSIX_MARKERS)
                        .ok()
                        .flatten()
                        .is_some();
                    if ours || !shell::sources_bashrc(&text) {
                        specs.push((login.clone(), false, false, block));
                    }
                }
            }
        }
        Target::PowerShell => {
            specs.push((
                paths.env_ps1.clone(),
                true,
                true,
                Op::Owned {
                    contents: shell::env_ps1(key),
                },
            ));
            for profile in &opts.powershell_profiles {
                specs.push((
                    profile.clone(),
                    false,
                    false,
                    Op::Block {
                        markers: shell::POWERSHELL,
                        body: shell::powershell_block(),
                    },
                ));
            }
        }
        // Planned by `windows_env`, from the registry rather than a file.
        Target::WindowsEnv => {}
        Target::Codex => {
            // Codex forwards named variables from its environment (`env_vars`).
            let (file, reference, value) = committed_or_user(
                opts,
                &paths.codex_project_config,
                &paths.codex_user_config,
                &entry,
                EnvReference::Forward,
            );
            specs.push((
                file.clone(),
                !reference,
                !reference,
                Op::TomlSet {
                    path: vec!["mcp_servers".into(), SERVER_NAME.into()],
                    value,
                },
            ));
        }
        Target::Gemini => {
            // Gemini CLI expands `$VAR` / `${VAR}` in settings values.
            let (file, reference, value) = committed_or_user(
                opts,
                &paths.gemini_project_settings,
                &paths.gemini_user_settings,
                &entry,
                EnvReference::Text("${CODELOOP_API_KEY}"),
            );
            specs.push((
                file.clone(),
                !reference,
                !reference,
                set_op(&["mcpServers", SERVER_NAME], &value),
            ));
        }
        Target::VsCode => {
            // VS Code's key is `servers`, each with a `type`; it expands `${env:NAME}`.
            let (file, reference, value) = committed_or_user(
                opts,
                &paths.vscode_project_mcp,
                &paths.vscode_user_mcp,
                &entry,
                EnvReference::Text("${env:CODELOOP_API_KEY}"),
            );
            let mut typed = serde_json::Map::new();
            typed.insert("type".into(), "stdio".into());
            typed.extend(value.as_object().expect("the entry is an object").clone());
            specs.push((
                file.clone(),
                !reference,
                !reference,
                set_op(&["servers", SERVER_NAME], &Value::Object(typed)),
            ));
        }
        // User-only clients: always their per-user file, never shared, so it holds
        // the key; on Windows they start `npx` (a `.cmd` script) through `cmd /c`.
        Target::Windsurf | Target::ClaudeDesktop => {
            let file = if target == Target::Windsurf {
                &paths.windsurf_mcp
            } else {
                &paths.claude_desktop_config
            };
            specs.push((
                file.clone(),
                true,
                true,
                set_op(&["mcpServers", SERVER_NAME], &claude_entry),
            ));
        }
        Target::Fish => {
            specs.push((
                paths.fish_env.clone(),
                true,
                true,
                Op::Owned {
                    contents: shell::env_fish(key),
                },
            ));
        }
    }
    let mut plan = TargetPlan::new(target);
    for (path, secret, private, op) in specs {
        match edit_file(paths, &path, secret, op) {
            Ok(edit) => plan.edits.push(FileEdit { private, ..edit }),
            Err(e) => plan.errors.push(e),
        }
    }
    plan
}

/// How a committed project file refers to `CODELOOP_API_KEY` instead of holding it.
enum EnvReference {
    /// A string the client expands from its environment (`${env:…}`, `${…}`).
    Text(&'static str),
    /// Codex: `env_vars = ["CODELOOP_API_KEY"]` forwards the variable as it is.
    Forward,
}

/// `entry` with its key replaced by a reference to the environment variable.
fn env_reference_entry(entry: &Value, reference: EnvReference) -> Value {
    let mut out = entry.clone();
    let map = out.as_object_mut().expect("the entry is an object");
    match reference {
        EnvReference::Text(text) => {
            map.insert("env".into(), json!({ crate::auth::ENV_VAR: text }));
        }
        EnvReference::Forward => {
            map.shift_remove("env");
            map.insert("env_vars".into(), json!([crate::auth::ENV_VAR]));
        }
    }
    out
}

/// The file a client with a committed project config gets, whether it refers to
/// `CODELOOP_API_KEY` instead of holding the key (only a project file, and only when
/// the variable is set for the user's shells), and the entry to write there.
fn committed_or_user<'a>(
    opts: &Options,
    project: &'a PathBuf,
    user: &'a PathBuf,
    entry: &Value,
    reference: EnvReference,
) -> (&'a PathBuf, bool, Value) {
    if opts.global || !opts.shell_env {
        (
            if opts.global { user } else { project },
            false,
            entry.clone(),
        )
    } else {
        (project, true, env_reference_entry(entry, reference))
    }
}

fn set_op(path: &[&str], value: &Value) -> Op {
    Op::JsonSet {
        path: path.iter().map(|s| (*s).to_owned()).collect(),
        value: value.clone(),
    }
}

/// Reads `path` and plans `op` on it.
pub fn edit_file(paths: &Paths, path: &Path, secret: bool, op: Op) -> Result<FileEdit, PlanError> {
    let display = paths.display(path);
    let fail = |message: String| PlanError {
        display: display.clone(),
        message,
    };
    let read = read_text(path).map_err(|m| fail(format!("{display}: {m}")))?;
    let encoding = read.as_ref().map_or(Encoding::Utf8, |(_, e)| *e);
    let before = read.map(|(text, _)| text);
    let after = op
        .plan(before.as_deref())
        .map_err(|e| fail(format!("{display}:{e}")))?;
    Ok(FileEdit {
        path: path.to_path_buf(),
        display,
        before,
        after,
        secret,
        private: secret,
        encoding,
        op,
        remove_file: false,
        backup: true,
        drop_backup: false,
    })
}

/// How a file's text is stored on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-16LE with a byte order mark, as Windows PowerShell 5.1 may save profiles.
    /// The mark is kept in the text as U+FEFF, so it round-trips.
    Utf16Le,
}

impl Encoding {
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        }
    }
}

/// The file's text and encoding, `None` when it does not exist. Errors are lowercase
/// sentences saying what is wrong and what to do.
pub fn read_text(path: &Path) -> Result<Option<(String, Encoding)>, String> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
        Ok(meta) if meta.file_type().is_symlink() && std::fs::metadata(path).is_err() => {
            let to = std::fs::read_link(path)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return Err(format!(
                "is a symlink to {to}, which does not exist; create the target file or remove the link"
            ));
        }
        Ok(_) => {}
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if meta.is_dir() {
        return Err("is a directory, not a file; move it aside and run again".to_owned());
    }
    if !meta.is_file() {
        return Err("is not a regular file; move it aside and run again".to_owned());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    decode(bytes).map(Some)
}

fn decode(bytes: Vec<u8>) -> Result<(String, Encoding), String> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        if !bytes.len().is_multiple_of(2) {
            return Err(
                "looks like UTF-16 but has an odd number of bytes; save it as UTF-8 and run again"
                    .to_owned(),
            );
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units)
            .map(|t| (t, Encoding::Utf16Le))
            .map_err(|_| "is not valid UTF-16; save it as UTF-8 and run again".to_owned());
    }
    String::from_utf8(bytes)
        .map(|t| (t, Encoding::Utf8))
        .map_err(|e| {
            format!(
                "is not valid UTF-8 (at byte {}); save it as UTF-8 and run again",
                e.utf8_error().valid_up_to()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_block_merges_what_it_already_listed() {
        let first = gitignore(Some("target/\n"), &["/.cursor/mcp.json".into()])
            .unwrap()
            .unwrap();
        let second = gitignore(Some(&first), &["/.vscode/mcp.json".into()])
            .unwrap()
            .unwrap();
        assert!(second.contains("/.cursor/mcp.json\n/.vscode/mcp.json\n# <<< codeloop <<<"));
        assert_eq!(
            gitignore(Some(&second), &["/.cursor/mcp.json".into()]).unwrap(),
            None
        );
        assert_eq!(
            block::remove(&first, block::HASH).unwrap().as_deref(),
            Some("target/\n")
        );
    }
}
