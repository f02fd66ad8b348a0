//! `codeloop auth`: sign in (the browser loopback flow, or email and password with
//! `--no-browser`, or a key piped in with `--key-stdin`), save the key to
//! `~/.codeloop/config.json`; `--status` reports it masked; `--rotate` then re-keys
//! every configured file through `init`. Orchestration only: the flows and the store
//! live in `crate::auth`.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::Exit;
use crate::api::{Api, Grant, Want};
use crate::auth::{self, ApiKey, KeySource, loopback, store};
use crate::cli::AuthArgs;
use crate::paths::Paths;
use crate::render::{GREEN, RED, YELLOW};
use crate::sys::Sys;

/// The email for `--no-browser` when no one is asked for it.
pub const EMAIL_VAR: &str = "CODELOOP_EMAIL";

pub fn run(
    args: &AuthArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let home = sys.home().ok_or_else(|| {
        anyhow!(
            "cannot find your home directory: HOME (USERPROFILE on Windows) is not set; set it and run again"
        )
    })?;
    let cwd = sys.cwd.clone();
    let paths = Paths::resolve(sys, &home, &cwd);
    if args.status {
        return status(sys, &paths, out, err);
    }

    let key = if args.key_stdin {
        auth::read_stdin_key(sys)?
    } else {
        let want = Want::Key {
            name: crate::api::default_key_name(sys),
        };
        let grant = if args.no_browser {
            let api = Api::from_sys(sys)?.retry_with(if args.rotate {
                "codeloop auth --rotate --no-browser"
            } else {
                "codeloop auth --no-browser"
            });
            let (email, password) = credentials(sys, args.password_stdin, "codeloop auth")?;
            api.password_sign_in(&email, &password, &want)?
        } else {
            // Every "run … again" keeps the rotation the person asked for.
            let api = Api::from_sys(sys)?;
            let api = if args.rotate {
                api.retry_with("codeloop auth --rotate")
            } else {
                api
            };
            let timeout = Duration::from_secs(args.timeout);
            loopback::sign_in(sys, &api, &want, args.rotate, timeout, &mut |n| {
                crate::render::notice(&n, out, err)
            })?
        };
        match grant {
            Grant::Key(key) => key,
            Grant::Session(_) => {
                bail!("the service sent a session instead of a key; try again later")
            }
        }
    };

    save_key(sys, &paths, &key, out, err)?;
    if args.rotate {
        let found = (key, KeySource::ConfigFile(paths.config_json.clone()));
        return crate::commands::init::rekey(
            sys,
            &found,
            args.project.as_deref(),
            args.yes,
            out,
            err,
        );
    }
    writeln!(
        out,
        "next: run `codeloop init` in a project to set up your editors"
    )?;
    Ok(Exit::Ok)
}

/// Saves `key` to `~/.codeloop/config.json` and says so (masked); warns when
/// `CODELOOP_API_KEY` in the environment would win over it.
pub fn save_key(
    sys: &Sys,
    paths: &Paths,
    key: &ApiKey,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let saved = store::save(paths, key, &mut |n| crate::render::notice(&n, out, err))?;
    let file = paths.display(&paths.config_json);
    match saved {
        store::Saved::Created | store::Saved::Replaced => writeln!(
            out,
            "{GREEN}✓{GREEN:#} saved your API key ({key}) to {file}"
        )?,
        store::Saved::Unchanged => writeln!(
            out,
            "{GREEN}✓{GREEN:#} {file} already holds this key ({key})"
        )?,
    }
    if let Some(env) = sys.var(auth::ENV_VAR)
        && env.trim() != key.expose()
    {
        writeln!(
            err,
            "{YELLOW}warning:{YELLOW:#} {} is set in this environment and wins over {file}; unset it (or set it to the new key) so codeloop uses the key just saved",
            auth::ENV_VAR
        )?;
    }
    Ok(())
}

/// `--status`: where the key comes from, masked. Exit 1 when there is none.
fn status(sys: &Sys, paths: &Paths, out: &mut dyn Write, err: &mut dyn Write) -> Result<Exit> {
    match auth::resolve_key(sys, paths)? {
        Some((key, source)) => {
            if let KeySource::ConfigFile(p) = &source {
                store::check_mode(paths, p, &mut |n| crate::render::notice(&n, out, err));
            }
            writeln!(out, "API key: {key} (from {})", source.describe(paths))?;
            Ok(Exit::Ok)
        }
        None => {
            let red = RED.bold();
            writeln!(
                err,
                "{red}error:{red:#} {}",
                auth::no_key_message("codeloop auth --status")
            )?;
            Ok(Exit::Failed)
        }
    }
}

/// `--no-browser`: the email (`CODELOOP_EMAIL` or a prompt) and the password (a
/// masked prompt, or standard input with `--password-stdin`). `command` is the one
/// to suggest for a browser sign-in instead.
pub fn credentials(sys: &mut Sys, password_stdin: bool, command: &str) -> Result<(String, String)> {
    let email = match sys.var(EMAIL_VAR) {
        Some(email) => email.trim().to_owned(),
        None if sys.interactive() => sys
            .text("email:")
            .context("could not read your email; set CODELOOP_EMAIL instead")?
            .trim()
            .to_owned(),
        None => bail!(
            "no email to sign in with: stdin is not a terminal; set {EMAIL_VAR} and pipe the password in with --password-stdin, or run `{command}` to sign in with a browser"
        ),
    };
    if email.is_empty() {
        bail!("the email is empty; set {EMAIL_VAR} or type it at the prompt");
    }
    let password = if password_stdin {
        let text = sys
            .read_stdin()
            .context("cannot read the password from standard input (--password-stdin)")?;
        // Only the line ending goes: spaces may belong to the password.
        text.strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text)
            .to_owned()
    } else if sys.interactive() {
        sys.password("password (shown as *****):")
            .context("could not read your password; pipe it in with --password-stdin instead")?
    } else {
        bail!(
            "cannot ask for your password: stdin is not a terminal; pipe it in with --password-stdin (never as an argument)"
        );
    };
    if password.is_empty() {
        bail!("the password is empty; type it at the prompt or pipe it in with --password-stdin");
    }
    Ok((email, password))
}
