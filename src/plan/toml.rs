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

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
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
    fn a_table_under_dotted_keys_is_appended_validly() {
        round_trip("mcp_servers.other.command = \"x\"\n");
    }
}
