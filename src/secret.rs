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

/// Why a value is not an API key. The message never repeats the value (it may be a
/// real key pasted with a typo): it says what is wrong and where, by position.
#[derive(Debug, Error, PartialEq, Eq, Clone, Copy)]
#[error(
    "is not a valid CodeLoop API key: {reason} (expected `cl_live_` followed by 8 to 256 letters, digits, `_` or `-`)"
)]
pub struct InvalidKey {
    pub reason: Reason,
}

/// What is wrong with a would-be key; positions count characters from 1.
#[derive(Debug, Error, PartialEq, Eq, Clone, Copy)]
pub enum Reason {
    #[error("it is empty")]
    Empty,
    #[error("it does not start with `cl_live_`")]
    Prefix,
    #[error("it has {0} characters after `cl_live_`, fewer than 8")]
    Short(usize),
    #[error("it has {0} characters after `cl_live_`, more than 256")]
    Long(usize),
    /// A character no key has: `what` names it without showing the rest.
    #[error("character {at} is {what}")]
    Char { at: usize, what: &'static str },
}

impl From<Reason> for InvalidKey {
    fn from(reason: Reason) -> InvalidKey {
        InvalidKey { reason }
    }
}

/// How a character no key holds is named in an error (keys are ASCII letters, digits,
/// `_` and `-`, so naming one of these others reveals nothing of a key).
fn name_of(c: char) -> &'static str {
    match c {
        ' ' => "a space",
        '\t' => "a tab",
        '\n' | '\r' => "a line break (copied with the key?)",
        '"' | '\'' | '`' => "a quote (paste the key without quotes)",
        c if !c.is_ascii() => "not an ASCII character",
        c if c.is_ascii_control() => "a control character",
        _ => "a symbol no key contains",
    }
}

impl ApiKey {
    /// Checks `raw` (taken as is: callers trim what they read from a file or a pipe).
    pub fn parse(raw: &str) -> Result<ApiKey, InvalidKey> {
        if raw.is_empty() {
            return Err(Reason::Empty.into());
        }
        let rest = raw.strip_prefix(PREFIX).ok_or(Reason::Prefix)?;
        if let Some((i, c)) = rest
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(Reason::Char {
                at: PREFIX.len() + i + 1,
                what: name_of(c),
            }
            .into());
        }
        match rest.len() {
            n if n < 8 => Err(Reason::Short(n).into()),
            n if n > 256 => Err(Reason::Long(n).into()),
            _ => Ok(ApiKey(raw.to_owned())),
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
