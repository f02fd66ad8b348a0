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
//! | `clients_real` | the real Claude Code, Codex and Gemini CLIs read what `init` wrote |
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
mod faults;
mod git_parity;
mod history;
mod history_properties;
mod hostile;
mod init_cli;
mod interactive;
mod more_clients;
mod properties;
mod service;
mod shells;
mod snapshots;
