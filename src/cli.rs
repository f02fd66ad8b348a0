//! The command line, as clap derive types. No logic lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::target::Target;

pub const EXIT_CODES: &str = "\
Exit codes:
  0    done, or nothing to do (doctor: healthy)
  1    error, nothing applied if planning failed (doctor: problems found)
  2    usage error
  3    init --check: changes are pending
  130  cancelled (Ctrl-C)";

pub const INIT_HELP: &str = "\
The key comes from, in this order: --key-stdin, --key, CODELOOP_API_KEY,
~/.codeloop/config.json (saved by `codeloop auth`), then, on a terminal only, a browser
sign-in or a pasted key. --dry-run and --check work without one.

Exit codes:
  0    done, or nothing to do (a second run, --dry-run)
  1    error: a file that cannot be read or written, no or an invalid key; nothing is
       written when planning fails
  2    usage error
  3    --check: changes are pending
  130  cancelled with Ctrl-C (143: SIGTERM) — what was written is recorded";

pub const UNINSTALL_HELP: &str = "\
Exit codes:
  0    done, or nothing to remove
  1    error: a file that cannot be read or written
  2    usage error
  130  cancelled with Ctrl-C (143: SIGTERM) — what was removed is recorded";

pub const DOCTOR_HELP: &str = "\
Exit codes:
  0  healthy (a service that cannot be reached is not a problem)
  1  problems found (each with the command that fixes it)
  2  usage error";

#[derive(Debug, Parser)]
#[command(
    name = "codeloop",
    version,
    about = "Wire the CodeLoop MCP server and your API key into your editors, safely.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Configure the CodeLoop MCP server in the editors you use (previewed as diffs).
    #[command(after_help = INIT_HELP)]
    Init(InitArgs),
    /// Remove exactly what `init` added (previewed as diffs).
    #[command(after_help = UNINSTALL_HELP)]
    Uninstall(UninstallArgs),
    /// Check this machine's setup without changing anything.
    #[command(after_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),
    /// Sign in and save your CodeLoop API key to ~/.codeloop/config.json.
    #[command(after_help = AUTH_EXIT_CODES)]
    Auth(AuthArgs),
    // Accounts and keys: the dashboard's operations from a terminal.
    /// Sign in to your CodeLoop account and keep a session for `codeloop keys`.
    #[command(after_help = ACCOUNT_EXIT_CODES)]
    Login(LoginArgs),
    /// Forget the session `codeloop login` saved (your API key stays).
    Logout,
    /// Open CodeLoop's sign-up page in a browser (the URL is printed too).
    Signup(SignupArgs),
    /// Create, list and revoke API keys (needs `codeloop login` first).
    #[command(after_help = ACCOUNT_EXIT_CODES)]
    Keys(KeysArgs),
    /// Show the installed version, the newest on npm's registry, and how to update.
    #[command(after_help = UPDATE_HELP)]
    Update(UpdateArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

pub const AUTH_EXIT_CODES: &str = "\
Exit codes:
  0  signed in and saved the key (--status: a key is configured)
  1  error: sign-in failed or timed out, invalid key, cannot save (--status: no key)
  2  usage error

Environment:
  CODELOOP_API_URL   where to sign in [default: https://codeloop.tech]
  CODELOOP_EMAIL     the email for --no-browser (else it is asked for)
  HTTPS_PROXY, ALL_PROXY, NO_PROXY   the proxy for calls to the service";

#[derive(Debug, Args)]
pub struct AuthArgs {
    /// Show where the key comes from (masked) and exit: 0 when there is one, 1 when not.
    #[arg(long, conflicts_with_all = ["rotate", "no_browser", "key_stdin", "password_stdin"])]
    pub status: bool,

    /// Get a new key (the old one is revoked), save it, and update every configured
    /// file (previewed as diffs) so none keeps the old key.
    #[arg(long)]
    pub rotate: bool,

    /// Sign in with email and password in the terminal instead of a browser.
    #[arg(long)]
    pub no_browser: bool,

    /// With --no-browser: read the password from standard input (for scripts).
    #[arg(long, requires = "no_browser")]
    pub password_stdin: bool,

    /// Save the key read from standard input instead of signing in.
    #[arg(long, conflicts_with = "no_browser")]
    pub key_stdin: bool,

    /// How long to wait for the browser sign-in.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,

    /// With --rotate: apply the updated files without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// With --rotate: the project whose files to update [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

pub const UPDATE_HELP: &str = "\
Exit codes:
  0  checked, or the registry could not be reached (said in the output)
  1  error: the registry set in the environment or an .npmrc is not a URL
  2  usage error

Environment:
  npm_config_registry   the npm registry (else registry= in the project's .npmrc,
                        then in npm_config_userconfig or ~/.npmrc, else npm's default)
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY   the proxy";

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The npm registry to ask [default: npm's setting, else https://registry.npmjs.org/].
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,

    /// Give up on the registry after this long.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub timeout: u64,

    /// Print one JSON document instead of the report.
    #[arg(long)]
    pub json: bool,
}

/// Which project and targets: shared by `init` and `uninstall`.
#[derive(Debug, Clone, Default, Args)]
pub struct Scope {
    /// The project [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Only these targets, detected or not (comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = crate::target::parser())]
    pub only: Vec<Target>,

    /// Leave these targets alone (comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = crate::target::parser())]
    pub skip: Vec<Target>,

    /// The user-level configs instead of the project's (~/.cursor/mcp.json, Claude
    /// Code's user scope, …).
    #[arg(long)]
    pub global: bool,
}

/// How changes are written: shared by `init` and `uninstall`.
#[derive(Debug, Clone, Default, Args)]
pub struct Writing {
    /// Print the diff of every change and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Apply without asking (required when stdin is not a terminal or CI is set).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Show keys unmasked in diffs (masked everywhere otherwise).
    #[arg(long)]
    pub show_secrets: bool,

    /// Print the diffs straight to the terminal even when they are taller than it
    /// (otherwise they go through $PAGER, or less, before the question).
    #[arg(long)]
    pub no_pager: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub scope: Scope,

    /// Everything codeloop ever wrote on this machine: every recorded project and
    /// every user-level config (run it before handing a machine back).
    #[arg(long, conflicts_with_all = ["global", "project"])]
    pub all: bool,

    #[command(flatten)]
    pub writing: Writing,

    /// No prompts, no colour: print one JSON document describing every target.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The project to check [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Check the user-level configs instead of the project's.
    #[arg(long)]
    pub global: bool,

    /// Print one JSON document instead of the report.
    #[arg(long)]
    pub json: bool,

    /// Do not ask the CodeLoop service whether the key is valid.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub scope: Scope,

    #[command(flatten)]
    pub writing: Writing,

    /// No prompts, no colour: print one JSON document describing every target.
    #[arg(long)]
    pub json: bool,

    /// Plan only: exit 0 when everything is configured, 3 when changes are pending.
    #[arg(long)]
    pub check: bool,

    /// Read the API key from standard input (never pass it as an argument).
    #[arg(long)]
    pub key_stdin: bool,

    /// The API key, as CodeLoop's docs show. Other users of this computer can see it
    /// in the process list: prefer --key-stdin or CODELOOP_API_KEY.
    #[arg(long, value_name = "KEY")]
    pub key: Option<KeyArg>,
}

/// A key given on the command line: `Debug` never shows it, and parsing never fails
/// (so clap never echoes it); the format is checked, without echo, by `auth`.
#[derive(Clone)]
pub struct KeyArg(pub String);

impl std::fmt::Debug for KeyArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyArg(…)")
    }
}

impl std::str::FromStr for KeyArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(KeyArg(s.to_owned()))
    }
}

// ---------------------------------------------------------------------------------
// Accounts and keys: login, signup, keys

pub const ACCOUNT_EXIT_CODES: &str = "\
Exit codes:
  0  done
  1  error: sign-in failed, not signed in, session expired or not allowed, the
     service could not be reached or refused the request
  2  usage error

Environment:
  CODELOOP_API_URL   the CodeLoop service [default: https://codeloop.tech]
  CODELOOP_EMAIL     the email for --no-browser (else it is asked for)
  HTTPS_PROXY, ALL_PROXY, NO_PROXY   the proxy";

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Sign in with email and password in the terminal instead of a browser.
    #[arg(long)]
    pub no_browser: bool,

    /// With --no-browser: read the password from standard input (for scripts).
    #[arg(long, requires = "no_browser")]
    pub password_stdin: bool,

    /// How long to wait for the browser sign-in.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct SignupArgs {
    /// Only print the sign-up page's URL (for SSH and headless machines).
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key and save it to ~/.codeloop/config.json (shown masked).
    Create(KeysCreateArgs),
    /// List your API keys (masked).
    List(KeysListArgs),
    /// Revoke an API key by its id (from `codeloop keys list`).
    Revoke(KeysRevokeArgs),
}

#[derive(Debug, Args)]
pub struct KeysCreateArgs {
    /// The key's name in the dashboard [default: "CLI — <hostname> (<date>)"].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Do not save the key to ~/.codeloop/config.json (needs --show-secrets).
    #[arg(long, requires = "show_secrets")]
    pub no_save: bool,

    /// Print the full key on standard output (and nothing else there), e.g. to pipe
    /// it into a secret store.
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct KeysListArgs {
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KeysRevokeArgs {
    /// The key's id, as `codeloop keys list` shows it (never the key itself).
    #[arg(value_name = "ID")]
    pub id: String,

    /// Revoke without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}
