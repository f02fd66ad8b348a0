//! Pure editor for a paired marker block (`# >>> codeloop >>>` … `# <<< codeloop <<<`)
//! in a line-based file. The block is found by its markers and replaced in place;
//! duplicated, unpaired or out-of-order markers are refused; everything outside the
//! block, including CRLF line ends and a missing final newline, is kept exactly.

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Markers {
    pub begin: &'static str,
    pub end: &'static str,
}

/// The markers for files that take `#` comments (shells, `.gitignore`).
pub const HASH: Markers = Markers {
    begin: "# >>> codeloop >>>",
    end: "# <<< codeloop <<<",
};

/// PowerShell users expect regions.
pub const REGION: Markers = Markers {
    begin: "#region codeloop",
    end: "#endregion codeloop",
};

impl Markers {
    /// The known markers that begin with `begin` (as the record names them).
    pub fn known(begin: &str) -> Option<Markers> {
        [HASH, REGION].into_iter().find(|m| m.begin == begin)
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum BlockError {
    #[error(
        "{line}: the marker `{marker}` appears more than once; keep one codeloop block and delete the other"
    )]
    Duplicate { line: usize, marker: &'static str },
    #[error(
        "{line}: the marker `{marker}` has no partner; restore the missing marker or delete this one"
    )]
    Unpaired { line: usize, marker: &'static str },
    #[error("{line}: the codeloop markers are out of order; put `{begin}` before `{end}`")]
    OutOfOrder {
        line: usize,
        begin: &'static str,
        end: &'static str,
    },
}

/// A block found in a file: byte range of its lines (the end includes the final line
/// break, if any) and the lines between the markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    pub start: usize,
    pub end: usize,
    pub body: Vec<&'a str>,
}

pub fn find<'a>(text: &'a str, m: Markers) -> Result<Option<Found<'a>>, BlockError> {
    let mut begin: Option<(usize, usize)> = None; // (line number, byte offset)
    let mut end: Option<(usize, usize, usize)> = None; // (line number, offset, end offset)
    // A byte order mark is not part of the first line: a block may follow it.
    let mut offset = if text.starts_with('\u{feff}') { 3 } else { 0 };
    for (index, whole) in text.split_inclusive('\n').enumerate() {
        let raw = if index == 0 { &whole[offset..] } else { whole };
        let line = raw.trim_end_matches(['\n', '\r']).trim();
        let number = index + 1;
        if line == m.begin {
            if begin.is_some() {
                return Err(BlockError::Duplicate {
                    line: number,
                    marker: m.begin,
                });
            }
            begin = Some((number, offset));
        } else if line == m.end {
            if end.is_some() {
                return Err(BlockError::Duplicate {
                    line: number,
                    marker: m.end,
                });
            }
            end = Some((number, offset, offset + raw.len()));
        }
        offset += raw.len();
    }
    match (begin, end) {
        (None, None) => Ok(None),
        (Some((line, _)), None) => Err(BlockError::Unpaired {
            line,
            marker: m.begin,
        }),
        (None, Some((line, _, _))) => Err(BlockError::Unpaired {
            line,
            marker: m.end,
        }),
        (Some((bl, _)), Some((el, _, _))) if el < bl => Err(BlockError::OutOfOrder {
            line: el,
            begin: m.begin,
            end: m.end,
        }),
        (Some((_, start)), Some((_, end_line_start, end))) => {
            let inner = &text[start..end_line_start];
            let body = inner
                .split_inclusive('\n')
                .skip(1)
                .map(|l| l.trim_end_matches(['\n', '\r']))
                .collect();
            Ok(Some(Found { start, end, body }))
        }
    }
}

/// Makes the file hold exactly one block with `body`. `None` when it already does.
pub fn upsert(
    current: Option<&str>,
    m: Markers,
    body: &[String],
) -> Result<Option<String>, BlockError> {
    let text = current.unwrap_or("");
    let nl = newline_of(text);
    if let Some(found) = find(text, m)? {
        if found.body.len() == body.len() && found.body.iter().zip(body).all(|(a, b)| a == b) {
            return Ok(None);
        }
        let had_final_break = text[..found.end].ends_with('\n');
        let mut out = String::with_capacity(text.len() + 256);
        out.push_str(&text[..found.start]);
        out.push_str(&render(m, body, nl));
        if had_final_break {
            out.push_str(nl);
        }
        out.push_str(&text[found.end..]);
        return Ok(Some(out));
    }
    let mut out = String::with_capacity(text.len() + 256);
    out.push_str(text);
    if text.is_empty() || text.ends_with('\n') {
        out.push_str(&render(m, body, nl));
        out.push_str(nl);
    } else {
        // No final newline: add one before the block and leave the file ending the way
        // it did, without one, so the reverse edit restores it exactly.
        out.push_str(nl);
        out.push_str(&render(m, body, nl));
    }
    Ok(Some(out))
}

/// Reverse of [`upsert`]: removes the block's lines. `None` when there is no block.
pub fn remove(current: &str, m: Markers) -> Result<Option<String>, BlockError> {
    let Some(found) = find(current, m)? else {
        return Ok(None);
    };
    let mut start = found.start;
    if !current[..found.end].ends_with('\n') && start > 0 {
        // The block ended the file without a newline: the line break before it was
        // ours, in the style the block's own lines use (a `\r` before a `\n` of
        // ours may be the user's: `upsert` of "a\r" writes "a\r\n# >>> …\n…").
        let begin_line = &current[found.start..];
        let nl = match begin_line.find('\n') {
            Some(i) if i > 0 && begin_line.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        if current[..start].ends_with(nl) {
            start -= nl.len();
        }
    }
    let mut out = String::with_capacity(current.len());
    out.push_str(&current[..start]);
    out.push_str(&current[found.end..]);
    Ok(Some(out))
}

/// The body lines of the block, if there is one.
pub fn body(current: &str, m: Markers) -> Result<Option<Vec<String>>, BlockError> {
    Ok(find(current, m)?.map(|f| f.body.iter().map(|s| (*s).to_owned()).collect()))
}

fn render(m: Markers, body: &[String], nl: &str) -> String {
    let mut out = String::from(m.begin);
    for line in body {
        out.push_str(nl);
        out.push_str(line);
    }
    out.push_str(nl);
    out.push_str(m.end);
    out
}

/// The line break `text` uses: that of its first line (`\n` when it has none).
pub fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Vec<String> {
        vec!["# managed by codeloop".into(), "/.cursor/mcp.json".into()]
    }

    fn roundtrip(original: &str) -> String {
        let added = upsert(Some(original), HASH, &body()).unwrap().unwrap();
        assert_eq!(
            upsert(Some(&added), HASH, &body()).unwrap(),
            None,
            "second run is a no-op"
        );
        assert_eq!(
            remove(&added, HASH).unwrap().as_deref(),
            Some(original),
            "reverse restores the bytes"
        );
        added
    }

    #[test]
    fn appends_after_a_final_newline() {
        assert_eq!(
            roundtrip("target/\n"),
            "target/\n# >>> codeloop >>>\n# managed by codeloop\n/.cursor/mcp.json\n# <<< codeloop <<<\n"
        );
    }

    #[test]
    fn keeps_a_missing_final_newline_missing() {
        assert_eq!(
            roundtrip("target/"),
            "target/\n# >>> codeloop >>>\n# managed by codeloop\n/.cursor/mcp.json\n# <<< codeloop <<<"
        );
    }

    #[test]
    fn keeps_crlf() {
        let added = roundtrip("a\r\nb\r\n");
        assert_eq!(added.matches('\n').count(), added.matches("\r\n").count());
    }

    #[test]
    fn a_carriage_return_of_the_user_before_the_block_is_kept_on_reverse() {
        // Regression (found by tests/properties.rs): the reverse took the user's
        // lone `\r` for half of a CRLF break of ours.
        assert_eq!(
            roundtrip("\r"),
            "\r\n# >>> codeloop >>>\n# managed by codeloop\n/.cursor/mcp.json\n# <<< codeloop <<<"
        );
        roundtrip("a\r");
        roundtrip("a\r\nb\r");
    }

    #[test]
    fn creates_a_new_file_and_empties_it_on_reverse() {
        assert!(roundtrip("").starts_with("# >>> codeloop >>>\n"));
    }

    #[test]
    fn replaces_a_stale_block_in_place() {
        let text = "a\n# >>> codeloop >>>\nold\n# <<< codeloop <<<\nz\n";
        let out = upsert(Some(text), HASH, &body()).unwrap().unwrap();
        assert_eq!(
            out,
            "a\n# >>> codeloop >>>\n# managed by codeloop\n/.cursor/mcp.json\n# <<< codeloop <<<\nz\n"
        );
    }

    #[test]
    fn a_block_right_after_a_byte_order_mark_is_found_and_the_mark_kept() {
        let text = "\u{feff}# >>> codeloop >>>\nold\n# <<< codeloop <<<\nrest\n";
        let out = upsert(Some(text), HASH, &body()).unwrap().unwrap();
        assert_eq!(
            out,
            "\u{feff}# >>> codeloop >>>\n# managed by codeloop\n/.cursor/mcp.json\n# <<< codeloop <<<\nrest\n"
        );
        assert_eq!(
            remove(&out, HASH).unwrap().as_deref(),
            Some("\u{feff}rest\n")
        );
        roundtrip("\u{feff}");
        roundtrip("\u{feff}# profile\r\n");
    }

    #[test]
    fn refuses_broken_markers() {
        let dup = "# >>> codeloop >>>\n# <<< codeloop <<<\n# >>> codeloop >>>\n";
        assert!(matches!(
            upsert(Some(dup), HASH, &body()),
            Err(BlockError::Duplicate { line: 3, .. })
        ));
        let unpaired = "x\n# >>> codeloop >>>\n";
        assert!(matches!(
            upsert(Some(unpaired), HASH, &body()),
            Err(BlockError::Unpaired { line: 2, .. })
        ));
        let reversed = "# <<< codeloop <<<\n# >>> codeloop >>>\n";
        assert!(matches!(
            remove(reversed, HASH),
            Err(BlockError::OutOfOrder { line: 1, .. })
        ));
    }
}
