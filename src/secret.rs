//! Leaf: the CodeLoop API key as a type that never prints itself, its format check,
//! and masking (`cl_live_ab…yz`) of every key in a text. Imports nothing of the crate.

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;

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
