//! `codeloop auth`: sign in (the browser loopback flow, or email and password with
//! `--no-browser`, or a key piped in with `--key-stdin`), save the key to
//! `~/.codeloop/config.json`; `--status` reports it masked; `--rotate` then re-keys
//! every configured file through `init`. Orchestration only: the flows and the store
//! live in `crate::auth`.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::Exit;
use crate::auth::{self, ApiKey, KeySource, login, loopback, store};
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

    let base = loopback::base_url(sys);
    let key = if args.key_stdin {
        auth::read_stdin_key(sys)?
    } else if args.no_browser {
        password_sign_in(args, sys, &base)?
    } else {
        loopback::sign_in(
            sys,
            &base,
            args.rotate,
            Duration::from_secs(args.timeout),
            out,
        )?
    };

    let saved = store::save(&paths, &key, err)?;
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

/// `--status`: where the key comes from, masked. Exit 1 when there is none.
fn status(sys: &Sys, paths: &Paths, out: &mut dyn Write, err: &mut dyn Write) -> Result<Exit> {
    match auth::resolve_key(sys, paths)? {
        Some((key, source)) => {
            if let KeySource::ConfigFile(p) = &source {
                store::warn_if_loose(paths, p, err);
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

/// `--no-browser`: email (`CODELOOP_EMAIL` or a prompt) and password (a masked
/// prompt, or standard input with `--password-stdin`), then the login endpoint.
fn password_sign_in(args: &AuthArgs, sys: &mut Sys, base: &str) -> Result<ApiKey> {
    let email = match sys.var(EMAIL_VAR) {
        Some(email) => email.trim().to_owned(),
        None if sys.interactive() => sys
            .text("email:")
            .context("could not read your email; set CODELOOP_EMAIL instead")?
            .trim()
            .to_owned(),
        None => bail!(
            "no email to sign in with: stdin is not a terminal; set {EMAIL_VAR} and pipe the password in with --password-stdin, or run `codeloop auth` to sign in with a browser"
        ),
    };
    if email.is_empty() {
        bail!("the email is empty; set {EMAIL_VAR} or type it at the prompt");
    }
    let password = if args.password_stdin {
        let text = sys
            .read_stdin()
            .context("cannot read the password from standard input (--password-stdin)")?;
        // Only the line ending goes: spaces may belong to the password.
        text.strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text)
            .to_owned()
    } else if sys.interactive() {
        sys.password("password (input hidden):")
            .context("could not read your password; pipe it in with --password-stdin instead")?
    } else {
        bail!(
            "cannot ask for your password: stdin is not a terminal; pipe it in with --password-stdin (never as an argument)"
        );
    };
    if password.is_empty() {
        bail!("the password is empty; type it at the prompt or pipe it in with --password-stdin");
    }
    let key_name = format!("codeloop-cli on {}", sys.hostname());
    Ok(login::login(sys, base, &email, &password, &key_name)?)
}
