//! `uninstall`, `init --check`, `init --json`, `doctor` and `completions`, end to end
//! on sandboxed homes (see tests/it/harness).

use crate::harness::*;
use serde_json::Value;

/// A home and git project holding the quirkiest real-world files we know.
fn quirky_sandbox(cursor_fixture: &str) -> Sandbox {
    let s = Sandbox::new();
    s.git_init(&s.project);
    write(
        &s.project_path(".gitignore"),
        "target/\n# local stuff\n.env\n",
    );
    write(&s.project_path(".cursor/mcp.json"), fixture(cursor_fixture));
    write(
        &s.home_path(".claude.json"),
        fixture("claude/claude-json-realistic.json")
            .replace("__PROJECT__", s.project.to_str().unwrap()),
    );
    set_mode(&s.home_path(".claude.json"), 0o600);
    write(
        &s.project_path(".claude/settings.local.json"),
        fixture("claude/settings-local-with-permissions.json"),
    );
    write(&s.home_path(".bashrc"), fixture("shell/debian-skel.bashrc"));
    write(&s.home_path(".zshrc"), fixture("shell/crlf.zshrc"));
    s
}

#[test]
fn uninstall_after_init_restores_every_file_byte_for_byte() {
    for cursor_fixture in [
        "cursor/mcp-with-comments-and-trailing-commas.jsonc",
        "cursor/mcp-crlf-tabs.json",
        "cursor/mcp-bom-no-trailing-newline.json",
    ] {
        let s = quirky_sandbox(cursor_fixture);
        let before = contents(&s);
        s.init_ok("cursor,claude-code,bash,zsh,fish,powershell");
        let out = s.run(&["uninstall", "--yes"]);
        out.assert_code(0);
        assert_restored(&before, &contents(&s));
        // And a second uninstall finds nothing.
        let again = s.run(&["uninstall", "--yes"]);
        again.assert_code(0);
        again.stdout_has("nothing to remove");
    }
}

#[test]
fn uninstall_of_a_fresh_setup_deletes_what_init_created() {
    let s = Sandbox::new();
    let before = contents(&s);
    s.init_ok("cursor,claude-code,zsh,bash,fish");
    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_restored(&before, &contents(&s));
}

#[test]
fn uninstall_only_one_target_leaves_the_others() {
    let s = quirky_sandbox("cursor/mcp-crlf-tabs.json");
    let original_cursor = read(&s.project_path(".cursor/mcp.json"));
    s.init_ok("cursor,claude-code");
    s.run(&["uninstall", "--yes", "--only", "cursor"])
        .assert_code(0);
    assert_eq!(read(&s.project_path(".cursor/mcp.json")), original_cursor);
    let claude = read_jsonc(&s.home_path(".claude.json"));
    assert_eq!(
        claude["projects"][s.project.to_str().unwrap()]["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    // The git-ignore lines for Claude Code's local settings stay, Cursor's go.
    let gitignore = read(&s.project_path(".gitignore"));
    assert!(!gitignore.contains("/.cursor/mcp.json"), "{gitignore}");
    assert!(
        gitignore.contains("/.claude/settings.local.json"),
        "{gitignore}"
    );
}

#[test]
fn uninstall_dry_run_and_refusal_write_nothing() {
    let s = Sandbox::new();
    s.init_ok("cursor,bash");
    let before = s.snapshot();
    let out = s.run(&["uninstall", "--dry-run"]);
    out.assert_code(0);
    out.stdout_has("+++ /dev/null");
    out.stdout_has("dry run: nothing was removed");
    assert_unchanged(&before, &s.snapshot());

    let out = s.run(&["uninstall"]);
    out.assert_code(1);
    out.stderr_has("--yes");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn uninstall_refuses_a_file_that_does_not_parse() {
    let s = Sandbox::new();
    s.init_ok("cursor");
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/invalid-missing-comma.json"),
    );
    let before = s.snapshot();
    let out = s.run(&["uninstall", "--yes", "--only", "cursor"]);
    out.assert_code(1);
    out.stderr_has(".cursor/mcp.json:");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn check_exits_3_with_pending_changes_then_0() {
    let s = Sandbox::new();
    let before = s.snapshot();
    let out = s.run(&["init", "--check", "--only", "cursor,bash"]);
    out.assert_code(3);
    out.stdout_has("changes are pending");
    out.stdout_has(".cursor/mcp.json (created)");
    assert_unchanged(&before, &s.snapshot());

    s.init_ok("cursor,bash");
    let out = s.run(&["init", "--check", "--only", "cursor,bash"]);
    out.assert_code(0);
    out.stdout_has("nothing to change");

    write(&s.project_path(".cursor/mcp.json"), "{ not json");
    s.run(&["init", "--check", "--only", "cursor"])
        .assert_code(1);
}

fn json_doc(out: &Output) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", out.masked()))
}

/// The shape README documents for `init --json`.
fn assert_init_shape(doc: &Value) {
    for (field, check) in [
        ("command", Value::is_string as fn(&Value) -> bool),
        ("mode", Value::is_string),
        ("applied", Value::is_boolean),
        ("ok", Value::is_boolean),
        ("exitCode", Value::is_u64),
        ("targets", Value::is_array),
    ] {
        assert!(check(&doc[field]), "`{field}` in {doc:#}");
    }
    for t in doc["targets"].as_array().unwrap() {
        // `detected` is null for a target the run did not look for (--only probes
        // only the named ones), and then it has no evidence.
        let detected = &t["detected"];
        assert!(
            t["name"].is_string()
                && (detected.is_boolean()
                    || detected.is_null() && t["evidence"] == serde_json::json!([]))
                && t["evidence"].is_array(),
            "{t:#}"
        );
        let status = t["status"].as_str().unwrap();
        assert!(
            ["unchanged", "changed", "created", "skipped", "error"].contains(&status),
            "{status}"
        );
        for c in t["changes"].as_array().into_iter().flatten() {
            assert!(["file", "registry"].contains(&c["kind"].as_str().unwrap()));
            assert!(c["path"].is_string() && c["status"].is_string());
            for op in c["patch"].as_array().into_iter().flatten() {
                let name = op["op"].as_str().unwrap();
                assert!(
                    ["add", "remove", "replace", "move", "copy", "test"].contains(&name),
                    "{op}"
                );
                assert!(op["path"].is_string(), "{op}");
            }
        }
    }
}

#[test]
fn init_json_is_one_document_with_rfc6902_patches_and_masked_keys() {
    let s = Sandbox::new();
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/mcp-with-comments-and-trailing-commas.jsonc"),
    );
    write(&s.home_path(".claude.json"), "{\"numStartups\": 1}\n");
    let out = s.run(&["init", "--json", "--yes", "--only", "cursor,claude-code"]);
    out.assert_code(0);
    let doc = json_doc(&out);
    assert_init_shape(&doc);
    assert_eq!(doc["applied"], true);
    assert_eq!(doc["key"]["masked"], KEY_MASKED);
    assert_eq!(doc["key"]["source"], "environment");
    let cursor = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cursor")
        .unwrap();
    assert_eq!(cursor["status"], "changed");
    let patch = &cursor["changes"][0]["patch"];
    assert_eq!(patch[0]["op"], "add");
    assert_eq!(patch[0]["path"], "/mcpServers/codeloop");
    assert_eq!(patch[0]["value"]["env"]["CODELOOP_API_KEY"], KEY_MASKED);
    let claude = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "claude-code")
        .unwrap();
    let pointer = claude["changes"][0]["patch"][0]["path"].as_str().unwrap();
    assert_eq!(pointer, "/projects");
    // The settings file is new: its whole document is added.
    let settings = &claude["changes"][1]["patch"][0];
    assert_eq!(
        (settings["op"].as_str(), settings["path"].as_str()),
        (Some("add"), Some(""))
    );
    assert!(!out.stdout.contains('\u{1b}'), "no colour in JSON");

    // A second run: unchanged, still one document.
    let doc = json_doc(&s.run(&["init", "--json", "--yes", "--only", "cursor,claude-code"]));
    assert_init_shape(&doc);
    let statuses: Vec<(&Value, &Value)> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (&t["name"], &t["status"]))
        .collect();
    assert!(
        statuses
            .iter()
            .filter(|(_, st)| *st != "skipped")
            .all(|(_, st)| *st == "unchanged"),
        "{statuses:?}"
    );
}

#[test]
fn init_json_puts_errors_in_the_document_and_the_exit_code() {
    let s = Sandbox::new();
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/mcp-servers-is-array.json"),
    );
    let before = s.snapshot();
    let out = s.run(&["init", "--json", "--yes", "--only", "cursor,claude-code"]);
    out.assert_code(1);
    let doc = json_doc(&out);
    assert_init_shape(&doc);
    assert_eq!(doc["ok"], false);
    assert!(
        doc["error"].as_str().unwrap().contains("--skip cursor"),
        "{doc:#}"
    );
    let cursor = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cursor")
        .unwrap();
    assert_eq!(cursor["status"], "error");
    assert_unchanged(&before, &s.snapshot());

    // --json never prompts: without --yes it refuses, in the document.
    let s = Sandbox::new();
    let out = s.run(&["init", "--json", "--only", "cursor"]);
    out.assert_code(1);
    assert!(json_doc(&out)["error"].as_str().unwrap().contains("--yes"));
    assert!(!s.project_path(".cursor").exists());
}

#[test]
fn doctor_reports_healthy_stale_and_broken_setups() {
    let mut s = Sandbox::new();
    // Only what the test puts on PATH: no shells to report on.
    s.system_path = String::new();
    s.fake_exe("cursor");
    s.fake_exe("npx");
    s.fake_exe("node");
    s.init_ok("cursor");
    let out = s.run(&["doctor"]);
    out.assert_code(0);
    out.stdout_has("Cursor: configured with the current key");
    out.stdout_has("everything looks healthy");

    // The key was rotated: the file holds a stale one.
    s.key = Some(KEY2.to_owned());
    let out = s.run(&["doctor"]);
    out.assert_code(1);
    out.stdout_has("stale");
    out.stdout_has("codeloop init --only cursor");

    // A broken file: named with its position, and the fix.
    write(
        &s.project_path(".cursor/mcp.json"),
        fixture("cursor/invalid-missing-comma.json"),
    );
    let out = s.run(&["doctor"]);
    out.assert_code(1);
    out.stdout_has(".cursor/mcp.json:");

    // No key and no npx.
    let mut s = Sandbox::without_key();
    s.system_path = String::new();
    let out = s.run(&["doctor", "--json"]);
    out.assert_code(1);
    let doc = json_doc(&out);
    assert_eq!(doc["healthy"], false);
    let fixes: Vec<&str> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["fix"].as_str().unwrap())
        .collect();
    assert!(fixes.contains(&"codeloop auth"), "{fixes:?}");
    assert!(fixes.iter().any(|f| f.contains("nodejs.org")), "{fixes:?}");
}

#[test]
fn doctor_writes_nothing() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    s.init_ok("cursor");
    let before = s.snapshot();
    s.run(&["doctor"]);
    s.run(&["doctor", "--json"]);
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn completions_for_every_shell() {
    let s = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = s.run(&["completions", shell]);
        out.assert_code(0);
        out.stdout_has("codeloop");
        out.stdout_has("uninstall");
    }
    s.run(&["completions", "tcsh"]).assert_code(2);
}

/// A command line clap refuses still gives a `--json` run its one document (the
/// harness checks it against the schema), with clap's message and exit 2.
#[test]
fn a_refused_command_line_with_json_still_prints_the_document() {
    let s = Sandbox::new();
    let before = s.snapshot();
    let out = s.run(&["init", "--json", "--only", "cursr"]);
    out.assert_code(2);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["exitCode"], 2);
    assert_eq!(doc["ok"], false);
    let error = doc["error"].as_str().unwrap();
    assert!(
        error.starts_with("invalid value 'cursr' for '--only <LIST>'")
            && error.contains("a similar value exists: 'cursor'"),
        "{error}"
    );
    let out = s.run(&["uninstall", "--json", "--all", "--bogus"]);
    out.assert_code(2);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["reach"], "all");
    assert_eq!(doc["error"], "unexpected argument '--bogus' found");
    // Without --json, clap's own text on stderr.
    let out = s.run(&["init", "--only", "cursr"]);
    out.assert_code(2);
    assert!(out.stdout.is_empty() && out.stderr.contains("invalid value 'cursr'"));
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn help_lists_every_exit_code() {
    let s = Sandbox::new();
    let out = s.run(&["--help"]);
    out.assert_code(0);
    for code in [
        "0    done",
        "1    error",
        "2    usage error",
        "3    init --check",
        "130  cancelled",
    ] {
        out.stdout_has(code);
    }
    // Each command lists only the codes it can return.
    let codes = |args: &[&str]| -> Vec<String> {
        let out = s.run(args);
        out.assert_code(0);
        let block = out
            .stdout
            .split("Exit codes:\n")
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        block
            .lines()
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| w.parse::<u8>().is_ok())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(codes(&["init", "--help"]), ["0", "1", "2", "3", "130"]);
    assert_eq!(codes(&["uninstall", "--help"]), ["0", "1", "2", "130"]);
    assert_eq!(codes(&["doctor", "--help"]), ["0", "1", "2"]);
    let init = s.run(&["init", "--help"]);
    init.stdout_has("The key comes from, in this order: --key-stdin, --key, CODELOOP_API_KEY");
}
