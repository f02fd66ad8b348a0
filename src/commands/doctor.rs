//! `codeloop doctor`: a read-only health report from the record and the files
//! together. Each target codeloop set up is configured, stale, partly configured,
//! customised, disabled by the user or gone; targets merely detected are listed as
//! available. Every problem is printed once with the one command that fixes it.
//! Never writes.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::common::{self, Context};
use crate::Exit;
use crate::auth::{self, PLACEHOLDER};
use crate::checks::Status;
use crate::cli::DoctorArgs;
use crate::plan::entry::{self, KeyHolder, Note};
use crate::plan::{FileEdit, Op, TargetPlan, block};
use crate::record::fingerprint;
use crate::render::{GREEN, RED, YELLOW};
use crate::report;
use crate::sys::{Os, Sys};
use crate::target::Target;

struct Problem {
    problem: String,
    fix: String,
}

/// A target's health, from its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Configured,
    /// Configured, with the user's own command kept.
    Customised,
    /// Configured, and switched off by the user in the client.
    Disabled,
    /// Holds another key than the current one.
    Stale,
    /// Some of its pieces are there, some are missing.
    Partly,
    /// codeloop's pieces are there but in an older shape.
    Outdated,
    /// Set up by codeloop, but every piece is gone.
    Missing,
    /// A file cannot be read.
    Error,
    /// There is no key to compare with.
    Unverified,
}

impl State {
    /// What is wrong, after the target's name ("holds another (stale) key in
    /// ~/.cursor/mcp.json"), for the states that are a problem with their files;
    /// `None` for the healthy ones and [`State::Error`] (its own errors say it).
    fn trouble(self, detail: &str) -> Option<String> {
        Some(match self {
            State::Stale => format!("holds another (stale) key in {detail}"),
            State::Partly => format!("is partly configured: {detail} lacks codeloop's part"),
            State::Outdated => format!("is set up in an older shape in {detail}"),
            State::Missing => {
                format!("was set up by codeloop, but its configuration is gone from {detail}")
            }
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            State::Configured => "configured",
            State::Customised => "customised",
            State::Disabled => "disabled",
            State::Stale => "stale",
            State::Partly => "partly-configured",
            State::Outdated => "outdated",
            State::Missing => "missing",
            State::Error => "error",
            State::Unverified => "configured-unverified",
        }
    }

    fn healthy(self) -> bool {
        matches!(
            self,
            State::Configured | State::Customised | State::Disabled | State::Unverified
        )
    }
}

/// One file's share of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece {
    Current,
    Stale,
    Outdated,
    Missing,
}

pub fn run(args: &DoctorArgs, sys: &mut Sys, out: &mut dyn Write) -> Result<Exit> {
    let mut ctx = Context::new(sys, args.project.as_deref())?;
    // What codeloop 0.1 set up counts, though only `init` makes it part of the record.
    let _ = ctx.migrate(sys);
    let _ = ctx.relocate();
    ctx.detect(sys, &[]);
    let global = if args.global { " --global" } else { "" };
    let mut problems: Vec<Problem> = Vec::new();
    // What is fine (✓) or worth a word (!); each problem is printed once, after them.
    let mut lines: Vec<(Status, String)> = Vec::new();
    lines.push((Status::Ok, ctx.project_line()));

    let key = match auth::resolve_key(sys, &ctx.paths) {
        Ok(Some(found)) => {
            lines.push((
                Status::Ok,
                format!("API key: {} from {}", found.0, found.1.describe(&ctx.paths)),
            ));
            Some(found)
        }
        // A check in CI may have no key at hand: the files are held to the key the
        // record says codeloop wrote, and that is no problem of this machine's.
        Ok(None) if ctx.record.key.is_some() => {
            lines.push((
                Status::Ok,
                "API key: none here (environment, ~/.codeloop/config.json); the files are checked against the key codeloop recorded".into(),
            ));
            None
        }
        Ok(None) => {
            problems.push(Problem {
                problem: "no CodeLoop API key found".into(),
                fix: "codeloop auth".into(),
            });
            None
        }
        Err(e) => {
            problems.push(Problem {
                problem: e.to_string(),
                fix: "codeloop auth".into(),
            });
            None
        }
    };
    // Without a key here (a CI check), the files are held to the key the record says
    // codeloop wrote last.
    let want = key
        .as_ref()
        .map(|(k, _)| fingerprint(k.expose()))
        .or_else(|| ctx.record.key.clone());
    let key_text = key
        .as_ref()
        .map_or(PLACEHOLDER, |(k, _)| k.expose())
        .to_owned();

    let scope = (!args.global).then(|| ctx.project_key());
    let set_up = set_up_targets(&ctx, scope.as_deref(), sys.os);
    let opts = crate::plan::Options {
        shell_env: ctx
            .record
            .changes()
            .any(|(_, c)| c.project == scope && c.refers_to_env()),
        ..common::options(sys, &ctx.paths, args.global, false)
    };
    let plan = common::forward_plan(sys, &ctx, &set_up, &key_text, &opts);
    // A user-level key file another repository (a home kept in git) would pick up.
    for (problem, fix) in common::user_files_in_git(sys, &ctx, &plan) {
        problems.push(Problem { problem, fix });
    }
    let mut states: Vec<(Target, State)> = Vec::new();
    for t in &plan.targets {
        let fix = format!("codeloop init --only {}{global}", t.target.name());
        // Each target on its own: files shared with another (zsh's and bash's env.sh)
        // count for both, not only for the first.
        let (state, detail) = state_alone(sys, &ctx, t.target, &key_text, &opts, want.as_deref());
        if state == State::Error {
            for e in &t.errors {
                problems.push(Problem {
                    problem: e.message.clone(),
                    fix: format!("fix the file, then {fix}"),
                });
            }
        } else if let Some(trouble) = state.trouble(&detail) {
            problems.push(Problem {
                problem: format!("{} {trouble}", t.target.label()),
                fix: fix.clone(),
            });
        }
        let word = match state {
            State::Configured => "configured with the current key".to_owned(),
            State::Customised => {
                "configured with the current key (your own command kept)".to_owned()
            }
            State::Disabled => {
                format!("configured with the current key, but you disabled it in {detail}")
            }
            State::Unverified => "configured (no key to compare with)".to_owned(),
            State::Stale => "configured with a stale key".to_owned(),
            State::Partly => "partly configured".to_owned(),
            State::Outdated => "configured in an older shape".to_owned(),
            State::Missing => "set up, but gone".to_owned(),
            State::Error => "cannot be read".to_owned(),
        };
        // An unhealthy target is said once, by its problem (which names the file).
        if state.healthy() {
            lines.push((Status::Ok, format!("{}: {word}", t.target.label())));
        }
        states.push((t.target, state));
    }
    // Set up for the user only (`init --global`): that serves every project.
    let user_level = if set_up.is_empty() && !args.global {
        set_up_targets(&ctx, None, sys.os)
    } else {
        Vec::new()
    };
    if !user_level.is_empty() {
        let names: Vec<&str> = user_level.iter().map(|t| t.label()).collect();
        lines.push((
            Status::Ok,
            format!(
                "nothing set up for this project itself; what codeloop set up for your user serves it: {}",
                names.join(", ")
            ),
        ));
        // Those serve the project, so their state is this project's too.
        let user_opts = common::options(sys, &ctx.paths, true, false);
        for &t in &user_level {
            let (state, detail) = state_alone(sys, &ctx, t, &key_text, &user_opts, want.as_deref());
            let what = match state.trouble(&detail) {
                Some(trouble) => trouble,
                None if state == State::Error => "has a file codeloop cannot read".to_owned(),
                None => continue,
            };
            problems.push(Problem {
                problem: format!(
                    "{}, set up for your user (it serves this project), {what}",
                    t.label()
                ),
                fix: format!("codeloop init --global --only {}", t.name()),
            });
        }
    } else if set_up.is_empty() {
        problems.push(Problem {
            problem: if args.global {
                "codeloop has set up nothing in your user-level configs".into()
            } else {
                "codeloop has set up nothing for this project".into()
            },
            fix: format!("codeloop init{global}"),
        });
    }
    let available: Vec<Target> = ctx
        .detections
        .iter()
        .filter(|d| d.found() && !set_up.contains(&d.target) && !user_level.contains(&d.target))
        .map(|d| d.target)
        .collect();
    if !available.is_empty() {
        let names: Vec<&str> = available.iter().map(|t| t.label()).collect();
        lines.push((
            Status::Ok,
            format!(
                "available, not set up: {} (`codeloop init --only NAME` adds one)",
                names.join(", ")
            ),
        ));
    }

    // Only files that hold the key count: one that refers to the variable is fine.
    let key_files: Vec<(String, Target)> = plan
        .targets
        .iter()
        .flat_map(|t| t.edits.iter().map(move |e| (e, t.target)))
        .filter(|(e, _)| e.secret && e.before.is_some() && e.path.starts_with(&ctx.paths.project))
        .map(|(e, t)| {
            let rel = e
                .path
                .strip_prefix(&ctx.paths.project)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            (rel, t)
        })
        .collect();
    // Key files git tracks: said once, by the git check (the leak scan finds them too).
    let mut tracked_key_files: Vec<String> = Vec::new();
    let git_ok = if ctx.project.in_git && !key_files.is_empty() {
        let rels: Vec<String> = key_files.iter().map(|(r, _)| r.clone()).collect();
        let (ignored, tracked) = common::git_exposure(sys, &ctx, &rels);
        let mut ok = true;
        // A tracked file is never "ignored"; its problem is that git tracks it.
        for (rel, target) in key_files
            .iter()
            .filter(|(r, _)| !ignored.contains(r) && !tracked.contains(r))
        {
            ok = false;
            // A `!` line un-ignoring it is the person's to take out: init would only
            // say so again.
            problems.push(match common::unignored_by(sys, &ctx, rel) {
                Some(line) => Problem {
                    problem: format!(
                        "{rel} holds your key and is not git-ignored: {line} un-ignores it"
                    ),
                    fix: format!("take out {line}, so git ignores {rel}"),
                },
                None => Problem {
                    problem: format!("{rel} holds your key and is not git-ignored"),
                    fix: format!("codeloop init --only {}{global}", target.name()),
                },
            });
        }
        for rel in &tracked {
            ok = false;
            problems.push(Problem {
                problem: format!(
                    "{rel} holds your key and git tracks it, so a commit would publish the key"
                ),
                fix: format!(
                    "take the key out of {rel} (or `git rm --cached {rel} && git commit` if the file is yours alone); if it was ever committed, rotate the key: codeloop auth --rotate"
                ),
            });
        }
        tracked_key_files = tracked;
        if ok {
            lines.push((
                Status::Ok,
                "key files in this project are git-ignored".into(),
            ));
        }
        Some(ok)
    } else {
        None
    };

    let npx = sys.which("npx");
    let node = sys.which("node");
    // The service, leaked keys, Node.js: see crate::checks.
    let key_only = key.as_ref().map(|(k, _)| k);
    let git_top = ctx.project.git_top.as_deref();
    let checks = crate::checks::run(sys, key_only, &ctx.paths, git_top, args.offline);
    for c in &checks {
        lines.extend(c.lines());
        problems.extend(
            c.findings
                .iter()
                .filter(|f| {
                    f.file
                        .as_ref()
                        .is_none_or(|f| !tracked_key_files.contains(f))
                })
                .map(|f| Problem {
                    problem: f.problem.clone(),
                    fix: f.fix.clone(),
                }),
        );
    }
    if sys.os == Os::Windows
        && !set_up.contains(&Target::WindowsEnv)
        && let Ok(current) = sys.user_env.get(auth::ENV_VAR)
    {
        lines.push((
            if current.is_some() {
                Status::Ok
            } else {
                Status::Warning
            },
            format!(
                "HKCU\\Environment\\{}: {}",
                auth::ENV_VAR,
                if current.is_some() { "set" } else { "unset" }
            ),
        ));
    }

    let healthy = problems.is_empty();
    if args.json {
        let doc = json!({
            "schemaVersion": report::SCHEMA_VERSION,
            "command": "doctor",
            "healthy": healthy,
            "project": ctx.paths.project.to_string_lossy(),
            "key": key.as_ref().map_or(Value::Null, |(k, source)| {
                let (source, masked) = report::key_of(&ctx.paths, k, source);
                json!({"source": source, "masked": masked})
            }),
            "targets": report::targets(&ctx.detections, &set_up, Some(&plan), &[])
                .into_iter()
                .map(|mut t| {
                    let name = t["name"].as_str().unwrap_or_default().to_owned();
                    let state = match states.iter().find(|(tt, _)| tt.name() == name) {
                        Some((_, s)) => s.word(),
                        None if t["detected"] == Value::Bool(true) => "available",
                        None => "not-detected",
                    };
                    t["state"] = state.into();
                    t
                })
                .collect::<Vec<Value>>(),
            "gitIgnored": git_ok,
            "npx": npx.map(|p| p.to_string_lossy().into_owned()),
            "node": node.map(|p| p.to_string_lossy().into_owned()),
            "checks": checks.iter().map(crate::checks::Check::to_json).collect::<Vec<_>>(),
            "problems": problems.iter().map(|p| json!({"problem": p.problem, "fix": p.fix})).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", report::to_text(&doc, false))?;
    } else {
        for (status, line) in &lines {
            let line = auth::mask_secrets(line);
            match status {
                Status::Warning => writeln!(out, "{YELLOW}!{YELLOW:#} {line}")?,
                Status::Problem => writeln!(out, "{RED}✗{RED:#} {line}")?,
                Status::Ok | Status::Skipped => writeln!(out, "{GREEN}✓{GREEN:#} {line}")?,
            }
        }
        for p in &problems {
            writeln!(out, "{RED}✗{RED:#} {}", auth::mask_secrets(&p.problem))?;
        }
        if healthy {
            writeln!(out, "\neverything looks healthy")?;
        } else {
            writeln!(out, "\nto fix:")?;
            for fix in merged_fixes(problems.iter().map(|p| p.fix.as_str())) {
                writeln!(out, "  {fix}")?;
            }
        }
    }
    Ok(if healthy { Exit::Ok } else { Exit::Failed })
}

/// The fixes to print, each once, in order; `codeloop init --only a` and `codeloop init
/// --only b` with the same other flags become one `codeloop init --only a,b` (one run
/// fixes both), in the place of the first.
fn merged_fixes<'a>(fixes: impl Iterator<Item = &'a str>) -> Vec<String> {
    const INIT_ONLY: &str = "codeloop init --only ";
    let mut out: Vec<String> = Vec::new();
    // For each merged line: its index in `out`, the flags after the list, the names.
    let mut inits: Vec<(usize, &str, Vec<&str>)> = Vec::new();
    for fix in fixes {
        if let Some(rest) = fix.strip_prefix(INIT_ONLY) {
            let (names, flags) = rest.split_once(' ').unwrap_or((rest, ""));
            match inits.iter_mut().find(|(_, f, _)| *f == flags) {
                Some((_, _, list)) => {
                    for n in names.split(',') {
                        if !list.contains(&n) {
                            list.push(n);
                        }
                    }
                }
                None => {
                    inits.push((out.len(), flags, names.split(',').collect()));
                    out.push(String::new());
                }
            }
        } else if !out.iter().any(|f| f == fix) {
            out.push(fix.to_owned());
        }
    }
    for (i, flags, names) in inits {
        out[i] = format!("{INIT_ONLY}{}", names.join(","));
        if !flags.is_empty() {
            out[i].push(' ');
            out[i].push_str(flags);
        }
    }
    out
}

/// The targets codeloop set up in this scope: for a project, its own changes and the
/// user-level pieces a project run sets up (shells, user-only clients, the Windows
/// user environment); for `--global` (`project` is `None`), the user-level ones.
pub fn set_up_targets(ctx: &Context, project: Option<&str>, os: Os) -> Vec<Target> {
    let mut out: BTreeSet<Target> = BTreeSet::new();
    for (_, c) in ctx.record.changes() {
        // The `.gitignore` block serves the files; it is no target's setup.
        if matches!(c.kind, crate::record::ChangeKind::Gitignore { .. }) {
            continue;
        }
        let mine = match (project, c.project.as_deref()) {
            (Some(p), Some(q)) => p == q,
            (_, None) => {
                project.is_none()
                    || c.targets
                        .iter()
                        .all(|t| Target::from_name(t).is_some_and(|t| !t.has_project_scope()))
            }
            (None, Some(_)) => false,
        };
        if mine {
            out.extend(c.targets.iter().filter_map(|t| Target::from_name(t)));
        }
    }
    if os == Os::Windows && !ctx.record.registry.is_empty() {
        out.insert(Target::WindowsEnv);
    }
    out.into_iter().collect()
}

/// A target's state from its planned edits: how each file's share compares with what
/// codeloop would write (`want`: the fingerprint of the key the files should hold),
/// and a detail naming the files concerned.
/// The state of `target` planned on its own with `opts`, and the files it is about.
fn state_alone(
    sys: &Sys,
    ctx: &Context,
    target: Target,
    key_text: &str,
    opts: &crate::plan::Options,
    want: Option<&str>,
) -> (State, String) {
    let alone = common::forward_plan(sys, ctx, &[target], key_text, opts);
    alone
        .targets
        .first()
        .map_or((State::Missing, String::new()), |a| assess(a, want))
}

fn assess(t: &TargetPlan, want: Option<&str>) -> (State, String) {
    if !t.errors.is_empty() {
        return (State::Error, String::new());
    }
    let pieces = pieces(t, want);
    let names = |p: Piece| {
        pieces
            .iter()
            .filter(|(s, _)| *s == p)
            .map(|(_, d)| d.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let any = |p: Piece| pieces.iter().any(|(s, _)| *s == p);
    if any(Piece::Stale) {
        return (State::Stale, names(Piece::Stale));
    }
    if any(Piece::Missing) {
        return if pieces.iter().all(|(s, _)| *s == Piece::Missing) {
            (State::Missing, names(Piece::Missing))
        } else {
            (State::Partly, names(Piece::Missing))
        };
    }
    if any(Piece::Outdated) {
        return (State::Outdated, names(Piece::Outdated));
    }
    if want.is_none() {
        return (State::Unverified, String::new());
    }
    let notes: Vec<(&FileEdit, Note)> = t
        .edits
        .iter()
        .filter_map(|e| match (&e.op, e.before.as_deref()) {
            (Op::Entry(spec), Some(text)) => Some((e, spec, text)),
            _ => None,
        })
        .flat_map(|(e, spec, text)| {
            entry::merge(Some(text), spec, None)
                .map(|m| m.notes)
                .unwrap_or_default()
                .into_iter()
                .map(move |n| (e, n))
        })
        .collect();
    if let Some((e, _)) = notes.iter().find(|(_, n)| *n == Note::Disabled) {
        return (State::Disabled, e.display.clone());
    }
    if notes
        .iter()
        .any(|(_, n)| matches!(n, Note::KeptCustomCommand | Note::KeptReference))
    {
        return (State::Customised, String::new());
    }
    (State::Configured, String::new())
}

/// Each file's (and registry value's) share of a target, by name, against the key
/// whose fingerprint is `want`.
pub(crate) fn pieces(t: &TargetPlan, want: Option<&str>) -> Vec<(Piece, String)> {
    let mut pieces: Vec<(Piece, String)> = t
        .edits
        .iter()
        .map(|e| (piece(e, want), e.display.clone()))
        .collect();
    for e in &t.env_edits {
        let state = match (&e.before, want) {
            (None, _) => Piece::Missing,
            (Some(v), Some(fp)) if fingerprint(v) == fp => Piece::Current,
            (Some(_), None) => Piece::Current,
            (Some(_), _) => Piece::Stale,
        };
        pieces.push((state, format!("HKCU\\Environment\\{}", e.name)));
    }
    pieces
}

/// One file's share of a target.
fn piece(e: &FileEdit, want: Option<&str>) -> Piece {
    if e.after.is_none() {
        return Piece::Current;
    }
    let Some(text) = e.before.as_deref() else {
        return Piece::Missing;
    };
    match &e.op {
        Op::Entry(spec) => {
            let Ok(Some(value)) = entry::get(spec.format, text, &spec.path) else {
                return Piece::Missing;
            };
            match &spec.key {
                KeyHolder::Value {
                    path, secret: true, ..
                } => match pointer(&value, path).and_then(Value::as_str) {
                    // The key is right: codeloop's own fields may still differ.
                    Some(k) if want == Some(fingerprint(k).as_str()) => {
                        let launch_ok = spec
                            .launch
                            .iter()
                            .all(|(p, v)| pointer(&value, p) == Some(v));
                        let custom = entry::merge(Some(text), spec, None)
                            .is_ok_and(|m| m.notes.contains(&Note::KeptCustomCommand));
                        if launch_ok || custom {
                            Piece::Current
                        } else {
                            Piece::Outdated
                        }
                    }
                    // The user's own reference (`${env:…}`): theirs to keep.
                    Some(k) if entry::is_reference(k) => Piece::Current,
                    Some(k) if auth::ApiKey::parse(k).is_ok() => {
                        if want.is_none() {
                            Piece::Current
                        } else {
                            Piece::Stale
                        }
                    }
                    _ => Piece::Outdated,
                },
                _ => Piece::Outdated,
            }
        }
        Op::Block { markers, .. } => match block::find(text, *markers) {
            Ok(Some(_)) => Piece::Outdated,
            _ => Piece::Missing,
        },
        Op::Owned { contents } => match key_in(text) {
            // Right key: the rest must be what codeloop writes around it.
            Some(k) if want == Some(fingerprint(k).as_str()) => {
                let planned = key_in(contents).unwrap_or(PLACEHOLDER);
                if contents.replace(planned, k) == text {
                    Piece::Current
                } else {
                    Piece::Outdated
                }
            }
            Some(_) if want.is_none() => Piece::Current,
            Some(_) => Piece::Stale,
            None => Piece::Outdated,
        },
        Op::ArrayItem { .. } => Piece::Missing,
        Op::Gitignore { .. } | Op::Reverse(_) => Piece::Current,
    }
}

fn pointer<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, k| v.as_object()?.get(k))
}

/// The first CodeLoop key in `text` (an env file codeloop owns).
fn key_in(text: &str) -> Option<&str> {
    let at = text.find(auth::PREFIX)?;
    let rest = &text[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::merged_fixes;

    #[test]
    fn one_init_fixes_every_target_with_the_same_flags() {
        let fixes = [
            "codeloop init --only cursor",
            "take the key out of .env",
            "codeloop init --only claude-code",
            "codeloop init --only zsh --global",
            "codeloop init --only cursor",
            "take the key out of .env",
            "codeloop init --only bash,fish --global",
        ];
        assert_eq!(
            merged_fixes(fixes.into_iter()),
            [
                "codeloop init --only cursor,claude-code",
                "take the key out of .env",
                "codeloop init --only zsh,bash,fish --global",
            ]
        );
    }
}
