//! The `--json` documents of `init`, `uninstall` and `doctor`: one JSON value per run,
//! built from the same plan the human output shows, with every key masked unless
//! `--show-secrets`. Nothing here reads or writes files.

use serde_json::{Map, Value, json};

use crate::Exit;
use crate::auth::{ApiKey, KeySource, mask_secrets};
use crate::detect::Detection;
use crate::outcome::Outcome;
use crate::paths::Paths;
use crate::plan::{EnvEdit, FileEdit, Op, Plan, Status, TargetPlan, json, user_env};
use crate::record::{ChangeKind, Format};
use crate::target::Target;

/// The version of the `--json` documents' shape (`schemas/*.schema.json`): raised when
/// a field is removed, renamed or changes type; new fields do not raise it.
pub const SCHEMA_VERSION: u64 = 1;

/// `init --json`'s document: what the run reached (`outcome`), how it ended (`exit`,
/// and the error's text when it failed). Every field is there whatever step the run
/// ended at, with its empty value when the run did not get that far (`key` is `null`
/// until a key is resolved, `targets` lists every target from the start).
pub fn init(mode: &str, outcome: &Outcome, exit: Exit, error: Option<String>) -> Value {
    let plan = outcome.plan.as_ref();
    json!({
        "schemaVersion": SCHEMA_VERSION,
        "command": "init",
        "mode": mode,
        "applied": outcome.applied,
        "project": outcome.project.as_ref().map(|p| p.to_string_lossy().into_owned()),
        "key": key(outcome),
        "targets": targets(&outcome.detections, &outcome.selected, plan, &outcome.written),
        "gitignore": plan
            .and_then(|p| p.guard.as_ref())
            .map_or(Value::Null, |g| file_change(g, &outcome.written)),
        "warnings": plan.map_or_else(Vec::new, |p| p.warnings.clone()),
        "notes": outcome.all_notes(),
        "written": outcome.written,
        "ok": matches!(exit, Exit::Ok | Exit::Pending),
        "exitCode": exit.code(),
        "error": error,
    })
}

/// `uninstall --json`'s document (as [`init`]). `reach` is `project`, `global` or
/// `all`.
pub fn uninstall(
    mode: &str,
    reach: &str,
    outcome: &Outcome,
    exit: Exit,
    error: Option<String>,
) -> Value {
    json!({
        "schemaVersion": SCHEMA_VERSION,
        "command": "uninstall",
        "mode": mode,
        "reach": reach,
        "applied": outcome.applied,
        "project": outcome.project.as_ref().map(|p| p.to_string_lossy().into_owned()),
        "targets": targets(
            &outcome.detections,
            &outcome.selected,
            outcome.plan.as_ref(),
            &outcome.written,
        ),
        "notes": outcome.all_notes(),
        "written": outcome.written,
        "ok": exit == Exit::Ok,
        "exitCode": exit.code(),
        "error": error,
    })
}

/// The document's text: pretty JSON with keys masked.
pub fn to_text(doc: &Value, show_secrets: bool) -> String {
    let text = serde_json::to_string_pretty(doc).expect("a JSON value serialises");
    if show_secrets {
        text
    } else {
        mask_secrets(&text).into_owned()
    }
}

fn key(outcome: &Outcome) -> Value {
    match &outcome.key {
        Some((source, masked)) => json!({
            "source": source,
            "masked": masked,
        }),
        None => Value::Null,
    }
}

/// The key as [`Outcome::key`] holds it: `(KeySource::label, masked)`.
pub fn key_of(paths: &Paths, key: &ApiKey, source: &KeySource) -> (String, String) {
    (source.label(paths), key.masked())
}

/// Every target codeloop knows, in the registry's order: what detection found (with
/// its evidence; `detected` is `null` for a target this run did not look for —
/// `init --only` probes only the named targets, `uninstall` none, since it reverses
/// what the record lists whether the app is there or not), whether it was selected,
/// and its changes (each saying whether this run wrote it: `written` lists the files
/// as displayed).
pub fn targets(
    detections: &[Detection],
    selected: &[Target],
    plan: Option<&Plan>,
    written: &[String],
) -> Vec<Value> {
    Target::all()
        .into_iter()
        .map(|target| {
            let d = detections.iter().find(|d| d.target == target);
            let mut t = Map::new();
            t.insert("name".into(), target.name().into());
            t.insert(
                "detected".into(),
                d.map_or(Value::Null, |d| d.found().into()),
            );
            t.insert(
                "evidence".into(),
                d.map_or_else(Vec::new, |d| d.evidence.clone()).into(),
            );
            let tp = plan.and_then(|p| p.targets.iter().find(|tp| tp.target == target));
            let chosen = selected.contains(&target);
            let status = match (plan, tp) {
                _ if !chosen => "skipped",
                // Chosen, but the run ended before planning (no key, a refused one).
                (None, _) => "not-planned",
                // Planned, with nothing to do (nothing recorded to remove).
                (Some(_), None) => "unchanged",
                (Some(_), Some(tp)) => target_status(tp),
            };
            t.insert("selected".into(), chosen.into());
            t.insert("status".into(), status.into());
            // Always both arrays, empty for a skipped target, so
            // `jq '.targets[].changes[]'` works on every document.
            let mut changes: Vec<Value> = Vec::new();
            let mut errors: Vec<Value> = Vec::new();
            if let Some(tp) = tp {
                changes.extend(tp.edits.iter().map(|e| file_change(e, written)));
                changes.extend(tp.env_edits.iter().map(|e| env_change(e, written)));
                errors.extend(tp.errors.iter().map(|e| e.message.clone().into()));
            }
            t.insert("changes".into(), changes.into());
            t.insert("errors".into(), errors.into());
            Value::Object(t)
        })
        .collect()
}

fn target_status(tp: &TargetPlan) -> &'static str {
    if !tp.errors.is_empty() {
        return "error";
    }
    let statuses: Vec<Status> = tp
        .edits
        .iter()
        .map(FileEdit::status)
        .chain(tp.env_edits.iter().map(EnvEdit::status))
        .filter(|s| *s != Status::Unchanged)
        .collect();
    if statuses.is_empty() {
        "unchanged"
    } else if statuses.iter().all(|s| *s == Status::Created) {
        "created"
    } else {
        "changed"
    }
}

/// One file's change; `written` lists what the run wrote, as displayed.
pub fn file_change(e: &FileEdit, written: &[String]) -> Value {
    let mut c = Map::new();
    c.insert("kind".into(), "file".into());
    c.insert("path".into(), e.path.to_string_lossy().into_owned().into());
    c.insert("display".into(), e.display.clone().into());
    c.insert("status".into(), e.status().word().into());
    c.insert("written".into(), written.contains(&e.display).into());
    // `null` when there is nothing to patch: no change, or not a JSON file.
    let patch = if e.after.is_some() {
        json_patch(e)
    } else {
        None
    };
    c.insert("patch".into(), patch.unwrap_or(Value::Null));
    Value::Object(c)
}

fn env_change(e: &EnvEdit, written: &[String]) -> Value {
    let path = format!("{}\\{}", user_env::LOCATION, e.name);
    json!({
        "kind": "registry",
        "path": path,
        "display": path,
        "status": e.status().word(),
        "written": written.contains(&path),
        "patch": null,
    })
}

/// The change to a JSON file as RFC 6902 operations. Only the members along the
/// edited path are compared, so a 50 MB `~/.claude.json` is never copied into values.
fn json_patch(e: &FileEdit) -> Option<Value> {
    let path: Vec<String> = match &e.op {
        Op::Entry(spec) if spec.format == Format::Json => spec.path.clone(),
        Op::ArrayItem { path, .. } => path.clone(),
        // A reverse edit: the path of the JSON change it undoes.
        Op::Reverse(r) => e
            .prior
            .iter()
            .flat_map(|p| &p.changes)
            .filter(|c| r.undo.contains(&c.kind.id()))
            .find_map(|c| match &c.kind {
                ChangeKind::Entry {
                    format: Format::Json,
                    path,
                    ..
                }
                | ChangeKind::ArrayItem { path, .. } => Some(path.clone()),
                _ => None,
            })?,
        _ => return None,
    };
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let before = along(e.before.as_deref(), &path);
    if before.is_null() && !e.remove_file {
        // A new file: the whole document is added.
        let doc = along(e.after.as_deref(), &path);
        return Some(json!([{"op": "add", "path": "", "value": doc}]));
    }
    let after = if e.remove_file {
        Value::Null
    } else {
        along(e.after.as_deref(), &path)
    };
    serde_json::to_value(json_patch::diff(&before, &after)).ok()
}

/// `{path[0]: {path[1]: … value}}` holding only what exists of `path` in `text`.
fn along(text: Option<&str>, path: &[&str]) -> Value {
    let Some(text) = text else {
        return Value::Null;
    };
    // One parse, however big the file: how far the path exists, and its value.
    let Ok(Some((depth, leaf))) = json::reach(text, path) else {
        return Value::Null;
    };
    let mut value = leaf.unwrap_or_else(|| Value::Object(Map::new()));
    for key in path[..depth].iter().rev() {
        let mut m = Map::new();
        m.insert((*key).to_owned(), value);
        value = Value::Object(m);
    }
    value
}
