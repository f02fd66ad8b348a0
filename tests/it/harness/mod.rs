//! The one test context. [`Sandbox`] is a temp root holding a home, a project and a bin
//! dir; it runs the built `codeloop` (or git, a real shell, a real client) there with a
//! cleared environment — `HOME`, `USERPROFILE` and `XDG_CONFIG_HOME` point into it,
//! `CODEX_HOME` and `ZDOTDIR` are unset, the service is a closed loopback port — and
//! checks every run for a full API key in the output and every `--json` document
//! against its schema (`schemas/`). Beside it:
//!
//! - [`require`]: the one way to need a real tool (bash, zsh, tmux, a client CLI…):
//!   under `CI` a missing one fails the test, otherwise the test says loudly that it
//!   skipped;
//! - [`snap`]: insta settings whose filters make output stable across machines
//!   (`[HOME]`, `[PROJECT]`, `[ROOT]`, `[KEY]`, `[KEY2]`, temp-file names, ports,
//!   durations), a byte-exact rendering of files for snapshots, and the JSON-schema check;
//! - [`clients`]: the real-client harness (Claude Code, Codex, Gemini CLI);
//! - [`parse_jsonc`]: an independent JSONC parser (`jsonc-parser`) as the oracle for
//!   "the edited file still parses";
//! - file-tree snapshots for "nothing was written" checks ([`assert_unchanged`]).
//!
//! `clippy.toml` forbids `Command::new`, `fs::write` and `env::var*` outside annotated
//! places; the helpers here are those places for the tests (each carries an
//! `#[allow(clippy::disallowed_methods)]` with its reason), and the test modules go
//! through them.

pub mod clients;
pub mod snap;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// A valid key. Masked, it reads `cl_live_TE…yz`.
pub const KEY: &str = "cl_live_TESTkey0123456789xyz";
pub const KEY_MASKED: &str = "cl_live_TE…yz";
/// Another valid key, for "the key changed" runs.
pub const KEY2: &str = "cl_live_NEWkey9876543210_-ab";

/// The system dirs after the sandbox bin dir, so `git` (and nothing from the real
/// home) is found.
pub const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

pub fn fixture(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// The server entry codeloop writes, as a value.
pub fn expected_entry(key: &str) -> serde_json::Value {
    serde_json::json!({
        "command": "npx",
        "args": ["-y", "codeloop-mcp-server"],
        "env": {"CODELOOP_API_KEY": key}
    })
}

// ---------------------------------------------------------------------------------
// The sandbox

pub struct Sandbox {
    _dir: tempfile::TempDir,
    /// Canonical root holding everything below.
    pub root: PathBuf,
    pub home: PathBuf,
    pub project: PathBuf,
    /// First on PATH; empty unless a test puts fake executables there.
    pub bin: PathBuf,
    /// `CODELOOP_API_KEY` for the next runs (`None`: unset).
    pub key: Option<String>,
    /// Extra environment for the next runs.
    pub env: Vec<(String, String)>,
    /// Working directory for the next runs (default: the project).
    pub cwd: PathBuf,
    /// PATH after the sandbox bin dir (default [`SYSTEM_PATH`]; empty: bin dir only).
    pub system_path: String,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// Empty home, empty project, empty bin dir, `CODELOOP_API_KEY` = [`KEY`].
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = fs::canonicalize(dir.path()).expect("canonical temp dir");
        let home = root.join("home");
        let project = root.join("project");
        let bin = root.join("bin");
        for d in [&home, &project, &bin] {
            fs::create_dir_all(d).unwrap();
        }
        Sandbox {
            _dir: dir,
            cwd: project.clone(),
            root,
            home,
            project,
            bin,
            key: Some(KEY.to_owned()),
            env: Vec::new(),
            system_path: SYSTEM_PATH.to_owned(),
        }
    }

    pub fn without_key() -> Sandbox {
        let mut s = Sandbox::new();
        s.key = None;
        s
    }

    pub fn home_path(&self, rel: &str) -> PathBuf {
        self.home.join(rel)
    }

    pub fn project_path(&self, rel: &str) -> PathBuf {
        self.project.join(rel)
    }

    fn path(&self) -> String {
        let bin = self.bin.to_str().unwrap();
        if self.system_path.is_empty() {
            bin.to_owned()
        } else {
            format!("{bin}:{}", self.system_path)
        }
    }

    fn base_env(&self) -> Vec<(String, String)> {
        let home = self.home.to_str().unwrap().to_owned();
        let mut env = vec![
            ("HOME".to_owned(), home.clone()),
            ("USERPROFILE".to_owned(), home),
            (
                "XDG_CONFIG_HOME".to_owned(),
                self.home.join(".config").to_str().unwrap().to_owned(),
            ),
            ("PATH".to_owned(), self.path()),
            ("NO_COLOR".to_owned(), "1".to_owned()),
            // Never the real service: a loopback port nothing listens on (refused at
            // once), unless a test points it at its stand-in.
            (
                "CODELOOP_API_URL".to_owned(),
                "http://127.0.0.1:9".to_owned(),
            ),
        ];
        env.extend(self.env.iter().cloned());
        env
    }

    /// Runs `codeloop ARGS` in [`Sandbox::cwd`] with a cleared environment and stdin
    /// not a terminal. Unless `--show-secrets` is passed, also checks that no full
    /// key is in the output.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut env = self.base_env();
        if let Some(key) = &self.key {
            env.push(("CODELOOP_API_KEY".to_owned(), key.clone()));
        }
        let out = run_program(
            Path::new(env!("CARGO_BIN_EXE_codeloop")),
            args,
            &self.cwd,
            &env,
        );
        if !args.contains(&"--show-secrets") {
            assert_no_full_key(&out.stdout, "stdout");
            assert_no_full_key(&out.stderr, "stderr");
        }
        snap::check_contract(args, &out);
        out
    }

    /// Starts `codeloop ARGS` like [`Sandbox::run`] but returns at once (for tests that
    /// signal it while it works).
    #[allow(clippy::disallowed_methods)] // the test harness starts the binary under test
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_codeloop"))
            .args(args)
            .current_dir(&self.cwd)
            .env_clear()
            .envs(self.run_env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start codeloop")
    }

    /// [`Sandbox::run`] with `input` on stdin (for `--key-stdin`).
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let out = run_program_with_stdin(
            Path::new(env!("CARGO_BIN_EXE_codeloop")),
            args,
            &self.cwd,
            &self.run_env(),
            input,
        );
        assert_no_full_key(&out.stdout, "stdout");
        assert_no_full_key(&out.stderr, "stderr");
        snap::check_contract(args, &out);
        out
    }

    /// [`Sandbox::run_with_stdin`] with `extra` environment on top (for tests that
    /// point one run at a stand-in service or browser).
    pub fn run_with(&self, args: &[&str], extra: &[(&str, &str)], input: &str) -> Output {
        let mut env = self.run_env();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let out = run_program_with_stdin(
            Path::new(env!("CARGO_BIN_EXE_codeloop")),
            args,
            &self.cwd,
            &env,
            input,
        );
        assert_no_full_key(&out.stdout, "stdout");
        assert_no_full_key(&out.stderr, "stderr");
        snap::check_contract(args, &out);
        out
    }

    /// `codeloop ARGS` in-process (`codeloop::run_code`), in [`Sandbox::cwd`] with the
    /// environment of [`Sandbox::run`] and `extra` on top, answering prompts with
    /// `prompter`; `terminal` pretends stdin is one. For the interactive paths a pipe
    /// cannot reach, and for histories where process starts would dominate.
    pub fn run_in_process(
        &self,
        args: &[&str],
        extra: &[(&str, &str)],
        prompter: Box<dyn codeloop::sys::Prompter>,
        terminal: bool,
    ) -> Output {
        let mut env = self.run_env();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let out = run_in_process(&self.cwd, &env, args, prompter, terminal);
        assert_no_full_key(&out.stdout, "stdout");
        assert_no_full_key(&out.stderr, "stderr");
        snap::check_contract(args, &out);
        out
    }

    /// codeloop's `Sys` for this sandbox — the environment of [`Sandbox::run`], in the
    /// project, never prompting — for the few tests that call codeloop's internals
    /// directly (`git_parity`, `apply`).
    pub fn sys(&self) -> codeloop::sys::Sys {
        let env = self.run_env();
        let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        codeloop::sys::Sys::fake(
            codeloop::sys::Os::Linux,
            self.project.clone(),
            &vars,
            Box::new(NoPrompt),
        )
    }

    /// insta settings for this sandbox: its paths, the test keys, temp-file names,
    /// ports and durations filtered (see [`snap::settings`]). Bind it for the
    /// snapshots of a test: `let _s = s.insta().bind_to_scope();`.
    pub fn insta(&self) -> insta::Settings {
        snap::settings(self)
    }

    /// The environment [`Sandbox::run`] gives codeloop (sandbox dirs and the key).
    pub fn run_env(&self) -> Vec<(String, String)> {
        let mut env = self.base_env();
        if let Some(key) = &self.key {
            env.push(("CODELOOP_API_KEY".to_owned(), key.clone()));
        }
        env
    }

    /// Runs codeloop through `bash -c SCRIPT` (which must end in `exec "$0" "$@"`),
    /// with the environment of [`Sandbox::run`]: for resource limits and signal
    /// dispositions set in the child only (`ulimit -f`, `trap '' XFSZ`).
    pub fn run_in_bash(&self, script: &str, args: &[&str]) -> Output {
        let mut all = vec!["-c", script, env!("CARGO_BIN_EXE_codeloop")];
        all.extend_from_slice(args);
        let out = run_program(Path::new("/bin/bash"), &all, &self.cwd, &self.run_env());
        assert_no_full_key(&out.stdout, "stdout");
        assert_no_full_key(&out.stderr, "stderr");
        out
    }

    /// `codeloop init --yes --only TARGETS` that must succeed.
    pub fn init_ok(&self, only: &str) -> Output {
        let out = self.run(&["init", "--yes", "--only", only]);
        out.assert_code(0);
        out
    }

    /// Runs git in `dir` with the sandbox home and no system config.
    pub fn git(&self, dir: &Path, args: &[&str]) -> Output {
        let mut env = self.base_env();
        env.push(("GIT_CONFIG_NOSYSTEM".to_owned(), "1".to_owned()));
        env.push(("GIT_AUTHOR_NAME".to_owned(), "Test".to_owned()));
        env.push(("GIT_AUTHOR_EMAIL".to_owned(), "test@example.com".to_owned()));
        env.push(("GIT_COMMITTER_NAME".to_owned(), "Test".to_owned()));
        env.push((
            "GIT_COMMITTER_EMAIL".to_owned(),
            "test@example.com".to_owned(),
        ));
        let out = run_program(Path::new("git"), args, dir, &env);
        out.assert_code(0);
        out
    }

    /// `git init` in `dir`.
    pub fn git_init(&self, dir: &Path) {
        self.git(dir, &["init", "-q"]);
    }

    /// A fake executable `name` in the sandbox bin dir (for PATH detection).
    pub fn fake_exe(&self, name: &str) -> PathBuf {
        let path = self.bin.join(name);
        write(&path, "#!/bin/sh\nexit 0\n");
        set_mode(&path, 0o755);
        path
    }

    /// The original of the file named `name` that codeloop kept under
    /// `~/.codeloop/backups` the first time it changed it, if it did.
    pub fn kept_original(&self, name: &str) -> Option<String> {
        let dir = self.home.join(".codeloop/backups");
        let entries = std::fs::read_dir(dir).ok()?;
        let found: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(&format!("-{name}")))
            .collect();
        assert!(found.len() <= 1, "one kept original of {name}: {found:?}");
        found.first().map(|p| read(p))
    }

    /// `CODELOOP_API_KEY` as a real shell started on the sandbox home sees it
    /// (`<unset>` when it is not set): `shell` with `flags` before the `-c` script
    /// (`bash -i`, `bash -l`, `zsh -i`; fish needs none).
    pub fn key_in_shell(&self, shell: &str, flags: &[&str]) -> String {
        let script = if shell == "fish" {
            "if set -q CODELOOP_API_KEY; printf %s $CODELOOP_API_KEY; else; printf '<unset>'; end"
        } else {
            r#"printf %s "${CODELOOP_API_KEY-<unset>}""#
        };
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["-c", script]);
        let home = self.home.to_str().unwrap().to_owned();
        let mut env = vec![
            ("HOME".to_owned(), home),
            ("PATH".to_owned(), SYSTEM_PATH.to_owned()),
            ("TERM".to_owned(), "dumb".to_owned()),
        ];
        // Where the shells look for their files, when a test moved them.
        env.extend(
            self.env
                .iter()
                .filter(|(k, _)| k == "ZDOTDIR" || k == "XDG_CONFIG_HOME")
                .cloned(),
        );
        let program =
            find_on_host_path(shell).unwrap_or_else(|| panic!("{shell} is not installed"));
        let out = run_program(&program, &args, &self.home, &env);
        out.assert_code(0);
        out.stdout
    }

    /// codeloop's record (`~/.codeloop/state.json`), `Null` when there is none.
    pub fn record(&self) -> serde_json::Value {
        let path = self.home.join(".codeloop/state.json");
        if path.exists() {
            serde_json::from_str(&read(&path)).expect("the record is JSON")
        } else {
            serde_json::Value::Null
        }
    }

    /// Every dir, file and symlink under the sandbox root (except inside `.git/`).
    pub fn snapshot(&self) -> Snapshot {
        snapshot(&self.root)
    }
}

// ---------------------------------------------------------------------------------
// Running programs

pub struct Output {
    pub code: Option<i32>,
    /// The signal that ended the program, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn both(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics (showing the output with keys masked) unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}, got {:?}\n{}",
            self.code,
            self.masked()
        );
    }

    /// The output for a failure message: every `cl_live_…` masked.
    pub fn masked(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            mask(&self.stdout),
            mask(&self.stderr)
        )
    }

    pub fn stdout_has(&self, needle: &str) {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.masked()
        );
    }

    pub fn stderr_has(&self, needle: &str) {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.masked()
        );
    }

    pub fn output_has(&self, needle: &str) {
        assert!(
            self.both().contains(needle),
            "neither stdout nor stderr has {needle:?}\n{}",
            self.masked()
        );
    }
}

/// Runs codeloop in-process: `codeloop::run_code` on a `Sys` built from exactly `env`
/// (nothing of the test runner's), in `cwd`. The one place the tests build codeloop's
/// internal `Sys` and `Cli`.
pub fn run_in_process(
    cwd: &Path,
    env: &[(String, String)],
    args: &[&str],
    prompter: Box<dyn codeloop::sys::Prompter>,
    terminal: bool,
) -> Output {
    use clap::Parser as _;
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut sys =
        codeloop::sys::Sys::fake(codeloop::sys::Os::Linux, cwd.to_path_buf(), &vars, prompter);
    sys.stdin_tty = terminal;
    let cli =
        codeloop::cli::Cli::try_parse_from(std::iter::once("codeloop").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("invalid arguments {args:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = codeloop::run_code(cli, &mut sys, &mut out, &mut err);
    Output {
        code: Some(i32::from(code)),
        signal: None,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

/// A prompter for in-process runs that must never prompt.
pub struct NoPrompt;

impl codeloop::sys::Prompter for NoPrompt {
    fn confirm(&mut self, question: &str, _: bool) -> std::io::Result<bool> {
        panic!("this run must not prompt, but asked {question:?}")
    }
}

/// Like [`run_program`], with `input` on stdin.
#[allow(clippy::disallowed_methods)] // the tests' one place that spawns children
pub fn run_program_with_stdin(
    program: &Path,
    args: &[&str],
    cwd: &Path,
    env: &[(String, String)],
    input: &str,
) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut stdin = child.stdin.take().unwrap();
    // The child may refuse before reading it all: a broken pipe is its answer.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    Output {
        code: output.status.code(),
        signal: std::os::unix::process::ExitStatusExt::signal(&output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `program` in `cwd` with exactly `env` (everything else cleared), stdin null.
#[allow(clippy::disallowed_methods)] // the tests' one place that spawns children
pub fn run_program(program: &Path, args: &[&str], cwd: &Path, env: &[(String, String)]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    Output {
        code: output.status.code(),
        signal: std::os::unix::process::ExitStatusExt::signal(&output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Finds `name` on the test process's own PATH (for `node`, which the real-client
/// tests hand to a child whose environment is otherwise cleared).
#[allow(clippy::disallowed_methods)] // reads the test runner's PATH, never the sandbox's
pub fn find_on_host_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether the test runs in CI (a missing prerequisite then fails instead of skipping).
#[allow(clippy::disallowed_methods)] // reads the test runner's environment
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// A real tool a test needs: a program on the test runner's PATH (`"zsh"`), or a file
/// in the repository (`"tests/clients/node_modules/.bin/codex"`). When it is missing,
/// the test fails under `CI` and otherwise prints a loud `SKIPPED:` line; it returns
/// `None` and the test returns early:
///
/// ```ignore
/// let Some(zsh) = require("zsh") else { return };
/// ```
///
/// `scripts/test-deps.sh` installs everything the suite requires.
pub fn require(tool: &str) -> Option<PathBuf> {
    let found = if tool.contains('/') {
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join(tool)).filter(|p| p.is_file())
    } else {
        find_on_host_path(tool)
    };
    if found.is_none() {
        let what = format!("{tool} is not installed");
        if in_ci() {
            panic!("{what}; CI never skips: scripts/test-deps.sh installs it");
        }
        eprintln!("SKIPPED: {what} (run scripts/test-deps.sh to install it)");
    }
    found
}

// ---------------------------------------------------------------------------------
// Files

/// Writes `contents`, creating parent dirs.
#[allow(clippy::disallowed_methods)] // tests seed their sandbox directly
pub fn write(path: &Path, contents: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

pub fn symlink(target: &Path, link: &Path) {
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

pub fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

pub fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub fn read_bytes(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Parses a JSON or JSONC file (comments, trailing commas, BOM allowed).
pub fn read_jsonc(path: &Path) -> serde_json::Value {
    parse_jsonc(&read(path))
}

/// JSONC as the clients read it — JSON plus comments, trailing commas and a BOM, and
/// nothing looser — parsed by `jsonc-parser` (dprint's), an implementation independent
/// of codeloop's own, so a bug in one is not hidden by the same bug in the other.
pub fn parse_jsonc(text: &str) -> serde_json::Value {
    try_parse_jsonc(text).unwrap_or_else(|e| panic!("not valid JSONC ({e}):\n{}", mask(text)))
}

/// YAML as Goose reads its `config.yaml`: serde_yaml 0.9, over libyaml (in Rust), the
/// reader Goose itself uses — independent of codeloop's own (yaml-rust2 and a line
/// editor). Read into serde_yaml's own value, so a duplicated key is refused.
pub fn parse_goose_yaml(text: &str) -> serde_json::Value {
    try_parse_goose_yaml(text)
        .unwrap_or_else(|e| panic!("Goose's YAML reader refuses it ({e}):\n{}", mask(text)))
}

/// [`parse_goose_yaml`], as a `Result`.
pub fn try_parse_goose_yaml(text: &str) -> Result<serde_json::Value, String> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    serde_json::to_value(value).map_err(|e| e.to_string())
}

/// [`parse_jsonc`], as a `Result`.
pub fn try_parse_jsonc(text: &str) -> Result<serde_json::Value, String> {
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    jsonc_parser::parse_to_serde_value::<serde_json::Value>(text, &options)
        .map_err(|e| e.to_string())
}

/// 1-based `LINE:COL` of the first occurrence of `needle` in `text`.
pub fn line_col(text: &str, needle: &str) -> String {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |n| n + 1)..]
        .chars()
        .count()
        + 1;
    format!("{line}:{col}")
}

/// What changed between two texts: `(removed, inserted)`, the middle parts left once
/// the longest common prefix and suffix are taken away. `removed == ""` means `after`
/// is `before` with one run of text inserted, every other byte untouched.
pub fn changed_span<'a>(before: &'a str, after: &'a str) -> (&'a str, &'a str) {
    let (b, a) = (before.as_bytes(), after.as_bytes());
    let mut pre = b.iter().zip(a).take_while(|(x, y)| x == y).count();
    while !before.is_char_boundary(pre) || !after.is_char_boundary(pre) {
        pre -= 1;
    }
    let max_suf = b.len().min(a.len()) - pre;
    let mut suf = b
        .iter()
        .rev()
        .zip(a.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    while !before.is_char_boundary(b.len() - suf) || !after.is_char_boundary(a.len() - suf) {
        suf -= 1;
    }
    (&before[pre..b.len() - suf], &after[pre..a.len() - suf])
}

/// Asserts `after` is `before` with one insertion and nothing else changed; returns
/// the inserted text.
pub fn assert_pure_insertion<'a>(before: &'a str, after: &'a str) -> &'a str {
    let (removed, inserted) = changed_span(before, after);
    assert!(
        removed.is_empty(),
        "bytes outside the codeloop entry changed: removed {:?}, inserted {:?}",
        mask(removed),
        mask(inserted)
    );
    inserted
}

// ---------------------------------------------------------------------------------
// Snapshots

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir {
        mode: u32,
    },
    File {
        bytes: Vec<u8>,
        mode: u32,
        mtime: SystemTime,
        inode: u64,
    },
    Symlink {
        target: PathBuf,
    },
}

pub type Snapshot = BTreeMap<PathBuf, Entry>;

pub fn snapshot(root: &Path) -> Snapshot {
    let mut snap = BTreeMap::new();
    walk(root, root, &mut snap);
    snap
}

fn walk(root: &Path, dir: &Path, snap: &mut Snapshot) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            snap.insert(
                rel,
                Entry::Symlink {
                    target: fs::read_link(&path).unwrap(),
                },
            );
        } else if meta.is_dir() {
            if path.file_name() == Some(std::ffi::OsStr::new(".git")) {
                // git's own state (its index refreshes on read-only commands).
                continue;
            }
            snap.insert(
                rel,
                Entry::Dir {
                    mode: meta.mode() & 0o7777,
                },
            );
            walk(root, &path, snap);
        } else {
            // A FIFO or socket is recorded but never opened (that could block).
            let bytes = if meta.is_file() {
                fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            snap.insert(
                rel,
                Entry::File {
                    bytes,
                    mode: meta.mode() & 0o7777,
                    mtime: meta.modified().unwrap(),
                    inode: meta.ino(),
                },
            );
        }
    }
}

/// Asserts nothing under the sandbox was created, removed or changed (bytes, mode,
/// mtime, inode, symlink target); the message lists paths only, never contents.
pub fn assert_unchanged(before: &Snapshot, after: &Snapshot) {
    let mut problems = Vec::new();
    for (path, entry) in before {
        match after.get(path) {
            None => problems.push(format!("removed: {}", path.display())),
            Some(now) if now != entry => problems.push(format!(
                "changed: {} ({})",
                path.display(),
                what_changed(entry, now)
            )),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        problems.push(format!("created: {}", path.display()));
    }
    assert!(
        problems.is_empty(),
        "the sandbox changed:\n  {}",
        problems.join("\n  ")
    );
}

/// Paths, bytes, modes and symlink targets under the sandbox — what "restored" means
/// after an `uninstall` (not mtimes or inodes: uninstall rewrites the files it edits).
pub type Contents = BTreeMap<PathBuf, String>;

pub fn contents(s: &Sandbox) -> Contents {
    s.snapshot()
        .into_iter()
        .map(|(path, entry)| {
            let shown = match entry {
                Entry::File { bytes, mode, .. } => format!("file {mode:o} {bytes:?}"),
                Entry::Dir { mode } => format!("dir {mode:o}"),
                Entry::Symlink { target } => format!("link {}", target.display()),
            };
            (path, shown)
        })
        .collect()
}

/// Asserts every path is back as it was (bytes, mode, link target) and nothing was
/// left behind; the message lists paths only, never contents.
pub fn assert_restored(before: &Contents, after: &Contents) {
    let mut problems = Vec::new();
    for (path, was) in before {
        match after.get(path) {
            None => problems.push(format!("missing: {}", path.display())),
            Some(now) if now != was => problems.push(format!("differs: {}", path.display())),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        problems.push(format!("left behind: {}", path.display()));
    }
    assert!(
        problems.is_empty(),
        "not restored:\n{}",
        problems.join("\n")
    );
}

fn what_changed(a: &Entry, b: &Entry) -> &'static str {
    match (a, b) {
        (
            Entry::File {
                bytes: b1,
                mode: m1,
                mtime: t1,
                ..
            },
            Entry::File {
                bytes: b2,
                mode: m2,
                mtime: t2,
                ..
            },
        ) => {
            if b1 != b2 {
                "bytes"
            } else if m1 != m2 {
                "mode"
            } else if t1 != t2 {
                "mtime"
            } else {
                "inode (rewritten)"
            }
        }
        (Entry::Dir { .. }, Entry::Dir { .. }) => "mode",
        (Entry::Symlink { .. }, Entry::Symlink { .. }) => "link target",
        _ => "kind",
    }
}

// ---------------------------------------------------------------------------------
// Secrets

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Panics if `text` holds any full `cl_live_…` key: after the prefix, at most the two
/// characters of the masked form (`cl_live_ab…yz`) may follow. The message never
/// shows the key.
pub fn assert_no_full_key(text: &str, what: &str) {
    for (i, _) in text.match_indices("cl_live_") {
        let run = text[i + 8..]
            .chars()
            .take_while(|&c| is_key_char(c))
            .count();
        assert!(
            run <= 2,
            "{what} contains a full API key at byte {i}:\n{}",
            mask(text)
        );
    }
}

/// Every `cl_live_…` key in `text` masked to `cl_live_ab…yz`, for failure messages.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("cl_live_") {
        out.push_str(&rest[..i + 8]);
        rest = &rest[i + 8..];
        let run: String = rest.chars().take_while(|&c| is_key_char(c)).collect();
        if run.len() > 4 {
            out.push_str(&run[..2]);
            out.push('…');
            out.push_str(&run[run.len() - 2..]);
        } else {
            out.push_str(&run); // already masked (`cl_live_ab…yz`), or no key
        }
        rest = &rest[run.len()..];
    }
    out.push_str(rest);
    out
}
