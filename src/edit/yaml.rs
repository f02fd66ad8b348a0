//! Pure YAML editor for block-style mappings (Goose's `config.yaml`): put one value
//! at a path, and the exact reverse. `yaml-rust2` parses (and so validates) the
//! document; the edit itself works on whole lines of the block structure — a key's
//! lines are replaced, or new lines inserted after its parent's last line — so
//! comments, key order, quoting and indentation everywhere else stay byte for byte.
//! Block scalars (`|`, `>`, with their chomping and indentation indicators) are read
//! as part of the key that holds them, the trailing blank lines of a keep-chomping one
//! (`|+`) included. A leading byte order mark is not part of the first line and stays.
//! An empty flow mapping `{}` on the path (as Goose writes one) is opened into a block
//! mapping, and [`close_empty`] writes it back. Every edit is checked by parsing the
//! result: the value at the path is the one wanted, and nothing else in the document
//! changed. Other flow collections (`{…}`, `[…]`) on the path, anchors, tabs in the
//! indentation and several documents are refused with their position rather than
//! rewritten. Nothing here touches the file system.

use serde_json::{Map, Value};
use thiserror::Error;
use yaml_rust2::{Yaml, YamlLoader};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum YamlError {
    #[error(
        "{line}:{column}: invalid YAML: {message}; fix it (Goose cannot load it either) and run again"
    )]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{line}:{column}: a tab in the indentation, which YAML does not allow (it indents with spaces only); replace it with spaces"
    )]
    Tab { line: usize, column: usize },
    #[error(
        "1:1: a byte order mark right before the first key, which Goose's YAML reader (serde_yaml) counts as one column of indentation, so with another key at the top Goose cannot load the file (and replaces it with a fresh one); save it as UTF-8 without the mark, or make a comment its first line, and run again"
    )]
    Bom,
    #[error(
        "{line}:{column}: {} is {found}, expected a mapping; {fix}",
        named(path)
    )]
    WrongType {
        line: usize,
        column: usize,
        path: String,
        found: &'static str,
        fix: &'static str,
    },
    #[error(
        "{line}:{column}: {} is written {how}, which codeloop does not rewrite; {fix}",
        named(path)
    )]
    Layout {
        line: usize,
        column: usize,
        path: String,
        how: &'static str,
        fix: &'static str,
    },
}

/// A dotted path as the messages name it (the empty path is the document).
fn named(path: &str) -> String {
    if path.is_empty() {
        "the document".to_owned()
    } else {
        format!("`{path}`")
    }
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

/// The length of a leading byte order mark (kept, never part of the first line).
fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') { 3 } else { 0 }
}

/// For yaml-rust2's duplicated-key error (`String("k"): duplicated key in mapping`):
/// the line and column of the last line that starts with `k:`, and `k`.
fn duplicated_key(body: &str, info: &str) -> Option<(usize, usize, String)> {
    let key = info
        .strip_suffix(": duplicated key in mapping")?
        .strip_prefix("String(\"")?
        .strip_suffix("\")")?;
    let (i, line) = body
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        })
        .last()?;
    Some((
        i + 1,
        line.len() - line.trim_start().len() + 1,
        key.to_owned(),
    ))
}

/// The whole document as JSON (`null` for an empty one).
fn load(text: &str) -> Result<Value, YamlError> {
    let body = &text[bom_len(text)..];
    let docs = YamlLoader::load_from_str(body).map_err(|e| {
        let line = e.marker().line();
        let tab = tab_in_indent(body, line, e.info().contains("tab"));
        match tab {
            Some((line, column)) => YamlError::Tab { line, column },
            None => match duplicated_key(body, e.info()) {
                // yaml-rust2 says `String("k"): duplicated key in mapping` at the end
                // of the mapping: the second `k:` is the place to point at.
                Some((line, column, key)) => YamlError::Syntax {
                    line,
                    column,
                    message: format!("`{key}` is a key twice in the same mapping (merge the two)"),
                },
                None => YamlError::Syntax {
                    line,
                    column: e.marker().col() + 1,
                    message: e.info().to_owned(),
                },
            },
        }
    })?;
    if docs.len() > 1 {
        let ls = lines(text);
        let second = ls
            .iter()
            .enumerate()
            .skip_while(|(_, l)| !l.content || l.text.starts_with("---"))
            .find(|(_, l)| l.text.starts_with("---") || l.text.starts_with("..."))
            .map_or(1, |(i, _)| i + 1);
        return Err(YamlError::Layout {
            line: second,
            column: 1,
            path: String::new(),
            how: "as several documents",
            fix: "keep one document in the file",
        });
    }
    Ok(docs.first().map_or(Value::Null, to_json))
}

/// Where a tab sits in the indentation of line `line` (1-based), or — when the
/// parser's complaint is about a tab (`ahead`) — of the first such line from there
/// on: yaml-rust2 marks the place it stopped, past the tab or at the scalar before it.
fn tab_in_indent(body: &str, line: usize, ahead: bool) -> Option<(usize, usize)> {
    let from = line.max(1);
    body.split('\n')
        .enumerate()
        .skip(from - 1)
        .take(if ahead { usize::MAX } else { 1 })
        .find_map(|(i, l)| {
            let indent = &l[..l.len() - l.trim_start_matches([' ', '\t']).len()];
            let rest = &l[indent.len()..];
            let blank = rest.trim_end_matches('\r').is_empty();
            indent
                .find('\t')
                .filter(|_| !blank)
                .map(|col| (i + 1, col + 1))
        })
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
    /// Byte offset of its start (past a byte order mark on the first line).
    start: usize,
    /// Its text without the line break.
    text: &'a str,
    /// Byte offset just past its line break (or the end of the file).
    end: usize,
    /// Its indentation in spaces; in a block scalar, at least one more than the
    /// indentation of the node that holds the scalar.
    indent: usize,
    /// Holds content: not blank and not only a comment, or part of a block scalar.
    content: bool,
    /// Part of a block scalar's value (lines after its `|` or `>` header).
    scalar: bool,
}

fn spaces(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let bom = bom_len(text);
    let mut out = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let skip = if start == 0 { bom } else { 0 };
        let body = raw[skip..].trim_end_matches('\n').trim_end_matches('\r');
        let t = body.trim();
        out.push(Line {
            start: start + skip,
            text: body,
            end: start + raw.len(),
            indent: spaces(body),
            content: !t.is_empty() && !t.starts_with('#'),
            scalar: false,
        });
        start += raw.len();
    }
    mark_block_scalars(&mut out);
    out
}

/// Marks the lines of every block scalar's value as content of the node that holds
/// it: the lines after its header that are blank or indented deeper than that node,
/// through the last non-blank one — and, for keep chomping (`|+`), the blank lines
/// after it too, which are part of the value.
fn mark_block_scalars(ls: &mut [Line]) {
    let mut i = 0;
    while i < ls.len() {
        let header = (ls[i].content && !ls[i].scalar)
            .then(|| block_scalar(ls[i].text))
            .flatten();
        let Some((n, keep)) = header else {
            i += 1;
            continue;
        };
        let mut last = i;
        let mut j = i + 1;
        while j < ls.len() {
            if ls[j].text.trim().is_empty() {
                j += 1;
            } else if ls[j].indent > n {
                last = j;
                j += 1;
            } else {
                break;
            }
        }
        let end = if keep { j } else { last + 1 };
        for l in &mut ls[i + 1..end] {
            l.content = true;
            l.scalar = true;
            l.indent = l.indent.max(n + 1);
        }
        i = end.max(i + 1);
    }
}

/// When the line's value is a block scalar (`key: |`, `- >-`, `key: !t |2+ # c`):
/// the indentation of the node holding it (its value lines are indented deeper), and
/// whether it keeps its trailing blank lines (`+`).
fn block_scalar(line: &str) -> Option<(usize, bool)> {
    let mut col = spaces(line);
    let mut rest = &line[col..];
    let mut node = None;
    // `- ` items, nested ones too: a scalar right after a dash is indented past it.
    while let Some(r) = rest
        .strip_prefix('-')
        .filter(|r| r.starts_with([' ', '\t']))
    {
        node = Some(col);
        let ws = r.len() - r.trim_start_matches([' ', '\t']).len();
        col += 1 + ws;
        rest = &r[ws..];
    }
    let value = match key_of(rest) {
        Some((_, after)) => {
            node = Some(col);
            after
        }
        None => rest,
    };
    let node = node?;
    let mut v = value.trim_start_matches([' ', '\t']);
    // Properties before the scalar: `!tag`, `&anchor`.
    while v.starts_with(['!', '&']) {
        let end = v.find([' ', '\t'])?;
        v = v[end..].trim_start_matches([' ', '\t']);
    }
    let v = v.strip_prefix(['|', '>'])?;
    let indicators = &v[..v.len()
        - v.trim_start_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-')
            .len()];
    let after = &v[indicators.len()..];
    let tail = after.trim_start_matches([' ', '\t']);
    let separated = after.len() > tail.len();
    if !(tail.is_empty() || separated && tail.starts_with('#')) {
        return None;
    }
    Some((node, indicators.contains('+')))
}

/// The key a line starts with at its indentation (`key:` or `"key":`), and the rest
/// of the line after the colon.
fn key_of(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start_matches(' ');
    if t.starts_with('-') && (t.len() == 1 || t[1..].starts_with([' ', '\t'])) {
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
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, rest))
}

/// Where a quoted scalar at the start of `t` ends (just past its closing quote).
fn quoted_end(t: &str) -> Option<usize> {
    let mut chars = t.char_indices();
    match chars.next()? {
        (_, '"') => {
            let mut escaped = false;
            for (i, c) in chars {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => return Some(i + 1),
                    _ => {}
                }
            }
            None
        }
        (_, '\'') => {
            let bytes = t.as_bytes();
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(i + 1);
                }
                i += 1;
            }
            None
        }
        _ => Some(0),
    }
}

/// What follows a key's colon, without a trailing comment.
fn inline_value(rest: &str) -> &str {
    let t = rest.trim_matches([' ', '\t']);
    if t.starts_with('#') {
        return "";
    }
    let from = quoted_end(t).unwrap_or(t.len());
    let comment = t[from..]
        .char_indices()
        .find(|&(i, c)| c == '#' && t[..from + i].ends_with([' ', '\t']))
        .map(|(i, _)| from + i);
    match comment {
        Some(i) => t[..i].trim_end_matches([' ', '\t']),
        None => t,
    }
}

/// The 1-based column (in characters) of byte `at` of a line's text.
fn column(text: &str, at: usize) -> usize {
    text[..at].chars().count() + 1
}

/// The column of the value after a key's colon (`rest` is the text after the colon).
fn value_column(text: &str, rest: &str) -> usize {
    let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    column(text, text.len() - rest.len() + ws)
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
    (m.from..m.to)
        .find(|&i| {
            let l = ls[i];
            l.content
                && !l.scalar
                && l.indent == indent
                && key_of(l.text).is_some_and(|(k, _)| k == key)
        })
        .map(|i| Found {
            line: i,
            last: block_last(ls, i, m.to),
        })
}

fn is_item(text: &str) -> bool {
    let t = text.trim_start_matches(' ');
    t == "-" || t.starts_with("- ") || t.starts_with("-\t")
}

/// The last content line of the block of the key on line `at` (before `to`): the
/// lines after it that are indented deeper (a block scalar's value among them), or
/// sequence items at its own indent.
fn block_last(ls: &[Line], at: usize, to: usize) -> usize {
    let indent = ls[at].indent;
    let mut last = at;
    for (i, l) in ls.iter().enumerate().take(to).skip(at + 1) {
        if !l.content {
            continue;
        }
        let item_here = l.indent == indent && !l.scalar && is_item(l.text);
        if l.indent > indent || item_here {
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
    let indent = ls[from..to].iter().find(|l| l.content).map(|l| l.indent);
    Mapping { from, to, indent }
}

/// The key on `f`'s line holds an empty flow mapping, `{}` (a comment may follow).
fn empty_flow(ls: &[Line], f: Found) -> bool {
    key_of(ls[f.line].text).is_some_and(|(_, rest)| inline_value(rest) == "{}")
}

/// Walks `path` down nested block mappings: the mapping holding the last key that
/// exists, how deep the path exists, and the last key found. An empty flow mapping
/// `{}` on the way reads as a mapping with nothing in it yet.
fn walk(ls: &[Line], path: &[&str]) -> Result<(Mapping, usize, Option<Found>), YamlError> {
    let root_indent = ls.iter().find(|l| l.content).map(|l| l.indent);
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
        let line = ls[f.line];
        let (_, rest) = key_of(line.text).expect("found by its key");
        let inline = inline_value(rest);
        if inline == "{}" {
            m = Mapping {
                from: f.line + 1,
                to: f.line + 1,
                indent: None,
            };
            found = Some(f);
            continue;
        }
        if !inline.is_empty() {
            let here = path[..=depth].join(".");
            let (line, column) = (f.line + 1, value_column(line.text, rest));
            return Err(if inline.starts_with('{') {
                YamlError::Layout {
                    line,
                    column,
                    path: here,
                    how: "as a flow mapping `{…}`",
                    fix: "rewrite it as a block mapping (one key per line, nested keys indented under it) and run again",
                }
            } else if inline.starts_with(['&', '*', '!']) {
                YamlError::Layout {
                    line,
                    column,
                    path: here,
                    how: "with an anchor, alias or tag",
                    fix: "write it out as a plain block mapping and run again",
                }
            } else {
                YamlError::WrongType {
                    line,
                    column,
                    path: here,
                    found: if inline.starts_with('[') {
                        "a sequence"
                    } else {
                        "a value"
                    },
                    fix: "make it a block mapping (one key per line) or delete it, and run again",
                }
            });
        }
        let inner = nested(ls, f);
        if ls[inner.from..inner.to]
            .iter()
            .find(|l| l.content)
            .is_some_and(|l| is_item(l.text))
        {
            return Err(YamlError::WrongType {
                line: f.line + 1,
                column: column(line.text, line.indent),
                path: path[..=depth].join("."),
                found: "a sequence",
                fix: "make it a block mapping (one key per line) or delete it, and run again",
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
        .filter(|l| l.content && !l.scalar)
        .map(|l| l.indent)
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
/// its parent's last one; an empty `{}` parent is opened into a block mapping).
/// Returns the text and how many mappings along `path` it created; `None` when the
/// path already holds `value`.
pub fn set(
    current: Option<&str>,
    path: &[&str],
    value: &Value,
) -> Result<Option<(String, usize)>, YamlError> {
    assert!(!path.is_empty(), "set needs a path");
    let original = current.unwrap_or("");
    let before = load(original)?;
    if !(before.is_null() || before.is_object()) {
        return Err(YamlError::WrongType {
            line: 1,
            column: 1,
            path: String::new(),
            found: if before.is_array() {
                "a sequence"
            } else {
                "a single value"
            },
            fix: "make it a mapping (`key: value` lines) and run again",
        });
    }
    if get(original, path)?.as_ref() == Some(value) {
        return Ok(None);
    }
    let ls = lines(original);
    let (_, depth, found) = walk(&ls, path)?;
    let opened;
    let text = match found {
        Some(f) if depth < path.len() && empty_flow(&ls, f) => {
            opened = open_empty(original, ls[f.line]);
            opened.as_str()
        }
        _ => original,
    };
    let ls = lines(text);
    let bom = bom_len(text);
    let (nl, step) = style(text, &ls);
    let (m, depth, found) = walk(&ls, path)?;
    let (out, created) = if depth == path.len() {
        let f = found.expect("the whole path exists");
        let indent = ls[f.line].indent;
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
            .unwrap_or_else(|| found.map_or(0, |f| ls[f.line].indent + step));
        let mut nested_value = value.clone();
        for key in path[depth + 1..].iter().rev() {
            let mut map = Map::new();
            map.insert((*key).to_owned(), nested_value);
            nested_value = Value::Object(map);
        }
        let rendered = render(path[depth], &nested_value, indent, step, nl);
        let last_content = (m.from..m.to).rev().find(|&i| ls[i].content);
        let at = match (last_content, found) {
            (Some(i), _) => ls[i].end,
            (None, Some(f)) => ls[f.line].end,
            (None, None) => text.len(),
        };
        let mut out = String::with_capacity(text.len() + rendered.len() + 1);
        out.push_str(&text[..at]);
        if at > bom && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&rendered);
        if at == text.len() && text.len() > bom && !text.ends_with('\n') {
            // The file had no final newline: keep it that way.
            out.truncate(out.len() - nl.len());
        }
        out.push_str(&text[at..]);
        (out, path.len() - 1 - depth)
    };
    if misread_after_bom(&out) {
        return Err(YamlError::Bom);
    }
    check(&before, &out, path, Some(value), position(&ls, found))?;
    Ok(Some((out, created)))
}

/// Whether Goose's reader would misread `text`: serde_yaml hands libyaml the text with
/// its encoding set, so a byte order mark is not taken off the stream but skipped by
/// the scanner as one column of the first line. Content there then sits one column
/// deeper than it looks, and a later line at its indent or less (another top-level
/// key) ends the document: "more than one document", and Goose, unable to load its
/// config, writes a fresh one. A comment or blank first line is harmless.
fn misread_after_bom(text: &str) -> bool {
    if bom_len(text) == 0 {
        return false;
    }
    let ls = lines(text);
    let Some((first, rest)) = ls.split_first().filter(|(f, _)| f.content) else {
        return false;
    };
    rest.iter()
        .any(|l| l.content && !l.scalar && l.indent <= first.indent && !l.text.starts_with("..."))
}

/// The line of the key found at `f` with its empty `{}` taken out: `key: {}` becomes
/// `key:`, and `key: {} # note` becomes `key: # note` ([`close_empty`] puts it back).
fn open_empty(text: &str, line: Line) -> String {
    let (_, rest) = key_of(line.text).expect("found by its key");
    let colon_end = line.start + line.text.len() - rest.len();
    let braces = colon_end + rest.find("{}").expect("an empty flow mapping");
    let after = &text[braces + 2..line.start + line.text.len()];
    let tail = after.trim_start_matches([' ', '\t']);
    let (cut_from, cut_to) = if tail.is_empty() {
        (colon_end, line.start + line.text.len())
    } else {
        (braces, braces + 2 + after.len() - tail.len())
    };
    format!("{}{}", &text[..cut_from], &text[cut_to..])
}

/// The reverse of opening an empty `{}` on the way to codeloop's entry: the mapping at
/// `path`, now empty again (`key:` with nothing under it, which reads as null), is
/// written `key: {}` once more (`key: {} # note` when a comment follows the colon).
/// `None` when there is something in it, or it is not there.
pub fn close_empty(current: &str, path: &[&str]) -> Result<Option<String>, YamlError> {
    if get(current, path)? != Some(Value::Null) {
        return Ok(None);
    }
    let before = load(current)?;
    let ls = lines(current);
    let (_, depth, found) = walk(&ls, path)?;
    let Some(f) = found.filter(|f| depth == path.len() && f.last == f.line) else {
        return Ok(None);
    };
    let line = ls[f.line];
    let (_, rest) = key_of(line.text).expect("found by its key");
    if !inline_value(rest).is_empty() {
        // `key: ~`, `key: null`: the user's words for nothing.
        return Ok(None);
    }
    let colon_end = line.start + line.text.len() - rest.len();
    let out = match rest.find('#') {
        Some(hash) => {
            let at = colon_end + hash;
            format!("{}{{}} {}", &current[..at], &current[at..])
        }
        None => format!(
            "{} {{}}{}",
            &current[..colon_end],
            &current[line.start + line.text.len()..]
        ),
    };
    check(
        &before,
        &out,
        path,
        Some(&Value::Object(Map::new())),
        position(&ls, Some(f)),
    )?;
    Ok(Some(out))
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
        // The key ended the file without a newline: the line break before it was ours,
        // in the file's style as `set` chose it (a `\r` before a `\n` of ours is the
        // user's when the rest of the file has no CRLF).
        let crlf = out
            .strip_suffix("\r\n")
            .is_some_and(|rest| rest.contains("\r\n"));
        if crlf {
            out.truncate(out.len() - 2);
        } else if out.ends_with('\n') {
            out.truncate(out.len() - 1);
        }
    }
    check(&before, &out, path, None, position(&ls, Some(f)))?;
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

/// Where to point when an edit at `f` cannot be made line by line: the key's line and
/// column (the document's start when nothing on the path exists).
fn position(ls: &[Line], f: Option<Found>) -> (usize, usize) {
    f.map_or((1, 1), |f| {
        let l = ls[f.line];
        (f.line + 1, column(l.text, l.indent))
    })
}

/// The edit must give back a valid document holding `value` at `path` (or nothing
/// there), and everything else as it was. A failure points at `at` in the input: the
/// output is codeloop's, and its positions mean nothing to the user.
fn check(
    before: &Value,
    out: &str,
    path: &[&str],
    value: Option<&Value>,
    at: (usize, usize),
) -> Result<(), YamlError> {
    let layout = || YamlError::Layout {
        line: at.0,
        column: at.1,
        path: path.join("."),
        how: "in a way codeloop cannot edit line by line",
        fix: "write it as plain block mappings (one key per line) and run again",
    };
    let Ok(after) = load(out) else {
        return Err(layout());
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
    fn a_carriage_return_of_the_user_before_the_entry_is_kept_on_reverse() {
        // Found by tests/it/properties.rs: the reverse took a lone `\r` for half of a
        // CRLF break of ours.
        round_trip("\r", PATH, &entry("k"), &[]);
        round_trip("a: 1\r", PATH, &entry("k"), &[]);
        round_trip("a: 1\r\nb: 2\r", PATH, &entry("k"), &[]);
        round_trip("a: 1\r\nb: 2", PATH, &entry("k"), &[]);
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
            Some("a: 1\nextensions: {developer: {type: builtin}} # mine\n"),
            PATH,
            &entry("k"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "2:13: `extensions` is written as a flow mapping `{…}`, which codeloop does not rewrite; rewrite it as a block mapping (one key per line, nested keys indented under it) and run again"
        );
        let err = set(Some("extensions:\n- a\n"), PATH, &entry("k")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("1:1: `extensions` is a sequence"),
            "{err}"
        );
        let err = set(Some("extensions: [a]\n"), PATH, &entry("k")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("1:13: `extensions` is a sequence"),
            "{err}"
        );
        let err = set(Some("a: [\n"), PATH, &entry("k")).unwrap_err();
        assert!(matches!(err, YamlError::Syntax { .. }), "{err}");
        let twice = "extensions:\n  a:\n    enabled: true\nextensions:\n  b: {}\n";
        let err = set(Some(twice), PATH, &entry("k")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "4:1: invalid YAML: `extensions` is a key twice in the same mapping (merge the two); fix it (Goose cannot load it either) and run again"
        );
        let err = set(Some("- 1\n- 2\n"), PATH, &entry("k")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1:1: the document is a sequence, expected a mapping; make it a mapping (`key: value` lines) and run again"
        );
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

    /// Sets the entry, checks it reads back and is idempotent, and that the reverse —
    /// removing it, then closing the mappings that were `{}` — gives back `text`.
    fn round_trip(text: &str, path: &[&str], value: &Value, empty: &[&[&str]]) -> String {
        let (out, created) = set(Some(text), path, value).unwrap().unwrap();
        assert_eq!(get(&out, path).unwrap().as_ref(), Some(value), "{out}");
        assert_eq!(set(Some(&out), path, value).unwrap(), None, "{out}");
        let mut back = remove(&out, path, created).unwrap().unwrap();
        for p in empty {
            back = close_empty(&back, p).unwrap().unwrap_or(back);
        }
        assert_eq!(back, text, "the reverse of {out:?}");
        out
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        let text = "\u{feff}extensions:\n  developer:\n    enabled: true\n";
        assert_eq!(
            get(text, &["extensions", "developer", "enabled"]).unwrap(),
            Some(json!(true))
        );
        let out = round_trip(text, PATH, &entry("k"), &[]);
        assert!(
            out.starts_with("\u{feff}extensions:\n  developer:\n    enabled: true\n  codeloop:\n"),
            "{out:?}"
        );
        assert_eq!(out.matches("extensions").count(), 1, "{out}");
        // A file that is only the mark, or the mark and a comment.
        let out = round_trip("\u{feff}", PATH, &entry("k"), &[]);
        assert!(
            out.starts_with("\u{feff}extensions:\n  codeloop:\n"),
            "{out:?}"
        );
        let out = round_trip("\u{feff}# goose", PATH, &entry("k"), &[]);
        assert!(out.starts_with("\u{feff}# goose\nextensions:\n"), "{out:?}");
        // Goose's reader takes the mark for a column of indentation: the key on its line
        // can be the only one at the top, else Goose cannot load the file.
        let text = "\u{feff}GOOSE_PROVIDER: openai\n";
        assert_eq!(
            set(Some(text), PATH, &entry("k")).unwrap_err(),
            YamlError::Bom
        );
        let text = "\u{feff}extensions:\n  developer:\n    enabled: true\nGOOSE_MODEL: x\n";
        assert_eq!(
            set(Some(text), PATH, &entry("k")).unwrap_err(),
            YamlError::Bom
        );
        let out = round_trip("\u{feff}\nGOOSE_PROVIDER: openai\n", PATH, &entry("k"), &[]);
        assert!(
            out.starts_with("\u{feff}\nGOOSE_PROVIDER: openai\nextensions:\n"),
            "{out:?}"
        );
        // Columns on the first line are counted as an editor shows them.
        let err = set(Some("\u{feff}extensions: {a: 1}\n"), PATH, &entry("k")).unwrap_err();
        assert!(err.to_string().starts_with("1:13: "), "{err}");
    }

    #[test]
    fn an_empty_flow_mapping_is_opened_and_closed_again() {
        // `goose configure` writes `extensions: {}` once the last extension is gone.
        let out = round_trip(
            "GOOSE_MODEL: gpt-4o\nextensions: {}\n",
            PATH,
            &entry("k"),
            &[&["extensions"]],
        );
        assert!(
            out.starts_with("GOOSE_MODEL: gpt-4o\nextensions:\n  codeloop:\n    enabled: true\n"),
            "{out}"
        );
        let out = round_trip(
            "extensions: {} # none yet\r\nGOOSE_MODEL: x",
            PATH,
            &entry("k"),
            &[&["extensions"]],
        );
        assert!(
            out.starts_with("extensions: # none yet\r\n  codeloop:\r\n"),
            "{out:?}"
        );
        assert!(out.ends_with("\r\nGOOSE_MODEL: x"), "{out:?}");
        // Goose's own entry for codeloop, with `envs: {}`: the key goes inside.
        let goose = "extensions:\n  codeloop:\n    args:\n    - -y\n    - codeloop-mcp-server\n    cmd: npx\n    enabled: true\n    env_keys: []\n    envs: {}\n    name: codeloop\n    type: stdio\n";
        let key = &["extensions", "codeloop", "envs", "CODELOOP_API_KEY"];
        let out = round_trip(
            goose,
            key,
            &json!("cl_live_abcdefgh"),
            &[&["extensions", "codeloop", "envs"]],
        );
        assert_eq!(
            out,
            goose.replace(
                "    envs: {}\n",
                "    envs:\n      CODELOOP_API_KEY: cl_live_abcdefgh\n"
            )
        );
        // Closing leaves alone what is not empty, or not written `key:`.
        assert_eq!(
            close_empty(&out, &["extensions", "codeloop", "envs"]).unwrap(),
            None
        );
        assert_eq!(close_empty("a: ~\n", &["a"]).unwrap(), None);
        assert_eq!(close_empty("a: 1\n", &["b"]).unwrap(), None);
    }

    #[test]
    fn a_tab_in_the_indentation_is_refused_where_it_is() {
        let err = |text: &str| set(Some(text), PATH, &entry("k")).unwrap_err();
        assert_eq!(
            err("extensions:\n\tdeveloper:\n    enabled: true\n"),
            YamlError::Tab { line: 2, column: 1 }
        );
        assert_eq!(
            err("extensions:\n  developer:\n  \tenabled: true\n"),
            YamlError::Tab { line: 3, column: 3 }
        );
        assert_eq!(err("a: b\n\tc: d\n"), YamlError::Tab { line: 2, column: 1 });
        assert_eq!(err("a: |\n\tx\n"), YamlError::Tab { line: 2, column: 1 });
        assert_eq!(
            err("extensions:\n\tdeveloper:\n").to_string(),
            "2:1: a tab in the indentation, which YAML does not allow (it indents with spaces only); replace it with spaces"
        );
        // A tab after a colon is only a separator (Goose's libyaml reads it so).
        let out = round_trip(
            "extensions:\t\n  developer:\n    enabled: true\n",
            PATH,
            &entry("k"),
            &[],
        );
        assert_eq!(out.matches("extensions").count(), 1, "{out}");
    }

    #[test]
    fn block_scalars_in_other_extensions_stay_as_they_are() {
        for scalar in [
            "|+\n      multi\n\n",
            "|+\n      multi\n\n\n",
            "|+\n      kept\n\n    \n",
            "|-\n      stripped\n\n",
            "|\n      clipped\n      # not a comment\n",
            ">\n      folded\n      text\n\n",
            "|2\n       indented\n",
            "!!str |+ # tagged\n      x\n\n",
        ] {
            let text = format!("extensions:\n  developer:\n    description: {scalar}");
            round_trip(&text, PATH, &entry("k"), &[]);
            let text = format!("{text}GOOSE_MODEL: x\n");
            round_trip(&text, PATH, &entry("k"), &[]);
            let text =
                format!("extensions:\n  developer:\n    args:\n    - {scalar}GOOSE_MODEL: x\n");
            round_trip(&text, PATH, &entry("k"), &[]);
        }
        // A keep-chomping scalar is not confused with a key's block.
        let text = "notes: |+\n  extensions:\n    codeloop: 1\n\nextensions:\n  developer:\n    enabled: true\n";
        let out = round_trip(text, PATH, &entry("k"), &[]);
        assert!(out.starts_with("notes: |+\n  extensions:\n    codeloop: 1\n\nextensions:\n  developer:\n    enabled: true\n  codeloop:\n"), "{out}");
    }

    #[test]
    fn a_failed_check_points_into_the_input() {
        // A quoted scalar spanning lines, with a line that looks like a comment.
        let text = "extensions:\n  developer:\n    description: \"a\n      # b\"\n";
        let err = set(Some(text), PATH, &entry("k")).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "1:1: `extensions.codeloop` is written in a way codeloop cannot edit line by line"
            ),
            "{err}"
        );
        assert_eq!(
            set(Some("a: 1\n---\nb: 2\n"), PATH, &entry("k"))
                .unwrap_err()
                .to_string(),
            "2:1: the document is written as several documents, which codeloop does not rewrite; keep one document in the file"
        );
    }
}
