//! Pure TOML editor (Codex's `config.toml`): put one table at a path, and the exact
//! reverse. `toml_edit` parses and locates; the edit itself is a splice — a new table
//! is appended as text, an existing one has its lines replaced — so comments, key
//! order and formatting everywhere else stay byte for byte. Nothing here touches the
//! file system.

use std::ops::Range;

use serde_json::Value;
use thiserror::Error;
use toml_edit::{Document, Item, Key, Table};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TomlError {
    #[error("{line}:{column}: invalid TOML: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{line}:{column}: `{path}` is {found}, expected a table")]
    WrongType {
        line: usize,
        column: usize,
        path: String,
        found: &'static str,
    },
    #[error(
        "{line}:{column}: `{path}` is written {how}, which codeloop does not rewrite; make it a `[{path}]` table"
    )]
    Layout {
        line: usize,
        column: usize,
        path: String,
        how: &'static str,
    },
}

/// Makes the table at `path` hold exactly `value` (a JSON object: strings, numbers,
/// booleans, arrays and objects, written as inline tables). `None` when it already does,
/// compared as values, so a layout the user chose is never churned.
pub fn set(
    current: Option<&str>,
    path: &[&str],
    value: &Value,
) -> Result<Option<String>, TomlError> {
    assert!(!path.is_empty(), "set needs a path");
    let text = current.unwrap_or("");
    let doc = parse(text)?;
    let nl = newline(text);
    match find(&doc, text, path)? {
        Found::Missing => {
            let mut out = String::with_capacity(text.len() + 256);
            out.push_str(text);
            if !text.is_empty() {
                if !text.ends_with('\n') {
                    out.push_str(nl);
                }
                out.push_str(nl);
            }
            out.push_str(&render_table(path, value, nl));
            check(&out, path, value)?;
            Ok(Some(out))
        }
        Found::At { item, .. } if to_json(item) == *value => Ok(None),
        Found::At { range, .. } => {
            let out = format!(
                "{}{}{}",
                &text[..range.start],
                render_table(path, value, nl),
                &text[range.end..]
            );
            check(&out, path, value)?;
            Ok(Some(out))
        }
    }
}

/// Reverse of [`set`]: the text without the table at `path`, as candidates that differ
/// only in the blank lines before it — first the one `set` adds (one separating blank
/// line), then all trailing newlines (for a file that had no final newline). Empty when
/// there is nothing to remove.
pub fn remove(current: &str, path: &[&str]) -> Result<Vec<String>, TomlError> {
    let doc = parse(current)?;
    let Found::At { range, .. } = find(&doc, current, path)? else {
        return Ok(Vec::new());
    };
    let nl = newline(current);
    let before = &current[..range.start];
    let after = &current[range.end..];
    let blank = format!("{nl}{nl}");
    let one = before.strip_suffix(nl).filter(|_| before.ends_with(&blank));
    let mut candidates = vec![format!("{}{after}", one.unwrap_or(before))];
    if after.is_empty() {
        let all = before.trim_end_matches(['\n', '\r']);
        if all.len() != one.unwrap_or(before).len() {
            candidates.push(all.to_owned());
        }
    }
    Ok(candidates)
}

/// The value at `path` as JSON, if present (for tests and doctor-style reads).
pub fn get(current: &str, path: &[&str]) -> Result<Option<Value>, TomlError> {
    let doc = parse(current)?;
    let mut item = doc.as_item();
    for key in path {
        match item.as_table_like().and_then(|t| t.get(key)) {
            Some(next) => item = next,
            None => return Ok(None),
        }
    }
    Ok(Some(to_json(item)))
}

enum Found<'d> {
    Missing,
    /// The item, and the whole lines it occupies (a header table with its body, or an
    /// `key = { … }` line).
    At {
        item: &'d Item,
        range: Range<usize>,
    },
}

fn parse(text: &str) -> Result<Document<&str>, TomlError> {
    Document::parse(text).map_err(|e| {
        let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
        TomlError::Syntax {
            line,
            column,
            message: e.message().trim().replace('\n', " "),
        }
    })
}

/// Walks `path`: every ancestor must be a table (header, implicit or dotted), the leaf a
/// header table or an inline table on its own line.
fn find<'d>(doc: &'d Document<&str>, text: &str, path: &[&str]) -> Result<Found<'d>, TomlError> {
    let mut table: &Table = doc.as_table();
    for (depth, key) in path.iter().enumerate() {
        let here = &path[..=depth];
        let Some(item) = table.get(key) else {
            return Ok(Found::Missing);
        };
        let at = item
            .span()
            .or_else(|| table.key(key).and_then(Key::span))
            .map_or(0, |s| s.start);
        let (line, column) = line_col(text, at);
        let is_leaf = depth == path.len() - 1;
        match item {
            Item::Table(t) if !is_leaf => table = t,
            Item::Table(t) => {
                let Some(header) = t.span().filter(|_| !t.is_dotted()) else {
                    return Err(TomlError::Layout {
                        line,
                        column,
                        path: here.join("."),
                        how: if t.is_dotted() {
                            "with dotted keys"
                        } else {
                            "only through its sub-tables"
                        },
                    });
                };
                let mut end = header.end;
                extent(t, &mut end);
                let range = line_start(text, header.start)..line_end(text, end);
                // The body must be contiguous: no other table's header inside it.
                let mut ours = vec![header.start];
                headers(t, &mut ours);
                let mut all = Vec::new();
                headers(doc.as_table(), &mut all);
                if all.iter().any(|h| range.contains(h) && !ours.contains(h)) {
                    return Err(TomlError::Layout {
                        line,
                        column,
                        path: here.join("."),
                        how: "in parts spread across the file",
                    });
                }
                return Ok(Found::At { item, range });
            }
            Item::Value(toml_edit::Value::InlineTable(v)) if is_leaf => {
                let key_span = table.key(key).and_then(Key::span);
                let (Some(k), Some(v)) = (key_span, v.span()) else {
                    return Err(TomlError::Layout {
                        line,
                        column,
                        path: here.join("."),
                        how: "as a dotted key",
                    });
                };
                let range = line_start(text, k.start)..line_end(text, v.end);
                let others = &text[range.start..k.start];
                if !others.trim().is_empty() {
                    return Err(TomlError::Layout {
                        line,
                        column,
                        path: here.join("."),
                        how: "on a line with other keys",
                    });
                }
                return Ok(Found::At { item, range });
            }
            Item::Value(toml_edit::Value::InlineTable(_)) => {
                return Err(TomlError::Layout {
                    line,
                    column,
                    path: here.join("."),
                    how: "as an inline table",
                });
            }
            other => {
                return Err(TomlError::WrongType {
                    line,
                    column,
                    path: here.join("."),
                    found: kind(other),
                });
            }
        }
    }
    unreachable!("the loop returns at the leaf")
}

/// The furthest byte any part of `t` (keys, values, sub-tables) reaches.
fn extent(t: &Table, end: &mut usize) {
    if let Some(s) = t.span() {
        *end = (*end).max(s.end);
    }
    for (key, item) in t.iter() {
        if let Some(s) = t.key(key).and_then(Key::span) {
            *end = (*end).max(s.end);
        }
        match item {
            Item::Table(sub) => extent(sub, end),
            Item::ArrayOfTables(array) => array.iter().for_each(|sub| extent(sub, end)),
            Item::Value(v) => {
                if let Some(s) = v.span() {
                    *end = (*end).max(s.end);
                }
            }
            Item::None => {}
        }
    }
}

/// Where every `[table]` / `[[array]]` header at or below `t` starts.
fn headers(t: &Table, out: &mut Vec<usize>) {
    for (_, item) in t.iter() {
        match item {
            Item::Table(sub) => {
                // Implicit and dotted tables have no header of their own.
                if let Some(s) = sub
                    .span()
                    .filter(|_| !sub.is_implicit() && !sub.is_dotted())
                {
                    out.push(s.start);
                }
                headers(sub, out);
            }
            Item::ArrayOfTables(array) => {
                for sub in array.iter() {
                    if let Some(s) = sub.span() {
                        out.push(s.start);
                    }
                    headers(sub, out);
                }
            }
            _ => {}
        }
    }
}

fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "missing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => match v {
            toml_edit::Value::String(_) => "a string",
            toml_edit::Value::Integer(_) => "an integer",
            toml_edit::Value::Float(_) => "a float",
            toml_edit::Value::Boolean(_) => "a boolean",
            toml_edit::Value::Datetime(_) => "a date-time",
            toml_edit::Value::Array(_) => "an array",
            toml_edit::Value::InlineTable(_) => "an inline table",
        },
    }
}

/// The TOML item as a JSON value, to compare with what codeloop wants.
fn to_json(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(v) => value_json(v),
        Item::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.to_owned(), to_json(v))).collect())
        }
        Item::ArrayOfTables(a) => Value::Array(
            a.iter()
                .map(|t| Value::Object(t.iter().map(|(k, v)| (k.to_owned(), to_json(v))).collect()))
                .collect(),
        ),
    }
}

fn value_json(v: &toml_edit::Value) -> Value {
    match v {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::from(*i.value()),
        toml_edit::Value::Float(f) => Value::from(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(d) => Value::String(d.value().to_string()),
        toml_edit::Value::Array(a) => Value::Array(a.iter().map(value_json).collect()),
        toml_edit::Value::InlineTable(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.to_owned(), value_json(v)))
                .collect(),
        ),
    }
}

/// `[a.b]` and one `key = value` line per member, ending with `nl`.
fn render_table(path: &[&str], value: &Value, nl: &str) -> String {
    let header: Vec<String> = path
        .iter()
        .map(|k| Key::new(*k).display_repr().into_owned())
        .collect();
    let mut out = format!("[{}]{nl}", header.join("."));
    if let Value::Object(members) = value {
        for (k, v) in members {
            if let Some(v) = to_toml(v) {
                let key = Key::new(k.as_str()).display_repr().into_owned();
                out.push_str(&format!("{key} = {}{nl}", v.to_string().trim()));
            }
        }
    }
    out
}

fn to_toml(v: &Value) -> Option<toml_edit::Value> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut array: toml_edit::Array = items.iter().filter_map(to_toml).collect();
            array.fmt();
            toml_edit::Value::Array(array)
        }
        Value::Object(members) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in members {
                if let Some(v) = to_toml(v) {
                    table.insert(k, v);
                }
            }
            table.fmt();
            toml_edit::Value::InlineTable(table)
        }
    })
}

/// The edit must give back a valid document holding `value` at `path`.
fn check(out: &str, path: &[&str], value: &Value) -> Result<(), TomlError> {
    match get(out, path)? {
        Some(v) if v == *value => Ok(()),
        _ => Err(TomlError::Layout {
            line: 1,
            column: 1,
            path: path.join("."),
            how: "in a way codeloop cannot extend",
        }),
    }
}

fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// Where the line holding byte `at` starts; the first line starts past a byte order
/// mark, which is never part of a table's lines (nor counted as a column).
fn line_start(text: &str, at: usize) -> usize {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    text[..at].rfind('\n').map_or(bom.min(at), |i| i + 1)
}

/// Just past the newline ending the line that holds byte `at - 1` (or the end).
fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[line_start(text, offset)..].chars().count() + 1;
    (line, column)
}

/// Where a key lives while walking a path: in a header table (one `key = value` per
/// line) or inside an inline table (`{ a = 1, b = 2 }`).
#[derive(Clone, Copy)]
enum Holder<'d> {
    Table(&'d Table),
    Inline(&'d toml_edit::InlineTable),
}

/// What walking a path found: the holder of its last existing key, how deep the path
/// exists, and the leaf when all of it does.
struct Walk<'d> {
    holder: Holder<'d>,
    depth: usize,
    leaf: Option<&'d toml_edit::Value>,
}

/// Walks `path` through header tables and inline tables. A key that is a sub-table
/// header or an array of tables at the leaf, or a value in the middle, is refused.
fn walk<'d>(doc: &'d Document<&str>, text: &str, path: &[&str]) -> Result<Walk<'d>, TomlError> {
    let mut holder = Holder::Table(doc.as_table());
    for (depth, key) in path.iter().enumerate() {
        let here = &path[..=depth];
        let is_leaf = depth == path.len() - 1;
        let (value, key_at) = match holder {
            Holder::Table(t) => match t.get(key) {
                None => {
                    return Ok(Walk {
                        holder,
                        depth,
                        leaf: None,
                    });
                }
                Some(Item::Table(sub)) if !is_leaf => {
                    if sub.is_dotted() {
                        let at = t.key(key).and_then(Key::span).map_or(0, |s| s.start);
                        let (line, column) = line_col(text, at);
                        return Err(TomlError::Layout {
                            line,
                            column,
                            path: here.join("."),
                            how: "with dotted keys",
                        });
                    }
                    holder = Holder::Table(sub);
                    continue;
                }
                Some(Item::Value(v)) => (v, t.key(key).and_then(Key::span)),
                Some(other) => {
                    let at = other
                        .span()
                        .or_else(|| t.key(key).and_then(Key::span))
                        .map_or(0, |s| s.start);
                    let (line, column) = line_col(text, at);
                    return Err(TomlError::WrongType {
                        line,
                        column,
                        path: here.join("."),
                        found: kind(other),
                    });
                }
            },
            Holder::Inline(t) => match t.get(key) {
                None => {
                    return Ok(Walk {
                        holder,
                        depth,
                        leaf: None,
                    });
                }
                Some(v) => (v, t.key(key).and_then(Key::span)),
            },
        };
        if is_leaf {
            return Ok(Walk {
                holder,
                depth: path.len(),
                leaf: Some(value),
            });
        }
        match value {
            toml_edit::Value::InlineTable(inner) => holder = Holder::Inline(inner),
            other => {
                let at = other.span().or(key_at).map_or(0, |s| s.start);
                let (line, column) = line_col(text, at);
                return Err(TomlError::WrongType {
                    line,
                    column,
                    path: here.join("."),
                    found: kind(&Item::Value(other.clone())),
                });
            }
        }
    }
    unreachable!("the loop returns at the leaf")
}

fn layout(text: &str, at: usize, path: &[&str], how: &'static str) -> TomlError {
    let (line, column) = line_col(text, at);
    TomlError::Layout {
        line,
        column,
        path: path.join("."),
        how,
    }
}

/// `value` in TOML syntax, on one line (objects as inline tables).
fn render_value(value: &Value) -> String {
    to_toml(value).map_or_else(String::new, |v| v.to_string().trim().to_owned())
}

fn render_key(key: &str) -> String {
    Key::new(key).display_repr().into_owned()
}

/// `rest[0] = …` where the value nests `value` under `rest[1..]` as inline tables.
fn render_member(rest: &[&str], value: &Value) -> String {
    let mut nested = value.clone();
    for key in rest[1..].iter().rev() {
        let mut m = serde_json::Map::new();
        m.insert((*key).to_owned(), nested);
        nested = Value::Object(m);
    }
    format!("{} = {}", render_key(rest[0]), render_value(&nested))
}

/// Makes the value at `path` (inside a header table or inline tables) equal `value`,
/// replacing only that value's text, or inserting one `key = value` line or member.
/// Returns the text and how many tables along `path` it created (as inline tables);
/// `None` when it already holds `value`.
pub fn set_value(
    current: &str,
    path: &[&str],
    value: &Value,
) -> Result<Option<(String, usize)>, TomlError> {
    let doc = parse(current)?;
    let found = walk(&doc, current, path)?;
    if let Some(leaf) = found.leaf {
        if value_json(leaf) == *value {
            return Ok(None);
        }
        let span = leaf
            .span()
            .ok_or_else(|| layout(current, 0, path, "without a position"))?;
        let out = format!(
            "{}{}{}",
            &current[..span.start],
            render_value(value),
            &current[span.end..]
        );
        check(&out, path, value)?;
        return Ok(Some((out, 0)));
    }
    let rest = &path[found.depth..];
    let member = render_member(rest, value);
    let out = insert_member(current, found.holder, &path[..found.depth], &member)?;
    check(&out, path, value)?;
    Ok(Some((out, rest.len() - 1)))
}

/// Inserts `member` (`key = value`) into `holder`: a new line after the table's last
/// key (or its header), or a new member before an inline table's `}`.
fn insert_member(
    text: &str,
    holder: Holder,
    at: &[&str],
    member: &str,
) -> Result<String, TomlError> {
    match holder {
        Holder::Table(t) => {
            let Some(header) = t.span().filter(|_| !t.is_dotted() && !t.is_implicit()) else {
                return Err(layout(text, 0, at, "without a `[table]` header of its own"));
            };
            let mut end = header.end;
            for (key, item) in t.iter() {
                if let Item::Value(v) = item {
                    if let Some(s) = v.span() {
                        end = end.max(s.end);
                    }
                    if let Some(s) = t.key(key).and_then(Key::span) {
                        end = end.max(s.end);
                    }
                }
            }
            let nl = newline(text);
            let line_end = line_end(text, end);
            let mut out = String::with_capacity(text.len() + member.len() + 2);
            out.push_str(&text[..line_end]);
            if !out.ends_with('\n') {
                out.push_str(nl);
            }
            out.push_str(member);
            out.push_str(nl);
            if line_end == text.len() && !text.ends_with('\n') {
                // The file had no final newline: keep it that way.
                out.truncate(out.len() - nl.len());
            }
            out.push_str(&text[line_end..]);
            Ok(out)
        }
        Holder::Inline(t) => {
            let span = t
                .span()
                .ok_or_else(|| layout(text, 0, at, "without a position"))?;
            let last = t.iter().filter_map(|(_, v)| v.span()).map(|s| s.end).max();
            Ok(match last {
                Some(end) => format!("{}, {member}{}", &text[..end], &text[end..]),
                None => format!("{}{{ {member} }}{}", &text[..span.start], &text[span.end..]),
            })
        }
    }
}

/// Reverse of [`set_value`]: removes the key at `path` (its whole line in a header
/// table, or its member in an inline table), then up to `prune` inline tables on the
/// path that became empty. `None` when there is nothing to remove.
pub fn remove_value(
    current: &str,
    path: &[&str],
    prune: usize,
) -> Result<Option<String>, TomlError> {
    let doc = parse(current)?;
    let found = walk(&doc, current, path)?;
    let Some(leaf) = found.leaf else {
        return Ok(None);
    };
    let key = path[path.len() - 1];
    let value_span = leaf
        .span()
        .ok_or_else(|| layout(current, 0, path, "without a position"))?;
    let out = match found.holder {
        Holder::Table(t) => {
            let key_span = t
                .key(key)
                .and_then(Key::span)
                .ok_or_else(|| layout(current, value_span.start, path, "as a dotted key"))?;
            let start = line_start(current, key_span.start);
            let end = line_end(current, value_span.end);
            let before = &current[start..key_span.start];
            let after = current[value_span.end..end]
                .trim_end_matches(['\n', '\r'])
                .trim();
            if !before.trim().is_empty() || !(after.is_empty() || after.starts_with('#')) {
                return Err(layout(
                    current,
                    key_span.start,
                    path,
                    "on a line with other keys",
                ));
            }
            format!("{}{}", &current[..start], &current[end..])
        }
        Holder::Inline(t) => {
            let key_span = t
                .key(key)
                .and_then(Key::span)
                .ok_or_else(|| layout(current, value_span.start, path, "as a dotted key"))?;
            remove_listed(current, key_span.start, value_span.end)
        }
    };
    if prune == 0 || path.len() < 2 {
        return Ok(Some(out));
    }
    let parent = &path[..path.len() - 1];
    let empty = match get(&out, parent)? {
        Some(Value::Object(m)) => m.is_empty(),
        _ => false,
    };
    if empty {
        let doc = parse(&out)?;
        if walk(&doc, &out, parent)?.leaf.is_some() {
            return Ok(Some(remove_value(&out, parent, prune - 1)?.unwrap_or(out)));
        }
    }
    Ok(Some(out))
}

/// Removes the list element spanning `start..end` (an inline-table member or an array
/// item) with one separating comma: the one after it, else the one before it.
fn remove_listed(text: &str, start: usize, end: usize) -> String {
    let after = &text[end..];
    let trimmed = after.trim_start_matches([' ', '\t']);
    if let Some(rest) = trimmed.strip_prefix(',') {
        let rest_trim = rest.trim_start_matches([' ', '\t']);
        if !rest_trim.starts_with(['}', ']']) {
            let cut = text.len() - rest_trim.len();
            return format!("{}{}", &text[..start], &text[cut..]);
        }
    }
    let before = text[..start].trim_end_matches([' ', '\t']);
    match before.strip_suffix(',') {
        Some(head) => {
            let head = head.trim_end_matches([' ', '\t']);
            format!("{head}{}", &text[end..])
        }
        // The only element: `{ a = 1 }` becomes `{}`.
        None => {
            let open = before.len();
            let close = end + (after.len() - after.trim_start_matches([' ', '\t']).len());
            format!("{}{}", &text[..open], &text[close..])
        }
    }
}

/// Makes the array at `path` hold the string `item`, appending it (or creating the
/// array with it). Returns the text and how many containers it created, the array
/// included; `None` when it already holds it.
pub fn ensure_in_array(
    current: &str,
    path: &[&str],
    item: &str,
) -> Result<Option<(String, usize)>, TomlError> {
    let doc = parse(current)?;
    let found = walk(&doc, current, path)?;
    let Some(leaf) = found.leaf else {
        let wanted = Value::Array(vec![Value::String(item.to_owned())]);
        return Ok(set_value(current, path, &wanted)?.map(|(t, created)| (t, created + 1)));
    };
    let toml_edit::Value::Array(array) = leaf else {
        let at = leaf.span().map_or(0, |s| s.start);
        let (line, column) = line_col(current, at);
        return Err(TomlError::WrongType {
            line,
            column,
            path: path.join("."),
            found: kind(&Item::Value(leaf.clone())),
        });
    };
    if array.iter().any(|v| v.as_str() == Some(item)) {
        return Ok(None);
    }
    let span = array
        .span()
        .ok_or_else(|| layout(current, 0, path, "without a position"))?;
    let rendered = render_value(&Value::String(item.to_owned()));
    let last = array
        .iter()
        .filter_map(toml_edit::Value::span)
        .map(|s| s.end)
        .max();
    let out = match last {
        Some(end) => format!("{}, {rendered}{}", &current[..end], &current[end..]),
        None => format!(
            "{}[{rendered}]{}",
            &current[..span.start],
            &current[span.end..]
        ),
    };
    Ok(Some((out, 0)))
}

/// Reverse of [`ensure_in_array`]: removes `item` from the array at `path`, then the
/// array and up to `prune - 1` tables above it once empty.
pub fn remove_from_array(
    current: &str,
    path: &[&str],
    item: &str,
    prune: usize,
) -> Result<Option<String>, TomlError> {
    let doc = parse(current)?;
    let found = walk(&doc, current, path)?;
    let Some(toml_edit::Value::Array(array)) = found.leaf else {
        return Ok(None);
    };
    let Some(span) = array
        .iter()
        .find(|v| v.as_str() == Some(item))
        .and_then(toml_edit::Value::span)
    else {
        return Ok(None);
    };
    let out = remove_listed(current, span.start, span.end);
    let emptied = matches!(get(&out, path)?, Some(Value::Array(a)) if a.is_empty());
    if emptied && prune > 0 {
        return Ok(Some(remove_value(&out, path, prune - 1)?.unwrap_or(out)));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PATH: &[&str] = &["mcp_servers", "codeloop"];

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/codex")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn entry() -> Value {
        json!({
            "command": "npx",
            "args": ["-y", "codeloop-mcp-server"],
            "env": {"CODELOOP_API_KEY": "cl_live_TESTkey0123456789xyz"}
        })
    }

    /// set, then: valid, holds the entry, nothing else changed, second run a no-op, and
    /// the reverse gives back the original bytes.
    fn round_trip(original: &str) -> String {
        let out = set(Some(original), PATH, &entry()).unwrap().unwrap();
        assert!(
            out.starts_with(original.trim_end_matches('\n')),
            "outside bytes kept:\n{out}"
        );
        assert_eq!(get(&out, PATH).unwrap(), Some(entry()));
        assert_eq!(
            set(Some(&out), PATH, &entry()).unwrap(),
            None,
            "second run is a no-op"
        );
        let candidates = remove(&out, PATH).unwrap();
        assert!(
            candidates.contains(&original.to_owned()),
            "reverse restores bytes: {candidates:?}"
        );
        out
    }

    #[test]
    fn appends_the_table_to_a_commented_config_with_servers_and_profiles() {
        let original = fixture("config-commented-servers-profiles.toml");
        let out = round_trip(&original);
        assert_eq!(
            remove(&out, PATH).unwrap()[0],
            original,
            "the default reverse is exact"
        );
        assert!(out.ends_with(
            "\n\n[mcp_servers.codeloop]\ncommand = \"npx\"\nargs = [\"-y\", \"codeloop-mcp-server\"]\nenv = { CODELOOP_API_KEY = \"cl_live_TESTkey0123456789xyz\" }\n"
        ), "{out}");
    }

    #[test]
    fn creates_a_file_that_only_holds_the_table() {
        let out = set(None, PATH, &entry()).unwrap().unwrap();
        assert!(out.starts_with("[mcp_servers.codeloop]\n"));
        assert_eq!(remove(&out, PATH).unwrap()[0], "");
        round_trip("");
    }

    #[test]
    fn keeps_crlf_and_a_missing_final_newline() {
        let out = round_trip("# settings\r\nmodel = \"o3\"\r\n");
        assert!(out.contains("\r\n[mcp_servers.codeloop]\r\ncommand"));
        assert!(!out.replace("\r\n", "").contains('\n'));
        let out = round_trip("model = \"o3\"");
        assert_eq!(remove(&out, PATH).unwrap()[1], "model = \"o3\"");
    }

    #[test]
    fn replaces_a_stale_table_in_place_and_keeps_its_neighbours() {
        let original = "# top\n[mcp_servers.codeloop] # ours\ncommand = \"node\"\nargs = []\n# about the next one\n[mcp_servers.other]\ncommand = \"x\"\n";
        let out = set(Some(original), PATH, &entry()).unwrap().unwrap();
        assert!(
            out.starts_with("# top\n[mcp_servers.codeloop]\ncommand = \"npx\""),
            "{out}"
        );
        assert!(
            out.ends_with("}\n# about the next one\n[mcp_servers.other]\ncommand = \"x\"\n"),
            "{out}"
        );
        assert_eq!(set(Some(&out), PATH, &entry()).unwrap(), None);
    }

    #[test]
    fn an_equal_table_in_another_layout_is_left_alone() {
        let original = "[mcp_servers.codeloop]\nargs = [ \"-y\", 'codeloop-mcp-server' ]\ncommand = \"npx\"\n\n[mcp_servers.codeloop.env]\nCODELOOP_API_KEY = \"cl_live_TESTkey0123456789xyz\"\n";
        assert_eq!(set(Some(original), PATH, &entry()).unwrap(), None);
        let original = "[mcp_servers]\ncodeloop = { command = \"npx\", args = [\"-y\", \"codeloop-mcp-server\"], env = { CODELOOP_API_KEY = \"cl_live_TESTkey0123456789xyz\" } }\n";
        assert_eq!(set(Some(original), PATH, &entry()).unwrap(), None);
    }

    #[test]
    fn removes_a_table_with_sub_tables_and_an_inline_entry() {
        let original = "a = 1\n\n[mcp_servers.codeloop]\ncommand = \"npx\"\n[mcp_servers.codeloop.env]\nK = \"v\"\n\n[profiles.x]\nmodel = \"o3\"\n";
        assert_eq!(
            remove(original, PATH).unwrap()[0],
            "a = 1\n\n[profiles.x]\nmodel = \"o3\"\n"
        );
        let original =
            "[mcp_servers]\nother = { command = \"x\" }\ncodeloop = { command = \"npx\" } # ours\n";
        assert_eq!(
            remove(original, PATH).unwrap()[0],
            "[mcp_servers]\nother = { command = \"x\" }\n"
        );
        assert_eq!(remove("a = 1\n", PATH).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn invalid_toml_is_refused_with_its_position() {
        let text = fixture("invalid-unclosed-table-header.toml");
        let err = set(Some(&text), PATH, &entry()).unwrap_err();
        let TomlError::Syntax { line, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(line, 4, "{err}");
        assert!(err.to_string().starts_with("4:"), "{err}");
        assert!(remove(&text, PATH).is_err());
    }

    #[test]
    fn wrong_shapes_are_refused_not_rewritten() {
        let err = set(Some("mcp_servers = 3\n"), PATH, &entry()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1:15: `mcp_servers` is an integer, expected a table"
        );
        let err = set(Some("[[mcp_servers]]\nx = 1\n"), PATH, &entry()).unwrap_err();
        assert!(err.to_string().contains("an array of tables"), "{err}");
        let err = set(
            Some("mcp_servers = { other = { command = \"x\" } }\n"),
            PATH,
            &entry(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("inline table"), "{err}");
        let err = set(Some("[mcp_servers.codeloop]\ncommand = \"a\"\n[x]\n[mcp_servers.codeloop.env]\nK = \"v\"\n"), PATH, &entry()).unwrap_err();
        assert!(err.to_string().contains("spread across"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_stays_first_and_is_not_a_column() {
        let out = round_trip("\u{feff}model = \"o3\"\n");
        assert!(
            out.starts_with("\u{feff}model = \"o3\"\n\n[mcp_servers.codeloop]\n"),
            "{out:?}"
        );
        // A table on the first line: replacing or removing it keeps the mark.
        let text = "\u{feff}[mcp_servers.codeloop]\ncommand = \"node\"\n";
        assert_eq!(remove(text, PATH).unwrap()[0], "\u{feff}");
        let out = set(Some(text), PATH, &entry()).unwrap().unwrap();
        assert!(
            out.starts_with("\u{feff}[mcp_servers.codeloop]\ncommand = \"npx\"\n"),
            "{out:?}"
        );
        let err = set(Some("\u{feff}mcp_servers = 3\n"), PATH, &entry()).unwrap_err();
        assert!(err.to_string().starts_with("1:15: "), "{err}");
    }

    #[test]
    fn a_table_under_dotted_keys_is_appended_validly() {
        round_trip("mcp_servers.other.command = \"x\"\n");
    }
    const KEY_PATH: &[&str] = &["mcp_servers", "codeloop", "env", "CODELOOP_API_KEY"];

    #[test]
    fn set_value_replaces_only_the_value_text() {
        let original =
            "[mcp_servers.codeloop]\ncommand = 'node' # mine\nstartup_timeout_sec = 20\n";
        let (out, created) = set_value(
            original,
            &["mcp_servers", "codeloop", "command"],
            &json!("npx"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(created, 0);
        assert_eq!(
            out,
            "[mcp_servers.codeloop]\ncommand = \"npx\" # mine\nstartup_timeout_sec = 20\n"
        );
        assert_eq!(
            set_value(&out, &["mcp_servers", "codeloop", "command"], &json!("npx")).unwrap(),
            None
        );
    }

    #[test]
    fn set_value_inserts_into_the_table_before_its_sub_tables_and_reverses_exactly() {
        let original = "[mcp_servers.codeloop]\ncommand = \"npx\"\n\n[mcp_servers.codeloop.tools.search]\napproval = \"never\"\n";
        let (out, created) = set_value(original, KEY_PATH, &json!("cl_live_abcdefgh"))
            .unwrap()
            .unwrap();
        assert_eq!(created, 1, "the env table is new");
        assert_eq!(
            out,
            "[mcp_servers.codeloop]\ncommand = \"npx\"\nenv = { CODELOOP_API_KEY = \"cl_live_abcdefgh\" }\n\n[mcp_servers.codeloop.tools.search]\napproval = \"never\"\n"
        );
        assert_eq!(
            remove_value(&out, KEY_PATH, created).unwrap().unwrap(),
            original
        );
    }

    #[test]
    fn set_value_adds_a_member_to_an_inline_env_and_keeps_the_others() {
        let original = "[mcp_servers.codeloop]\nenv = { OTHER = \"x\" }";
        let (out, created) = set_value(original, KEY_PATH, &json!("k")).unwrap().unwrap();
        assert_eq!(created, 0);
        assert_eq!(
            out,
            "[mcp_servers.codeloop]\nenv = { OTHER = \"x\", CODELOOP_API_KEY = \"k\" }"
        );
        assert_eq!(remove_value(&out, KEY_PATH, 0).unwrap().unwrap(), original);
        // First of several, and the only one.
        let text = "[t]\nenv = { CODELOOP_API_KEY = \"k\", OTHER = \"x\" }\n";
        assert_eq!(
            remove_value(text, &["t", "env", "CODELOOP_API_KEY"], 0)
                .unwrap()
                .unwrap(),
            "[t]\nenv = { OTHER = \"x\" }\n"
        );
        let text = "[t]\nenv = { CODELOOP_API_KEY = \"k\" }\n";
        assert_eq!(
            remove_value(text, &["t", "env", "CODELOOP_API_KEY"], 0)
                .unwrap()
                .unwrap(),
            "[t]\nenv = {}\n"
        );
        assert_eq!(
            remove_value(text, &["t", "env", "CODELOOP_API_KEY"], 1)
                .unwrap()
                .unwrap(),
            "[t]\n"
        );
    }

    #[test]
    fn set_value_reaches_into_an_env_sub_table() {
        let original = "[mcp_servers.codeloop]\ncommand = \"npx\"\n[mcp_servers.codeloop.env]\nOTHER = \"x\"\n";
        let (out, _) = set_value(original, KEY_PATH, &json!("k")).unwrap().unwrap();
        assert_eq!(out, format!("{original}CODELOOP_API_KEY = \"k\"\n"));
        assert_eq!(remove_value(&out, KEY_PATH, 0).unwrap().unwrap(), original);
    }

    #[test]
    fn array_items_are_added_and_removed_exactly() {
        let path = &["mcp_servers", "codeloop", "env_vars"];
        let original = "[mcp_servers.codeloop]\ncommand = \"npx\"\n";
        let (out, created) = ensure_in_array(original, path, "CODELOOP_API_KEY")
            .unwrap()
            .unwrap();
        assert_eq!(created, 1);
        assert_eq!(
            out,
            format!("{original}env_vars = [\"CODELOOP_API_KEY\"]\n")
        );
        assert_eq!(
            ensure_in_array(&out, path, "CODELOOP_API_KEY").unwrap(),
            None
        );
        assert_eq!(
            remove_from_array(&out, path, "CODELOOP_API_KEY", created)
                .unwrap()
                .unwrap(),
            original
        );
        let theirs = "[mcp_servers.codeloop]\nenv_vars = [\"HOME\"]\n";
        let (out, created) = ensure_in_array(theirs, path, "CODELOOP_API_KEY")
            .unwrap()
            .unwrap();
        assert_eq!(
            (out.as_str(), created),
            (
                "[mcp_servers.codeloop]\nenv_vars = [\"HOME\", \"CODELOOP_API_KEY\"]\n",
                0
            )
        );
        assert_eq!(
            remove_from_array(&out, path, "CODELOOP_API_KEY", 0)
                .unwrap()
                .unwrap(),
            theirs
        );
    }

    #[test]
    fn a_key_sharing_its_line_is_refused_for_removal() {
        let text = "[t]\na = 1\n";
        assert_eq!(
            remove_value(text, &["t", "a"], 0).unwrap().unwrap(),
            "[t]\n"
        );
        assert_eq!(remove_value(text, &["t", "b"], 0).unwrap(), None);
    }
}
