//! The session `codeloop login` keeps for `codeloop keys`: `~/.codeloop/session.json`,
//! `{"token": "…", "api": "<base URL it came from>", "expiresAt": "…"}`, written
//! atomically 0600 in the 0700 `~/.codeloop`, beside a `~/.codeloop/.gitignore` of `*`
//! so a home directory kept in git (a dotfiles repository) never picks it up. A
//! session is sent only to the base URL it came from, only in an `Authorization`
//! header. Nothing here prints the token.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use thiserror::Error;

use crate::api::Session;
use crate::fsx::{self, Mode, SECRET_FILE_MODE};
use crate::paths::Paths;

use super::{Notify, store};

#[derive(Debug, Error)]
pub enum SessionError {
    #[error("not signed in to CodeLoop; run `codeloop login` first")]
    Missing,
    #[error("{path} is not a session codeloop wrote; run `codeloop login` to replace it")]
    Corrupt { path: String },
    #[error(
        "the saved session belongs to {saved}, but CODELOOP_API_URL points at {wanted}; run `codeloop login` to sign in there"
    )]
    OtherService { saved: String, wanted: String },
    #[error("cannot read {path}: {err}")]
    Read { path: String, err: io::Error },
    #[error("cannot save the session to {path}: {detail}")]
    Write { path: String, detail: String },
    #[error("cannot remove {path}: {err}")]
    Remove { path: String, err: io::Error },
}

pub fn path(paths: &Paths) -> PathBuf {
    paths.codeloop_dir.join("session.json")
}

/// Saves `session` for `base`, replacing any earlier one.
pub fn save(paths: &Paths, base: &str, session: &Session) -> Result<PathBuf, SessionError> {
    let file = path(paths);
    let shown = paths.display(&file);
    fsx::create_own_dir(&paths.codeloop_dir).map_err(|(at, detail)| SessionError::Write {
        path: paths.display(&at),
        detail,
    })?;
    let doc = json!({
        "token": session.expose(),
        "api": base,
        "expiresAt": session.expires_at,
    });
    let text = format!("{doc:#}\n");
    fsx::write_atomic(&file, text.as_bytes(), Mode::Always(SECRET_FILE_MODE)).map_err(
        |detail| SessionError::Write {
            path: shown,
            detail,
        },
    )?;
    Ok(file)
}

/// The session saved for `base`. Tells `notify` when the file is readable by others.
pub fn load(paths: &Paths, base: &str, notify: Notify<'_>) -> Result<Session, SessionError> {
    let file = path(paths);
    let shown = paths.display(&file);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(SessionError::Missing),
        Err(e) => {
            return Err(SessionError::Read {
                path: shown,
                err: e,
            });
        }
    };
    store::check_mode(paths, &file, notify);
    let doc: Value = serde_json::from_str(&text).map_err(|_| SessionError::Corrupt {
        path: shown.clone(),
    })?;
    let saved = doc.get("api").and_then(Value::as_str).unwrap_or_default();
    let token = doc.get("token").and_then(Value::as_str).unwrap_or_default();
    let expires = doc
        .get("expiresAt")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let session = Session::new(token, expires).ok_or(SessionError::Corrupt { path: shown })?;
    if saved.trim_end_matches('/') != base {
        return Err(SessionError::OtherService {
            saved: crate::api::host_of(saved).to_owned(),
            wanted: crate::api::host_of(base).to_owned(),
        });
    }
    Ok(session)
}

/// Removes the session file; `Ok(false)` when there was none.
pub fn remove(paths: &Paths) -> Result<bool, SessionError> {
    let file = path(paths);
    match std::fs::remove_file(&file) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(SessionError::Remove {
            path: paths.display(&file),
            err,
        }),
    }
}

/// Whether a session file exists (for hints; it may be stale).
pub fn exists(paths: &Paths) -> bool {
    Path::new(&path(paths)).exists()
}
