//! The real Codex and Gemini CLIs read what `codeloop init` wrote: `codex mcp list
//! --json` and `gemini mcp list`, run with a sandboxed HOME (and CODEX_HOME), must list
//! `codeloop` with our command and args. Each test also checks that a second run changes
//! nothing and that the planner's reverse edit gives back the original bytes. Offline:
//! the clients only read their configs, and `npx` is not on their PATH.
//!
//! The CLIs come from `scripts/test-deps.sh` (npm, pinned by tests/clients/package.json).
//! Missing them fails the test under `CI`, and skips it loudly otherwise.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::{Value, json};

struct Client {
    name: &'static str,
    cli: PathBuf,
    node: PathBuf,
    timeout: PathBuf,
}

/// The installed CLI `bin`, `node` and `timeout`, or `None` (after a loud SKIPPED
/// line) when one is missing outside CI.
fn client(name: &'static str, bin: &str) -> Option<Client> {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients/node_modules/.bin")
        .join(bin);
    let node = find_on_host_path("node");
    let timeout = find_on_host_path("timeout");
    let missing = match (&node, &timeout, cli.is_file()) {
        (None, _, _) => "`node` is not on PATH".to_owned(),
        (_, None, _) => "`timeout` is not on PATH".to_owned(),
        (_, _, false) => format!("tests/clients/node_modules/.bin/{bin} is not installed"),
        _ => {
            return Some(Client {
                name,
                cli,
                node: node.unwrap(),
                timeout: timeout.unwrap(),
            });
        }
    };
    if in_ci() {
        panic!("{missing}; run scripts/test-deps.sh to install the test prerequisites");
    }
    eprintln!(
        "SKIPPED: real {name} client test: {missing}; run scripts/test-deps.sh to install it"
    );
    None
}

impl Client {
    /// `<cli> ARGS` in `cwd` with only HOME, `extra` and a PATH holding just `node`,
    /// stopped after 60 s.
    fn run(&self, s: &Sandbox, cwd: &Path, args: &[&str], extra: &[(&str, &Path)]) -> Output {
        let node_dir = s.root.join("node-bin");
        if !node_dir.join("node").exists() {
            symlink(&self.node, &node_dir.join("node"));
        }
        let mut env = vec![
            ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
            ("PATH".to_owned(), node_dir.to_str().unwrap().to_owned()),
        ];
        for (k, v) in extra {
            env.push(((*k).to_owned(), v.to_str().unwrap().to_owned()));
        }
        let mut argv = vec!["60", self.cli.to_str().unwrap()];
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
}

fn codex() -> Option<Client> {
    client("Codex", "codex")
}

fn gemini() -> Option<Client> {
    client("Gemini CLI", "gemini")
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

/// `codeloop uninstall` with the same targets and scope as `init_args` must give back
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
                "uninstall did not restore the original bytes:\n{}",
                mask(&text)
            );
        }
        None => assert!(!file.exists(), "uninstall deletes the file it created"),
    }
}

// ---------------------------------------------------------------------------------
// Codex

/// Our server as `codex mcp list --json` reports it.
fn codex_server(out: &Output) -> Value {
    let list: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("codex printed no JSON ({e})\n{}", out.masked()));
    let server = list
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "codeloop"))
        .unwrap_or_else(|| panic!("codex does not list codeloop\n{}", out.masked()))
        .clone();
    let transport = &server["transport"];
    assert_eq!(transport["type"], "stdio", "{}", out.masked());
    assert_eq!(transport["command"], "npx", "{}", out.masked());
    assert_eq!(
        transport["args"],
        json!(["-y", "codeloop-mcp-server"]),
        "{}",
        out.masked()
    );
    assert_eq!(server["enabled"], true, "{}", out.masked());
    server
}

#[test]
fn codex_lists_the_user_server_next_to_a_commented_config_in_codex_home() {
    let Some(codex) = codex() else { return };
    let mut s = Sandbox::new();
    let codex_home = s.root.join("codex-home");
    let config = codex_home.join("config.toml");
    let original = fixture("codex/config-commented-servers-profiles.toml");
    write(&config, &original);
    s.env
        .push(("CODEX_HOME".into(), codex_home.to_str().unwrap().into()));

    let after = init_twice(
        &s,
        &["init", "--yes", "--global", "--only", "codex"],
        &config,
    );
    assert!(
        after.starts_with(&original),
        "everything before our table is kept"
    );

    let out = codex.run(
        &s,
        &s.project,
        &["mcp", "list", "--json"],
        &[("CODEX_HOME", &codex_home)],
    );
    let server = codex_server(&out);
    assert!(
        server["transport"]["env"]["CODELOOP_API_KEY"] == KEY,
        "codex sees the key we wrote\n{}",
        out.masked()
    );
    // The other servers are still there.
    for other in ["github", "docs"] {
        out.stdout_has(&format!("\"name\": \"{other}\""));
    }
    assert_uninstall_restores(
        &s,
        &["init", "--yes", "--global", "--only", "codex"],
        &config,
        Some(&original),
    );
}

#[test]
fn codex_lists_the_project_server_of_a_trusted_project() {
    let Some(codex) = codex() else { return };
    let s = Sandbox::new();
    // Codex reads a project's `.codex/config.toml` only once the project is trusted.
    let user_config = format!(
        "[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
        s.project.display()
    );
    write(&s.home_path(".codex/config.toml"), user_config);
    let file = s.project_path(".codex/config.toml");

    init_twice(&s, &["init", "--yes", "--only", "codex"], &file);

    let out = codex.run(&s, &s.project, &["mcp", "list", "--json"], &[]);
    let server = codex_server(&out);
    assert!(server["transport"]["env"]["CODELOOP_API_KEY"] == KEY);
    assert_eq!(mode(&file), 0o600, "the project file holds the key");
    assert_uninstall_restores(&s, &["init", "--yes", "--only", "codex"], &file, None);
}

#[test]
fn codex_forwards_the_variable_when_the_same_run_configures_a_shell() {
    let Some(codex) = codex() else { return };
    let s = Sandbox::new();
    write(
        &s.home_path(".codex/config.toml"),
        format!(
            "[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
            s.project.display()
        ),
    );
    let file = s.project_path(".codex/config.toml");

    let after = init_twice(&s, &["init", "--yes", "--only", "codex,bash"], &file);
    assert!(
        !after.contains("cl_live_"),
        "no key in the project file:\n{}",
        mask(&after)
    );

    let out = codex.run(&s, &s.project, &["mcp", "list", "--json"], &[]);
    let server = codex_server(&out);
    assert_eq!(
        server["transport"]["env_vars"],
        json!(["CODELOOP_API_KEY"]),
        "{}",
        out.masked()
    );
    assert_uninstall_restores(&s, &["init", "--yes", "--only", "codex,bash"], &file, None);
}

// ---------------------------------------------------------------------------------
// Gemini CLI

/// `gemini mcp list` shows our server (disabled in an untrusted folder still proves
/// the file was read).
fn assert_gemini_lists_ours(out: &Output) {
    assert!(
        out.both()
            .lines()
            .any(|l| l.contains("codeloop: npx -y codeloop-mcp-server (stdio)")),
        "gemini does not list codeloop with our command and args\n{}",
        out.masked()
    );
}

#[test]
fn gemini_lists_the_project_server_next_to_unrelated_settings() {
    let Some(gemini) = gemini() else { return };
    let s = Sandbox::new();
    let file = s.project_path(".gemini/settings.json");
    let original = fixture("gemini/settings-with-unrelated-settings.json");
    write(&file, &original);

    let after = init_twice(&s, &["init", "--yes", "--only", "gemini"], &file);
    let parsed = parse_jsonc(&after);
    assert_eq!(parsed["mcpServers"]["codeloop"], expected_entry(KEY));
    assert_eq!(parsed["ui"]["theme"], "GitHub");

    let out = gemini.run(&s, &s.project, &["mcp", "list"], &[]);
    assert_gemini_lists_ours(&out);
    out.output_has("filesystem:");
    assert_uninstall_restores(
        &s,
        &["init", "--yes", "--only", "gemini"],
        &file,
        Some(&original),
    );
}

#[test]
fn gemini_lists_the_user_server_written_with_global() {
    let Some(gemini) = gemini() else { return };
    let s = Sandbox::new();
    let file = s.home_path(".gemini/settings.json");

    init_twice(
        &s,
        &["init", "--yes", "--global", "--only", "gemini"],
        &file,
    );

    let elsewhere = s.root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = gemini.run(&s, &elsewhere, &["mcp", "list"], &[]);
    assert_gemini_lists_ours(&out);
    assert_uninstall_restores(
        &s,
        &["init", "--yes", "--global", "--only", "gemini"],
        &file,
        None,
    );
}

#[test]
fn gemini_reads_a_variable_reference_when_the_same_run_configures_a_shell() {
    let Some(gemini) = gemini() else { return };
    let s = Sandbox::new();
    let file = s.project_path(".gemini/settings.json");

    let after = init_twice(&s, &["init", "--yes", "--only", "gemini,zsh"], &file);
    let entry = parse_jsonc(&after)["mcpServers"]["codeloop"].clone();
    assert_eq!(
        entry["env"],
        json!({"CODELOOP_API_KEY": "${CODELOOP_API_KEY}"})
    );

    let out = gemini.run(&s, &s.project, &["mcp", "list"], &[]);
    assert_gemini_lists_ours(&out);
    assert_uninstall_restores(&s, &["init", "--yes", "--only", "gemini,zsh"], &file, None);
}
