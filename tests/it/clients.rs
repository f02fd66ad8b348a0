//! The client table: every client × each of its fixtures × each scope. For each case,
//! one snapshot (`tests/it/snapshots/client@<target>@<fixture>@<scope>.snap`) holds
//! what a person reads and what lands on disk:
//!
//! 1. `init --dry-run --only TARGET` — the previewed diff, exactly as printed;
//! 2. `init --yes --only TARGET` — every file it wrote, byte for byte (CRLF, BOM,
//!    UTF-16 and a missing final newline made visible) with its mode;
//!
//! and the case asserts, without a snapshot:
//!
//! 3. a second `init` writes nothing (bytes, modes, mtimes, inodes) and says so;
//! 4. `uninstall --only TARGET` (same scope) gives back every file byte for byte, and
//!    removes every file and directory `init` created.
//!
//! Adding a client (a file in `src/clients/`) is adding a row to [`CLIENTS`] (its files
//! per scope, spelled out here as the specification of where they are), a `#[test]`
//! below, and its fixtures (named by their quirk) in `fixtures/<client>/`;
//! `every_target_of_the_cli_has_a_row` fails until the row is there.

use crate::harness::clients::Scope;
use crate::harness::snap::{show_file, show_run};
use crate::harness::*;

/// One client (or shell): where its file is in each scope it has, and the fixtures
/// its file can start as (`None`: no file yet).
struct Client {
    target: &'static str,
    /// The file `init` edits, from the sandbox root, per scope; `None`: the target has
    /// no such scope (a shell or a user-only client is run once, without `--global`).
    project: Option<&'static str>,
    global: Option<&'static str>,
    /// Fixtures, each with the file it is put in (from the sandbox root; `None`: the
    /// scope's file). `__PROJECT__` in a fixture becomes the project's path.
    fixtures: &'static [(&'static str, Option<&'static str>)],
}

const CLIENTS: &[Client] = &[
    Client {
        target: "cursor",
        project: Some("project/.cursor/mcp.json"),
        global: Some("home/.cursor/mcp.json"),
        fixtures: &[
            ("cursor/mcp-with-comments-and-trailing-commas.jsonc", None),
            ("cursor/mcp-crlf-tabs.json", None),
            ("cursor/mcp-bom-no-trailing-newline.json", None),
            ("cursor/mcp-with-stale-codeloop-entry.json", None),
        ],
    },
    Client {
        target: "claude-code",
        project: Some("home/.claude.json"),
        global: Some("home/.claude.json"),
        fixtures: &[
            ("claude/claude-json-realistic.json", None),
            (
                "claude/settings-local-with-permissions.json",
                Some("project/.claude/settings.local.json"),
            ),
        ],
    },
    Client {
        target: "codex",
        project: Some("project/.codex/config.toml"),
        global: Some("home/.codex/config.toml"),
        fixtures: &[("codex/config-commented-servers-profiles.toml", None)],
    },
    Client {
        target: "gemini",
        project: Some("project/.gemini/settings.json"),
        global: Some("home/.gemini/settings.json"),
        fixtures: &[("gemini/settings-with-unrelated-settings.json", None)],
    },
    Client {
        target: "vscode",
        project: Some("project/.vscode/mcp.json"),
        global: Some("home/.config/Code/User/mcp.json"),
        fixtures: &[("vscode/mcp-with-inputs.jsonc", None)],
    },
    Client {
        target: "windsurf",
        // User scope only, with or without --global.
        project: Some("home/.codeium/windsurf/mcp_config.json"),
        global: Some("home/.codeium/windsurf/mcp_config.json"),
        fixtures: &[("windsurf/mcp-config-with-other-server.json", None)],
    },
    Client {
        target: "claude-desktop",
        project: Some("home/.config/Claude/claude_desktop_config.json"),
        global: Some("home/.config/Claude/claude_desktop_config.json"),
        fixtures: &[("claude-desktop/config-with-preferences.json", None)],
    },
    Client {
        target: "goose",
        // User scope only, with or without --global.
        project: Some("home/.config/goose/config.yaml"),
        global: Some("home/.config/goose/config.yaml"),
        fixtures: &[("goose/config-with-comments-and-other-extensions.yaml", None)],
    },
    Client {
        target: "zed",
        project: Some("project/.zed/settings.json"),
        global: Some("home/.config/zed/settings.json"),
        fixtures: &[
            (
                "zed/user-settings-comments-trailing-commas-other-server.jsonc",
                Some("home/.config/zed/settings.json"),
            ),
            (
                "zed/project-settings-folder-header-no-servers.jsonc",
                Some("project/.zed/settings.json"),
            ),
        ],
    },
    Client {
        target: "cline",
        // User scope only: the file Cline 4 (extension and CLI) shares.
        project: Some("home/.cline/data/settings/cline_mcp_settings.json"),
        global: Some("home/.cline/data/settings/cline_mcp_settings.json"),
        fixtures: &[
            (
                "cline/shared-settings-with-cli-nested-transport-server.json",
                None,
            ),
            // The VS Code extension's old file, which Cline 4 no longer reads: left alone.
            (
                "cline/legacy-vscode-globalstorage-settings.json",
                Some(
                    "home/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
                ),
            ),
        ],
    },
    Client {
        target: "roo",
        project: Some("project/.roo/mcp.json"),
        global: Some(
            "home/.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json",
        ),
        fixtures: &[
            ("roo/mcp-settings-with-always-allow-server.json", None),
            (
                "roo/fresh-mcp-settings-blank-line-no-final-newline.json",
                Some(
                    "home/.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json",
                ),
            ),
        ],
    },
    Client {
        target: "kiro",
        project: Some("project/.kiro/settings/mcp.json"),
        global: Some("home/.kiro/settings/mcp.json"),
        fixtures: &[(
            "kiro/user-mcp-disabled-server-auto-approve.json",
            Some("home/.kiro/settings/mcp.json"),
        )],
    },
    Client {
        target: "junie",
        project: Some("project/.junie/mcp/mcp.json"),
        global: Some("home/.junie/mcp/mcp.json"),
        fixtures: &[(
            "junie/user-mcp-with-other-server-crlf.json",
            Some("home/.junie/mcp/mcp.json"),
        )],
    },
    Client {
        target: "amp",
        project: Some("project/.amp/settings.json"),
        global: Some("home/.config/amp/settings.json"),
        // An existing settings.jsonc is edited instead of creating settings.json.
        fixtures: &[(
            "amp/settings-jsonc-comments-dotted-keys-other-server.jsonc",
            Some("home/.config/amp/settings.jsonc"),
        )],
    },
    Client {
        target: "augment",
        project: Some("project/.augment/settings.json"),
        global: Some("home/.augment/settings.json"),
        fixtures: &[(
            "augment/user-settings-comments-tool-permissions.jsonc",
            Some("home/.augment/settings.json"),
        )],
    },
    Client {
        target: "copilot",
        project: Some("project/.github/mcp.json"),
        global: Some("home/.copilot/mcp-config.json"),
        fixtures: &[
            (
                "copilot/mcp-config-written-by-copilot-mcp-add.json",
                Some("home/.copilot/mcp-config.json"),
            ),
            // An existing .mcp.json hides .github/mcp.json: codeloop's entry goes there.
            (
                "copilot/mcp-json-shared-with-claude-code.json",
                Some("project/.mcp.json"),
            ),
        ],
    },
    Client {
        target: "opencode",
        project: Some("project/opencode.json"),
        global: Some("home/.config/opencode/opencode.json"),
        fixtures: &[
            // An existing opencode.jsonc is edited instead of creating opencode.json.
            (
                "opencode/opencode-jsonc-comments-trailing-commas-other-servers.jsonc",
                Some("project/opencode.jsonc"),
            ),
            (
                "opencode/opencode-json-strict-with-provider.json",
                Some("home/.config/opencode/opencode.json"),
            ),
        ],
    },
    Client {
        target: "qwen",
        project: Some("project/.qwen/settings.json"),
        global: Some("home/.qwen/settings.json"),
        fixtures: &[("qwen/settings-comments-version-other-server.json", None)],
    },
    Client {
        target: "kilo",
        project: Some("project/.kilo/kilo.json"),
        global: Some("home/.config/kilo/kilo.json"),
        // An existing kilo.jsonc is edited instead of creating kilo.json.
        fixtures: &[(
            "kilo/kilo-jsonc-permission-and-other-servers.jsonc",
            Some("home/.config/kilo/kilo.jsonc"),
        )],
    },
    Client {
        target: "crush",
        project: Some("project/.crush.json"),
        global: Some("home/.config/crush/crush.json"),
        fixtures: &[("crush/crush-json-strict-providers-and-lsp.json", None)],
    },
    Client {
        target: "continue",
        // A block file of codeloop's own in each scope; config.yaml is never edited.
        project: Some("project/.continue/mcpServers/codeloop.json"),
        global: Some("home/.continue/mcpServers/codeloop.json"),
        fixtures: &[
            (
                "continue/codeloop-json-hand-written-comments-stale-key.jsonc",
                None,
            ),
            // The user's config.yaml (a list of servers) stays as it is.
            (
                "continue/config-yaml-comments-models-other-servers.yaml",
                Some("home/.continue/config.yaml"),
            ),
            // A block dir the team already has: codeloop's file goes beside theirs.
            (
                "continue/workspace-yaml-block-playwright.yaml",
                Some("project/.continue/mcpServers/playwright-mcp.yaml"),
            ),
        ],
    },
    Client {
        target: "bash",
        project: Some("home/.bashrc"),
        global: None,
        fixtures: &[
            ("shell/debian-skel.bashrc", None),
            ("shell/no-trailing-newline.bashrc", None),
            (
                "shell/bash-profile-not-sourcing-bashrc",
                Some("home/.bash_profile"),
            ),
            (
                "shell/bash-profile-sourcing-bashrc",
                Some("home/.bash_profile"),
            ),
            (
                "shell/bash-profile-sourcing-bashrc-local",
                Some("home/.bash_profile"),
            ),
        ],
    },
    Client {
        target: "zsh",
        project: Some("home/.zshrc"),
        global: None,
        fixtures: &[
            ("shell/oh-my-zsh.zshrc", None),
            ("shell/crlf.zshrc", None),
            ("shell/stale-block-old-layout.zshrc", None),
        ],
    },
    Client {
        target: "fish",
        project: Some("home/.config/fish/conf.d/codeloop.fish"),
        global: None,
        fixtures: &[],
    },
    Client {
        target: "powershell",
        project: Some("home/.config/powershell/profile.ps1"),
        global: None,
        fixtures: &[("shell/utf16le-bom.profile.ps1", None)],
    },
];

/// `cursor/mcp-crlf-tabs.json` → `mcp-crlf-tabs`.
fn slug(fixture: &str) -> &str {
    let name = fixture.rsplit('/').next().unwrap();
    name.split_once('.').map_or(name, |(stem, _)| stem)
}

/// Every path under the sandbox whose contents differ between `before` and `after`,
/// as the snapshot shows it; codeloop's own `~/.codeloop` is listed by name only (the
/// record holds fingerprints and absolute paths, covered by tests/it/history.rs).
fn show_changes(s: &Sandbox, before: &Contents, after: &Contents) -> String {
    let mut text = String::new();
    let mut own = Vec::new();
    for (path, now) in after {
        let what = match before.get(path) {
            None => "created",
            Some(was) if was != now => "changed",
            _ => continue,
        };
        let shown = path.display().to_string();
        if shown.starts_with("home/.codeloop") {
            own.push(format!("{shown} ({what})"));
            continue;
        }
        let full = s.root.join(path);
        let meta = std::fs::symlink_metadata(&full).unwrap();
        if meta.is_dir() {
            text.push_str(&format!("=== {shown}/ ({what}, {:o})\n", mode(&full)));
        } else {
            text.push_str(&format!("=== {shown} ({what}, {:o})\n", mode(&full)));
            text.push_str(&show_file(&read_bytes(&full)));
            text.push('\n');
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        text.push_str(&format!("=== {} (removed)\n", path.display()));
    }
    if !own.is_empty() {
        text.push_str(&format!("=== codeloop's own: {}\n", own.join(", ")));
    }
    text
}

/// One case of the table: the snapshot, the no-op second run, the exact uninstall.
fn case(client: &Client, start: Option<&(&str, Option<&str>)>, scope: Scope) {
    let Some(file) = (match scope {
        Scope::Project => client.project,
        Scope::Global => client.global,
    }) else {
        return;
    };
    let mut s = Sandbox::new();
    // Only the sandbox's bin dir on PATH: what the host has installed is not detected,
    // so every machine prints the same.
    s.system_path = String::new();
    let name = match start {
        Some((name, at)) => {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name);
            let mut bytes = read_bytes(&path);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                bytes = text
                    .replace("__PROJECT__", s.project.to_str().unwrap())
                    .into_bytes();
            }
            write(&s.root.join(at.unwrap_or(file)), bytes);
            slug(name).to_owned()
        }
        None => "no-file".to_owned(),
    };
    let label = format!("client@{}@{name}@{}", client.target, scope.name());
    let _settings = s.insta().bind_to_scope();

    let mut dry = vec!["init", "--dry-run", "--only", client.target];
    dry.extend_from_slice(scope.flags());
    let mut apply = vec!["init", "--yes", "--only", client.target];
    apply.extend_from_slice(scope.flags());
    let mut remove = vec!["uninstall", "--yes", "--only", client.target];
    remove.extend_from_slice(scope.flags());

    let before = contents(&s);
    let preview = s.run(&dry);
    preview.assert_code(0);
    assert_restored(&before, &contents(&s));

    s.run(&apply).assert_code(0);
    let after = contents(&s);
    insta::assert_snapshot!(
        label.clone(),
        format!(
            "{}\n--- files after `{}` ---\n{}",
            show_run(&dry, &preview),
            apply.join(" "),
            show_changes(&s, &before, &after)
        )
    );

    // A second run: nothing to do, nothing written.
    let snap = s.snapshot();
    let again = s.run(&apply);
    again.assert_code(0);
    again.stdout_has("nothing to change");
    assert_unchanged(&snap, &s.snapshot());

    // The exact reverse.
    s.run(&remove).assert_code(0);
    assert_restored(&before, &contents(&s));
}

/// Every fixture of `target` (and no file at all), in each scope it has.
fn client(target: &str) {
    let client = CLIENTS
        .iter()
        .find(|c| c.target == target)
        .unwrap_or_else(|| panic!("{target} is not in CLIENTS"));
    for scope in Scope::ALL {
        case(client, None, scope);
        for fixture in client.fixtures {
            // A fixture for a file of one scope only: a project file
            // (settings.local.json, .mcp.json) is no case of --global, and a user file
            // is no case of a project run that writes only project files.
            if let Some(at) = fixture.1 {
                let skip = match scope {
                    Scope::Global => at.starts_with("project/"),
                    Scope::Project => {
                        at.starts_with("home/")
                            && client.project.is_some_and(|f| f.starts_with("project/"))
                    }
                };
                if skip {
                    continue;
                }
            }
            case(client, Some(fixture), scope);
        }
    }
}

/// The targets the CLI itself knows, from its usage error (`[possible values: …]`).
fn cli_targets() -> Vec<String> {
    let out = Sandbox::new().run(&["init", "--only", "nonsense", "--dry-run"]);
    out.assert_code(2);
    let list = out
        .stderr
        .split_once("[possible values: ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .unwrap_or_else(|| panic!("no list of targets in\n{}", out.stderr))
        .0;
    list.split(", ").map(str::to_owned).collect()
}

#[test]
fn every_target_of_the_cli_has_a_row() {
    for target in cli_targets() {
        // Windows only; tested under wine by scripts/wine-e2e.sh.
        if target == "windows-env" {
            continue;
        }
        assert!(
            CLIENTS.iter().any(|c| c.target == target),
            "{target} has no row in the client table"
        );
    }
}

/// The `--json` schemas name every target the CLI knows, in its order, and no other
/// (and `windows-env`, which the CLI lists on Windows only).
#[test]
fn every_target_of_the_cli_is_in_the_json_schemas() {
    let mut targets = cli_targets();
    if !targets.iter().any(|t| t == "windows-env") {
        targets.push("windows-env".to_owned());
    }
    for (schema, pointer) in [
        ("init", "/$defs/targetName/enum"),
        ("uninstall", "/$defs/target/properties/name/enum"),
        ("doctor", "/$defs/target/properties/name/enum"),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(format!("{schema}.schema.json"));
        let doc: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        let names: Vec<String> = doc
            .pointer(pointer)
            .and_then(|v| v.as_array())
            .unwrap_or_else(|| panic!("{schema}.schema.json has no {pointer}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, targets, "the target names in {schema}.schema.json");
    }
}

#[test]
fn cursor() {
    client("cursor");
}

#[test]
fn claude_code() {
    client("claude-code");
}

#[test]
fn codex() {
    client("codex");
}

#[test]
fn gemini() {
    client("gemini");
}

#[test]
fn vscode() {
    client("vscode");
}

#[test]
fn windsurf() {
    client("windsurf");
}

#[test]
fn claude_desktop() {
    client("claude-desktop");
}

#[test]
fn goose() {
    client("goose");
}

#[test]
fn zed() {
    client("zed");
}

#[test]
fn cline() {
    client("cline");
}

#[test]
fn roo() {
    client("roo");
}

#[test]
fn kiro() {
    client("kiro");
}

#[test]
fn junie() {
    client("junie");
}

#[test]
fn amp() {
    client("amp");
}

#[test]
fn augment() {
    client("augment");
}

#[test]
fn copilot() {
    client("copilot");
}

#[test]
fn opencode() {
    client("opencode");
}

#[test]
fn qwen() {
    client("qwen");
}

#[test]
fn kilo() {
    client("kilo");
}

#[test]
fn crush() {
    client("crush");
}

#[test]
fn continue_dev() {
    client("continue");
}

#[test]
fn bash() {
    client("bash");
}

#[test]
fn zsh() {
    client("zsh");
}

#[test]
fn fish() {
    client("fish");
}

#[test]
fn powershell() {
    client("powershell");
}
