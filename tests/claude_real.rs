//! The real Claude Code CLI reads what `codeloop init` wrote: `claude mcp get codeloop`,
//! run in the sandboxed project with the sandboxed HOME, must report our server in the
//! right scope with our command and args. Runs offline (the server itself is never
//! fetched: `npx` is not on the child's PATH, so "Failed to connect" is expected).
//!
//! The CLI comes from `scripts/test-deps.sh` (npm, pinned by tests/clients/package.json).
//! Missing it fails the test under `CI`, and skips it loudly otherwise.

mod common;

use std::path::{Path, PathBuf};

use common::*;

struct Claude {
    cli: PathBuf,
    node: PathBuf,
}

/// The installed CLI and a `node` to run it with, or `None` (after a loud SKIPPED line)
/// when they are missing outside CI.
fn claude() -> Option<Claude> {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/node_modules/.bin/claude");
    let node = find_on_host_path("node");
    let missing = match (&node, cli.is_file()) {
        (None, _) => "`node` is not on PATH",
        (_, false) => "tests/clients/node_modules/.bin/claude is not installed",
        _ => {
            return Some(Claude {
                cli,
                node: node.unwrap(),
            });
        }
    };
    if in_ci() {
        panic!("{missing}; run scripts/test-deps.sh to install the test prerequisites");
    }
    eprintln!(
        "SKIPPED: real Claude Code client test: {missing}; run scripts/test-deps.sh to install it"
    );
    None
}

impl Claude {
    /// `claude mcp get codeloop` in `cwd`, with only HOME and a PATH holding `node`.
    fn mcp_get(&self, s: &Sandbox, cwd: &Path) -> Output {
        let node_dir = s.root.join("node-bin");
        if !node_dir.join("node").exists() {
            symlink(&self.node, &node_dir.join("node"));
        }
        let env = [
            ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
            ("PATH".to_owned(), node_dir.to_str().unwrap().to_owned()),
        ];
        run_program(&self.cli, &["mcp", "get", "codeloop"], cwd, &env)
    }
}

/// What Claude Code prints for our server, whatever the scope.
fn assert_our_server(out: &Output, scope: &str) {
    out.assert_code(0);
    for line in [scope, "Command: npx", "Args: -y codeloop-mcp-server"] {
        out.stdout_has(line);
    }
    assert!(
        out.stdout.contains(&format!("CODELOOP_API_KEY={KEY}")),
        "claude sees the key we wrote\n{}",
        out.masked()
    );
}

const LOCAL: &str = "Scope: Local config";
const USER: &str = "Scope: User config";

#[test]
fn claude_code_reads_the_local_scope_server_in_a_fresh_project() {
    let Some(claude) = claude() else { return };
    let s = Sandbox::new();

    s.init_ok("claude-code");

    assert_our_server(&claude.mcp_get(&s, &s.project), LOCAL);
}

#[test]
fn claude_code_reads_the_local_scope_server_next_to_its_own_state() {
    let Some(claude) = claude() else { return };
    let s = Sandbox::new();
    let realistic = fixture("claude/claude-json-realistic.json")
        .replace("__PROJECT__", s.project.to_str().unwrap());
    write(&s.home_path(".claude.json"), realistic);
    write(
        &s.project_path(".claude/settings.local.json"),
        fixture("claude/settings-local-with-permissions.json"),
    );

    s.init_ok("claude-code");

    assert_our_server(&claude.mcp_get(&s, &s.project), LOCAL);
}

#[test]
fn claude_code_reads_the_local_scope_server_in_a_subdir_of_a_git_repo() {
    let Some(claude) = claude() else { return };
    let mut s = Sandbox::new();
    let repo = s.root.join("repo");
    let project = repo.join("packages/app");
    std::fs::create_dir_all(&project).unwrap();
    s.git_init(&repo);
    s.cwd = project.clone();

    s.init_ok("claude-code");

    assert_our_server(&claude.mcp_get(&s, &project), LOCAL);
}

#[test]
fn claude_code_reads_the_user_scope_server_written_with_global() {
    let Some(claude) = claude() else { return };
    let s = Sandbox::new();

    let out = s.run(&["init", "--yes", "--global", "--only", "claude-code"]);
    out.assert_code(0);

    // User scope: visible from any directory, not only the project.
    let elsewhere = s.root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    assert_our_server(&claude.mcp_get(&s, &elsewhere), USER);
}
