//! The real clients read what `codeloop init` wrote: for every client that has a CLI
//! (`harness::clients::WITH_CLI`: Claude Code's `claude mcp get codeloop`, Codex's
//! `codex mcp list --json`, Gemini CLI's `gemini mcp list`), in each scope, the client
//! must list `codeloop` with codeloop's command and args — after a second run changed
//! nothing and `uninstall` gave every byte back. Then the quirks each client has:
//! Codex's `CODEX_HOME` and `env_vars`, Gemini CLI's `${VAR}` reference, Claude Code's
//! local scope beside its own state and in a subdirectory of a repository.
//!
//! Offline: the clients only read their configs, and `npx` is not on their PATH.

use std::path::Path;

use crate::harness::clients::{RealClient, Scope, WITH_CLI, holds_key, real_client};
use crate::harness::*;
use serde_json::json;

/// `init ARGS` twice: the first changes `file`, the second says so and leaves every
/// file as it was. Returns the file's text after the first run.
fn init_twice(s: &Sandbox, args: &[&str], file: &Path) -> String {
    let out = s.run(args);
    out.assert_code(0);
    let after = read(file);
    let before_second = s.snapshot();
    let again = s.run(args);
    again.assert_code(0);
    again.stdout_has("already configured");
    assert_unchanged(&before_second, &s.snapshot());
    after
}

/// `codeloop uninstall` with the same targets and scope as `init_args` gives back
/// every file of the sandbox byte for byte.
fn assert_uninstall_restores(s: &Sandbox, init_args: &[&str], before: &Contents) {
    let args: Vec<&str> = init_args
        .iter()
        .map(|a| if *a == "init" { "uninstall" } else { *a })
        .collect();
    s.run(&args).assert_code(0);
    assert_restored(before, &contents(s));
}

/// `init` for `client` in `scope` on a fresh sandbox (twice: the second a no-op), an
/// exact `uninstall`, `init` again; then the client itself lists the server.
fn round_trip(client: &RealClient, scope: Scope) {
    let s = Sandbox::new();
    client.prepare(&s, scope);
    let before = contents(&s);
    let mut args = vec!["init", "--yes", "--only", client.target];
    args.extend_from_slice(scope.flags());

    let first = s.run(&args);
    first.assert_code(0);
    let snap = s.snapshot();
    let again = s.run(&args);
    again.assert_code(0);
    again.stdout_has("already configured");
    assert_unchanged(&snap, &s.snapshot());
    assert_uninstall_restores(&s, &args, &before);

    s.run(&args).assert_code(0);
    let (out, env) = client.assert_lists_ours(&s, scope, &[]);
    assert!(
        holds_key(&env),
        "{} ({}) starts the server with the key codeloop wrote\n{}",
        client.target,
        scope.name(),
        out.masked()
    );
}

#[test]
fn every_client_with_a_cli_lists_the_server_in_each_scope() {
    for (target, _) in WITH_CLI {
        let Some(client) = real_client(target) else {
            continue;
        };
        for scope in Scope::ALL {
            round_trip(&client, scope);
        }
    }
}

// ---------------------------------------------------------------------------------
// Claude Code

#[test]
fn claude_code_reads_the_local_scope_server_next_to_its_own_state() {
    let Some(claude) = real_client("claude-code") else {
        return;
    };
    let s = Sandbox::new();
    let realistic = fixture("claude/claude-json-realistic.json")
        .replace("__PROJECT__", s.project.to_str().unwrap());
    write(&s.home_path(".claude.json"), realistic);
    write(
        &s.project_path(".claude/settings.local.json"),
        fixture("claude/settings-local-with-permissions.json"),
    );

    s.init_ok("claude-code");

    let (out, env) = claude.assert_lists_ours(&s, Scope::Project, &[]);
    assert!(holds_key(&env), "{}", out.masked());
}

#[test]
fn claude_code_reads_the_local_scope_server_in_a_subdir_of_a_git_repo() {
    let Some(claude) = real_client("claude-code") else {
        return;
    };
    let mut s = Sandbox::new();
    let repo = s.root.join("repo");
    let project = repo.join("packages/app");
    std::fs::create_dir_all(&project).unwrap();
    s.git_init(&repo);
    s.cwd = project;

    s.init_ok("claude-code");

    let (out, env) = claude.assert_lists_ours(&s, Scope::Project, &[]);
    assert!(holds_key(&env), "{}", out.masked());
}

// ---------------------------------------------------------------------------------
// Codex

#[test]
fn codex_lists_the_user_server_next_to_a_commented_config_in_codex_home() {
    let Some(codex) = real_client("codex") else {
        return;
    };
    let mut s = Sandbox::new();
    let codex_home = s.root.join("codex-home");
    let config = codex_home.join("config.toml");
    let original = fixture("codex/config-commented-servers-profiles.toml");
    write(&config, &original);
    s.env
        .push(("CODEX_HOME".into(), codex_home.to_str().unwrap().into()));
    let before = contents(&s);
    let args = ["init", "--yes", "--global", "--only", "codex"];

    let after = init_twice(&s, &args, &config);
    assert!(
        after.starts_with(&original),
        "everything before our table is kept"
    );
    assert_uninstall_restores(&s, &args, &before);

    s.run(&args).assert_code(0);
    let (out, env) = codex.assert_lists_ours(&s, Scope::Global, &[("CODEX_HOME", &codex_home)]);
    assert!(holds_key(&env), "codex sees the key we wrote");
    // The other servers are still there.
    for other in ["github", "docs"] {
        out.stdout_has(&format!("\"name\": \"{other}\""));
    }
}

#[test]
fn codex_forwards_the_variable_when_the_same_run_configures_a_shell() {
    let Some(codex) = real_client("codex") else {
        return;
    };
    let s = Sandbox::new();
    codex.prepare(&s, Scope::Project);
    let file = s.project_path(".codex/config.toml");
    let before = contents(&s);
    let args = ["init", "--yes", "--only", "codex,bash"];

    let after = init_twice(&s, &args, &file);
    assert!(
        !after.contains("cl_live_"),
        "no key in the project file:\n{}",
        mask(&after)
    );
    assert_uninstall_restores(&s, &args, &before);

    s.run(&args).assert_code(0);
    let (out, env) = codex.assert_lists_ours(&s, Scope::Project, &[]);
    assert_eq!(
        env,
        Some(json!({"env_vars": ["CODELOOP_API_KEY"]})),
        "{}",
        out.masked()
    );
}

// ---------------------------------------------------------------------------------
// Gemini CLI

#[test]
fn gemini_lists_the_project_server_next_to_unrelated_settings() {
    let Some(gemini) = real_client("gemini") else {
        return;
    };
    let s = Sandbox::new();
    let file = s.project_path(".gemini/settings.json");
    write(
        &file,
        fixture("gemini/settings-with-unrelated-settings.json"),
    );
    let before = contents(&s);
    let args = ["init", "--yes", "--only", "gemini"];

    let after = init_twice(&s, &args, &file);
    let parsed = parse_jsonc(&after);
    assert_eq!(parsed["mcpServers"]["codeloop"], expected_entry(KEY));
    assert_eq!(parsed["ui"]["theme"], "GitHub");
    assert_uninstall_restores(&s, &args, &before);

    s.run(&args).assert_code(0);
    let (out, _) = gemini.assert_lists_ours(&s, Scope::Project, &[]);
    out.output_has("filesystem:");
}

#[test]
fn gemini_reads_a_variable_reference_when_the_same_run_configures_a_shell() {
    let Some(gemini) = real_client("gemini") else {
        return;
    };
    let s = Sandbox::new();
    let file = s.project_path(".gemini/settings.json");
    let before = contents(&s);
    let args = ["init", "--yes", "--only", "gemini,zsh"];

    let after = init_twice(&s, &args, &file);
    let entry = parse_jsonc(&after)["mcpServers"]["codeloop"].clone();
    assert_eq!(
        entry["env"],
        json!({"CODELOOP_API_KEY": "${CODELOOP_API_KEY}"})
    );
    assert_uninstall_restores(&s, &args, &before);

    s.run(&args).assert_code(0);
    gemini.assert_lists_ours(&s, Scope::Project, &[]);
}
