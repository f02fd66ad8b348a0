//! Leaf: reading and writing files the careful way. Text with its encoding (UTF-8 or
//! a BOM'd UTF-16LE PowerShell profile); atomic replacement (temp file in the same
//! directory, fsync, rename) through symlinks, keeping mode and owner; the checks
//! that refuse a file we must not replace; Claude Code's lock directory; a content
//! hash. Imports nothing of the crate, and never decides *what* to write.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;

/// Mode of new files that hold the key, and of `~/.codeloop`.
pub const SECRET_FILE_MODE: u32 = 0o600;
pub const SECRET_DIR_MODE: u32 = 0o700;
pub const PLAIN_FILE_MODE: u32 = 0o644;

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

    /// The bytes `text` is stored as, borrowed for UTF-8 (no copy of a large file).
    pub fn bytes<'a>(self, text: &'a str) -> Cow<'a, [u8]> {
        match self {
            Encoding::Utf8 => Cow::Borrowed(text.as_bytes()),
            other => Cow::Owned(other.encode(text)),
        }
    }
}

/// The file's text and encoding, `None` when it does not exist. Errors are lowercase
/// sentences saying what is wrong and what to do.
pub fn read_text(path: &Path) -> Result<Option<(String, Encoding)>, String> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            // A directory on the way is a file (`.cursor` made by something else).
            let file = path
                .ancestors()
                .skip(1)
                .find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir()))
                .map(|a| a.display().to_string())
                .unwrap_or_default();
            return Err(format!(
                "cannot be made: {file} is a file where a directory should be; move that file aside and run again"
            ));
        }
        Err(e) => return Err(format!("cannot read it: {e}")),
        Ok(meta) if meta.file_type().is_symlink() && fs::metadata(path).is_err() => {
            if symlink_loops(path) {
                return Err(
                    "is a symlink that leads back to itself; remove the link (or point it at a real file) and run again"
                        .to_owned(),
                );
            }
            let to = fs::read_link(path)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return Err(format!(
                "is a symlink to {to}, which does not exist; create the target file or remove the link"
            ));
        }
        Ok(_) => {}
    }
    let meta = fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if meta.is_dir() {
        return Err("is a directory, not a file; move it aside and run again".to_owned());
    }
    if !meta.is_file() {
        return Err("is not a regular file; move it aside and run again".to_owned());
    }
    let bytes = fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    decode(bytes).map(Some)
}

/// Whether following the symlink at `path` comes back to a link already seen (the
/// kernel gives up with ELOOP after 40 hops; so does this).
fn symlink_loops(path: &Path) -> bool {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        let Ok(to) = fs::read_link(&at) else {
            return false;
        };
        let next = match at.parent() {
            Some(dir) if to.is_relative() => dir.join(&to),
            _ => to,
        };
        if seen.contains(&next) || next == path {
            return true;
        }
        seen.push(at);
        at = next;
    }
    true
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

/// A 64-bit content hash (XXH3) as 16 hex digits: enough to notice that a file is no
/// longer what codeloop last wrote. Not a security measure.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Whether the file at `path` holds exactly `expected` (`None`: does not exist),
/// compared in chunks so a large file is not read into memory again.
pub fn same_content(path: &Path, expected: Option<&[u8]>) -> io::Result<bool> {
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

/// What `~/.codeloop/.gitignore` holds: a home directory kept in git (a dotfiles
/// repository, `git init ~`) then never picks up the saved key, the record or the kept
/// originals, the way a Python venv or a ruff cache keeps itself out.
pub const OWN_DIR_GITIGNORE: &str =
    "# codeloop's own files: your API key and kept originals; never commit them\n*\n";
/// What `codeloop login` of earlier versions wrote there.
const EARLIER_OWN_DIR_GITIGNORE: &str = "# codeloop's private files: never commit them\n*\n";

/// Creates codeloop's own directory `dir` (`~/.codeloop`, 0700) when it is missing and
/// makes sure a `.gitignore` of `*` ([`OWN_DIR_GITIGNORE`]) is in it. A `.gitignore`
/// already there (the user's own, whatever it holds) is left as it is. `Err`: the
/// path that could not be made and why.
pub fn create_own_dir(dir: &Path) -> Result<(), (PathBuf, String)> {
    create_private_dir(dir).map_err(|e| (dir.to_path_buf(), e.to_string()))?;
    let ignore = dir.join(".gitignore");
    if fs::symlink_metadata(&ignore).is_ok() {
        return Ok(());
    }
    // Made in place with `create_new`, not by rename: never over a file someone else
    // (another codeloop run, the user) made meanwhile, and no temp file that a run
    // beside this one could take for a stale one.
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, SECRET_FILE_MODE);
    let mut file = match options.open(&ignore) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err((ignore, e.to_string())),
    };
    file.write_all(OWN_DIR_GITIGNORE.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| (ignore, e.to_string()))
}

/// Whether `path` is a `.gitignore` [`create_own_dir`] wrote (now or in an earlier
/// version), so removing it takes nothing of the user's.
pub fn is_own_dir_gitignore(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        && fs::read(path).is_ok_and(|b| {
            b == OWN_DIR_GITIGNORE.as_bytes() || b == EARLIER_OWN_DIR_GITIGNORE.as_bytes()
        })
}

/// The directories that do not exist yet above `path`, outermost first: what a write
/// of `path` creates.
pub fn missing_dirs(path: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = path
        .ancestors()
        .skip(1)
        .take_while(|d| !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// Whether `path` (through symlinks) can be replaced by us as it is: refuses
/// read-only files, files another user owns (we would replace them with a copy we
/// own), and new files in a directory that does not take them. `me` is our effective
/// uid ([`effective_uid`]).
pub fn preflight(path: &Path, me: Option<u32>) -> Result<(), String> {
    // A directory on the way that is a symlink to nothing (a `~/.cursor` linked into
    // a dotfiles checkout that is not there) cannot be written through.
    for dir in path.ancestors().skip(1) {
        if let Ok(meta) = fs::symlink_metadata(dir)
            && meta.file_type().is_symlink()
            && fs::metadata(dir).is_err()
        {
            let to = fs::read_link(dir)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return Err(format!(
                "cannot be written: {} is a symlink to {to}, which does not exist; create it or remove the link",
                dir.display()
            ));
        }
    }
    let Ok(meta) = fs::metadata(path) else {
        // New (or a dangling link, which the write reports): the nearest directory
        // that exists must take new files. An unnamed temp file proves it and leaves
        // nothing behind.
        let Some(dir) = path.ancestors().skip(1).find(|d| d.is_dir()) else {
            return Ok(());
        };
        return tempfile::tempfile_in(dir).map(drop).map_err(|e| {
            format!(
                "cannot be created: {} does not take new files ({e}); make it writable",
                dir.display()
            )
        });
    };
    if meta.permissions().readonly() {
        return Err("is read-only; make it writable (chmod u+w)".into());
    }
    #[cfg(not(unix))]
    let _ = me;
    #[cfg(unix)]
    if let Some(me) = me.filter(|&uid| uid != 0) {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != me {
            return Err(format!(
                "is owned by another user (uid {}) and codeloop will not replace it with a copy you own; give it back to yourself (sudo chown \"$USER\" on it)",
                meta.uid()
            ));
        }
    }
    Ok(())
}

/// Our effective uid, as the owner of a file we just made (std has no `geteuid`);
/// `None` where files have no owner uid, or when it cannot be told.
pub fn effective_uid() -> Option<u32> {
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

/// The file a path finally points at, so a symlinked config stays a symlink.
pub fn real_path(path: &Path) -> Result<PathBuf, String> {
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

/// The permission bits of `path`, where files have them.
#[cfg(unix)]
pub fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
pub fn file_mode(_: &Path) -> Option<u32> {
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

/// Why an atomic write did not happen. The original is unchanged either way.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WriteError {
    /// The check before the rename failed: another program wrote the file meanwhile.
    #[error("changed on disk while codeloop was writing it")]
    Changed,
    #[error("{0}")]
    Failed(String),
}

/// Replaces `path` (not a symlink) with `bytes` all at once, keeping the owner. A
/// read-only file is refused rather than replaced behind its owner's back.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode) -> Result<(), String> {
    write_atomic_if(path, bytes, mode, || true).map_err(|e| e.to_string())
}

/// [`write_atomic`], with `still_right` asked after the temp file is written and
/// synced and right before the rename: `false` drops the temp file and returns
/// [`WriteError::Changed`], the original untouched.
pub fn write_atomic_if(
    path: &Path,
    bytes: &[u8],
    mode: Mode,
    still_right: impl FnOnce() -> bool,
) -> Result<(), WriteError> {
    let fail = |m: String| WriteError::Failed(m);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let existing = fs::metadata(path).ok();
    if let Some(meta) = &existing
        && meta.permissions().readonly()
    {
        return Err(fail("is read-only; make it writable (chmod u+w)".into()));
    }
    fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    remove_stale_temp_files(dir, &name);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.codeloop-"))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            fail(format!(
                "cannot create a temporary file in {}: {e}",
                dir.display()
            ))
        })?;
    let io = |e: io::Error| fail(format!("cannot write it: {e}; the original is unchanged"));
    tmp.write_all(bytes).map_err(io)?;
    set_mode_and_owner(tmp.as_file(), existing.as_ref(), mode).map_err(|e| {
        if e.kind() == io::ErrorKind::PermissionDenied {
            fail(format!("{e}; nothing was changed"))
        } else {
            io(e)
        }
    })?;
    tmp.as_file().sync_all().map_err(io)?;
    if !still_right() {
        return Err(WriteError::Changed);
    }
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
                            "it is owned by another user (uid {}) and codeloop will not replace it with a copy you own; give it back to yourself (sudo chown \"$USER\" on it)",
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
/// removing them keeps the directory clean. Callers hold codeloop's lock, so no other
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

/// Makes a rename durable. Best effort: not every platform can open a directory.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A lock directory `<file>.lock` as the `proper-lockfile` package makes it (Claude
/// Code guards `~/.claude.json` with one): considered stale, and taken over, when its
/// mtime is older than 10 s. Holding it while we read, check and rename means a
/// running session does not interleave its own read-modify-write with ours. Released
/// when dropped.
pub struct DirLock(PathBuf);

const DIR_LOCK_STALE: Duration = Duration::from_secs(10);
/// Longer than the staleness limit, so a lock left by a killed run is taken over.
const DIR_LOCK_WAIT: Duration = Duration::from_secs(12);

impl DirLock {
    /// `None` when the file's directory does not exist yet (nobody else can hold it).
    /// While another program holds it, waits (up to 12 s) unless `cancelled` says to
    /// stop (a signal came in).
    pub fn take(file: &Path, cancelled: &dyn Fn() -> bool) -> Result<Option<DirLock>, String> {
        DirLock::take_within(file, cancelled, DIR_LOCK_WAIT)
    }

    fn take_within(
        file: &Path,
        cancelled: &dyn Fn() -> bool,
        wait: Duration,
    ) -> Result<Option<DirLock>, String> {
        let mut name = file.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock = file.with_file_name(name);
        let deadline = Instant::now() + wait;
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
                    // A stale lock that cannot be removed (not empty, or a file, so
                    // not the lock Claude Code takes) is waited on like a live one:
                    // the deadline below still ends the wait.
                    if stale && fs::remove_dir(&lock).is_ok() {
                        continue;
                    }
                    if cancelled() {
                        return Err(format!(
                            "interrupted while waiting for its lock {}",
                            lock.display()
                        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // a test sets up someone else's lock
    fn a_stale_lock_that_cannot_be_removed_ends_at_the_deadline_not_in_a_loop() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.json");
        let lock = dir.path().join("f.json.lock");
        fs::create_dir(&lock).unwrap();
        fs::write(lock.join("pid"), "1").unwrap();
        let old = SystemTime::now() - Duration::from_secs(60);
        fs::File::open(&lock).unwrap().set_modified(old).unwrap();
        let start = Instant::now();
        let err = DirLock::take_within(&file, &|| false, Duration::from_millis(200))
            .err()
            .expect("the lock is held");
        assert!(err.contains("holds its lock"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(
            lock.join("pid").exists(),
            "someone else's lock is left alone"
        );
    }

    #[test]
    fn missing_dirs_lists_what_a_write_would_create_outermost_first() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a").join("b").join("f.json");
        assert_eq!(
            missing_dirs(&file),
            vec![dir.path().join("a"), dir.path().join("a").join("b")]
        );
        fs::create_dir(dir.path().join("a")).unwrap();
        assert_eq!(missing_dirs(&file), vec![dir.path().join("a").join("b")]);
    }

    #[test]
    fn a_failed_check_before_the_rename_leaves_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        write_atomic(&file, b"old", Mode::KeepOr(0o644)).unwrap();
        let err = write_atomic_if(&file, b"new", Mode::KeepOr(0o644), || false).unwrap_err();
        assert_eq!(err, WriteError::Changed);
        assert_eq!(fs::read(&file).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_linked_to_nothing_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join(".cursor");
        std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
        let err = preflight(&link.join("mcp.json"), None).unwrap_err();
        assert!(
            err.contains("is a symlink to") && err.contains("create it or remove the link"),
            "{err}"
        );
    }

    #[test]
    fn content_hash_is_stable_and_short() {
        assert_eq!(content_hash(b"abc"), content_hash(b"abc"));
        assert_ne!(content_hash(b"abc"), content_hash(b"abd"));
        assert_eq!(content_hash(b"").len(), 16);
    }
}
