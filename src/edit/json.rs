//! Pure JSONC editors: put one value at a path, make an array hold one string, and the
//! exact reverse of each. Edits are splices into the original text, written in the
//! file's own indentation and newline style; every other byte stays as it was.
//! Nothing here touches the file system.

use serde_json::Value;
use thiserror::Error;

use super::jsonc::{self, Container, Doc, Item, Kind, Span};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum JsonError {
    #[error("{line}:{column}: invalid JSON: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: &'static str,
    },
    #[error("{line}:{column}: `{path}` is {found}, expected {expected}")]
    WrongType {
        line: usize,
        column: usize,
        path: String,
        found: &'static str,
        expected: &'static str,
    },
    #[error(
        "{line}:{column}: {what}, which this client cannot read (it reads {reads}); remove it and run again"
    )]
    NotStrict {
        line: usize,
        column: usize,
        what: &'static str,
        /// What the client's reader accepts (`strict JSON`).
        reads: &'static str,
    },
    #[error("{line}:{column}: `{path}` appears more than once; remove the duplicate")]
    Duplicate {
        line: usize,
        column: usize,
        path: String,
    },
}

/// The result of a forward edit: the new text and how many levels of the path did not
/// exist before (the reverse edit prunes exactly those once they are empty again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    pub created: usize,
}

/// Makes `path` hold `value`, replacing whatever is there. `None` when it already does
/// (compared as JSON values, so formatting the user chose is never churned).
pub fn set(
    current: Option<&str>,
    path: &[&str],
    value: &Value,
) -> Result<Option<Edited>, JsonError> {
    assert!(!path.is_empty(), "set needs a path");
    let leaf = Leaf::Value(value);
    edit(current.unwrap_or(""), path, &leaf)
}

/// Makes the array at `path` contain the string `item`, appending it if missing.
pub fn ensure_in_array(
    current: Option<&str>,
    path: &[&str],
    item: &str,
) -> Result<Option<Edited>, JsonError> {
    assert!(!path.is_empty(), "ensure_in_array needs a path");
    edit(current.unwrap_or(""), path, &Leaf::ArrayItem(item))
}

/// Reverse of [`set`]: removes the member at `path`, then the `prune` innermost
/// ancestors that became empty. `None` when there is nothing to remove.
pub fn remove(current: &str, path: &[&str], prune: usize) -> Result<Option<String>, JsonError> {
    let doc = parse(current, path)?;
    let Some((parent, index)) = locate(&doc, path)? else {
        return Ok(None);
    };
    let text = remove_item(current, &doc.container(parent), index);
    prune_empty(text, &path[..path.len() - 1], prune).map(Some)
}

/// Reverse of [`ensure_in_array`]: removes every `item` string from the array at
/// `path`, then prunes ancestors like [`remove`].
pub fn remove_from_array(
    current: &str,
    path: &[&str],
    item: &str,
    prune: usize,
) -> Result<Option<String>, JsonError> {
    let doc = parse(current, path)?;
    let Some(span) = find_value(&doc, path)? else {
        return Ok(None);
    };
    expect_kind(&doc, span, path, Kind::Array)?;
    let array = doc.container(span);
    let Some(index) = array
        .items
        .iter()
        .position(|it| doc.value(it.value) == Value::String(item.to_owned()))
    else {
        return Ok(None);
    };
    let text = remove_item(current, &array, index);
    // Arrays are pruned like objects: an emptied array we created goes too.
    let text = prune_empty(text, path, prune)?;
    // Remove further duplicates, if the user had added the item again.
    Ok(Some(
        remove_from_array(&text, path, item, 0)?.unwrap_or(text),
    ))
}

/// The value at `path`, if present (for doctor-style reads and tests).
pub fn get(current: &str, path: &[&str]) -> Result<Option<Value>, JsonError> {
    let doc = parse(current, path)?;
    Ok(find_value(&doc, path)?.map(|span| doc.value(span)))
}

/// What a client's JSON reader refuses of what JSONC allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Comments, trailing commas and a byte order mark are all fine.
    Jsonc,
    /// Comments and a byte order mark are fine, a trailing comma is not (a reader
    /// that strips comments, then calls `JSON.parse`).
    NoTrailingCommas,
    /// Strict JSON: none of them.
    Strict,
}

/// [`get`] for a file `reader` loads: what it refuses (for strict JSON a comment, a
/// trailing comma or a byte order mark) is an error naming where it is, found in the
/// same pass.
pub fn get_for(current: &str, path: &[&str], reader: Reader) -> Result<Option<Value>, JsonError> {
    let doc = parse(current, path)?;
    let refused = match reader {
        Reader::Jsonc => None,
        Reader::NoTrailingCommas => doc.trailing_comma.map(|at| {
            (
                at,
                "a trailing comma",
                "JSON with comments but no trailing commas",
            )
        }),
        Reader::Strict => doc.lenient.map(|(at, what)| (at, what, "strict JSON")),
    };
    if let Some((at, what, reads)) = refused {
        let (line, column) = jsonc::line_col(current, at);
        return Err(JsonError::NotStrict {
            line,
            column,
            what,
            reads,
        });
    }
    Ok(find_value(&doc, path)?.map(|span| doc.value(span)))
}

/// How far `path` exists in one parse: the number of its keys present, and the value
/// at its end when all are. `None` for a document without a top-level value.
pub fn reach(current: &str, path: &[&str]) -> Result<Option<(usize, Option<Value>)>, JsonError> {
    let doc = parse(current, path)?;
    Ok(walk(&doc, path)?.map(|(depth, span)| {
        let leaf = (depth == path.len()).then(|| doc.value(span));
        (depth, leaf)
    }))
}

enum Leaf<'a> {
    Value(&'a Value),
    ArrayItem(&'a str),
}

impl Leaf<'_> {
    /// Whether the leaf itself is a container the edit may create (the array).
    fn is_container(&self) -> bool {
        matches!(self, Leaf::ArrayItem(_))
    }
}

/// Validates `text`, collecting the objects along `path` on the way (the one pass a
/// big file gets).
fn parse<'a>(text: &'a str, path: &[&str]) -> Result<Doc<'a>, JsonError> {
    jsonc::parse_along(text, path).map_err(|e| {
        let (line, column) = jsonc::line_col(text, e.offset);
        JsonError::Syntax {
            line,
            column,
            message: e.message,
        }
    })
}

fn edit(text: &str, path: &[&str], leaf: &Leaf) -> Result<Option<Edited>, JsonError> {
    let doc = parse(text, path)?;
    let style = Style::detect(text);
    let Some(root) = doc.root else {
        // Empty, or only comments: keep what is there and add the document after it.
        let value = nest(path, leaf);
        let mut out = String::with_capacity(text.len() + 256);
        if text.trim_start_matches('\u{feff}').trim().is_empty() {
            // Only whitespace: the document goes first and the whitespace stays after
            // it, so the reverse (which takes the root and its line break) gives it back.
            let bom = jsonc::bom_len(text);
            out.push_str(&text[..bom]);
            out.push_str(&style.render(&value, ""));
            out.push_str(style.nl);
            out.push_str(&text[bom..]);
            return Ok(Some(Edited {
                text: out,
                created: path.len() + leaf.is_container() as usize,
            }));
        } else if text.ends_with('\n') {
            out.push_str(text);
        } else {
            // Comments without a final newline: break the line before the document
            // and leave the file ending without one, as it did, so the reverse (which
            // then takes the break before the root) restores it exactly.
            // After a lone `\r` the break is `\r\n`, so the reverse cannot mistake the
            // user's `\r` for half of ours.
            out.push_str(text);
            out.push_str(if text.ends_with('\r') {
                "\r\n"
            } else {
                style.nl
            });
            out.push_str(&style.render(&value, ""));
            return Ok(Some(Edited {
                text: out,
                created: path.len() + leaf.is_container() as usize,
            }));
        }
        out.push_str(&style.render(&value, ""));
        out.push_str(style.nl);
        return Ok(Some(Edited {
            text: out,
            created: path.len() + leaf.is_container() as usize,
        }));
    };
    expect_kind(&doc, root, &[], Kind::Object)?;
    let mut current = root;
    for (depth, key) in path.iter().enumerate() {
        let container = doc.container(current);
        let found = find_member(&doc, &container, key, &path[..=depth])?;
        let is_leaf = depth == path.len() - 1;
        let Some(item) = found else {
            // Missing from here down: insert one member holding the rest of the path.
            let value = nest(&path[depth + 1..], leaf);
            let member = Member::Keyed(key, &value);
            let out = insert_item(text, &container, &member, &style);
            return Ok(Some(Edited {
                text: out,
                created: path.len() - 1 - depth + leaf.is_container() as usize,
            }));
        };
        if is_leaf {
            return match leaf {
                Leaf::Value(value) => {
                    if doc.value(item.value) == **value {
                        Ok(None)
                    } else {
                        let out = replace_value(text, item, value, &style);
                        Ok(Some(Edited {
                            text: out,
                            created: 0,
                        }))
                    }
                }
                Leaf::ArrayItem(s) => {
                    expect_kind(&doc, item.value, path, Kind::Array)?;
                    let array = doc.container(item.value);
                    let wanted = Value::String((*s).to_owned());
                    if array.items.iter().any(|it| doc.value(it.value) == wanted) {
                        return Ok(None);
                    }
                    let out = insert_item(text, &array, &Member::Element(&wanted), &style);
                    Ok(Some(Edited {
                        text: out,
                        created: 0,
                    }))
                }
            };
        }
        expect_kind(&doc, item.value, &path[..=depth], Kind::Object)?;
        current = item.value;
    }
    unreachable!("the loop returns at the leaf")
}

/// The value the missing tail of a path must hold.
fn nest(rest: &[&str], leaf: &Leaf) -> Value {
    let mut value = match leaf {
        Leaf::Value(v) => (*v).clone(),
        Leaf::ArrayItem(s) => Value::Array(vec![Value::String((*s).to_owned())]),
    };
    for key in rest.iter().rev() {
        let mut map = serde_json::Map::new();
        map.insert((*key).to_owned(), value);
        value = Value::Object(map);
    }
    value
}

fn find_member<'c>(
    doc: &Doc,
    container: &'c Container,
    key: &str,
    path: &[&str],
) -> Result<Option<&'c Item>, JsonError> {
    let mut hits = container
        .items
        .iter()
        .filter(|it| it.key.as_deref() == Some(key));
    let first = hits.next();
    if let Some(second) = hits.next() {
        let (line, column) = doc.line_col(second.start);
        return Err(JsonError::Duplicate {
            line,
            column,
            path: dotted(path),
        });
    }
    Ok(first)
}

/// Walks `path`; `Ok(None)` when some part of it is missing.
fn find_value(doc: &Doc, path: &[&str]) -> Result<Option<Span>, JsonError> {
    Ok(walk(doc, path)?.and_then(|(depth, span)| (depth == path.len()).then_some(span)))
}

/// Follows `path` as far as it exists: how many keys were found, and the value the
/// last of them holds (the root when none). `None` without a top-level value.
fn walk(doc: &Doc, path: &[&str]) -> Result<Option<(usize, Span)>, JsonError> {
    let Some(mut current) = doc.root else {
        return Ok(None);
    };
    expect_kind(doc, current, &[], Kind::Object)?;
    for (depth, key) in path.iter().enumerate() {
        if depth > 0 {
            expect_kind(doc, current, &path[..depth], Kind::Object)?;
        }
        let container = doc.container(current);
        match find_member(doc, &container, key, &path[..=depth])? {
            Some(item) => current = item.value,
            None => return Ok(Some((depth, current))),
        }
    }
    Ok(Some((path.len(), current)))
}

/// The object holding the last key of `path` and that member's index.
fn locate(doc: &Doc, path: &[&str]) -> Result<Option<(Span, usize)>, JsonError> {
    let parent = match path.len() {
        1 => match doc.root {
            Some(root) => {
                expect_kind(doc, root, &[], Kind::Object)?;
                root
            }
            None => return Ok(None),
        },
        n => match find_value(doc, &path[..n - 1])? {
            Some(span) => {
                expect_kind(doc, span, &path[..n - 1], Kind::Object)?;
                span
            }
            None => return Ok(None),
        },
    };
    let container = doc.container(parent);
    let key = path[path.len() - 1];
    let found = find_member(doc, &container, key, path)?;
    Ok(found.map(|item| {
        let index = container
            .items
            .iter()
            .position(|it| it.start == item.start)
            .expect("found among its own items");
        (parent, index)
    }))
}

fn expect_kind(doc: &Doc, span: Span, path: &[&str], want: Kind) -> Result<(), JsonError> {
    let found = doc.kind(span);
    if found == want {
        return Ok(());
    }
    let (line, column) = doc.line_col(span.start);
    Err(JsonError::WrongType {
        line,
        column,
        path: if path.is_empty() {
            "the top level".to_owned()
        } else {
            dotted(path)
        },
        found: found.describe(),
        expected: want.describe(),
    })
}

fn dotted(path: &[&str]) -> String {
    path.join(".")
}

/// After removing a member, removes up to `prune` now-empty containers along `path`,
/// innermost first.
fn prune_empty(mut text: String, path: &[&str], prune: usize) -> Result<String, JsonError> {
    let mut path = path;
    for _ in 0..prune {
        if path.is_empty() {
            // The whole document was ours: it goes back to empty.
            let doc = parse(&text, path)?;
            if let Some(root) = doc.root
                && doc.container(root).items.is_empty()
            {
                let (mut start, mut end) = (root.start, root.end);
                if text[end..].starts_with("\r\n") {
                    end += 2;
                } else if text[end..].starts_with('\n') {
                    end += 1;
                } else if end == text.len() {
                    // The document ended the file: the line break before it was ours.
                    if text[..start].ends_with("\r\n") {
                        start -= 2;
                    } else if text[..start].ends_with('\n') {
                        start -= 1;
                    }
                }
                text.replace_range(start..end, "");
            }
            break;
        }
        let doc = parse(&text, path)?;
        let Some(span) = find_value(&doc, path)? else {
            break;
        };
        if !matches!(doc.kind(span), Kind::Object | Kind::Array)
            || !doc.container(span).items.is_empty()
        {
            break;
        }
        let Some((parent, index)) = locate(&doc, path)? else {
            break;
        };
        text = remove_item(&text, &doc.container(parent), index);
        path = &path[..path.len() - 1];
    }
    Ok(text)
}

/// The file's newline and indentation unit, so inserted text looks like its neighbours.
#[derive(Debug, Clone)]
pub struct Style {
    pub nl: &'static str,
    pub unit: String,
}

impl Style {
    pub fn detect(text: &str) -> Style {
        let nl = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        let unit = text
            .lines()
            .take(1000)
            .map(|line| &line[..line.len() - line.trim_start_matches([' ', '\t']).len()])
            .find(|indent| !indent.is_empty())
            .map(|indent| {
                if indent.starts_with('\t') {
                    "\t".to_owned()
                } else {
                    " ".repeat(indent.len().min(8))
                }
            })
            .unwrap_or_else(|| "  ".to_owned());
        Style { nl, unit }
    }

    /// Pretty-prints `value` as it would sit on a line indented by `indent`.
    pub fn render(&self, value: &Value, indent: &str) -> String {
        let mut out = String::new();
        self.write(&mut out, value, indent);
        out
    }

    fn write(&self, out: &mut String, value: &Value, indent: &str) {
        let inner = format!("{indent}{}", self.unit);
        match value {
            Value::Object(map) if !map.is_empty() => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(self.nl);
                    out.push_str(&inner);
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push_str(": ");
                    self.write(out, v, &inner);
                }
                out.push_str(self.nl);
                out.push_str(indent);
                out.push('}');
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(self.nl);
                    out.push_str(&inner);
                    self.write(out, v, &inner);
                }
                out.push_str(self.nl);
                out.push_str(indent);
                out.push(']');
            }
            other => out.push_str(&compact(other)),
        }
    }
}

/// One-line rendering with a space after `:` and `,`, for one-line containers.
fn compact(value: &Value) -> String {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), compact(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(items) if !items.is_empty() => {
            let parts: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

enum Member<'a> {
    Keyed(&'a str, &'a Value),
    Element(&'a Value),
}

impl Member<'_> {
    fn text(&self, style: &Style, indent: &str, one_line: bool) -> String {
        let (prefix, value) = match self {
            Member::Keyed(key, value) => {
                (format!("{}: ", Value::String((*key).to_owned())), *value)
            }
            Member::Element(value) => (String::new(), *value),
        };
        let rendered = if one_line {
            compact(value)
        } else {
            style.render(value, indent)
        };
        format!("{prefix}{rendered}")
    }
}

/// Indentation of the line holding `offset`, if only whitespace precedes it there.
fn own_line_indent(text: &str, offset: usize) -> Option<&str> {
    let start = line_start(text, offset);
    let before = &text[start..offset];
    before
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(before)
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Leading whitespace of the line holding `offset`.
fn line_indent(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn has_newline(s: &str) -> bool {
    s.contains('\n')
}

fn insert_item(text: &str, c: &Container, member: &Member, style: &Style) -> String {
    let mut out = String::with_capacity(text.len() + 512);
    let Some(last) = c.items.last() else {
        let interior = &text[c.open + 1..c.close];
        let outer = line_indent(text, c.open);
        let inner = format!("{outer}{}", style.unit);
        out.push_str(&text[..=c.open]);
        if interior.trim().is_empty() {
            // `{}` (or only whitespace, which stays before the member so the reverse
            // can give it back): the usual pretty layout.
            out.push_str(interior);
            out.push_str(style.nl);
            out.push_str(&inner);
            out.push_str(&member.text(style, &inner, false));
            out.push_str(style.nl);
            out.push_str(outer);
            out.push_str(&text[c.close..]);
        } else {
            // Only comments inside: put the member first and keep them after it.
            out.push_str(style.nl);
            out.push_str(&inner);
            out.push_str(&member.text(style, &inner, false));
            out.push_str(&text[c.open + 1..]);
        }
        return out;
    };
    let after_last = last.comma.map_or(last.value.end, |c| c + 1);
    let one_line = !has_newline(&text[c.open..c.close]);
    if one_line {
        // `{"a": 1}` stays on one line: `{"a": 1, "codeloop": {…}}`.
        let (at, insert) = match last.comma {
            None => (
                last.value.end,
                format!(", {}", member.text(style, "", true)),
            ),
            Some(comma) => (comma + 1, format!(" {},", member.text(style, "", true))),
        };
        out.push_str(&text[..at]);
        out.push_str(&insert);
        out.push_str(&text[at..]);
        return out;
    }
    let indent = own_line_indent(text, last.start)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}{}", line_indent(text, c.open), style.unit));
    let at = end_of_line_trivia(text, after_last, c.close).unwrap_or(after_last);
    let mut item = String::new();
    item.push_str(style.nl);
    item.push_str(&indent);
    item.push_str(&member.text(style, &indent, false));
    if last.comma.is_some() {
        // The file uses trailing commas: so does the new last item.
        item.push(',');
    }
    if last.comma.is_none() {
        out.push_str(&text[..last.value.end]);
        out.push(',');
        out.push_str(&text[last.value.end..at]);
    } else {
        out.push_str(&text[..at]);
    }
    out.push_str(&item);
    out.push_str(&text[at..]);
    out
}

/// From `from`, skips spaces, tabs and comments that end on the same line; returns the
/// offset of the line break, or `None` when something else comes first.
fn end_of_line_trivia(text: &str, from: usize, limit: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = from;
    while i < limit {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'\r' if b.get(i + 1) == Some(&b'\n') => return Some(i),
            b'\n' => return Some(i),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                return Some(if end > 0 && b[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                });
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let close = text[i + 2..].find("*/")? + i + 2;
                if has_newline(&text[i..close]) {
                    return None;
                }
                i = close + 2;
            }
            _ => return None,
        }
    }
    None
}

fn replace_value(text: &str, item: &Item, value: &Value, style: &Style) -> String {
    let old = &text[item.value.start..item.value.end];
    let is_scalar = !matches!(old.as_bytes()[0], b'{' | b'[');
    let own_line = own_line_indent(text, item.start);
    // Keep a one-line entry on one line; a multi-line one (or a scalar on its own
    // line) becomes the usual pretty layout at the entry's indentation.
    let rendered = match own_line {
        Some(indent) if has_newline(old) || is_scalar => style.render(value, indent),
        None if has_newline(old) => style.render(value, line_indent(text, item.start)),
        _ => compact(value),
    };
    let mut out = String::with_capacity(text.len() + rendered.len());
    out.push_str(&text[..item.value.start]);
    out.push_str(&rendered);
    out.push_str(&text[item.value.end..]);
    out
}

/// Removes item `index` of `c` and the punctuation and line that only it needed.
/// For the last item this is the exact inverse of [`insert_item`].
fn remove_item(text: &str, c: &Container, index: usize) -> String {
    let item = &c.items[index];
    let item_end = item.comma.map_or(item.value.end, |comma| comma + 1);
    let mut cut_start;
    let mut cut_end;
    let mut extra_comma = None;
    if c.items.len() == 1 {
        let rest_after = &text[item_end..c.close];
        let rest_before = &text[c.open + 1..item.start];
        if rest_after.trim().is_empty() && rest_before.trim().is_empty() {
            // Back to `{}`, or to the whitespace that was inside it: what precedes the
            // line break [`insert_item`] put before the member (in the style of the
            // break after it, so a lone `\r` of the user's is not taken for ours).
            cut_start = c.open + 1;
            cut_end = c.close;
            let nl = if rest_after.starts_with("\r\n") {
                Some("\r\n")
            } else if rest_after.starts_with('\n') {
                Some("\n")
            } else {
                None
            };
            if let (Some(nl), Some(indent)) = (nl, own_line_indent(text, item.start)) {
                let line = item.start - indent.len();
                if line >= c.open + 1 + nl.len() && text[..line].ends_with(nl) {
                    cut_start = line - nl.len();
                }
            }
        } else if rest_before.trim().is_empty() && !has_newline(&text[c.open..c.close]) {
            cut_start = c.open + 1;
            cut_end = item_end;
        } else {
            cut_start = newline_before(text, item.start).unwrap_or(item.start);
            cut_start = cut_start.max(c.open + 1);
            cut_end = item_end;
        }
    } else if index == c.items.len() - 1 {
        let prev = &c.items[index - 1];
        let one_line = !has_newline(&text[c.open..c.close]);
        if one_line {
            match (prev.comma, item.comma) {
                // `{"a": 1, "x": 2}` → `{"a": 1}`
                (Some(pc), None) => {
                    cut_start = pc;
                    cut_end = item.value.end;
                }
                // `{"a": 1, "x": 2,}` → `{"a": 1,}`
                (Some(pc), Some(_)) => {
                    cut_start = pc + 1;
                    cut_end = item_end;
                }
                (None, _) => unreachable!("items are separated by commas"),
            }
        } else {
            cut_start = newline_before(text, item.start)
                .filter(|&n| n > prev.value.end)
                .unwrap_or(item.start);
            cut_end = item_end;
            if item.comma.is_none() {
                extra_comma = prev.comma;
            }
        }
    } else {
        // Not last: drop its whole line when it has one, else just it and its comma.
        match own_line_indent(text, item.start) {
            Some(indent) => {
                cut_start = item.start - indent.len();
                cut_end = item_end;
                let rest = &text[cut_end..];
                let trimmed = rest.trim_start_matches([' ', '\t']);
                if trimmed.starts_with("\r\n") {
                    cut_end += rest.len() - trimmed.len() + 2;
                } else if trimmed.starts_with('\n') {
                    cut_end += rest.len() - trimmed.len() + 1;
                }
            }
            None => {
                cut_start = item.start;
                cut_end = item_end;
                let rest = &text[cut_end..];
                cut_end += rest.len() - rest.trim_start_matches([' ', '\t']).len();
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    match extra_comma {
        Some(comma) => {
            out.push_str(&text[..comma]);
            out.push_str(&text[comma + 1..cut_start]);
        }
        None => out.push_str(&text[..cut_start]),
    }
    out.push_str(&text[cut_end..]);
    out
}

/// Offset of the line break (`\n` or `\r\n`) that ends the line before `offset`'s line,
/// when only whitespace precedes `offset` on its line.
fn newline_before(text: &str, offset: usize) -> Option<usize> {
    own_line_indent(text, offset)?;
    let start = line_start(text, offset);
    if start == 0 {
        return None;
    }
    let nl = start - 1;
    Some(if nl > 0 && text.as_bytes()[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PATH: &[&str] = &["mcpServers", "codeloop"];

    #[test]
    fn each_reader_refuses_what_it_cannot_load() {
        let commented = "{\n  // mine\n  \"mcpServers\": {}\n}\n";
        let trailing = "{\n  // mine\n  \"mcpServers\": {},\n}\n";
        assert_eq!(get_for(trailing, PATH, Reader::Jsonc), Ok(None));
        assert_eq!(get_for(commented, PATH, Reader::NoTrailingCommas), Ok(None));
        let refused = get_for(trailing, PATH, Reader::NoTrailingCommas).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "3:19: a trailing comma, which this client cannot read (it reads JSON with comments but no trailing commas); remove it and run again"
        );
        let strict = get_for(commented, PATH, Reader::Strict).unwrap_err();
        assert!(
            strict.to_string().starts_with("2:3: a comment,"),
            "{strict}"
        );
    }

    fn entry() -> Value {
        json!({"command": "npx", "args": ["-y", "codeloop-mcp-server"], "env": {"CODELOOP_API_KEY": "cl_live_NEWKEY000"}})
    }

    /// Sets the entry, checks the second run is a no-op and the reverse edit restores
    /// the original bytes, and returns the edited text.
    fn set_roundtrip(original: Option<&str>) -> String {
        let edited = set(original, PATH, &entry()).unwrap().expect("an edit");
        assert_eq!(
            set(Some(&edited.text), PATH, &entry()).unwrap(),
            None,
            "second run changes nothing"
        );
        let back = remove(&edited.text, PATH, edited.created)
            .unwrap()
            .expect("a removal");
        assert_eq!(
            back,
            original.unwrap_or(""),
            "reverse restores the original bytes"
        );
        assert_eq!(get(&edited.text, PATH).unwrap(), Some(entry()));
        edited.text
    }

    #[test]
    fn creates_a_fresh_file_in_two_space_style() {
        assert_eq!(
            set_roundtrip(None),
            "{\n  \"mcpServers\": {\n    \"codeloop\": {\n      \"command\": \"npx\",\n      \"args\": [\n        \"-y\",\n        \"codeloop-mcp-server\"\n      ],\n      \"env\": {\n        \"CODELOOP_API_KEY\": \"cl_live_NEWKEY000\"\n      }\n    }\n  }\n}\n"
        );
    }

    #[test]
    fn adds_beside_other_servers_keeping_comments_and_trailing_commas() {
        let original = "{\n  // my servers\n  \"mcpServers\": {\n    \"github\": { \"command\": \"gh\" }, // the GitHub one\n  },\n  /* theme */ \"x\": 1,\n}\n";
        let out = set_roundtrip(Some(original));
        assert!(out.starts_with("{\n  // my servers\n  \"mcpServers\": {\n    \"github\": { \"command\": \"gh\" }, // the GitHub one\n    \"codeloop\": {\n      \"command\": \"npx\","), "{out}");
        assert!(
            out.ends_with("      }\n    },\n  },\n  /* theme */ \"x\": 1,\n}\n"),
            "{out}"
        );
    }

    #[test]
    fn follows_tabs_and_crlf() {
        let original = "{\r\n\t\"mcpServers\": {\r\n\t\t\"a\": {}\r\n\t}\r\n}";
        let out = set_roundtrip(Some(original));
        assert!(
            out.contains(
                "\t\t\"a\": {},\r\n\t\t\"codeloop\": {\r\n\t\t\t\"command\": \"npx\",\r\n"
            ),
            "{out:?}"
        );
        assert!(
            !out.replace("\r\n", "").contains('\n'),
            "only CRLF line ends"
        );
        assert!(out.ends_with("\t}\r\n}"), "no trailing newline added");
    }

    #[test]
    fn keeps_a_bom_and_a_missing_final_newline() {
        let out = set_roundtrip(Some("\u{feff}{\"mcpServers\": {}}"));
        assert!(out.starts_with("\u{feff}{\"mcpServers\": {\n"), "{out:?}");
        assert!(out.ends_with("}}") || out.ends_with('}'));
        set_roundtrip(Some("\u{feff}{}"));
    }

    #[test]
    fn a_whitespace_only_file_gets_its_whitespace_back_on_reverse() {
        // Regression (found by tests/properties.rs): `echo > mcp.json` leaves "\n",
        // which the forward edit dropped, so the reverse gave back "".
        for original in ["\n", " \t\n", "\t", "\r\n", "\u{feff}\n"] {
            let out = set_roundtrip(Some(original));
            assert!(
                out.trim_start_matches('\u{feff}').starts_with('{'),
                "{out:?}"
            );
        }
    }

    #[test]
    fn a_comment_only_file_without_a_final_newline_keeps_it_missing() {
        // Regression (found by tests/properties.rs): "//" came back as "//\n".
        assert_eq!(
            set_roundtrip(Some("//")),
            "//\n{\n  \"mcpServers\": {\n    \"codeloop\": {\n      \"command\": \"npx\",\n      \"args\": [\n        \"-y\",\n        \"codeloop-mcp-server\"\n      ],\n      \"env\": {\n        \"CODELOOP_API_KEY\": \"cl_live_NEWKEY000\"\n      }\n    }\n  }\n}"
        );
        set_roundtrip(Some("/* settings */"));
        set_roundtrip(Some("// a\r\n// b"));
        set_roundtrip(Some("\u{feff}// only a comment"));
        // Found by the json_planner fuzz target: whitespace inside an empty object,
        // and a comment ending in a lone `\r`.
        set_roundtrip(Some("{ }"));
        set_roundtrip(Some("{\n}\n"));
        set_roundtrip(Some("{\t\r}"));
        set_roundtrip(Some("{\"mcpServers\": {\r\n  }}"));
        set_roundtrip(Some("//*/**/*/\r*/\r"));
        set_roundtrip(Some("/* x */\r"));
    }

    #[test]
    fn keeps_one_line_objects_on_one_line() {
        let out = set_roundtrip(Some("{\"mcpServers\": {\"a\": {\"command\": \"x\"}}}\n"));
        assert_eq!(
            out,
            "{\"mcpServers\": {\"a\": {\"command\": \"x\"}, \"codeloop\": {\"command\": \"npx\", \"args\": [\"-y\", \"codeloop-mcp-server\"], \"env\": {\"CODELOOP_API_KEY\": \"cl_live_NEWKEY000\"}}}}\n"
        );
        set_roundtrip(Some("{\"mcpServers\": {\"a\": 1,}}"));
    }

    #[test]
    fn fills_empty_objects_and_keeps_their_comments() {
        set_roundtrip(Some("{}"));
        set_roundtrip(Some("{}\n"));
        set_roundtrip(Some("{\n  \"mcpServers\": {}\n}\n"));
        let out = set_roundtrip(Some(
            "{\n  \"mcpServers\": {\n    // add servers here\n  }\n}\n",
        ));
        assert!(
            out.contains("\"mcpServers\": {\n    \"codeloop\": {"),
            "{out}"
        );
        assert!(
            out.contains("    }\n    // add servers here\n  }\n}\n"),
            "{out}"
        );
        set_roundtrip(Some("// only a comment\n"));
    }

    #[test]
    fn replaces_a_stale_entry_in_place_and_nothing_else() {
        let original = "{\n  \"mcpServers\": {\n    \"codeloop\": {\n      \"command\": \"npx\",\n      \"env\": { \"CODELOOP_API_KEY\": \"cl_live_OLDKEY000\" }\n    },\n    \"z\": {}\n  }\n}\n";
        let out = set(Some(original), PATH, &entry()).unwrap().unwrap();
        assert_eq!(out.created, 0);
        assert!(
            out.text
                .ends_with("      }\n    },\n    \"z\": {}\n  }\n}\n"),
            "{}",
            out.text
        );
        assert!(!out.text.contains("OLDKEY"));
        assert_eq!(set(Some(&out.text), PATH, &entry()).unwrap(), None);
    }

    #[test]
    fn an_equal_entry_in_another_layout_is_left_alone() {
        let text = "{\"mcpServers\":{\"codeloop\":{\"env\":{\"CODELOOP_API_KEY\":\"cl_live_NEWKEY000\"},\"args\":[\"-y\",\"codeloop-mcp-server\"],\"command\":\"npx\"}}}";
        assert_eq!(set(Some(text), PATH, &entry()).unwrap(), None);
    }

    #[test]
    fn refuses_wrong_types_with_their_position() {
        assert_eq!(
            set(Some("{\n  \"mcpServers\": [1]\n}"), PATH, &entry()).unwrap_err(),
            JsonError::WrongType {
                line: 2,
                column: 17,
                path: "mcpServers".into(),
                found: "an array",
                expected: "an object"
            }
        );
        let err = set(Some("[]"), PATH, &entry()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1:1: `the top level` is an array, expected an object"
        );
        let err = ensure_in_array(
            Some("{\"permissions\": {\"allow\": {}}}"),
            &["permissions", "allow"],
            "x",
        )
        .unwrap_err();
        assert!(matches!(err, JsonError::WrongType { path, .. } if path == "permissions.allow"));
    }

    #[test]
    fn refuses_duplicate_keys_on_the_path() {
        let err = set(
            Some("{\"mcpServers\": {}, \"mcpServers\": {}}"),
            PATH,
            &entry(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                JsonError::Duplicate {
                    line: 1,
                    column: 20,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn reports_syntax_errors() {
        let err = set(Some("{\n  \"a\": 1\n  \"b\": 2\n}"), PATH, &entry()).unwrap_err();
        assert_eq!(err.to_string(), "3:3: invalid JSON: expected ',' or '}'");
    }

    #[test]
    fn nests_under_a_project_key_in_a_big_claude_json() {
        let original = "{\n  \"numStartups\": 3,\n  \"projects\": {\n    \"/other\": {\n      \"allowedTools\": []\n    }\n  },\n  \"userID\": \"x\"\n}\n";
        let path = ["projects", "/home/u/p", "mcpServers", "codeloop"];
        let edited = set(Some(original), &path, &entry()).unwrap().unwrap();
        assert_eq!(edited.created, 2);
        assert!(
            edited.text.contains(
                "    },\n    \"/home/u/p\": {\n      \"mcpServers\": {\n        \"codeloop\": {\n"
            ),
            "{}",
            edited.text
        );
        assert_eq!(
            remove(&edited.text, &path, edited.created)
                .unwrap()
                .as_deref(),
            Some(original)
        );
        // With the project already present, only the server is added.
        let edited = set(
            Some(original),
            &["projects", "/other", "mcpServers", "codeloop"],
            &entry(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(edited.created, 1);
        assert_eq!(
            remove(
                &edited.text,
                &["projects", "/other", "mcpServers", "codeloop"],
                1
            )
            .unwrap()
            .as_deref(),
            Some(original)
        );
    }

    #[test]
    fn arrays_gain_one_item_and_lose_exactly_it() {
        let path = ["permissions", "allow"];
        for original in [
            "{\n  \"permissions\": {\n    \"allow\": [\n      \"Bash(ls)\"\n    ],\n    \"deny\": []\n  }\n}\n",
            "{\"permissions\": {\"allow\": [\"Read\"]}}",
            "{\"permissions\": {\"allow\": []}}",
            "{\"permissions\": {}}",
            "{}",
            "",
        ] {
            let edited = ensure_in_array(Some(original), &path, "mcp__codeloop")
                .unwrap()
                .unwrap();
            assert_eq!(
                ensure_in_array(Some(&edited.text), &path, "mcp__codeloop").unwrap(),
                None
            );
            let back =
                remove_from_array(&edited.text, &path, "mcp__codeloop", edited.created).unwrap();
            assert_eq!(
                back.as_deref(),
                Some(original),
                "{original:?} → {:?}",
                edited.text
            );
        }
        let already = "{\"permissions\": {\"allow\": [\"mcp__codeloop\"]}}";
        assert_eq!(
            ensure_in_array(Some(already), &path, "mcp__codeloop").unwrap(),
            None
        );
    }

    #[test]
    fn removing_from_the_middle_takes_its_line() {
        let text = "{\n  \"a\": 1,\n  \"codeloop\": 2,\n  \"b\": 3\n}\n";
        assert_eq!(
            remove(text, &["codeloop"], 0).unwrap().as_deref(),
            Some("{\n  \"a\": 1,\n  \"b\": 3\n}\n")
        );
        let text = "{\"codeloop\": 2, \"b\": 3}";
        assert_eq!(
            remove(text, &["codeloop"], 0).unwrap().as_deref(),
            Some("{\"b\": 3}")
        );
        assert_eq!(remove("{\"b\": 3}", &["codeloop"], 0).unwrap(), None);
    }
}
