//! The only code that writes configuration, and the record of what it wrote. Under
//! one lock in `~/.codeloop/`, each edit re-reads its file, plans again if another
//! program (or another codeloop run) changed it or its record since the preview,
//! keeps the original bytes under `~/.codeloop/backups/` the first time, replaces the
//! file atomically through symlinks keeping mode and owner, and updates the record in
//! the same step. SIGINT, SIGTERM and SIGHUP are held off while a file and its record
//! are written, then end the run cleanly.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use thiserror::Error;

use crate::fsx::{self, DirLock, PLAIN_FILE_MODE, WriteError};
pub use crate::fsx::{Mode, SECRET_FILE_MODE, create_private_dir, write_atomic};
use crate::paths::Paths;
use crate::plan::{
    EnvEdit, FileEdit, Op, Owner, Plan, Planned, RegistryUpdate, user_env as env_plan,
};
use crate::record::{self, FileRecord, Record, RecordError};
use crate::sys::user_env::{RegValue, UserEnv};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Changed {
        /// Where the original bytes were kept, when that happened now.
        backup: Option<String>,
    },
    /// Someone else changed the file after the preview; we planned again and wrote.
    Replanned {
        backup: Option<String>,
    },
    /// Someone else already made the change after the preview.
    AlreadyDone,
    /// Removed: it only held what codeloop had put there.
    Deleted,
}

#[derive(Debug, Clone)]
pub struct Written {
    pub display: String,
    pub outcome: Outcome,
}

/// Why applying stopped. `written` lists what was written before, and the record
/// says the same.
#[derive(Debug, Error)]
#[error("{display}: {message}")]
pub struct ApplyError {
    pub display: String,
    pub message: String,
    pub written: Vec<Written>,
    /// The signal that stopped the run, if one did (exit 128 + it).
    pub signal: Option<i32>,
}

/// What the run says about the record besides the files: the key it wrote (its
/// fingerprint), projects to forget, and codeloop 0.1's changes to adopt.
#[derive(Debug, Clone, Default)]
pub struct RecordNotes {
    pub key_fingerprint: Option<String>,
    /// Forget these projects (their directories are gone).
    pub forget_projects: Vec<String>,
    /// What codeloop 0.1 left: adopted into the record, its backups moved.
    pub legacy: crate::migrate::Legacy,
    /// Projects moved since: (old root, new root).
    pub relocate: Vec<(String, String)>,
}

pub fn apply(
    plan: &Plan,
    paths: &Paths,
    user_env: &mut dyn UserEnv,
    notes: &RecordNotes,
) -> Result<Vec<Written>, ApplyError> {
    let fail = |display: &str, message: String, written: Vec<Written>| ApplyError {
        display: display.to_owned(),
        message,
        written,
        signal: None,
    };
    // Refuse up front what cannot be written, so a run never stops half-way over a
    // read-only or foreign-owned file.
    let me = fsx::effective_uid();
    for edit in plan.edits().filter(|e| e.after.is_some()) {
        if let Err(message) = fsx::preflight(&edit.path, me) {
            return Err(fail(&edit.display, message, Vec::new()));
        }
    }
    // Every write into ~/.codeloop (the record, kept originals, env.sh) happens under
    // the lock, so the directory and its .gitignore are made here, once.
    fsx::create_own_dir(&paths.codeloop_dir).map_err(|(at, e)| {
        fail(
            &paths.display(&at),
            format!("cannot be created: {e}; check that ~/.codeloop is writable"),
            Vec::new(),
        )
    })?;
    let _lock = lock(paths).map_err(|e| {
        fail(
            &paths.display(&paths.lock),
            format!("cannot take codeloop's lock: {e}; check that ~/.codeloop is writable"),
            Vec::new(),
        )
    })?;
    let record_path = paths.codeloop_dir.join(record::FILE_NAME);
    let record_display = paths.display(&record_path);
    let mut record =
        Record::load(&record_path).map_err(|e| fail(&record_display, e.to_string(), Vec::new()))?;
    let signals = Signals::hold();
    let mut written = Vec::new();
    for (old, new) in &notes.relocate {
        record.relocate(old, new);
    }
    if !notes.legacy.is_empty() {
        notes.legacy.into_record(&mut record);
        for (from, to) in &notes.legacy.moves {
            if let Err(message) = move_backup(from, to) {
                return Err(fail(&paths.display(from), message, written));
            }
        }
        if let Err(e) = save(&mut record, &record_path, notes, false) {
            return Err(fail(&record_display, e.to_string(), written));
        }
    }

    let edits: Vec<&FileEdit> = plan
        .edits()
        .filter(|e| e.after.is_some() || e.records())
        .collect();
    // Directories codeloop created, by file: those of files it forgets go at the end.
    let dirs_before: Vec<(String, Vec<String>)> = record
        .files
        .iter()
        .map(|(f, r)| (f.clone(), r.created_dirs.clone()))
        .collect();
    for (i, edit) in edits.iter().enumerate() {
        if let Some(signal) = signals.caught() {
            let _ = save(&mut record, &record_path, notes, false);
            return Err(ApplyError {
                signal: Some(signal),
                ..fail(
                    &edit.display,
                    "interrupted; the files listed above were written and recorded".into(),
                    written,
                )
            });
        }
        match apply_with_retries(edit, paths, &mut record, &|| signals.caught().is_some()) {
            Ok(Some(outcome)) => written.push(Written {
                display: edit.display.clone(),
                outcome,
            }),
            Ok(None) => {}
            Err(message) => {
                let _ = save(&mut record, &record_path, notes, false);
                if let Some(signal) = signals.caught() {
                    return Err(ApplyError {
                        signal: Some(signal),
                        ..fail(
                            &edit.display,
                            format!("{message}; the files listed above were written and recorded"),
                            written,
                        )
                    });
                }
                // Say which files were not touched, not only the one that failed.
                let untouched: Vec<&str> = edits[i..].iter().map(|e| e.display.as_str()).collect();
                return Err(fail(
                    &edit.display,
                    format!("{message}; left as they were: {}", untouched.join(", ")),
                    written,
                ));
            }
        }
        // The record follows every file, so an interrupted run leaves them agreeing.
        if let Err(e) = save(&mut record, &record_path, notes, false) {
            return Err(fail(&record_display, e.to_string(), written));
        }
    }

    let env_edits: Vec<&EnvEdit> = plan
        .targets
        .iter()
        .flat_map(|t| t.env_edits.iter())
        .collect();
    let mut broadcast = false;
    for edit in &env_edits {
        let display = format!("{}\\{}", env_plan::LOCATION, edit.name);
        if edit.after.is_some() {
            match apply_env(edit, user_env) {
                Ok(outcome) => {
                    broadcast = true;
                    written.push(Written { display, outcome });
                }
                Err(message) => {
                    let _ = save(&mut record, &record_path, notes, false);
                    return Err(fail(&display, message, written));
                }
            }
        }
        match &edit.record {
            RegistryUpdate::Keep => {}
            RegistryUpdate::Set(r) => {
                record.registry.retain(|old| old.name != edit.name);
                record.registry.push(r.clone());
            }
            RegistryUpdate::Remove => record.registry.retain(|old| old.name != edit.name),
        }
    }
    // Directories codeloop created: those of files deleted now, and those an earlier
    // run could not remove yet, go once empty; the rest wait for a later run.
    let mut dirs: Vec<String> = dirs_before
        .into_iter()
        .filter(|(f, _)| !record.files.contains_key(f))
        .flat_map(|(_, d)| d)
        .collect();
    dirs.extend(record.leftover_dirs.iter().cloned());
    remove_created_dirs(&dirs);
    // One still there is kept in mind only while a file codeloop will remove later
    // lives below it; if it holds only the user's things, it is theirs now.
    record.leftover_dirs = dirs
        .into_iter()
        .filter(|d| Path::new(d).is_dir())
        .filter(|d| {
            record
                .files
                .iter()
                .any(|(f, r)| Path::new(f).starts_with(d) && !r.created_dirs.contains(d))
        })
        .collect();
    if broadcast {
        // Best effort: the value is written either way; only new Explorer-started
        // programs would miss it until the next sign-in.
        let _ = user_env.broadcast();
    }
    save(&mut record, &record_path, notes, true)
        .map_err(|e| fail(&record_display, e.to_string(), written.clone()))?;
    if let Some(signal) = signals.caught() {
        return Err(ApplyError {
            signal: Some(signal),
            ..fail(
                &record_display,
                "interrupted; everything planned was written and recorded".into(),
                written,
            )
        });
    }
    Ok(written)
}

/// Saves the record with the run's notes; an empty record is deleted instead, so
/// `~/.codeloop` can go once nothing of codeloop's is left.
fn save(
    record: &mut Record,
    path: &Path,
    notes: &RecordNotes,
    last: bool,
) -> Result<(), RecordError> {
    if let Some(fp) = &notes.key_fingerprint {
        record.key = Some(fp.clone());
    }
    if last {
        for p in &notes.forget_projects {
            record.forget_project(p);
        }
    }
    record.refresh_projects();
    // Even an empty record is kept while `~/.codeloop` is: its absence is how a
    // machine set up by codeloop 0.1 (which kept no record) is told apart.
    record.save(path)
}

fn apply_env(edit: &EnvEdit, user_env: &mut dyn UserEnv) -> Result<Outcome, String> {
    let current = user_env
        .get(&edit.name)
        .map_err(|e| format!("cannot read it: {e}"))?;
    let before = match &current {
        Some(RegValue::Sz(v)) => Some(v.clone()),
        _ => None,
    };
    let replanned = before != edit.before || matches!(current, Some(RegValue::Other(_)));
    if edit.delete {
        // Only while it still holds what we planned to remove.
        if before.is_none() || before != edit.before {
            return Ok(Outcome::AlreadyDone);
        }
        user_env
            .delete(&edit.name)
            .map_err(|e| format!("cannot delete it: {e}"))?;
        return Ok(Outcome::Deleted);
    }
    let Some(value) = env_plan::set(&edit.name, current.as_ref(), &edit.wanted)? else {
        return Ok(Outcome::AlreadyDone);
    };
    user_env
        .set(&edit.name, &value)
        .map_err(|e| format!("cannot write it: {e}"))?;
    Ok(match (before, replanned) {
        (_, true) => Outcome::Replanned { backup: None },
        (None, false) => Outcome::Created,
        (Some(_), false) => Outcome::Changed { backup: None },
    })
}

/// Serialises concurrent `codeloop` runs on this home. Released when dropped.
fn lock(paths: &Paths) -> io::Result<fs::File> {
    create_private_dir(&paths.codeloop_dir)?;
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&paths.lock)?;
    file.lock()?;
    Ok(file)
}

/// Removes `~/.codeloop` when nothing but the lock file, an empty record, codeloop's
/// own `.gitignore` and an empty backups directory is left in it (the key `codeloop
/// auth` saved keeps it, and so does a `.gitignore` the user wrote).
pub fn remove_codeloop_dir_if_unused(paths: &Paths) {
    let backups = paths.codeloop_dir.join(record::BACKUP_DIR);
    let _ = fs::remove_dir(&backups);
    let Ok(entries) = fs::read_dir(&paths.codeloop_dir) else {
        return;
    };
    let names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
    let state = record_path(paths);
    let ignore = paths.codeloop_dir.join(".gitignore");
    let empty_record = Record::load(&state).is_ok_and(|r| r.is_empty());
    let own_ignore = fsx::is_own_dir_gitignore(&ignore);
    if names.iter().all(|n| {
        n == "lock" || (n == record::FILE_NAME && empty_record) || (n == ".gitignore" && own_ignore)
    }) {
        let _ = fs::remove_file(&state);
        let _ = fs::remove_file(&paths.lock);
        let _ = fs::remove_file(&ignore);
        let _ = fs::remove_dir(&paths.codeloop_dir);
    }
}

/// How often an edit is planned again when the file keeps changing under it.
const ATTEMPTS: usize = 5;

/// Applies one edit, holding Claude Code's own lock when the file is
/// `~/.claude.json`, and planning again (a bounded number of times) when another
/// program wrote the file between our last look and the rename. `None`: the record
/// changed, the file did not.
fn apply_with_retries(
    edit: &FileEdit,
    paths: &Paths,
    record: &mut Record,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<Outcome>, String> {
    let _client_lock = if edit.dir_lock {
        DirLock::take(&edit.path, cancelled)?
    } else {
        None
    };
    for _ in 0..ATTEMPTS {
        match apply_one(edit, paths, record) {
            Err(WriteError::Changed) => continue,
            Err(WriteError::Failed(message)) => return Err(message),
            Ok(outcome) => return Ok(outcome),
        }
    }
    Err(format!(
        "another program kept rewriting it while codeloop tried {ATTEMPTS} times; close it (a running Claude Code session?) and run again; the original is unchanged"
    ))
}

fn apply_one(
    edit: &FileEdit,
    paths: &Paths,
    record: &mut Record,
) -> Result<Option<Outcome>, WriteError> {
    let failed = WriteError::Failed;
    let key = record::key_of(&edit.path);
    let prior = record.files.get(&key).cloned();
    // Usually the file is as previewed: compare it on disk without reading it into
    // memory again (a `~/.claude.json` can be tens of megabytes).
    let planned_bytes = edit.before.as_deref().map(|t| edit.encoding.bytes(t));
    let unchanged = fsx::same_content(&edit.path, planned_bytes.as_deref()).unwrap_or(false);
    drop(planned_bytes);
    let reread;
    let (current, encoding) = if unchanged {
        (edit.before.as_deref(), edit.encoding)
    } else {
        reread = fsx::read_text(&edit.path).map_err(failed)?;
        match &reread {
            Some((text, encoding)) => (Some(text.as_str()), *encoding),
            None => (None, edit.encoding),
        }
    };
    let replanned = !unchanged || prior != edit.prior;
    let again;
    let planned: &Planned = if replanned {
        again = plan_again(edit, current, prior.as_ref(), paths).map_err(|e| {
            failed(format!(
                "changed on disk since the preview and can no longer be edited: {e}"
            ))
        })?;
        &again
    } else {
        // The text stays in `edit` (a copy of a large file would cost its size again).
        again = Planned {
            after: None,
            remove_file: edit.remove_file,
            changes: edit.changes.clone(),
            notes: Vec::new(),
            keeps: edit.keeps,
        };
        &again
    };
    let after_text = if replanned {
        planned.after.as_deref()
    } else {
        edit.after.as_deref()
    };
    let current_bytes = current.map(|t| encoding.bytes(t));
    let mut file = prior.clone().unwrap_or_default();
    let current_hash = current_bytes.as_deref().map(fsx::content_hash);
    let first_write = file.written.is_none();

    let Some(after) = after_text else {
        // Nothing to write: only the record changes (an entry already there).
        set_changes(record, &key, file, planned, paths);
        return Ok(replanned.then_some(Outcome::AlreadyDone));
    };

    if planned.remove_file {
        remove_owned_file(&edit.path).map_err(failed)?;
        remove_created_dirs(&file.created_dirs);
        drop_file(record, &key, &file, paths);
        return Ok(Some(Outcome::Deleted));
    }

    let real = fsx::real_path(&edit.path).map_err(failed)?;
    let mut kept = None;
    if current_bytes.is_none() {
        // The file is not there (new, or deleted since): whatever codeloop knew of
        // it before, this write creates it.
        if let Some(name) = file.backup.take() {
            let _ = fs::remove_file(paths.codeloop_dir.join(record::BACKUP_DIR).join(name));
        }
        file.created = true;
        // Directories codeloop made for it before and that are still there stay
        // codeloop's; the ones this write makes join them.
        file.created_dirs.retain(|d| Path::new(d).is_dir());
        file.created_dirs
            .extend(fsx::missing_dirs(&real).iter().map(|d| record::key_of(d)));
        file.pristine = true;
    } else if first_write && !planned.changes.is_empty() {
        // The file as codeloop first found it is kept once, outside any project (not
        // when this write is codeloop's last in it: the record forgets it anyway).
        if let Some(bytes) = current_bytes
            .as_deref()
            .filter(|_| !matches!(edit.op, Op::Owned { .. }))
        {
            let name = keep_original(paths, &edit.path, bytes).map_err(failed)?;
            kept = Some(paths.display(&paths.codeloop_dir.join(record::BACKUP_DIR).join(&name)));
            file.backup = Some(name);
        }
        file.pristine = true;
    } else if file.written != current_hash {
        // Someone else wrote the file since codeloop did: its original bytes are no
        // longer the way back (their change must stay), so the copy goes.
        file.pristine = false;
        if let Some(name) = file.backup.take() {
            let _ = fs::remove_file(paths.codeloop_dir.join(record::BACKUP_DIR).join(name));
        }
    }
    let mode = if edit.secret {
        fsx::SECRET_FILE_MODE
    } else {
        PLAIN_FILE_MODE
    };
    // Our own key files stay private even if someone loosened them.
    let mode = if matches!(edit.op, Op::Owned { .. }) && edit.secret {
        Mode::Always(fsx::SECRET_FILE_MODE)
    } else {
        Mode::KeepOr(mode)
    };
    let new_bytes = encoding.bytes(after);
    // Right before the rename, the file must still be what this edit was planned
    // from; otherwise another program wrote it meanwhile and we plan again.
    let expected = current_bytes.as_deref();
    fsx::write_atomic_if(&real, &new_bytes, mode, || {
        fsx::same_content(&edit.path, expected).unwrap_or(false)
    })?;
    file.written = Some(fsx::content_hash(&new_bytes));
    set_changes(record, &key, file, planned, paths);
    Ok(Some(match (current, replanned) {
        (None, false) => Outcome::Created,
        (_, true) => Outcome::Replanned { backup: kept },
        (Some(_), false) => Outcome::Changed { backup: kept },
    }))
}

/// Removes directories codeloop created (innermost first), only while empty. One
/// file's directories may hold another's that goes later in the run, so `apply` calls
/// this again for all of them at the end.
fn remove_created_dirs(dirs: &[String]) {
    let mut dirs: Vec<&Path> = dirs.iter().map(Path::new).collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in dirs {
        let _ = fs::remove_dir(dir);
    }
}

/// The edit planned again on the file as it is now and the record as it is now.
fn plan_again(
    edit: &FileEdit,
    current: Option<&str>,
    prior: Option<&FileRecord>,
    paths: &Paths,
) -> Result<Planned, crate::plan::EditError> {
    let backups = paths.codeloop_dir.join(record::BACKUP_DIR);
    let backup = |name: &str| {
        fsx::read_text(&backups.join(name))
            .ok()
            .flatten()
            .map(|(t, _)| t)
    };
    let owner: &Owner = &edit.owner;
    edit.op.plan(current, prior, owner, &backup)
}

/// Puts the file's changes in the record; a file with none left is forgotten.
fn set_changes(
    record: &mut Record,
    key: &str,
    mut file: FileRecord,
    planned: &Planned,
    paths: &Paths,
) {
    if planned.changes.is_empty() {
        drop_file(record, key, &file, paths);
        return;
    }
    file.changes = planned.changes.clone();
    record.files.insert(key.to_owned(), file);
}

/// Forgets a file and deletes the copy of its original bytes.
fn drop_file(record: &mut Record, key: &str, file: &FileRecord, paths: &Paths) {
    if let Some(name) = &file.backup {
        let _ = fs::remove_file(paths.codeloop_dir.join(record::BACKUP_DIR).join(name));
    }
    record.files.remove(key);
}

/// Moves a backup codeloop 0.1 left beside a file into `~/.codeloop/backups` (0600):
/// a rename, or a copy and delete across file systems.
fn move_backup(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        create_private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    if fs::rename(from, to).is_err() {
        let bytes = fs::read(from).map_err(|e| format!("cannot read it: {e}"))?;
        write_atomic(to, &bytes, Mode::Always(fsx::SECRET_FILE_MODE))?;
        fs::remove_file(from).map_err(|e| format!("cannot remove it after copying: {e}"))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(to, fs::Permissions::from_mode(fsx::SECRET_FILE_MODE));
    }
    Ok(())
}

/// Keeps `bytes` (the file as codeloop first found it) in `~/.codeloop/backups/`,
/// 0600 (an original may hold a key of the user's); returns the copy's name.
fn keep_original(paths: &Paths, path: &Path, bytes: &[u8]) -> Result<String, String> {
    let dir = paths.codeloop_dir.join(record::BACKUP_DIR);
    create_private_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tag = &fsx::content_hash(record::key_of(path).as_bytes())[..8];
    let name = format!(
        "{tag}-{}",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    write_atomic(&dir.join(&name), bytes, Mode::Always(fsx::SECRET_FILE_MODE))
        .map_err(|e| format!("cannot keep its original in {}: {e}", dir.display()))?;
    Ok(name)
}

/// Deletes a file that only held codeloop's content. A symlink is left in place
/// (emptied through the link) so someone's dotfiles layout is not broken.
fn remove_owned_file(path: &Path) -> Result<(), String> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => {
            let real = fsx::real_path(path)?;
            write_atomic(&real, b"", Mode::KeepOr(PLAIN_FILE_MODE))
        }
        _ => fs::remove_file(path).map_err(|e| format!("cannot delete it: {e}")),
    }
}

/// Holds SIGINT, SIGTERM and SIGHUP while it lives: instead of ending the process
/// half-way through a file and its record, a signal is noted, and the run stops at
/// the next file boundary (temp files and Claude Code's lock released on the way).
struct Signals {
    caught: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
}

impl Signals {
    fn hold() -> Signals {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let caught = Arc::new(AtomicUsize::new(0));
        #[cfg(unix)]
        let signals = [SIGINT, SIGTERM, signal_hook::consts::SIGHUP];
        #[cfg(not(unix))]
        let signals = [SIGINT, SIGTERM];
        let ids = signals
            .iter()
            .filter_map(|&s| {
                signal_hook::flag::register_usize(s, Arc::clone(&caught), s as usize).ok()
            })
            .collect();
        Signals { caught, ids }
    }

    fn caught(&self) -> Option<i32> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            n => i32::try_from(n).ok(),
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Where the record lives.
pub fn record_path(paths: &Paths) -> PathBuf {
    paths.codeloop_dir.join(record::FILE_NAME)
}
