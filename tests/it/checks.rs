//! The planner properties, as plain functions over any input text. Shared by the
//! property tests (`tests/it/properties.rs`, generated JSONC and rc files) and the fuzz
//! targets (`fuzz/fuzz_targets/*.rs`, arbitrary bytes), so both check the same thing:
//!
//! - planning never panics (an error is fine: the file is then left alone);
//! - when an edit is returned, the result parses and holds exactly one codeloop
//!   entry / array item / block, with the wanted content;
//! - planning again on the result returns no change (idempotence);
//! - everything else is preserved: with codeloop's part taken out, the result equals
//!   the input with codeloop's part taken out, and when the input had none, the
//!   reverse edit gives back the input byte for byte.

#![allow(dead_code)]

use codeloop::edit::yaml;
use codeloop::plan::block::{self, HASH};
use codeloop::plan::entry::{self, EntrySpec, KeyHolder};
use codeloop::plan::json;
use codeloop::plan::jsonc;
use serde_json::{Value, json};

pub const SERVER_PATH: &[&str] = &["mcpServers", "codeloop"];
pub const PROJECT_PATH: &[&str] = &["projects", "/home/u/my project", "mcpServers", "codeloop"];
pub const ALLOW_PATH: &[&str] = &["permissions", "allow"];
pub const ITEM: &str = "mcp__codeloop";

pub fn entry() -> Value {
    json!({
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": "cl_live_PROPtest0001"}
    })
}

pub fn rc_body() -> Vec<String> {
    vec![
        "# managed by `codeloop init`; remove with `codeloop uninstall`".to_owned(),
        "if [ -f \"$HOME/.codeloop/env.sh\" ]; then . \"$HOME/.codeloop/env.sh\"; fi".to_owned(),
    ]
}

/// How many members of the object at `parent` are keyed `key`.
fn count_keys(text: &str, parent: &[&str], key: &str) -> usize {
    let doc = jsonc::parse(text).expect("the edited text parses");
    let mut span = doc.root.expect("the edited text has a value");
    for k in parent {
        let c = doc.container(span);
        let hits: Vec<_> = c
            .items
            .iter()
            .filter(|it| it.key.as_deref() == Some(*k))
            .collect();
        assert_eq!(hits.len(), 1, "exactly one `{k}` on the path");
        span = hits[0].value;
    }
    doc.container(span)
        .items
        .iter()
        .filter(|it| it.key.as_deref() == Some(key))
        .count()
}

/// `json::set` at `path`, then its checks. Returns whether an edit was made.
pub fn check_json_set(input: &str, path: &[&str]) -> bool {
    let value = entry();
    let Ok(edited) = json::set(Some(input), path, &value) else {
        return false;
    };
    let Some(edited) = edited else {
        assert_eq!(
            json::get(input, path).expect("set accepted it, so get does"),
            Some(value),
            "no change means the entry is already there"
        );
        return false;
    };
    let out = &edited.text;
    assert!(jsonc::parse(out).is_ok(), "the result parses:\n{out}");
    assert_eq!(json::get(out, path).unwrap(), Some(value.clone()));
    let (parent, leaf) = path.split_at(path.len() - 1);
    assert_eq!(count_keys(out, parent, leaf[0]), 1, "one codeloop entry");
    assert_eq!(
        json::set(Some(out), path, &value).unwrap(),
        None,
        "planning again changes nothing:\n{out}"
    );
    let had = json::get(input, path).unwrap().is_some();
    if had {
        // Replaced in place: outside the entry, nothing moved.
        assert_eq!(
            json::remove(out, path, 0).unwrap(),
            json::remove(input, path, 0).unwrap(),
            "only the entry changed"
        );
    } else {
        assert_eq!(
            json::remove(out, path, edited.created).unwrap().as_deref(),
            Some(input),
            "the reverse restores the input:\n{out:?}"
        );
    }
    true
}

/// `json::ensure_in_array`, then its checks. Returns whether an edit was made.
pub fn check_json_array(input: &str, path: &[&str], item: &str) -> bool {
    let Ok(edited) = json::ensure_in_array(Some(input), path, item) else {
        return false;
    };
    let Some(edited) = edited else {
        let arr = json::get(input, path)
            .unwrap()
            .expect("no change: it exists");
        assert!(
            arr.as_array()
                .unwrap()
                .contains(&Value::String(item.into()))
        );
        return false;
    };
    let out = &edited.text;
    assert!(jsonc::parse(out).is_ok(), "the result parses:\n{out}");
    let arr = json::get(out, path).unwrap().expect("the array exists");
    let n = arr
        .as_array()
        .expect("an array")
        .iter()
        .filter(|v| v.as_str() == Some(item))
        .count();
    assert_eq!(n, 1, "the item once:\n{out}");
    assert_eq!(
        json::ensure_in_array(Some(out), path, item).unwrap(),
        None,
        "planning again changes nothing"
    );
    assert_eq!(
        json::remove_from_array(out, path, item, edited.created)
            .unwrap()
            .as_deref(),
        Some(input),
        "the reverse restores the input:\n{out:?}"
    );
    true
}

/// `json::remove` on any input: never panics, and what it returns parses and lacks
/// the entry.
pub fn check_json_remove(input: &str, path: &[&str]) {
    for prune in 0..=path.len() {
        if let Ok(Some(out)) = json::remove(input, path, prune) {
            assert!(jsonc::parse(&out).is_ok(), "the result parses:\n{out}");
            assert_eq!(json::get(&out, path).ok().flatten(), None);
        }
    }
}

/// `block::upsert` with the shell block, then its checks. Returns whether an edit was
/// made.
pub fn check_block(input: &str) -> bool {
    let body = rc_body();
    let Ok(out) = block::upsert(Some(input), HASH, &body) else {
        return false;
    };
    let Some(out) = out else {
        assert_eq!(block::body(input, HASH).unwrap(), Some(body));
        return false;
    };
    let found = block::find(&out, HASH)
        .expect("the result has well-formed markers")
        .expect("the result has the block");
    let got: Vec<String> = found.body.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(got, body, "the block holds the body");
    assert_eq!(
        block::upsert(Some(&out), HASH, &body).unwrap(),
        None,
        "planning again changes nothing"
    );
    match block::find(input, HASH).unwrap() {
        None => assert_eq!(
            block::remove(&out, HASH).unwrap().as_deref(),
            Some(input),
            "the reverse restores the input: {input:?} → {out:?}"
        ),
        Some(old) => {
            // Replaced in place: the bytes before and after the block are the input's.
            assert_eq!(&out[..found.start], &input[..old.start]);
            assert_eq!(&out[found.end..], &input[old.end..]);
        }
    }
    true
}

/// `block::remove` on any input: never panics, and the result has no block.
pub fn check_block_remove(input: &str) {
    if let Ok(Some(out)) = block::remove(input, HASH) {
        assert_eq!(block::find(&out, HASH).unwrap(), None);
        assert!(out.len() < input.len());
    }
}

/// Every check on one input text (what the fuzz targets run).
pub fn check_json_all(input: &str) {
    check_json_set(input, SERVER_PATH);
    check_json_set(input, PROJECT_PATH);
    check_json_array(input, ALLOW_PATH, ITEM);
    check_json_remove(input, SERVER_PATH);
}

/// The key the Goose checks write.
pub const GOOSE_KEY: &str = "cl_live_PROPtest0001";

/// Goose's entry as `init` plans it for `~/.config/goose/config.yaml`.
pub fn goose_spec(key: &str) -> EntrySpec {
    let goose = codeloop::clients::ALL
        .iter()
        .find(|c| c.id == "goose")
        .expect("goose is a client");
    let fresh = goose.entry(codeloop::plan::SERVER_PACKAGE, key, false);
    EntrySpec {
        format: goose.format(),
        launch: goose.launch(&fresh),
        path: vec!["extensions".into(), "codeloop".into()],
        fresh,
        key: KeyHolder::Value {
            path: vec!["envs".into(), "CODELOOP_API_KEY".into()],
            value: key.into(),
            secret: true,
        },
        other: None,
        reader: goose.syntax.reader(),
    }
}

/// `init`'s edit of a Goose `config.yaml`, then its checks: the result reads back with
/// the key in codeloop's extension, planning again changes nothing, a new key changes
/// only the key, and the reverse gives back the input byte for byte. Returns the
/// edited text; `None` when the input is refused (it is then left alone).
pub fn check_goose(input: &str) -> Option<String> {
    let spec = goose_spec(GOOSE_KEY);
    let merged = entry::merge(Some(input), &spec, None).ok()?;
    let out = merged.text.clone().unwrap_or_else(|| input.to_owned());
    let got = yaml::get(&out, &["extensions", "codeloop"])
        .expect("the result parses")
        .expect("the extension is there");
    assert_eq!(
        got["envs"]["CODELOOP_API_KEY"], GOOSE_KEY,
        "the key:\n{out}"
    );
    let again = entry::merge(Some(&out), &spec, Some(&merged.change)).unwrap();
    assert_eq!(again.text, None, "planning again changes nothing:\n{out}");
    let other = "cl_live_PROPtest0002";
    let rotated = entry::merge(Some(&out), &goose_spec(other), Some(&merged.change)).unwrap();
    let rotated_text = rotated.text.expect("a new key is written");
    assert_eq!(
        rotated_text,
        out.replace(GOOSE_KEY, other),
        "only the key changes"
    );
    let (back, _) = entry::unmerge(&rotated_text, &rotated.change).unwrap();
    assert_eq!(
        back.as_deref().unwrap_or(&rotated_text),
        input,
        "the reverse restores the input:\n{out:?}"
    );
    Some(out)
}

/// Every check on one input text (what the fuzz targets run).
pub fn check_goose_all(input: &str) {
    check_goose(input);
    for prune in 0..2 {
        if let Ok(Some(out)) = yaml::remove(input, &["extensions", "codeloop"], prune) {
            assert_eq!(yaml::get(&out, &["extensions", "codeloop"]).unwrap(), None);
        }
    }
}

pub fn check_block_all(input: &str) {
    check_block(input);
    check_block_remove(input);
}
