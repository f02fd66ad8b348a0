//! The key store: `~/.codeloop/config.json`, `{"apiKey": "cl_live_…"}`. Saving splices
//! only `apiKey` into the existing text (every other field, comment and byte stays),
//! writes atomically, and leaves the file 0600 in a 0700 directory (beside the
//! `.gitignore` of `*` that keeps `~/.codeloop` out of a home kept in git). Reading is in
//! `resolve_key`. Nothing else here writes.

use std::io;
use std::path::Path;

use crate::edit::json;
use crate::fsx::{self, Mode, SECRET_FILE_MODE};
use crate::paths::Paths;

use super::{ApiKey, AuthError, Notice, Notify};

/// What `save` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Created,
    Replaced,
    /// The file already held this key.
    Unchanged,
}

/// Saves `key` as `apiKey` in `~/.codeloop/config.json`, keeping everything else in
/// the file. Tells `notify` when the file was readable by others (it is made 0600).
pub fn save(paths: &Paths, key: &ApiKey, notify: Notify<'_>) -> Result<Saved, AuthError> {
    let path = &paths.config_json;
    let shown = paths.display(path);
    fsx::create_own_dir(&paths.codeloop_dir).map_err(|(at, detail)| AuthError::Write {
        path: paths.display(&at),
        detail,
    })?;
    let current = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(AuthError::Read {
                path: shown,
                err: e,
            });
        }
    };
    if current.is_some() {
        check_mode(paths, path, notify);
    }
    let value = serde_json::Value::String(key.expose().to_owned());
    let edited =
        json::set(current.as_deref(), &["apiKey"], &value).map_err(|e| AuthError::BadConfig {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
    let Some(edited) = edited else {
        tighten(path);
        return Ok(Saved::Unchanged);
    };
    let mut text = edited.text;
    if current.is_none() && !text.ends_with('\n') {
        text.push('\n');
    }
    fsx::write_atomic(path, text.as_bytes(), Mode::Always(SECRET_FILE_MODE)).map_err(|detail| {
        AuthError::Write {
            path: shown,
            detail,
        }
    })?;
    Ok(if current.is_some() {
        Saved::Replaced
    } else {
        Saved::Created
    })
}

/// The permission bits of `path` when group or others may read or write it.
pub fn loose_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Tells `notify` when the file holding a secret is readable or writable by others.
pub fn check_mode(paths: &Paths, path: &Path, notify: Notify<'_>) {
    if let Some(mode) = loose_mode(path) {
        notify(Notice::LooseFile {
            shown: paths.display(path),
            path,
            mode,
        });
    }
}

/// Makes an unchanged key file 0600 too (saving always leaves it private).
fn tighten(path: &Path) {
    #[cfg(unix)]
    if loose_mode(path).is_some() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(SECRET_FILE_MODE));
    }
    #[cfg(not(unix))]
    let _ = path;
}
