//! `codeloop login`, `logout`, `signup` and `keys create|list|revoke`: the dashboard's
//! operations from a terminal. Orchestration only: the calls live in `crate::api`, the
//! session file in `crate::auth::session`, the key store in `crate::auth::store`. A
//! key is shown masked unless `keys create --show-secrets`; a session token never.

use std::io::Write;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use serde_json::json;

use super::auth::{credentials, save_key};
use crate::api::{self, Api, Grant, KeyInfo, Want};
use crate::auth::{self, loopback, session};
use crate::cli::{KeysArgs, KeysCommand, KeysCreateArgs, KeysRevokeArgs, LoginArgs, SignupArgs};
use crate::paths::Paths;
use crate::render::GREEN;
use crate::sys::Sys;
use crate::{Exit, UsageError};

fn paths(sys: &Sys) -> Result<Paths> {
    let home = sys.home().ok_or_else(|| {
        anyhow!(
            "cannot find your home directory: HOME (USERPROFILE on Windows) is not set; set it and run again"
        )
    })?;
    Ok(Paths::resolve(sys, &home, &sys.cwd.clone()))
}

/// `codeloop login`: the browser sign-in (or email and password) for a session,
/// saved privately for `codeloop keys`.
pub fn login(args: &LoginArgs, sys: &mut Sys, out: &mut dyn Write) -> Result<Exit> {
    let paths = paths(sys)?;
    let want = Want::Session;
    let grant = if args.no_browser {
        let api = Api::from_sys(sys)?.retry_with("codeloop login --no-browser");
        let (email, password) = credentials(sys, args.password_stdin, "codeloop login")?;
        let grant = api.password_sign_in(&email, &password, &want)?;
        (api, grant)
    } else {
        let api = Api::from_sys(sys)?.retry_with("codeloop login");
        let timeout = Duration::from_secs(args.timeout);
        // A sign-in has only the page to show; it goes where `login` writes.
        let grant = loopback::sign_in(sys, &api, &want, false, timeout, &mut |n| {
            crate::render::notice(&n, out, &mut std::io::sink())
        })?;
        (api, grant)
    };
    let (api, Grant::Session(session)) = grant else {
        bail!("the service sent a key instead of a session; try again later");
    };
    let file = session::save(&paths, api.base(), &session)?;
    writeln!(
        out,
        "{GREEN}✓{GREEN:#} signed in to {}; the session is saved in {} (private to you)",
        api.host(),
        paths.display(&file)
    )?;
    let has_key = matches!(auth::resolve_key(sys, &paths), Ok(Some(_)));
    if has_key {
        writeln!(out, "next: `codeloop keys list` shows your API keys")?;
    } else {
        writeln!(
            out,
            "next: `codeloop keys create` makes an API key for this computer and saves it"
        )?;
    }
    Ok(Exit::Ok)
}

/// `codeloop logout`: removes the saved session (the API key stays).
pub fn logout(sys: &mut Sys, out: &mut dyn Write) -> Result<Exit> {
    let paths = paths(sys)?;
    let file = paths.display(&session::path(&paths));
    if session::remove(&paths)? {
        writeln!(
            out,
            "{GREEN}✓{GREEN:#} signed out: removed {file}; your API key in {} stays",
            paths.display(&paths.config_json)
        )?;
    } else {
        writeln!(out, "not signed in ({file} does not exist); nothing to do")?;
    }
    Ok(Exit::Ok)
}

/// `codeloop signup`: opens the sign-up page; prints its URL whatever happens.
pub fn signup(args: &SignupArgs, sys: &mut Sys, out: &mut dyn Write) -> Result<Exit> {
    let api = Api::from_sys(sys)?;
    let url = api.signup_url();
    if args.no_browser {
        writeln!(
            out,
            "to create a CodeLoop account, open this page in a browser (on any device):\n\n  {url}\n"
        )?;
    } else {
        writeln!(
            out,
            "to create a CodeLoop account, open this page in a browser (opening it for you now):\n\n  {url}\n"
        )?;
        if let Err(e) = sys.open_browser(&url) {
            writeln!(
                out,
                "could not open a browser ({e}); open the page above yourself, on any device"
            )?;
        }
    }
    writeln!(
        out,
        "then run `codeloop login` (or `codeloop auth` to get an API key right away)"
    )?;
    Ok(Exit::Ok)
}

/// `codeloop keys …`.
pub fn keys(
    args: &KeysArgs,
    sys: &mut Sys,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    // Arguments first: nothing is read or sent for a usage error (exit 2), whether
    // or not there is a session.
    match &args.command {
        KeysCommand::Revoke(r) => {
            api::check_key_id(&r.id).map_err(UsageError)?;
            if !r.yes && !sys.interactive() {
                return Err(UsageError(format!(
                    "revoking a key cannot be undone and nobody is at a terminal to confirm; pass --yes: `codeloop keys revoke {} --yes`",
                    r.id
                ))
                .into());
            }
        }
        KeysCommand::Create(c) => {
            if let Some(name) = &c.name {
                check_name(name)?;
            }
        }
        KeysCommand::List(_) => {}
    }
    let paths = paths(sys)?;
    let api = Api::from_sys(sys)?;
    let session = session::load(&paths, api.base(), &mut |n| {
        crate::render::notice(&n, out, err)
    })?;
    match &args.command {
        KeysCommand::Create(c) => create(c, sys, &paths, &api, &session, out, err),
        KeysCommand::List(l) => list(l.json, sys, &paths, &api, &session, out),
        KeysCommand::Revoke(r) => revoke(r, sys, &api, &session, out),
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.trim().is_empty() && name.chars().count() <= 100;
    if !ok || name.chars().any(char::is_control) {
        return Err(UsageError(
            "--name must be 1 to 100 characters without control characters".to_owned(),
        )
        .into());
    }
    if name.contains(auth::PREFIX) {
        return Err(UsageError("--name must not contain an API key".to_owned()).into());
    }
    Ok(())
}

fn create(
    args: &KeysCreateArgs,
    sys: &Sys,
    paths: &Paths,
    api: &Api,
    session: &api::Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let name = match &args.name {
        Some(name) => name.trim().to_owned(),
        None => api::default_key_name(sys),
    };
    let created = api.create_key(session, &name)?;
    // With --show-secrets, stdout carries the key alone (for a pipe); the rest goes
    // to stderr.
    let talk: &mut dyn Write = if args.show_secrets { err } else { &mut *out };
    writeln!(
        talk,
        "{GREEN}✓{GREEN:#} created the API key \"{}\" ({}{})",
        created.name,
        created.key,
        if created.id.is_empty() {
            String::new()
        } else {
            format!(", id {}", created.id)
        }
    )?;
    if !args.no_save {
        let mut warnings = Vec::new();
        save_key(sys, paths, &created.key, talk, &mut warnings)?;
        talk.write_all(&warnings)?;
        writeln!(
            talk,
            "next: run `codeloop init` in a project to set up your editors"
        )?;
    }
    if args.show_secrets {
        writeln!(out, "{}", created.key.expose())?;
    }
    Ok(Exit::Ok)
}

fn list(
    json: bool,
    sys: &Sys,
    paths: &Paths,
    api: &Api,
    session: &api::Session,
    out: &mut dyn Write,
) -> Result<Exit> {
    let keys = api.list_keys(session)?;
    // Which row is the key this computer uses: the same masked form.
    let current = auth::resolve_key(sys, paths)
        .ok()
        .flatten()
        .map(|(k, _)| k.masked());
    let shown = |k: &KeyInfo| {
        k.masked
            .as_deref()
            .map(|m| auth::mask_secrets(m).into_owned())
    };
    let is_current = |k: &KeyInfo| current.is_some() && shown(k) == current;
    if json {
        let rows: Vec<_> = keys
            .iter()
            .map(|k| {
                json!({
                    "id": k.id,
                    "name": auth::mask_secrets(&k.name),
                    "masked": shown(k),
                    "createdAt": k.created_at,
                    "lastUsedAt": k.last_used_at,
                    "current": is_current(k),
                })
            })
            .collect();
        let doc = json!({
            "schemaVersion": crate::report::SCHEMA_VERSION,
            "command": "keys list",
            "keys": rows,
        });
        writeln!(out, "{}", crate::report::to_text(&doc, false))?;
        return Ok(Exit::Ok);
    }
    if keys.is_empty() {
        writeln!(
            out,
            "no API keys yet; `codeloop keys create` makes one for this computer"
        )?;
        return Ok(Exit::Ok);
    }
    let rows: Vec<[String; 5]> = keys
        .iter()
        .map(|k| {
            [
                k.id.clone(),
                auth::mask_secrets(&k.name).into_owned(),
                shown(k).unwrap_or_else(|| "-".to_owned()),
                day(k.created_at.as_deref()).unwrap_or("-").to_owned(),
                day(k.last_used_at.as_deref()).unwrap_or("never").to_owned(),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "KEY", "CREATED", "LAST USED"];
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5], note: &str| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            text.push_str(cell);
            if i < 4 {
                text.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        format!("{}{note}", text.trim_end())
    };
    writeln!(out, "{}", line(header, ""))?;
    for (k, row) in keys.iter().zip(&rows) {
        let note = if is_current(k) {
            "  (this computer's key)"
        } else {
            ""
        };
        let cells = [
            row[0].as_str(),
            row[1].as_str(),
            row[2].as_str(),
            row[3].as_str(),
            row[4].as_str(),
        ];
        writeln!(out, "{}", line(cells, note))?;
    }
    Ok(Exit::Ok)
}

/// `2025-01-31T12:00:00Z` → `2025-01-31`.
fn day(stamp: Option<&str>) -> Option<&str> {
    stamp.map(|s| s.get(..10).unwrap_or(s))
}

fn revoke(
    args: &KeysRevokeArgs,
    sys: &mut Sys,
    api: &Api,
    session: &api::Session,
    out: &mut dyn Write,
) -> Result<Exit> {
    // Off a terminal without --yes was refused with the arguments.
    if !args.yes {
        let question = format!(
            "revoke the API key {}? everything using it stops working",
            args.id
        );
        if !sys.confirm(&question, false)? {
            writeln!(out, "cancelled; the key was not revoked")?;
            return Ok(Exit::Ok);
        }
    }
    api.revoke_key(session, &args.id)?;
    writeln!(out, "{GREEN}✓{GREEN:#} revoked the API key {}", args.id)?;
    Ok(Exit::Ok)
}
