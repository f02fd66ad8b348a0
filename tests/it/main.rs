//! codeloop's integration tests: one test binary (one link, one process), each module a
//! chapter of the specification. Every test runs the built `codeloop` (or
//! `codeloop::run_code` in-process) on a sandboxed home and project — see [`harness`] —
//! and never touches the real home directory.
//!
//! | module | what it holds |
//! | --- | --- |
//! | `harness` | the one test context (`Sandbox`), running programs, `require`, snapshot filters, the JSON-schema check, the real-client harness |
//! | `checks` | the planner properties shared with the fuzz targets (`fuzz/fuzz_targets`) |
//! | `fake` | a stand-in CodeLoop service on 127.0.0.1 |
//! | `clients` | the table: every client × fixture × scope → diff and file snapshots, a no-op second run, an exact `uninstall` |
//! | `snapshots` | `--help` of every command, every `--json` document, `doctor`, every error message |
//! | `init_cli`, `more_clients`, `commands`, `hostile` | `init`, `uninstall`, `doctor`, `--check`, `--json`, hostile input |
//! | `shells` | real bash, zsh and fish see the key, and lose it after `uninstall` |
//! | `shell_startup` | startup files as the shells read them: zsh's `ZDOTDIR` from `~/.zshenv`, bash login shells, which shells are set up by default, and the startup-file key check (named exactly when the real shell sets the key; every PowerShell profile; one warning per file) |
//! | `clients_real` | the real Claude Code, Codex and Gemini CLIs read what `init` wrote |
//! | `new_ide_clients` | Zed, Cline, Roo Code, Kiro, Junie, Amp, Auggie: each scope, merge rules, strict-JSON refusals; the real Cline, Amp and Auggie CLIs list the result |
//! | `new_cli_clients` | Copilot CLI, opencode, Qwen Code, Kilo Code CLI, Crush: each scope and quirk; the real Copilot, opencode, Qwen Code and Kilo CLIs list the result |
//! | `continue_dev` | Continue: its block file in each scope, `config.yaml` untouched, detection; Continue's own config reader (`@continuedev/config-yaml`, `comment-json`) reads the result |
//! | `readme` | the README's targets list and client tables against the registry |
//! | `update` | `codeloop update` against npm registries served on 127.0.0.1 |
//! | `auth`, `service` | the key chain and sign-in, accounts, keys, doctor's checks against the stand-in |
//! | `faults` | size limits, kills, full disks, read-only dirs, concurrent runs, SIGTERM |
//! | `history`, `history_properties` | histories of runs and user edits, and their stateful property test |
//! | `git_parity` | codeloop's git answers against git's |
//! | `interactive` | a person at a real terminal (tmux) |
//! | `properties` | the planners' properties over generated files and the fuzz corpus |
//! | `apply` | `apply` against files that change under it (the one module on internal types) |

mod checks;
mod fake;
mod harness;

mod apply;
mod auth;
mod clients;
mod clients_real;
mod commands;
mod continue_dev;
mod faults;
mod git_parity;
mod history;
mod history_properties;
mod hostile;
mod init_cli;
mod interactive;
mod more_clients;
mod new_cli_clients;
mod new_ide_clients;
mod properties;
mod readme;
mod service;
mod shell_startup;
mod shells;
mod snapshots;
mod update;
