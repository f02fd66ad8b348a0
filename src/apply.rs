//! The only code that writes configuration. Under one lock in `~/.codeloop/`, each
//! edit re-reads its file, re-plans if another program changed it since the preview,
//! keeps a one-time backup, and replaces it atomically (temp file in the same
//! directory, fsync, rename) through symlinks, keeping mode and owner.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;

use crate::paths::Paths;
use crate::plan::{
    Change, Encoding, EnvEdit, FileEdit, Op, Plan, backup_path, read_text, user_env as env_plan,
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
    let me = effective_uid();
    for edit in plan.edits().filter(|e| e.after.is_some()) {
        if let Err(message) = preflight(&edit.path, me) {
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
    let file_edits: Vec<&FileEdit> = plan.edits().filter(|e| e.after.is_some()).collect();
    for (i, edit) in file_edits.iter().enumerate() {
        match apply_with_retries(edit, paths) {
            Ok(outcome) => written.push(Written {
                display: edit.display.clone(),
                outcome,
            }),
            Err(message) => {
                // Say which files were not touched, not only the one that failed.
                let untouched: Vec<&str> =
                    file_edits[i..].iter().map(|e| e.display.as_str()).collect();
                return Err(ApplyError {
                    display: edit.display.clone(),
                    message: format!("{message}; left as they were: {}", untouched.join(", ")),
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

/// Another program wrote the file while codeloop was writing it: plan again.
const CHANGED_WHILE_WRITING: &str = "changed on disk while codeloop was writing it";
/// How often an edit is planned again when the file keeps changing under it.
const ATTEMPTS: usize = 5;

/// Applies one edit, holding Claude Code's own lock when the file is
/// `~/.claude.json`, and planning again (a bounded number of times) when another
/// program wrote the file between our last look and the rename.
fn apply_with_retries(edit: &FileEdit, paths: &Paths) -> Result<Outcome, String> {
    let _claude_lock = if edit.path == paths.claude_json {
        DirLock::take(&edit.path)?
    } else {
        None
    };
    for _ in 0..ATTEMPTS {
        match apply_one(edit, paths) {
            Err(message) if message == CHANGED_WHILE_WRITING => continue,
            other => return other,
        }
    }
    Err(format!(
        "another program kept rewriting it while codeloop tried {ATTEMPTS} times; close it (a running Claude Code session?) and run again; the original is unchanged"
    ))
}

/// The bytes `text` is stored as, borrowed for UTF-8 (no copy of a large file).
fn bytes_of(text: &str, encoding: Encoding) -> Cow<'_, [u8]> {
    match encoding {
        Encoding::Utf8 => Cow::Borrowed(text.as_bytes()),
        other => Cow::Owned(other.encode(text)),
    }
}

/// Whether the file at `path` holds exactly `expected` (`None`: does not exist),
/// compared in chunks so a large file is not read into memory again.
fn same_content(path: &Path, expected: Option<&[u8]>) -> io::Result<bool> {
    let mut file = match (File::open(path), expected) {
        (Err(e), None) if e.kind() == io::ErrorKind::NotFound => {
            // A dangling symlink is not "absent".
            return Ok(fs::symlink_metadata(path).is_err());
        }
        (Err(e), _) => return Err(e),
        (Ok(_), None) => return Ok(false),
        (Ok(f), Some(_)) => f,
    };
    let expected = expected.unwrap_or_default();
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() != expected.len() as u64 {
        return Ok(false);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(at == expected.len());
        }
        if at + n > expected.len() || buf[..n] != expected[at..at + n] {
            return Ok(false);
        }
        at += n;
    }
}

/// What an edit does once the file on disk is known.
enum Next<'a> {
    Keep,
    Delete,
    Write(Cow<'a, str>),
}

impl From<Change> for Next<'_> {
    fn from(change: Change) -> Self {
        match change {
            Change::Keep => Next::Keep,
            Change::Delete => Next::Delete,
            Change::Write(text) => Next::Write(Cow::Owned(text)),
        }
    }
}

fn apply_one(edit: &FileEdit, paths: &Paths) -> Result<Outcome, String> {
    // Usually the file is as previewed: compare it on disk without reading it into
    // memory again (a `~/.claude.json` can be tens of megabytes).
    let planned = edit.before.as_deref().map(|t| bytes_of(t, edit.encoding));
    let unchanged = same_content(&edit.path, planned.as_deref()).unwrap_or(false);
    drop(planned);
    let reread;
    let (current, encoding) = if unchanged {
        (edit.before.as_deref(), edit.encoding)
    } else {
        reread = read_text(&edit.path)?;
        match &reread {
            Some((text, encoding)) => (Some(text.as_str()), *encoding),
            None => (None, edit.encoding),
        }
    };
    let stale = |e: crate::plan::EditError| {
        format!("changed on disk since the preview and can no longer be edited: {e}")
    };
    let (next, replanned) = if unchanged {
        let next = match (&edit.after, edit.remove_file) {
            (None, _) => Next::Keep,
            (Some(_), true) => Next::Delete,
            (Some(after), false) => Next::Write(Cow::Borrowed(after.as_str())),
        };
        (next, false)
    } else if let Op::Undo(inner) = &edit.op {
        let backup = read_text(&backup_path(&edit.path))
            .ok()
            .flatten()
            .map(|(t, _)| t);
        (
            inner
                .undo(current, backup.as_deref())
                .map_err(stale)?
                .into(),
            true,
        )
    } else {
        let again = edit.op.plan(current).map_err(stale)?;
        (again.map_or(Change::Keep, Change::Write).into(), true)
    };
    let after = match next {
        Next::Keep => return Ok(Outcome::AlreadyDone),
        Next::Delete => {
            remove_owned_file(&edit.path)?;
            remove_empty_parents(&edit.path, paths);
            return Ok(Outcome::Deleted);
        }
        Next::Write(after) => after,
    };
    let real = real_path(&edit.path)?;
    let expected = current.map(|t| bytes_of(t, encoding));
    // codeloop's own files need no backup; one would only keep an old key around.
    let backup = match &expected {
        Some(bytes) if edit.backup && !matches!(edit.op, Op::Owned { .. }) => {
            make_backup(&edit.path, &real, bytes)?
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
    // Right before the rename, the file must still be what this edit was planned
    // from; otherwise another program wrote it meanwhile and we plan again.
    let still_planned = || match same_content(&edit.path, expected.as_deref()) {
        Ok(true) => Ok(()),
        _ => Err(CHANGED_WHILE_WRITING.to_owned()),
    };
    write_atomic_if(&real, &bytes_of(&after, encoding), mode, still_planned)?;
    if edit.drop_backup && !replanned {
        // The reverse edit gave back the original bytes: the backup is redundant.
        let _ = fs::remove_file(backup_path(&edit.path));
    }
    Ok(match (expected, replanned) {
        (None, false) => Outcome::Created,
        (_, true) => Outcome::Replanned { backup },
        (Some(_), false) => Outcome::Changed { backup },
    })
}

/// Whether `path` (through symlinks) can be replaced by us as it is.
fn preflight(path: &Path, me: Option<u32>) -> Result<(), String> {
    let Ok(meta) = fs::metadata(path) else {
        // New (or a dangling link, which the write reports): the nearest directory
        // that exists must take new files. An unnamed temp file proves it and leaves
        // nothing behind.
        let Some(dir) = path.ancestors().skip(1).find(|d| d.is_dir()) else {
            return Ok(());
        };
        return tempfile::tempfile_in(dir).map(drop).map_err(|e| {
            format!(
                "cannot be created: {} does not take new files ({e}); make it writable or skip this target",
                dir.display()
            )
        });
    };
    if meta.permissions().readonly() {
        return Err("is read-only; make it writable (chmod u+w) or skip this target".into());
    }
    #[cfg(not(unix))]
    let _ = me;
    #[cfg(unix)]
    if let Some(me) = me.filter(|&uid| uid != 0) {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != me {
            return Err(format!(
                "is owned by another user (uid {}) and codeloop will not replace it with a copy you own; give it back to yourself (sudo chown \"$USER\" on it) or skip this target",
                meta.uid()
            ));
        }
    }
    Ok(())
}

/// Our effective uid, as the owner of a file we just made (std has no `geteuid`);
/// `None` where files have no owner uid, or when it cannot be told.
fn effective_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        tempfile::tempfile()
            .and_then(|f| f.metadata())
            .map(|m| m.uid())
            .ok()
    }
    #[cfg(not(unix))]
    None
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
fn make_backup(path: &Path, real: &Path, bytes: &[u8]) -> Result<Option<String>, String> {
    let backup = backup_path(path);
    if fs::symlink_metadata(&backup).is_ok() {
        return Ok(None);
    }
    let mode = file_mode(real).unwrap_or(SECRET_FILE_MODE);
    write_atomic(&backup, bytes, Mode::KeepOr(mode))
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
    write_atomic_if(path, bytes, mode, || Ok(()))
}

/// [`write_atomic`], with `check` run after the temp file is written and synced and
/// right before the rename: an error from it drops the temp file and is returned,
/// the original untouched.
pub fn write_atomic_if(
    path: &Path,
    bytes: &[u8],
    mode: Mode,
    check: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
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
    remove_stale_temp_files(dir, &name);
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
    check()?;
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

/// Temp files of ours for `name` left by a run that was killed between writing one
/// and renaming it (`.<name>.codeloop-XXXXXX.tmp`). They are never read as config;
/// removing them keeps the directory clean. Runs under codeloop's lock, so no other
/// codeloop run on this home is writing one now.
fn remove_stale_temp_files(dir: &Path, name: &str) {
    let prefix = format!(".{name}.codeloop-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let ours = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|random| {
                random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Claude Code's lock on `~/.claude.json`: the directory `<file>.lock`, as the
/// `proper-lockfile` package it uses makes it (considered stale, and taken over, when
/// its mtime is older than 10 s). Holding it while we read, check and rename means a
/// running session does not interleave its own read-modify-write with ours.
struct DirLock(PathBuf);

const DIR_LOCK_STALE: Duration = Duration::from_secs(10);
/// Longer than the staleness limit, so a lock left by a killed run is taken over.
const DIR_LOCK_WAIT: Duration = Duration::from_secs(12);

impl DirLock {
    /// `None` when the file's directory does not exist yet (nobody else can hold it).
    fn take(file: &Path) -> Result<Option<DirLock>, String> {
        let mut name = file.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock = file.with_file_name(name);
        let deadline = Instant::now() + DIR_LOCK_WAIT;
        loop {
            match fs::create_dir(&lock) {
                Ok(()) => return Ok(Some(DirLock(lock))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(&lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok())
                        .is_some_and(|age| age > DIR_LOCK_STALE);
                    if stale {
                        let _ = fs::remove_dir(&lock);
                        continue;
                    }
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "another program holds its lock {} (a running Claude Code session writing it?); try again in a moment, or remove that directory if no Claude Code is running",
                            lock.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => {
                    return Err(format!(
                        "cannot take its lock {}: {e}; check that the directory is writable",
                        lock.display()
                    ));
                }
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
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
