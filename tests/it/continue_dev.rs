//! `init` for Continue (its VS Code and JetBrains extensions): codeloop's own block
//! file, `.continue/mcpServers/codeloop.json` in the project and
//! `~/.continue/mcpServers/codeloop.json` (or under an absolute `$CONTINUE_GLOBAL_DIR`)
//! for the user, holds the key in both scopes (Continue resolves no variable in a JSON
//! block), is git-ignored in a project, and goes with `uninstall`; the user's
//! `config.yaml` and other block files are never touched; detection.
//!
//! Continue's extensions are not on npm and its CLI, `cn`, neither reads block files
//! nor lists servers, so Continue's own code reads the result instead:
//! `tests/clients/continue-read.mjs` runs what the IDE core does with a block dir's
//! JSON files — `comment-json` (the version core locks) to parse, then the schemas and
//! the JSON → YAML conversion of `@continuedev/config-yaml` (pinned in tests/clients).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::*;

/// The server as Continue holds it after reading a JSON block: named by its key, with
/// `type: stdio` added by the conversion.
fn as_continue_reads(key_value: &str) -> Value {
    json!({
        "name": "codeloop",
        "type": "stdio",
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": key_value}
    })
}

/// What Continue's IDE core reads from these block dirs, in its order (workspace dirs
/// first): `{"servers": [{name, sourceFile, config, warnings}], "errors": […]}`.
/// `None` after [`require`] said what is missing (a failure under CI).
fn continue_reads(s: &Sandbox, dirs: &[&Path]) -> Option<Value> {
    let node = require("node")?;
    let script = require("tests/clients/continue-read.mjs")?;
    require("tests/clients/node_modules/@continuedev/config-yaml/dist/index.js")?;
    require("tests/clients/node_modules/comment-json/package.json")?;
    let mut args = vec![script.to_str().unwrap()];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    let env = vec![
        ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
        ("PATH".to_owned(), String::new()),
    ];
    let out = run_program(&node, &args, &s.root, &env);
    assert_eq!(
        out.code,
        Some(0),
        "continue-read.mjs failed\n{}",
        out.masked()
    );
    let read: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("continue-read.mjs printed no JSON ({e})\n{}", out.masked()));
    assert_eq!(read["errors"], json!([]), "{}", mask(&read.to_string()));
    Some(read)
}

/// The server `name` in what [`continue_reads`] returned.
fn server<'a>(read: &'a Value, name: &str) -> &'a Value {
    read["servers"]
        .as_array()
        .and_then(|all| all.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("Continue reads no {name}: {}", mask(&read.to_string())))
}

fn project_block(s: &Sandbox) -> PathBuf {
    s.project_path(".continue/mcpServers/codeloop.json")
}

fn user_block(s: &Sandbox) -> PathBuf {
    s.home_path(".continue/mcpServers/codeloop.json")
}

#[test]
fn the_project_block_holds_the_key_beside_the_teams_blocks_and_is_git_ignored() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    let theirs = s.project_path(".continue/mcpServers/playwright-mcp.yaml");
    let playwright = fixture("continue/workspace-yaml-block-playwright.yaml");
    write(&theirs, &playwright);
    let file = project_block(&s);
    // Even with a shell target setting CODELOOP_API_KEY: a JSON block's `${…}` is never
    // resolved by Continue, so the file holds the key.
    let args = ["init", "--yes", "--only", "continue,bash"];
    s.run(&args).assert_code(0);

    let parsed = read_jsonc(&file);
    assert_eq!(
        parsed,
        json!({"mcpServers": {"codeloop": expected_entry(KEY)}})
    );
    assert_eq!(mode(&file), 0o600, "a new file holding the key");
    let gitignore = read(&s.project_path(".gitignore"));
    assert!(
        gitignore.contains("/.continue/mcpServers/codeloop.json\n"),
        "{gitignore}"
    );
    assert_eq!(read(&theirs), playwright, "the team's block is not touched");
    if let Some(read) = continue_reads(&s, &[&s.project_path(".continue/mcpServers")]) {
        let ours = server(&read, "codeloop");
        assert_eq!(ours["config"], as_continue_reads(KEY));
        assert_eq!(ours["sourceFile"], file.to_str().unwrap());
        assert_eq!(ours["warnings"], json!([]));
    }

    let snap = s.snapshot();
    s.run(&args).stdout_has("already configured");
    assert_unchanged(&snap, &s.snapshot());

    s.run(&["uninstall", "--yes", "--only", "continue,bash"])
        .assert_code(0);
    assert!(!file.exists(), "codeloop's block goes with uninstall");
    assert!(!s.project_path(".gitignore").exists());
    assert_eq!(read(&theirs), playwright);
    assert!(
        s.project_path(".continue/mcpServers").is_dir(),
        "the block dir was the team's: it stays"
    );
}

#[test]
fn the_user_block_leaves_config_yaml_alone_and_a_project_block_wins_in_continue() {
    let s = Sandbox::new();
    let config = s.home_path(".continue/config.yaml");
    write(
        &config,
        fixture("continue/config-yaml-comments-models-other-servers.yaml"),
    );
    let before = s.snapshot();
    let config_rel = config.strip_prefix(&s.root).unwrap();
    let global = ["init", "--yes", "--global", "--only", "continue"];
    s.run(&global).assert_code(0);
    assert_eq!(
        before.get(config_rel),
        s.snapshot().get(config_rel),
        "config.yaml: not a byte, mode or mtime changed"
    );
    let file = user_block(&s);
    assert_eq!(
        read_jsonc(&file)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert_eq!(mode(&file), 0o600);

    // A project block as well, with another key: Continue reads workspace dirs first
    // and keeps the first server of a name.
    let mut s = s;
    s.key = Some(KEY2.to_owned());
    s.init_ok("continue");
    let dirs = [
        s.project_path(".continue/mcpServers"),
        s.home_path(".continue/mcpServers"),
    ];
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    if let Some(read) = continue_reads(&s, &dirs) {
        let ours = server(&read, "codeloop");
        assert_eq!(ours["sourceFile"], project_block(&s).to_str().unwrap());
        assert_eq!(ours["config"], as_continue_reads(KEY2));
        assert_eq!(read["servers"].as_array().unwrap().len(), 1);
    }
    // The user block alone, as Continue reads it in a project without one.
    if let Some(read) = continue_reads(&s, &dirs[1..]) {
        assert_eq!(server(&read, "codeloop")["config"], as_continue_reads(KEY));
    }

    s.run(&["uninstall", "--yes", "--only", "continue"])
        .assert_code(0);
    s.run(&["uninstall", "--yes", "--global", "--only", "continue"])
        .assert_code(0);
    assert!(!file.exists() && !project_block(&s).exists());
    assert!(!s.home_path(".continue/mcpServers").exists());
    assert!(!s.project_path(".continue").exists());
    assert_eq!(
        before.get(config_rel),
        s.snapshot().get(config_rel),
        "config.yaml is as it was"
    );
}

#[test]
fn a_hand_written_block_with_comments_keeps_them_and_continue_still_reads_it() {
    let s = Sandbox::new();
    let file = user_block(&s);
    let original = fixture("continue/codeloop-json-hand-written-comments-stale-key.jsonc");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "continue"];
    s.run(&args).assert_code(0);
    let after = read(&file);
    assert_eq!(
        changed_span(&original, &after),
        ("OLDstaleKey0000000000", &KEY[8..]),
        "only the key changes"
    );
    // comment-json takes the comments and trailing commas; the `type` stays.
    if let Some(read) = continue_reads(&s, &[&s.home_path(".continue/mcpServers")]) {
        assert_eq!(server(&read, "codeloop")["config"], as_continue_reads(KEY));
    }
    s.run(&["uninstall", "--yes", "--global", "--only", "continue"])
        .assert_code(0);
    assert_eq!(read(&file), original, "the user's own key comes back");
}

#[test]
fn continue_global_dir_moves_the_user_block_when_it_is_absolute() {
    let mut s = Sandbox::new();
    let global = s.root.join("continue-home");
    s.env.push((
        "CONTINUE_GLOBAL_DIR".into(),
        global.to_str().unwrap().into(),
    ));
    let args = ["init", "--yes", "--global", "--only", "continue"];
    s.run(&args).assert_code(0);
    let file = global.join("mcpServers/codeloop.json");
    assert_eq!(
        read_jsonc(&file)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert!(
        !s.home_path(".continue").exists(),
        "nothing under ~/.continue"
    );
    s.run(&["uninstall", "--yes", "--global", "--only", "continue"])
        .assert_code(0);
    assert!(!file.exists());

    // A relative one is relative to Continue's working directory, unknown here.
    let mut s = Sandbox::new();
    s.env
        .push(("CONTINUE_GLOBAL_DIR".into(), "continue-home".into()));
    s.run(&args).assert_code(0);
    assert!(user_block(&s).is_file());
    assert!(!s.project_path("continue-home").exists());
}

/// Why codeloop writes the key and not a reference: Continue turns a JSON block's
/// `${NAME}` into `${{ secrets.NAME }}` and never renders it (the JSON blocks are read
/// after the secrets pass, `core/config/yaml/loadYaml.ts`), so the server would be
/// started with that text.
#[test]
fn continue_would_not_resolve_a_reference_in_a_json_block() {
    let s = Sandbox::new();
    let dir = s.project_path(".continue/mcpServers");
    write(
        &dir.join("codeloop.json"),
        serde_json::to_string(
            &json!({"mcpServers": {"codeloop": expected_entry("${CODELOOP_API_KEY}")}}),
        )
        .unwrap(),
    );
    if let Some(read) = continue_reads(&s, &[&dir]) {
        assert_eq!(
            server(&read, "codeloop")["config"]["env"]["CODELOOP_API_KEY"],
            "${{ secrets.CODELOOP_API_KEY }}"
        );
    }
}

#[test]
fn detects_continue_by_its_dirs_but_not_by_cn() {
    let found = |s: &Sandbox| {
        let out = s.run(&["init", "--dry-run"]);
        out.assert_code(0);
        out.stdout
            .lines()
            .find(|l| l.starts_with("found Continue:"))
            .map(str::to_owned)
    };
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".continue/rules")).unwrap();
    assert!(found(&s).unwrap().contains(".continue/ exists"));

    let s = Sandbox::new();
    std::fs::create_dir_all(s.home_path(".continue")).unwrap();
    assert!(found(&s).unwrap().contains("~/.continue/ exists"));

    let s = Sandbox::new();
    std::fs::create_dir_all(s.home_path(".config/Code/User/globalStorage/continue.continue"))
        .unwrap();
    assert!(
        found(&s)
            .unwrap()
            .contains("~/.config/Code/User/globalStorage/continue.continue/ exists")
    );

    // Continue's CLI reads none of the files codeloop writes for Continue.
    let mut s = Sandbox::new();
    s.system_path = String::new();
    s.fake_exe("cn");
    assert_eq!(found(&s), None);
}
