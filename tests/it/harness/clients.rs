//! The real MCP clients, as the one harness the real-client tests share: each client
//! that has a CLI listing its MCP servers, how to ask it, and what "it lists our
//! server" means in its own words. The CLIs come from `scripts/test-deps.sh` (npm,
//! pinned by `tests/clients/package.json`) and run offline: with only `HOME` (and
//! what a test adds) in their environment and a PATH holding just `node` — never
//! `npx`, so the server itself is never fetched.
//!
//! Adding a client with a CLI is adding a row to [`WITH_CLI`] and an arm to
//! [`RealClient::assert_lists_ours`].

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{KEY, Output, Sandbox, require, run_program, symlink, write};

/// Where a test put codeloop's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The project's files (`init` without `--global`).
    Project,
    /// The user-level files (`init --global`).
    Global,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Project, Scope::Global];

    /// The flags `init`/`uninstall` take for this scope.
    pub fn flags(self) -> &'static [&'static str] {
        match self {
            Scope::Project => &[],
            Scope::Global => &["--global"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::Global => "global",
        }
    }
}

/// The clients whose CLI can list MCP servers: codeloop's target name and the CLI's
/// name in `tests/clients/node_modules/.bin`.
pub const WITH_CLI: &[(&str, &str)] = &[
    ("claude-code", "claude"),
    ("codex", "codex"),
    ("gemini", "gemini"),
];

/// One installed client CLI, with the `node` and `timeout` to run it.
pub struct RealClient {
    /// codeloop's target name.
    pub target: &'static str,
    cli: PathBuf,
    node: PathBuf,
    timeout: PathBuf,
}

/// The real client of `target` (a row of [`WITH_CLI`]), or `None` after [`require`]
/// said what is missing (a failure under CI).
pub fn real_client(target: &'static str) -> Option<RealClient> {
    let (_, bin) = WITH_CLI
        .iter()
        .find(|(t, _)| *t == target)
        .unwrap_or_else(|| panic!("{target} has no CLI in WITH_CLI"));
    let node = require("node")?;
    let timeout = require("timeout")?;
    let cli = require(&format!("tests/clients/node_modules/.bin/{bin}"))?;
    Some(RealClient {
        target,
        cli,
        node,
        timeout,
    })
}

impl RealClient {
    /// `<cli> ARGS` in `cwd`, with only `HOME`, `extra` and a PATH holding just
    /// `node`, stopped after 60 s (exit 124).
    pub fn run(&self, s: &Sandbox, cwd: &Path, args: &[&str], extra: &[(&str, &Path)]) -> Output {
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
        run_program(&self.timeout, &argv, cwd, &env)
    }

    /// What the client needs before it reads a project's servers: Codex reads
    /// `.codex/config.toml` only in a project the user trusted.
    pub fn prepare(&self, s: &Sandbox, scope: Scope) {
        if self.target == "codex" && scope == Scope::Project {
            write(
                &s.home_path(".codex/config.toml"),
                format!(
                    "[projects.\"{}\"]\ntrust_level = \"trusted\"\n",
                    s.project.display()
                ),
            );
        }
    }

    /// Asks the client for its servers — in the project for [`Scope::Project`],
    /// somewhere else for [`Scope::Global`] — and asserts it lists `codeloop` with
    /// codeloop's command and args in that scope. Returns what the client printed,
    /// and (Claude Code, Codex) the key or reference it will start the server with.
    pub fn assert_lists_ours(
        &self,
        s: &Sandbox,
        scope: Scope,
        extra: &[(&str, &Path)],
    ) -> (Output, Option<Value>) {
        let cwd = match scope {
            Scope::Project => s.cwd.clone(),
            Scope::Global => {
                let elsewhere = s.root.join("elsewhere");
                std::fs::create_dir_all(&elsewhere).unwrap();
                elsewhere
            }
        };
        let args: &[&str] = match self.target {
            "claude-code" => &["mcp", "get", "codeloop"],
            "codex" => &["mcp", "list", "--json"],
            "gemini" => &["mcp", "list"],
            other => panic!("no listing for {other}"),
        };
        let out = self.run(s, &cwd, args, extra);
        assert_eq!(
            out.code,
            Some(0),
            "`{} {}` failed (124 = timed out)\n{}",
            self.target,
            args.join(" "),
            out.masked()
        );
        let env = match self.target {
            "claude-code" => {
                let scope_line = match scope {
                    Scope::Project => "Scope: Local config",
                    Scope::Global => "Scope: User config",
                };
                for line in [scope_line, "Command: npx", "Args: -y codeloop-mcp-server"] {
                    out.stdout_has(line);
                }
                let key = out
                    .stdout
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("CODELOOP_API_KEY="))
                    .map(|k| json!({ "CODELOOP_API_KEY": k }));
                Some(key.unwrap_or(Value::Null))
            }
            "codex" => {
                let server = codex_server(&out);
                let transport = &server["transport"];
                let forwards = transport["env_vars"]
                    .as_array()
                    .is_some_and(|v| !v.is_empty());
                Some(if forwards {
                    json!({ "env_vars": transport["env_vars"] })
                } else {
                    transport["env"].clone()
                })
            }
            _ => {
                // Gemini CLI prints its list on stderr; in an untrusted folder the server
                // is listed as disabled, which still proves the file was read.
                assert!(
                    out.both()
                        .lines()
                        .any(|l| l.contains("codeloop: npx -y codeloop-mcp-server (stdio)")),
                    "gemini does not list codeloop with our command and args\n{}",
                    out.masked()
                );
                None
            }
        };
        (out, env)
    }
}

/// Our server as `codex mcp list --json` reports it: stdio, `npx -y
/// codeloop-mcp-server`, enabled.
pub fn codex_server(out: &Output) -> Value {
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

/// The env a client starts our server with when the file holds [`KEY`].
pub fn holds_key(env: &Option<Value>) -> bool {
    env.as_ref().is_none_or(|v| v["CODELOOP_API_KEY"] == KEY)
}
