//! Snapshots and the `--json` contract.
//!
//! - [`settings`]: insta settings whose filters turn what differs between machines and
//!   runs into stable names: the sandbox's paths (`[HOME]`, `[PROJECT]`, `[ROOT]`), the
//!   test keys (`[KEY]`, `[KEY2]`; their masked forms `cl_live_TE…yz` stay, since
//!   masking is what the snapshots show), the random part of temp-file names, loopback
//!   ports, `elapsedMs` and dates.
//! - [`show_file`]: a file's bytes as a snapshot can hold them and a reader can see
//!   them: CRLF, a BOM, UTF-16 and a missing final newline are made visible.
//! - [`check_contract`]: every `--json` document is validated against its JSON Schema
//!   in `schemas/` (with `jsonschema`) and carries `"schemaVersion": 1`. The harness
//!   runs it on every run, so no test can print an unchecked document.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use super::{KEY, KEY2, Output, Sandbox};

/// `text` with every regex metacharacter escaped.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The filters of [`settings`], in the order they apply.
pub fn filters(s: &Sandbox) -> Vec<(String, String)> {
    let path = |p: &Path| literal(p.to_str().expect("sandbox paths are UTF-8"));
    vec![
        (path(&s.home), "[HOME]".into()),
        (path(&s.project), "[PROJECT]".into()),
        (path(&s.root), "[ROOT]".into()),
        (literal(env!("CARGO_BIN_EXE_codeloop")), "[CODELOOP]".into()),
        (literal(KEY), "[KEY]".into()),
        (literal(KEY2), "[KEY2]".into()),
        // The random part of an atomic write's temp file (`.mcp.json.codeloop-AbC123.tmp`).
        (
            r"\.codeloop-[A-Za-z0-9]{6}\.tmp".into(),
            ".codeloop-[RANDOM].tmp".into(),
        ),
        // The tag of a kept original (`~/.codeloop/backups/1a2b3c4d-mcp.json`), a hash
        // of the file's path.
        (r"backups/[0-9a-f]{8}-".into(), "backups/[TAG]-".into()),
        (r"127\.0\.0\.1:[0-9]+".into(), "127.0.0.1:[PORT]".into()),
        (
            r#""elapsedMs": [0-9]+"#.into(),
            r#""elapsedMs": "[ms]""#.into(),
        ),
        // Durations in messages: doctor's "(12 scanned; 3 ms)".
        (r"\b[0-9]+ ms\)".into(), "[N] ms)".into()),
        (r"\b20[0-9]{2}-[0-9]{2}-[0-9]{2}\b".into(), "[DATE]".into()),
    ]
}

/// insta settings with [`filters`], snapshots kept in `tests/it/snapshots/`, and no
/// expression header (the snapshot's name says what it shows).
pub fn settings(s: &Sandbox) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (regex, replacement) in filters(s) {
        settings.add_filter(&regex, replacement);
    }
    settings
}

/// A file's bytes, rendered so a snapshot keeps everything a byte comparison would:
/// a UTF-8 BOM shows as `[BOM]`, a UTF-16LE file is decoded under a `[UTF-16LE, BOM]`
/// line, every `\r` shows as `␍`, and a missing final newline is said on its own line.
pub fn show_file(bytes: &[u8]) -> String {
    let (mut text, mut header) = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        (
            String::from_utf16(&units).expect("valid UTF-16"),
            "[UTF-16LE, BOM]\n".to_owned(),
        )
    } else {
        (
            String::from_utf8(bytes.to_vec()).expect("a UTF-8 file"),
            String::new(),
        )
    };
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        text = rest.to_owned();
        header.push_str("[BOM]");
    }
    let ends_in_newline = text.ends_with('\n');
    let mut out = header + &text.replace('\r', "␍");
    if !ends_in_newline {
        out.push_str("\n[no newline at end of file]");
    }
    out
}

/// A run as a snapshot shows it: the command line, the exit code, stdout and stderr.
pub fn show_run(args: &[&str], out: &Output) -> String {
    let mut text = format!("$ codeloop {}\n[exit {}]\n", args.join(" "), exit(out));
    if !out.stdout.is_empty() {
        text.push_str("--- stdout ---\n");
        text.push_str(&out.stdout);
    }
    if !out.stderr.is_empty() {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("--- stderr ---\n");
        text.push_str(&out.stderr);
    }
    text
}

fn exit(out: &Output) -> String {
    match (out.code, out.signal) {
        (Some(code), _) => code.to_string(),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "?".into(),
    }
}

// ---------------------------------------------------------------------------------
// The `--json` contract

/// The schemas, compiled once: `schemas/<name>.schema.json`.
fn validator(name: &str) -> &'static jsonschema::Validator {
    static INIT: OnceLock<jsonschema::Validator> = OnceLock::new();
    static UNINSTALL: OnceLock<jsonschema::Validator> = OnceLock::new();
    static DOCTOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    static KEYS_LIST: OnceLock<jsonschema::Validator> = OnceLock::new();
    static UPDATE: OnceLock<jsonschema::Validator> = OnceLock::new();
    let cell = match name {
        "init" => &INIT,
        "uninstall" => &UNINSTALL,
        "doctor" => &DOCTOR,
        "keys-list" => &KEYS_LIST,
        "update" => &UPDATE,
        other => panic!("no schema for `{other}`"),
    };
    cell.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(format!("{name}.schema.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", path.display()))
    })
}

/// Which schema a command line's `--json` document follows, if it prints one.
fn schema_of(args: &[&str]) -> Option<&'static str> {
    if !args.contains(&"--json") {
        return None;
    }
    match *args.first()? {
        "init" => Some("init"),
        "uninstall" => Some("uninstall"),
        "doctor" => Some("doctor"),
        "keys" if args.get(1) == Some(&"list") => Some("keys-list"),
        "update" => Some("update"),
        _ => None,
    }
}

/// For a run with `--json`: stdout is exactly one JSON document, valid against its
/// schema, with `"schemaVersion": 1`. An argument the parser rejects (exit 2 before
/// the command runs) prints clap's usage error instead, and is not checked here.
pub fn check_contract(args: &[&str], out: &Output) {
    let Some(name) = schema_of(args) else { return };
    if out.code == Some(2) && out.stdout.is_empty() {
        return;
    }
    let doc = json_document(out);
    let errors: Vec<String> = validator(name)
        .iter_errors(&doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "`codeloop {}` printed a document that breaks schemas/{name}.schema.json:\n{}\n{}",
        args.join(" "),
        errors.join("\n"),
        super::mask(&out.stdout)
    );
    assert_eq!(doc["schemaVersion"], 1, "schemaVersion");
}

/// stdout as the one JSON document it must be.
pub fn json_document(out: &Output) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e})\n{}", out.masked()))
}
