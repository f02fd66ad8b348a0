//! Promises that must hold across a history of runs, not only one round trip: key
//! changes, entries and permissions the user had before, customised entries,
//! directories that existed before, a second project, a tracked key file. Each test
//! is one kind of history, named by what it proves (the numbered cases).

use std::path::Path;

use crate::harness::*;
use serde_json::json;

/// Every file under `root` (but `~/.codeloop` and `.git`) that holds a full key.
fn files_with_a_key(s: &Sandbox) -> Vec<String> {
    s.snapshot()
        .into_iter()
        .filter(|(p, _)| !p.starts_with("home/.codeloop"))
        .filter_map(|(p, e)| match e {
            Entry::File { bytes, .. } if String::from_utf8_lossy(&bytes).contains("cl_live_") => {
                Some(p.display().to_string())
            }
            _ => None,
        })
        .collect()
}

fn git_status(s: &Sandbox) -> String {
    s.git(&s.project, &["status", "--porcelain"]).stdout
}

fn with_key(s: &mut Sandbox, key: &str) {
    s.key = Some(key.to_owned());
}

#[test]
fn case_1_a_key_change_then_uninstall_leaves_no_trace_in_the_project() {
    let mut s = Sandbox::new();
    s.git_init(&s.project);
    s.init_ok("cursor");
    with_key(&mut s, KEY2);
    s.init_ok("cursor");
    assert!(read(&s.project_path(".cursor/mcp.json")).contains(KEY2));

    s.run(&["uninstall", "--yes", "--only", "cursor"])
        .assert_code(0);

    assert!(
        !s.project_path(".cursor").exists(),
        ".cursor/ was codeloop's"
    );
    assert!(!s.project_path(".gitignore").exists(), "so was .gitignore");
    assert_eq!(files_with_a_key(&s), Vec::<String>::new());
    assert_eq!(git_status(&s), "", "git status is clean");
    assert!(
        !s.home_path(".codeloop").exists(),
        "nothing of codeloop's is left"
    );
}

#[test]
fn case_2_directories_that_existed_before_stay() {
    let s = Sandbox::new();
    for dir in [".gemini", ".codex"] {
        std::fs::create_dir_all(s.home_path(dir)).unwrap();
    }
    s.run(&["init", "--yes", "--global", "--only", "gemini,codex"])
        .assert_code(0);
    assert!(s.home_path(".gemini/settings.json").is_file());
    assert!(s.home_path(".codex/config.toml").is_file());

    s.run(&["uninstall", "--yes", "--global", "--only", "gemini,codex"])
        .assert_code(0);
    for dir in [".gemini", ".codex"] {
        assert!(
            s.home_path(dir).is_dir(),
            "~/{dir} existed before: it stays"
        );
        assert_eq!(std::fs::read_dir(s.home_path(dir)).unwrap().count(), 0);
    }
}

#[test]
fn case_2_directories_codeloop_created_go() {
    let s = Sandbox::new();
    s.run(&["init", "--yes", "--global", "--only", "gemini,codex"])
        .assert_code(0);
    s.run(&["uninstall", "--yes", "--global", "--only", "gemini,codex"])
        .assert_code(0);
    assert!(!s.home_path(".gemini").exists());
    assert!(!s.home_path(".codex").exists());
}

#[test]
fn case_3_a_permission_the_user_had_before_stays() {
    let s = Sandbox::new();
    let settings = s.project_path(".claude/settings.local.json");
    let original =
        "{\n  \"permissions\": {\n    \"allow\": [\"mcp__codeloop\", \"Bash(ls)\"]\n  }\n}\n";
    write(&settings, original);

    s.init_ok("claude-code");
    assert_eq!(read(&settings), original, "already allowed: no change");
    s.run(&["uninstall", "--yes", "--only", "claude-code"])
        .assert_code(0);
    assert_eq!(read(&settings), original, "the user's own permission stays");
}

#[test]
fn case_3_an_entry_the_user_wrote_before_init_stays() {
    let s = Sandbox::new();
    let file = s.home_path(".cursor/mcp.json");
    let original = format!(
        "{{\n  \"mcpServers\": {{\n    \"codeloop\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"codeloop-mcp-server\"],\n      \"env\": {{ \"CODELOOP_API_KEY\": \"{KEY}\" }}\n    }}\n  }}\n}}\n"
    );
    write(&file, &original);

    let out = s.run(&["init", "--yes", "--global", "--only", "cursor"]);
    out.assert_code(0);
    out.stdout_has("already configured");
    s.run(&["uninstall", "--yes", "--global", "--only", "cursor"])
        .assert_code(0);
    assert_eq!(read(&file), original, "the user's own entry and file stay");
}

#[test]
fn case_4_the_users_fields_survive_a_new_key_and_uninstall_restores_their_entry() {
    let mut s = Sandbox::new();
    let file = s.home_path(".codeium/windsurf/mcp_config.json");
    let original = format!(
        "{{\n  \"mcpServers\": {{\n    \"codeloop\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"codeloop-mcp-server\"],\n      \"env\": {{\n        \"CODELOOP_API_KEY\": \"{KEY}\",\n        \"CODELOOP_LOG\": \"debug\"\n      }},\n      \"disabledTools\": [\"delete_everything\"]\n    }}\n  }}\n}}\n"
    );
    write(&file, &original);
    with_key(&mut s, KEY2);

    s.init_ok("windsurf");
    let after = read(&file);
    assert_eq!(after, original.replace(KEY, KEY2), "only the key changed");
    let entry = &read_jsonc(&file)["mcpServers"]["codeloop"];
    assert_eq!(entry["env"]["CODELOOP_LOG"], "debug");
    assert_eq!(entry["disabledTools"], json!(["delete_everything"]));

    s.run(&["uninstall", "--yes", "--only", "windsurf"])
        .assert_code(0);
    assert_eq!(
        read(&file),
        original,
        "the entry was the user's: it goes back to what it held"
    );
}

#[test]
fn case_5_the_entry_claude_mcp_add_writes_is_already_configured() {
    let s = Sandbox::new();
    let entry = json!({
        "type": "stdio",
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": KEY}
    });
    let claude = json!({
        "numStartups": 3,
        "projects": {s.project.to_str().unwrap(): {"mcpServers": {"codeloop": entry}}}
    });
    let text = serde_json::to_string_pretty(&claude).unwrap() + "\n";
    write(&s.home_path(".claude.json"), &text);
    write(
        &s.project_path(".claude/settings.local.json"),
        "{\"permissions\": {\"allow\": [\"mcp__codeloop\"]}}\n",
    );

    let out = s.init_ok("claude-code");
    out.stdout_has("already configured");
    assert_eq!(read(&s.home_path(".claude.json")), text, "`type` is kept");
}

#[test]
fn case_6_doctor_judges_only_what_codeloop_set_up() {
    let mut s = Sandbox::new();
    s.system_path = String::new();
    for exe in ["bash", "zsh", "fish", "git", "npx", "node"] {
        s.fake_exe(exe);
    }
    s.init_ok("cursor,bash");
    let out = s.run(&["doctor"]);
    out.assert_code(0);
    out.stdout_has("available, not set up");
    assert!(
        !out.both().contains("fish is not configured"),
        "{}",
        out.both()
    );

    // A new key: bash is stale, and zsh — never set up — is not called anything.
    with_key(&mut s, KEY2);
    let out = s.run(&["doctor", "--json"]);
    out.assert_code(1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let state = |name: &str| {
        doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state("bash"), "stale");
    assert_eq!(state("cursor"), "stale");
    assert_eq!(state("zsh"), "available");
    assert_eq!(state("fish"), "available");
}

#[test]
fn case_7_a_project_file_that_refers_to_the_variable_needs_no_ignoring() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    s.init_ok("bash,gemini");
    let settings = read(&s.project_path(".gemini/settings.json"));
    assert!(settings.contains("${CODELOOP_API_KEY}") && !settings.contains(KEY));

    let out = s.run(&["doctor"]);
    assert!(
        !out.both().contains("not git-ignored"),
        "a reference is not a key:\n{}",
        out.both()
    );
    // Its fix, if there were one, must not be an `init` that has nothing to do.
    let init = s.run(&["init", "--check", "--only", "bash,gemini"]);
    init.assert_code(0);
}

/// Case 8, and what became of it: codeloop never writes the key into a file git
/// tracks (a team's committed config); a tracked file that already holds it is warned
/// about on every run and keeps doctor unhealthy until it is untracked.
#[test]
fn case_8_a_tracked_file_never_gets_the_key_and_one_holding_it_keeps_doctor_unhealthy() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    let file = s.project_path(".cursor/mcp.json");
    write(&file, "{\"mcpServers\": {}}\n");
    s.git(&s.project, &["add", ".cursor/mcp.json"]);
    s.git(&s.project, &["commit", "-qm", "cursor"]);
    let before = s.snapshot();

    let refused = s.run(&["init", "--yes", "--only", "cursor"]);
    refused.assert_code(1);
    refused.stderr_has(
        ".cursor/mcp.json is tracked by git, so codeloop will not write your API key into it",
    );
    assert!(!refused.stderr.contains("--skip"), "{}", refused.stderr);
    assert_unchanged(&before, &s.snapshot());
    // Planning finds it: --check fails too, and --json names it.
    s.run(&["init", "--check", "--only", "cursor"])
        .assert_code(1);

    // The key is in the tracked file already (put there by hand): every run says so.
    let entry = serde_json::json!({"mcpServers": {"codeloop": expected_entry(KEY)}});
    write(
        &file,
        &(serde_json::to_string_pretty(&entry).unwrap() + "\n"),
    );
    s.git(&s.project, &["commit", "-qam", "key"]);
    for _ in 0..2 {
        let out = s.init_ok("cursor");
        out.stderr_has(".cursor/mcp.json holds your API key and git tracks it");
    }
    let out = s.run(&["doctor"]);
    out.assert_code(1);
    out.stdout_has("git rm --cached .cursor/mcp.json");
    assert_eq!(
        out.stdout.matches("✗").count(),
        1,
        "said once, not also as a leak:\n{}",
        out.stdout
    );
    assert!(!out.stdout.contains("are git-ignored"), "{}", out.stdout);

    s.git(&s.project, &["rm", "-q", "--cached", ".cursor/mcp.json"]);
    s.init_ok("cursor");
    let out = s.run(&["doctor", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["gitIgnored"], true, "{}", out.stdout);
}

/// A team commits `.mcp.json` (Claude Code's and Copilot CLI's project file) or a
/// `.zed/settings.json` for its editor settings: the key never goes in. Copilot CLI can
/// refer to the variable instead, so a run that also sets up a shell may write it;
/// Zed cannot, so it is pointed at its user config.
#[test]
fn a_team_file_git_tracks_gets_a_reference_or_nothing_never_the_key() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    write(&s.project_path(".mcp.json"), "{\"mcpServers\": {}}\n");
    write(
        &s.project_path(".zed/settings.json"),
        "{\n  // the team's editor settings\n  \"tab_size\": 2\n}\n",
    );
    s.git(&s.project, &["add", "."]);
    s.git(&s.project, &["commit", "-qm", "team"]);
    let before = s.snapshot();

    let out = s.run(&["init", "--yes", "--only", "copilot"]);
    out.assert_code(1);
    out.stderr_has(".mcp.json is tracked by git, so codeloop will not write your API key into it (a commit would publish it); set up your shell in the same run so the file refers to CODELOOP_API_KEY instead (`codeloop init --only copilot,bash`)");
    // The shell named is the one in use.
    let mut zsh_user = Sandbox::new();
    zsh_user.env.push(("SHELL".into(), "/usr/bin/zsh".into()));
    zsh_user.git_init(&zsh_user.project);
    write(
        &zsh_user.project_path(".mcp.json"),
        "{\"mcpServers\": {}}\n",
    );
    zsh_user.git(&zsh_user.project, &["add", "."]);
    zsh_user
        .run(&["init", "--yes", "--only", "copilot"])
        .stderr_has("(`codeloop init --only copilot,zsh`)");
    let out = s.run(&["init", "--yes", "--only", "zed"]);
    out.assert_code(1);
    out.stderr_has(".zed/settings.json is tracked by git, so codeloop will not write your API key into it (a commit would publish it); set it up for your user instead (`codeloop init --global --only zed`)");
    assert_unchanged(&before, &s.snapshot());
    // The way around, taken: the user-level setup serves the project from then on,
    // and a later run in the project leaves the team's file alone and says why.
    let team_zed = read(&s.project_path(".zed/settings.json"));
    s.run(&["init", "--yes", "--global", "--only", "zed"])
        .assert_code(0);
    let out = s.run(&["init", "--yes", "--only", "zed"]);
    out.assert_code(0);
    out.stderr_has(".zed/settings.json is tracked by git, so it does not get your key; Zed set up for your user serves this project (left as it is)");
    assert_eq!(read(&s.project_path(".zed/settings.json")), team_zed);
    let out = s.run(&["init", "--yes", "--only", "zed"]);
    out.assert_code(0);
    out.stdout_has("nothing to change");

    s.init_ok("copilot,bash");
    let team = read(&s.project_path(".mcp.json"));
    assert!(
        team.contains("${CODELOOP_API_KEY}") && !team.contains(KEY),
        "{team}"
    );
    assert!(
        !s.project_path(".gitignore").exists(),
        "a file holding a reference needs no .gitignore line"
    );
    // The key is only in the user-level file `--global` wrote, never in the project.
    assert_eq!(files_with_a_key(&s), ["home/.config/zed/settings.json"]);
}

#[test]
fn case_9_a_run_from_a_subdirectory_writes_every_project_file_at_the_top_level() {
    let mut s = Sandbox::new();
    s.git_init(&s.project);
    let deep = s.project_path("src/deep");
    std::fs::create_dir_all(&deep).unwrap();
    s.cwd = deep.clone();

    let out = s.init_ok("claude-code,cursor");
    out.stdout_has(&format!("project: {}", s.project.display()));
    assert!(s.project_path(".claude/settings.local.json").is_file());
    assert!(s.project_path(".cursor/mcp.json").is_file());
    assert!(s.project_path(".gitignore").is_file());
    for rel in [".claude", ".cursor", ".gitignore"] {
        assert!(!deep.join(rel).exists(), "{rel} must not land in src/deep");
    }
    let claude = read_jsonc(&s.home_path(".claude.json"));
    assert!(claude["projects"][s.project.to_str().unwrap()]["mcpServers"]["codeloop"].is_object());
}

#[test]
fn case_10_uninstall_in_one_project_keeps_what_another_project_relies_on() {
    let mut s = Sandbox::new();
    let a = s.root.join("a");
    let b = s.root.join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    s.cwd = a.clone();
    s.init_ok("bash,gemini");
    assert!(read(&a.join(".gemini/settings.json")).contains("${CODELOOP_API_KEY}"));

    s.cwd = b.clone();
    s.init_ok("cursor");
    let out = s.run(&["uninstall", "--yes"]);
    out.assert_code(0);
    out.stdout_has("kept CODELOOP_API_KEY for your shells");
    assert!(!b.join(".cursor").exists());
    assert!(
        s.home_path(".codeloop/env.sh").is_file(),
        "project a still refers to the variable"
    );
    assert!(read(&s.home_path(".bashrc")).contains(">>> codeloop >>>"));
    assert_eq!(
        s.key_in_shell("bash", &["-i"]),
        KEY,
        "the real bash still gets it"
    );

    // `--all` removes everything, in every project.
    let out = s.run(&["uninstall", "--yes", "--all"]);
    out.assert_code(0);
    out.stdout_has("revoke it");
    assert!(!s.home_path(".codeloop/env.sh").exists());
    assert_eq!(s.key_in_shell("bash", &["-i"]), "<unset>");
    assert!(!a.join(".gemini").exists());
    assert_eq!(files_with_a_key(&s), Vec::<String>::new());
}

#[test]
fn case_11_a_stale_backup_beside_a_file_never_changes_what_uninstall_gives_back() {
    let s = Sandbox::new();
    let config = s.home_path(".codex/config.toml");
    let original = "model = \"o3\"";
    write(&config, original);
    write(
        &s.home_path(".codex/config.toml.codeloop.bak"),
        "model = \"o3\"\n",
    );
    s.run(&["init", "--yes", "--global", "--only", "codex"])
        .assert_code(0);
    s.run(&["uninstall", "--yes", "--global", "--only", "codex"])
        .assert_code(0);
    assert_eq!(read(&config), original, "no final newline added");
}

#[test]
fn the_users_edits_between_runs_survive_a_key_change_and_uninstall() {
    let mut s = Sandbox::new();
    let file = s.project_path(".cursor/mcp.json");
    s.init_ok("cursor");
    // The user adds their own server next to ours.
    let mut doc = read_jsonc(&file);
    doc["mcpServers"]["mine"] = json!({"command": "my-server"});
    let edited = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    write(&file, &edited);

    with_key(&mut s, KEY2);
    s.init_ok("cursor");
    assert_eq!(
        read_jsonc(&file)["mcpServers"]["mine"]["command"],
        "my-server"
    );

    s.run(&["uninstall", "--yes", "--only", "cursor"])
        .assert_code(0);
    let left = read_jsonc(&file);
    assert_eq!(left["mcpServers"]["mine"]["command"], "my-server");
    assert!(left["mcpServers"].get("codeloop").is_none());
    assert!(!read(&file).contains("cl_live_"));
}

#[test]
fn a_custom_command_is_kept_and_named_and_uninstall_keeps_it() {
    let s = Sandbox::new();
    let file = s.project_path(".cursor/mcp.json");
    let original = "{\"mcpServers\": {\"codeloop\": {\"command\": \"node\", \"args\": [\"/src/codeloop/dist/index.js\"]}}}\n";
    write(&file, original);
    let out = s.init_ok("cursor");
    out.stdout_has("kept your custom command");
    let entry = &read_jsonc(&file)["mcpServers"]["codeloop"];
    assert_eq!(entry["command"], "node");
    assert_eq!(entry["env"]["CODELOOP_API_KEY"], KEY);

    let out = s.run(&["doctor", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let cursor = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cursor")
        .unwrap()
        .clone();
    assert_eq!(cursor["state"], "customised");

    s.run(&["uninstall", "--yes", "--only", "cursor"])
        .assert_code(0);
    assert_eq!(read(&file), original);
}

#[test]
fn a_server_the_user_disabled_stays_disabled_and_doctor_says_so() {
    let s = Sandbox::new();
    let file = s.project_path(".cursor/mcp.json");
    s.init_ok("cursor");
    let text = read(&file).replace("\"command\"", "\"disabled\": true,\n      \"command\"");
    write(&file, &text);
    s.init_ok("cursor").stdout_has("is disabled");
    assert_eq!(
        read_jsonc(&file)["mcpServers"]["codeloop"]["disabled"],
        true
    );
    let out = s.run(&["doctor"]);
    out.stdout_has("you disabled it");
}

#[test]
fn check_and_doctor_work_without_a_key_against_the_recorded_one() {
    let mut s = Sandbox::new();
    s.init_ok("cursor,bash");
    s.key = None;
    s.run(&["init", "--check", "--only", "cursor,bash"])
        .assert_code(0);
    let out = s.run(&["doctor", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let cursor = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cursor")
        .unwrap()
        .clone();
    assert_eq!(cursor["state"], "configured", "{}", out.stdout);

    // Another key in the file than the recorded one: the check names the file.
    let file = s.project_path(".cursor/mcp.json");
    write(&file, read(&file).replace(KEY, KEY2));
    let out = s.run(&["init", "--check", "--only", "cursor"]);
    out.assert_code(3);
    out.stdout_has(".cursor/mcp.json");
}

#[test]
fn the_record_holds_no_key() {
    let s = Sandbox::new();
    s.init_ok("cursor,bash,claude-code");
    let record = read(&s.home_path(".codeloop/state.json"));
    assert!(!record.contains("cl_live_"), "{record}");
    assert_eq!(mode(&s.home_path(".codeloop/state.json")), 0o600);
    assert!(Path::new(&s.home_path(".codeloop")).is_dir());
}

/// A project and home as codeloop 0.1 left them: no record, `~/.codeloop/lock`, a
/// `.codeloop.bak` beside each file it changed (none for files it created), and the
/// `.gitignore` block listing the key file and its backup.
fn codeloop_0_1_install(s: &Sandbox) -> (String, String) {
    s.git_init(&s.project);
    write(&s.home_path(".codeloop/lock"), "");
    let cursor_original = "{\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\"}\n  }\n}\n";
    let cursor_now = format!(
        "{{\n  \"mcpServers\": {{\n    \"other\": {{\"command\": \"x\"}},\n    \"codeloop\": {{\n      \"command\": \"npx\",\n      \"args\": [\n        \"-y\",\n        \"codeloop-mcp-server\"\n      ],\n      \"env\": {{\n        \"CODELOOP_API_KEY\": \"{KEY}\"\n      }}\n    }}\n  }}\n}}\n"
    );
    write(&s.project_path(".cursor/mcp.json"), &cursor_now);
    write(
        &s.project_path(".cursor/mcp.json.codeloop.bak"),
        cursor_original,
    );
    let gitignore_original = "node_modules/\n";
    write(
        &s.project_path(".gitignore"),
        format!(
            "{gitignore_original}# >>> codeloop >>>\n# files holding your CodeLoop API key; managed by `codeloop init`, removed by `codeloop uninstall`\n/.cursor/mcp.json\n/.cursor/mcp.json.codeloop.bak\n# <<< codeloop <<<\n"
        ),
    );
    write(
        &s.project_path(".gitignore.codeloop.bak"),
        gitignore_original,
    );
    let claude = json!({"projects": {s.project.to_str().unwrap(): {"mcpServers": {"codeloop": expected_entry(KEY)}}}});
    write(
        &s.home_path(".claude.json"),
        serde_json::to_string_pretty(&claude).unwrap() + "\n",
    );
    (cursor_original.to_owned(), gitignore_original.to_owned())
}

#[test]
fn an_install_by_codeloop_0_1_is_migrated_once_and_uninstalls_exactly() {
    let s = Sandbox::new();
    let (cursor_original, gitignore_original) = codeloop_0_1_install(&s);

    let dry = s.run(&["init", "--dry-run", "--only", "cursor,claude-code"]);
    dry.assert_code(0);
    dry.stdout_has("would move");
    assert!(
        s.project_path(".cursor/mcp.json.codeloop.bak").exists(),
        "a dry run moves nothing"
    );

    let out = s.init_ok("cursor,claude-code");
    out.stdout_has("this run moves");
    out.stdout_has(".cursor/mcp.json.codeloop.bak -> ~/.codeloop/backups/");
    assert!(!s.project_path(".cursor/mcp.json.codeloop.bak").exists());
    assert!(!s.project_path(".gitignore.codeloop.bak").exists());
    assert_eq!(
        s.kept_original("mcp.json").as_deref(),
        Some(cursor_original.as_str())
    );
    assert!(
        !read(&s.project_path(".gitignore")).contains("codeloop.bak"),
        "the moved backup's line goes with it:\n{}",
        read(&s.project_path(".gitignore"))
    );
    let again = s.init_ok("cursor,claude-code");
    assert!(
        !again.stdout.contains("moves"),
        "told once:\n{}",
        again.stdout
    );
    again.stdout_has("already configured");

    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_eq!(read(&s.project_path(".cursor/mcp.json")), cursor_original);
    assert_eq!(read(&s.project_path(".gitignore")), gitignore_original);
    assert!(!s.home_path(".claude.json").exists(), "0.1 created it");
    assert!(
        !s.project_path(".claude").exists(),
        "and the permission file"
    );
    assert_eq!(files_with_a_key(&s), Vec::<String>::new());
}

#[test]
fn a_hand_written_entry_on_a_machine_codeloop_never_touched_is_not_claimed() {
    // No lock, no backups: nothing says codeloop put it there.
    let s = Sandbox::new();
    let file = s.project_path(".cursor/mcp.json");
    let text =
        serde_json::to_string_pretty(&json!({"mcpServers": {"codeloop": expected_entry(KEY)}}))
            .unwrap()
            + "\n";
    write(&file, &text);
    s.init_ok("cursor").stdout_has("already configured");
    s.run(&["uninstall", "--yes", "--only", "cursor"])
        .assert_code(0);
    assert_eq!(read(&file), text);
}

#[test]
fn an_unwritable_file_is_found_while_planning_so_check_and_json_report_it() {
    let s = Sandbox::new();
    let file = s.project_path(".cursor/mcp.json");
    write(&file, "{}\n");
    set_mode(&file, 0o444);
    let out = s.run(&["init", "--check", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has(".cursor/mcp.json: is read-only");
    let out = s.run(&["init", "--json", "--dry-run", "--only", "cursor"]);
    out.assert_code(1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let cursor = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cursor")
        .unwrap()
        .clone();
    assert_eq!(cursor["status"], "error");
    assert!(cursor["errors"][0].as_str().unwrap().contains("read-only"));
    assert_eq!(read(&file), "{}\n");
}

/// Pastes a key when asked for one, then answers "no" to applying.
struct PastesThenDeclines;

impl codeloop::sys::Prompter for PastesThenDeclines {
    fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
        Ok(false)
    }
    fn choose(&mut self, _: &str, options: &[String]) -> std::io::Result<usize> {
        Ok(options.iter().position(|o| o.contains("paste")).unwrap())
    }
    fn password(&mut self, _: &str) -> std::io::Result<String> {
        Ok(KEY.to_owned())
    }
}

#[test]
fn a_key_pasted_and_saved_before_no_is_said_to_be_saved_with_no_config_changed() {
    let s = Sandbox::without_key();
    let run = s.run_in_process(
        &["init", "--only", "cursor"],
        &[],
        Box::new(PastesThenDeclines),
        true,
    );
    run.assert_code(0);
    let out = run.stdout;
    assert!(
        out.contains(
            "your key was saved to ~/.codeloop/config.json, but no configuration file was changed"
        ),
        "{out}"
    );
    assert!(!out.contains("nothing was written"), "{out}");
    assert!(!s.project_path(".cursor").exists());
}

#[test]
fn a_moved_project_is_followed_by_the_record_and_uninstalls_cleanly() {
    let mut s = Sandbox::new();
    let old = s.root.join("old-name");
    let new = s.root.join("new-name");
    std::fs::create_dir_all(&old).unwrap();
    s.cwd = old.clone();
    s.init_ok("cursor,codex");
    std::fs::rename(&old, &new).unwrap();

    // From elsewhere, --all cannot reach the moved files: it says so and keeps them in mind.
    s.cwd = s.root.clone();
    let out = s.run(&["uninstall", "--yes", "--all"]);
    out.assert_code(0);
    out.stdout_has("are gone (moved or deleted)");

    // In the new place, the record follows, and uninstall takes everything away.
    s.cwd = new.clone();
    let out = s.run(&["uninstall", "--yes"]);
    out.assert_code(0);
    out.stdout_has(&format!("this project was at {}", old.display()));
    assert!(!new.join(".cursor").exists());
    assert!(!new.join(".codex").exists());
    assert_eq!(files_with_a_key(&s), Vec::<String>::new());
    assert!(
        !s.home_path(".codeloop").exists(),
        "nothing of codeloop's is left"
    );
}

#[test]
fn a_moved_project_initialised_again_with_a_new_key_is_codeloops_not_the_users() {
    let mut s = Sandbox::new();
    let old = s.root.join("a");
    let new = s.root.join("b");
    std::fs::create_dir_all(&old).unwrap();
    s.cwd = old.clone();
    s.init_ok("cursor");
    std::fs::rename(&old, &new).unwrap();
    s.cwd = new.clone();
    with_key(&mut s, KEY2);
    s.init_ok("cursor");
    assert!(
        s.kept_original("mcp.json").is_none(),
        "its own file is no backup of the user's"
    );
    s.run(&["uninstall", "--yes", "--all"]).assert_code(0);
    assert_eq!(files_with_a_key(&s), Vec::<String>::new());
}

#[test]
fn bash_and_zsh_share_env_sh_and_doctor_calls_both_stale() {
    let mut s = Sandbox::new();
    s.init_ok("bash,zsh");
    with_key(&mut s, KEY2);
    let out = s.run(&["doctor", "--offline", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for shell in ["bash", "zsh"] {
        let t = doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == shell)
            .unwrap()
            .clone();
        assert_eq!(t["state"], "stale", "{shell}: {}", out.stdout);
    }
}

#[test]
fn the_users_own_codex_entry_forwarding_the_variable_survives_uninstall() {
    let s = Sandbox::new();
    let config = s.project_path(".codex/config.toml");
    let original = "[mcp_servers.codeloop]\ncommand = \"npx\"\nargs = [\"-y\", \"codeloop-mcp-server\"]\nenv_vars = [\"CODELOOP_API_KEY\"]\n";
    write(&config, original);
    s.init_ok("bash,codex").stdout_has("already configured");
    s.run(&["uninstall", "--yes", "--only", "bash,codex"])
        .assert_code(0);
    assert_eq!(read(&config), original);
}

#[test]
fn rotation_updates_what_it_can_and_names_what_keeps_the_old_key() {
    let s = Sandbox::without_key();
    write(
        &s.home_path(".codeloop/config.json"),
        format!("{{\"apiKey\": \"{KEY}\"}}"),
    );
    set_mode(&s.home_path(".codeloop/config.json"), 0o600);
    s.run(&["init", "--yes", "--only", "cursor,windsurf"])
        .assert_code(0);
    let cursor = s.project_path(".cursor/mcp.json");
    set_mode(&cursor, 0o444);
    let out = s.run_with_stdin(&["auth", "--rotate", "--key-stdin", "--yes"], KEY2);
    out.assert_code(1);
    out.stderr_has("it keeps the old key: fix it, then run `codeloop init --yes --only cursor`");
    assert!(read(&s.home_path(".codeium/windsurf/mcp_config.json")).contains(KEY2));
    assert!(read(&cursor).contains(KEY));
}

#[test]
fn the_users_own_reference_instead_of_the_key_is_kept() {
    let s = Sandbox::new();
    let file = s.project_path(".cursor/mcp.json");
    s.init_ok("cursor");
    let text = read(&file).replace(KEY, "${env:CODELOOP_API_KEY}");
    write(&file, &text);
    s.init_ok("cursor").stdout_has("kept your own reference");
    assert_eq!(read(&file), text);
    let out = s.run(&["doctor", "--offline", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let t = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cursor")
        .unwrap()
        .clone();
    assert_eq!(t["state"], "customised", "{}", out.stdout);
}

#[test]
fn run_in_the_home_directory_project_and_global_runs_agree() {
    let mut s = Sandbox::new();
    s.cwd = s.home.clone();
    s.init_ok("bash,codex,gemini");
    let codex = read(&s.home_path(".codex/config.toml"));
    assert!(
        codex.contains(KEY),
        "the user file holds the key:\n{}",
        mask(&codex)
    );
    let snap = s.snapshot();
    s.run(&["init", "--yes", "--global", "--only", "bash,codex,gemini"])
        .stdout_has("already configured");
    assert_unchanged(&snap, &s.snapshot());
    s.init_ok("bash,codex,gemini")
        .stdout_has("already configured");
}

#[test]
fn a_run_stopped_half_way_leaves_nothing_behind_after_uninstall_all() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    // Claude Code holds its lock: apply writes Cursor's file, then waits.
    std::fs::create_dir_all(s.home_path(".claude.json.lock")).unwrap();
    let child = s.spawn(&["init", "--yes", "--only", "cursor,claude-code"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = child.id().to_string();
    run_program(
        std::path::Path::new("/bin/kill"),
        &["-INT", &pid],
        &s.root,
        &[],
    )
    .assert_code(0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    std::fs::remove_dir(s.home_path(".claude.json.lock")).unwrap();

    s.run(&["uninstall", "--yes", "--all"]).assert_code(0);
    assert!(
        !s.project_path(".gitignore").exists(),
        "the .gitignore codeloop made"
    );
    assert!(!s.project_path(".cursor").exists());
    assert!(!s.home_path(".codeloop").exists(), "{:?}", s.record());
    let out = s.run(&["doctor", "--offline"]);
    assert!(!out.stdout.contains("set up, but gone"), "{}", out.stdout);
}

/// `from` replaced by `to` in the file at `path`, which must hold it.
fn edit_file(path: &Path, from: &str, to: &str) {
    let text = read(path);
    assert!(
        text.contains(from),
        "{} holds {from:?}:\n{text}",
        path.display()
    );
    write(path, text.replacen(from, to, 1));
}

/// The `note:` lines of a human run.
fn notes(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("note: "))
        .map(str::to_owned)
        .collect()
}

/// An entry codeloop added goes whole at uninstall, with whatever the user changed or
/// added inside it since; the preview names those fields per entry before anything is
/// removed (a dry run, the question, `--json`). An entry whose command the user
/// pointed elsewhere stays.
#[test]
fn case_12_uninstall_names_what_of_yours_goes_with_codeloops_entry() {
    let s = Sandbox::new();
    s.init_ok("cursor,opencode,copilot,goose,codex,gemini");
    // JSON: Cursor's server switched off, and a variable of the user's beside the key.
    let cursor = s.project_path(".cursor/mcp.json");
    edit_file(
        &cursor,
        "\"command\"",
        "\"disabled\": true,\n      \"command\"",
    );
    edit_file(
        &cursor,
        "\"CODELOOP_API_KEY\"",
        "\"CODELOOP_LOG\": \"debug\",\n        \"CODELOOP_API_KEY\"",
    );
    // JSONC with a comment: opencode's server switched off and its tools narrowed.
    let opencode = s.project_path("opencode.json");
    edit_file(
        &opencode,
        "\"enabled\": true,",
        "// off while I try another server\n      \"enabled\": false,\n      \"tools\": {\"codeloop_*\": false},",
    );
    // Copilot's `tools`, which codeloop set to every tool, narrowed to one.
    let copilot = s.project_path(".github/mcp.json");
    let text = read(&copilot);
    let at = text.find("\"tools\"").expect("copilot's entry has tools");
    let end = at + text[at..].find(']').unwrap() + 1;
    write(
        &copilot,
        format!("{}\"tools\": [\"search\"]{}", &text[..at], &text[end..]),
    );
    // YAML: Goose's extension switched off, with a longer timeout.
    let goose = s.home_path(".config/goose/config.yaml");
    edit_file(&goose, "enabled: true", "enabled: false");
    edit_file(&goose, "timeout: 300", "timeout: 600");
    // TOML: a startup timeout and a tool's approval in Codex's table.
    let codex = s.project_path(".codex/config.toml");
    edit_file(&codex, "env = {", "startup_timeout_sec = 30\nenv = {");
    let text = read(&codex);
    write(
        &codex,
        format!("{text}\n[mcp_servers.codeloop.tools.search]\napproval_mode = \"approve\"\n"),
    );
    // Gemini's server pointed at a local build: the entry stays, only the key goes.
    let gemini = s.project_path(".gemini/settings.json");
    edit_file(&gemini, "\"codeloop-mcp-server\"", "\"./dev/server.js\"");

    let _settings = s.insta().bind_to_scope();
    // The preview names them before anything is removed: in a dry run, and above the
    // question (the same preview; here refused for want of a terminal).
    let args = ["uninstall", "--dry-run"];
    let dry = s.run(&args);
    dry.assert_code(0);
    insta::assert_snapshot!(
        "uninstall@your-changes-go-with-codeloops-entry",
        crate::harness::snap::show_run(&args, &dry)
    );
    let said = notes(&dry);
    for (file, theirs) in [
        (".cursor/mcp.json", "disabled, env.CODELOOP_LOG"),
        ("opencode.json", "enabled, tools"),
        (".github/mcp.json", "tools"),
        ("~/.config/goose/config.yaml", "enabled, timeout"),
        (".codex/config.toml", "startup_timeout_sec, tools"),
    ] {
        assert!(
            said.iter().any(
                |n| n.starts_with(&format!("{file}: removes codeloop's server"))
                    && n.contains(&format!("with your changes in it: {theirs} ("))
            ),
            "{file}: {said:#?}"
        );
    }
    let refused = s.run(&["uninstall"]);
    refused.assert_code(1);
    assert_eq!(notes(&refused), said, "the same notes before the question");
    // --json has them, each as the human run says it.
    let doc: serde_json::Value =
        serde_json::from_str(&s.run(&["uninstall", "--dry-run", "--json"]).stdout).unwrap();
    let listed: Vec<String> = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, said);

    // The closing line says what stays: Gemini's entry, now the user's.
    s.run(&["uninstall", "--yes"]).stdout_has(
        "what codeloop set up for this project is gone, except what you changed since codeloop wrote it (named in the notes above)\n",
    );
    for gone in [&cursor, &opencode, &copilot, &goose, &codex] {
        assert!(!gone.exists(), "{} was codeloop's", gone.display());
    }
    let entry = &read_jsonc(&gemini)["mcpServers"]["codeloop"];
    assert_eq!(entry["args"], json!(["-y", "./dev/server.js"]), "{entry}");
    assert!(entry.get("env").is_none(), "the key went: {entry}");
}

/// `uninstall --global` while a project's files refer to CODELOOP_API_KEY: the shells'
/// env file stays, and every closing line says so (and what lies beyond the reach)
/// instead of claiming everything is gone or asking to restart the shells.
#[test]
fn case_13_uninstall_global_says_what_stays_and_why() {
    let s = Sandbox::new();
    s.init_ok("bash,gemini,goose");
    assert!(read(&s.project_path(".gemini/settings.json")).contains("${CODELOOP_API_KEY}"));
    let _settings = s.insta().bind_to_scope();
    let mut shown = String::new();
    for args in [
        &["uninstall", "--global", "--yes"][..],
        &["uninstall", "--global", "--yes"],
        &["uninstall", "--yes"],
    ] {
        let out = s.run(args);
        out.assert_code(0);
        shown.push_str(&crate::harness::snap::show_run(args, &out));
        shown.push('\n');
    }
    insta::assert_snapshot!("uninstall@global-keeps-the-shells-for-a-project", shown);
    let runs: Vec<&str> = shown.split("$ codeloop ").skip(1).collect();
    // Goose's entry goes; the shells' pieces stay, and the closing line says why.
    assert!(
        runs[0].contains("removed ~/.config/goose/config.yaml"),
        "{}",
        runs[0]
    );
    assert!(
        runs[0].contains("is gone, except CODELOOP_API_KEY for your shells"),
        "{}",
        runs[0]
    );
    assert!(!runs[0].contains("shells to drop"), "{}", runs[0]);
    assert!(
        runs[1].contains(
            "nothing to remove in your user-level configs; kept: CODELOOP_API_KEY for your shells"
        ),
        "{}",
        runs[1]
    );
    // In the project, everything goes, and then the shells are to be restarted.
    assert!(
        runs[2].contains("restart your editors and shells to drop the server and CODELOOP_API_KEY"),
        "{}",
        runs[2]
    );
    assert!(!s.home_path(".codeloop/env.sh").exists());
}

/// What `git status` in a home kept in git (a dotfiles repository) shows of
/// `~/.codeloop`: what `git add -A` would pick up.
fn codeloop_files_git_sees_in_home(s: &Sandbox) -> Vec<String> {
    let out = s.git(&s.home, &["status", "--porcelain", "--untracked-files=all"]);
    out.assert_code(0);
    out.stdout
        .lines()
        .filter(|l| l.contains(".codeloop"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_home_kept_in_git_never_picks_up_the_record_env_sh_or_kept_originals() {
    let s = Sandbox::new();
    s.git_init(&s.home);
    write(&s.home_path(".bashrc"), "# mine\n");
    s.git(&s.home, &["add", ".bashrc"]).assert_code(0);
    s.git(&s.home, &["commit", "-qm", "dotfiles"])
        .assert_code(0);

    s.init_ok("bash,cursor");
    // What is at stake: the key, the record, a kept original.
    assert!(read(&s.home_path(".codeloop/env.sh")).contains(KEY));
    assert!(s.home_path(".codeloop/state.json").is_file());
    assert_eq!(s.kept_original(".bashrc").as_deref(), Some("# mine\n"));
    assert_eq!(codeloop_files_git_sees_in_home(&s), Vec::<String>::new());
    assert_eq!(
        read(&s.home_path(".codeloop/.gitignore")),
        "# codeloop's own files: your API key and kept originals; never commit them\n*\n"
    );

    s.run(&["uninstall", "--yes", "--all"]).assert_code(0);
    assert!(
        !s.home_path(".codeloop").exists(),
        "its .gitignore goes with the rest"
    );
    assert_eq!(read(&s.home_path(".bashrc")), "# mine\n");
}

/// fish's conf.d is often kept in a dotfiles repository: codeloop's file there only
/// loads `~/.codeloop/env.fish`, so nothing git sees in the home holds the key.
#[test]
fn a_fish_config_kept_in_git_never_holds_the_key() {
    if require("fish").is_none() {
        return;
    }
    let s = Sandbox::new();
    s.git_init(&s.home);
    std::fs::create_dir_all(s.home_path(".config/fish")).unwrap();

    s.init_ok("fish");

    assert_eq!(s.key_in_shell("fish", &[]), KEY);
    let out = s.git(&s.home, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(out.stdout, "?? .config/fish/conf.d/codeloop.fish\n");
    assert!(!read(&s.home_path(".config/fish/conf.d/codeloop.fish")).contains("cl_live_"));
    assert_eq!(mode(&s.home_path(".codeloop/env.fish")), 0o600);
    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_eq!(s.key_in_shell("fish", &[]), "<unset>");
}

#[test]
fn a_home_kept_in_git_never_picks_up_the_key_auth_saved() {
    let s = Sandbox::without_key();
    s.git_init(&s.home);
    s.run_with_stdin(&["auth", "--key-stdin"], &format!("{KEY}\n"))
        .assert_code(0);
    assert!(read(&s.home_path(".codeloop/config.json")).contains(KEY));
    assert_eq!(codeloop_files_git_sees_in_home(&s), Vec::<String>::new());
}

#[test]
fn the_users_own_gitignore_in_dot_codeloop_is_kept_and_keeps_the_directory() {
    let s = Sandbox::new();
    let mine = "# mine\nstate.json\n";
    write(&s.home_path(".codeloop/.gitignore"), mine);
    s.init_ok("bash");
    assert_eq!(read(&s.home_path(".codeloop/.gitignore")), mine);
    s.run(&["uninstall", "--yes", "--all"]).assert_code(0);
    assert_eq!(read(&s.home_path(".codeloop/.gitignore")), mine);
}

/// After `uninstall --all` keeps the key `auth` saved, and the person deletes it, the
/// next `uninstall --all` takes what is left of `~/.codeloop` (the lock, an empty
/// record, codeloop's .gitignore) with it.
#[test]
fn uninstall_all_after_the_saved_key_is_deleted_leaves_no_codeloop_dir() {
    let s = Sandbox::without_key();
    s.run_with_stdin(&["auth", "--key-stdin"], &format!("{KEY}\n"))
        .assert_code(0);
    s.init_ok("cursor");
    s.run(&["uninstall", "--yes", "--all"]).assert_code(0);
    assert!(
        s.home_path(".codeloop/config.json").is_file(),
        "the saved key stays"
    );
    std::fs::remove_file(s.home_path(".codeloop/config.json")).unwrap();

    s.run(&["uninstall", "--dry-run", "--all"]).assert_code(0);
    assert!(
        s.home_path(".codeloop").exists(),
        "a dry run removes nothing"
    );
    s.run(&["uninstall", "--yes", "--all"]).assert_code(0);
    assert!(!s.home_path(".codeloop").exists());
}

/// A user-level config that holds the key inside a git work tree — a home kept in git,
/// or a config directory symlinked into a dotfiles repository — is named, with the line
/// that keeps it out of that repository (codeloop does not write the `.gitignore` of a
/// repository that is not the project's); once the line is there, nothing is said.
#[test]
fn a_user_level_key_file_in_a_dotfiles_repository_is_named_with_the_line_to_add() {
    let s = Sandbox::new();
    s.git_init(&s.home);
    let dotfiles = s.root.join("dotfiles");
    std::fs::create_dir_all(dotfiles.join("gemini")).unwrap();
    s.git_init(&dotfiles);
    symlink(&dotfiles.join("gemini"), &s.home_path(".gemini"));

    let out = s.run(&["init", "--yes", "--global", "--only", "cursor,gemini"]);
    out.assert_code(0);
    out.stderr_has("~/.cursor/mcp.json holds your API key and is in the git work tree at ~ without being ignored, so `git add -A` there would commit it; add `/.cursor/mcp.json` to ~/.gitignore");
    out.stderr_has(&format!(
        "~/.gemini/settings.json holds your API key and is in the git work tree at {} without being ignored",
        dotfiles.display()
    ));
    out.stderr_has(&format!(
        "add `/gemini/settings.json` to {}/.gitignore",
        dotfiles.display()
    ));

    let out = s.run(&["doctor", "--offline", "--global"]);
    out.stdout_has("✗ ~/.cursor/mcp.json holds your API key and is in the git work tree at ~ without being ignored");
    out.stdout_has("  add `/.cursor/mcp.json` to ~/.gitignore");

    write(&s.home_path(".gitignore"), "/.cursor/mcp.json\n");
    write(&dotfiles.join(".gitignore"), "/gemini/settings.json\n");
    let out = s.run(&["init", "--yes", "--global", "--only", "cursor,gemini"]);
    out.assert_code(0);
    assert!(!out.stderr.contains("holds your API key"), "{}", out.stderr);
    let out = s.run(&["doctor", "--offline", "--global"]);
    assert!(!out.stdout.contains("holds your API key"), "{}", out.stdout);
}

/// A `.gitignore` of the person's own in `~/.codeloop` is kept as it is; when it leaves
/// a key file there visible to a home kept in git, the run says so, with the line to add.
#[test]
fn a_users_own_codeloop_gitignore_that_misses_env_sh_is_named() {
    let s = Sandbox::new();
    s.git_init(&s.home);
    write(&s.home_path(".codeloop/.gitignore"), "config.json\n");
    let out = s.run(&["init", "--yes", "--only", "bash"]);
    out.assert_code(0);
    out.stderr_has("~/.codeloop/env.sh holds your API key and is in the git work tree at ~ without being ignored");
    assert_eq!(read(&s.home_path(".codeloop/.gitignore")), "config.json\n");
    // codeloop's own `*` (a home without one of the person's) needs no word.
    let s = Sandbox::new();
    s.git_init(&s.home);
    let out = s.run(&["init", "--yes", "--only", "bash"]);
    assert!(!out.stderr.contains("holds your API key"), "{}", out.stderr);
}

/// A line the person added inside codeloop's `.gitignore` block is theirs: uninstall
/// keeps it where the block was, drops the markers and header, and says so (in the
/// preview and `--json`).
#[test]
fn a_line_of_yours_in_codeloops_gitignore_block_stays_without_the_markers() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    let gitignore = s.project_path(".gitignore");
    write(&gitignore, "target/\n");
    s.init_ok("cursor");
    let text = read(&gitignore).replace(
        "/.cursor/mcp.json\n",
        "/.cursor/mcp.json\n# team policy\n/secret.txt\n",
    );
    write(&gitignore, &text);

    let out = s.run(&["uninstall", "--dry-run"]);
    out.stdout_has("note: .gitignore: kept your lines `# team policy`, `/secret.txt` from codeloop's block, without the block's markers");
    let out = s.run(&["uninstall", "--dry-run", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        doc["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("`/secret.txt` from codeloop's block")),
        "{}",
        out.stdout
    );
    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_eq!(read(&gitignore), "target/\n# team policy\n/secret.txt\n");
    assert_eq!(
        s.record(),
        serde_json::Value::Null,
        "nothing of codeloop's is left to record"
    );
}

/// Set up for the user only (`init --global`): doctor in a project says that setup
/// serves it (not "nothing set up"), and holds it to the current key; a tracked project
/// file is then left alone only while that setup holds the key.
#[test]
fn a_user_level_setup_serves_a_project_and_doctor_holds_it_to_the_key() {
    let mut s = Sandbox::new();
    s.git_init(&s.project);
    write(
        &s.project_path(".cursor/mcp.json"),
        "{\"mcpServers\": {}}\n",
    );
    s.git(&s.project, &["add", "."]);
    s.run(&["init", "--yes", "--global", "--only", "cursor"])
        .assert_code(0);
    let out = s.run(&["doctor", "--offline"]);
    out.assert_code(0);
    out.stdout_has("✓ nothing set up for this project itself; what codeloop set up for your user serves it: Cursor");
    assert!(!out.stdout.contains("not set up: Cursor"), "{}", out.stdout);

    // Another key: the user-level file is stale, and both commands say so.
    s.key = Some(KEY2.to_owned());
    let out = s.run(&["doctor", "--offline"]);
    out.assert_code(1);
    out.stdout_has("✗ Cursor, set up for your user (it serves this project), holds another (stale) key in ~/.cursor/mcp.json");
    out.stdout_has("  codeloop init --global --only cursor");
    let out = s.run(&["init", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has("the Cursor setup for your user that serves this project holds another key; update it: `codeloop init --global --only cursor`");
    s.run(&["init", "--yes", "--global", "--only", "cursor"])
        .assert_code(0);
    s.run(&["init", "--yes", "--only", "cursor"]).assert_code(0);
    assert_eq!(
        read(&s.project_path(".cursor/mcp.json")),
        "{\"mcpServers\": {}}\n"
    );
}

/// Run from inside the dotfiles repository a config directory links into, the key
/// file there is named too (it is under the home, so the project guard does not cover
/// it); a directory name with glob characters gets an escaped line that works.
#[test]
fn a_key_file_in_the_dotfiles_repository_run_from_is_named_with_a_working_line() {
    let mut s = Sandbox::new();
    let dotfiles = s.home_path("dotfiles");
    std::fs::create_dir_all(dotfiles.join("[cursor]")).unwrap();
    s.git_init(&dotfiles);
    symlink(&dotfiles.join("[cursor]"), &s.home_path(".cursor"));
    s.cwd = dotfiles.clone();
    let out = s.run(&["init", "--yes", "--global", "--only", "cursor"]);
    out.assert_code(0);
    out.stderr_has("~/.cursor/mcp.json holds your API key and is in this project's git work tree without being ignored, so `git add -A` there would commit it; add `/\\[cursor]/mcp.json` to .gitignore");
    write(&dotfiles.join(".gitignore"), "/\\[cursor]/mcp.json\n");
    s.git(&dotfiles, &["check-ignore", "-q", "[cursor]/mcp.json"])
        .assert_code(0);
    let out = s.run(&["init", "--yes", "--global", "--only", "cursor"]);
    assert!(!out.stderr.contains("holds your API key"), "{}", out.stderr);
}
