//! Property tests for the pure planners: over generated JSON/JSONC documents (comments,
//! trailing commas, CRLF, tabs, a BOM, one-line and multi-line containers, missing
//! final newlines, keys that are already there) and generated rc files (CRLF, no final
//! newline, an existing or stale block), every edit is idempotent, holds exactly one
//! codeloop entry, and its reverse gives back the input byte for byte
//! (`reverse(apply(x)) == x`). The checks themselves live in `tests/it/checks.rs`,
//! shared with the fuzz targets in `fuzz/`; the fuzz corpus seeds run here too.

use crate::checks;
use crate::harness::try_parse_goose_yaml;

use proptest::prelude::*;

// ---------------------------------------------------------------------------------
// Generated JSONC

#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(&'static str),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

const KEYS: &[&str] = &[
    "mcpServers",
    "codeloop",
    "projects",
    "/home/u/my project",
    "permissions",
    "allow",
    "a",
    "numStartups",
    "é ü",
    "with \"quote\"",
    "back\\slash",
    "",
];

const STRINGS: &[&str] = &[
    "mcp__codeloop",
    "Bash(ls)",
    "npx",
    "",
    "line\nbreak",
    "tab\there",
    "// not a comment",
    "/* nor this */",
    "😀",
    "\u{feff}",
];

fn json_tree() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        prop::sample::select(&["0", "-1", "3.25", "1e3", "-0.5E-2", "12345678901234567890"][..])
            .prop_map(J::Num),
        prop::sample::select(STRINGS).prop_map(|s| J::Str(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
            prop::collection::vec(
                (prop::sample::select(KEYS).prop_map(str::to_owned), inner),
                0..5
            )
            .prop_map(|members| {
                // Unique keys: the planners refuse duplicates on their path, rightly.
                let mut seen = std::collections::HashSet::new();
                J::Obj(
                    members
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

/// Formatting choices, drawn from a byte stream so proptest can shrink them.
struct Fmt<'a> {
    bytes: &'a [u8],
    at: usize,
    nl: &'static str,
    unit: &'static str,
}

impl Fmt<'_> {
    fn next(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// Mostly nothing, sometimes a space or a comment.
    fn trivia(&mut self, out: &mut String, multiline: bool) {
        match self.next() % 12 {
            0 => out.push(' '),
            1 => out.push_str("/* c */"),
            2 if multiline => {
                out.push_str(" // note");
                out.push_str(self.nl);
            }
            3 => out.push_str("/* multi\n line */"),
            _ => {}
        }
    }

    fn write(&mut self, out: &mut String, v: &J, indent: &str) {
        match v {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
            J::Arr(items) => {
                self.container(out, '[', ']', indent, items.len(), |f, out, i, ind| {
                    f.write(out, &items[i], ind)
                })
            }
            J::Obj(members) => {
                self.container(out, '{', '}', indent, members.len(), |f, out, i, ind| {
                    let (k, v) = &members[i];
                    out.push_str(&serde_json::Value::String(k.clone()).to_string());
                    if f.next().is_multiple_of(4) {
                        out.push(' ');
                    }
                    out.push(':');
                    if !f.next().is_multiple_of(4) {
                        out.push(' ');
                    }
                    f.write(out, v, ind)
                })
            }
        }
    }

    fn container(
        &mut self,
        out: &mut String,
        open: char,
        close: char,
        indent: &str,
        n: usize,
        mut item: impl FnMut(&mut Self, &mut String, usize, &str),
    ) {
        let multiline = !self.next().is_multiple_of(3);
        let inner = format!("{indent}{}", self.unit);
        out.push(open);
        for i in 0..n {
            if multiline {
                out.push_str(self.nl);
                out.push_str(&inner);
            } else if i > 0 {
                out.push(' ');
            }
            self.trivia(out, false);
            item(self, out, i, &inner);
            let trailing = i + 1 == n && self.next().is_multiple_of(3);
            if i + 1 < n || trailing {
                out.push(',');
            }
            self.trivia(out, multiline);
        }
        if multiline && n > 0 {
            if !out.ends_with(self.nl) {
                out.push_str(self.nl);
            }
            out.push_str(indent);
        }
        out.push(close);
    }
}

/// A whole document: optional BOM and leading comment, the root object, optional
/// final newline.
fn json_doc() -> impl Strategy<Value = String> {
    (
        json_tree(),
        prop::collection::vec(any::<u8>(), 64),
        any::<bool>(),
        prop::sample::select(&["  ", "    ", "\t"][..]),
        0u8..8,
    )
        .prop_map(|(tree, bytes, crlf, unit, extras)| {
            let nl = if crlf { "\r\n" } else { "\n" };
            let root = match tree {
                J::Obj(_) => tree,
                other => J::Obj(vec![("a".into(), other)]),
            };
            let mut f = Fmt {
                bytes: &bytes,
                at: 0,
                nl,
                unit,
            };
            let mut out = String::new();
            if extras & 1 != 0 {
                out.push('\u{feff}');
            }
            if extras & 2 != 0 {
                out.push_str("// settings");
                out.push_str(nl);
            }
            f.write(&mut out, &root, "");
            if extras & 4 != 0 {
                out.push_str(nl);
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn json_server_entry_is_idempotent_and_reversible(doc in json_doc()) {
        checks::check_json_set(&doc, checks::SERVER_PATH);
    }

    #[test]
    fn json_project_entry_is_idempotent_and_reversible(doc in json_doc()) {
        checks::check_json_set(&doc, checks::PROJECT_PATH);
    }

    #[test]
    fn json_array_item_is_idempotent_and_reversible(doc in json_doc()) {
        checks::check_json_array(&doc, checks::ALLOW_PATH, checks::ITEM);
    }

    #[test]
    fn json_removal_never_breaks_a_document(doc in json_doc()) {
        checks::check_json_remove(&doc, checks::SERVER_PATH);
        checks::check_json_remove(&doc, checks::PROJECT_PATH);
    }

    /// Not only well-formed documents: any text must plan without panicking.
    #[test]
    fn json_planning_never_panics_on_any_text(text in "\\PC{0,64}|[{}\\[\\]\":,/* \n\r\tab0-9]{0,64}") {
        checks::check_json_all(&text);
    }

    #[test]
    fn rc_block_is_idempotent_and_reversible(text in rc_file()) {
        prop_assert!(text.len() < 100_000);
        checks::check_block_all(&text);
    }

    /// Goose reads the result (libyaml, duplicate keys refused) as the input with
    /// codeloop's extension in it and nothing else changed; and `check_goose`. The one
    /// refusal: a byte order mark right before the first key (Goose could not load the
    /// result).
    #[test]
    fn goose_extension_is_read_by_goose_idempotent_and_reversible(doc in goose_yaml()) {
        let input = try_parse_goose_yaml(&doc);
        let Some(out) = checks::check_goose(&doc) else {
            let first = doc.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
            prop_assert!(
                doc.starts_with('\u{feff}') && !first.is_empty() && !first.starts_with('#'),
                "refused:\n{doc}"
            );
            return Ok(());
        };
        let mut want = input.expect("Goose reads the input");
        if want.is_null() {
            want = serde_json::json!({});
        }
        let ext = &mut want["extensions"];
        if ext.is_null() {
            *ext = serde_json::json!({});
        }
        match ext.get_mut("codeloop") {
            Some(own) => {
                own["envs"] = serde_json::json!({"CODELOOP_API_KEY": checks::GOOSE_KEY});
            }
            None => ext["codeloop"] = checks::goose_spec(checks::GOOSE_KEY).fresh,
        }
        let got = try_parse_goose_yaml(&out);
        prop_assert_eq!(got, Ok(want), "{}", out);
    }

    /// Any text: planning never panics, and what it writes reads back.
    #[test]
    fn goose_planning_never_panics_on_any_text(text in "\\PC{0,64}|[a-z{}\\[\\]|>+:#\\- \n\r\t\u{feff}]{0,64}") {
        checks::check_goose_all(&text);
    }

    #[test]
    fn rc_planning_never_panics_on_any_text(text in "\\PC{0,64}|[#<> codelop\n\r\t]{0,64}") {
        checks::check_block_all(&text);
    }
}

// ---------------------------------------------------------------------------------
// Generated Goose config.yaml files

/// A Goose `config.yaml` as `goose configure` writes it and people then edit it: settings
/// and comments around `extensions` (absent, `extensions:` with nothing, `{}` with or
/// without a comment, or a block mapping of extensions — Goose's own codeloop one among
/// them, with `envs: {}` or a stale key), fields of every kind in the extensions
/// (indented and indentless lists, `[]`, `{}`, block scalars with every header, their
/// trailing blank lines, lines in them that look like comments), blank lines, comments
/// at any indent, 2- or 4-space indent, CRLF, a BOM, a missing final newline.
fn goose_yaml() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(any::<u8>(), 96),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(bytes, bom, crlf, final_nl, wide)| {
            let mut at = 0;
            let mut pick = |n: usize| {
                let b = bytes.get(at).copied().unwrap_or(0);
                at += 1;
                usize::from(b) % n
            };
            let u = if wide { 4 } else { 2 };
            let (i1, i2, i3) = (" ".repeat(u), " ".repeat(2 * u), " ".repeat(3 * u));
            let settings = [
                "GOOSE_PROVIDER: openai",
                "GOOSE_MODEL: gpt-4o",
                "GOOSE_MODE: smart_approve # approve edits",
                "# goose settings",
                "",
                "GOOSE_TEMPERATURE: 0.5",
                "OPENAI_HOST: \"https://api.openai.com\"",
            ];
            let mut lines: Vec<String> = Vec::new();
            for _ in 0..pick(4) {
                lines.push(settings[pick(settings.len())].to_owned());
            }
            match pick(6) {
                0 => {}
                1 => lines.push("extensions:".to_owned()),
                2 => lines.push("extensions: {}".to_owned()),
                3 => lines.push("extensions: {} # none yet".to_owned()),
                _ => {
                    lines.push(
                        if pick(3) == 0 {
                            "extensions: # mine"
                        } else {
                            "extensions:"
                        }
                        .to_owned(),
                    );
                    let mut names = vec!["developer", "github", "notes", "codeloop"];
                    for _ in 0..1 + pick(3) {
                        let name = names.remove(pick(names.len()));
                        lines.push(format!("{i1}{name}:"));
                        if name == "codeloop" {
                            // As Goose writes it when added through `goose configure`.
                            for l in ["args:", "- -y", "- codeloop-mcp-server", "cmd: npx"] {
                                lines.push(format!("{i2}{l}"));
                            }
                            lines.push(format!("{i2}enabled: true"));
                            if pick(2) == 0 {
                                lines.push(format!("{i2}envs: {{}}"));
                            } else {
                                lines.push(format!("{i2}envs:"));
                                lines.push(format!("{i3}CODELOOP_API_KEY: cl_live_OLDkey00001"));
                            }
                            lines.push(format!("{i2}name: codeloop"));
                            lines.push(format!("{i2}type: stdio"));
                            continue;
                        }
                        // One of each field: Goose's reader refuses a duplicated key.
                        let mut fields = std::collections::HashSet::new();
                        for _ in 0..1 + pick(4) {
                            let kind = pick(9);
                            if kind < 7 && !fields.insert([0, 1, 1, 2, 2, 3, 3][kind]) {
                                continue;
                            }
                            match kind {
                                0 => lines.push(format!("{i2}enabled: true # on")),
                                1 => {
                                    lines.push(format!("{i2}args:"));
                                    let pad = if pick(2) == 0 { &i2 } else { &i3 };
                                    lines.push(format!("{pad}- -y"));
                                    lines.push(format!("{pad}- \"@scope/server\""));
                                }
                                2 => lines.push(format!("{i2}args: []")),
                                3 => lines.push(format!("{i2}envs: {{}}")),
                                4 => {
                                    lines.push(format!("{i2}envs:"));
                                    lines.push(format!("{i3}TOKEN: t0k3n"));
                                }
                                5 | 6 => {
                                    let header =
                                        ["|", "|+", "|-", ">", ">-", "|2", "|+ # kept"][pick(7)];
                                    lines.push(format!("{i2}description: {header}"));
                                    lines.push(format!("{i3}first line"));
                                    if pick(2) == 0 {
                                        lines.push(format!("{i3}# not a comment"));
                                    }
                                    for _ in 0..pick(3) {
                                        lines.push(String::new());
                                    }
                                }
                                7 => lines.push(format!("{}# a comment", [&i2, &i1, ""][pick(3)])),
                                _ => lines.push(String::new()),
                            }
                        }
                        lines.push(format!("{i2}name: {name}"));
                    }
                }
            }
            for _ in 0..pick(4) {
                lines.push(settings[pick(settings.len())].to_owned());
            }
            // One of each setting: Goose's reader refuses a duplicated key.
            let mut seen = std::collections::HashSet::new();
            lines.retain(|l| {
                !l.starts_with("GOOSE_") && !l.starts_with("OPENAI_") || seen.insert(l.clone())
            });
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut out = String::new();
            if bom {
                out.push('\u{feff}');
            }
            out.push_str(&lines.join(nl));
            if final_nl && !lines.is_empty() {
                out.push_str(nl);
            }
            out
        })
}

// ---------------------------------------------------------------------------------
// Generated rc files

const RC_LINES: &[&str] = &[
    "export PATH=\"$HOME/bin:$PATH\"",
    "alias ll='ls -la'",
    "",
    "   ",
    "\t# indented comment",
    "# >>> conda initialize >>>",
    "# <<< conda initialize <<<",
    "source ~/.zsh_plugins",
    "echo \"# >>> codeloop >>> is not a marker when quoted\"",
    "\r",
];

fn rc_file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(RC_LINES), 0..12),
        any::<bool>(),
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        0usize..12,
    )
        .prop_map(|(lines, crlf, block, final_nl, bom, at)| {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut lines: Vec<String> = lines.iter().map(|s| (*s).to_owned()).collect();
            let at = at.min(lines.len());
            let inserted: Vec<String> = match block {
                // A stale block, or the current one, somewhere in the file.
                1 => ["# >>> codeloop >>>", "old line", "# <<< codeloop <<<"]
                    .map(String::from)
                    .to_vec(),
                2 => {
                    let mut b = vec!["# >>> codeloop >>>".to_owned()];
                    b.extend(checks::rc_body());
                    b.push("# <<< codeloop <<<".to_owned());
                    b
                }
                _ => Vec::new(),
            };
            lines.splice(at..at, inserted);
            let mut out = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            out.push_str(&lines.join(nl));
            if final_nl && !lines.is_empty() {
                out.push_str(nl);
            }
            out
        })
}

// ---------------------------------------------------------------------------------
// The fuzz corpus and the cases the fuzzers and property tests found

fn corpus(dir: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        })
        .collect()
}

#[test]
fn the_fuzz_corpus_seeds_pass_every_check() {
    let json = corpus("fuzz/corpus/json");
    let rc = corpus("fuzz/corpus/block");
    assert!(
        !json.is_empty() && !rc.is_empty(),
        "fuzz/corpus/json and fuzz/corpus/block hold the seed inputs"
    );
    for (name, text) in json {
        eprintln!("json seed {name}");
        checks::check_json_all(&text);
    }
    for (name, text) in rc {
        eprintln!("rc seed {name}");
        checks::check_block_all(&text);
    }
}

#[test]
fn a_lone_carriage_return_before_the_block_survives_the_reverse() {
    // Found by rc_block_is_idempotent_and_reversible: the reverse edit took the
    // user's `\r` for half of codeloop's own CRLF line break.
    assert!(checks::check_block("\r"));
    assert!(checks::check_block("a\r"));
    assert!(checks::check_block("x\r\ny\r"));
}
