//! The shared auth module: the API key type (which never prints itself), the format
//! check, masking, the resolution chain every command gets its key from
//! (`--key-stdin`, `init --key`, `CODELOOP_API_KEY`, `~/.codeloop/config.json`, then —
//! only when a person is at the terminal — a browser sign-in or a pasted key), the key
//! and session stores and the browser sign-in. Service calls live in `crate::api`.
//! It must never echo a rejected value, and never put a key anywhere but its own
//! store.

pub mod loopback;
pub mod session;
pub mod store;

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::edit::json;
use crate::paths::Paths;
use crate::sys::Sys;

pub use crate::secret::{ApiKey, ENV_VAR, InvalidKey, PLACEHOLDER, PREFIX, mask_secrets};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `--key-stdin`.
    Stdin,
    /// `init --key KEY`.
    Argument,
    Env,
    ConfigFile(PathBuf),
    /// The browser sign-in just now; saved to this file.
    SignIn(PathBuf),
    /// Pasted at the prompt just now; saved to this file.
    Pasted(PathBuf),
}

impl KeySource {
    /// For sentences: "API key: … (from …)".
    pub fn describe(&self, paths: &Paths) -> String {
        match self {
            KeySource::Stdin => "standard input (--key-stdin)".to_owned(),
            KeySource::Argument => "the --key argument".to_owned(),
            KeySource::Env => format!("the {ENV_VAR} environment variable"),
            KeySource::ConfigFile(p) => paths.display(p),
            KeySource::SignIn(p) => format!("the browser sign-in (saved to {})", paths.display(p)),
            KeySource::Pasted(p) => format!("the key you pasted (saved to {})", paths.display(p)),
        }
    }

    /// The line a run prints about its key, masked: "using the key you pasted
    /// (cl_live_ab…yz, saved to ~/.codeloop/config.json)", "using the API key from
    /// the --key argument (cl_live_ab…yz)".
    pub fn using(&self, paths: &Paths, key: &ApiKey) -> String {
        match self {
            KeySource::SignIn(p) => format!(
                "using the key from the browser sign-in ({key}, saved to {})",
                paths.display(p)
            ),
            KeySource::Pasted(p) => format!(
                "using the key you pasted ({key}, saved to {})",
                paths.display(p)
            ),
            other => format!("using the API key from {} ({key})", other.describe(paths)),
        }
    }

    /// For `--json` documents: `stdin`, `environment`, the file, `browser`, `pasted`.
    pub fn label(&self, paths: &Paths) -> String {
        match self {
            KeySource::Stdin => "stdin".to_owned(),
            KeySource::Argument => "argument".to_owned(),
            KeySource::Env => "environment".to_owned(),
            KeySource::ConfigFile(p) => paths.display(p),
            KeySource::SignIn(_) => "browser".to_owned(),
            KeySource::Pasted(_) => "pasted".to_owned(),
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
    #[error("cannot save the key to {path}: {detail}")]
    Write { path: String, detail: String },
    #[error(
        "the value on standard input (--key-stdin) {0}; pipe in the key from `codeloop auth` or your secret store"
    )]
    BadStdinKey(InvalidKey),
    #[error(
        "the value of --key {0}; pass the key from `codeloop auth` (better: pipe it in with --key-stdin)"
    )]
    BadArgKey(InvalidKey),
    #[error("cannot read standard input (--key-stdin): {0}")]
    Stdin(std::io::Error),
    #[error("the pasted value {0}; nothing was saved; run `codeloop auth` or paste the key again")]
    BadPastedKey(InvalidKey),
    #[error(transparent)]
    SignIn(#[from] loopback::SignInError),
    #[error(transparent)]
    Api(#[from] crate::api::ApiError),
    #[error("could not read your answer ({0}); {hint}", hint = ways_hint())]
    Prompt(std::io::Error),
    /// The person left a prompt: Ctrl-C (`interrupted`, the run ends with 130) or Esc.
    #[error("cancelled; nothing was written")]
    Cancelled { interrupted: bool },
}

/// The three ways to give codeloop a key.
pub fn ways_hint() -> String {
    format!(
        "supply a key in one of three ways: run `codeloop auth` to sign in (it saves the key to ~/.codeloop/config.json), set {ENV_VAR} in the environment, or pipe it in with --key-stdin"
    )
}

/// The error when no source has a key and nobody can be asked.
pub fn no_key_message(command: &str) -> String {
    format!(
        "no CodeLoop API key found; {}; then run `{command}` again",
        ways_hint()
    )
}

/// What the key chain has to tell the person while it works. Nothing under
/// `crate::auth` prints: the command hands in a sink ([`Notify`]) and
/// `crate::render::notice` words each one.
#[derive(Debug)]
pub enum Notice<'a> {
    /// The browser sign-in page: its URL is shown too (for SSH and headless
    /// machines), and the listener waits `timeout`.
    SignInPage { url: &'a str, timeout: Duration },
    /// The browser could not be started; the person opens the page themselves.
    BrowserNotOpened(&'a std::io::Error),
    /// A file holding a secret (`shown` as the person knows it) is readable or
    /// writable by others: its permission bits, e.g. `0o644`.
    LooseFile {
        shown: String,
        path: &'a std::path::Path,
        mode: u32,
    },
    /// A paste that is not a key (never echoed); `tries_left` more are allowed.
    NotAKey { err: InvalidKey, tries_left: usize },
}

/// Where [`Notice`]s go.
pub type Notify<'a> = &'a mut dyn FnMut(Notice<'_>);

/// A sink that drops every notice (tests, and callers with no one to tell).
pub fn ignore(_: Notice<'_>) {}

/// How far [`resolve_key_with`] may go.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resolve<'a> {
    /// `--key-stdin`: the key is standard input, and nothing else is consulted.
    pub key_stdin: bool,
    /// `init --key KEY`: after `--key-stdin`, before the environment.
    pub key_arg: Option<&'a str>,
    /// A person may be asked: offer the browser sign-in or pasting a key.
    pub interactive: bool,
}

/// The whole chain: `--key-stdin`, then `--key`, then [`resolve_key`] (the environment, then
/// `~/.codeloop/config.json`, with a warning on `err` when that file is readable by
/// others), then — only when `how.interactive` — a browser sign-in or a pasted key,
/// saved to `~/.codeloop/config.json`. `Ok(None)`: no key, and nobody to ask.
pub fn resolve_key_with(
    sys: &mut Sys,
    paths: &Paths,
    how: Resolve<'_>,
    notify: Notify<'_>,
) -> Result<Option<(ApiKey, KeySource)>, AuthError> {
    if how.key_stdin {
        return read_stdin_key(sys).map(|k| Some((k, KeySource::Stdin)));
    }
    if let Some(raw) = how.key_arg {
        let key = ApiKey::parse(raw.trim()).map_err(AuthError::BadArgKey)?;
        return Ok(Some((key, KeySource::Argument)));
    }
    if let Some(found) = resolve_key(sys, paths)? {
        if let KeySource::ConfigFile(p) = &found.1 {
            store::check_mode(paths, p, notify);
        }
        return Ok(Some(found));
    }
    if !how.interactive {
        return Ok(None);
    }
    let options = [
        "sign in with the browser (recommended)".to_owned(),
        "paste an API key".to_owned(),
    ];
    let choice = sys
        .choose(
            "no CodeLoop API key found; how do you want to add one?",
            &options,
        )
        .map_err(prompt_error)?;
    let (key, source) = if choice == 0 {
        let api = crate::api::Api::from_sys(sys)?;
        let want = crate::api::Want::Key {
            name: crate::api::default_key_name(sys),
        };
        let crate::api::Grant::Key(key) =
            loopback::sign_in(sys, &api, &want, false, DEFAULT_TIMEOUT, notify)?
        else {
            unreachable!("a sign-in for a key grants a key")
        };
        (key, KeySource::SignIn(paths.config_json.clone()))
    } else {
        (
            paste_key(sys, notify)?,
            KeySource::Pasted(paths.config_json.clone()),
        )
    };
    store::save(paths, &key, notify)?;
    Ok(Some((key, source)))
}

/// A prompt that could not be answered: Ctrl-C and Esc are the person's choice.
fn prompt_error(e: std::io::Error) -> AuthError {
    if e.kind() == std::io::ErrorKind::Interrupted {
        AuthError::Cancelled { interrupted: true }
    } else if crate::sys::is_escape(&e) {
        AuthError::Cancelled { interrupted: false }
    } else {
        AuthError::Prompt(e)
    }
}

/// How many times a person may paste before the run gives up.
pub const PASTE_TRIES: usize = 3;

/// A key pasted at the prompt: the prompt shows `*` for each character; an invalid
/// paste is named by what is wrong with it (never echoed) and asked again, up to
/// [`PASTE_TRIES`] times in all.
fn paste_key(sys: &mut Sys, notify: Notify<'_>) -> Result<ApiKey, AuthError> {
    let mut tries = PASTE_TRIES;
    loop {
        let raw = sys
            .password("paste your CodeLoop API key (shown as *****):")
            .map_err(prompt_error)?;
        match ApiKey::parse(raw.trim()) {
            Ok(key) => return Ok(key),
            Err(e) if tries > 1 => {
                tries -= 1;
                notify(Notice::NotAKey {
                    err: e,
                    tries_left: tries,
                });
            }
            Err(e) => return Err(AuthError::BadPastedKey(e)),
        }
    }
}

/// Said once when `init --key` is used: the process list shows the key.
pub fn key_argument_warning(also_stdin: bool) -> String {
    format!(
        "a key given with --key is visible to other users of this computer in the process list (ps); keep it private with --key-stdin (pipe it in) or {ENV_VAR} in the environment{}",
        if also_stdin {
            "; --key is ignored because --key-stdin comes first"
        } else {
            ""
        }
    )
}

/// How long the browser sign-in waits unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The key piped in on standard input (surrounding whitespace ignored).
pub fn read_stdin_key(sys: &mut Sys) -> Result<ApiKey, AuthError> {
    let text = sys.read_stdin().map_err(AuthError::Stdin)?;
    ApiKey::parse(text.trim()).map_err(AuthError::BadStdinKey)
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
    use crate::sys::{Os, Prompter};
    use std::path::Path;

    /// Answers "paste a key" with `paste`; panics on anything else.
    struct Paste(&'static str);
    impl Prompter for Paste {
        fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
            unreachable!("no confirmation while resolving a key")
        }
        fn choose(&mut self, _: &str, options: &[String]) -> std::io::Result<usize> {
            Ok(options.iter().position(|o| o.contains("paste")).unwrap())
        }
        fn password(&mut self, _: &str) -> std::io::Result<String> {
            Ok(self.0.to_owned())
        }
    }

    const ENV_KEY: &str = "cl_live_ENVkey012345";
    const FILE_KEY: &str = "cl_live_FILEkey01234";
    const STDIN_KEY: &str = "cl_live_STDINkey0123";
    const ARG_KEY: &str = "cl_live_ARGkey0123456";

    fn setup(
        env_key: bool,
        file_key: bool,
        paste: &'static str,
    ) -> (tempfile::TempDir, Sys, Paths) {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let mut vars = vec![("HOME", home.to_str().unwrap().to_owned())];
        if env_key {
            vars.push((ENV_VAR, ENV_KEY.to_owned()));
        }
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let sys = Sys::fake(
            Os::Linux,
            dir.path().to_owned(),
            &vars,
            Box::new(Paste(paste)),
        );
        let paths = Paths::resolve(&sys, &home, dir.path());
        if file_key {
            let key = ApiKey::parse(FILE_KEY).unwrap();
            store::save(&paths, &key, &mut ignore).unwrap();
        }
        (dir, sys, paths)
    }

    fn resolve(sys: &mut Sys, paths: &Paths, how: Resolve<'_>) -> Option<(ApiKey, KeySource)> {
        resolve_key_with(sys, paths, how, &mut ignore).unwrap()
    }

    #[test]
    fn a_service_error_inside_a_sign_in_is_said_once() {
        let inner = crate::api::ApiError::BadKey {
            host: "codeloop.tech".into(),
            err: crate::secret::Reason::Prefix.into(),
        };
        let e = anyhow::Error::from(AuthError::SignIn(loopback::SignInError::Api(inner)));
        let text = format!("{e:#}");
        assert_eq!(text.matches("nothing was saved").count(), 1, "{text}");
    }

    #[test]
    fn resolution_order_is_stdin_then_argument_then_env_then_file_then_prompt() {
        let (_d, sys, paths) = setup(true, true, "");
        let mut sys = sys.with_stdin(&format!("  {STDIN_KEY}\n"));
        let how = Resolve {
            key_stdin: true,
            key_arg: Some(ARG_KEY),
            interactive: false,
        };
        let (key, source) = resolve(&mut sys, &paths, how).unwrap();
        assert_eq!((key.expose(), source), (STDIN_KEY, KeySource::Stdin));

        let how = Resolve {
            key_arg: Some(ARG_KEY),
            ..Resolve::default()
        };
        let (key, source) = resolve(&mut sys, &paths, how).unwrap();
        assert_eq!((key.expose(), source), (ARG_KEY, KeySource::Argument));

        let (key, source) = resolve(&mut sys, &paths, Resolve::default()).unwrap();
        assert_eq!((key.expose(), source), (ENV_KEY, KeySource::Env));

        let (_d, mut sys, paths) = setup(false, true, "");
        let (key, source) = resolve(&mut sys, &paths, Resolve::default()).unwrap();
        assert_eq!(key.expose(), FILE_KEY);
        assert_eq!(source, KeySource::ConfigFile(paths.config_json.clone()));

        let (_d, mut sys, paths) = setup(false, false, "cl_live_PASTEDkey0123");
        assert!(resolve(&mut sys, &paths, Resolve::default()).is_none());
        let how = Resolve {
            key_stdin: false,
            key_arg: None,
            interactive: true,
        };
        let (key, source) = resolve(&mut sys, &paths, how).unwrap();
        assert_eq!(key.expose(), "cl_live_PASTEDkey0123");
        assert!(matches!(source, KeySource::Pasted(_)));
        // The pasted key was saved: the next run finds it in the file.
        let (key, _) = resolve(&mut sys, &paths, Resolve::default()).unwrap();
        assert_eq!(key.expose(), "cl_live_PASTEDkey0123");
    }

    #[test]
    fn a_bad_stdin_or_pasted_key_is_refused_without_echo() {
        let (_d, sys, paths) = setup(false, false, "cl_live_bad key SENTINEL");
        let mut sys = sys.with_stdin("cl_live_has space SENTINEL");
        let how = Resolve {
            key_stdin: true,
            key_arg: Some(ARG_KEY),
            interactive: false,
        };
        let e = resolve_key_with(&mut sys, &paths, how, &mut ignore)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--key-stdin") && !e.contains("SENTINEL"), "{e}");
        let how = Resolve {
            key_stdin: false,
            key_arg: None,
            interactive: true,
        };
        let e = resolve_key_with(&mut sys, &paths, how, &mut ignore)
            .unwrap_err()
            .to_string();
        assert!(e.contains("pasted") && !e.contains("SENTINEL"), "{e}");
        let how = Resolve {
            key_arg: Some("cl_live_bad!SENTINEL"),
            ..Resolve::default()
        };
        let e = resolve_key_with(&mut sys, &paths, how, &mut ignore)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--key") && !e.contains("SENTINEL"), "{e}");
        assert!(!paths.config_json.exists());
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_store_is_private_and_keeps_other_fields() {
        let (_d, _sys, paths) = setup(false, true, "");
        assert_eq!(mode(&paths.codeloop_dir), 0o700);
        assert_eq!(mode(&paths.config_json), 0o600);

        let original = "{\n  // mine\n  \"telemetry\": false,\n  \"apiKey\": \"cl_live_OLDkey012345\",\n  \"z\": [1, 2]\n}\n";
        #[allow(clippy::disallowed_methods)] // seeding the test's own temp dir
        std::fs::write(&paths.config_json, original).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&paths.config_json, std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let mut loose = Vec::new();
        let key = ApiKey::parse("cl_live_NEWkey012345").unwrap();
        assert_eq!(
            store::save(&paths, &key, &mut |n| {
                if let Notice::LooseFile { shown, mode, .. } = n {
                    loose.push((shown, mode));
                }
            })
            .unwrap(),
            store::Saved::Replaced
        );
        assert_eq!(loose, [("~/.codeloop/config.json".to_owned(), 0o644)]);
        let text = std::fs::read_to_string(&paths.config_json).unwrap();
        assert_eq!(text, original.replace("OLDkey", "NEWkey"));
        assert_eq!(mode(&paths.config_json), 0o600);
        assert_eq!(
            store::save(&paths, &key, &mut ignore).unwrap(),
            store::Saved::Unchanged
        );
    }

    #[test]
    fn a_broken_config_file_is_not_overwritten() {
        let (_d, _sys, paths) = setup(false, false, "");
        std::fs::create_dir_all(&paths.codeloop_dir).unwrap();
        #[allow(clippy::disallowed_methods)] // seeding the test's own temp dir
        std::fs::write(&paths.config_json, "{ \"apiKey\": ").unwrap();
        let key = ApiKey::parse("cl_live_NEWkey012345").unwrap();
        let e = store::save(&paths, &key, &mut ignore)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("config.json") && e.contains("codeloop auth"),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(&paths.config_json).unwrap(),
            "{ \"apiKey\": "
        );
    }

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
            assert!(ApiKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ApiKey::parse(&format!("cl_live_{}", "a".repeat(257))).is_err());
    }

    #[test]
    fn a_bad_key_says_what_is_wrong_and_where() {
        use crate::secret::Reason;
        let reason = |raw: &str| ApiKey::parse(raw).unwrap_err().reason;
        assert_eq!(reason(""), Reason::Empty);
        assert_eq!(reason("cl_test_abcdefgh"), Reason::Prefix);
        assert_eq!(reason("cl_live_short"), Reason::Short(5));
        assert_eq!(
            reason(&format!("cl_live_{}", "a".repeat(257))),
            Reason::Long(257)
        );
        let at = |raw: &str| match reason(raw) {
            Reason::Char { at, what } => format!("{at}: {what}"),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            at("cl_live_abcdefgh\n"),
            "17: a line break (copied with the key?)"
        );
        assert_eq!(at("cl_live_abc defgh"), "12: a space");
        assert_eq!(
            at("cl_live_abcd'efgh"),
            "13: a quote (paste the key without quotes)"
        );
        assert_eq!(at("cl_live_abcdéfgh"), "13: not an ASCII character");
        assert_eq!(at("cl_live_%PATH%xx"), "9: a symbol no key contains");
        let text = ApiKey::parse("cl_live_secretsecret secret")
            .unwrap_err()
            .to_string();
        assert_eq!(
            text,
            "is not a valid CodeLoop API key: character 21 is a space (expected `cl_live_` followed by 8 to 256 letters, digits, `_` or `-`)"
        );
    }

    #[test]
    fn never_prints_itself() {
        let key = ApiKey::parse("cl_live_ab345678yz").unwrap();
        assert_eq!(key.to_string(), "cl_live_ab…yz");
        assert_eq!(format!("{key:?}"), "ApiKey(cl_live_ab…yz)");
        let err = ApiKey::parse("cl_live_ab345678y'z")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("ab345678"), "{err}");
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
