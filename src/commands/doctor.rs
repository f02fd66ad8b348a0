//! `codeloop doctor`: a read-only health report that ends with the exact command
//! fixing each problem. Never writes.

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::common::{self, Context};
use crate::Exit;
use crate::auth::{self, PLACEHOLDER};
use crate::cli::DoctorArgs;
use crate::plan::{self, Status};
use crate::render::{GREEN, RED};
use crate::report;
use crate::sys::{Os, Sys};
use crate::target::Target;

struct Problem {
    problem: String,
    fix: String,
}

pub fn run(args: &DoctorArgs, sys: &mut Sys, out: &mut dyn Write) -> Result<Exit> {
    let ctx = Context::new(sys, args.project.as_deref())?;
    let global = if args.global { " --global" } else { "" };
    let mut problems: Vec<Problem> = Vec::new();
    let mut lines: Vec<(bool, String)> = Vec::new();

    let key = match auth::resolve_key(sys, &ctx.paths) {
        Ok(Some(found)) => {
            lines.push((
                true,
                format!("API key: {} from {}", found.0, found.1.describe(&ctx.paths)),
            ));
            Some(found)
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
    let key_text = key
        .as_ref()
        .map_or(PLACEHOLDER, |(k, _)| k.expose())
        .to_owned();

    let targets: Vec<Target> = ctx
        .detections
        .iter()
        .filter(|d| d.found())
        .map(|d| d.target)
        .collect();
    let opts = common::options(sys, &ctx.paths, args.global, false);
    let plan = common::forward_plan(sys, &ctx, &targets, &key_text, &opts);
    // Committed project files may hold the key or refer to the variable: either is fine.
    let with_reference = common::forward_plan(
        sys,
        &ctx,
        &targets,
        &key_text,
        &crate::plan::Options {
            shell_env: true,
            ..opts.clone()
        },
    );
    let configured_by_reference = |target: Target| {
        with_reference
            .targets
            .iter()
            .any(|t| t.target == target && t.errors.is_empty() && !t.has_changes())
    };
    let mut states = Vec::new();
    for t in &plan.targets {
        let fix = format!("codeloop init --only {}{global}", t.target.name());
        let state = if !t.errors.is_empty() {
            for e in &t.errors {
                problems.push(Problem {
                    problem: e.message.clone(),
                    fix: format!("fix the file, then {fix}"),
                });
            }
            "error"
        } else if !t.has_changes() || configured_by_reference(t.target) {
            "configured"
        } else if key.is_some() && present(t) {
            problems.push(Problem {
                problem: format!(
                    "{} is configured with another (stale) key or an old layout",
                    t.target.label()
                ),
                fix: fix.clone(),
            });
            "stale"
        } else if key.is_none() && present(t) {
            "configured-unverified"
        } else {
            problems.push(Problem {
                problem: format!("{} is not configured", t.target.label()),
                fix: fix.clone(),
            });
            "not-configured"
        };
        let word = match state {
            "configured" => "configured with the current key",
            "configured-unverified" => "configured (no key to compare with)",
            "stale" => "configured with a stale key",
            "error" => "cannot be read",
            _ => "not configured",
        };
        lines.push((
            matches!(state, "configured" | "configured-unverified"),
            format!("{}: {word}", t.target.label()),
        ));
        states.push((t.target, state));
    }

    // Key files in the project that git would pick up.
    let ignored = ctx.project.in_git.then(|| {
        plan.guard
            .as_ref()
            .is_none_or(|g| g.status() == Status::Unchanged)
    });
    match ignored {
        Some(true) => lines.push((true, "key files in this project are git-ignored".into())),
        Some(false) => problems.push(Problem {
            problem: "files in this project that hold your key are not git-ignored".into(),
            fix: format!("codeloop init{global}"),
        }),
        None => {}
    }
    for w in &plan.warnings {
        problems.push(Problem {
            problem: w.clone(),
            fix: "git rm --cached <file> && git commit".into(),
        });
    }

    let npx = sys.which("npx");
    let node = sys.which("node");
    // The service, leaked keys, Node.js: see crate::checks.
    let key_only = key.as_ref().map(|(k, _)| k);
    let git_top = ctx.project.git_top.as_deref();
    let checks = crate::checks::run(sys, key_only, &ctx.paths.project, git_top, args.offline);
    for c in &checks {
        lines.extend(c.line());
        problems.extend(c.findings.iter().map(|f| Problem {
            problem: f.problem.clone(),
            fix: f.fix.clone(),
        }));
    }
    if sys.os == Os::Windows
        && !targets.contains(&Target::WindowsEnv)
        && let Ok(current) = sys.user_env.get(auth::ENV_VAR)
    {
        lines.push((
            current.is_some(),
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
            "command": "doctor",
            "healthy": healthy,
            "project": ctx.paths.project.to_string_lossy(),
            "key": report::key(&ctx.paths, key.as_ref()),
            "targets": report::targets(&ctx.detections, &targets, Some(&plan))
                .into_iter()
                .map(|mut t| {
                    let name = t["name"].as_str().unwrap_or_default().to_owned();
                    let state = states.iter().find(|(tt, _)| tt.name() == name).map_or("not-detected", |(_, s)| *s);
                    t["state"] = state.into();
                    t
                })
                .collect::<Vec<Value>>(),
            "gitIgnored": ignored,
            "npx": npx.map(|p| p.to_string_lossy().into_owned()),
            "node": node.map(|p| p.to_string_lossy().into_owned()),
            "checks": checks.iter().map(crate::checks::Check::to_json).collect::<Vec<_>>(),
            "problems": problems.iter().map(|p| json!({"problem": p.problem, "fix": p.fix})).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", report::to_text(&doc, false))?;
    } else {
        for (ok, line) in &lines {
            let line = auth::mask_secrets(line);
            if *ok {
                writeln!(out, "{GREEN}✓{GREEN:#} {line}")?;
            } else {
                writeln!(out, "{RED}✗{RED:#} {line}")?;
            }
        }
        for p in &problems {
            writeln!(out, "{RED}✗{RED:#} {}", auth::mask_secrets(&p.problem))?;
        }
        if healthy {
            writeln!(out, "\neverything looks healthy")?;
        } else {
            writeln!(out, "\nto fix:")?;
            let mut fixes: Vec<&str> = Vec::new();
            for p in &problems {
                if !fixes.contains(&p.fix.as_str()) {
                    fixes.push(&p.fix);
                    writeln!(out, "  {}", p.fix)?;
                }
            }
        }
    }
    Ok(if healthy { Exit::Ok } else { Exit::Failed })
}

/// Whether any of the target's files already holds something of codeloop's.
fn present(t: &plan::TargetPlan) -> bool {
    t.edits.iter().any(|e| e.op.present(e.before.as_deref()))
        || t.env_edits.iter().any(|e| e.before.is_some())
}
