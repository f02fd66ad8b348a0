//! `init` for Codex, Gemini CLI, VS Code, Windsurf and Claude Desktop at the file level
//! (the real Codex and Gemini CLIs read the results in tests/it/clients_real.rs): shapes,
//! bytes kept, key or variable reference, git-ignore guard, refusals, detection.

use std::path::Path;

use crate::harness::*;
use serde_json::json;

fn vscode_entry(key_value: &str) -> serde_json::Value {
    json!({
        "type": "stdio",
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": key_value}
    })
}

#[test]
fn vscode_gets_a_stdio_server_under_servers_and_keeps_inputs() {
    let s = Sandbox::new();
    let file = s.project_path(".vscode/mcp.json");
    let original = fixture("vscode/mcp-with-inputs.jsonc");
    write(&file, &original);

    s.init_ok("vscode");

    let after = read(&file);
    assert_pure_insertion(&original, &after);
    let parsed = read_jsonc(&file);
    assert_eq!(parsed["servers"]["codeloop"], vscode_entry(KEY));
    assert_eq!(parsed["inputs"], parse_jsonc(&original)["inputs"]);
    assert!(
        parsed.get("mcpServers").is_none(),
        "VS Code's key is `servers`"
    );

    let snap = s.snapshot();
    s.init_ok("vscode").stdout_has("already configured");
    assert_unchanged(&snap, &s.snapshot());

    s.run(&["uninstall", "--yes", "--only", "vscode"])
        .assert_code(0);
    assert_eq!(read(&file), original, "uninstall gives back the bytes");
}

#[test]
fn committed_project_files_reference_the_variable_when_a_shell_gets_the_key() {
    let s = Sandbox::new();
    s.git_init(&s.project);

    s.init_ok("vscode,gemini,codex,bash");

    let vscode = read_jsonc(&s.project_path(".vscode/mcp.json"));
    assert_eq!(
        vscode["servers"]["codeloop"],
        vscode_entry("${env:CODELOOP_API_KEY}")
    );
    let gemini = read_jsonc(&s.project_path(".gemini/settings.json"));
    assert_eq!(
        gemini["mcpServers"]["codeloop"]["env"],
        json!({"CODELOOP_API_KEY": "${CODELOOP_API_KEY}"})
    );
    let codex = read(&s.project_path(".codex/config.toml"));
    assert!(
        codex.contains("env_vars = [\"CODELOOP_API_KEY\"]"),
        "{codex}"
    );
    for rel in [
        ".vscode/mcp.json",
        ".gemini/settings.json",
        ".codex/config.toml",
    ] {
        let text = read(&s.project_path(rel));
        assert!(!text.contains("cl_live_"), "{rel} holds no key");
        assert_eq!(mode(&s.project_path(rel)), 0o644, "{rel} is a plain file");
    }
    // Nothing key-holding in the project, so nothing to git-ignore.
    assert!(!s.project_path(".gitignore").exists());
}

#[test]
fn without_a_shell_target_project_files_hold_the_key_and_are_git_ignored() {
    let s = Sandbox::new();
    s.git_init(&s.project);

    s.init_ok("vscode,gemini,codex");

    let gitignore = read(&s.project_path(".gitignore"));
    for rel in [
        ".vscode/mcp.json",
        ".gemini/settings.json",
        ".codex/config.toml",
    ] {
        assert!(
            gitignore.contains(&format!("/{rel}\n")),
            "{rel} git-ignored:\n{gitignore}"
        );
        assert!(read(&s.project_path(rel)).contains(KEY));
        assert_eq!(mode(&s.project_path(rel)), 0o600, "{rel} holds the key");
    }
}

#[test]
fn windsurf_and_claude_desktop_always_get_their_user_file() {
    let s = Sandbox::new();
    let windsurf = s.home_path(".codeium/windsurf/mcp_config.json");
    let desktop = s.home_path(".config/Claude/claude_desktop_config.json");
    let windsurf_original = fixture("windsurf/mcp-config-with-other-server.json");
    let desktop_original = fixture("claude-desktop/config-with-preferences.json");
    write(&windsurf, &windsurf_original);
    write(&desktop, &desktop_original);

    // Project scope is the default, but these clients have only a user file.
    s.init_ok("windsurf,claude-desktop");

    for (file, original) in [
        (&windsurf, &windsurf_original),
        (&desktop, &desktop_original),
    ] {
        let after = read(file);
        assert_pure_insertion(original, &after);
        assert_eq!(
            read_jsonc(file)["mcpServers"]["codeloop"],
            expected_entry(KEY)
        );
    }
    assert_eq!(read_jsonc(&desktop)["preferences"]["menuBarEnabled"], false);
    assert!(!s.project_path(".gitignore").exists());

    let snap = s.snapshot();
    s.run(&[
        "init",
        "--yes",
        "--global",
        "--only",
        "windsurf,claude-desktop",
    ])
    .assert_code(0);
    assert_unchanged(&snap, &s.snapshot());

    s.run(&["uninstall", "--yes", "--only", "windsurf,claude-desktop"])
        .assert_code(0);
    assert_eq!(
        read(&windsurf),
        windsurf_original,
        "uninstall gives back the bytes"
    );
    assert_eq!(
        read(&desktop),
        desktop_original,
        "uninstall gives back the bytes"
    );
}

#[test]
fn vscode_global_writes_the_user_dir_mcp_json() {
    let s = Sandbox::new();
    s.run(&["init", "--yes", "--global", "--only", "vscode"])
        .assert_code(0);
    let file = s.home_path(".config/Code/User/mcp.json");
    assert_eq!(read_jsonc(&file)["servers"]["codeloop"], vscode_entry(KEY));
    assert_eq!(mode(&file), 0o600);
}

fn refused(s: &Sandbox, target: &str, file: &Path, fixture_name: &str, position: &str) {
    let text = fixture(fixture_name);
    write(file, &text);
    let snap = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", target]);
    out.assert_code(1);
    out.stderr_has(position);
    assert!(
        !out.stderr.contains("--skip"),
        "no rest to skip to: {}",
        out.stderr
    );
    assert_unchanged(&snap, &s.snapshot());
}

#[test]
fn invalid_files_are_refused_with_their_position_and_left_untouched() {
    let s = Sandbox::new();
    refused(
        &s,
        "codex",
        &s.project_path(".codex/config.toml"),
        "codex/invalid-unclosed-table-header.toml",
        ".codex/config.toml:4:",
    );
    refused(
        &s,
        "gemini",
        &s.project_path(".gemini/settings.json"),
        "gemini/invalid-missing-comma.json",
        ".gemini/settings.json:6:",
    );
    refused(
        &s,
        "vscode",
        &s.project_path(".vscode/mcp.json"),
        "vscode/invalid-unterminated-string.json",
        ".vscode/mcp.json:3:",
    );
}

#[test]
fn detects_the_new_clients_by_their_commands_and_config_dirs() {
    let s = Sandbox::new();
    for exe in ["codex", "gemini", "code", "windsurf"] {
        s.fake_exe(exe);
    }
    std::fs::create_dir_all(s.home_path(".config/Claude")).unwrap();
    let out = s.run(&["init", "--dry-run"]);
    out.assert_code(0);
    for (label, evidence) in [
        ("Codex CLI", "`codex` is on PATH"),
        ("Gemini CLI", "`gemini` is on PATH"),
        ("VS Code", "`code` is on PATH"),
        ("Windsurf", "`windsurf` is on PATH"),
        ("Claude Desktop", "~/.config/Claude/ exists"),
    ] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("found {label}:")))
            .unwrap_or_else(|| panic!("{label} not found\n{}", out.masked()));
        assert!(line.contains(evidence), "{line}");
    }
}

#[test]
fn a_strict_json_client_is_never_handed_a_file_it_cannot_read() {
    let s = Sandbox::new();
    let desktop = s.home_path(".config/Claude/claude_desktop_config.json");
    let commented = "{\n  // my servers\n  \"mcpServers\": {}\n}\n";
    write(&desktop, commented);
    let out = s.run(&["init", "--yes", "--only", "claude-desktop"]);
    out.assert_code(1);
    out.stderr_has(".config/Claude/claude_desktop_config.json:2:3: a comment, which this client cannot read (it reads strict JSON); remove it and run again");
    assert_eq!(read(&desktop), commented, "left as it was");
    // The same file is fine for a client that reads JSONC.
    let windsurf = s.home_path(".codeium/windsurf/mcp_config.json");
    write(&windsurf, commented);
    s.init_ok("windsurf");
}

fn goose_config(s: &Sandbox) -> std::path::PathBuf {
    s.home_path(".config/goose/config.yaml")
}

#[test]
fn goose_gets_a_stdio_extension_beside_its_others_and_gives_the_bytes_back() {
    let mut s = Sandbox::new();
    let file = goose_config(&s);
    let original = fixture("goose/config-with-comments-and-other-extensions.yaml");
    write(&file, &original);

    s.init_ok("goose");
    let after = read(&file);
    assert_pure_insertion(&original, &after);
    assert!(
        after.contains("  codeloop:\n    enabled: true\n    type: stdio\n    name: codeloop\n    description: CodeLoop\n    timeout: 300\n    cmd: npx\n    args:\n    - -y\n    - codeloop-mcp-server\n    envs:\n      CODELOOP_API_KEY: "),
        "{}",
        mask(&after)
    );
    let snap = s.snapshot();
    s.init_ok("goose").stdout_has("already configured");
    assert_unchanged(&snap, &s.snapshot());

    // The user limits the tools; a new key changes only the key.
    let customised = after.replace(
        "    timeout: 300\n    cmd: npx",
        "    timeout: 300\n    available_tools:\n    - search\n    cmd: npx",
    );
    write(&file, &customised);
    s.key = Some(KEY2.to_owned());
    s.init_ok("goose");
    assert_eq!(read(&file), customised.replace(KEY, KEY2));

    s.run(&["uninstall", "--yes", "--only", "goose"])
        .assert_code(0);
    assert_eq!(read(&file), original, "uninstall gives back the bytes");
}

#[test]
fn goose_follows_goose_path_root_and_creates_a_private_file() {
    let mut s = Sandbox::new();
    let root = s.root.join("goose-root");
    s.env
        .push(("GOOSE_PATH_ROOT".into(), root.to_str().unwrap().into()));
    s.init_ok("goose");
    let file = root.join("config/config.yaml");
    assert!(read(&file).contains("extensions:\n  codeloop:\n"));
    assert_eq!(mode(&file), 0o600, "a new file holding the key");
    s.run(&["uninstall", "--yes", "--only", "goose"])
        .assert_code(0);
    assert!(!root.join("config").exists());
}

#[test]
fn goose_flow_style_extensions_are_refused_with_their_position() {
    let s = Sandbox::new();
    let file = goose_config(&s);
    let original = fixture("goose/config-flow-style-extensions.yaml");
    write(&file, &original);
    let out = s.run(&["init", "--yes", "--only", "goose"]);
    out.assert_code(1);
    out.stderr_has("config.yaml:2:13: `extensions` is written as a flow mapping `{…}`, which codeloop does not rewrite; rewrite it as a block mapping (one key per line, nested keys indented under it) and run again");
    assert_eq!(read(&file), original);
}

/// codeloop's extension as Goose reads it.
fn goose_extension(key: &str) -> serde_json::Value {
    json!({
        "enabled": true,
        "type": "stdio",
        "name": "codeloop",
        "description": "CodeLoop",
        "timeout": 300,
        "cmd": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "envs": {"CODELOOP_API_KEY": key}
    })
}

/// `init`, read back by Goose's own reader: the document is `original`'s with
/// `extensions.codeloop` set to `entry`. A second run changes nothing. Then the user
/// adds a setting at the end (so the reverse is structural, not the kept original),
/// and `uninstall` gives back exactly the original plus that line.
fn goose_round_trip(original: &str, entry: serde_json::Value) -> String {
    let mut s = Sandbox::new();
    let file = goose_config(&s);
    write(&file, original);
    s.init_ok("goose");
    let after = read(&file);
    let mut want = parse_goose_yaml(original);
    want["extensions"]["codeloop"] = entry;
    assert_eq!(parse_goose_yaml(&after), want, "{}", mask(&after));
    let snap = s.snapshot();
    s.init_ok("goose").stdout_has("already configured");
    assert_unchanged(&snap, &s.snapshot());
    s.key = Some(KEY2.to_owned());
    s.init_ok("goose");
    assert_eq!(
        read(&file),
        after.replace(KEY, KEY2),
        "a new key changes only the key"
    );
    let edited = format!("{}GOOSE_TEMPERATURE: 0.5\n", read(&file));
    write(&file, &edited);
    s.run(&["uninstall", "--yes", "--only", "goose"])
        .assert_code(0);
    assert_eq!(
        read(&file),
        format!("{original}GOOSE_TEMPERATURE: 0.5\n"),
        "uninstall takes out only what codeloop wrote"
    );
    after
}

#[test]
fn goose_config_with_a_byte_order_mark_keeps_it_and_its_one_extensions_map() {
    let original = fixture("goose/config-with-bom.yaml");
    assert!(original.starts_with('\u{feff}'));
    let after = goose_round_trip(&original, goose_extension(KEY));
    assert!(
        after.starts_with("\u{feff}# saved by"),
        "the mark stays first"
    );
    assert_eq!(after.matches("extensions:").count(), 1, "{}", mask(&after));
    assert_pure_insertion(&original, &after);
    // Right before a key, the mark is a column of indentation to Goose's reader: a
    // second top-level key would make the file one it cannot load (and replaces).
    let s = Sandbox::new();
    let file = goose_config(&s);
    let marked = "\u{feff}GOOSE_PROVIDER: openai\n";
    write(&file, marked);
    let out = s.run(&["init", "--yes", "--only", "goose"]);
    out.assert_code(1);
    out.stderr_has("config.yaml:1:1: a byte order mark right before the first key, which Goose's YAML reader (serde_yaml) counts as one column of indentation");
    assert_eq!(read(&file), marked, "left as it was");
    assert!(try_parse_goose_yaml(&format!("{marked}extensions: {{}}\n")).is_err());
}

#[test]
fn goose_empty_flow_maps_as_goose_writes_them_are_filled_and_given_back() {
    // `extensions: {}`: what Goose leaves once its last extension is removed.
    let original = fixture("goose/config-extensions-emptied-by-goose.yaml");
    let after = goose_round_trip(&original, goose_extension(KEY));
    assert!(
        after.ends_with(&format!("GOOSE_PROVIDER: openai\nextensions:\n  codeloop:\n    enabled: true\n    type: stdio\n    name: codeloop\n    description: CodeLoop\n    timeout: 300\n    cmd: npx\n    args:\n    - -y\n    - codeloop-mcp-server\n    envs:\n      CODELOOP_API_KEY: {KEY}\n")),
        "{}",
        mask(&after)
    );
    // A codeloop extension added through Goose, with `envs: {}`: only the key goes in.
    let original = fixture("goose/config-codeloop-added-by-goose-envs-empty.yaml");
    let mut entry = parse_goose_yaml(&original)["extensions"]["codeloop"].clone();
    entry["envs"] = json!({"CODELOOP_API_KEY": KEY});
    let after = goose_round_trip(&original, entry);
    assert_eq!(
        after,
        original.replace(
            "    envs: {}\n",
            &format!("    envs:\n      CODELOOP_API_KEY: {KEY}\n")
        )
    );
}

#[test]
fn goose_block_scalars_in_other_extensions_stay_byte_for_byte() {
    let original = fixture("goose/config-block-scalars-keep-strip-fold.yaml");
    let after = goose_round_trip(&original, goose_extension(KEY));
    // After the kept blank lines of the last scalar, before the next top-level key.
    let inserted = assert_pure_insertion(&original, &after);
    assert!(inserted.starts_with("  codeloop:\n"), "{}", mask(inserted));
    assert!(
        after.contains("blank lines kept\n\n\n  codeloop:\n"),
        "{}",
        mask(&after)
    );
}

#[test]
fn goose_tabs_are_refused_at_the_tab_or_read_as_goose_reads_them() {
    let s = Sandbox::new();
    let file = goose_config(&s);
    let tabbed = "extensions:\n  developer:\n\tenabled: true\n";
    write(&file, tabbed);
    let out = s.run(&["init", "--yes", "--only", "goose"]);
    out.assert_code(1);
    out.stderr_has("config.yaml:3:1: a tab in the indentation, which YAML does not allow (it indents with spaces only); replace it with spaces");
    assert_eq!(read(&file), tabbed, "left as it was");
    // A tab after a colon separates, as in Goose's reader.
    goose_round_trip(
        "extensions:\t\n  developer:\n    enabled: true\n",
        goose_extension(KEY),
    );
}
