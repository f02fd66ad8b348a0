//! The plan: for each target, every file it needs changed, as (before, after) text,
//! with the operation that produced it (so `apply` can plan again on a file that
//! changed on disk meanwhile) and what the record will say about the file afterwards.
//! Building a plan reads files and the record but never writes; the editors in the
//! submodules are pure functions of text.

pub mod entry;
pub mod user_env;

pub use crate::shells::text as shell;

pub use crate::edit::{EditError, block, json, jsonc, toml};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::clients::{Client, EnvReference, PROJECT_KEY, ProjectFile};
pub use crate::fsx::{Encoding, read_text};
use crate::paths::Paths;
use crate::record::{
    self, Change, ChangeId, ChangeKind, FileRecord, Format, Record, RegistryRecord,
};
use crate::secret::ENV_VAR;
use crate::shells::Write;
use crate::sys::user_env::{RegValue, UserEnv};
use crate::target::Target;
use entry::{EntrySpec, KeyHolder, Note};

pub const SERVER_NAME: &str = "codeloop";
/// Claude Code's permission rule that pre-approves every tool of our server.
pub const CLAUDE_PERMISSION: &str = "mcp__codeloop";
/// The package every client starts.
pub const SERVER_PACKAGE: &str = "codeloop-mcp-server";

/// The MCP server entry every editor gets, with `key` as its API key.
pub fn server_entry(key: &str) -> Value {
    json!({
        "command": "npx",
        "args": ["-y", SERVER_PACKAGE],
        "env": { "CODELOOP_API_KEY": key }
    })
}

/// The entry for per-user configs of clients that cannot start `npx` (a `.cmd`
/// script) directly on native Windows, Claude Code among them.
pub fn server_entry_windows(key: &str) -> Value {
    json!({
        "command": "cmd",
        "args": ["/c", "npx", "-y", SERVER_PACKAGE],
        "env": { "CODELOOP_API_KEY": key }
    })
}

/// What a run reverses in one file (`codeloop uninstall`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reverse {
    /// Changes to undo: every target relying on them is being uninstalled.
    pub undo: Vec<ChangeId>,
    /// Changes that stay (others still rely on them) but lose these targets.
    pub detach: Vec<(ChangeId, BTreeSet<String>)>,
    /// `.gitignore` lines to take out of codeloop's block (their files are gone).
    pub gitignore_lines: Vec<String>,
}

/// How a file is edited; `apply` runs it again if the file changed after the preview.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Merge codeloop's MCP server entry into a JSONC or TOML file.
    Entry(EntrySpec),
    /// Make the array at `path` in a JSONC file contain `item`.
    ArrayItem { path: Vec<String>, item: String },
    /// Make `.gitignore`'s codeloop block list `lines` (merged with what it lists),
    /// without `stale`: lines of codeloop's block whose files are gone for good (the
    /// `<file>.codeloop.bak` backups of 0.1, moved under `~/.codeloop/backups`).
    Gitignore {
        lines: Vec<String>,
        stale: Vec<String>,
    },
    /// Make a line-based file hold one marker block with `body`.
    Block {
        markers: block::Markers,
        body: Vec<String>,
    },
    /// A file codeloop owns outright (the env files): exactly `contents`.
    Owned { contents: String },
    /// Undo what the record says codeloop did here (`codeloop uninstall`).
    Reverse(Reverse),
}

/// The result of planning one op on one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The text to write; `None` when nothing changes.
    pub after: Option<String>,
    /// Delete the file instead (it only held what codeloop put there).
    pub remove_file: bool,
    /// The file's recorded changes afterwards (all of them, not only this op's).
    pub changes: Vec<Change>,
    /// What the person should know (a custom command kept, a disabled server, a
    /// field the user changed that uninstall leaves alone).
    pub notes: Vec<String>,
    /// A reverse edit leaves something of codeloop's here because the user changed
    /// it since (the notes name it).
    pub keeps: bool,
}

/// Whose change a forward op makes: the targets relying on it and the project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    pub targets: BTreeSet<String>,
    pub project: Option<String>,
}

impl Op {
    /// Plans this op on `current` (`None`: the file is absent), given what the record
    /// says about the file (`prior`). `backup` reads a kept original by its name.
    pub fn plan(
        &self,
        current: Option<&str>,
        prior: Option<&FileRecord>,
        owner: &Owner,
        backup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Planned, EditError> {
        // A file that is gone took codeloop's earlier changes with it: a forward op
        // that makes it again starts its record afresh (an uninstall must not keep
        // the new file for the sake of an entry that is no longer in it).
        let prior = if current.is_none() && !matches!(self, Op::Reverse(_)) {
            None
        } else {
            prior
        };
        let prior_changes = prior.map_or(&[][..], |p| p.changes.as_slice());
        let forward = |after: Option<String>, kind: ChangeKind, notes: Vec<String>| Planned {
            after,
            remove_file: false,
            changes: upsert(prior_changes, kind, owner),
            notes,
            keeps: false,
        };
        let prior_kind = |id: &ChangeId| prior.and_then(|p| p.change(id)).map(|c| &c.kind);
        Ok(match self {
            Op::Entry(spec) => {
                let id = ChangeId::Entry(spec.path.clone());
                let merged = entry::merge(current, spec, prior_kind(&id))?;
                let notes = merged
                    .notes
                    .iter()
                    .map(|n| match n {
                        Note::KeptCustomCommand => format!(
                            "kept your custom command in `{}` (only the key is codeloop's to update)",
                            spec.path.join(".")
                        ),
                        Note::KeptReference => format!(
                            "kept your own reference in `{}` instead of the key",
                            spec.path.join(".")
                        ),
                        Note::Disabled => format!(
                            "`{}` is disabled; codeloop leaves it that way (enable it in the client to use CodeLoop)",
                            spec.path.join(".")
                        ),
                    })
                    .collect();
                forward(merged.text, merged.change, notes)
            }
            Op::ArrayItem { path, item } => {
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                let id = ChangeId::ArrayItem(path.clone(), item.clone());
                let (prior_added, prior_created) = match prior_kind(&id) {
                    Some(ChangeKind::ArrayItem {
                        added,
                        created_containers,
                        ..
                    }) => (Some(*added), *created_containers),
                    _ => (None, 0),
                };
                let edited = json::ensure_in_array(current, &p, item)?;
                let (added, created) = match &edited {
                    Some(e) => (true, e.created.max(prior_created)),
                    // Already there: the user's own, unless codeloop added it.
                    None => (prior_added.unwrap_or(false), prior_created),
                };
                let kind = ChangeKind::ArrayItem {
                    path: path.clone(),
                    item: item.clone(),
                    added,
                    created_containers: created,
                };
                forward(edited.map(|e| e.text), kind, Vec::new())
            }
            Op::Gitignore { lines, stale } => {
                let mut recorded: Vec<String> = match prior_kind(&ChangeId::Gitignore) {
                    Some(ChangeKind::Gitignore { lines }) => lines.clone(),
                    _ => Vec::new(),
                };
                recorded.retain(|l| !stale.contains(l));
                for l in lines {
                    if !recorded.contains(l) {
                        recorded.push(l.clone());
                    }
                }
                let after = match current {
                    Some(text) if !stale.is_empty() => {
                        let without = gitignore_without(text, stale)?;
                        let base = without.as_deref().unwrap_or(text);
                        if lines.is_empty() {
                            without
                        } else {
                            // Nothing to add: taking the stale lines out is the edit.
                            gitignore(Some(base), lines)?.or(without)
                        }
                    }
                    _ => gitignore(current, lines)?,
                };
                forward(after, ChangeKind::Gitignore { lines: recorded }, Vec::new())
            }
            Op::Block { markers, body } => forward(
                block::upsert(current, *markers, body)?,
                ChangeKind::Block {
                    begin: markers.begin.to_owned(),
                    end: markers.end.to_owned(),
                },
                Vec::new(),
            ),
            Op::Owned { contents } => forward(
                (current != Some(contents.as_str())).then(|| contents.clone()),
                ChangeKind::Owned,
                Vec::new(),
            ),
            Op::Reverse(reverse) => reverse_file(current, prior, reverse, backup)?,
        })
    }
}

/// `changes` with `kind` put in place of the change with its identity (or added),
/// owned by `owner` as well as by whoever owned it already.
fn upsert(changes: &[Change], kind: ChangeKind, owner: &Owner) -> Vec<Change> {
    let id = kind.id();
    let mut out: Vec<Change> = changes.to_vec();
    match out.iter_mut().find(|c| c.kind.id() == id) {
        Some(c) => {
            c.targets.extend(owner.targets.iter().cloned());
            if owner.project.is_some() {
                c.project.clone_from(&owner.project);
            }
            c.kind = kind;
        }
        None => out.push(Change {
            targets: owner.targets.clone(),
            project: owner.project.clone(),
            kind,
        }),
    }
    out
}

/// The reverse edit of one file from its record: when every change goes and nobody
/// else has written the file since codeloop first did, its original bytes come back
/// whole (or a file codeloop created is deleted); otherwise each change is undone
/// structurally, keeping whatever the user changed since.
fn reverse_file(
    current: Option<&str>,
    prior: Option<&FileRecord>,
    reverse: &Reverse,
    backup: &dyn Fn(&str) -> Option<String>,
) -> Result<Planned, EditError> {
    let Some(prior) = prior else {
        return Ok(Planned {
            after: None,
            remove_file: false,
            changes: Vec::new(),
            notes: Vec::new(),
            keeps: false,
        });
    };
    // A container codeloop created for one change (`projects` in `~/.claude.json`)
    // may hold another change's entry by the time the first goes: the containers of
    // undone changes pass to the changes still inside them, so whichever goes last
    // takes them along.
    let mut all: Vec<Change> = prior.changes.clone();
    for undone in prior
        .changes
        .iter()
        .filter(|c| reverse.undo.contains(&c.kind.id()))
    {
        for container in created_prefixes(&undone.kind) {
            for other in all.iter_mut().filter(|o| o.kind.id() != undone.kind.id()) {
                claim_container(&mut other.kind, &container);
            }
        }
    }
    let mut changes: Vec<Change> = Vec::new();
    for c in &all {
        let id = c.kind.id();
        if reverse.undo.contains(&id) {
            continue;
        }
        let mut c = c.clone();
        if let Some((_, targets)) = reverse.detach.iter().find(|(d, _)| *d == id) {
            c.targets.retain(|t| !targets.contains(t));
        }
        if let ChangeKind::Gitignore { lines } = &mut c.kind {
            lines.retain(|l| !reverse.gitignore_lines.contains(l));
            if lines.is_empty() {
                continue;
            }
        }
        changes.push(c);
    }
    let unchanged = |after: Option<String>, remove_file: bool, notes: Vec<String>| Planned {
        after,
        remove_file,
        changes: changes.clone(),
        notes,
        keeps: false,
    };
    let Some(text) = current else {
        return Ok(unchanged(None, false, Vec::new()));
    };
    // Whole-file: codeloop's changes are all going, and the file is exactly what
    // codeloop last wrote, so nobody else has anything in it to keep.
    if changes.is_empty()
        && prior.pristine
        && prior.written.as_deref() == Some(crate::fsx::content_hash(text.as_bytes()).as_str())
    {
        if prior.created {
            return Ok(unchanged(Some(String::new()), true, Vec::new()));
        }
        if let Some(original) = prior.backup.as_deref().and_then(backup) {
            let after = (original != text).then_some(original);
            return Ok(unchanged(after, false, Vec::new()));
        }
    }
    let mut out = text.to_owned();
    let mut notes = Vec::new();
    let mut keeps = false;
    for c in &all {
        let id = c.kind.id();
        let partial_gitignore =
            matches!(c.kind, ChangeKind::Gitignore { .. }) && !reverse.gitignore_lines.is_empty();
        if !reverse.undo.contains(&id) && !partial_gitignore {
            continue;
        }
        let next =
            match &c.kind {
                ChangeKind::Entry { .. } => {
                    let (next, kept) = entry::unmerge(&out, &c.kind)?;
                    keeps |= kept
                        .iter()
                        .any(|k| !matches!(k, entry::Kept::GoesWith { .. }));
                    notes.extend(kept.iter().map(|k| kept_note(k, &c.targets)));
                    next
                }
                ChangeKind::ArrayItem {
                    path,
                    item,
                    added: true,
                    created_containers,
                } => {
                    let p: Vec<&str> = path.iter().map(String::as_str).collect();
                    json::remove_from_array(&out, &p, item, *created_containers)?
                }
                ChangeKind::ArrayItem { .. } => None,
                ChangeKind::Block { begin, .. } => match block::Markers::known(begin) {
                    Some(m) => block::remove(&out, m)?,
                    None => None,
                },
                // The whole change goes: undone, or every line of it is one going.
                ChangeKind::Gitignore { lines }
                    if reverse.undo.contains(&id)
                        || lines.iter().all(|l| reverse.gitignore_lines.contains(l)) =>
                {
                    // Lines the person added inside codeloop's block stay, outside it.
                    let (next, kept) = gitignore_release(&out, lines)?;
                    if !kept.is_empty() {
                        notes.push(format!(
                        "kept your line{} {} from codeloop's block, without the block's markers",
                        if kept.len() == 1 { "" } else { "s" },
                        kept.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
                    ));
                    }
                    next
                }
                ChangeKind::Gitignore { .. } => gitignore_without(&out, &reverse.gitignore_lines)?,
                ChangeKind::Owned => return Ok(unchanged(Some(String::new()), true, notes)),
            };
        if let Some(next) = next {
            out = next;
        }
    }
    // A file codeloop created that holds nothing else now goes.
    if prior.created && changes.is_empty() && out.trim_start_matches('\u{feff}').trim().is_empty() {
        return Ok(unchanged(Some(String::new()), true, notes));
    }
    let after = (out != text).then_some(out);
    Ok(Planned {
        keeps,
        ..unchanged(after, false, notes)
    })
}

/// What a person reads about a reverse edit of an entry that differs from what
/// codeloop wrote; `targets` rely on the entry (the way to keep it is to leave them
/// out).
fn kept_note(kept: &entry::Kept, targets: &BTreeSet<String>) -> String {
    match kept {
        entry::Kept::GoesWith { entry, theirs } => {
            let skip: Vec<&str> = targets.iter().map(String::as_str).collect();
            format!(
                "removes codeloop's server `{entry}` with your changes in it: {} (add `--skip {}` to keep it)",
                theirs.join(", "),
                skip.join(",")
            )
        }
        entry::Kept::Changed(field) => format!("kept {field} (changed since codeloop wrote it)"),
        entry::Kept::Repointed(entry) => {
            format!("kept {entry} (you pointed its command elsewhere)")
        }
    }
}

/// The containers a JSON change created, as paths from the root (`[]`: the document).
fn created_prefixes(kind: &ChangeKind) -> Vec<Vec<String>> {
    let (path, count, array) = match kind {
        ChangeKind::Entry {
            format: Format::Json,
            path,
            created_containers,
            ..
        } => (path, *created_containers, false),
        ChangeKind::ArrayItem {
            path,
            created_containers,
            ..
        } => (path, *created_containers, true),
        _ => return Vec::new(),
    };
    // An entry's innermost container is its parent; an array item's, the array.
    let innermost = if array { path.len() } else { path.len() - 1 };
    (0..count)
        .filter_map(|j| innermost.checked_sub(j))
        .map(|len| path[..len].to_vec())
        .collect()
}

/// Makes a JSON change's reverse prune up to `container` (a prefix of its path), while
/// empty.
fn claim_container(kind: &mut ChangeKind, container: &[String]) {
    match kind {
        ChangeKind::Entry {
            format: Format::Json,
            path,
            created_containers,
            ..
        } if path.starts_with(container) && path.len() > container.len() => {
            *created_containers = (*created_containers).max(path.len() - container.len());
        }
        ChangeKind::ArrayItem {
            path,
            created_containers,
            ..
        } if path.starts_with(container) => {
            *created_containers = (*created_containers).max(path.len() - container.len() + 1);
        }
        _ => {}
    }
}

pub const GITIGNORE_HEADER: &str = "# files holding your CodeLoop API key; managed by `codeloop init`, removed by `codeloop uninstall`";

/// The codeloop block of a `.gitignore`, listing what it listed plus `lines`.
fn gitignore(current: Option<&str>, lines: &[String]) -> Result<Option<String>, block::BlockError> {
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
    for p in lines {
        if !body.contains(p) {
            body.push(p.clone());
        }
    }
    block::upsert(current, block::HASH, &body)
}

/// The `.gitignore` without `lines` in codeloop's block (the block goes when empty).
fn gitignore_without(text: &str, lines: &[String]) -> Result<Option<String>, block::BlockError> {
    let Some(body) = block::body(text, block::HASH)? else {
        return Ok(None);
    };
    let kept: Vec<String> = body
        .iter()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !lines.contains(l))
        .cloned()
        .collect();
    if kept.is_empty() {
        return block::remove(text, block::HASH);
    }
    let mut new_body = vec![GITIGNORE_HEADER.to_owned()];
    new_body.extend(kept);
    block::upsert(Some(text), block::HASH, &new_body)
}

/// Removes codeloop's `.gitignore` block whose lines were `lines`: the lines the
/// person added inside it stay where the block was, without its markers and header
/// (returned too, for the note).
fn gitignore_release(
    text: &str,
    lines: &[String],
) -> Result<(Option<String>, Vec<String>), block::BlockError> {
    let Some(found) = block::find(text, block::HASH)? else {
        return Ok((None, Vec::new()));
    };
    // Everything but codeloop's header, its lines and blank lines is the person's
    // (their comments too).
    let kept: Vec<String> = found
        .body
        .iter()
        .filter(|l| {
            !l.starts_with("# files holding your CodeLoop API key")
                && !l.trim().is_empty()
                && !lines.iter().any(|o| o == *l)
        })
        .map(|l| (*l).to_owned())
        .collect();
    if kept.is_empty() {
        return Ok((block::remove(text, block::HASH)?, kept));
    }
    // In the style of the block's own lines, as block::remove reads it.
    let nl = block::newline_of(&text[found.start..found.end]);
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..found.start]);
    out.push_str(&kept.join(nl));
    if text[..found.end].ends_with('\n') {
        out.push_str(nl);
    }
    out.push_str(&text[found.end..]);
    Ok((Some(out), kept))
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
    /// Delete the file instead of writing `after`.
    pub remove_file: bool,
    /// The file holds the key: created 0600, and git-ignored in projects.
    pub secret: bool,
    /// The file is private to this user even without the key (Claude Code's
    /// `settings.local.json`): git-ignored in projects like key files.
    pub private: bool,
    /// How the file is stored; kept on write.
    pub encoding: Encoding,
    /// The client guards the file with a `proper-lockfile` lock directory, which
    /// `apply` takes while writing it (Claude Code's `~/.claude.json`).
    pub dir_lock: bool,
    pub op: Op,
    /// Who the change belongs to (forward edits).
    pub owner: Owner,
    /// What the record said about the file when this was planned.
    pub prior: Option<FileRecord>,
    /// The file's recorded changes after this edit.
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
    /// Something of codeloop's stays here because the user changed it since.
    pub keeps: bool,
}

impl FileEdit {
    pub fn status(&self) -> Status {
        Status::of(
            self.before.is_some(),
            self.after.is_some(),
            self.remove_file,
        )
    }

    /// Whether applying this changes the record (even when the file stays as it is:
    /// an entry the user already had, now known to be set up).
    pub fn records(&self) -> bool {
        self.prior.as_ref().map_or(&[][..], |p| &p.changes) != self.changes.as_slice()
    }
}

/// `<file>.codeloop.bak`: where codeloop 0.1 kept a file's original bytes, beside it
/// (read only to migrate such installs into the record).
pub fn legacy_backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".codeloop.bak");
    path.with_file_name(name)
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
    /// What the record says about this value afterwards.
    pub record: RegistryUpdate,
    pub notes: Vec<String>,
}

/// How a registry value's record changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryUpdate {
    /// As it is.
    Keep,
    /// Codeloop owns the value, as this says.
    Set(RegistryRecord),
    /// Codeloop no longer owns it.
    Remove,
}

impl EnvEdit {
    pub fn status(&self) -> Status {
        Status::of(self.before.is_some(), self.after.is_some(), self.delete)
    }

    /// The reverse edit leaves the value, which changed since codeloop set it (the
    /// one note a registry edit carries says so).
    pub fn keeps(&self) -> bool {
        !self.notes.is_empty()
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

    pub fn notes(&self) -> impl Iterator<Item = (&str, &String)> {
        self.edits
            .iter()
            .flat_map(|e| e.notes.iter().map(move |n| (e.display.as_str(), n)))
            .chain(
                self.env_edits
                    .iter()
                    .flat_map(|e| e.notes.iter().map(|n| (user_env::LOCATION, n))),
            )
    }
}

/// The `windows-env` target: `CODELOOP_API_KEY` in `HKCU\Environment`.
pub fn windows_env(env: &dyn UserEnv, key: &str, prior: Option<&RegistryRecord>) -> TargetPlan {
    registry_plan(env, |name, current| {
        let after = user_env::set(name, current, key)?;
        let before = match (prior, current) {
            (Some(p), _) => p.before.clone(),
            (None, Some(RegValue::Sz(v))) => Some(v.clone()),
            (None, _) => None,
        };
        let record = RegistryRecord {
            name: name.to_owned(),
            before,
            written: record::fingerprint(key),
        };
        let update = if prior == Some(&record) {
            RegistryUpdate::Keep
        } else {
            RegistryUpdate::Set(record)
        };
        Ok((after, false, key.to_owned(), update, Vec::new()))
    })
}

/// The reverse of `windows_env` from the record: put back what the value held before
/// codeloop set it (delete it when it was unset), only while it still holds the key
/// codeloop wrote.
pub fn windows_env_undo(env: &dyn UserEnv, prior: &RegistryRecord) -> TargetPlan {
    registry_plan(env, |name, current| {
        let ours =
            matches!(current, Some(RegValue::Sz(v)) if record::fingerprint(v) == prior.written);
        if !ours {
            let notes = if current.is_some() {
                vec![format!(
                    "kept {}\\{name}: it changed since codeloop set it",
                    user_env::LOCATION
                )]
            } else {
                Vec::new()
            };
            return Ok((None, false, String::new(), RegistryUpdate::Remove, notes));
        }
        Ok(match &prior.before {
            Some(old) => (
                Some(old.clone()),
                false,
                old.clone(),
                RegistryUpdate::Remove,
                Vec::new(),
            ),
            None => (
                Some(String::new()),
                true,
                String::new(),
                RegistryUpdate::Remove,
                Vec::new(),
            ),
        })
    })
}

type RegistryDecision = (Option<String>, bool, String, RegistryUpdate, Vec<String>);

/// Reads `CODELOOP_API_KEY` and plans one edit of it: `decide` returns the value to
/// write (if any), whether that is a deletion, the value wanted, the record
/// afterwards and notes.
fn registry_plan(
    env: &dyn UserEnv,
    decide: impl FnOnce(&str, Option<&RegValue>) -> Result<RegistryDecision, String>,
) -> TargetPlan {
    let mut plan = TargetPlan::new(Target::WindowsEnv);
    let name = ENV_VAR;
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
        Ok((after, delete, wanted, record, notes)) => plan.env_edits.push(EnvEdit {
            name: name.to_owned(),
            before: match current {
                Some(RegValue::Sz(v)) => Some(v),
                _ => None,
            },
            after,
            wanted,
            delete,
            record,
            notes,
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

    /// A reverse plan leaves something of codeloop's that the user changed since (an
    /// entry whose command they pointed elsewhere, a key they replaced); the notes
    /// name each.
    pub fn keeps(&self) -> bool {
        self.targets
            .iter()
            .any(|t| t.edits.iter().any(|e| e.keeps) || t.env_edits.iter().any(EnvEdit::keeps))
    }

    /// Whether applying changes the record, with or without file changes.
    pub fn records(&self) -> bool {
        self.edits().any(FileEdit::records)
            || self
                .targets
                .iter()
                .flat_map(|t| &t.env_edits)
                .any(|e| e.after.is_some() || e.record != RegistryUpdate::Keep)
    }

    /// Drops a later target's edit of a file an earlier target already edits the
    /// same way (zsh and bash share `~/.codeloop/env.sh`), making the kept edit's
    /// change belong to both.
    pub fn dedupe(&mut self) {
        let mut kept: Vec<(usize, usize)> = Vec::new();
        let mut extra: Vec<((usize, usize), BTreeSet<String>)> = Vec::new();
        for ti in 0..self.targets.len() {
            let mut ei = 0;
            while ei < self.targets[ti].edits.len() {
                let e = &self.targets[ti].edits[ei];
                let twin = kept.iter().copied().find(|&(kt, ke)| {
                    let k = &self.targets[kt].edits[ke];
                    k.path == e.path && k.op == e.op
                });
                if let Some(twin) = twin {
                    let removed = self.targets[ti].edits.remove(ei);
                    extra.push((twin, removed.owner.targets));
                } else {
                    kept.push((ti, ei));
                    ei += 1;
                }
            }
        }
        for ((ti, ei), targets) in extra {
            let edit = &mut self.targets[ti].edits[ei];
            edit.owner.targets.extend(targets);
            let kind = edit
                .changes
                .iter()
                .find(|c| Some(c.kind.id()) == op_id(&edit.op))
                .map(|c| c.kind.clone());
            if let Some(kind) = kind {
                let prior = edit.prior.as_ref().map_or(&[][..], |p| &p.changes);
                edit.changes = upsert(prior, kind, &edit.owner);
            }
        }
    }

    pub fn edits(&self) -> impl Iterator<Item = &FileEdit> {
        self.guard
            .iter()
            .chain(self.targets.iter().flat_map(|t| t.edits.iter()))
    }
}

/// The identity of the change a forward op makes.
fn op_id(op: &Op) -> Option<ChangeId> {
    Some(match op {
        Op::Entry(spec) => ChangeId::Entry(spec.path.clone()),
        Op::ArrayItem { path, item } => ChangeId::ArrayItem(path.clone(), item.clone()),
        Op::Gitignore { .. } => ChangeId::Gitignore,
        Op::Block { markers, .. } => ChangeId::Block(markers.begin.to_owned()),
        Op::Owned { .. } => ChangeId::Owned,
        Op::Reverse(_) => return None,
    })
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

/// One file a target edits, before it is read.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub path: PathBuf,
    /// It holds the key.
    pub secret: bool,
    /// It is private to this user (git-ignored in projects).
    pub private: bool,
    /// The change belongs to the project (else it is user-level).
    pub in_project: bool,
    /// The client guards the file with a `proper-lockfile` lock directory.
    pub dir_lock: bool,
    pub op: Op,
}

/// One target's edits. `key` is the value written for the API key (the real key, or
/// the placeholder in a key-less dry run).
pub fn target(
    paths: &Paths,
    project: &Project,
    target: Target,
    key: &str,
    opts: &Options,
    record: &Record,
) -> TargetPlan {
    let specs: Vec<FileSpec> = match target {
        Target::Client(client) => client_files(client, paths, project, key, opts),
        Target::Shell(shell) => (shell.files)(paths, key, &opts.powershell_profiles)
            .into_iter()
            .map(|write| match write {
                Write::Owned {
                    path,
                    contents,
                    secret,
                } => FileSpec {
                    path,
                    secret,
                    private: secret,
                    in_project: false,
                    dir_lock: false,
                    op: Op::Owned { contents },
                },
                Write::Block {
                    path,
                    markers,
                    body,
                } => FileSpec {
                    path,
                    secret: false,
                    private: false,
                    in_project: false,
                    dir_lock: false,
                    op: Op::Block { markers, body },
                },
            })
            .collect(),
        // Planned by `windows_env`, from the registry rather than a file.
        Target::WindowsEnv => Vec::new(),
    };
    let mut plan = TargetPlan::new(target);
    let project_key = record::key_of(&paths.project);
    for spec in specs {
        let owner = Owner {
            targets: [target.name().to_owned()].into(),
            project: spec.in_project.then(|| project_key.clone()),
        };
        match edit_file(paths, &spec.path, spec.secret, spec.op, owner, record) {
            Ok(edit) => plan.edits.push(FileEdit {
                private: spec.private,
                dir_lock: spec.dir_lock,
                ..edit
            }),
            Err(e) => plan.errors.push(e),
        }
    }
    plan
}

/// The files a client gets, from its description: in the project (`.cursor/mcp.json`,
/// or Claude Code's local scope in `~/.claude.json`) or, with `--global` or for
/// clients without a project scope, the user file(s).
fn client_files(
    client: &Client,
    paths: &Paths,
    project: &Project,
    key: &str,
    opts: &Options,
) -> Vec<FileSpec> {
    let project_scope = client.project.filter(|_| !opts.global);
    let (files, servers, committed): (Vec<PathBuf>, Vec<String>, bool) = match project_scope {
        Some(ProjectFile::Rel(_) | ProjectFile::FirstOf(_) | ProjectFile::FirstOfElse(..)) => (
            client.project_file(&paths.project).into_iter().collect(),
            strings(client.servers),
            true,
        ),
        Some(ProjectFile::InUserFile(path)) => (
            client.user_targets(&paths.dirs),
            path.iter()
                .map(|k| {
                    if *k == PROJECT_KEY {
                        project.claude_key.clone()
                    } else {
                        (*k).to_owned()
                    }
                })
                .collect(),
            false,
        ),
        None => (
            client.user_targets(&paths.dirs),
            strings(client.servers),
            false,
        ),
    };
    // Run in the home directory, the "project" file can be the user file itself
    // (`~/.codex/config.toml`): it is the user file then, holding the key, so project
    // and `--global` runs agree on it.
    let user_files = client.user_targets(&paths.dirs);
    let same_as_user = committed && files.iter().all(|f| user_files.contains(f));
    let committed = committed && !same_as_user;
    let in_project = project_scope.is_some() && !same_as_user;
    // A committed project file refers to the variable when the user's shells set it.
    let reference = if committed && opts.shell_env {
        client.env_reference
    } else {
        None
    };
    // Per-user entries of clients that cannot start `npx` on Windows go through `cmd`.
    let windows_cmd = client.windows_cmd && !committed && paths.os == crate::sys::Os::Windows;
    let env_path = vec![client.shape.env.to_owned(), ENV_VAR.to_owned()];
    let key_value = |value: &str, secret: bool| KeyHolder::Value {
        path: env_path.clone(),
        value: value.to_owned(),
        secret,
    };
    let (fresh, holder, other) = match reference {
        None => {
            let fresh = client.entry(SERVER_PACKAGE, key, windows_cmd);
            let other = match client.env_reference {
                Some(EnvReference::Forward(field)) if committed => Some(KeyHolder::Item {
                    path: vec![field.to_owned()],
                    item: ENV_VAR.to_owned(),
                }),
                _ => None,
            };
            (fresh, key_value(key, true), other)
        }
        Some(EnvReference::Text(_)) => {
            let text = client.reference_text().expect("a text reference");
            let fresh = client.entry(SERVER_PACKAGE, &text, windows_cmd);
            (fresh, key_value(&text, false), None)
        }
        Some(EnvReference::Forward(field)) => {
            let mut fresh = client.entry(SERVER_PACKAGE, key, windows_cmd);
            let map = fresh.as_object_mut().expect("the entry is an object");
            map.shift_remove(client.shape.env);
            map.insert(field.to_owned(), json!([ENV_VAR]));
            let holder = KeyHolder::Item {
                path: vec![field.to_owned()],
                item: ENV_VAR.to_owned(),
            };
            (fresh, holder, Some(key_value(key, true)))
        }
    };
    let secret = reference.is_none();
    let mut entry_path = servers;
    entry_path.push(SERVER_NAME.to_owned());
    let spec = EntrySpec {
        format: client.format(),
        launch: client.launch(&fresh),
        path: entry_path,
        fresh,
        key: holder,
        other,
        reader: client.syntax.reader(),
    };
    let mut out: Vec<FileSpec> = files
        .into_iter()
        .map(|path| FileSpec {
            path,
            secret,
            private: secret,
            in_project,
            dir_lock: client.locks_user_file && !committed,
            op: Op::Entry(spec.clone()),
        })
        .collect();
    if let (Some(_), Some(permission)) = (project_scope, client.permission) {
        out.push(FileSpec {
            path: crate::dirs::join(&paths.project, permission.file),
            secret: false,
            private: true,
            in_project: true,
            dir_lock: false,
            op: Op::ArrayItem {
                path: strings(permission.path),
                item: permission.item.to_owned(),
            },
        });
    }
    out
}

fn strings(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| (*s).to_owned()).collect()
}

/// Reads `path` and plans `op` on it against the record.
pub fn edit_file(
    paths: &Paths,
    path: &Path,
    secret: bool,
    op: Op,
    owner: Owner,
    record: &Record,
) -> Result<FileEdit, PlanError> {
    let display = paths.display(path);
    let fail = |message: String| PlanError {
        display: display.clone(),
        message,
    };
    let read = read_text(path).map_err(|m| fail(format!("{display}: {m}")))?;
    let encoding = read.as_ref().map_or(Encoding::Utf8, |(_, e)| *e);
    let before = read.map(|(text, _)| text);
    let prior = record.file(path).cloned();
    let backups = paths.codeloop_dir.join(record::BACKUP_DIR);
    let backup = |name: &str| {
        read_text(&backups.join(name))
            .ok()
            .flatten()
            .map(|(t, _)| t)
    };
    let planned = op
        .plan(before.as_deref(), prior.as_ref(), &owner, &backup)
        .map_err(|e| fail(format!("{display}:{e}")))?;
    Ok(FileEdit {
        path: path.to_path_buf(),
        display,
        before,
        after: planned.after,
        remove_file: planned.remove_file,
        secret,
        private: secret,
        encoding,
        dir_lock: false,
        op,
        owner,
        prior,
        changes: planned.changes,
        notes: planned.notes,
        keeps: planned.keeps,
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
        assert_eq!(
            gitignore_without(&second, &["/.vscode/mcp.json".into()]).unwrap(),
            Some(first.clone())
        );
        assert_eq!(
            gitignore_without(&first, &["/.cursor/mcp.json".into()])
                .unwrap()
                .as_deref(),
            Some("target/\n")
        );
    }
}
