//! `codeloop init` end to end: the built binary against a sandboxed home and project
//! (see tests/it/harness), one test per promised behaviour.

use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::Duration;

use crate::harness::*;
use serde_json::{Value, json};

fn cursor_mcp(s: &Sandbox) -> PathBuf {
    s.project_path(".cursor/mcp.json")
}

fn claude_json(s: &Sandbox) -> PathBuf {
    s.home_path(".claude.json")
}

fn settings_local(s: &Sandbox) -> PathBuf {
    s.project_path(".claude/settings.local.json")
}

fn project_key(s: &Sandbox) -> String {
    s.project.to_str().unwrap().to_owned()
}

/// `projects[<key>].mcpServers` in a `~/.claude.json`.
fn local_servers(claude_json: &Path, key: &str) -> Value {
    read_jsonc(claude_json)["projects"][key]["mcpServers"].clone()
}

fn backup_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(".codeloop.bak");
    path.with_file_name(name)
}

/// The JSON value with `pointer`'s member removed (to compare "everything else").
fn without(mut value: Value, parent: &str, member: &str) -> Value {
    value
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{parent} missing"))
        .as_object_mut()
        .unwrap()
        .shift_remove(member)
        .unwrap_or_else(|| panic!("{parent}/{member} missing"));
    value
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

/// The `found …` line for a target label (case-insensitive), if any.
fn found_line(stdout: &str, label: &str) -> Option<String> {
    let want = format!("found {}", label.to_lowercase());
    stdout
        .lines()
        .find(|l| l.to_lowercase().starts_with(&want))
        .map(str::to_owned)
}

fn no_backups_anywhere(s: &Sandbox) {
    let backups: Vec<_> = s
        .snapshot()
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(".codeloop.bak"))
        .collect();
    assert!(
        backups.is_empty(),
        "new files are never backed up: {backups:?}"
    );
}

// ---------------------------------------------------------------------------------
// Writing

#[test]
fn fresh_project_gets_the_server_in_cursor_and_claude_code_with_private_modes() {
    let s = Sandbox::new();
    s.init_ok("cursor,claude-code");

    let cursor = read_jsonc(&cursor_mcp(&s));
    assert_eq!(cursor["mcpServers"]["codeloop"], expected_entry(KEY));
    assert_eq!(mode(&cursor_mcp(&s)), 0o600, "new key file must be 0600");

    let local = local_servers(&claude_json(&s), &project_key(&s));
    assert_eq!(local["codeloop"], expected_entry(KEY));
    assert_eq!(mode(&claude_json(&s)), 0o600, "new key file must be 0600");

    let settings = read_jsonc(&settings_local(&s));
    let allow = settings["permissions"]["allow"].as_array().unwrap();
    assert!(allow.contains(&json!("mcp__codeloop")), "allow: {allow:?}");

    no_backups_anywhere(&s);
    assert!(
        !s.project_path(".gitignore").exists(),
        "not a git repo: no .gitignore"
    );
}

#[test]
fn existing_cursor_config_with_comments_and_trailing_commas_keeps_every_other_byte() {
    let s = Sandbox::new();
    let before = fixture("cursor/mcp-with-comments-and-trailing-commas.jsonc");
    write(&cursor_mcp(&s), &before);
    set_mode(&cursor_mcp(&s), 0o644);

    s.init_ok("cursor");

    let after = read(&cursor_mcp(&s));
    let inserted = assert_pure_insertion(&before, &after);
    assert!(
        inserted.contains("\"codeloop\""),
        "inserted: {}",
        mask(inserted)
    );
    let value = parse_jsonc(&after);
    assert_eq!(value["mcpServers"]["codeloop"], expected_entry(KEY));
    assert_eq!(
        without(value, "/mcpServers", "codeloop"),
        parse_jsonc(&before),
        "other servers unchanged"
    );
    assert_eq!(
        mode(&cursor_mcp(&s)),
        0o644,
        "an existing file keeps its mode"
    );
}

#[test]
fn existing_claude_json_keeps_all_unrelated_state_byte_for_byte() {
    let s = Sandbox::new();
    let before =
        fixture("claude/claude-json-realistic.json").replace("__PROJECT__", &project_key(&s));
    write(&claude_json(&s), &before);
    set_mode(&claude_json(&s), 0o600);
    let settings_before = fixture("claude/settings-local-with-permissions.json");
    write(&settings_local(&s), &settings_before);

    s.init_ok("claude-code");

    let after = read(&claude_json(&s));
    assert_pure_insertion(&before, &after);
    let value = parse_jsonc(&after);
    let servers = format!(
        "/projects/{}/mcpServers",
        project_key(&s).replace('/', "~1")
    );
    assert_eq!(
        value.pointer(&format!("{servers}/codeloop")),
        Some(&expected_entry(KEY))
    );
    assert_eq!(without(value, &servers, "codeloop"), parse_jsonc(&before));
    assert_eq!(mode(&claude_json(&s)), 0o600);

    let settings_after = read(&settings_local(&s));
    assert_pure_insertion(&settings_before, &settings_after);
    let settings = parse_jsonc(&settings_after);
    assert_eq!(
        settings["permissions"]["allow"],
        json!([
            "Bash(npm run test:*)",
            "Bash(cargo build:*)",
            "WebFetch(domain:docs.rs)",
            "mcp__codeloop"
        ])
    );
    assert_eq!(settings["permissions"]["deny"], json!(["Read(./.env)"]));
    assert_eq!(settings["enabledMcpjsonServers"], json!(["linear"]));
}

#[test]
fn stale_codeloop_entry_is_replaced_in_place() {
    let s = Sandbox::new();
    let before = fixture("cursor/mcp-with-stale-codeloop-entry.json");
    write(&cursor_mcp(&s), &before);

    s.init_ok("cursor");

    let after = read(&cursor_mcp(&s));
    let (removed, inserted) = changed_span(&before, &after);
    for other in ["github", "linear"] {
        assert!(
            !removed.contains(other) && !inserted.contains(other),
            "only the codeloop entry may change; removed {:?}, inserted {:?}",
            mask(removed),
            mask(inserted)
        );
    }
    let value = parse_jsonc(&after);
    assert_eq!(keys(&value["mcpServers"]), ["github", "codeloop", "linear"]);
    assert_eq!(value["mcpServers"]["codeloop"], expected_entry(KEY));
    assert!(!after.contains("OLDstaleKey"), "the old key is gone");
}

#[test]
fn crlf_newlines_and_tab_indentation_are_preserved() {
    let s = Sandbox::new();
    let before = fixture("cursor/mcp-crlf-tabs.json");
    assert!(before.contains("\r\n\t"), "fixture must carry CRLF + tabs");
    write(&cursor_mcp(&s), &before);

    s.init_ok("cursor");

    let after = read(&cursor_mcp(&s));
    let inserted = assert_pure_insertion(&before, &after);
    assert_eq!(
        after.matches('\n').count(),
        after.matches("\r\n").count(),
        "every newline stays CRLF:\n{}",
        mask(&after).escape_debug()
    );
    for line in inserted.split("\r\n") {
        assert!(
            !line.starts_with(' '),
            "inserted lines are indented with tabs like their neighbours: {:?}",
            mask(inserted)
        );
    }
    assert_eq!(
        parse_jsonc(&after)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
}

#[test]
fn bom_and_missing_final_newline_are_preserved() {
    let s = Sandbox::new();
    let before = fixture("cursor/mcp-bom-no-trailing-newline.json");
    write(&cursor_mcp(&s), &before);

    s.init_ok("cursor");

    let after = read(&cursor_mcp(&s));
    assert!(after.starts_with('\u{feff}'), "BOM kept");
    assert!(after.ends_with('}'), "still no final newline");
    assert_pure_insertion(&before, &after);
    assert_eq!(
        parse_jsonc(&after)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
}

#[test]
fn symlinked_cursor_config_stays_a_symlink_and_its_target_is_updated() {
    let s = Sandbox::new();
    let real = s.root.join("dotfiles/cursor-mcp.json");
    let before = fixture("cursor/mcp-crlf-tabs.json");
    write(&real, &before);
    set_mode(&real, 0o640);
    let link_target = Path::new("../../dotfiles/cursor-mcp.json");
    symlink(link_target, &cursor_mcp(&s));

    s.init_ok("cursor");

    let meta = std::fs::symlink_metadata(cursor_mcp(&s)).unwrap();
    assert!(meta.file_type().is_symlink(), "still a symlink");
    assert_eq!(std::fs::read_link(cursor_mcp(&s)).unwrap(), link_target);
    let after = read(&real);
    assert_pure_insertion(&before, &after);
    assert_eq!(
        parse_jsonc(&after)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert_eq!(mode(&real), 0o640, "the target keeps its mode");
}

#[test]
fn backup_is_made_once_from_the_original_bytes_and_never_for_new_files() {
    let s = Sandbox::new();
    let original = fixture("cursor/mcp-with-comments-and-trailing-commas.jsonc");
    write(&cursor_mcp(&s), &original);

    s.init_ok("cursor,claude-code");
    assert_eq!(
        s.kept_original("mcp.json").as_deref(),
        Some(original.as_str()),
        "the kept copy holds the original bytes"
    );
    assert!(
        !backup_of(&cursor_mcp(&s)).exists(),
        "nothing beside a project file that git could pick up"
    );
    assert_eq!(
        s.kept_original(".claude.json"),
        None,
        "~/.claude.json was new: nothing to keep"
    );
    assert_eq!(s.kept_original("settings.local.json"), None);

    // The key changes: the file is changed again, the backup is not overwritten.
    let mut s = s;
    s.key = Some(KEY2.to_owned());
    s.init_ok("cursor,claude-code");
    assert_eq!(
        read_jsonc(&cursor_mcp(&s))["mcpServers"]["codeloop"],
        expected_entry(KEY2)
    );
    assert_eq!(
        local_servers(&claude_json(&s), &project_key(&s))["codeloop"],
        expected_entry(KEY2)
    );
    assert_eq!(
        s.kept_original("mcp.json").as_deref(),
        Some(original.as_str()),
        "the copy of the original is never overwritten"
    );
}

// ---------------------------------------------------------------------------------
// Refusing

#[test]
fn invalid_json_is_refused_with_file_line_column_and_nothing_is_written() {
    let s = Sandbox::new();
    let bad = fixture("cursor/invalid-missing-comma.json");
    write(&cursor_mcp(&s), &bad);
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "cursor,claude-code"]);

    out.assert_code(1);
    // Line 5, column 7: the `"args"` that should have been preceded by a comma.
    out.stderr_has(&format!(".cursor/mcp.json:{}", line_col(&bad, "\"args\"")));
    out.stderr_has("--skip cursor");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn wrong_type_mcp_servers_is_refused_and_the_other_target_is_previewed_not_applied() {
    let s = Sandbox::new();
    let bad = fixture("cursor/mcp-servers-is-array.json");
    write(&cursor_mcp(&s), &bad);
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "cursor,claude-code"]);

    out.assert_code(1);
    out.stderr_has(&format!(".cursor/mcp.json:{}", line_col(&bad, "[")));
    out.stderr_has("--skip cursor");
    out.stdout_has("~/.claude.json");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn claude_json_with_projects_as_a_string_is_refused() {
    let s = Sandbox::new();
    let bad = fixture("claude/claude-json-projects-is-string.json");
    write(&claude_json(&s), &bad);
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "cursor,claude-code"]);

    out.assert_code(1);
    out.stderr_has(&format!(
        "~/.claude.json:{}",
        line_col(&bad, "\"/home/dev/src/webapp\"")
    ));
    out.stderr_has("--skip claude-code");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn settings_local_with_permissions_allow_as_an_object_is_refused() {
    let s = Sandbox::new();
    let bad = fixture("claude/settings-local-allow-is-object.json");
    write(&settings_local(&s), &bad);
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "claude-code"]);

    out.assert_code(1);
    out.stderr_has(&format!(
        ".claude/settings.local.json:{}",
        line_col(&bad, "{\n      \"Bash")
    ));
    // The only target asked for: no "--skip" to get past it, there is no rest.
    assert!(!out.stderr.contains("--skip"), "{}", out.stderr);
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn without_yes_and_without_a_terminal_nothing_is_written() {
    let s = Sandbox::new();
    let before = s.snapshot();

    let out = s.run(&["init", "--only", "cursor,claude-code"]);

    out.assert_code(1);
    out.stderr_has("--yes");
    out.stderr_has("--dry-run");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn unknown_target_is_a_usage_error_listing_the_valid_ones() {
    let s = Sandbox::new();
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "cursr"]);

    out.assert_code(2);
    out.stderr_has("cursor");
    out.stderr_has("claude-code");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn project_dir_that_does_not_exist_is_a_usage_error() {
    let s = Sandbox::new();
    let missing = s.root.join("no-such-project");

    let out = s.run(&[
        "init",
        "--yes",
        "--only",
        "cursor",
        "--project",
        missing.to_str().unwrap(),
    ]);

    out.assert_code(2);
    assert!(!missing.exists());
}

// ---------------------------------------------------------------------------------
// Idempotence and previews

#[test]
fn second_run_says_already_configured_and_touches_no_file() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    write(
        &cursor_mcp(&s),
        fixture("cursor/mcp-with-comments-and-trailing-commas.jsonc"),
    );
    s.init_ok("cursor,claude-code");
    let before = s.snapshot();
    sleep(Duration::from_millis(20)); // so a rewrite would show in mtimes

    let out = s.init_ok("cursor,claude-code");

    out.stdout_has("already configured");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn dry_run_prints_unified_diffs_with_display_paths_and_writes_nothing() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    write(
        &cursor_mcp(&s),
        fixture("cursor/mcp-with-comments-and-trailing-commas.jsonc"),
    );
    let before = s.snapshot();

    let out = s.run(&["init", "--dry-run", "--only", "cursor,claude-code"]);

    out.assert_code(0);
    for marker in ["--- ", "+++ ", "@@"] {
        out.stdout_has(marker);
    }
    let root = s.root.to_str().unwrap();
    let header = |name: &str| {
        out.stdout
            .lines()
            .any(|l| l.starts_with("+++ ") && l.contains(name) && !l.contains(root))
    };
    assert!(
        header(".cursor/mcp.json"),
        "project file shown relative\n{}",
        out.masked()
    );
    assert!(
        header("~/.claude.json"),
        "home file shown as ~/…\n{}",
        out.masked()
    );
    out.stdout_has(KEY_MASKED);
    assert_unchanged(&before, &s.snapshot());
}

// ---------------------------------------------------------------------------------
// The key

#[test]
fn the_key_is_masked_in_all_output_including_a_stale_key_being_replaced() {
    let s = Sandbox::new();
    write(
        &cursor_mcp(&s),
        fixture("cursor/mcp-with-stale-codeloop-entry.json"),
    );

    // `run` itself fails the test if any full `cl_live_…` key is printed.
    let preview = s.run(&["init", "--dry-run", "--only", "cursor,claude-code"]);
    preview.assert_code(0);
    preview.stdout_has(KEY_MASKED);
    preview.stdout_has("cl_live_OL…00");

    s.init_ok("cursor,claude-code");

    let shown = s.run(&[
        "init",
        "--dry-run",
        "--show-secrets",
        "--only",
        "cursor",
        "--global",
    ]);
    shown.assert_code(0);
    assert!(
        shown.stdout.contains(KEY),
        "--show-secrets shows the full key in the diff"
    );
}

#[test]
fn without_a_key_dry_run_shows_a_placeholder_that_says_how_to_get_one() {
    let s = Sandbox::without_key();
    let before = s.snapshot();

    let out = s.run(&["init", "--dry-run", "--only", "cursor"]);

    out.assert_code(0);
    out.stdout_has("placeholder");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with('+') && l.contains("codeloop auth")),
        "the diff's key value points to `codeloop auth`\n{}",
        out.masked()
    );
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn without_a_key_a_real_run_fails_and_says_codeloop_auth() {
    let s = Sandbox::without_key();
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "cursor,claude-code"]);

    out.assert_code(1);
    out.stderr_has("codeloop auth");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn the_key_is_read_from_codeloop_config_json_when_the_env_has_none() {
    let s = Sandbox::without_key();
    write(
        &s.home_path(".codeloop/config.json"),
        format!("{{\"apiKey\": \"{KEY2}\"}}\n"),
    );

    s.init_ok("cursor");

    assert_eq!(
        read_jsonc(&cursor_mcp(&s))["mcpServers"]["codeloop"],
        expected_entry(KEY2)
    );
}

#[test]
fn an_invalid_key_is_rejected_without_echoing_it() {
    // From the environment.
    let mut s = Sandbox::new();
    s.key = Some("sk-notACodeloopKey-SECRETVALUE123".to_owned());
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has("CODELOOP_API_KEY");
    assert!(
        !out.both().contains("SECRETVALUE123"),
        "the bad value is never echoed"
    );
    assert_unchanged(&before, &s.snapshot());

    // From ~/.codeloop/config.json: too short after the prefix.
    let s = Sandbox::without_key();
    write(
        &s.home_path(".codeloop/config.json"),
        "{\"apiKey\": \"cl_live_Sh0rt\"}\n",
    );
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has("config.json");
    assert!(
        !out.both().contains("Sh0rt"),
        "the bad value is never echoed"
    );
    assert_unchanged(&before, &s.snapshot());
}

// ---------------------------------------------------------------------------------
// Detection

#[test]
fn detection_from_project_files_names_its_evidence() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    write(&s.project_path(".mcp.json"), "{\"mcpServers\": {}}\n");

    let out = s.run(&["init", "--dry-run"]);

    out.assert_code(0);
    let cursor = found_line(&out.stdout, "cursor").expect("found cursor line");
    assert!(cursor.contains(".cursor"), "evidence: {cursor}");
    let claude = found_line(&out.stdout, "claude code").expect("found claude code line");
    assert!(claude.contains(".mcp.json"), "evidence: {claude}");
}

#[test]
fn detection_from_the_home_directory_configures_only_what_was_found() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.home_path(".claude")).unwrap();

    let out = s.run(&["init", "--dry-run"]);

    out.assert_code(0);
    let claude = found_line(&out.stdout, "claude code").expect("found claude code line");
    assert!(claude.contains("~/.claude"), "evidence: {claude}");
    assert_eq!(found_line(&out.stdout, "cursor"), None);
    assert!(
        !out.stdout.contains(".cursor/mcp.json"),
        "cursor was not detected, so it is not configured\n{}",
        out.masked()
    );

    let s = Sandbox::new();
    std::fs::create_dir_all(s.home_path(".cursor")).unwrap();
    write(&claude_json(&s), "{}\n");
    let out = s.run(&["init", "--dry-run"]);
    out.assert_code(0);
    let cursor = found_line(&out.stdout, "cursor").expect("found cursor line");
    assert!(cursor.contains("~/.cursor"), "evidence: {cursor}");
    let claude = found_line(&out.stdout, "claude code").expect("found claude code line");
    assert!(claude.contains("~/.claude.json"), "evidence: {claude}");
}

#[test]
fn detection_from_path_names_the_executables_found() {
    let s = Sandbox::new();
    let cursor_exe = s.fake_exe("cursor");
    let claude_exe = s.fake_exe("claude");

    let out = s.run(&["init", "--dry-run"]);

    out.assert_code(0);
    let cursor = found_line(&out.stdout, "cursor").expect("found cursor line");
    assert!(
        cursor.contains(cursor_exe.to_str().unwrap()),
        "evidence: {cursor}"
    );
    let claude = found_line(&out.stdout, "claude code").expect("found claude code line");
    assert!(
        claude.contains(claude_exe.to_str().unwrap()),
        "evidence: {claude}"
    );
}

#[test]
fn nothing_detected_exits_0_and_says_how_to_force_a_target() {
    let mut s = Sandbox::new();
    // Only the (empty) sandbox bin dir on PATH: the host's shells and editors would
    // otherwise count as detected.
    s.system_path = String::new();
    let before = s.snapshot();

    let out = s.run(&["init", "--yes"]);

    out.assert_code(0);
    out.output_has("--only");
    assert_unchanged(&before, &s.snapshot());
}

// ---------------------------------------------------------------------------------
// Where things go

#[test]
fn global_writes_user_level_configs_and_nothing_in_the_project() {
    let s = Sandbox::new();

    let out = s.run(&["init", "--yes", "--global", "--only", "cursor,claude-code"]);

    out.assert_code(0);
    let cursor = s.home_path(".cursor/mcp.json");
    assert_eq!(
        read_jsonc(&cursor)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert_eq!(mode(&cursor), 0o600);
    let claude = read_jsonc(&claude_json(&s));
    assert_eq!(claude["mcpServers"]["codeloop"], expected_entry(KEY));
    assert!(
        claude["projects"][project_key(&s)].is_null(),
        "user scope, not local scope"
    );
    assert_eq!(
        std::fs::read_dir(&s.project).unwrap().count(),
        0,
        "--global writes nothing in the project"
    );
}

#[test]
fn global_claude_code_keeps_an_existing_claude_json_byte_for_byte() {
    let s = Sandbox::new();
    let before =
        fixture("claude/claude-json-realistic.json").replace("__PROJECT__", &project_key(&s));
    write(&claude_json(&s), &before);

    let out = s.run(&["init", "--yes", "--global", "--only", "claude-code"]);

    out.assert_code(0);
    let after = read(&claude_json(&s));
    assert_pure_insertion(&before, &after);
    let value = parse_jsonc(&after);
    assert_eq!(keys(&value["mcpServers"]), ["memory", "codeloop"]);
    assert_eq!(value["mcpServers"]["codeloop"], expected_entry(KEY));
}

#[test]
fn claude_config_dir_moves_claude_json() {
    let mut s = Sandbox::new();
    let config_dir = s.root.join("claude-config");
    s.env.push((
        "CLAUDE_CONFIG_DIR".to_owned(),
        config_dir.to_str().unwrap().to_owned(),
    ));

    s.init_ok("claude-code");

    let moved = config_dir.join(".claude.json");
    assert_eq!(
        local_servers(&moved, &project_key(&s))["codeloop"],
        expected_entry(KEY)
    );
    assert!(!claude_json(&s).exists(), "~/.claude.json is not used");
}

#[test]
fn claude_code_files_a_project_inside_a_git_repo_under_the_repo_root() {
    let mut s = Sandbox::new();
    let repo = s.root.join("repo");
    let project = repo.join("packages/app");
    std::fs::create_dir_all(&project).unwrap();
    s.git_init(&repo);
    s.cwd = project.clone();

    let out = s.init_ok("claude-code");
    out.stdout_has(&format!(
        "project: {} (the git top-level above {}",
        repo.display(),
        project.display()
    ));

    let claude = read_jsonc(&claude_json(&s));
    let repo_key = repo.to_str().unwrap();
    assert_eq!(
        claude["projects"][repo_key]["mcpServers"]["codeloop"],
        expected_entry(KEY),
        "keyed by the git top-level, like Claude Code"
    );
    assert!(claude["projects"][project.to_str().unwrap()].is_null());
    // Every project file of the run goes to the same root, and the output says so.
    assert!(!project.join(".claude").exists());
    let settings = read_jsonc(&repo.join(".claude/settings.local.json"));
    assert!(
        settings["permissions"]["allow"]
            .as_array()
            .unwrap()
            .contains(&json!("mcp__codeloop"))
    );
}

#[test]
fn claude_code_files_the_project_under_its_canonical_path() {
    let mut s = Sandbox::new();
    let link = s.root.join("project-link");
    symlink(&s.project, &link);
    s.cwd = s.root.clone();

    let out = s.run(&[
        "init",
        "--yes",
        "--only",
        "claude-code",
        "--project",
        link.to_str().unwrap(),
    ]);

    out.assert_code(0);
    let claude = read_jsonc(&claude_json(&s));
    assert_eq!(
        claude["projects"][project_key(&s)]["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert!(settings_local(&s).exists());
}

// ---------------------------------------------------------------------------------
// Git leak guard

const BLOCK_START: &str = "# >>> codeloop >>>";
const BLOCK_END: &str = "# <<< codeloop <<<";

#[test]
fn in_a_git_repo_the_key_file_is_git_ignored_in_the_same_run_once() {
    let mut s = Sandbox::new();
    s.git_init(&s.project);
    let user_rules = "node_modules/\n*.log\n";
    write(&s.project_path(".gitignore"), user_rules);

    s.init_ok("cursor");

    let gitignore = read(&s.project_path(".gitignore"));
    assert!(
        gitignore.starts_with(user_rules),
        "the user's rules stay first:\n{gitignore}"
    );
    let start = gitignore.find(BLOCK_START).expect("block start");
    let end = gitignore.find(BLOCK_END).expect("block end");
    let block: Vec<&str> = gitignore[start..end].lines().collect();
    assert!(block.contains(&"/.cursor/mcp.json"), "{gitignore}");
    assert!(
        !gitignore.contains(".codeloop.bak"),
        "no backups beside project files, so none to ignore:\n{gitignore}"
    );
    s.git(&s.project, &["check-ignore", "-q", ".cursor/mcp.json"]);

    s.key = Some(KEY2.to_owned());
    s.init_ok("cursor");
    let again = read(&s.project_path(".gitignore"));
    assert_eq!(again.matches(BLOCK_START).count(), 1, "{again}");
    assert_eq!(again.matches(BLOCK_END).count(), 1, "{again}");
}

#[test]
fn a_key_file_the_user_already_ignores_leaves_gitignore_alone() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    write(&s.project_path(".gitignore"), ".cursor/\n");

    s.init_ok("cursor");

    assert_eq!(read(&s.project_path(".gitignore")), ".cursor/\n");
    assert!(cursor_mcp(&s).exists());
}

#[test]
fn a_key_file_tracked_by_git_is_refused_and_left_byte_for_byte() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    let before = "{\n  \"mcpServers\": {}\n}\n";
    write(&cursor_mcp(&s), before);
    s.git(&s.project, &["add", ".cursor/mcp.json"]);

    let out = s.run(&["init", "--yes", "--only", "cursor"]);

    out.assert_code(1);
    out.stderr_has(
        ".cursor/mcp.json is tracked by git, so codeloop will not write your API key into it",
    );
    out.stderr_has("codeloop init --global --only cursor");
    assert_eq!(read(&cursor_mcp(&s)), before);
    assert!(
        !s.project_path(".gitignore").exists(),
        "no .gitignore line for a tracked file"
    );
}

#[test]
fn skip_taking_out_every_only_target_is_a_usage_error() {
    let s = Sandbox::new();
    let out = s.run(&["init", "--yes", "--only", "cursor", "--skip", "cursor"]);
    out.assert_code(2);
    out.stderr_has("--skip takes out every target --only names, so there is nothing to do");
    assert!(!s.project_path(".cursor").exists());
}

/// A team that commits only `mcp.json` of `.cursor/` keeps a `.cursor/.gitignore` of
/// `*`, `!.gitignore`, `!mcp.json`: deeper than codeloop's line, it wins, so the key
/// would sit in a file `git add -A` commits. Refused before anything is written; the
/// user-level config is the way around.
#[test]
fn a_nested_gitignore_that_un_ignores_the_key_file_refuses_its_target() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    write(
        &s.project_path(".cursor/.gitignore"),
        "*\n!.gitignore\n!mcp.json\n",
    );
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has(".cursor/mcp.json would stay visible to git even with codeloop's .gitignore line: line 3 of .cursor/.gitignore (`!mcp.json`) un-ignores it; take that line out, or set it up for your user instead (`codeloop init --global --only cursor`)");
    out.stderr_has("nothing was written");
    assert_unchanged(&before, &s.snapshot());
    assert!(!cursor_mcp(&s).exists());
    // Planning finds it: a check fails too, and a second run refuses again.
    s.run(&["init", "--check", "--only", "cursor"])
        .assert_code(1);
    s.run(&["init", "--yes", "--only", "cursor"]).assert_code(1);
    assert_unchanged(&before, &s.snapshot());

    let out = s.run(&["init", "--yes", "--global", "--only", "cursor"]);
    out.assert_code(0);
    assert!(read(&s.home_path(".cursor/mcp.json")).contains(KEY));
    assert!(!cursor_mcp(&s).exists());
}

/// A `!` line of the user's after codeloop's block in the root `.gitignore` re-includes
/// the file codeloop's line would ignore: refused the same way.
#[test]
fn a_negation_after_codeloops_block_refuses_the_file_it_un_ignores() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    s.init_ok("gemini");
    let gitignore = s.project_path(".gitignore");
    let text = read(&gitignore) + "!/.cursor/mcp.json\n";
    write(&gitignore, &text);
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    // The number would be that of the .gitignore as planned, not as it is.
    out.stderr_has(".cursor/mcp.json would stay visible to git even with codeloop's .gitignore line: the line `!/.cursor/mcp.json` of .gitignore un-ignores it");
    assert_unchanged(&before, &s.snapshot());
}

/// The file was ignored thanks to codeloop's line when the key went in; a negation
/// added since re-includes it. The check is of the `.gitignore` as it ends up, here as
/// it is: a run that would write the key refuses, one that leaves it warns, and doctor
/// keeps saying so.
#[test]
fn a_negation_added_after_the_key_went_in_refuses_a_new_key_and_warns() {
    let mut s = Sandbox::new();
    s.git_init(&s.project);
    s.init_ok("cursor");
    let gitignore = s.project_path(".gitignore");
    let text = read(&gitignore) + "!/.cursor/mcp.json\n";
    write(&gitignore, &text);
    let lines = text.lines().count();

    let out = s.init_ok("cursor");
    out.stderr_has(&format!(".cursor/mcp.json holds your API key and stays visible to git even with codeloop's .gitignore line: line {lines} of .gitignore (`!/.cursor/mcp.json`) un-ignores it"));
    let out = s.run(&["doctor", "--offline"]);
    out.assert_code(1);
    out.stdout_has(".cursor/mcp.json holds your key and is not git-ignored");

    s.key = Some(KEY2.to_owned());
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has(&format!(".cursor/mcp.json would stay visible to git even with codeloop's .gitignore line: line {lines} of .gitignore (`!/.cursor/mcp.json`) un-ignores it"));
    assert_unchanged(&before, &s.snapshot());
}

/// A `.gitignore` deeper in the project that does not re-include the key file changes
/// nothing: written, and git ignores it.
#[test]
fn a_nested_gitignore_without_a_negation_for_the_key_file_is_fine() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    // A negation that re-includes something else is no reason to refuse.
    write(&s.project_path(".cursor/.gitignore"), "*.log\n!keep.log\n");

    s.init_ok("cursor");

    assert!(read(&cursor_mcp(&s)).contains(KEY));
    s.git(&s.project, &["check-ignore", "-q", ".cursor/mcp.json"]);
}

/// Where codeloop asks the git binary (here: a `GIT_*` variable it does not answer
/// for in-process), a `.gitignore` cannot be shown to git before it is written: any `!`
/// line between the project's `.gitignore` and the key file, or after codeloop's
/// block, refuses it (conservative), naming `git check-ignore -v` to find the line.
#[test]
fn asking_the_git_binary_a_negation_on_the_way_refuses_the_key_file() {
    let mut s = Sandbox::new();
    s.env.push(("GIT_CONFIG_COUNT".to_owned(), "0".to_owned()));
    s.git_init(&s.project);
    write(
        &s.project_path(".cursor/.gitignore"),
        "*\n!.gitignore\n!mcp.json\n",
    );
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has(".cursor/mcp.json would stay visible to git even with codeloop's .gitignore line: a .gitignore deeper in the project un-ignores it (`git check-ignore -v .cursor/mcp.json` shows which line); take that line out, or set it up for your user instead (`codeloop init --global --only cursor`)");
    assert_unchanged(&before, &s.snapshot());

    // Conservative: a negation of something else on the way refuses too.
    write(&s.project_path(".cursor/.gitignore"), "*.log\n!keep.log\n");
    s.run(&["init", "--yes", "--only", "cursor"]).assert_code(1);

    // None on the way: written, and ignored.
    write(&s.project_path(".cursor/.gitignore"), "*.log\n");
    s.init_ok("cursor");
    s.git(&s.project, &["check-ignore", "-q", ".cursor/mcp.json"]);

    // After codeloop's block, and now as the .gitignore is: git's own answer.
    let gitignore = s.project_path(".gitignore");
    write(&gitignore, &(read(&gitignore) + "!/.cursor/mcp.json\n"));
    s.key = Some(KEY2.to_owned());
    s.run(&["init", "--yes", "--only", "cursor"]).assert_code(1);

    // And before it is written: codeloop's block for another file, then the `!` line.
    let s2 = {
        let mut s2 = Sandbox::new();
        s2.env.push(("GIT_CONFIG_COUNT".to_owned(), "0".to_owned()));
        s2
    };
    s2.git_init(&s2.project);
    s2.init_ok("gemini");
    let gitignore = s2.project_path(".gitignore");
    write(&gitignore, &(read(&gitignore) + "!/.cursor/mcp.json\n"));
    s2.run(&["init", "--yes", "--only", "cursor"])
        .assert_code(1);
}
