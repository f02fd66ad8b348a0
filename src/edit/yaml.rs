//! Pure YAML editor for block-style mappings (Goose's `config.yaml`): put one value
//! at a path, and the exact reverse. `yaml-rust2` parses (and so validates) the
//! document; the edit itself works on whole lines of the block structure — a key's
//! lines are replaced, or new lines inserted after its parent's last line — so
//! comments, key order, quoting and indentation everywhere else stay byte for byte.
//! Every edit is checked by parsing the result: the value at the path is the one
//! wanted, and nothing else in the document changed. Flow-style collections
//! (`{…}`, `[…]`) on the path, anchors and several documents are refused with their
//! position rather than rewritten. Nothing here touches the file system.

use serde_json::{Map, Value};
use thiserror::Error;
use yaml_rust2::{Yaml, YamlLoader};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum YamlError {
    #[error("{line}:{column}: invalid YAML: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{line}: `{path}` is {found}, expected a mapping")]
    WrongType {
        line: usize,
        path: String,
        found: &'static str,
    },
    #[error("{line}: `{path}` is written {how}, which codeloop does not rewrite; {fix}")]
    Layout {
        line: usize,
        path: String,
        how: &'static str,
        fix: &'static str,
    },
}

/// The value at `path`, if present, as JSON.
pub fn get(current: &str, path: &[&str]) -> Result<Option<Value>, YamlError> {
    let doc = load(current)?;
    let mut value = &doc;
    for key in path {
        match value {
            Value::Object(map) => match map.get(*key) {
                Some(v) => value = v,
                None => return Ok(None),
            },
            _ => return Ok(None),
        }
    }
    Ok(Some(value.clone()))
}

/// The whole document as JSON (`null` for an empty one).
fn load(text: &str) -> Result<Value, YamlError> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| YamlError::Syntax {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_owned(),
    })?;
    if docs.len() > 1 {
        return Err(YamlError::Layout {
            line: 1,
            path: String::new(),
            how: "as several documents",
            fix: "keep one document in the file",
        });
    }
    Ok(docs.first().map_or(Value::Null, to_json))
}

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(r.clone()), Value::Number),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(map) => {
            Value::Object(map.iter().map(|(k, v)| (key_text(k), to_json(v))).collect())
        }
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

fn key_text(k: &Yaml) -> String {
    match k {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

/// One line of the file.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// Byte offset of its start.
    start: usize,
    /// Its text without the line break.
    text: &'a str,
    /// Byte offset just past its line break (or the end of the file).
    end: usize,
}

impl Line<'_> {
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches(' ').len()
    }

    /// Holds content (not blank, not only a comment).
    fn content(&self) -> bool {
        let t = self.text.trim();
        !t.is_empty() && !t.starts_with('#')
    }
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let body = raw.trim_end_matches('\n').trim_end_matches('\r');
        out.push(Line {
            start,
            text: body,
            end: start + raw.len(),
        });
        start += raw.len();
    }
    out
}

/// The key a line starts with at its indentation (`key:` or `"key":`), and the rest
/// of the line after the colon.
fn key_of(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start_matches(' ');
    if t.starts_with('-') && (t.len() == 1 || t[1..].starts_with(' ')) {
        return None;
    }
    let (key, rest) = if let Some(q) = t.strip_prefix('"') {
        let end = q.find('"')?;
        let key: String = serde_json::from_str(&format!("\"{}\"", &q[..end])).ok()?;
        (key, &q[end + 1..])
    } else if let Some(q) = t.strip_prefix('\'') {
        let end = q.find('\'')?;
        (q[..end].to_owned(), &q[end + 1..])
    } else {
        let colon = t.find(':')?;
        (t[..colon].trim_end().to_owned(), &t[colon..])
    };
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest))
}

/// What follows a key's colon, without a trailing comment.
fn inline_value(rest: &str) -> &str {
    let t = rest.trim();
    if t.starts_with('#') {
        return "";
    }
    match t.find(" #") {
        Some(i) if !t.starts_with(['"', '\'']) => t[..i].trim_end(),
        _ => t,
    }
}

/// A mapping in the file: the lines it spans (`from..to` in line numbers) and the
/// indentation of its keys (`None` when it has none yet).
#[derive(Debug, Clone, Copy)]
struct Mapping {
    from: usize,
    to: usize,
    indent: Option<usize>,
}

/// A key found in a mapping: its line, and the lines its block spans (through its
/// last content line).
#[derive(Debug, Clone, Copy)]
struct Found {
    line: usize,
    last: usize,
}

/// The key `key` in `m`, if there.
fn find(ls: &[Line], m: Mapping, key: &str) -> Option<Found> {
    let indent = m.indent?;
    let mut i = m.from;
    while i < m.to {
        let l = ls[i];
        if l.content() && l.indent() == indent && key_of(l.text).is_some_and(|(k, _)| k == key) {
            return Some(Found {
                line: i,
                last: block_last(ls, i, m.to),
            });
        }
        i += 1;
    }
    None
}

/// The last content line of the block of the key on line `at` (before `to`): the
/// lines after it that are indented deeper, or sequence items at its own indent.
fn block_last(ls: &[Line], at: usize, to: usize) -> usize {
    let indent = ls[at].indent();
    let mut last = at;
    for (i, l) in ls.iter().enumerate().take(to).skip(at + 1) {
        if !l.content() {
            continue;
        }
        let item_here = l.indent() == indent && l.text.trim_start().starts_with("- ");
        if l.indent() > indent || item_here {
            last = i;
        } else {
            break;
        }
    }
    last
}

/// The mapping nested under the key found at `f`.
fn nested(ls: &[Line], f: Found) -> Mapping {
    let from = f.line + 1;
    let to = f.last + 1;
    let indent = ls[from..to].iter().find(|l| l.content()).map(Line::indent);
    Mapping { from, to, indent }
}

fn line_of(ls: &[Line], i: usize) -> usize {
    i.min(ls.len().saturating_sub(1)) + 1
}

/// Walks `path` down nested block mappings: the mapping holding the last key that
/// exists, how deep the path exists, and the last key found.
fn walk(ls: &[Line], path: &[&str]) -> Result<(Mapping, usize, Option<Found>), YamlError> {
    let root_indent = ls.iter().find(|l| l.content()).map(Line::indent);
    let mut m = Mapping {
        from: 0,
        to: ls.len(),
        indent: root_indent,
    };
    let mut found = None;
    for (depth, key) in path.iter().enumerate() {
        let Some(f) = find(ls, m, key) else {
            return Ok((m, depth, found));
        };
        if depth == path.len() - 1 {
            return Ok((m, path.len(), Some(f)));
        }
        let (_, rest) = key_of(ls[f.line].text).expect("found by its key");
        let inline = inline_value(rest);
        if !inline.is_empty() {
            let here = path[..=depth].join(".");
            return Err(if inline.starts_with('{') {
                YamlError::Layout {
                    line: line_of(ls, f.line),
                    path: here,
                    how: "as a flow mapping `{…}`",
                    fix: "write it as a block mapping (one key per line)",
                }
            } else if inline.starts_with(['&', '*', '!']) {
                YamlError::Layout {
                    line: line_of(ls, f.line),
                    path: here,
                    how: "with an anchor, alias or tag",
                    fix: "write it out as a plain block mapping",
                }
            } else {
                YamlError::WrongType {
                    line: line_of(ls, f.line),
                    path: here,
                    found: "a value",
                }
            });
        }
        let inner = nested(ls, f);
        if inner.from < inner.to
            && ls[inner.from..inner.to]
                .iter()
                .find(|l| l.content())
                .is_some_and(|l| l.text.trim_start().starts_with('-'))
        {
            return Err(YamlError::WrongType {
                line: line_of(ls, f.line),
                path: path[..=depth].join("."),
                found: "a sequence",
            });
        }
        m = inner;
        found = Some(f);
    }
    unreachable!("the loop returns at the leaf")
}

/// The file's newline and its indentation step.
fn style(text: &str, ls: &[Line]) -> (&'static str, usize) {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let step = ls
        .iter()
        .filter(|l| l.content())
        .map(Line::indent)
        .filter(|&i| i > 0)
        .min()
        .unwrap_or(2);
    (nl, step)
}

/// `key: value` as block YAML at `indent`, each line ending in `nl`.
fn render(key: &str, value: &Value, indent: usize, step: usize, nl: &str) -> String {
    let pad = " ".repeat(indent);
    let k = scalar_key(key);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut out = format!("{pad}{k}:{nl}");
            for (ck, cv) in map {
                out.push_str(&render(ck, cv, indent + step, step, nl));
            }
            out
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(|v| !v.is_object()) => {
            // Sequence items at the key's own indent, as serde_yaml (and so Goose)
            // writes them.
            let mut out = format!("{pad}{k}:{nl}");
            for item in items {
                out.push_str(&format!("{pad}- {}{nl}", scalar(item)));
            }
            out
        }
        other => format!("{pad}{k}: {}{nl}", scalar(other)),
    }
}

fn scalar_key(key: &str) -> String {
    scalar(&Value::String(key.to_owned()))
}

/// A value on one line: plain when that reads back as the same string, else
/// double-quoted (JSON's escapes are YAML's).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./@+=".contains(c))
                && !s.starts_with(['-', '.', '@', '+', '='])
                || (s.starts_with('-')
                    && s.len() > 1
                    && s[1..].chars().all(|c| c.is_ascii_alphabetic()));
            let reserved = matches!(
                s.to_ascii_lowercase().as_str(),
                "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
            ) || s.parse::<f64>().is_ok();
            if plain && !reserved {
                s.clone()
            } else {
                serde_json::to_string(s).expect("a string serialises")
            }
        }
        Value::Object(m) if m.is_empty() => "{}".to_owned(),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        other => serde_json::to_string(other).expect("a value serialises"),
    }
}

/// Makes `path` hold `value` (replacing the key's lines, or inserting new lines after
/// its parent's last one). Returns the text and how many mappings along `path` it
/// created; `None` when the path already holds `value`.
pub fn set(
    current: Option<&str>,
    path: &[&str],
    value: &Value,
) -> Result<Option<(String, usize)>, YamlError> {
    assert!(!path.is_empty(), "set needs a path");
    let text = current.unwrap_or("");
    let before = load(text)?;
    if !(before.is_null() || before.is_object()) {
        return Err(YamlError::WrongType {
            line: 1,
            path: String::new(),
            found: "not a mapping",
        });
    }
    if get(text, path)?.as_ref() == Some(value) {
        return Ok(None);
    }
    let ls = lines(text);
    let (nl, step) = style(text, &ls);
    let (m, depth, found) = walk(&ls, path)?;
    let (out, created) = if depth == path.len() {
        let f = found.expect("the whole path exists");
        let indent = ls[f.line].indent();
        let mut rendered = render(path[path.len() - 1], value, indent, step, nl);
        let start = ls[f.line].start;
        let end = ls[f.last].end;
        // One line for one line: the comment at its end stays.
        if f.last == f.line && rendered.matches('\n').count() == 1 {
            let old = ls[f.line].text;
            let (_, rest) = key_of(old).expect("found by its key");
            let value_text = inline_value(rest);
            if let Some(comment) = rest.find(value_text).map(|i| &rest[i + value_text.len()..])
                && comment.trim_start().starts_with('#')
            {
                rendered = format!("{}{comment}{nl}", rendered.trim_end_matches(['\n', '\r']));
            }
        }
        if end == text.len() && !text.ends_with('\n') {
            rendered.truncate(rendered.len() - nl.len());
        }
        (format!("{}{rendered}{}", &text[..start], &text[end..]), 0)
    } else {
        // Insert the rest of the path after the last content line of mapping `m`.
        let indent = m
            .indent
            .unwrap_or_else(|| found.map_or(0, |f| ls[f.line].indent() + step));
        let mut nested_value = value.clone();
        for key in path[depth + 1..].iter().rev() {
            let mut map = Map::new();
            map.insert((*key).to_owned(), nested_value);
            nested_value = Value::Object(map);
        }
        let rendered = render(path[depth], &nested_value, indent, step, nl);
        let last_content = (m.from..m.to).rev().find(|&i| ls[i].content());
        let at = match (last_content, found) {
            (Some(i), _) => ls[i].end,
            (None, Some(f)) => ls[f.line].end,
            (None, None) => text.len(),
        };
        let mut out = String::with_capacity(text.len() + rendered.len() + 1);
        out.push_str(&text[..at]);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&rendered);
        if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
            // The file had no final newline: keep it that way.
            out.truncate(out.len() - nl.len());
        }
        out.push_str(&text[at..]);
        (out, path.len() - 1 - depth)
    };
    check(&before, &out, path, Some(value))?;
    Ok(Some((out, created)))
}

/// Reverse of [`set`]: removes the key at `path` (its lines), then up to `prune`
/// mappings on the path that were left empty. `None` when there is nothing to remove.
pub fn remove(current: &str, path: &[&str], prune: usize) -> Result<Option<String>, YamlError> {
    let before = load(current)?;
    let ls = lines(current);
    let (_, depth, found) = walk(&ls, path)?;
    if depth < path.len() {
        return Ok(None);
    }
    let f = found.expect("the whole path exists");
    let start = ls[f.line].start;
    let end = ls[f.last].end;
    let mut out = format!("{}{}", &current[..start], &current[end..]);
    if end == current.len() && !current.ends_with('\n') {
        // The key ended the file without a newline: the line break before it was ours.
        if out.ends_with("\r\n") {
            out.truncate(out.len() - 2);
        } else if out.ends_with('\n') {
            out.truncate(out.len() - 1);
        }
    }
    check(&before, &out, path, None)?;
    if prune > 0 && path.len() > 1 {
        let parent = &path[..path.len() - 1];
        if matches!(get(&out, parent)?, Some(Value::Null)) {
            return Ok(Some(remove(&out, parent, prune - 1)?.unwrap_or(out)));
        }
    }
    if prune > 0
        && path.len() == 1
        && load(&out)?.as_object().is_none_or(Map::is_empty)
        && out.trim().is_empty()
    {
        return Ok(Some(String::new()));
    }
    Ok(Some(out))
}

/// The edit must give back a valid document holding `value` at `path` (or nothing
/// there), and everything else as it was.
fn check(before: &Value, out: &str, path: &[&str], value: Option<&Value>) -> Result<(), YamlError> {
    let after = load(out)?;
    let layout = || YamlError::Layout {
        line: 1,
        path: path.join("."),
        how: "in a way codeloop cannot edit line by line",
        fix: "write it as plain block mappings",
    };
    let mut a = after.clone();
    let mut b = before.clone();
    let at_a = take(&mut a, path);
    take(&mut b, path);
    prune_nulls(&mut a, path);
    prune_nulls(&mut b, path);
    if at_a.as_ref() != value || a != b {
        return Err(layout());
    }
    Ok(())
}

/// Takes the value at `path` out of `doc`.
fn take(doc: &mut Value, path: &[&str]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let mut at = doc;
    for key in parents {
        at = at.as_object_mut()?.get_mut(*key)?;
    }
    at.as_object_mut()?.shift_remove(*last)
}

/// Along `path`, mappings left empty (or `null`, as an emptied block mapping reads)
/// count as absent, so inserting or removing them is not "another change".
fn prune_nulls(doc: &mut Value, path: &[&str]) {
    for depth in (1..path.len()).rev() {
        let (last, parents) = path[..depth].split_last().expect("depth ≥ 1");
        let pointer: String = parents
            .iter()
            .map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1")))
            .collect();
        if let Some(map) = doc.pointer_mut(&pointer).and_then(Value::as_object_mut) {
            let empty = match map.get(*last) {
                Some(Value::Null) => true,
                Some(Value::Object(m)) => m.is_empty(),
                _ => false,
            };
            if empty {
                map.shift_remove(*last);
            }
        }
    }
    if doc.as_object().is_some_and(Map::is_empty) {
        *doc = Value::Null;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PATH: &[&str] = &["extensions", "codeloop"];

    fn entry(key: &str) -> Value {
        json!({
            "enabled": true,
            "type": "stdio",
            "name": "codeloop",
            "cmd": "npx",
            "args": ["-y", "codeloop-mcp-server"],
            "envs": {"CODELOOP_API_KEY": key},
            "timeout": 300
        })
    }

    const GOOSE: &str = "# goose settings\nGOOSE_PROVIDER: openai\nextensions:\n  developer:\n    bundled: true\n    enabled: true # keep\n    name: developer\n    timeout: 300\n    type: builtin\n  memory:\n    enabled: false\n    name: memory\n    type: builtin\nGOOSE_MODEL: gpt-4o\n";

    #[test]
    fn adds_an_extension_beside_the_others_and_reverses_exactly() {
        let (out, created) = set(Some(GOOSE), PATH, &entry("cl_live_abcdefgh"))
            .unwrap()
            .unwrap();
        assert_eq!(created, 0);
        assert!(
            out.starts_with("# goose settings\nGOOSE_PROVIDER: openai\nextensions:\n  developer:")
        );
        assert!(out.contains("    type: builtin\n  codeloop:\n    enabled: true\n    type: stdio\n    name: codeloop\n    cmd: npx\n    args:\n    - -y\n    - codeloop-mcp-server\n    envs:\n      CODELOOP_API_KEY: cl_live_abcdefgh\n    timeout: 300\nGOOSE_MODEL: gpt-4o\n"), "{out}");
        assert_eq!(get(&out, PATH).unwrap(), Some(entry("cl_live_abcdefgh")));
        assert_eq!(
            set(Some(&out), PATH, &entry("cl_live_abcdefgh")).unwrap(),
            None
        );
        assert_eq!(remove(&out, PATH, 0).unwrap().as_deref(), Some(GOOSE));
    }

    #[test]
    fn changes_one_field_and_keeps_its_comment() {
        let (out, _) = set(Some(GOOSE), PATH, &entry("cl_live_abcdefgh"))
            .unwrap()
            .unwrap();
        let key_path = &["extensions", "codeloop", "envs", "CODELOOP_API_KEY"];
        let (out2, created) = set(Some(&out), key_path, &json!("cl_live_zzzzzzzz"))
            .unwrap()
            .unwrap();
        assert_eq!(created, 0);
        assert_eq!(out2, out.replace("cl_live_abcdefgh", "cl_live_zzzzzzzz"));
        let (out3, _) = set(
            Some(GOOSE),
            &["extensions", "developer", "enabled"],
            &json!(false),
        )
        .unwrap()
        .unwrap();
        assert!(
            out3.contains("    enabled: false # keep\n    name: developer"),
            "{out3}"
        );
    }

    #[test]
    fn creates_the_extensions_map_and_the_file() {
        let (out, created) = set(Some("GOOSE_PROVIDER: openai"), PATH, &entry("k"))
            .unwrap()
            .unwrap();
        assert_eq!(created, 1);
        assert!(
            out.starts_with("GOOSE_PROVIDER: openai\nextensions:\n  codeloop:\n"),
            "{out}"
        );
        assert!(!out.ends_with('\n'), "no final newline added");
        assert_eq!(
            remove(&out, PATH, created).unwrap().as_deref(),
            Some("GOOSE_PROVIDER: openai")
        );
        let (out, created) = set(None, PATH, &entry("k")).unwrap().unwrap();
        assert_eq!(created, 1);
        assert_eq!(remove(&out, PATH, created).unwrap().as_deref(), Some(""));
    }

    #[test]
    fn keeps_crlf() {
        let crlf = GOOSE.replace('\n', "\r\n");
        let (out, _) = set(Some(&crlf), PATH, &entry("k")).unwrap().unwrap();
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
        assert_eq!(
            remove(&out, PATH, 0).unwrap().as_deref(),
            Some(crlf.as_str())
        );
    }

    #[test]
    fn quotes_what_would_read_back_as_something_else() {
        assert_eq!(scalar(&json!("npx")), "npx");
        assert_eq!(scalar(&json!("-y")), "-y");
        assert_eq!(scalar(&json!("true")), "\"true\"");
        assert_eq!(scalar(&json!("300")), "\"300\"");
        assert_eq!(scalar(&json!("a: b")), "\"a: b\"");
        assert_eq!(
            scalar(&json!("${CODELOOP_API_KEY}")),
            "\"${CODELOOP_API_KEY}\""
        );
        assert_eq!(scalar(&json!(300)), "300");
    }

    #[test]
    fn refuses_what_it_cannot_edit_line_by_line() {
        let err = set(
            Some("extensions: {developer: {type: builtin}}\n"),
            PATH,
            &entry("k"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("flow mapping"), "{err}");
        let err = set(Some("extensions:\n- a\n"), PATH, &entry("k")).unwrap_err();
        assert!(err.to_string().contains("a sequence"), "{err}");
        let err = set(Some("a: [\n"), PATH, &entry("k")).unwrap_err();
        assert!(matches!(err, YamlError::Syntax { .. }), "{err}");
        let err = set(Some("- 1\n- 2\n"), PATH, &entry("k")).unwrap_err();
        assert!(err.to_string().contains("not a mapping"), "{err}");
    }

    #[test]
    fn removes_a_field_and_prunes_a_map_it_emptied() {
        let text = "extensions:\n  codeloop:\n    envs:\n      CODELOOP_API_KEY: k\n    cmd: npx\n";
        let out = remove(
            text,
            &["extensions", "codeloop", "envs", "CODELOOP_API_KEY"],
            1,
        )
        .unwrap()
        .unwrap();
        assert_eq!(out, "extensions:\n  codeloop:\n    cmd: npx\n");
    }
}
