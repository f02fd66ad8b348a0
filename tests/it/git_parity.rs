//! `codeloop::git` answers "ignored?" and "tracked?" in-process; these tests hold it to
//! what the git binary says, on repositories shaped like real ones: nested
//! `.gitignore`s, negations, directory and anchored patterns, `info/exclude`, the
//! global excludes file, index versions 2 to 4 — and check it defers to git where it
//! should.

use std::path::Path;

use crate::harness::*;

const CANDIDATES: &[&str] = &[
    ".cursor/mcp.json",
    ".cursor/mcp.json.codeloop.bak",
    ".claude/settings.local.json",
    ".claude/settings.local.json.codeloop.bak",
    ".vscode/mcp.json",
    ".gemini/settings.json",
    ".codex/config.toml",
    "sub/dir/.cursor/mcp.json",
];

/// What git says, for the same candidates (check-ignore exits 1 when it finds none).
fn git_says(s: &Sandbox, files: &[String]) -> (Vec<String>, Vec<String>) {
    let env = vec![
        ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
        (
            "XDG_CONFIG_HOME".to_owned(),
            s.home.join(".config").to_str().unwrap().to_owned(),
        ),
        ("PATH".to_owned(), SYSTEM_PATH.to_owned()),
    ];
    let run = |args: Vec<&str>| run_program(Path::new("git"), &args, &s.project, &env).stdout;
    let mut args = vec!["check-ignore", "--"];
    args.extend(CANDIDATES);
    let ignored = run(args);
    let mut args = vec!["ls-files", "--"];
    args.extend(files.iter().map(String::as_str));
    let tracked = run(args);
    let lines = |t: &str| sorted(t.lines().map(str::to_owned).collect());
    (lines(&ignored), lines(&tracked))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn assert_parity(s: &Sandbox, what: &str) {
    let candidates: Vec<String> = CANDIDATES.iter().map(|c| (*c).to_owned()).collect();
    let files: Vec<String> = candidates
        .iter()
        .filter(|c| s.project.join(c).is_file())
        .cloned()
        .collect();
    let (ignored, tracked) = codeloop::git::answers(&s.sys(), &s.project, &candidates, &files)
        .unwrap_or_else(|| panic!("{what}: expected an in-process answer"));
    let ours = (sorted(ignored), sorted(tracked));
    assert_eq!(ours, git_says(s, &files), "{what}");
}

fn repo() -> Sandbox {
    let s = Sandbox::new();
    s.git_init(&s.project);
    s
}

#[test]
fn agrees_with_git_on_ignore_patterns() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("no ignore files", &[]),
        ("a directory pattern", &[(".gitignore", ".cursor/\n")]),
        ("a file pattern", &[(".gitignore", "mcp.json\n")]),
        (
            "an anchored pattern",
            &[(".gitignore", "/.cursor/mcp.json\n")],
        ),
        ("globs", &[(".gitignore", "*.bak\n.claude/*.local.json\n")]),
        ("a double star", &[(".gitignore", "**/mcp.json\n")]),
        (
            "a negation",
            &[(".gitignore", "*.json\n!.cursor/mcp.json\n")],
        ),
        (
            "a negation under an excluded dir",
            &[(".gitignore", ".cursor/\n!.cursor/mcp.json\n")],
        ),
        (
            "a nested file overrides",
            &[
                (".gitignore", "mcp.json\n"),
                (".cursor/.gitignore", "!mcp.json\n"),
            ],
        ),
        (
            "a nested file ignores",
            &[(".cursor/.gitignore", "*\n!.gitignore\n")],
        ),
        (
            "comments, blanks, escapes",
            &[(
                ".gitignore",
                "# mcp.json\n\n\\#x\n .vscode/mcp.json\n.vscode/mcp.json \n",
            )],
        ),
        ("info/exclude", &[(".git/info/exclude", ".gemini/\n")]),
        (
            "the global excludes file",
            &[("../home/.config/git/ignore", "*.toml\n")],
        ),
        (
            "all at once",
            &[
                ("../home/.config/git/ignore", ".codex/\n"),
                (".git/info/exclude", "!.codex/config.toml\n"),
                (".gitignore", ".claude/\n!.claude/settings.local.json\n"),
                ("sub/.gitignore", "dir/\n"),
            ],
        ),
    ];
    for (what, files) in cases {
        let s = repo();
        for (path, text) in *files {
            write(&s.project.join(path), text);
        }
        assert_parity(&s, what);
    }
}

#[test]
fn agrees_with_git_on_tracked_files_for_every_index_version() {
    for version in ["2", "3", "4"] {
        let s = repo();
        for f in [
            ".cursor/mcp.json",
            ".claude/settings.local.json",
            "sub/dir/.cursor/mcp.json",
        ] {
            write(&s.project.join(f), "{}\n");
        }
        write(&s.project.join(".gitignore"), ".cursor/\n");
        s.git(
            &s.project,
            &["add", "-f", ".cursor/mcp.json", "sub", ".gitignore"],
        );
        // Version 3 needs an entry with extended flags: intent-to-add gives one.
        s.git(&s.project, &["add", "-N", ".claude/settings.local.json"]);
        s.git(&s.project, &["update-index", "--index-version", version]);
        assert_parity(&s, &format!("index version {version}"));
    }
}

#[test]
fn a_long_index_with_shared_prefixes_reads_right() {
    let s = repo();
    for i in 0..300 {
        write(
            &s.project
                .join(format!("src/module_{i:03}/deeply/nested/file_{i}.rs")),
            "x",
        );
    }
    write(&s.project.join(".cursor/mcp.json"), "{}\n");
    s.git(&s.project, &["add", "."]);
    s.git(&s.project, &["update-index", "--index-version", "4"]);
    assert_parity(&s, "300 entries, v4");
}

#[test]
fn defers_to_git_where_it_should() {
    let candidates = vec![".cursor/mcp.json".to_owned()];
    // A custom excludes file in the user's git config.
    let s = repo();
    write(
        &s.home.join(".gitconfig"),
        "[core]\n\texcludesFile = ~/.my-ignore\n",
    );
    assert!(codeloop::git::answers(&s.sys(), &s.project, &candidates, &[]).is_none());
    // A config include.
    let s = repo();
    write(
        &s.project.join(".git/config"),
        "[include]\n\tpath = other\n",
    );
    assert!(codeloop::git::answers(&s.sys(), &s.project, &candidates, &[]).is_none());
    // A worktree: `.git` is a file.
    let s = repo();
    std::fs::remove_dir_all(s.project.join(".git")).unwrap();
    write(&s.project.join(".git"), "gitdir: /elsewhere\n");
    assert!(codeloop::git::answers(&s.sys(), &s.project, &candidates, &[]).is_none());
    // A split index.
    let s = repo();
    write(&s.project.join("a"), "x");
    s.git(&s.project, &["add", "a"]);
    s.git(&s.project, &["update-index", "--split-index"]);
    assert!(codeloop::git::answers(&s.sys(), &s.project, &candidates, &[]).is_none());
}
