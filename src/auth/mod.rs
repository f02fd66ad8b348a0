//! The shared auth module: the API key type (which never prints itself), the format
//! check, masking, and the one function every command gets its key from. It must
//! never echo a rejected value, and never put a key anywhere but its own store.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use crate::paths::Paths;
use crate::plan::json;
use crate::sys::Sys;

pub const PREFIX: &str = "cl_live_";
pub const ENV_VAR: &str = "CODELOOP_API_KEY";
/// Shown instead of a key by `--dry-run` when none is configured yet.
pub const PLACEHOLDER: &str = "<placeholder: your CodeLoop API key, from `codeloop auth`>";

/// A CodeLoop API key. `Debug` and `Display` show only the masked form; the full value
/// is reachable only through [`ApiKey::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "is not a valid CodeLoop API key (expected `cl_live_` followed by 8 to 256 letters, digits, `_` or `-`)"
)]
pub struct InvalidKey;

impl ApiKey {
    pub fn parse(raw: &str) -> Result<ApiKey, InvalidKey> {
        let rest = raw.strip_prefix(PREFIX).ok_or(InvalidKey)?;
        let ok_len = (8..=256).contains(&rest.len());
        let ok_chars = rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok_len && ok_chars {
            Ok(ApiKey(raw.to_owned()))
        } else {
            Err(InvalidKey)
        }
    }

    /// The full key, for writing it where it belongs. Never print this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_one(&self.0[PREFIX.len()..])
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

fn mask_one(random: &str) -> String {
    if random.len() >= 8 {
        format!("{PREFIX}{}…{}", &random[..2], &random[random.len() - 2..])
    } else {
        format!("{PREFIX}…")
    }
}

/// Masks every `cl_live_…` key in `text`, not only the current one: a diff that
/// replaces a stale key shows the old one on its `-` line.
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    if !text.contains(PREFIX) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(PREFIX) {
        out.push_str(&rest[..i]);
        let after = &rest[i + PREFIX.len()..];
        let run = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        if run < 8 {
            // Too short to be a key: a bare prefix in our own messages, or a key that
            // is already masked.
            out.push_str(PREFIX);
            out.push_str(&after[..run]);
        } else {
            out.push_str(&mask_one(&after[..run]));
        }
        rest = &after[run..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    ConfigFile(PathBuf),
}

impl KeySource {
    pub fn describe(&self, paths: &Paths) -> String {
        match self {
            KeySource::Env => format!("the {ENV_VAR} environment variable"),
            KeySource::ConfigFile(p) => paths.display(p),
        }
    }
}

#[derive(Debug, Error)]
pub enum AuthError {
    #[error("{ENV_VAR} in the environment {0}; unset it or set it to the key from `codeloop auth`")]
    BadEnvKey(InvalidKey),
    #[error("{path}: `apiKey` {err}; run `codeloop auth` to replace it")]
    BadStoredKey { path: String, err: InvalidKey },
    #[error("{path}:{detail}; fix the file or delete it and run `codeloop auth`")]
    BadConfig { path: String, detail: String },
    #[error("cannot read {path}: {err}")]
    Read { path: String, err: std::io::Error },
}

/// The key from the first source that has one: the environment, then
/// `~/.codeloop/config.json`. `Ok(None)` when there is none at all.
pub fn resolve_key(sys: &Sys, paths: &Paths) -> Result<Option<(ApiKey, KeySource)>, AuthError> {
    if let Some(raw) = sys.var(ENV_VAR) {
        let key = ApiKey::parse(raw.trim()).map_err(AuthError::BadEnvKey)?;
        return Ok(Some((key, KeySource::Env)));
    }
    let path = &paths.config_json;
    let shown = paths.display(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(AuthError::Read { path: shown, err }),
    };
    let value = json::get(&text, &["apiKey"]).map_err(|e| AuthError::BadConfig {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(raw)) => {
            let key = ApiKey::parse(raw.trim())
                .map_err(|err| AuthError::BadStoredKey { path: shown, err })?;
            Ok(Some((key, KeySource::ConfigFile(path.clone()))))
        }
        Some(_) => Err(AuthError::BadConfig {
            path: shown,
            detail: " `apiKey` is not a string".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_documented_format() {
        assert!(ApiKey::parse("cl_live_abcdefgh").is_ok());
        assert!(ApiKey::parse(&format!("cl_live_{}", "a".repeat(256))).is_ok());
        for bad in [
            "",
            "cl_live_",
            "cl_live_short",
            "cl_test_abcdefgh",
            "cl_live_abc defgh",
            "cl_live_abcdefgh\n",
            "cl_live_abcd'efgh",
            "cl_live_%PATH%xx",
            "cl_live_abcdéfgh",
        ] {
            assert_eq!(ApiKey::parse(bad), Err(InvalidKey), "{bad:?}");
        }
        assert!(ApiKey::parse(&format!("cl_live_{}", "a".repeat(257))).is_err());
    }

    #[test]
    fn never_prints_itself() {
        let key = ApiKey::parse("cl_live_ab345678yz").unwrap();
        assert_eq!(key.to_string(), "cl_live_ab…yz");
        assert_eq!(format!("{key:?}"), "ApiKey(cl_live_ab…yz)");
        assert!(!InvalidKey.to_string().contains("ab345678"));
    }

    #[test]
    fn masks_every_key_in_a_text() {
        let text = "- \"cl_live_OLDOLDOLDxx\"\n+ \"cl_live_NEWNEWNEWyy\" cl_live_ end";
        assert_eq!(
            mask_secrets(text),
            "- \"cl_live_OL…xx\"\n+ \"cl_live_NE…yy\" cl_live_ end"
        );
    }
}
