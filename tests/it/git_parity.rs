//! `codeloop::git` answers git's questions — the work tree's top, which paths git
//! ignores, which it tracks, every tracked path — in-process with gitoxide's crates
//! where they can be trusted, and by asking the git binary elsewhere. These tests hold
//! every answer to git's own, and check who gave it, on repositories shaped like real
//! ones: nested `.gitignore`s, negations, directory and anchored patterns,
//! `info/exclude`, the global excludes file however git is told of it (XDG default,
//! `core.excludesFile` in any config file, includes and conditional includes), case
//! folding, a symlinked `.gitignore`, index versions 2 to 4 (v4's path compression over
//! many entries), split and sparse indexes, unmerged entries, linked worktrees (with
//! per-worktree config), submodules, a separate git directory, a path beyond a symlink,
//! `GIT_DIR` and `GIT_INDEX_FILE`, a SHA-256 repository.

use std::path::{Path, PathBuf};

use codeloop::git::Via;
use codeloop::sys::{Os, Prompter, Sys};

use crate::harness::*;

struct NoPrompt;
impl Prompter for NoPrompt {
    fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
        unreachable!()
    }
}

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

/// Who should answer: as given with the `in-process-git` feature, git without it.
fn expect(via: Via) -> Via {
    if cfg!(feature = "in-process-git") {
        via
    } else {
        Via::Git
    }
}

/// The environment codeloop and git both get: the sandbox home, no system config,
/// plus `extra`.
fn env(s: &Sandbox, extra: &[(&str, String)]) -> Vec<(String, String)> {
    let mut env = vec![
        ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
        (
            "XDG_CONFIG_HOME".to_owned(),
            s.home.join(".config").to_str().unwrap().to_owned(),
        ),
        ("PATH".to_owned(), SYSTEM_PATH.to_owned()),
        ("GIT_CONFIG_NOSYSTEM".to_owned(), "1".to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    env
}

fn sys(cwd: &Path, env: &[(String, String)]) -> Sys {
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Sys::fake(Os::Linux, cwd.to_path_buf(), &vars, Box::new(NoPrompt))
}

fn git(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    run_program(Path::new("git"), args, dir, env)
}

fn paths(text: &str) -> Vec<String> {
    text.split(['\0', '\n'])
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Every answer for the work tree at `top` against git's own: which candidates are
/// ignored and which existing ones tracked (answered by `answers`), and every tracked
/// path in git's order (answered by `listing`).
fn assert_parity(
    s: &Sandbox,
    top: &Path,
    extra: &[(&str, String)],
    (answers, listing): (Via, Via),
    what: &str,
) {
    let env = env(s, extra);
    let sys = sys(top, &env);
    let candidates: Vec<String> = CANDIDATES.iter().map(|c| (*c).to_owned()).collect();
    let files: Vec<String> = candidates
        .iter()
        .filter(|c| top.join(c).is_file())
        .cloned()
        .collect();

    let ours = codeloop::git::answers(&sys, top, &candidates, &files);
    let mut args = vec!["check-ignore", "--"];
    args.extend(CANDIDATES);
    let ignored = paths(&git(top, &env, &args).stdout);
    let mut tracked = if files.is_empty() {
        Vec::new()
    } else {
        let mut args = vec!["ls-files", "-z", "--"];
        args.extend(files.iter().map(String::as_str));
        paths(&git(top, &env, &args).stdout)
    };
    // An unmerged path is listed once per stage; the question is a set.
    tracked.dedup();
    assert_eq!(
        (sorted(ours.ignored), sorted(ours.tracked)),
        (sorted(ignored), sorted(tracked)),
        "{what}: ignored and tracked"
    );
    assert_eq!(ours.via, expect(answers), "{what}: who answered");

    let (list, via) = codeloop::git::tracked(&sys, top).expect("a listing");
    let mut theirs = paths(&git(top, &env, &["ls-files", "-z"]).stdout);
    theirs.dedup();
    assert_eq!(list, theirs, "{what}: every tracked path");
    assert_eq!(via, expect(listing), "{what}: who listed");
}

const IN_PROCESS: (Via, Via) = (Via::InProcess, Via::InProcess);
const GIT: (Via, Via) = (Via::Git, Via::Git);

/// `top` for `dir` against `git rev-parse --show-toplevel` run there.
fn assert_top(s: &Sandbox, dir: &Path, extra: &[(&str, String)], what: &str) {
    let env = env(s, extra);
    let ours = codeloop::git::top(&sys(dir, &env), dir);
    let out = git(dir, &env, &["rev-parse", "--show-toplevel"]);
    let theirs = (out.code == Some(0)).then(|| PathBuf::from(out.stdout.trim_end()));
    assert_eq!(ours, theirs, "{what}");
}

fn repo() -> Sandbox {
    let s = Sandbox::new();
    s.git_init(&s.project);
    s
}

fn commit(s: &Sandbox, dir: &Path) {
    s.git(dir, &["add", "-A"]);
    s.git(dir, &["commit", "-q", "--allow-empty", "-m", "x"]);
}

/// Key files in a project, some under ignore rules.
fn project_files(dir: &Path) {
    for f in [
        ".cursor/mcp.json",
        ".claude/settings.local.json",
        ".vscode/mcp.json",
        "sub/dir/.cursor/mcp.json",
        "src/main.rs",
    ] {
        write(&dir.join(f), "{}\n");
    }
}

fn text(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
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
        (
            "CRLF and a BOM",
            &[(".gitignore", "\u{feff}.cursor/\r\n*.bak\r\n")],
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
        assert_parity(&s, &s.project, &[], IN_PROCESS, what);
    }
}

/// `visible` with a planned `.gitignore` answers, before it is written, what git says
/// once it is: the candidates it still does not ignore, and (in-process) the line that
/// re-includes each.
#[test]
fn a_planned_gitignore_is_answered_for_as_git_will_once_written() {
    let planned = "# >>> codeloop >>>\n/.cursor/mcp.json\n/.vscode/mcp.json\n/sub/dir/.cursor/mcp.json\n# <<< codeloop <<<\n";
    // What, the planned text, the files as they are.
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        ("nothing re-includes", planned, &[]),
        (
            "a nested file re-includes",
            planned,
            &[(".cursor/.gitignore", "*\n!.gitignore\n!mcp.json\n")],
        ),
        (
            "a deeper nested file re-includes",
            planned,
            &[("sub/.gitignore", "!dir/.cursor/mcp.json\n")],
        ),
        (
            "a nested negation of something else",
            planned,
            &[(".vscode/.gitignore", "*.log\n!keep.log\n")],
        ),
        (
            "a negation after the block",
            &format!("{planned}!/.vscode/mcp.json\n"),
            &[],
        ),
        (
            "a negation before the block",
            &format!("!/.vscode/mcp.json\n{planned}"),
            &[(".gitignore", "!/.vscode/mcp.json\n")],
        ),
    ];
    let candidates: Vec<String> = [
        ".cursor/mcp.json",
        ".vscode/mcp.json",
        "sub/dir/.cursor/mcp.json",
    ]
    .map(str::to_owned)
    .to_vec();
    for (what, text, files) in cases {
        let s = repo();
        for (path, content) in *files {
            write(&s.project.join(path), content);
        }
        let env = env(&s, &[]);
        let sys = sys(&s.project, &env);
        let planned = codeloop::git::Planned { dir: "", text };
        let ours = codeloop::git::visible(&sys, &s.project, &candidates, Some(planned));
        write(&s.project.join(".gitignore"), text);
        let mut args = vec!["check-ignore", "--"];
        args.extend(candidates.iter().map(String::as_str));
        let ignored = paths(&git(&s.project, &env, &args).stdout);
        let theirs: Vec<String> = candidates
            .iter()
            .filter(|c| !ignored.contains(c))
            .cloned()
            .collect();
        let visible: Vec<String> = ours.iter().map(|v| v.path.clone()).collect();
        assert_eq!(visible, theirs, "{what}");
        if !cfg!(feature = "in-process-git") {
            continue;
        }
        for v in &ours {
            // `git check-ignore -v` names the same file and pattern.
            let out = git(
                &s.project,
                &env,
                &["check-ignore", "-v", "--no-index", &v.path],
            );
            let n = v.negation.as_ref().expect("a negation");
            let (source, _) = out.stdout.split_once('\t').unwrap();
            let mut parts = source.splitn(3, ':');
            let (file, line, pattern) = (parts.next(), parts.next(), parts.next());
            assert_eq!(Some(n.file.as_str()), file, "{what}");
            assert_eq!(Some(n.text.as_str()), pattern, "{what}");
            if n.file != ".gitignore" {
                assert_eq!(n.line.map(|l| l.to_string()).as_deref(), line, "{what}");
            }
        }
    }
}

#[test]
fn agrees_with_git_on_tracked_files_for_every_index_version() {
    for version in ["2", "3", "4"] {
        let s = repo();
        project_files(&s.project);
        write(&s.project.join(".gitignore"), ".cursor/\n");
        s.git(
            &s.project,
            &["add", "-f", ".cursor/mcp.json", "sub", ".gitignore"],
        );
        // Version 3 needs an entry with extended flags: intent-to-add gives one.
        s.git(&s.project, &["add", "-N", ".claude/settings.local.json"]);
        s.git(&s.project, &["update-index", "--index-version", version]);
        assert_parity(
            &s,
            &s.project,
            &[],
            IN_PROCESS,
            &format!("index version {version}"),
        );
    }
}

#[test]
fn a_long_v4_index_with_shared_prefixes_reads_right() {
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
    assert_parity(&s, &s.project, &[], IN_PROCESS, "300 entries, v4");
}

#[test]
fn a_split_index_is_read_with_its_shared_index() {
    let s = repo();
    project_files(&s.project);
    commit(&s, &s.project);
    s.git(&s.project, &["update-index", "--split-index"]);
    // Entries added, replaced and removed after the split live in the split index.
    write(&s.project.join(".gemini/settings.json"), "{}\n");
    write(&s.project.join("src/main.rs"), "fn main() {}\n");
    s.git(&s.project, &["add", ".gemini", "src"]);
    s.git(&s.project, &["rm", "-q", "--cached", ".vscode/mcp.json"]);
    assert!(
        std::fs::read_dir(s.project.join(".git"))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex."))
    );
    assert_parity(&s, &s.project, &[], IN_PROCESS, "a split index");
}

#[test]
fn a_sparse_index_is_left_to_git() {
    let s = repo();
    project_files(&s.project);
    write(&s.project.join("docs/guide.md"), "x\n");
    commit(&s, &s.project);
    s.git(
        &s.project,
        &["sparse-checkout", "init", "--cone", "--sparse-index"],
    );
    s.git(&s.project, &["sparse-checkout", "set", "src"]);
    assert_parity(&s, &s.project, &[], GIT, "a sparse index");
}

#[test]
fn unmerged_paths_are_listed_once() {
    let s = repo();
    write(&s.project.join(".cursor/mcp.json"), "{}\n");
    commit(&s, &s.project);
    s.git(&s.project, &["checkout", "-q", "-b", "other"]);
    write(&s.project.join(".cursor/mcp.json"), "{\"a\": 1}\n");
    commit(&s, &s.project);
    s.git(&s.project, &["checkout", "-q", "-"]);
    write(&s.project.join(".cursor/mcp.json"), "{\"b\": 2}\n");
    commit(&s, &s.project);
    let env = env(
        &s,
        &[
            ("GIT_COMMITTER_NAME", "Test".to_owned()),
            ("GIT_COMMITTER_EMAIL", "test@example.com".to_owned()),
        ],
    );
    let merge = git(&s.project, &env, &["merge", "-q", "other"]);
    assert_eq!(merge.code, Some(1), "a conflict: {}", merge.stderr);
    assert_parity(&s, &s.project, &[], IN_PROCESS, "an unmerged path");
}

#[test]
fn excludes_files_however_git_is_told_of_them() {
    fn home(s: &Sandbox, rel: &str) -> PathBuf {
        s.home.join(rel)
    }
    type Setup = fn(&Sandbox);
    let cases: &[(&str, Setup)] = &[
        ("core.excludesFile with ~ in ~/.gitconfig", |s| {
            write(
                &home(s, ".gitconfig"),
                "[core]\n\texcludesFile = ~/.my-ignore\n",
            );
            write(&home(s, ".my-ignore"), ".cursor/\n");
            // The default one is then not read.
            write(&home(s, ".config/git/ignore"), ".claude/\n");
        }),
        ("core.excludesFile in the XDG config, absolute", |s| {
            let file = home(s, "ignores/global");
            write(
                &home(s, ".config/git/config"),
                format!("[core]\n\texcludesfile = \"{}\"\n", text(&file)),
            );
            write(&file, "*.json\n");
        }),
        ("~/.gitconfig overrides the XDG config", |s| {
            write(
                &home(s, ".config/git/config"),
                "[core]\n\texcludesFile = ~/a\n",
            );
            write(&home(s, ".gitconfig"), "[core]\n\texcludesFile = ~/b\n");
            write(&home(s, "a"), ".cursor/\n");
            write(&home(s, "b"), ".vscode/\n");
        }),
        ("the repository's config, relative to the top", |s| {
            s.git(
                &s.project,
                &["config", "core.excludesFile", "ignores/local"],
            );
            write(&s.project.join("ignores/local"), ".claude/\n");
        }),
        ("include.path", |s| {
            write(
                &home(s, ".gitconfig"),
                "[include]\n\tpath = .gitconfig-more\n",
            );
            write(
                &home(s, ".gitconfig-more"),
                "[core]\n\texcludesFile = ~/.my-ignore\n",
            );
            write(&home(s, ".my-ignore"), ".cursor/\n");
        }),
        ("includeIf gitdir, matching and not", |s| {
            write(
                &home(s, ".gitconfig"),
                format!(
                    "[includeIf \"gitdir:{}/\"]\n\tpath = ~/.mine\n[includeIf \"gitdir:/elsewhere/\"]\n\tpath = ~/.theirs\n",
                    text(&s.project)
                ),
            );
            write(&home(s, ".mine"), "[core]\n\texcludesFile = ~/.my-ignore\n");
            write(&home(s, ".theirs"), "[core]\n\texcludesFile = ~/.other\n");
            write(&home(s, ".my-ignore"), ".cursor/\n");
            write(&home(s, ".other"), ".vscode/\n");
        }),
        ("includeIf onbranch, matching and not", |s| {
            let env = env(s, &[]);
            let branch = git(&s.project, &env, &["symbolic-ref", "--short", "HEAD"]).stdout;
            write(
                &home(s, ".gitconfig"),
                format!(
                    "[includeIf \"onbranch:{}\"]\n\tpath = ~/.mine\n[includeIf \"onbranch:nope\"]\n\tpath = ~/.theirs\n",
                    branch.trim()
                ),
            );
            write(&home(s, ".mine"), "[core]\n\texcludesFile = ~/.my-ignore\n");
            write(&home(s, ".theirs"), "[core]\n\texcludesFile = ~/.other\n");
            write(&home(s, ".my-ignore"), ".cursor/\n");
            write(&home(s, ".other"), ".vscode/\n");
        }),
    ];
    for (what, setup) in cases {
        let s = repo();
        project_files(&s.project);
        setup(&s);
        assert_parity(&s, &s.project, &[], IN_PROCESS, what);
    }
}

#[test]
fn case_folding_follows_core_ignore_case() {
    for fold in ["true", "false"] {
        let s = repo();
        project_files(&s.project);
        s.git(&s.project, &["config", "core.ignoreCase", fold]);
        write(&s.project.join(".gitignore"), ".CURSOR/\n*.JSON\n");
        assert_parity(
            &s,
            &s.project,
            &[],
            IN_PROCESS,
            &format!("core.ignoreCase {fold}"),
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_gitignore_is_not_read_as_git_does_not() {
    let s = repo();
    project_files(&s.project);
    write(&s.root.join("shared-ignore"), ".cursor/\n");
    std::os::unix::fs::symlink(s.root.join("shared-ignore"), s.project.join(".gitignore")).unwrap();
    // info/exclude and the global file may be links.
    write(&s.root.join("shared-exclude"), ".claude/\n");
    std::fs::remove_file(s.project.join(".git/info/exclude")).ok();
    std::os::unix::fs::symlink(
        s.root.join("shared-exclude"),
        s.project.join(".git/info/exclude"),
    )
    .unwrap();
    assert_parity(&s, &s.project, &[], IN_PROCESS, "symlinked ignore files");
}

#[cfg(unix)]
#[test]
fn a_candidate_beyond_a_symlink_is_left_to_git() {
    // git check-ignore refuses the whole question ("beyond a symbolic link").
    let s = repo();
    project_files(&s.project);
    std::fs::create_dir_all(s.root.join("shared-cursor")).unwrap();
    std::fs::remove_dir_all(s.project.join(".cursor")).unwrap();
    std::os::unix::fs::symlink(s.root.join("shared-cursor"), s.project.join(".cursor")).unwrap();
    write(&s.project.join(".gitignore"), ".vscode/\n");
    assert_parity(
        &s,
        &s.project,
        &[],
        (Via::Git, Via::InProcess),
        "a symlinked .cursor",
    );
}

#[test]
fn linked_worktrees_read_their_own_index_and_the_shared_excludes() {
    let s = repo();
    project_files(&s.project);
    write(&s.project.join(".gitignore"), ".claude/\n");
    commit(&s, &s.project);
    let wt = s.root.join("wt");
    s.git(&s.project, &["worktree", "add", "-q", text(&wt).as_str()]);
    write(&s.project.join(".git/info/exclude"), ".gemini/\n");
    write(&wt.join(".gemini/settings.json"), "{}\n");
    write(&wt.join(".codex/config.toml"), "x\n");
    s.git(&wt, &["add", ".codex"]);
    assert_parity(&s, &wt, &[], IN_PROCESS, "a linked worktree");
    assert_top(&s, &wt.join("sub/dir"), &[], "the top of a linked worktree");

    // Per-worktree configuration.
    s.git(&s.project, &["config", "extensions.worktreeConfig", "true"]);
    let file = s.root.join("wt-ignore");
    write(&file, ".vscode/\n");
    s.git(
        &wt,
        &[
            "config",
            "--worktree",
            "core.excludesFile",
            text(&file).as_str(),
        ],
    );
    assert_parity(&s, &wt, &[], IN_PROCESS, "config.worktree in a worktree");
    assert_parity(&s, &s.project, &[], IN_PROCESS, "config.worktree, main");
}

#[test]
fn submodules_and_the_superproject() {
    let s = repo();
    let origin = s.root.join("origin");
    std::fs::create_dir_all(&origin).unwrap();
    s.git_init(&origin);
    project_files(&origin);
    write(&origin.join(".gitignore"), ".cursor/\n");
    commit(&s, &origin);
    project_files(&s.project);
    let add = |path: &str| {
        s.git(
            &s.project,
            &[
                "-c",
                "protocol.file.allow=always",
                "submodule",
                "add",
                "-q",
                text(&origin).as_str(),
                path,
            ],
        );
    };
    add("vendor/lib");
    assert_parity(&s, &s.project, &[], IN_PROCESS, "a superproject");

    // Inside the submodule's work tree: `.git` is a file, the git directory is under
    // the superproject's `.git/modules` and names its work tree (`core.worktree`).
    let inner = s.project.join("vendor/lib");
    write(
        &s.project.join(".git/modules/vendor/lib/info/exclude"),
        ".vscode/\n",
    );
    assert_parity(&s, &inner, &[], IN_PROCESS, "a submodule's work tree");
    assert_top(&s, &inner.join("src"), &[], "the top of a submodule");

    // A candidate inside a submodule: git check-ignore refuses the whole question.
    std::fs::remove_dir_all(s.project.join("sub")).unwrap();
    add("sub/dir");
    assert_parity(
        &s,
        &s.project,
        &[],
        (Via::Git, Via::InProcess),
        "a candidate in a submodule",
    );
}

#[test]
fn a_separate_git_dir() {
    let s = Sandbox::new();
    s.git(
        &s.root,
        &[
            "init",
            "-q",
            "--separate-git-dir",
            text(&s.root.join("store.git")).as_str(),
            text(&s.project).as_str(),
        ],
    );
    project_files(&s.project);
    write(&s.root.join("store.git/info/exclude"), ".cursor/\n");
    s.git(&s.project, &["add", "src"]);
    assert_parity(&s, &s.project, &[], IN_PROCESS, "a separate git dir");
}

#[test]
fn variables_that_move_git_are_left_to_git() {
    let s = repo();
    project_files(&s.project);
    write(&s.project.join(".gitignore"), ".claude/\n");
    s.git(&s.project, &["add", "src", ".cursor"]);
    let git_dir = [("GIT_DIR", text(&s.project.join(".git")))];
    assert_parity(&s, &s.project, &git_dir, GIT, "GIT_DIR");
    // Another index: nothing is tracked in it.
    let index = [("GIT_INDEX_FILE", text(&s.root.join("other-index")))];
    assert_parity(&s, &s.project, &index, GIT, "GIT_INDEX_FILE");
    // Variables that change nothing asked here keep the answer in-process.
    let harmless = [
        ("GIT_EDITOR", "vi".to_owned()),
        ("GIT_PAGER", "less".to_owned()),
        ("GIT_SSH_COMMAND", "ssh -v".to_owned()),
    ];
    assert_parity(&s, &s.project, &harmless, IN_PROCESS, "harmless variables");
}

#[test]
fn a_sha256_repository_is_left_to_git() {
    let s = Sandbox::new();
    s.git(&s.project, &["init", "-q", "--object-format=sha256"]);
    project_files(&s.project);
    write(&s.project.join(".gitignore"), ".cursor/\n");
    s.git(&s.project, &["add", "src", ".gitignore"]);
    assert_parity(&s, &s.project, &[], GIT, "SHA-256");
}

#[test]
fn the_top_is_where_git_says() {
    let s = repo();
    project_files(&s.project);
    assert_top(&s, &s.project, &[], "the top itself");
    assert_top(&s, &s.project.join("sub/dir"), &[], "a subdirectory");
    // A `.git` that is no repository does not make a top (git looks further up).
    std::fs::create_dir_all(s.project.join("sub/.git")).unwrap();
    assert_top(&s, &s.project.join("sub/dir"), &[], "an empty .git below");
    // Outside any repository.
    let outside = s.root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    assert_top(&s, &outside, &[], "outside git");
    // GIT_DIR makes the current directory the top.
    let git_dir = [("GIT_DIR", text(&s.project.join(".git")))];
    assert_top(&s, &s.project.join("sub/dir"), &git_dir, "GIT_DIR");
}
