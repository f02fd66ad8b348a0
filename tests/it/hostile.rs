//! Hostile input: keys that try to break out of a quote or a command line, odd
//! project and home paths, and config paths that are not files. Each gets a clear
//! lowercase error naming what is wrong, or works; never a half-written file, and
//! never the rejected value echoed back.

use std::path::Path;

use crate::harness::*;

/// Keys that fail the format check, each with a marker that must never be printed.
fn hostile_keys() -> Vec<(&'static str, String)> {
    vec![
        (
            "command substitution",
            "cl_live_abc$(touch PWNED)def".to_owned(),
        ),
        ("backticks", "cl_live_abc`touch PWNED`def".to_owned()),
        ("single quote", "cl_live_abc'PWNED'defgh".to_owned()),
        ("double quote", "cl_live_abc\"PWNED\"defgh".to_owned()),
        ("newline", "cl_live_abcdefgh\nexport PWNED=1".to_owned()),
        ("windows variable", "cl_live_%PWNED%abcdefg".to_owned()),
        ("semicolon", "cl_live_abcdefgh;PWNED".to_owned()),
        ("too long", format!("cl_live_PWNED{}", "a".repeat(10_000))),
        ("too short", "cl_live_PWNED".to_owned()),
    ]
}

#[test]
fn hostile_keys_from_the_environment_are_rejected_without_echo() {
    for (what, key) in hostile_keys() {
        let mut s = Sandbox::new();
        s.key = None;
        s.env.push(("CODELOOP_API_KEY".into(), key.clone()));
        let before = s.snapshot();
        let out = s.run(&["init", "--yes", "--only", "cursor,bash,claude-code"]);
        out.assert_code(1);
        out.stderr_has("CODELOOP_API_KEY");
        out.stderr_has("is not a valid CodeLoop API key");
        assert!(
            !out.both().contains("PWNED"),
            "{what}: the value was echoed"
        );
        assert_unchanged(&before, &s.snapshot());
        assert!(!s.project_path("PWNED").exists() && !s.home_path("PWNED").exists());
    }
}

#[test]
fn hostile_keys_in_the_config_file_are_rejected_without_echo() {
    for (what, key) in hostile_keys() {
        let s = Sandbox::without_key();
        let config = serde_json::json!({ "apiKey": key }).to_string();
        write(&s.home_path(".codeloop/config.json"), &config);
        let before = s.snapshot();
        let out = s.run(&["init", "--yes", "--only", "cursor"]);
        out.assert_code(1);
        out.stderr_has("config.json");
        assert!(
            !out.both().contains("PWNED"),
            "{what}: the value was echoed"
        );
        assert_unchanged(&before, &s.snapshot());
    }
}

#[test]
fn hostile_keys_on_stdin_are_rejected_without_echo() {
    let s = Sandbox::without_key();
    for (what, key) in hostile_keys() {
        let out = s.run_with_stdin(&["init", "--yes", "--key-stdin", "--only", "cursor"], &key);
        out.assert_code(1);
        assert!(
            !out.both().contains("PWNED"),
            "{what}: the value was echoed"
        );
        assert!(!s.project_path(".cursor").exists(), "{what}");
    }
}

#[test]
fn a_project_path_with_spaces_quotes_and_unicode_works() {
    let mut s = Sandbox::new();
    let odd = s.root.join("my \"odd\" project's dir — ü");
    std::fs::create_dir_all(&odd).unwrap();
    s.cwd = odd.clone();
    s.init_ok("cursor,claude-code");
    let claude = read_jsonc(&s.home_path(".claude.json"));
    assert_eq!(
        claude["projects"][odd.to_str().unwrap()]["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert!(odd.join(".cursor/mcp.json").is_file());
    // --project with the same odd path, from elsewhere: already configured.
    s.cwd = s.root.clone();
    let out = s.run(&[
        "init",
        "--yes",
        "--only",
        "cursor,claude-code",
        "--project",
        odd.to_str().unwrap(),
    ]);
    out.assert_code(0);
    out.stdout_has("nothing to change");
}

#[test]
fn a_home_with_spaces_and_quotes_still_gets_the_key_in_a_real_shell() {
    let Some(bash) = require("bash") else {
        return;
    };
    let s = Sandbox::new();
    let home = s.root.join("home of \"o'brien\"");
    std::fs::create_dir_all(&home).unwrap();
    let mut env = vec![("HOME".to_owned(), home.to_str().unwrap().to_owned())];
    env.push(("PATH".into(), SYSTEM_PATH.into()));
    env.push(("CODELOOP_API_KEY".into(), KEY.into()));
    let out = run_program(
        Path::new(env!("CARGO_BIN_EXE_codeloop")),
        &["init", "--yes", "--only", "bash"],
        &s.project,
        &env,
    );
    out.assert_code(0);
    env.pop();
    let shell = run_program(
        &bash,
        &["-i", "-c", "printf %s \"$CODELOOP_API_KEY\""],
        &s.project,
        &env,
    );
    assert_eq!(shell.stdout, KEY, "{}", mask(&shell.stderr));
}

#[test]
fn home_unset_or_missing_is_a_clear_error_and_nothing_is_created() {
    let s = Sandbox::new();
    let exe = Path::new(env!("CARGO_BIN_EXE_codeloop"));
    let base = vec![
        ("PATH".to_owned(), SYSTEM_PATH.to_owned()),
        ("CODELOOP_API_KEY".into(), KEY.into()),
    ];
    let out = run_program(
        exe,
        &["init", "--yes", "--only", "cursor"],
        &s.project,
        &base,
    );
    out.assert_code(1);
    out.stderr_has("HOME");
    out.stderr_has("is not set");

    let missing = s.root.join("no-such-home");
    let mut env = base.clone();
    env.push(("HOME".into(), missing.to_str().unwrap().into()));
    let out = run_program(
        exe,
        &["init", "--yes", "--only", "claude-code"],
        &s.project,
        &env,
    );
    out.assert_code(1);
    out.stderr_has("does not exist");
    assert!(!missing.exists(), "a missing home is never created");
}

#[test]
fn configs_that_are_not_files_are_refused_and_nothing_is_written() {
    // A directory where mcp.json should be.
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor/mcp.json")).unwrap();
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "cursor,claude-code"]);
    out.assert_code(1);
    out.stderr_has(".cursor/mcp.json: is a directory");
    out.stderr_has("--skip cursor");
    assert_unchanged(&before, &s.snapshot());

    // A FIFO: refused without ever opening it (which would block).
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    let fifo = s.project_path(".cursor/mcp.json");
    run_program(
        Path::new("mkfifo"),
        &[fifo.to_str().unwrap()],
        &s.project,
        &[("PATH".into(), SYSTEM_PATH.into())],
    )
    .assert_code(0);
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has("is not a regular file");
    assert_unchanged(&before, &s.snapshot());

    // A dangling symlink.
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    symlink(
        &s.root.join("dotfiles/gone.json"),
        &s.project_path(".cursor/mcp.json"),
    );
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has("which does not exist");
    assert_unchanged(&before, &s.snapshot());
}
