//! What people read and scripts parse, as snapshots (`tests/it/snapshots/`):
//!
//! - `help@…`: `--help` of every command and subcommand (a new command without a
//!   snapshot fails `every_command_has_a_help_snapshot`);
//! - `json@…`: every `--json` document in the cases scripts meet — fresh, applied,
//!   unchanged, refused, failed, without a key, with a usage error — each one also
//!   validated against `schemas/` by the harness;
//! - `doctor@…`: doctor's report, for people and as JSON, healthy and not;
//! - `error@…`: every error message a person meets, with its exit code, and that
//!   nothing was written.
//!
//! Every run here has only the sandbox's bin dir on PATH (what the host has installed
//! is not detected) and `--offline` for doctor, so each machine prints the same.

use std::path::Path;

use crate::harness::snap::show_run;
use crate::harness::*;

/// A sandbox whose runs see only its own bin dir on PATH.
fn quiet() -> Sandbox {
    let mut s = Sandbox::new();
    s.system_path = String::new();
    s
}

/// Runs `args` and snapshots the run (command line, exit code, stdout, stderr) as
/// `name`. Returns the output for further checks.
fn snap(s: &Sandbox, name: &str, args: &[&str]) -> Output {
    let out = s.run(args);
    let _settings = s.insta().bind_to_scope();
    insta::assert_snapshot!(name.to_owned(), show_run(args, &out));
    out
}

/// [`snap`] for a run that must fail with `code` and write nothing.
fn snap_refusal(s: &Sandbox, name: &str, args: &[&str], code: i32) -> Output {
    let before = s.snapshot();
    let out = snap(s, name, args);
    out.assert_code(code);
    assert_unchanged(&before, &s.snapshot());
    out
}

// ---------------------------------------------------------------------------------
// --help

const COMMANDS: &[&[&str]] = &[
    &[],
    &["init"],
    &["uninstall"],
    &["doctor"],
    &["auth"],
    &["login"],
    &["logout"],
    &["signup"],
    &["keys"],
    &["keys", "create"],
    &["keys", "list"],
    &["keys", "revoke"],
    &["update"],
    &["completions"],
];

#[test]
fn help_of_every_command() {
    let s = quiet();
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.push("--help");
        let name = if command.is_empty() {
            "help@codeloop".to_owned()
        } else {
            format!("help@{}", command.join("-"))
        };
        snap(&s, &name, &args).assert_code(0);
    }
}

/// The commands a `--help` lists under `Commands:`.
fn listed(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_has_a_help_snapshot() {
    let s = quiet();
    let top = listed(&s.run(&["--help"]).stdout);
    assert!(top.contains(&"init".to_owned()), "{top:?}");
    for command in top {
        assert!(
            COMMANDS.contains(&&[command.as_str()][..]),
            "`codeloop {command}` has no help snapshot: add it to COMMANDS"
        );
        for sub in listed(&s.run(&[&command, "--help"]).stdout) {
            assert!(
                COMMANDS.contains(&&[command.as_str(), sub.as_str()][..]),
                "`codeloop {command} {sub}` has no help snapshot: add it to COMMANDS"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// init --json

#[test]
fn json_init_dry_run_in_a_fresh_project() {
    let s = quiet();
    snap(
        &s,
        "json@init-dry-run-fresh",
        &[
            "init",
            "--json",
            "--dry-run",
            "--only",
            "cursor,claude-code",
        ],
    )
    .assert_code(0);
}

#[test]
fn json_init_apply_then_unchanged() {
    let s = quiet();
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/mcp-with-comments-and-trailing-commas.jsonc"),
    );
    let args = ["init", "--json", "--yes", "--only", "cursor,bash"];
    snap(&s, "json@init-apply", &args).assert_code(0);
    snap(&s, "json@init-apply-again-unchanged", &args).assert_code(0);
}

#[test]
fn json_init_in_a_git_project_lists_the_gitignore_change() {
    let mut s = quiet();
    s.system_path = SYSTEM_PATH.to_owned();
    s.git_init(&s.project);
    s.system_path = String::new();
    snap(
        &s,
        "json@init-dry-run-git-ignore",
        &["init", "--json", "--dry-run", "--only", "gemini"],
    )
    .assert_code(0);
}

#[test]
fn json_init_check_with_pending_changes() {
    let s = quiet();
    snap(
        &s,
        "json@init-check-pending",
        &["init", "--json", "--check", "--only", "codex"],
    )
    .assert_code(3);
}

#[test]
fn json_init_without_a_key() {
    let mut s = quiet();
    s.key = None;
    snap(
        &s,
        "json@init-dry-run-no-key",
        &["init", "--json", "--dry-run", "--only", "vscode"],
    )
    .assert_code(0);
    snap_refusal(
        &s,
        "json@init-apply-no-key",
        &["init", "--json", "--yes", "--only", "vscode"],
        1,
    );
}

#[test]
fn json_init_errors_are_in_the_document() {
    let s = quiet();
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/mcp-servers-is-array.json"),
    );
    snap_refusal(
        &s,
        "json@init-file-error",
        &["init", "--json", "--yes", "--only", "cursor,windsurf"],
        1,
    );

    let s = quiet();
    snap_refusal(
        &s,
        "json@init-without-yes",
        &["init", "--json", "--only", "cursor"],
        1,
    );

    let mut s = quiet();
    s.key = Some("sk-notACodeloopKey-SECRETVALUE123".to_owned());
    let out = snap_refusal(
        &s,
        "json@init-invalid-key",
        &["init", "--json", "--yes", "--only", "cursor"],
        1,
    );
    assert!(!out.both().contains("SECRETVALUE"));

    let s = quiet();
    let missing = s.root.join("no-such-project");
    snap_refusal(
        &s,
        "json@init-missing-project",
        &[
            "init",
            "--json",
            "--yes",
            "--only",
            "cursor",
            "--project",
            missing.to_str().unwrap(),
        ],
        2,
    );
}

#[test]
fn json_a_skipped_target_has_empty_changes_and_errors() {
    // What `jq '.targets[].changes[]'` needs: the arrays on every target.
    let s = quiet();
    let doc = snap::json_document(&s.run(&["init", "--json", "--dry-run", "--only", "fish"]));
    for t in doc["targets"].as_array().unwrap() {
        assert!(t["changes"].is_array() && t["errors"].is_array(), "{t:#}");
        if t["name"] != "fish" {
            assert_eq!(t["status"], "skipped", "{t:#}");
        }
    }
}

// ---------------------------------------------------------------------------------
// uninstall --json

#[test]
fn json_uninstall() {
    let s = quiet();
    write(&s.home_path(".claude.json"), "{\n  \"numStartups\": 3\n}\n");
    s.init_ok("cursor,claude-code,zsh");
    snap(
        &s,
        "json@uninstall-dry-run",
        &["uninstall", "--json", "--dry-run"],
    )
    .assert_code(0);
    snap_refusal(
        &s,
        "json@uninstall-without-yes",
        &["uninstall", "--json", "--only", "cursor"],
        1,
    );
    snap(
        &s,
        "json@uninstall-apply",
        &[
            "uninstall",
            "--json",
            "--yes",
            "--only",
            "cursor,claude-code",
        ],
    )
    .assert_code(0);
    s.run(&["uninstall", "--yes"]).assert_code(0);
    snap(
        &s,
        "json@uninstall-nothing-recorded",
        &["uninstall", "--json", "--yes"],
    )
    .assert_code(0);
}

// ---------------------------------------------------------------------------------
// doctor

/// A sandbox with `node` (v20) and `npx` on its PATH and cursor and bash set up.
fn set_up() -> Sandbox {
    let s = quiet();
    let node = s.bin.join("node");
    write(&node, "#!/bin/sh\necho v20.11.1\n");
    set_mode(&node, 0o755);
    s.fake_exe("npx");
    s.init_ok("cursor,bash");
    s
}

#[test]
fn doctor_healthy() {
    let s = set_up();
    snap(&s, "doctor@healthy", &["doctor", "--offline"]).assert_code(0);
    snap(
        &s,
        "doctor@healthy-json",
        &["doctor", "--offline", "--json"],
    )
    .assert_code(0);
}

#[test]
fn doctor_stale_key_and_broken_file() {
    let mut s = set_up();
    s.key = Some(KEY2.to_owned());
    snap(&s, "doctor@stale-key", &["doctor", "--offline"]).assert_code(1);
    snap(
        &s,
        "doctor@stale-key-json",
        &["doctor", "--offline", "--json"],
    )
    .assert_code(1);
    s.key = Some(KEY.to_owned());
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/invalid-missing-comma.json"),
    );
    snap(&s, "doctor@broken-file", &["doctor", "--offline"]).assert_code(1);
}

/// Keys written into startup files by hand: one `!` per file, each line named, a
/// commented one not; healthy all the same.
#[test]
fn doctor_startup_keys() {
    let s = set_up();
    let bashrc = s.home_path(".bashrc");
    let mut text = read(&bashrc);
    text.push_str(&format!(
        "# export CODELOOP_API_KEY={KEY}\nexport CODELOOP_API_KEY={KEY2}\nexport CODELOOP_API_KEY={KEY2} # again\n"
    ));
    write(&bashrc, text);
    write(
        &s.home_path(".config/fish/config.fish"),
        format!("set -gx CODELOOP_API_KEY {KEY2}\n"),
    );
    snap(&s, "doctor@startup-keys", &["doctor", "--offline"]).assert_code(0);
    snap(
        &s,
        "doctor@startup-keys-json",
        &["doctor", "--offline", "--json"],
    )
    .assert_code(0);
}

#[test]
fn doctor_nothing_set_up_no_key_no_node() {
    let mut s = quiet();
    s.key = None;
    snap(&s, "doctor@nothing-set-up", &["doctor", "--offline"]).assert_code(1);
    snap(
        &s,
        "doctor@nothing-set-up-json",
        &["doctor", "--offline", "--json"],
    )
    .assert_code(1);
}

// ---------------------------------------------------------------------------------
// Errors

#[test]
fn error_files_that_do_not_parse_or_have_the_wrong_shape() {
    for (name, fixture_name, file, target) in [
        (
            "error@cursor-invalid-json",
            "cursor/invalid-missing-comma.json",
            ".cursor/mcp.json",
            "cursor",
        ),
        (
            "error@cursor-mcp-servers-is-an-array",
            "cursor/mcp-servers-is-array.json",
            ".cursor/mcp.json",
            "cursor",
        ),
        (
            "error@claude-settings-allow-is-an-object",
            "claude/settings-local-allow-is-object.json",
            ".claude/settings.local.json",
            "claude-code",
        ),
        (
            "error@codex-invalid-toml",
            "codex/invalid-unclosed-table-header.toml",
            ".codex/config.toml",
            "codex",
        ),
        (
            "error@gemini-invalid-json",
            "gemini/invalid-missing-comma.json",
            ".gemini/settings.json",
            "gemini",
        ),
        (
            "error@vscode-unterminated-string",
            "vscode/invalid-unterminated-string.json",
            ".vscode/mcp.json",
            "vscode",
        ),
    ] {
        let s = quiet();
        write(&s.project_path(file), fixture(fixture_name));
        snap_refusal(&s, name, &["init", "--yes", "--only", target], 1);
    }

    let s = quiet();
    write(
        &s.home_path(".claude.json"),
        fixture("claude/claude-json-projects-is-string.json"),
    );
    snap_refusal(
        &s,
        "error@claude-json-projects-is-a-string",
        &["init", "--yes", "--only", "claude-code,cursor"],
        1,
    );

    let s = quiet();
    write(
        &s.home_path(".bashrc"),
        read_bytes(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/shell/duplicated-markers.bashrc"),
        ),
    );
    snap_refusal(
        &s,
        "error@bashrc-duplicated-markers",
        &["init", "--yes", "--only", "bash"],
        1,
    );
}

#[test]
fn error_files_that_cannot_be_written() {
    let s = quiet();
    let bashrc = s.home_path(".bashrc");
    write(&bashrc, "export A=1\n");
    set_mode(&bashrc, 0o444);
    snap_refusal(
        &s,
        "error@read-only-rc",
        &["init", "--yes", "--only", "bash"],
        1,
    );

    let s = quiet();
    std::fs::create_dir_all(s.project_path(".cursor/mcp.json")).unwrap();
    snap_refusal(
        &s,
        "error@config-is-a-directory",
        &["init", "--yes", "--only", "cursor"],
        1,
    );

    let s = quiet();
    symlink(
        &s.root.join("dotfiles/gone.json"),
        &s.project_path(".cursor/mcp.json"),
    );
    snap_refusal(
        &s,
        "error@config-is-a-dangling-symlink",
        &["init", "--yes", "--only", "cursor"],
        1,
    );

    let s = quiet();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    symlink(Path::new("b.json"), &s.project_path(".cursor/mcp.json"));
    symlink(Path::new("mcp.json"), &s.project_path(".cursor/b.json"));
    snap_refusal(
        &s,
        "error@config-is-a-symlink-loop",
        &["init", "--yes", "--only", "cursor"],
        1,
    );

    let s = quiet();
    write(&s.project_path(".cursor"), "not a directory\n");
    snap_refusal(
        &s,
        "error@config-dir-is-a-file",
        &["init", "--yes", "--only", "cursor"],
        1,
    );
}

#[test]
fn error_the_key() {
    let mut s = quiet();
    s.key = None;
    snap_refusal(
        &s,
        "error@no-key",
        &["init", "--yes", "--only", "cursor"],
        1,
    );
    snap_refusal(&s, "error@auth-status-no-key", &["auth", "--status"], 1);

    s.key = Some("sk-notACodeloopKey-SECRETVALUE123".to_owned());
    let out = snap_refusal(
        &s,
        "error@invalid-key-in-environment",
        &["init", "--yes", "--only", "cursor"],
        1,
    );
    assert!(!out.both().contains("SECRETVALUE"));

    let mut s = quiet();
    s.key = None;
    write(
        &s.home_path(".codeloop/config.json"),
        "{\"apiKey\": \"cl_live_Sh0rt\"}\n",
    );
    let out = snap_refusal(
        &s,
        "error@invalid-key-in-config-json",
        &["init", "--yes", "--only", "cursor"],
        1,
    );
    assert!(!out.both().contains("Sh0rt"));

    let s = quiet();
    let out = snap_refusal(
        &s,
        "error@key-argument-malformed",
        &[
            "init",
            "--key",
            "cl_live_bad key SECRET",
            "--dry-run",
            "--only",
            "cursor",
        ],
        1,
    );
    assert!(!out.both().contains("SECRET"));
}

#[test]
fn error_how_it_was_called() {
    let s = quiet();
    snap_refusal(
        &s,
        "error@without-yes-off-a-terminal",
        &["init", "--only", "cursor"],
        1,
    );
    snap_refusal(
        &s,
        "error@unknown-target",
        &["init", "--yes", "--only", "cursr"],
        2,
    );
    let missing = s.root.join("no-such-project");
    snap_refusal(
        &s,
        "error@project-does-not-exist",
        &[
            "init",
            "--yes",
            "--only",
            "cursor",
            "--project",
            missing.to_str().unwrap(),
        ],
        2,
    );
    snap_refusal(
        &s,
        "error@completions-unknown-shell",
        &["completions", "tcsh"],
        2,
    );
    snap_refusal(
        &s,
        "error@password-as-an-argument",
        &["auth", "--password", "x"],
        2,
    );
    snap_refusal(
        &s,
        "error@keys-create-no-save-without-show-secrets",
        &["keys", "create", "--no-save"],
        2,
    );
    snap_refusal(
        &s,
        "error@keys-revoke-a-key-not-an-id",
        &["keys", "revoke", KEY, "--yes"],
        2,
    );
    snap_refusal(&s, "error@keys-not-signed-in", &["keys", "list"], 1);
    // A usage error before the session is looked at: 2, signed in or not.
    snap_refusal(
        &s,
        "error@keys-revoke-without-yes-off-a-terminal",
        &["keys", "revoke", "key_1"],
        2,
    );
    snap_refusal(
        &s,
        "error@windows-env-outside-windows",
        &["init", "--yes", "--only", "windows-env"],
        2,
    );
    snap_refusal(
        &s,
        "error@uninstall-all-with-global",
        &["uninstall", "--all", "--global", "--yes"],
        2,
    );
    snap_refusal(
        &s,
        "error@no-browser-off-a-terminal",
        &["auth", "--no-browser"],
        1,
    );
    snap_refusal(
        &s,
        "error@password-stdin-without-email",
        &["login", "--no-browser", "--password-stdin"],
        1,
    );
}

#[test]
fn error_a_bad_key_piped_in() {
    let mut s = quiet();
    s.key = None;
    let before = s.snapshot();
    let args = ["auth", "--key-stdin"];
    let out = s.run_with_stdin(&args, "cl_live_SECRET with spaces\n");
    out.assert_code(1);
    assert!(!out.both().contains("SECRET"));
    assert_unchanged(&before, &s.snapshot());
    let _settings = s.insta().bind_to_scope();
    insta::assert_snapshot!("error@auth-key-stdin-malformed", show_run(&args, &out));
}

#[test]
fn error_check_with_a_file_that_does_not_parse() {
    let s = quiet();
    write(
        &s.project_path(".gemini/settings.json"),
        fixture("gemini/invalid-missing-comma.json"),
    );
    snap_refusal(
        &s,
        "error@check-file-does-not-parse",
        &["init", "--check", "--only", "gemini"],
        1,
    );
}

#[test]
fn error_uninstall() {
    let s = quiet();
    s.init_ok("cursor");
    snap_refusal(&s, "error@uninstall-without-yes", &["uninstall"], 1);
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/invalid-missing-comma.json"),
    );
    snap_refusal(
        &s,
        "error@uninstall-file-does-not-parse",
        &["uninstall", "--yes", "--only", "cursor"],
        1,
    );
}

#[test]
fn error_home() {
    let s = quiet();
    let exe = Path::new(env!("CARGO_BIN_EXE_codeloop"));
    let _settings = s.insta().bind_to_scope();
    let args = ["init", "--yes", "--only", "cursor"];
    let base = vec![("CODELOOP_API_KEY".to_owned(), KEY.to_owned())];
    let out = run_program(exe, &args, &s.project, &base);
    out.assert_code(1);
    insta::assert_snapshot!("error@home-unset", show_run(&args, &out));

    let mut env = base.clone();
    let missing = s.root.join("no-such-home");
    env.push(("HOME".into(), missing.to_str().unwrap().into()));
    let out = run_program(exe, &args, &s.project, &env);
    out.assert_code(1);
    insta::assert_snapshot!("error@home-does-not-exist", show_run(&args, &out));
    assert!(!missing.exists(), "a missing home is never created");
}

#[test]
fn error_a_key_file_a_nested_gitignore_un_ignores() {
    let mut s = quiet();
    s.system_path = SYSTEM_PATH.to_owned();
    s.git_init(&s.project);
    s.system_path = String::new();
    write(
        &s.project_path(".cursor/.gitignore"),
        "*\n!.gitignore\n!mcp.json\n",
    );
    snap_refusal(
        &s,
        "error@key-file-a-nested-gitignore-un-ignores",
        &["init", "--yes", "--only", "cursor"],
        1,
    );
}

#[test]
fn error_a_tracked_file_never_gets_the_key() {
    let mut s = quiet();
    s.system_path = SYSTEM_PATH.to_owned();
    s.git_init(&s.project);
    write(
        &s.project_path(".cursor/mcp.json"),
        "{\n  \"mcpServers\": {}\n}\n",
    );
    s.git(&s.project, &["add", ".cursor/mcp.json"]);
    s.system_path = String::new();
    snap(
        &s,
        "error@tracked-file-never-gets-the-key",
        &["init", "--yes", "--only", "cursor"],
    )
    .assert_code(1);
    assert_eq!(
        read(&s.project_path(".cursor/mcp.json")),
        "{\n  \"mcpServers\": {}\n}\n"
    );
}
