//! A JSONC reader (JSON plus `//` and `/* */` comments and trailing commas) that
//! validates a whole document and reports byte spans. It never builds a tree of the
//! document and never rewrites text: editors splice the spans it finds, so every byte
//! outside the edit survives, and a 50 MB `~/.claude.json` costs one linear scan.

use serde_json::{Map, Number, Value};

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: &'static str,
}

/// A byte range `start..end` of a value in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// One member of an object or element of an array.
#[derive(Debug, Clone)]
pub struct Item {
    /// Unescaped key; `None` for array elements.
    pub key: Option<String>,
    /// Where the item begins: the key's opening quote, or the value for elements.
    pub start: usize,
    pub value: Span,
    /// Offset of the comma that follows the value, if any.
    pub comma: Option<usize>,
}

/// An object or array with its brackets and items.
#[derive(Debug, Clone)]
pub struct Container {
    pub open: usize,
    pub close: usize,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// A validated document. `root` is `None` for a file holding only whitespace and comments.
#[derive(Debug)]
pub struct Doc<'a> {
    pub text: &'a str,
    pub root: Option<Span>,
    /// The first thing strict JSON would refuse: its offset and what it is (`a
    /// comment`, `a trailing comma`, `a byte order mark`).
    pub lenient: Option<(usize, &'static str)>,
    /// The offset of the first trailing comma, which a reader that strips comments
    /// before `JSON.parse` still refuses.
    pub trailing_comma: Option<usize>,
    /// Containers whose members the validating pass already collected.
    cache: Vec<Container>,
}

pub fn parse(text: &str) -> Result<Doc<'_>, SyntaxError> {
    parse_along(text, &[])
}

/// [`parse`], also collecting the members of the objects along `path` in the same
/// validating pass, so an editor walking that path scans a big file once.
pub fn parse_along<'a>(text: &'a str, path: &[&str]) -> Result<Doc<'a>, SyntaxError> {
    let mut s = Scanner::new(text, bom_len(text));
    if bom_len(text) > 0 {
        s.lenient = Some((0, "a byte order mark"));
    }
    s.trivia()?;
    if s.at_end() {
        return Ok(Doc {
            text,
            root: None,
            lenient: s.lenient,
            trailing_comma: s.trailing_comma,
            cache: Vec::new(),
        });
    }
    // The root's members are collected in the validating pass itself: every editor
    // starts there, and a big file is then scanned once less.
    let root = if matches!(s.peek(), Some(b'{' | b'[')) {
        let start = s.pos;
        let container = s.container_along(0, path)?;
        s.found.push(container);
        Span { start, end: s.pos }
    } else {
        s.skip_value(0)?
    };
    s.trivia()?;
    if !s.at_end() {
        return Err(s.error("unexpected content after the top-level value"));
    }
    Ok(Doc {
        text,
        root: Some(root),
        lenient: s.lenient,
        trailing_comma: s.trailing_comma,
        cache: s.found,
    })
}

/// Length of a leading UTF-8 byte order mark, which JSON tools tolerate and we keep.
pub fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') { 3 } else { 0 }
}

impl Doc<'_> {
    pub fn kind(&self, span: Span) -> Kind {
        match self.text.as_bytes()[span.start] {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// The items of the object or array at `span` (which must be one).
    pub fn container(&self, span: Span) -> Container {
        if let Some(known) = self.cache.iter().find(|c| c.open == span.start) {
            return known.clone();
        }
        let mut s = Scanner::new(self.text, span.start);
        s.container(0)
            .expect("a validated document re-scans without error")
    }

    /// The value at `span`, for semantic comparison. Duplicate keys: the last wins,
    /// as in `JSON.parse`.
    pub fn value(&self, span: Span) -> Value {
        let mut s = Scanner::new(self.text, span.start);
        s.build_value(0)
            .expect("a validated document re-scans without error")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }
}

pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let column = text[line_start..floor_char_boundary(text, offset)]
        .chars()
        .count()
        + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Containers collected on the way (see `container_along`).
    found: Vec<Container>,
    /// The first comment or trailing comma (see [`Doc::lenient`]).
    lenient: Option<(usize, &'static str)>,
    /// The first trailing comma (see [`Doc::trailing_comma`]).
    trailing_comma: Option<usize>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str, pos: usize) -> Self {
        Scanner {
            text,
            b: text.as_bytes(),
            pos,
            found: Vec::new(),
            lenient: None,
            trailing_comma: None,
        }
    }

    fn error(&self, message: &'static str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            message,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Skips whitespace and comments.
    fn trivia(&mut self) -> Result<(), SyntaxError> {
        loop {
            // Indentation is most of a pretty-printed file's trivia: one tight loop.
            self.pos += self.b[self.pos..]
                .iter()
                .take_while(|&&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                .count();
            let Some(c) = self.peek() else { break };
            match c {
                b'/' if self.b.get(self.pos + 1) == Some(&b'/') => {
                    self.lenient.get_or_insert((self.pos, "a comment"));
                    self.pos =
                        memchr(b'\n', &self.b[self.pos..]).map_or(self.b.len(), |i| self.pos + i);
                }
                b'/' if self.b.get(self.pos + 1) == Some(&b'*') => {
                    self.lenient.get_or_insert((self.pos, "a comment"));
                    match find(&self.b[self.pos + 2..], b"*/") {
                        Some(i) => self.pos += 2 + i + 2,
                        None => return Err(self.error("unterminated block comment")),
                    }
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn skip_value(&mut self, depth: usize) -> Result<Span, SyntaxError> {
        let start = self.pos;
        match self.peek() {
            Some(b'{' | b'[') => {
                self.container_inner(depth, None, &[])?;
            }
            Some(b'"') => {
                self.string(None)?;
            }
            Some(b't') => self.literal("true")?,
            Some(b'f') => self.literal("false")?,
            Some(b'n') => self.literal("null")?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a value")),
            None => return Err(self.error("unexpected end of file, expected a value")),
        }
        Ok(Span {
            start,
            end: self.pos,
        })
    }

    fn container(&mut self, depth: usize) -> Result<Container, SyntaxError> {
        self.container_along(depth, &[])
    }

    /// A container with its members; the member objects named by `follow` (one key
    /// per level) are collected too, into `found`.
    fn container_along(&mut self, depth: usize, follow: &[&str]) -> Result<Container, SyntaxError> {
        let open = self.pos;
        let mut items = Vec::new();
        let close = self.container_inner(depth, Some(&mut items), follow)?;
        Ok(Container { open, close, items })
    }

    /// Scans `{…}` or `[…]` starting at the bracket; returns the closing bracket's offset.
    fn container_inner(
        &mut self,
        depth: usize,
        mut items: Option<&mut Vec<Item>>,
        follow: &[&str],
    ) -> Result<usize, SyntaxError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nesting is too deep"));
        }
        let is_object = self.b[self.pos] == b'{';
        let close_byte = if is_object { b'}' } else { b']' };
        self.pos += 1;
        let mut last_comma = None;
        loop {
            self.trivia()?;
            match self.peek() {
                Some(c) if c == close_byte => {
                    if let Some(comma) = last_comma {
                        self.lenient.get_or_insert((comma, "a trailing comma"));
                        self.trailing_comma.get_or_insert(comma);
                    }
                    let close = self.pos;
                    self.pos += 1;
                    return Ok(close);
                }
                None => {
                    return Err(self.error(if is_object {
                        "unexpected end of file inside an object"
                    } else {
                        "unexpected end of file inside an array"
                    }));
                }
                _ => {}
            }
            let start = self.pos;
            let key = if is_object {
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a property name in double quotes"));
                }
                let mut key = String::new();
                self.string(items.is_some().then_some(&mut key))?;
                self.trivia()?;
                if self.peek() != Some(b':') {
                    return Err(self.error("expected ':' after the property name"));
                }
                self.pos += 1;
                self.trivia()?;
                Some(key)
            } else {
                None
            };
            let value = match (&key, follow.split_first()) {
                (Some(key), Some((next, rest))) if key == next && self.peek() == Some(b'{') => {
                    let start = self.pos;
                    let inner = self.container_along(depth + 1, rest)?;
                    self.found.push(inner);
                    Span {
                        start,
                        end: self.pos,
                    }
                }
                _ => self.skip_value(depth + 1)?,
            };
            self.trivia()?;
            let comma = match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    Some(self.pos - 1)
                }
                Some(c) if c == close_byte => None,
                _ => {
                    return Err(self.error(if is_object {
                        "expected ',' or '}'"
                    } else {
                        "expected ',' or ']'"
                    }));
                }
            };
            last_comma = comma;
            if let Some(items) = items.as_deref_mut() {
                items.push(Item {
                    key,
                    start,
                    value,
                    comma,
                });
            }
        }
    }

    fn literal(&mut self, word: &'static str) -> Result<(), SyntaxError> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    /// Scans a string starting at its quote; unescapes into `out` when given.
    fn string(&mut self, mut out: Option<&mut String>) -> Result<(), SyntaxError> {
        self.pos += 1;
        let mut run = self.pos;
        loop {
            // Ordinary bytes go by in one tight loop: strings are most of a big file.
            self.pos += plain_run(&self.b[self.pos..]);
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            match c {
                b'"' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(&self.text[run..self.pos]);
                    }
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(&self.text[run..self.pos]);
                    }
                    self.pos += 1;
                    let esc = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    let ch = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("invalid escape in string"));
                        }
                    };
                    if let Some(out) = out.as_deref_mut() {
                        out.push(ch);
                    }
                    run = self.pos;
                }
                0..=0x1f => return Err(self.error("control character in string")),
                _ => self.pos += 1,
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .b
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.error("invalid \\u escape in string"))?;
        let value = u32::from_str_radix(std::str::from_utf8(digits).unwrap_or("0"), 16)
            .map_err(|_| self.error("invalid \\u escape in string"))?;
        self.pos += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.b[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }

    fn build_value(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.trivia()?;
        let start = self.pos;
        match self.peek() {
            Some(b'{') => {
                let c = self.container(depth)?;
                let mut map = Map::new();
                for item in c.items {
                    let mut sub = Scanner::new(self.text, item.value.start);
                    let value = sub.build_value(depth + 1)?;
                    map.insert(item.key.unwrap_or_default(), value);
                }
                Ok(Value::Object(map))
            }
            Some(b'[') => {
                let c = self.container(depth)?;
                let mut values = Vec::with_capacity(c.items.len());
                for item in c.items {
                    let mut sub = Scanner::new(self.text, item.value.start);
                    values.push(sub.build_value(depth + 1)?);
                }
                Ok(Value::Array(values))
            }
            Some(b'"') => {
                let mut s = String::new();
                self.string(Some(&mut s))?;
                Ok(Value::String(s))
            }
            _ => {
                let span = self.skip_value(depth)?;
                let raw = &self.text[span.start..span.end];
                Ok(match raw {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => raw
                        .parse::<Number>()
                        .map(Value::Number)
                        .map_err(|_| SyntaxError {
                            offset: start,
                            message: "invalid number",
                        })?,
                })
            }
        }
    }
}

/// How many bytes from the start need no attention inside a string: not `"`, not
/// `\\`, not a control character. Eight at a time (SWAR); any flagged word, even a
/// false alarm from a borrow, is finished byte by byte.
fn plain_run(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let quote = has_zero(w ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(w ^ (ONES * u64::from(b'\\')));
        if control | quote | backslash != 0 {
            break;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len() - i)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(text: &str) -> (usize, usize, &'static str) {
        let e = parse(text).unwrap_err();
        let (l, c) = line_col(text, e.offset);
        (l, c, e.message)
    }

    #[test]
    fn notes_the_first_thing_strict_json_refuses() {
        let first = |t: &str| parse(t).unwrap().lenient;
        assert_eq!(first("{\"a\": [1, 2]}"), None);
        assert_eq!(first("{\"a\": 1, // x\n}"), Some((9, "a comment")));
        assert_eq!(
            first("{\"a\": [1, 2,], \"b\": 1}"),
            Some((11, "a trailing comma"))
        );
        assert_eq!(first("\u{feff}{}"), Some((0, "a byte order mark")));
        // The first trailing comma is noted even after a comment.
        let comma = |t: &str| parse(t).unwrap().trailing_comma;
        assert_eq!(comma("{\"a\": 1 // x\n}"), None);
        assert_eq!(comma("// x\n{\"a\": [1,], \"b\": {\"c\": 1,}}"), Some(13));
    }

    #[test]
    fn accepts_comments_trailing_commas_and_a_bom() {
        let text =
            "\u{feff}// top\n{\n  /* a */ \"a\": [1, 2,], // x\n  \"b\": {\"c\": null,},\n}\n";
        let doc = parse(text).unwrap();
        let root = doc.root.unwrap();
        assert_eq!(doc.kind(root), Kind::Object);
        assert_eq!(doc.value(root), json!({"a": [1, 2], "b": {"c": null}}));
        let c = doc.container(root);
        assert_eq!(c.items.len(), 2);
        assert_eq!(c.items[0].key.as_deref(), Some("a"));
        assert_eq!(
            &text[c.items[0].value.start..c.items[0].value.end],
            "[1, 2,]"
        );
        assert!(c.items[1].comma.is_some());
    }

    #[test]
    fn unescapes_keys_and_strings() {
        let text = r#"{"a\u00e9\n": "\ud83d\ude00\"", "k": -1.5e+3}"#;
        let doc = parse(text).unwrap();
        let v = doc.value(doc.root.unwrap());
        assert_eq!(v, json!({"a\u{e9}\n": "\u{1F600}\"", "k": -1.5e3}));
    }

    #[test]
    fn empty_and_comment_only_files_have_no_root() {
        assert!(parse("").unwrap().root.is_none());
        assert!(parse(" \n// nothing yet\n/* x */").unwrap().root.is_none());
    }

    #[test]
    fn reports_line_and_column_of_errors() {
        assert_eq!(
            err("{\n  \"a\": 1\n  \"b\": 2\n}"),
            (3, 3, "expected ',' or '}'")
        );
        assert_eq!(err("{\"a\": }"), (1, 7, "expected a value"));
        assert_eq!(
            err("{\"a\": 1} x"),
            (1, 10, "unexpected content after the top-level value")
        );
        assert_eq!(err("{\"a\": 01}").2, "expected ',' or '}'");
        assert_eq!(err("{\"a\": \"x\ny\"}").2, "control character in string");
        assert_eq!(err("{/* x").2, "unterminated block comment");
        assert_eq!(err("{\"a\": [1,,2]}").2, "expected a value");
        assert_eq!(err("{,}").2, "expected a property name in double quotes");
        assert_eq!(
            err("{'a': 1}").2,
            "expected a property name in double quotes"
        );
        assert_eq!(err("[").2, "unexpected end of file inside an array");
        assert_eq!(err("{\"é\": tru}"), (1, 7, "expected a value"));
    }

    #[test]
    fn refuses_absurd_nesting_without_overflowing_the_stack() {
        let text = "[".repeat(100_000);
        assert_eq!(parse(&text).unwrap_err().message, "nesting is too deep");
    }
}
