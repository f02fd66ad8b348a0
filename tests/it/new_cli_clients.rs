//! The CLI clients of issue 17 — GitHub Copilot CLI, opencode, Qwen Code, Kilo Code
//! CLI and (file level only) Crush. For each client and scope: `init` writes exactly the client's entry shape, a
//! second run writes nothing (bytes and mtimes), `uninstall` with the same targets gives
//! back the original bytes (or deletes the file `init` created); the merge rules once per
//! new entry shape; the readers' quirks; detection. And the proof: each client's own CLI
//! (`copilot mcp list --json`, `opencode mcp list`, `qwen mcp list`, `kilo mcp list`)
//! lists codeloop after `init`, in user and in project scope.
//!
//! The CLIs come from scripts/test-deps.sh (npm, pinned by tests/clients/package.json).
//! They run with a sandboxed HOME and TMPDIR and a PATH holding only `node`, so `npx` is
//! never found and nothing is downloaded (each lister tries to start the server and
//! reports it failed). A missing CLI fails the test under `CI` and skips it loudly
//! otherwise (`require`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::harness::*;

// ---------------------------------------------------------------------------------
// The entries each client gets

const ARGV: [&str; 3] = ["npx", "-y", "codeloop-mcp-server"];

/// opencode's and Kilo's entry: the command as one array, `environment`, `enabled`.
fn opencode_entry(key_value: &str) -> Value {
    json!({
        "type": "local",
        "enabled": true,
        "command": ARGV,
        "environment": {"CODELOOP_API_KEY": key_value}
    })
}

/// Copilot CLI's entry: `type` and `tools` beside the usual fields.
fn copilot_entry(key_value: &str) -> Value {
    json!({
        "type": "stdio",
        "tools": ["*"],
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": key_value}
    })
}

/// The entry at `servers.codeloop` of a JSONC file.
fn entry_in(file: &Path, servers: &str) -> Value {
    read_jsonc(file)[servers]["codeloop"].clone()
}

// ---------------------------------------------------------------------------------
// Runs

/// `init ARGS` twice: the first writes, the second says "already configured" and
/// leaves every file as it was (bytes, mode, mtime, inode). Returns `file` after the
/// first run.
fn init_twice(s: &Sandbox, args: &[&str], file: &Path) -> String {
    s.run(args).assert_code(0);
    let after = read(file);
    let before_second = s.snapshot();
    let again = s.run(args);
    again.assert_code(0);
    again.stdout_has("already configured");
    assert_unchanged(&before_second, &s.snapshot());
    after
}

/// `codeloop uninstall` with the targets and scope of `init_args` gives back
/// `original` byte for byte (`None`: `init` created the file, so it goes).
fn assert_uninstall_restores(s: &Sandbox, init_args: &[&str], file: &Path, original: Option<&str>) {
    let args: Vec<&str> = init_args
        .iter()
        .map(|a| if *a == "init" { "uninstall" } else { *a })
        .collect();
    s.run(&args).assert_code(0);
    match original {
        Some(original) => {
            let text = read(file);
            assert!(
                text == original,
                "uninstall did not give back the original bytes of {}:\n{}",
                file.display(),
                mask(&text)
            );
        }
        None => assert!(
            !file.exists(),
            "uninstall deletes {}, which init created",
            file.display()
        ),
    }
}

/// The file-level cycle, finished before a real client reads the file — opencode and
/// Kilo add `"$schema"` to their config files when they run, Qwen Code adds
/// `"$version"` to its user settings, and what they add is theirs, which uninstall
/// keeps: `init` twice, `uninstall` back to `original`, then `init` again, which writes
/// the same bytes as the first time. Returns them.
fn init_cycle(s: &Sandbox, args: &[&str], file: &Path, original: Option<&str>) -> String {
    let after = init_twice(s, args, file);
    assert_uninstall_restores(s, args, file, original);
    s.run(args).assert_code(0);
    assert!(read(file) == after, "a new install writes the same bytes");
    after
}

/// After a real client ran: `uninstall` with the same targets leaves no codeloop entry
/// and no key in `file` (whatever the client added stays).
fn assert_uninstall_removes_ours(s: &Sandbox, init_args: &[&str], file: &Path, servers: &str) {
    let args: Vec<&str> = init_args
        .iter()
        .map(|a| if *a == "init" { "uninstall" } else { *a })
        .collect();
    s.run(&args).assert_code(0);
    if file.exists() {
        let text = read(file);
        assert!(!text.contains("cl_live_"), "{}", mask(&text));
        assert!(
            parse_jsonc(&text)[servers].get("codeloop").is_none(),
            "{}",
            mask(&text)
        );
    }
}

// ---------------------------------------------------------------------------------
// The real clients

struct Cli {
    name: &'static str,
    path: PathBuf,
    node: PathBuf,
    timeout: PathBuf,
    /// Environment the client needs besides HOME, TMPDIR and PATH.
    env: Vec<(String, String)>,
}

/// The installed CLI `bin`, or `None` when it, `node` or `timeout` is missing
/// ([`require`]: a failure under CI, a loud skip otherwise).
fn cli(name: &'static str, bin: &str) -> Option<Cli> {
    let node = require("node")?;
    let timeout = require("timeout")?;
    let path = require(&format!("tests/clients/node_modules/.bin/{bin}"))?;
    Some(Cli {
        name,
        path,
        node,
        timeout,
        env: Vec::new(),
    })
}

/// Copilot CLI unpacks about 200 MB of itself on first use: once, into the build
/// directory, shared by every test (one run at a time, so no two unpack at once).
static COPILOT: Mutex<()> = Mutex::new(());

fn copilot() -> Option<Cli> {
    let mut c = cli("Copilot CLI", "copilot")?;
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("copilot-pkg-cache");
    c.env.push((
        "COPILOT_PKG_CACHE_HOME".into(),
        cache.to_str().unwrap().into(),
    ));
    Some(c)
}

fn opencode() -> Option<Cli> {
    cli("opencode", "opencode")
}

fn qwen() -> Option<Cli> {
    cli("Qwen Code", "qwen")
}

fn kilo() -> Option<Cli> {
    cli("Kilo Code CLI", "kilo")
}

impl Cli {
    /// `<cli> ARGS` in `cwd` with only HOME, TMPDIR, `extra` and a PATH holding just
    /// `node` (never `npx`), stopped after 90 s; it must succeed.
    fn run(&self, s: &Sandbox, cwd: &Path, args: &[&str], extra: &[(&str, &Path)]) -> Output {
        let node_dir = s.root.join("node-bin");
        if !node_dir.join("node").exists() {
            symlink(&self.node, &node_dir.join("node"));
        }
        let tmp = s.root.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut env = vec![
            ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
            ("TMPDIR".to_owned(), tmp.to_str().unwrap().to_owned()),
            ("PATH".to_owned(), node_dir.to_str().unwrap().to_owned()),
            ("NO_COLOR".to_owned(), "1".to_owned()),
        ];
        env.extend(self.env.iter().cloned());
        for (k, v) in extra {
            env.push(((*k).to_owned(), v.to_str().unwrap().to_owned()));
        }
        let mut argv = vec!["90", self.path.to_str().unwrap()];
        argv.extend_from_slice(args);
        let _one_at_a_time = (self.name == "Copilot CLI").then(|| COPILOT.lock());
        let out = run_program(&self.timeout, &argv, cwd, &env);
        assert_eq!(
            out.code,
            Some(0),
            "`{} {}` failed (124 = timed out)\n{}",
            self.name,
            args.join(" "),
            out.masked()
        );
        out
    }
}

/// A directory outside the project, for listing user servers alone.
fn elsewhere(s: &Sandbox) -> PathBuf {
    let dir = s.root.join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The line of `opencode mcp list` / `kilo mcp list` that names server `name`.
fn listed_at(out: &Output, name: &str) -> usize {
    out.stdout
        .lines()
        .position(|l| l.split_whitespace().any(|w| w == name))
        .unwrap_or_else(|| panic!("{name} is not listed\n{}", out.masked()))
}

/// opencode and Kilo print a server as `✗ NAME failed`, then its error, then its
/// command line. Panics unless codeloop is listed with its command.
fn assert_lists_ours(out: &Output) {
    let at = listed_at(out, "codeloop");
    assert!(
        out.stdout
            .lines()
            .skip(at + 1)
            .take(3)
            .any(|l| l.contains("npx -y codeloop-mcp-server")),
        "codeloop is listed without its command\n{}",
        out.masked()
    );
}

/// Our server as `copilot mcp list --json` reports it.
fn copilot_server(out: &Output) -> Value {
    let list: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("copilot printed no JSON ({e})\n{}", out.masked()));
    let server = list["mcpServers"]["codeloop"].clone();
    assert!(
        server.is_object(),
        "copilot does not list codeloop\n{}",
        out.masked()
    );
    assert_eq!(server["type"], "stdio", "{}", out.masked());
    assert_eq!(server["command"], "npx", "{}", out.masked());
    assert_eq!(
        server["args"],
        json!(["-y", "codeloop-mcp-server"]),
        "{}",
        out.masked()
    );
    assert_eq!(server["tools"], json!(["*"]), "{}", out.masked());
    assert_eq!(server["enabled"], true, "{}", out.masked());
    server
}

/// Copilot CLI reads project servers only in a folder the user trusted.
fn trust_for_copilot(s: &Sandbox) {
    write(
        &s.home_path(".copilot/config.json"),
        json!({"trusted_folders": [s.project]}).to_string(),
    );
}

/// `qwen mcp list` shows codeloop with our command; returns its line.
fn qwen_line(out: &Output) -> String {
    out.stdout
        .lines()
        .find(|l| l.contains("codeloop: npx -y codeloop-mcp-server (stdio)"))
        .unwrap_or_else(|| panic!("qwen does not list codeloop\n{}", out.masked()))
        .to_owned()
}

// ---------------------------------------------------------------------------------
// opencode

#[test]
fn opencode_project_jsonc_keeps_comments_and_other_servers_and_opencode_lists_ours() {
    let Some(opencode) = opencode() else { return };
    let s = Sandbox::new();
    let file = s.project_path("opencode.jsonc");
    let original = fixture("opencode/opencode-jsonc-comments-trailing-commas-other-servers.jsonc");
    write(&file, &original);
    let args = ["init", "--yes", "--only", "opencode"];

    let after = init_cycle(&s, &args, &file, Some(&original));
    assert_pure_insertion(&original, &after);
    assert_eq!(entry_in(&file, "mcp"), opencode_entry(KEY));
    assert!(
        !s.project_path("opencode.json").exists(),
        "the existing opencode.jsonc is the one edited"
    );
    assert_eq!(read_jsonc(&file)["theme"], "opencode");

    let out = opencode.run(&s, &s.project, &["mcp", "list"], &[]);
    assert_lists_ours(&out);
    listed_at(&out, "my-local");
    assert_uninstall_removes_ours(&s, &args, &file, "mcp");
}

#[test]
fn opencode_user_file_is_created_under_xdg_config_and_opencode_lists_ours() {
    let Some(opencode) = opencode() else { return };
    let s = Sandbox::new();
    let file = s.home_path(".config/opencode/opencode.json");
    let args = ["init", "--yes", "--global", "--only", "opencode"];

    init_cycle(&s, &args, &file, None);
    assert_eq!(entry_in(&file, "mcp"), opencode_entry(KEY));
    assert_eq!(mode(&file), 0o600, "a new user file holding the key");

    let out = opencode.run(&s, &elsewhere(&s), &["mcp", "list"], &[]);
    assert_lists_ours(&out);
    assert_uninstall_removes_ours(&s, &args, &file, "mcp");
}

#[test]
fn opencode_strict_user_json_is_edited_in_place() {
    let s = Sandbox::new();
    let file = s.home_path(".config/opencode/opencode.json");
    let original = fixture("opencode/opencode-json-strict-with-provider.json");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "opencode"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    serde_json::from_str::<Value>(&after).expect("still strict JSON");
    assert_eq!(entry_in(&file, "mcp"), opencode_entry(KEY));
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn opencode_project_file_refers_to_the_variable_when_a_shell_gets_the_key() {
    let Some(opencode) = opencode() else { return };
    let s = Sandbox::new();
    let file = s.project_path("opencode.json");
    let args = ["init", "--yes", "--only", "opencode,bash"];

    let after = init_cycle(&s, &args, &file, None);
    assert!(!after.contains("cl_live_"), "{}", mask(&after));
    assert_eq!(
        entry_in(&file, "mcp"),
        opencode_entry("{env:CODELOOP_API_KEY}")
    );
    assert_eq!(mode(&file), 0o644, "a plain file, safe to commit");

    let out = opencode.run(&s, &s.project, &["mcp", "list"], &[]);
    assert_lists_ours(&out);
    assert_uninstall_removes_ours(&s, &args, &file, "mcp");
}

/// The merge rules on the command-array shape (opencode's and Kilo's).
#[test]
fn opencode_users_own_entry_keeps_its_fields_through_a_new_key_and_comes_back() {
    let mut s = Sandbox::new();
    let file = s.home_path(".config/opencode/opencode.json");
    let original = format!(
        "{{\n  \"mcp\": {{\n    \"codeloop\": {{\n      \"type\": \"local\",\n      \"command\": [\"npx\", \"-y\", \"codeloop-mcp-server\"],\n      \"environment\": {{\n        \"CODELOOP_API_KEY\": \"{KEY}\",\n        \"CODELOOP_LOG\": \"debug\"\n      }},\n      \"timeout\": 10000\n    }}\n  }}\n}}\n"
    );
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "opencode"];

    // Already configured as it is: nothing to write, not even `enabled`.
    let out = s.run(&args);
    out.assert_code(0);
    out.stdout_has("already configured");
    assert_eq!(read(&file), original);

    s.key = Some(KEY2.to_owned());
    s.run(&args).assert_code(0);
    assert_eq!(
        read(&file),
        original.replace(KEY, KEY2),
        "only the key changed"
    );

    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn opencode_a_field_the_user_adds_survives_a_new_key_and_disabling_is_respected() {
    let mut s = Sandbox::new();
    let file = s.project_path("opencode.json");
    s.init_ok("opencode");
    let text = read(&file).replace(
        "\"enabled\": true",
        "\"enabled\": false,\n      \"timeout\": 20000",
    );
    write(&file, &text);

    s.key = Some(KEY2.to_owned());
    s.init_ok("opencode").stdout_has("is disabled");
    let entry = entry_in(&file, "mcp");
    assert_eq!(entry["environment"]["CODELOOP_API_KEY"], KEY2);
    assert_eq!(entry["timeout"], 20000);
    assert_eq!(entry["enabled"], false, "the user switched it off");
}

// ---------------------------------------------------------------------------------
// GitHub Copilot CLI

#[test]
fn copilot_project_server_goes_to_github_mcp_json_and_copilot_lists_it_once_trusted() {
    let Some(copilot) = copilot() else { return };
    let s = Sandbox::new();
    trust_for_copilot(&s);
    let file = s.project_path(".github/mcp.json");
    let args = ["init", "--yes", "--only", "copilot"];

    init_cycle(&s, &args, &file, None);
    assert_eq!(entry_in(&file, "mcpServers"), copilot_entry(KEY));
    assert!(
        !s.project_path(".mcp.json").exists(),
        "Claude Code's file is left alone"
    );
    assert_eq!(mode(&file), 0o600, "it holds the key");

    let out = copilot.run(&s, &s.project, &["mcp", "list", "--json"], &[]);
    let server = copilot_server(&out);
    assert_eq!(server["source"], "workspace", "{}", out.masked());
    assert!(server["env"]["CODELOOP_API_KEY"] == KEY);
    assert_uninstall_removes_ours(&s, &args, &file, "mcpServers");
}

#[test]
fn copilot_writes_an_existing_mcp_json_which_hides_github_mcp_json_and_claude_code_reads_it_too() {
    let Some(copilot) = copilot() else { return };
    let s = Sandbox::new();
    trust_for_copilot(&s);
    let file = s.project_path(".mcp.json");
    let original = fixture("copilot/mcp-json-shared-with-claude-code.json");
    write(&file, &original);
    let args = ["init", "--yes", "--only", "copilot,zsh"];

    let after = init_cycle(&s, &args, &file, Some(&original));
    assert_pure_insertion(&original, &after);
    assert_eq!(
        entry_in(&file, "mcpServers"),
        copilot_entry("${CODELOOP_API_KEY}"),
        "a committed file refers to the variable the shell sets"
    );
    assert!(!s.project_path(".github").exists());

    let out = copilot.run(&s, &s.project, &["mcp", "list", "--json"], &[]);
    let server = copilot_server(&out);
    assert!(
        server["sourcePath"]
            .as_str()
            .is_some_and(|p| p.ends_with(".mcp.json")),
        "{}",
        out.masked()
    );
    out.stdout_has("\"playwright\"");

    // Claude Code reads `.mcp.json` too, and takes a `stdio` entry (it skips `local`).
    if let Some(claude) = cli("Claude Code", "claude") {
        let out = claude.run(&s, &s.project, &["mcp", "list"], &[]);
        assert!(
            !out.both().contains("unknown MCP server type"),
            "{}",
            out.masked()
        );
        out.stdout_has("codeloop: npx -y codeloop-mcp-server");
    }
    assert_uninstall_removes_ours(&s, &args, &file, "mcpServers");
}

#[test]
fn copilot_user_file_written_by_copilot_mcp_add_gets_ours_and_copilot_lists_it() {
    let Some(copilot) = copilot() else { return };
    let s = Sandbox::new();
    let file = s.home_path(".copilot/mcp-config.json");
    let original = fixture("copilot/mcp-config-written-by-copilot-mcp-add.json");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "copilot"];

    let after = init_cycle(&s, &args, &file, Some(&original));
    assert_pure_insertion(&original, &after);
    assert_eq!(entry_in(&file, "mcpServers"), copilot_entry(KEY));

    let out = copilot.run(&s, &elsewhere(&s), &["mcp", "list", "--json"], &[]);
    let server = copilot_server(&out);
    assert_eq!(server["source"], "user", "{}", out.masked());
    assert!(server["env"]["CODELOOP_API_KEY"] == KEY);
    out.stdout_has("\"context7\"");
    assert_uninstall_removes_ours(&s, &args, &file, "mcpServers");
}

#[test]
fn copilot_home_moves_the_user_file() {
    let Some(copilot) = copilot() else { return };
    let mut s = Sandbox::new();
    let copilot_home = s.root.join("copilot-home");
    s.env
        .push(("COPILOT_HOME".into(), copilot_home.to_str().unwrap().into()));
    let file = copilot_home.join("mcp-config.json");
    let args = ["init", "--yes", "--global", "--only", "copilot"];

    init_twice(&s, &args, &file);
    assert!(!s.home_path(".copilot").exists());
    let out = copilot.run(
        &s,
        &elsewhere(&s),
        &["mcp", "list", "--json"],
        &[("COPILOT_HOME", &copilot_home)],
    );
    copilot_server(&out);
    assert_uninstall_restores(&s, &args, &file, None);
}

/// The merge rules on Copilot's shape (`type` and `tools` are the user's once written).
#[test]
fn copilot_entry_from_copilot_mcp_add_is_ours_already_and_keeps_its_fields_and_comes_back() {
    let mut s = Sandbox::new();
    let file = s.home_path(".copilot/mcp-config.json");
    let original = format!(
        "{{\n  \"mcpServers\": {{\n    \"codeloop\": {{\n      \"tools\": [\n        \"search\"\n      ],\n      \"type\": \"local\",\n      \"command\": \"npx\",\n      \"args\": [\n        \"-y\",\n        \"codeloop-mcp-server\"\n      ],\n      \"env\": {{\n        \"CODELOOP_API_KEY\": \"{KEY}\"\n      }}\n    }}\n  }}\n}}\n"
    );
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "copilot"];

    let out = s.run(&args);
    out.assert_code(0);
    out.stdout_has("already configured");

    s.key = Some(KEY2.to_owned());
    s.run(&args).assert_code(0);
    assert_eq!(
        read(&file),
        original.replace(KEY, KEY2),
        "only the key changed"
    );
    let entry = entry_in(&file, "mcpServers");
    assert_eq!(entry["type"], "local");
    assert_eq!(entry["tools"], json!(["search"]));

    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

// ---------------------------------------------------------------------------------
// Qwen Code

#[test]
fn qwen_project_settings_keep_comments_and_qwen_lists_ours_pending_approval() {
    let Some(qwen) = qwen() else { return };
    let s = Sandbox::new();
    let file = s.project_path(".qwen/settings.json");
    let original = fixture("qwen/settings-comments-version-other-server.json");
    write(&file, &original);
    let args = ["init", "--yes", "--only", "qwen"];

    let after = init_cycle(&s, &args, &file, Some(&original));
    assert_pure_insertion(&original, &after);
    assert_eq!(entry_in(&file, "mcpServers"), expected_entry(KEY));
    assert_eq!(read_jsonc(&file)["$version"], 4);

    let out = qwen.run(&s, &s.project, &["mcp", "list"], &[]);
    assert!(
        qwen_line(&out).contains("Pending approval"),
        "{}",
        out.masked()
    );
    out.stdout_has("filesystem:");
    assert_uninstall_removes_ours(&s, &args, &file, "mcpServers");
}

#[test]
fn qwen_user_settings_are_created_and_qwen_lists_ours() {
    let Some(qwen) = qwen() else { return };
    let s = Sandbox::new();
    let file = s.home_path(".qwen/settings.json");
    let args = ["init", "--yes", "--global", "--only", "qwen"];

    init_cycle(&s, &args, &file, None);
    assert_eq!(entry_in(&file, "mcpServers"), expected_entry(KEY));
    assert_eq!(mode(&file), 0o600);

    let out = qwen.run(&s, &elsewhere(&s), &["mcp", "list"], &[]);
    assert!(
        !qwen_line(&out).contains("Pending approval"),
        "a user server needs none"
    );
    assert_uninstall_removes_ours(&s, &args, &file, "mcpServers");
}

#[test]
fn qwen_project_file_refers_to_the_variable_when_a_shell_gets_the_key() {
    let Some(qwen) = qwen() else { return };
    let s = Sandbox::new();
    let file = s.project_path(".qwen/settings.json");
    let args = ["init", "--yes", "--only", "qwen,fish"];

    let after = init_cycle(&s, &args, &file, None);
    assert!(!after.contains("cl_live_"), "{}", mask(&after));
    assert_eq!(
        entry_in(&file, "mcpServers"),
        expected_entry("${CODELOOP_API_KEY}")
    );
    let out = qwen.run(&s, &s.project, &["mcp", "list"], &[]);
    qwen_line(&out);
    assert_uninstall_removes_ours(&s, &args, &file, "mcpServers");
}

#[test]
fn qwen_home_moves_the_user_file() {
    let mut s = Sandbox::new();
    let qwen_home = s.root.join("qwen-home");
    s.env
        .push(("QWEN_HOME".into(), qwen_home.to_str().unwrap().into()));
    let file = qwen_home.join("settings.json");
    let args = ["init", "--yes", "--global", "--only", "qwen"];
    init_twice(&s, &args, &file);
    assert!(!s.home_path(".qwen").exists());
    assert_uninstall_restores(&s, &args, &file, None);
}

#[test]
fn qwen_is_never_handed_a_trailing_comma_it_cannot_read() {
    let s = Sandbox::new();
    let file = s.project_path(".qwen/settings.json");
    let text = fixture("qwen/invalid-for-qwen-trailing-comma.json");
    write(&file, &text);
    let snap = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "qwen"]);
    out.assert_code(1);
    out.stderr_has(".qwen/settings.json:5:69: a trailing comma, which this client cannot read (it reads JSON with comments but no trailing commas); remove it and run again");
    assert!(!out.stderr.contains("--skip"), "{}", out.stderr);
    assert_unchanged(&snap, &s.snapshot());
    // Comments alone are fine (the other qwen tests edit a commented file).
}

// ---------------------------------------------------------------------------------
// Kilo Code CLI

#[test]
fn kilo_project_server_goes_to_dot_kilo_and_kilo_lists_it() {
    let Some(kilo) = kilo() else { return };
    let s = Sandbox::new();
    let file = s.project_path(".kilo/kilo.json");
    let args = ["init", "--yes", "--only", "kilo"];

    init_cycle(&s, &args, &file, None);
    assert_eq!(entry_in(&file, "mcp"), opencode_entry(KEY));

    let out = kilo.run(&s, &s.project, &["mcp", "list"], &[]);
    assert_lists_ours(&out);
    assert_uninstall_removes_ours(&s, &args, &file, "mcp");
}

#[test]
fn kilo_user_jsonc_keeps_its_comments_and_kilo_lists_ours() {
    let Some(kilo) = kilo() else { return };
    let s = Sandbox::new();
    let file = s.home_path(".config/kilo/kilo.jsonc");
    let original = fixture("kilo/kilo-jsonc-permission-and-other-servers.jsonc");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "kilo"];

    let after = init_cycle(&s, &args, &file, Some(&original));
    assert_pure_insertion(&original, &after);
    assert_eq!(entry_in(&file, "mcp"), opencode_entry(KEY));
    assert!(!s.home_path(".config/kilo/kilo.json").exists());

    let out = kilo.run(&s, &elsewhere(&s), &["mcp", "list"], &[]);
    assert_lists_ours(&out);
    assert_uninstall_removes_ours(&s, &args, &file, "mcp");
}

/// Kilo (7.7.7) skips a whole project file that holds any `{env:…}` — codeloop's
/// server and the team's with it — so its project file holds the key (git-ignored)
/// even when a shell gets the variable in the same run; the user file holds it anyway.
#[test]
fn kilo_lists_ours_in_both_scopes_when_a_shell_is_set_up_too() {
    let Some(kilo) = kilo() else { return };
    let s = Sandbox::new();
    s.git_init(&s.project);
    write(&s.home_path(".bashrc"), "# mine\n");
    let file = s.project_path("kilo.jsonc");
    write(
        &file,
        "{\n  // team settings\n  \"mcp\": {\n    \"other\": {\"type\": \"local\", \"command\": [\"echo\", \"hi\"]}\n  }\n}\n",
    );
    s.init_ok("kilo,bash");
    assert!(read(&s.home_path(".codeloop/env.sh")).contains(KEY));
    assert_eq!(entry_in(&file, "mcp"), opencode_entry(KEY));
    assert!(
        !s.project_path(".kilo").exists(),
        "the existing kilo.jsonc is used"
    );
    let gitignore = read(&s.project_path(".gitignore"));
    assert!(gitignore.contains("/kilo.jsonc\n"), "{gitignore}");
    let out = kilo.run(&s, &s.project, &["mcp", "list"], &[]);
    assert_lists_ours(&out);
    listed_at(&out, "other");

    // Kilo's first run above made its user file, `kilo.jsonc`: codeloop edits that one.
    let user = s.home_path(".config/kilo/kilo.jsonc");
    s.run(&["init", "--yes", "--global", "--only", "kilo,bash"])
        .assert_code(0);
    assert_eq!(entry_in(&user, "mcp"), opencode_entry(KEY));
    let out = kilo.run(&s, &elsewhere(&s), &["mcp", "list"], &[]);
    assert_lists_ours(&out);
}

// ---------------------------------------------------------------------------------
// Crush (file level only: its npm package downloads the binary at install)

fn crush_entry(key_value: &str) -> Value {
    json!({
        "type": "stdio",
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": key_value}
    })
}

#[test]
fn crush_strict_user_json_stays_strict_and_comes_back() {
    let s = Sandbox::new();
    let file = s.home_path(".config/crush/crush.json");
    let original = fixture("crush/crush-json-strict-providers-and-lsp.json");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "crush"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    serde_json::from_str::<Value>(&after).expect("Crush reads strict JSON");
    assert_eq!(entry_in(&file, "mcp"), crush_entry(KEY));
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn crush_project_file_is_dot_crush_json_and_refers_to_the_variable() {
    let s = Sandbox::new();
    let file = s.project_path(".crush.json");
    let args = ["init", "--yes", "--only", "crush,bash"];

    let after = init_twice(&s, &args, &file);
    serde_json::from_str::<Value>(&after).expect("Crush reads strict JSON");
    assert_eq!(entry_in(&file, "mcp"), crush_entry("${CODELOOP_API_KEY}"));
    assert_uninstall_restores(&s, &args, &file, None);
}

#[test]
fn crush_is_never_handed_a_comment() {
    let s = Sandbox::new();
    let file = s.project_path("crush.json");
    let commented = "{\n  // mine\n  \"mcp\": {}\n}\n";
    write(&file, commented);
    let out = s.run(&["init", "--yes", "--only", "crush"]);
    out.assert_code(1);
    out.stderr_has(
        "crush.json:2:3: a comment, which this client cannot read (it reads strict JSON)",
    );
    assert_eq!(read(&file), commented);
}

// ---------------------------------------------------------------------------------
// All of them

#[test]
fn detects_the_cli_clients_by_their_commands_and_config_dirs() {
    let s = Sandbox::new();
    for exe in ["copilot", "opencode"] {
        s.fake_exe(exe);
    }
    std::fs::create_dir_all(s.home_path(".qwen")).unwrap();
    std::fs::create_dir_all(s.home_path(".config/kilo")).unwrap();
    write(&s.project_path(".crush.json"), "{}\n");
    let out = s.run(&["init", "--dry-run"]);
    out.assert_code(0);
    for (label, evidence) in [
        ("GitHub Copilot CLI", "`copilot` is on PATH"),
        ("opencode", "`opencode` is on PATH"),
        ("Crush", ".crush.json exists"),
        ("Qwen Code", "~/.qwen/ exists"),
        ("Kilo Code CLI", "~/.config/kilo/ exists"),
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
fn every_cli_client_is_a_target_name() {
    let out = Sandbox::new().run(&["init", "--only", "nope"]);
    out.assert_code(2);
    for id in ["copilot", "opencode", "qwen", "kilo", "crush"] {
        out.stderr_has(id);
    }
}
