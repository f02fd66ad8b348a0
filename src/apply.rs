//! The only code that writes configuration. Under one lock in `~/.codeloop/`, each
//! edit re-reads its file, re-plans if another program changed it since the preview,
//! keeps a one-time backup, and replaces it atomically (temp file in the same
//! directory, fsync, rename) through symlinks, keeping mode and owner.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::paths::Paths;
use crate::plan::{
    Change, EnvEdit, FileEdit, Op, Plan, backup_path, read_text, user_env as env_plan,
};
use crate::sys::user_env::{RegValue, UserEnv};

/// Mode of new files that hold the key, and of `~/.codeloop`.
pub const SECRET_FILE_MODE: u32 = 0o600;
pub const SECRET_DIR_MODE: u32 = 0o700;
const PLAIN_FILE_MODE: u32 = 0o644;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Changed {
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

#[derive(Debug, Error)]
#[error("{display}: {message}")]
pub struct ApplyError {
    pub display: String,
    pub message: String,
    /// What was written before the failure, for the report.
    pub written: Vec<Written>,
}

pub fn apply(
    plan: &Plan,
    paths: &Paths,
    user_env: &mut dyn UserEnv,
) -> Result<Vec<Written>, ApplyError> {
    // Refuse up front what cannot be written, so a run never stops half-way over a
    // read-only or foreign-owned file.
    for edit in plan.edits().filter(|e| e.after.is_some()) {
        if let Err(message) = preflight(&edit.path) {
            return Err(ApplyError {
                display: edit.display.clone(),
                message,
                written: Vec::new(),
            });
        }
    }
    let lock_display = paths.display(&paths.lock);
    let _lock = lock(paths).map_err(|e| ApplyError {
        display: lock_display,
        message: format!("cannot take codeloop's lock: {e}; check that ~/.codeloop is writable"),
        written: Vec::new(),
    })?;
    let mut written = Vec::new();
    for edit in plan.edits().filter(|e| e.after.is_some()) {
        match apply_one(edit, paths) {
            Ok(outcome) => written.push(Written {
                display: edit.display.clone(),
                outcome,
            }),
            Err(message) => {
                return Err(ApplyError {
                    display: edit.display.clone(),
                    message,
                    written,
                });
            }
        }
    }
    let env_edits: Vec<&EnvEdit> = plan
        .targets
        .iter()
        .flat_map(|t| t.env_edits.iter())
        .filter(|e| e.after.is_some())
        .collect();
    for edit in &env_edits {
        let display = format!("{}\\{}", env_plan::LOCATION, edit.name);
        match apply_env(edit, user_env) {
            Ok(outcome) => written.push(Written { display, outcome }),
            Err(message) => {
                return Err(ApplyError {
                    display,
                    message,
                    written,
                });
            }
        }
    }
    if !env_edits.is_empty() {
        // Best effort: the value is written either way; only new Explorer-started
        // programs would miss it until the next sign-in.
        let _ = user_env.broadcast();
    }
    Ok(written)
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
fn lock(paths: &Paths) -> io::Result<File> {
    create_private_dir(&paths.codeloop_dir)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&paths.lock)?;
    file.lock()?;
    Ok(file)
}

/// Removes `~/.codeloop` when nothing but the lock file is left in it.
pub fn remove_codeloop_dir_if_unused(paths: &Paths) {
    let Ok(entries) = fs::read_dir(&paths.codeloop_dir) else {
        return;
    };
    let names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
    if names.iter().all(|n| n == "lock") {
        let _ = fs::remove_file(&paths.lock);
        let _ = fs::remove_dir(&paths.codeloop_dir);
    }
}

/// Creates `dir` (and parents) with mode 0700 for the last component.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, SECRET_DIR_MODE);
    builder.create(dir)
}

fn apply_one(edit: &FileEdit, paths: &Paths) -> Result<Outcome, String> {
    let read = read_text(&edit.path)?;
    let encoding = read.as_ref().map_or(edit.encoding, |(_, e)| *e);
    let current = read.map(|(text, _)| text);
    let stale = |e: crate::plan::EditError| {
        format!("changed on disk since the preview and can no longer be edited: {e}")
    };
    let (change, replanned) = if current == edit.before {
        let change = match (&edit.after, edit.remove_file) {
            (None, _) => Change::Keep,
            (Some(_), true) => Change::Delete,
            (Some(after), false) => Change::Write(after.clone()),
        };
        (change, false)
    } else if let Op::Undo(inner) = &edit.op {
        let backup = read_text(&backup_path(&edit.path))
            .ok()
            .flatten()
            .map(|(t, _)| t);
        (
            inner
                .undo(current.as_deref(), backup.as_deref())
                .map_err(stale)?,
            true,
        )
    } else {
        let again = edit.op.plan(current.as_deref()).map_err(stale)?;
        (again.map_or(Change::Keep, Change::Write), true)
    };
    let after = match change {
        Change::Keep => return Ok(Outcome::AlreadyDone),
        Change::Delete => {
            remove_owned_file(&edit.path)?;
            remove_empty_parents(&edit.path, paths);
            return Ok(Outcome::Deleted);
        }
        Change::Write(after) => after,
    };
    let real = real_path(&edit.path)?;
    // codeloop's own files need no backup; one would only keep an old key around.
    let backup = match &current {
        Some(_) if edit.backup && !matches!(edit.op, Op::Owned { .. }) => {
            make_backup(&edit.path, &real)?
        }
        _ => None,
    };
    let mode = if edit.secret {
        SECRET_FILE_MODE
    } else {
        PLAIN_FILE_MODE
    };
    // Our own key files stay private even if someone loosened them.
    let mode = if matches!(edit.op, Op::Owned { .. }) && edit.secret {
        Mode::Always(SECRET_FILE_MODE)
    } else {
        Mode::KeepOr(mode)
    };
    write_atomic(&real, &encoding.encode(&after), mode)?;
    if edit.drop_backup && !replanned {
        // The reverse edit gave back the original bytes: the backup is redundant.
        let _ = fs::remove_file(backup_path(&edit.path));
    }
    Ok(match (current, replanned) {
        (None, false) => Outcome::Created,
        (_, true) => Outcome::Replanned { backup },
        (Some(_), false) => Outcome::Changed { backup },
    })
}

/// Whether `path` (through symlinks) can be replaced by us as it is.
fn preflight(path: &Path) -> Result<(), String> {
    let Ok(meta) = fs::metadata(path) else {
        return Ok(()); // new, or a dangling link the write reports
    };
    if meta.permissions().readonly() {
        return Err("is read-only; make it writable (chmod u+w) or skip this target".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Our effective uid, as the owner of a file we just made.
        let me = tempfile::tempfile()
            .and_then(|f| f.metadata())
            .map(|m| m.uid())
            .unwrap_or(0);
        if me != 0 && meta.uid() != me {
            return Err(format!(
                "is owned by another user (uid {}) and codeloop will not replace it with a copy you own; give it back to yourself (sudo chown \"$USER\" on it) or skip this target",
                meta.uid()
            ));
        }
    }
    Ok(())
}

/// Deletes a file that only held codeloop's content. A symlink is left in place
/// (emptied through the link) so someone's dotfiles layout is not broken.
fn remove_owned_file(path: &Path) -> Result<(), String> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => {
            let real = real_path(path)?;
            write_atomic(&real, b"", Mode::KeepOr(PLAIN_FILE_MODE))
        }
        _ => fs::remove_file(path).map_err(|e| format!("cannot delete it: {e}")),
    }
}

/// After deleting a file codeloop created, the directories it created for it
/// (`.cursor/`, `fish/conf.d/`, …) go too while empty — never the project or home.
fn remove_empty_parents(path: &Path, paths: &Paths) {
    let mut dir = path.parent();
    while let Some(d) = dir {
        let inside = d.starts_with(&paths.project) || d.starts_with(&paths.home);
        if d == paths.project || d == paths.home || !inside {
            break;
        }
        if fs::remove_dir(d).is_err() {
            break; // not empty (or not ours to remove)
        }
        dir = d.parent();
    }
}

/// The file a path finally points at, so a symlinked config stays a symlink.
fn real_path(path: &Path) -> Result<PathBuf, String> {
    match fs::canonicalize(path) {
        Ok(real) => Ok(real),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::symlink_metadata(path).is_ok() {
                return Err("is a dangling symlink; create its target or remove the link".into());
            }
            Ok(path.to_path_buf())
        }
        Err(e) => Err(format!("cannot resolve the path: {e}")),
    }
}

/// `<file>.codeloop.bak` beside the path the user knows, written once: the first
/// time codeloop changes the file. Returns its name when made now.
fn make_backup(path: &Path, real: &Path) -> Result<Option<String>, String> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".codeloop.bak");
    let backup = path.with_file_name(name);
    if fs::symlink_metadata(&backup).is_ok() {
        return Ok(None);
    }
    let bytes = fs::read(real).map_err(|e| format!("cannot read it for the backup: {e}"))?;
    let mode = file_mode(real).unwrap_or(SECRET_FILE_MODE);
    write_atomic(&backup, &bytes, Mode::KeepOr(mode))
        .map_err(|e| format!("cannot write the backup {}: {e}", backup.display()))?;
    Ok(Some(
        backup
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
    ))
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> Option<u32> {
    None
}

/// The permission bits a write leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An existing file keeps its mode; a new one gets this.
    KeepOr(u32),
    /// Always this (codeloop's own key files).
    Always(u32),
}

/// Replaces `path` (not a symlink) with `bytes` all at once, keeping the owner. A
/// read-only file is refused rather than replaced behind its owner's back.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let existing = fs::metadata(path).ok();
    if let Some(meta) = &existing
        && meta.permissions().readonly()
    {
        return Err("is read-only; make it writable (chmod u+w) or skip this target".into());
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.codeloop-"))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    let io = |e: io::Error| format!("cannot write it: {e}; the original is unchanged");
    tmp.write_all(bytes).map_err(io)?;
    set_mode_and_owner(tmp.as_file(), existing.as_ref(), mode).map_err(|e| {
        if e.kind() == io::ErrorKind::PermissionDenied {
            format!("{e}; nothing was changed")
        } else {
            io(e)
        }
    })?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    sync_dir(dir);
    Ok(())
}

#[cfg(unix)]
fn set_mode_and_owner(file: &File, existing: Option<&fs::Metadata>, mode: Mode) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, fchown};
    let bits = match (mode, existing) {
        (Mode::Always(bits), _) => bits,
        (Mode::KeepOr(_), Some(meta)) => meta.mode() & 0o7777,
        (Mode::KeepOr(bits), None) => bits,
    };
    file.set_permissions(fs::Permissions::from_mode(bits))?;
    if let Some(meta) = existing {
        let mine = file.metadata()?;
        if mine.uid() != meta.uid() || mine.gid() != meta.gid() {
            fchown(file, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
                if e.kind() == io::ErrorKind::PermissionDenied {
                    io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!(
                            "it is owned by another user (uid {}) and codeloop will not replace it with a copy you own; give it back to yourself (sudo chown \"$USER\" on it) or skip this target",
                            meta.uid()
                        ),
                    )
                } else {
                    e
                }
            })?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode_and_owner(_: &File, _: Option<&fs::Metadata>, _: Mode) -> io::Result<()> {
    Ok(())
}

/// Makes the rename durable. Best effort: not every platform can open a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
