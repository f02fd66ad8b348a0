//! `init` for Zed, Cline, Roo Code, Kiro, Junie, Amp and Auggie: each client's file in
//! each of its scopes gets exactly its entry shape, a second run writes nothing, and
//! `codeloop uninstall` gives back the original bytes (or deletes a file codeloop
//! created). The merge rules on the new shapes (Zed's `context_servers`, Amp's dotted
//! `"amp.mcpServers"` key, Auggie's `"type": "stdio"` entry), the strict-JSON clients'
//! refusals, Cline's legacy file, Roo's per-fork storage, detection. Where the client's
//! own CLI lists servers offline (Cline, Amp, Auggie; pinned in tests/clients), it reads
//! the result, with a sandboxed HOME, `npx` off PATH and any network access pointed at
//! a closed loopback port. Zed, Roo, Kiro and Junie have no such CLI: their files are
//! checked here only.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::*;

/// A key the user had in their own entry before codeloop.
const OWN_KEY: &str = "cl_live_MINEmine0123456789ab";

fn augment_entry(key_value: &str) -> Value {
    json!({
        "type": "stdio",
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": key_value}
    })
}

/// Parses a strict-JSON client's file with a strict parser: what codeloop leaves there
/// must still load in the client.
fn read_strict(path: &Path) -> Value {
    let text = read(path);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{} is not strict JSON ({e}):\n{}",
            path.display(),
            mask(&text)
        )
    })
}

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
/// `original` byte for byte (`None`: the file did not exist, so it is deleted).
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
                "uninstall did not restore {}:\n{}",
                file.display(),
                mask(&text)
            );
        }
        None => assert!(
            !file.exists(),
            "uninstall deletes {}, which it created",
            file.display()
        ),
    }
}

// ---------------------------------------------------------------------------------
// The real clients

struct Cli {
    name: &'static str,
    program: PathBuf,
    node: PathBuf,
    timeout: PathBuf,
}

/// The CLI at `rel` under tests/clients/node_modules, or `None` when it, `node` or
/// `timeout` is missing ([`require`]: a failure under CI, a loud skip otherwise).
fn cli(name: &'static str, rel: &str) -> Option<Cli> {
    let node = require("node")?;
    let timeout = require("timeout")?;
    let program = require(&format!("tests/clients/node_modules/{rel}"))?;
    Some(Cli {
        name,
        program,
        node,
        timeout,
    })
}

fn cline() -> Option<Cli> {
    cli("Cline", ".bin/cline")
}

fn amp() -> Option<Cli> {
    cli("Amp", "@ampcode/cli-linux-x64/amp")
}

fn auggie() -> Option<Cli> {
    cli("Auggie", ".bin/auggie")
}

impl Cli {
    /// `<cli> ARGS` in `cwd` with HOME, `extra`, a PATH holding just `node` (no `npx`)
    /// and every proxy pointed at a closed port (Amp and Auggie also ask their
    /// service for account-level servers); stopped after 60 s. Must exit 0.
    fn run(&self, s: &Sandbox, cwd: &Path, args: &[&str], extra: &[(&str, &Path)]) -> Output {
        let node_dir = s.root.join("node-bin");
        if !node_dir.join("node").exists() {
            symlink(&self.node, &node_dir.join("node"));
        }
        let closed = "http://127.0.0.1:9".to_owned();
        let mut env = vec![
            ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
            ("PATH".to_owned(), node_dir.to_str().unwrap().to_owned()),
            ("HTTPS_PROXY".to_owned(), closed.clone()),
            ("HTTP_PROXY".to_owned(), closed.clone()),
            ("https_proxy".to_owned(), closed.clone()),
            ("http_proxy".to_owned(), closed),
        ];
        for (k, v) in extra {
            env.push(((*k).to_owned(), v.to_str().unwrap().to_owned()));
        }
        let mut argv = vec!["60", self.program.to_str().unwrap()];
        argv.extend_from_slice(args);
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

    /// Runs the lister and parses what it printed on stdout as JSON.
    fn list_json(&self, s: &Sandbox, cwd: &Path, args: &[&str], extra: &[(&str, &Path)]) -> Value {
        let out = self.run(s, cwd, args, extra);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{} printed no JSON ({e})\n{}", self.name, out.masked()))
    }
}

/// The element of `list` (an array) whose `name` is `name`.
fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|all| all.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("{name} is not listed in {}", mask(&list.to_string())))
}

// ---------------------------------------------------------------------------------
// Zed

#[test]
fn zed_user_settings_keep_comments_trailing_commas_and_other_servers() {
    let s = Sandbox::new();
    let file = s.home_path(".config/zed/settings.json");
    let original = fixture("zed/user-settings-comments-trailing-commas-other-server.jsonc");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "zed"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    let parsed = parse_jsonc(&after);
    assert_eq!(parsed["context_servers"]["codeloop"], expected_entry(KEY));
    assert_eq!(parsed["context_servers"]["github"]["command"], "docker");
    assert!(
        parsed.get("mcpServers").is_none(),
        "Zed's key is context_servers"
    );
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn zed_project_settings_hold_the_key_and_are_git_ignored() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    let file = s.project_path(".zed/settings.json");
    let original = fixture("zed/project-settings-folder-header-no-servers.jsonc");
    write(&file, &original);
    let args = ["init", "--yes", "--only", "zed"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    assert_eq!(
        parse_jsonc(&after)["context_servers"]["codeloop"],
        expected_entry(KEY),
        "Zed expands no variables: the key itself"
    );
    let gitignore = read(&s.project_path(".gitignore"));
    assert!(gitignore.contains("/.zed/settings.json\n"), "{gitignore}");
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn a_field_the_user_adds_to_codeloops_entry_survives_a_key_change() {
    for (target, rel, fixture_name, field) in [
        (
            "zed",
            ".config/zed/settings.json",
            "zed/user-settings-comments-trailing-commas-other-server.jsonc",
            "\"timeout\": 120",
        ),
        (
            "amp",
            ".config/amp/settings.jsonc",
            "amp/settings-jsonc-comments-dotted-keys-other-server.jsonc",
            "\"includeTools\": [\"search\"]",
        ),
        (
            "augment",
            ".augment/settings.json",
            "augment/user-settings-comments-tool-permissions.jsonc",
            "\"timeout\": 30",
        ),
    ] {
        user_field_survives_a_key_change(target, rel, &fixture(fixture_name), field);
    }
}

/// The merge rules on one new shape: a field the user added inside codeloop's entry
/// survives a key change (exactly the key's string changes), and uninstall takes the
/// entry out whole, as codeloop added it.
fn user_field_survives_a_key_change(target: &str, rel: &str, original: &str, field: &str) {
    let mut s = Sandbox::new();
    let file = s.home_path(rel);
    write(&file, original);
    let args = ["init", "--yes", "--global", "--only", target];
    s.run(&args).assert_code(0);
    let with_field = read(&file).replacen(
        "\"codeloop\": {",
        &format!("\"codeloop\": {{\n      {field},"),
        1,
    );
    assert_ne!(with_field, read(&file), "{target}: the field went in");
    write(&file, &with_field);

    s.key = Some(KEY2.to_owned());
    s.run(&args).assert_code(0);
    let after = read(&file);
    assert_eq!(
        changed_span(&with_field, &after),
        (&KEY[8..], &KEY2[8..]),
        "{target}: only the key changes"
    );
    assert_uninstall_restores(&s, &args, &file, Some(original));
}

/// A `codeloop` entry the user wrote themselves (their own command and key): init
/// keeps the command, changes the key; uninstall puts their key back.
fn own_entry_is_restored(target: &str, rel: &str, servers: &str, entry: Value) {
    let s = Sandbox::new();
    let file = s.home_path(rel);
    let original =
        serde_json::to_string_pretty(&json!({ servers: { "codeloop": entry } })).unwrap() + "\n";
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", target];
    let out = s.run(&args);
    out.assert_code(0);
    out.stdout_has("kept your custom command");
    let parsed = read_jsonc(&file);
    let ours = &parsed[servers]["codeloop"];
    assert_eq!(
        ours["command"], "node",
        "{target}: the user's command stays"
    );
    assert_eq!(
        ours["env"]["CODELOOP_API_KEY"], KEY,
        "{target}: the key is ours"
    );
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn a_users_own_entry_comes_back_on_uninstall() {
    let own = |extra: Value| {
        let mut e = json!({
            "command": "node",
            "args": ["/opt/codeloop/server.js"],
            "env": {"CODELOOP_API_KEY": OWN_KEY, "LOG": "debug"}
        });
        if let (Some(map), Some(more)) = (e.as_object_mut(), extra.as_object()) {
            map.extend(more.clone());
        }
        e
    };
    own_entry_is_restored(
        "zed",
        ".config/zed/settings.json",
        "context_servers",
        own(json!({})),
    );
    own_entry_is_restored(
        "amp",
        ".config/amp/settings.json",
        "amp.mcpServers",
        own(json!({})),
    );
    own_entry_is_restored(
        "augment",
        ".augment/settings.json",
        "mcpServers",
        own(json!({"type": "stdio"})),
    );
    own_entry_is_restored(
        "cline",
        ".cline/data/settings/cline_mcp_settings.json",
        "mcpServers",
        own(json!({"autoApprove": []})),
    );
}

// ---------------------------------------------------------------------------------
// Cline

#[test]
fn cline_writes_the_shared_file_and_leaves_the_legacy_vscode_one_alone() {
    let s = Sandbox::new();
    let shared = s.home_path(".cline/data/settings/cline_mcp_settings.json");
    let legacy = s.home_path(
        ".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
    );
    let original = fixture("cline/shared-settings-with-cli-nested-transport-server.json");
    write(&shared, &original);
    write(
        &legacy,
        fixture("cline/legacy-vscode-globalstorage-settings.json"),
    );
    let legacy_before = s.snapshot();

    // Cline has no project scope: a plain run sets up the shared user file.
    let args = ["init", "--yes", "--only", "cline"];
    let after = init_twice(&s, &args, &shared);
    let parsed = read_strict(&shared);
    assert_eq!(parsed["mcpServers"]["codeloop"], expected_entry(KEY));
    assert_eq!(
        parsed["mcpServers"]["context7"],
        serde_json::from_str::<Value>(&original).unwrap()["mcpServers"]["context7"]
    );
    assert_pure_insertion(&original, &after);
    let rel = legacy.strip_prefix(&s.root).unwrap();
    assert_eq!(
        legacy_before.get(rel),
        s.snapshot().get(rel),
        "the legacy file Cline 4 no longer reads is not touched"
    );

    if let Some(cline) = cline() {
        let list = cline.list_json(&s, &s.project, &["config", "mcp", "--json"], &[]);
        let ours = named(&list, "codeloop");
        assert_eq!(ours["transportType"], "stdio");
        assert_eq!(ours["disabled"], false);
        assert_eq!(ours["path"], shared.to_str().unwrap());
        named(&list, "context7");
    }
    assert_uninstall_restores(&s, &args, &shared, Some(&original));
    assert_eq!(legacy_before.get(rel), s.snapshot().get(rel));
}

#[test]
fn cline_follows_cline_dir_and_the_cli_lists_the_server_there() {
    let mut s = Sandbox::new();
    let cline_dir = s.root.join("cline-home");
    s.env
        .push(("CLINE_DIR".into(), cline_dir.to_str().unwrap().into()));
    let file = cline_dir.join("data/settings/cline_mcp_settings.json");
    let args = ["init", "--yes", "--only", "cline"];

    init_twice(&s, &args, &file);
    assert_eq!(
        read_strict(&file)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert_eq!(mode(&file), 0o600, "a new file holding the key");
    assert!(!s.home_path(".cline").exists(), "nothing under ~/.cline");
    if let Some(cline) = cline() {
        let list = cline.list_json(
            &s,
            &s.project,
            &["config", "mcp", "--json"],
            &[("CLINE_DIR", &cline_dir)],
        );
        assert_eq!(named(&list, "codeloop")["path"], file.to_str().unwrap());
    }
    assert_uninstall_restores(&s, &args, &file, None);
}

// ---------------------------------------------------------------------------------
// Roo Code

fn roo_storage(s: &Sandbox, editor: &str) -> PathBuf {
    s.home_path(&format!(
        ".config/{editor}/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json"
    ))
}

#[test]
fn roo_sets_up_every_vscode_fork_that_has_its_storage() {
    let s = Sandbox::new();
    let vscodium = roo_storage(&s, "VSCodium");
    let cursor = roo_storage(&s, "Cursor");
    let fresh = fixture("roo/fresh-mcp-settings-blank-line-no-final-newline.json");
    let with_server = fixture("roo/mcp-settings-with-always-allow-server.json");
    write(&vscodium, &fresh);
    write(&cursor, &with_server);
    let args = ["init", "--yes", "--global", "--only", "roo"];

    init_twice(&s, &args, &vscodium);
    for file in [&vscodium, &cursor] {
        assert_eq!(
            read_strict(file)["mcpServers"]["codeloop"],
            expected_entry(KEY),
            "{}",
            file.display()
        );
    }
    assert!(
        !read(&vscodium).ends_with('\n'),
        "no final newline stays so"
    );
    assert_eq!(
        read_strict(&cursor)["mcpServers"]["postgres"]["alwaysAllow"],
        json!(["query"])
    );
    assert!(
        !roo_storage(&s, "Code").exists(),
        "VS Code's storage is created only when no fork has one"
    );
    s.run(&["uninstall", "--yes", "--global", "--only", "roo"])
        .assert_code(0);
    assert_eq!(read(&vscodium), fresh);
    assert_eq!(read(&cursor), with_server);
}

#[test]
fn roo_creates_vscodes_file_when_no_fork_has_one() {
    let s = Sandbox::new();
    let file = roo_storage(&s, "Code");
    let args = ["init", "--yes", "--global", "--only", "roo"];
    init_twice(&s, &args, &file);
    assert_eq!(
        read_strict(&file)["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert_uninstall_restores(&s, &args, &file, None);
}

#[test]
fn roo_project_file_refers_to_the_variable_when_a_shell_gets_the_key() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    let file = s.project_path(".roo/mcp.json");
    let args = ["init", "--yes", "--only", "roo,bash"];

    let after = init_twice(&s, &args, &file);
    assert_eq!(
        read_strict(&file)["mcpServers"]["codeloop"],
        expected_entry("${env:CODELOOP_API_KEY}")
    );
    assert!(!after.contains("cl_live_"), "no key in a committed file");
    assert_eq!(mode(&file), 0o644);
    assert!(!s.project_path(".gitignore").exists());
    assert_uninstall_restores(&s, &args, &file, None);
}

// ---------------------------------------------------------------------------------
// Kiro and Junie

#[test]
fn kiro_user_file_keeps_a_disabled_server_and_stays_strict_json() {
    let s = Sandbox::new();
    let file = s.home_path(".kiro/settings/mcp.json");
    let original = fixture("kiro/user-mcp-disabled-server-auto-approve.json");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "kiro"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    let parsed = read_strict(&file);
    assert_eq!(parsed["mcpServers"]["codeloop"], expected_entry(KEY));
    assert_eq!(parsed["mcpServers"]["aws-docs"]["disabled"], true);
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn kiro_and_junie_project_files_hold_the_key_and_are_git_ignored() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    // Even with a shell target: Kiro expands only approved variables, Junie documents
    // no expansion, so both project files hold the key.
    let args = ["init", "--yes", "--only", "kiro,junie,zsh"];
    s.run(&args).assert_code(0);
    let gitignore = read(&s.project_path(".gitignore"));
    for rel in [".kiro/settings/mcp.json", ".junie/mcp/mcp.json"] {
        let file = s.project_path(rel);
        assert_eq!(
            read_strict(&file)["mcpServers"]["codeloop"],
            expected_entry(KEY),
            "{rel}"
        );
        assert_eq!(mode(&file), 0o600, "{rel} holds the key");
        assert!(
            gitignore.contains(&format!("/{rel}\n")),
            "{rel}: {gitignore}"
        );
    }
    let snap = s.snapshot();
    s.run(&args).stdout_has("already configured");
    assert_unchanged(&snap, &s.snapshot());
    s.run(&["uninstall", "--yes", "--only", "kiro,junie,zsh"])
        .assert_code(0);
    for rel in [
        ".kiro/settings/mcp.json",
        ".junie/mcp/mcp.json",
        ".gitignore",
    ] {
        assert!(!s.project_path(rel).exists(), "{rel} goes with uninstall");
    }
}

#[test]
fn junie_user_file_keeps_crlf_and_its_other_server() {
    let s = Sandbox::new();
    let file = s.home_path(".junie/mcp/mcp.json");
    let original = fixture("junie/user-mcp-with-other-server-crlf.json");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "junie"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    assert_eq!(
        after.matches('\n').count(),
        after.matches("\r\n").count(),
        "every line still ends in CRLF"
    );
    let parsed = read_strict(&file);
    assert_eq!(parsed["mcpServers"]["codeloop"], expected_entry(KEY));
    assert_eq!(parsed["mcpServers"]["jetbrains"]["command"], "npx");
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

// ---------------------------------------------------------------------------------
// Amp

#[test]
fn amp_user_settings_jsonc_keep_comments_and_amp_lists_the_server() {
    let s = Sandbox::new();
    // Only settings.jsonc exists: that is the file Amp reads, so codeloop edits it.
    let file = s.home_path(".config/amp/settings.jsonc");
    let original = fixture("amp/settings-jsonc-comments-dotted-keys-other-server.jsonc");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "amp"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    let parsed = parse_jsonc(&after);
    assert_eq!(parsed["amp.mcpServers"]["codeloop"], expected_entry(KEY));
    assert!(
        parsed.get("amp").is_none(),
        "the dotted key is one key, not a path"
    );
    assert!(!s.home_path(".config/amp/settings.json").exists());

    if let Some(amp) = amp() {
        let list = amp.list_json(&s, &s.project, &["mcp", "list", "--json"], &[]);
        let ours = named(&list, "codeloop");
        assert_eq!(ours["source"], "global");
        assert_eq!(ours["spec"], expected_entry(KEY));
        named(&list, "playwright");
    }
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn amp_project_server_refers_to_the_variable_and_amp_lists_it() {
    let s = Sandbox::new();
    let file = s.project_path(".amp/settings.json");
    let args = ["init", "--yes", "--only", "amp,zsh"];

    let after = init_twice(&s, &args, &file);
    assert_eq!(
        parse_jsonc(&after)["amp.mcpServers"]["codeloop"],
        expected_entry("${CODELOOP_API_KEY}")
    );
    if let Some(amp) = amp() {
        let list = amp.list_json(&s, &s.project, &["mcp", "list", "--json"], &[]);
        let ours = named(&list, "codeloop");
        assert_eq!(ours["source"], "workspace");
        assert_eq!(ours["spec"], expected_entry("${CODELOOP_API_KEY}"));
    }
    assert_uninstall_restores(&s, &args, &file, None);
}

// ---------------------------------------------------------------------------------
// Auggie

#[test]
fn auggie_user_settings_keep_comments_and_auggie_lists_the_server() {
    let s = Sandbox::new();
    let file = s.home_path(".augment/settings.json");
    let original = fixture("augment/user-settings-comments-tool-permissions.jsonc");
    write(&file, &original);
    let args = ["init", "--yes", "--global", "--only", "augment"];

    let after = init_twice(&s, &args, &file);
    assert_pure_insertion(&original, &after);
    let parsed = parse_jsonc(&after);
    assert_eq!(parsed["mcpServers"]["codeloop"], augment_entry(KEY));
    assert_eq!(parsed["model"], "sonnet4.5");

    if let Some(auggie) = auggie() {
        let listed = auggie.list_json(&s, &s.project, &["mcp", "list", "--json"], &[]);
        let ours = named(&listed["servers"], "codeloop");
        assert_eq!(ours["transport"], "stdio");
        assert_eq!(ours["command"], "npx -y codeloop-mcp-server");
        assert_eq!(ours["enabled"], true);
        named(&listed["servers"], "linear");
    }
    assert_uninstall_restores(&s, &args, &file, Some(&original));
}

#[test]
fn auggie_project_settings_get_the_reference_and_auggie_lists_them() {
    let s = Sandbox::new();
    s.git_init(&s.project);
    let file = s.project_path(".augment/settings.json");
    let args = ["init", "--yes", "--only", "augment,bash"];

    let after = init_twice(&s, &args, &file);
    assert_eq!(
        parse_jsonc(&after)["mcpServers"]["codeloop"],
        augment_entry("${CODELOOP_API_KEY}")
    );
    assert!(
        !s.project_path(".gitignore").exists(),
        "nothing secret to ignore"
    );
    if let Some(auggie) = auggie() {
        let listed = auggie.list_json(&s, &s.project, &["mcp", "list", "--json"], &[]);
        assert_eq!(
            named(&listed["servers"], "codeloop")["command"],
            "npx -y codeloop-mcp-server"
        );
    }
    assert_uninstall_restores(&s, &args, &file, None);
}

// ---------------------------------------------------------------------------------
// Strict JSON, detection

#[test]
fn strict_json_clients_refuse_a_file_with_a_comment_and_name_its_position() {
    let commented = "{\n  // my servers\n  \"mcpServers\": {}\n}\n";
    for (target, rel, in_home) in [
        (
            "cline",
            ".cline/data/settings/cline_mcp_settings.json",
            true,
        ),
        ("roo", ".roo/mcp.json", false),
        ("kiro", ".kiro/settings/mcp.json", false),
        ("junie", ".junie/mcp/mcp.json", false),
    ] {
        let s = Sandbox::new();
        let (file, shown) = if in_home {
            (s.home_path(rel), format!("~/{rel}"))
        } else {
            (s.project_path(rel), rel.to_owned())
        };
        write(&file, commented);
        let snap = s.snapshot();
        let out = s.run(&["init", "--yes", "--only", target]);
        out.assert_code(1);
        out.stderr_has(&format!(
            "{shown}:2:3: a comment, which this client cannot read (it reads strict JSON); remove it and run again"
        ));
        assert!(!out.stderr.contains("--skip"), "{}", out.stderr);
        assert_unchanged(&snap, &s.snapshot());
    }
    // The same text is fine for the clients that read JSONC.
    let s = Sandbox::new();
    for rel in [
        ".zed/settings.json",
        ".amp/settings.json",
        ".augment/settings.json",
    ] {
        write(
            &s.project_path(rel),
            commented.replace("mcpServers", "other"),
        );
    }
    s.init_ok("zed,amp,augment");
}

#[test]
fn detects_the_new_clients_by_their_commands_dirs_and_legacy_storage() {
    let s = Sandbox::new();
    for exe in ["zed", "cline", "kiro-cli", "junie", "amp", "auggie"] {
        s.fake_exe(exe);
    }
    std::fs::create_dir_all(s.project_path(".roo")).unwrap();
    let out = s.run(&["init", "--dry-run"]);
    out.assert_code(0);
    for (label, evidence) in [
        ("Zed", "`zed` is on PATH"),
        ("Cline", "`cline` is on PATH"),
        ("Roo Code", ".roo/ exists"),
        ("Kiro", "`kiro-cli` is on PATH"),
        ("Junie", "`junie` is on PATH"),
        ("Amp", "`amp` is on PATH"),
        ("Auggie CLI", "`auggie` is on PATH"),
    ] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("found {label}:")))
            .unwrap_or_else(|| panic!("{label} not found\n{}", out.masked()));
        assert!(line.contains(evidence), "{line}");
    }

    // Cline 3.x's extension storage alone shows Cline is used.
    let s = Sandbox::new();
    std::fs::create_dir_all(s.home_path(".config/Code/User/globalStorage/saoudrizwan.claude-dev"))
        .unwrap();
    let out = s.run(&["init", "--dry-run"]);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("found Cline:"))
        .unwrap_or_else(|| panic!("Cline not found\n{}", out.masked()));
    assert!(
        line.contains("~/.config/Code/User/globalStorage/saoudrizwan.claude-dev/ exists"),
        "{line}"
    );
}
