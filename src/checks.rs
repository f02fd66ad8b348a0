//! `doctor`'s checks beyond the config files, each a plain result: does the CodeLoop
//! service accept the key (`POST /v1/keys/validate`, short timeout, skipped with
//! `--offline`), does any file git tracks (or any `.env*` file) hold a CodeLoop key,
//! does a shell startup file set a key by hand, and are `node` (18 or newer) and
//! `npx` on `PATH`. Read-only: nothing here writes,
//! and keys appear only masked.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::api::{Api, ApiError, VALIDATE_TIMEOUT};
use crate::paths::Paths;
use crate::secret::{ApiKey, PREFIX};
use crate::sys::Sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Makes doctor unhealthy; the findings say what and how to fix it.
    Problem,
    /// Worth saying, but not a problem (the service could not be reached).
    Warning,
    /// Not run (`--offline`, no key).
    Skipped,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Problem => "problem",
            Status::Warning => "warning",
            Status::Skipped => "skipped",
        }
    }
}

/// One thing to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub problem: String,
    pub fix: String,
    /// The file it is about, relative to the repository's top (a leaked key's file).
    pub file: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Check {
    /// `service`, `leaks` or `node`.
    pub name: &'static str,
    pub status: Status,
    /// One line for people (keys masked).
    pub message: String,
    /// Non-empty exactly when `status` is `Problem`.
    pub findings: Vec<Finding>,
    /// Extra fields for `--json`.
    pub details: Map<String, Value>,
}

impl Check {
    fn new(name: &'static str, status: Status, message: String) -> Check {
        Check {
            name,
            status,
            message,
            findings: Vec::new(),
            details: Map::new(),
        }
    }

    fn problem(name: &'static str, problem: String, fix: &str) -> Check {
        let mut c = Check::new(name, Status::Problem, problem.clone());
        c.findings.push(Finding {
            problem,
            fix: fix.to_owned(),
            file: None,
        });
        c
    }

    fn with(mut self, key: &str, value: Value) -> Check {
        self.details.insert(key.to_owned(), value);
        self
    }

    /// The lines doctor prints for a check that is not a problem (a problem is printed
    /// once, as its finding), each with its status: one per line of the message (the
    /// startup check has a line per file).
    pub fn lines(&self) -> Vec<(Status, String)> {
        match self.status {
            Status::Problem => Vec::new(),
            status => self
                .message
                .lines()
                .map(|line| (status, line.to_owned()))
                .collect(),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("name".into(), self.name.into());
        doc.insert("status".into(), self.status.word().into());
        doc.insert("message".into(), self.message.clone().into());
        doc.insert(
            "fix".into(),
            self.findings
                .first()
                .map_or(Value::Null, |f| f.fix.clone().into()),
        );
        doc.extend(self.details.clone());
        Value::Object(doc)
    }
}

/// All four checks; the service is asked while the files are scanned.
pub fn run(
    sys: &Sys,
    key: Option<&ApiKey>,
    paths: &Paths,
    git_top: Option<&Path>,
    offline: bool,
) -> Vec<Check> {
    let api = Api::from_sys(sys);
    std::thread::scope(|scope| {
        let service = scope.spawn(|| service(api, key, offline, VALIDATE_TIMEOUT));
        let leaks = leaks(sys, &paths.project, git_top);
        let startup = startup(paths);
        let node = node(sys);
        let service = service.join().unwrap_or_else(|_| {
            Check::new(
                "service",
                Status::Warning,
                "CodeLoop service: the check failed".into(),
            )
        });
        vec![service, leaks, startup, node]
    })
}

// ---------------------------------------------------------------------------------
// The service

/// Asks the service whether it accepts `key`, as the MCP server does. A key is
/// called invalid only when the service says so (401/403); anything else — no
/// answer, a slow one, a malformed one, a 5xx — is a warning that says the key was
/// not checked.
pub fn service(
    api: Result<Api, ApiError>,
    key: Option<&ApiKey>,
    offline: bool,
    timeout: Duration,
) -> Check {
    const NAME: &str = "service";
    if offline {
        return Check::new(
            NAME,
            Status::Skipped,
            "CodeLoop service: not asked (--offline)".into(),
        );
    }
    let Some(key) = key else {
        return Check::new(
            NAME,
            Status::Skipped,
            "CodeLoop service: no key to check".into(),
        );
    };
    let api = match api {
        Ok(api) => api,
        Err(e) => {
            return Check::problem(
                NAME,
                e.to_string(),
                "unset CODELOOP_API_URL, or set it to an https:// address",
            );
        }
    };
    let host = api.host().to_owned();
    let started = Instant::now();
    let result = api.validate(key, timeout);
    let ms = started.elapsed().as_millis() as u64;
    let check = match result {
        Ok(()) => Check::new(
            NAME,
            Status::Ok,
            format!("CodeLoop service: {host} accepts the API key ({key})"),
        ),
        Err(ApiError::KeyRejected { status, .. }) => Check::problem(
            NAME,
            format!(
                "the CodeLoop service ({host}) says the API key {key} is revoked or invalid (HTTP {status}), so the MCP server cannot use it"
            ),
            "codeloop auth --rotate",
        )
        .with("httpStatus", status.into()),
        Err(e) => Check::new(
            NAME,
            Status::Warning,
            format!(
                "CodeLoop service: {host} could not be reached ({}), so the key was not checked; check your network, or pass --offline to skip this check",
                e.reason()
            ),
        ),
    };
    check.with("host", host.into()).with("elapsedMs", ms.into())
}

// ---------------------------------------------------------------------------------
// Leaked keys

/// Files larger than this are not read (keys live in small text files; a big
/// tracked file is data or a build artefact).
pub const MAX_SCAN_BYTES: u64 = 1024 * 1024;
/// Bytes looked at for a NUL, as git's own binary heuristic does.
const BINARY_SNIFF: usize = 8000;
/// At most this many hits are listed (the count says how many there were).
const MAX_LISTED: usize = 100;

/// One key found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Relative to the repository's top (or the project), with `/`.
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub key: ApiKey,
    /// Tracked by git (else an untracked `.env*` file).
    pub tracked: bool,
}

/// What a scan looked at and found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub hits: Vec<Hit>,
    pub scanned: usize,
    /// Binary, larger than [`MAX_SCAN_BYTES`], unreadable, or not a regular file.
    pub skipped: usize,
    pub elapsed: Duration,
    /// `index` (read in-process), `git` (`git ls-files`), or `none` (not in git).
    pub listed_by: &'static str,
}

/// Scans for CodeLoop keys: every file git tracks in the repository holding
/// `project` (whoever wrote the key there), and every `.env*` file in the project
/// and in the directories of tracked files, tracked or not. Outside git: the
/// project's own `.env*` files.
pub fn scan(sys: &Sys, project: &Path, git_top: Option<&Path>) -> Result<Scan, String> {
    let started = Instant::now();
    let root = git_top.unwrap_or(project);
    let (tracked, listed_by) = match git_top {
        Some(top) => {
            let (list, via) = crate::git::tracked(sys, top)?;
            (list, via.label())
        }
        None => (Vec::new(), "none"),
    };
    // Directories that may hold an untracked `.env*` file: the project, the top,
    // and every directory git tracks a file in (never node_modules and the like).
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    dirs.insert(project.to_path_buf());
    dirs.insert(root.to_path_buf());
    for rel in &tracked {
        if let Some((dir, _)) = rel.rsplit_once('/') {
            dirs.insert(root.join(dir));
        }
    }
    let tracked_set: BTreeSet<&str> = tracked.iter().map(String::as_str).collect();
    let mut files: Vec<(String, bool)> = tracked.iter().map(|f| (f.clone(), true)).collect();
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.starts_with(".env") {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root).map(|p| p.to_path_buf()) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !tracked_set.contains(rel.as_str()) {
                files.push((rel, false));
            }
        }
    }
    let mut scan = scan_files(root, &files);
    scan.listed_by = listed_by;
    scan.elapsed = started.elapsed();
    Ok(scan)
}

/// Reads `files` (relative to `root`) on a few threads, in order.
fn scan_files(root: &Path, files: &[(String, bool)]) -> Scan {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let chunk = files.len().div_ceil(threads).max(64);
    let parts: Vec<Scan> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || scan_part(root, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut all = Scan::default();
    for part in parts {
        all.hits.extend(part.hits);
        all.scanned += part.scanned;
        all.skipped += part.skipped;
    }
    all
}

fn scan_part(root: &Path, files: &[(String, bool)]) -> Scan {
    let mut scan = Scan::default();
    for (rel, tracked) in files {
        let path = root.join(rel);
        // Not through symlinks (they may point outside the repository), not into
        // submodules, not big files.
        let readable = std::fs::symlink_metadata(&path)
            .is_ok_and(|m| m.is_file() && m.len() <= MAX_SCAN_BYTES);
        let bytes = if readable {
            std::fs::read(&path).ok()
        } else {
            None
        };
        let Some(bytes) = bytes else {
            scan.skipped += 1;
            continue;
        };
        if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some() {
            scan.skipped += 1;
            continue;
        }
        scan.scanned += 1;
        for (line, key) in find_keys(&bytes) {
            scan.hits.push(Hit {
                file: rel.clone(),
                line,
                key,
                tracked: *tracked,
            });
        }
    }
    scan
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Every CodeLoop key in `bytes` with its 1-based line: `cl_live_` and then 8 to 256
/// of `[A-Za-z0-9_-]` (the format `ApiKey::parse` accepts), except obvious
/// placeholders (at most two distinct characters, such as `cl_live_xxxxxxxx`).
pub fn find_keys(bytes: &[u8]) -> Vec<(usize, ApiKey)> {
    let mut found = Vec::new();
    let (mut line, mut counted, mut end) = (1, 0, 0);
    for at in memchr::memmem::find_iter(bytes, PREFIX.as_bytes()) {
        if at < end {
            continue; // inside the previous key
        }
        let start = at + PREFIX.len();
        let run = bytes[start..]
            .iter()
            .take_while(|b| is_key_byte(**b))
            .count();
        if !(8..=256).contains(&run) {
            continue;
        }
        let random = &bytes[start..start + run];
        let distinct: BTreeSet<u8> = random.iter().copied().collect();
        if distinct.len() <= 2 {
            continue;
        }
        let Ok(key) = std::str::from_utf8(&bytes[at..start + run]).map(ApiKey::parse) else {
            continue;
        };
        let Ok(key) = key else { continue };
        line += memchr::memchr_iter(b'\n', &bytes[counted..at]).count();
        counted = at;
        end = start + run;
        found.push((line, key));
    }
    found
}

/// The leak check: each hit is a problem, named by file and line, masked.
pub fn leaks(sys: &Sys, project: &Path, git_top: Option<&Path>) -> Check {
    const NAME: &str = "leaks";
    let scan = match scan(sys, project, git_top) {
        Ok(scan) => scan,
        Err(e) => {
            return Check::new(
                NAME,
                Status::Warning,
                format!("leaked keys: not checked ({e})"),
            );
        }
    };
    let ms = scan.elapsed.as_millis() as u64;
    let hits: Vec<Value> = scan
        .hits
        .iter()
        .take(MAX_LISTED)
        .map(|h| json!({"file": h.file, "line": h.line, "key": h.key.masked(), "tracked": h.tracked}))
        .collect();
    let what = if git_top.is_some() {
        "the files git tracks here or in .env files"
    } else {
        "the .env files of this project (not a git repository)"
    };
    let skipped = if scan.skipped > 0 {
        format!(
            "; {} skipped: binary, over {} MiB or not a regular file",
            scan.skipped,
            MAX_SCAN_BYTES / (1024 * 1024)
        )
    } else {
        String::new()
    };
    let mut check = if scan.hits.is_empty() {
        Check::new(
            NAME,
            Status::Ok,
            format!(
                "no CodeLoop key in {what} ({} scanned{skipped}; {ms} ms)",
                scan.scanned
            ),
        )
    } else {
        let mut c = Check::new(
            NAME,
            Status::Problem,
            format!(
                "{} CodeLoop key(s) found in {what} ({} scanned{skipped}; {ms} ms)",
                scan.hits.len(),
                scan.scanned
            ),
        );
        let fix = "remove the key from the file and from git history (e.g. `git filter-repo --replace-text`), then rotate it, because it was exposed: codeloop auth --rotate";
        for h in scan.hits.iter().take(MAX_LISTED) {
            let whose = if h.tracked {
                "a file git tracks"
            } else {
                "a .env file git does not track"
            };
            c.findings.push(Finding {
                problem: format!(
                    "leaked CodeLoop key {} in {}:{} ({whose})",
                    h.key, h.file, h.line
                ),
                fix: fix.to_owned(),
                file: Some(h.file.clone()),
            });
        }
        if scan.hits.len() > MAX_LISTED {
            c.findings.push(Finding {
                problem: format!(
                    "… and {} more leaked keys (`codeloop doctor --json` lists the first {MAX_LISTED})",
                    scan.hits.len() - MAX_LISTED
                ),
                fix: fix.to_owned(),
                file: None,
            });
        }
        c
    };
    check = check
        .with("hits", hits.into())
        .with("hitCount", scan.hits.len().into())
        .with("filesScanned", scan.scanned.into())
        .with("filesSkipped", scan.skipped.into())
        .with("listedBy", scan.listed_by.into())
        .with("elapsedMs", ms.into());
    check
}

// ---------------------------------------------------------------------------------
// Shell startup files

/// How a startup file is read: which shell runs it, so which comments it skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// bash and zsh: `#` at the start of a word, outside quotes, to the end of the line.
    Posix,
    /// fish: the same rule.
    Fish,
    /// PowerShell: `#` at the start of a token, outside strings, to the end of the
    /// line, and `<# … #>` blocks.
    PowerShell,
}

/// A startup file a shell reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupFile {
    pub path: PathBuf,
    /// The shell that reads it, as `--only` names it: `zsh`, `bash`, `fish`,
    /// `powershell`.
    pub shell: &'static str,
}

impl StartupFile {
    pub fn syntax(&self) -> Syntax {
        match self.shell {
            "fish" => Syntax::Fish,
            "powershell" => Syntax::PowerShell,
            _ => Syntax::Posix,
        }
    }
}

/// The keys written by hand into one startup file (as some vendor docs show:
/// `export CODELOOP_API_KEY=cl_live_…`), outside comments and codeloop's own blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupKey {
    /// As the person knows it: `~/.bashrc`.
    pub file: String,
    /// The shell that reads it, as `--only` names it.
    pub shell: &'static str,
    /// Each line (1-based) with the key on it, in order.
    pub hits: Vec<(usize, ApiKey)>,
    /// What sets the variable instead: the `init` that sets the shell up, and what it
    /// writes.
    pub instead: String,
}

/// The startup files the shells read for this user: zsh's `.zshenv`, `.zprofile`,
/// `.zshrc` and `.zlogin` (in the `ZDOTDIR` codeloop resolved), bash's `.bashrc` and
/// login files, fish's `config.fish` and the `*.fish` files in `conf.d` (the only ones
/// fish sources there) but codeloop's own `codeloop.fish`, and every current-user
/// profile of each PowerShell edition
/// ([`crate::paths::PowerShellProfile::current_user_profiles`]). codeloop's other files
/// that hold the key, `~/.codeloop/env.sh` and `env.ps1`, are not startup files: the
/// blocks load them.
pub fn startup_files(paths: &Paths) -> Vec<StartupFile> {
    let file = |shell: &'static str| move |path: PathBuf| StartupFile { path, shell };
    let zdotdir = paths.zshrc.parent().unwrap_or(&paths.home).to_path_buf();
    let mut files = vec![file("zsh")(paths.home.join(".zshenv"))];
    files.extend(
        [".zshenv", ".zprofile", ".zshrc", ".zlogin"].map(|f| file("zsh")(zdotdir.join(f))),
    );
    files.push(file("bash")(paths.bashrc.clone()));
    files.extend(paths.bash_login_files.iter().cloned().map(file("bash")));
    files.push(file("fish")(paths.fish_dir.join("config.fish")));
    if let Ok(entries) = std::fs::read_dir(paths.fish_dir.join("conf.d")) {
        let mut conf: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "fish") && p.is_file())
            .collect();
        conf.sort();
        files.extend(conf.into_iter().map(file("fish")));
    }
    files.extend(
        paths
            .powershell_profiles
            .iter()
            .flat_map(|p| p.current_user_profiles())
            .map(file("powershell")),
    );
    let mut seen = BTreeSet::new();
    files.retain(|f| seen.insert(f.path.clone()));
    files
}

/// A startup file's text: UTF-8, or UTF-16 with a BOM (as Windows PowerShell 5.1
/// saves profiles); anything else is read as lossy UTF-8. `None` when it is not there.
fn read_startup(path: &Path) -> Option<String> {
    match crate::fsx::read_text(path) {
        Ok(found) => found.map(|(text, _)| text),
        Err(_) => std::fs::read(path)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
    }
}

/// Every key written into [`startup_files`] by hand, one entry per file.
pub fn startup_keys(paths: &Paths) -> Vec<StartupKey> {
    startup_files(paths)
        .into_iter()
        .filter_map(|f| {
            let text = read_startup(&f.path)?;
            let hits = hand_written_keys(&text, f.syntax());
            (!hits.is_empty()).then(|| StartupKey {
                file: paths.display(&f.path),
                shell: f.shell,
                hits,
                instead: instead(paths, f.shell),
            })
        })
        .collect()
}

/// The keys in `text` that its shell would run: not in comments, not in codeloop's
/// own blocks.
pub fn hand_written_keys(text: &str, syntax: Syntax) -> Vec<(usize, ApiKey)> {
    let ours = codeloop_blocks(text.as_bytes());
    find_keys(blank_comments(text, syntax).as_bytes())
        .into_iter()
        .filter(|(line, _)| !ours.iter().any(|r| r.contains(line)))
        .collect()
}

/// What sets `CODELOOP_API_KEY` for `shell` instead: true whether or not codeloop has
/// set the shell up yet (`init` says it while setting it up; doctor may say it for a
/// shell codeloop never touched).
fn instead(paths: &Paths, shell: &str) -> String {
    let var = crate::secret::ENV_VAR;
    let how = match shell {
        "fish" => format!(
            "with conf.d/codeloop.fish, which loads {} (0600)",
            paths.display(&paths.fish_env)
        ),
        "powershell" => format!(
            "with a #region codeloop block that loads {} (0600)",
            paths.display(&paths.env_ps1)
        ),
        _ => format!(
            "with a block that loads {} (0600)",
            paths.display(&paths.env_sh)
        ),
    };
    format!("`codeloop init --only {shell}` sets {var} instead, {how}")
}

/// `text` with every comment's characters turned into spaces (line breaks kept), so a
/// key in a comment is not found and every other key keeps its line. Quotes are
/// followed across lines, as the shells do; where this reading could be wrong (a
/// here-document, say), text counts as code — one warning too many rather than a key
/// missed.
pub fn blank_comments(text: &str, syntax: Syntax) -> String {
    #[derive(PartialEq)]
    enum State {
        Code,
        Single,
        Double,
        /// A PowerShell here-string, ended by this quote and `@` at a line's start.
        Here(char),
        LineComment,
        BlockComment,
    }
    let ps = syntax == Syntax::PowerShell;
    let escape = if ps { '`' } else { '\\' };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut state = State::Code;
    // The character before, in code: a comment starts only at a word's start.
    let mut prev = '\n';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
        match state {
            State::LineComment => {
                out.push(blank(c));
                if c == '\n' {
                    state = State::Code;
                    prev = '\n';
                }
            }
            State::BlockComment => {
                if c == '#' && next == Some('>') {
                    out.push_str("  ");
                    i += 1;
                    state = State::Code;
                    prev = ' ';
                } else {
                    out.push(blank(c));
                }
            }
            State::Single => {
                out.push(c);
                let doubled = ps && next == Some('\'');
                let escaped =
                    syntax == Syntax::Fish && c == '\\' && matches!(next, Some('\'' | '\\'));
                if c == '\'' && doubled || escaped {
                    out.extend(next);
                    i += 1;
                } else if c == '\'' {
                    state = State::Code;
                    prev = c;
                }
            }
            State::Double => {
                out.push(c);
                if c == escape || (ps && c == '"' && next == Some('"')) {
                    out.extend(next);
                    i += 1;
                } else if c == '"' {
                    state = State::Code;
                    prev = c;
                }
            }
            State::Here(quote) => {
                out.push(c);
                if c == '\n' && chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&'@') {
                    out.push(quote);
                    out.push('@');
                    i += 2;
                    state = State::Code;
                    prev = '@';
                }
            }
            State::Code => {
                let word_start = prev.is_whitespace()
                    || if ps {
                        ";(){}|&".contains(prev)
                    } else {
                        ";&|()".contains(prev)
                    };
                if c == escape {
                    out.push(c);
                    out.extend(next);
                    i += 1;
                    prev = next.unwrap_or(c);
                } else if ps && c == '<' && next == Some('#') {
                    out.push_str("  ");
                    i += 1;
                    state = State::BlockComment;
                } else if c == '#' && word_start {
                    out.push(' ');
                    state = State::LineComment;
                } else if ps
                    && c == '@'
                    && let Some(quote @ ('\'' | '"')) = next
                    && chars[i + 2..]
                        .iter()
                        .take_while(|c| **c != '\n')
                        .all(|c| c.is_whitespace())
                {
                    out.push(c);
                    out.push(quote);
                    i += 1;
                    state = State::Here(quote);
                } else {
                    out.push(c);
                    if c == '\'' {
                        state = State::Single;
                    } else if c == '"' {
                        state = State::Double;
                    }
                    prev = c;
                }
            }
        }
        i += 1;
    }
    out
}

/// The 1-based lines of codeloop's own blocks, markers included: a key there is not
/// the person's but codeloop's (codeloop 0.1's blocks held the key itself), and the
/// run that sets up the shell replaces it.
fn codeloop_blocks(bytes: &[u8]) -> Vec<std::ops::RangeInclusive<usize>> {
    use crate::edit::block::{HASH, REGION};
    let text = String::from_utf8_lossy(bytes);
    let mut blocks = Vec::new();
    let mut open: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if [HASH.begin, REGION.begin].contains(&line) {
            open = Some(i + 1);
        } else if [HASH.end, REGION.end].contains(&line)
            && let Some(begin) = open.take()
        {
            blocks.push(begin..=i + 1);
        }
    }
    blocks
}

/// At most this many lines of one file are named in its warning.
const LINES_NAMED: usize = 10;

impl StartupKey {
    /// The one warning for this file: each line as `file:line`, the keys (masked), why
    /// it matters and the next step.
    pub fn warning(&self) -> String {
        let mut places: Vec<String> = self
            .hits
            .iter()
            .take(LINES_NAMED)
            .map(|(line, _)| format!("{}:{line}", self.file))
            .collect();
        if self.hits.len() > LINES_NAMED {
            places.push(format!("{} more lines", self.hits.len() - LINES_NAMED));
        }
        let mut keys: Vec<String> = Vec::new();
        for (_, key) in &self.hits {
            let shown = key.to_string();
            if !keys.contains(&shown) {
                keys.push(shown);
            }
        }
        let (verb, lines) = if self.hits.len() == 1 {
            ("sets", "that line")
        } else {
            ("set", "those lines")
        };
        let after = match self.shell {
            "fish" => "codeloop's conf.d file",
            "powershell" => "codeloop's #region codeloop block",
            _ => "codeloop's block",
        };
        format!(
            "{} {verb} a CodeLoop key itself ({}): startup files are often readable by others and kept in dotfile repositories, and a line that runs after {after} overrides the key it sets; delete {lines}: {}",
            crate::render::listed(&places, "and"),
            keys.join(", "),
            self.instead
        )
    }
}

/// The startup-file check: a warning per file with a key in it, not a problem (the
/// person put it there; nothing codeloop wrote is wrong). The message holds one line
/// per file.
pub fn startup(paths: &Paths) -> Check {
    const NAME: &str = "startup";
    let found = startup_keys(paths);
    if found.is_empty() {
        return Check::new(
            NAME,
            Status::Ok,
            "no CodeLoop key written into your shell startup files".into(),
        );
    }
    let message = found
        .iter()
        .map(StartupKey::warning)
        .collect::<Vec<_>>()
        .join("\n");
    let hits: Vec<Value> = found
        .iter()
        .flat_map(|f| {
            f.hits
                .iter()
                .map(|(line, key)| json!({"file": f.file, "line": line, "key": key.masked()}))
        })
        .collect();
    Check::new(NAME, Status::Warning, message).with("hits", hits.into())
}

// ---------------------------------------------------------------------------------
// Node.js

/// The oldest Node.js major the MCP server runs on.
pub const MIN_NODE: u32 = 18;
const NODE_FIX: &str = "install Node.js 18 or newer from https://nodejs.org";

/// `node` and `npx` on `PATH`, and `node --version` at least [`MIN_NODE`].
pub fn node(sys: &Sys) -> Check {
    const NAME: &str = "node";
    let node = sys.which("node");
    let npx = sys.which("npx");
    let shown = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or(Value::Null, |p| p.to_string_lossy().into_owned().into())
    };
    let (node_json, npx_json) = (shown(&node), shown(&npx));
    let Some(node) = node else {
        return Check::problem(
            NAME,
            "Node.js (node and npx) is not on PATH, and the CodeLoop MCP server runs through npx"
                .into(),
            NODE_FIX,
        )
        .with("node", node_json)
        .with("npx", npx_json)
        .with("version", Value::Null);
    };
    // A broken version manager's shim can hang: `node --version` gets 5 s.
    let env: Vec<(&str, &str)> = sys
        .env()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let said = sys
        .run_bounded(
            &node,
            &["--version"],
            &env,
            std::time::Duration::from_secs(5),
        )
        .ok()
        .flatten()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let version = parse_node_version(&said);
    let check = match (version, &npx) {
        (None, _) => Check::new(
            NAME,
            Status::Warning,
            format!(
                "Node.js: could not tell its version (`{} --version` printed {:?}); the MCP server needs {MIN_NODE} or newer",
                node.display(),
                said.chars().take(40).collect::<String>()
            ),
        ),
        (Some((major, _)), _) if major < MIN_NODE => Check::problem(
            NAME,
            format!(
                "Node.js {said} ({}) is too old: the CodeLoop MCP server needs {MIN_NODE} or newer",
                node.display()
            ),
            NODE_FIX,
        ),
        (Some(_), None) => Check::problem(
            NAME,
            format!(
                "npx is not on PATH (Node.js {said} is), and the CodeLoop MCP server runs through npx"
            ),
            "reinstall Node.js 18 or newer from https://nodejs.org, which includes npx",
        ),
        (Some(_), Some(npx)) => Check::new(
            NAME,
            Status::Ok,
            format!(
                "Node.js {said} and npx ({}): the MCP server runs through it",
                npx.display()
            ),
        ),
    };
    check.with("node", node_json).with("npx", npx_json).with(
        "version",
        version.map_or(Value::Null, |_| said.clone().into()),
    )
}

/// `v20.11.1` → (20, 11).
fn parse_node_version(text: &str) -> Option<(u32, u32)> {
    let rest = text.trim().strip_prefix('v').unwrap_or(text.trim());
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_with_their_lines_and_skips_placeholders() {
        let text = b"a=1\nKEY=cl_live_abcDEF123456\n\n{\"k\": \"cl_live_xxxxxxxxxxxx\", \"j\": \"cl_live_ab\"}\nx cl_live_ZZZ-ok_987654 y cl_live_QQQwer123456\n";
        let found: Vec<(usize, String)> = find_keys(text)
            .into_iter()
            .map(|(l, k)| (l, k.expose().to_owned()))
            .collect();
        assert_eq!(
            found,
            [
                (2, "cl_live_abcDEF123456".to_owned()),
                (5, "cl_live_ZZZ-ok_987654".to_owned()),
                (5, "cl_live_QQQwer123456".to_owned()),
            ]
        );
        // Too long for a key; a prefix inside a key is not a second key.
        let long = format!("cl_live_{}", "ab".repeat(200));
        assert!(find_keys(long.as_bytes()).is_empty());
        assert_eq!(find_keys(b"cl_live_abcdefgh_cl_live_ijklmnop").len(), 1);
        assert!(find_keys(b"").is_empty());
    }

    #[test]
    fn a_key_in_codeloops_own_block_is_not_one_written_by_hand() {
        let zshrc = b"export A=1\r\n# >>> codeloop >>>\r\nexport CODELOOP_API_KEY=cl_live_OLDLAYOUTKEY0001\r\n# <<< codeloop <<<\r\nexport CODELOOP_API_KEY=cl_live_MINEmine0123456789ab\r\n";
        let blocks = codeloop_blocks(zshrc);
        assert_eq!(blocks, [2..=4]);
        let mine: Vec<usize> = find_keys(zshrc)
            .into_iter()
            .map(|(line, _)| line)
            .filter(|line| !blocks.iter().any(|b| b.contains(line)))
            .collect();
        assert_eq!(mine, [5]);
        let ps1 = b"#region codeloop\n$env:CODELOOP_API_KEY = 'cl_live_OLDLAYOUTKEY0001'\n#endregion codeloop\n";
        assert_eq!(codeloop_blocks(ps1), [1..=3]);
        // A marker without its partner marks nothing.
        assert!(codeloop_blocks(b"# >>> codeloop >>>\nexport K=cl_live_abcDEF123456\n").is_empty());
    }

    /// The lines of `text` with a key its shell would run.
    fn lines(text: &str, syntax: Syntax) -> Vec<usize> {
        let blanked = blank_comments(text, syntax);
        assert_eq!(blanked.lines().count(), text.lines().count(), "{text:?}");
        hand_written_keys(text, syntax)
            .into_iter()
            .map(|(line, _)| line)
            .collect()
    }

    const K: &str = "cl_live_abcDEF123456";

    #[test]
    fn a_key_in_a_comment_is_not_one_the_shell_runs() {
        let posix = |t: &str| lines(&t.replace("{K}", K), Syntax::Posix);
        assert_eq!(posix("# export CODELOOP_API_KEY={K}\n"), [0; 0]);
        assert_eq!(posix("  #export CODELOOP_API_KEY={K}\r\n"), [0; 0]);
        assert_eq!(posix("export A=1 # was CODELOOP_API_KEY={K}\n"), [0; 0]);
        assert_eq!(posix("export A=1;# {K}\n"), [0; 0]);
        assert_eq!(posix("export CODELOOP_API_KEY={K} # mine\n"), [1]);
        // A # inside quotes, after $ or {, inside a word or escaped starts nothing.
        assert_eq!(posix("echo '#'; export C={K}\n"), [1]);
        assert_eq!(posix("echo \"a # b\" {K}\n"), [1]);
        assert_eq!(posix("echo $# ${#x} a#b \\# {K}\n"), [1]);
        // Quotes go on across lines, as the shell reads them.
        assert_eq!(posix("N='see\n# C={K}'\n"), [2]);
        assert_eq!(posix("# it's\nexport C={K}\n"), [2]);

        let fish = |t: &str| lines(&t.replace("{K}", K), Syntax::Fish);
        assert_eq!(fish("# set -gx CODELOOP_API_KEY {K}\n"), [0; 0]);
        assert_eq!(
            fish("set -gx EDITOR vim # set -gx CODELOOP_API_KEY {K}\n"),
            [0; 0]
        );
        assert_eq!(fish("set -gx CODELOOP_API_KEY {K} # mine\n"), [1]);
        assert_eq!(fish("echo 'it\\'s # not a comment' {K}\n"), [1]);

        let ps = |t: &str| lines(&t.replace("{K}", K), Syntax::PowerShell);
        assert_eq!(ps("# $env:CODELOOP_API_KEY = '{K}'\r\n"), [0; 0]);
        assert_eq!(
            ps("<#\r\n$env:CODELOOP_API_KEY = '{K}'\r\n#>\r\n$env:CODELOOP_API_KEY = '{K}'\r\n"),
            [4]
        );
        assert_eq!(ps("$a = 1 <# {K} #> ; $b = '{K}'\n"), [1]);
        assert_eq!(ps("$env:A = '#'; $env:C = '{K}' # mine\n"), [1]);
        assert_eq!(ps("$a = 'it''s' # {K}\n"), [0; 0]);
        assert_eq!(ps("$a = \"`\"# {K}\"\n"), [1]);
        // A here-string is text, whatever it holds.
        assert_eq!(ps("$a = @'\n# {K}\nit's\n'@\n# {K}\n"), [2]);
        // codeloop's own block is not the person's.
        assert_eq!(
            ps("#region codeloop\n$env:CODELOOP_API_KEY = '{K}'\n#endregion codeloop\n"),
            [0; 0]
        );
    }

    #[test]
    fn every_current_user_powershell_profile_is_a_startup_file() {
        struct NoPrompt;
        impl crate::sys::Prompter for NoPrompt {
            fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
                unreachable!()
            }
        }
        let names = |os, home: &str| -> Vec<String> {
            let sys = Sys::fake(os, PathBuf::from("/p"), &[], Box::new(NoPrompt));
            let paths = Paths::resolve(&sys, Path::new(home), Path::new("/p"));
            startup_files(&paths)
                .into_iter()
                .filter(|f| f.shell == "powershell")
                .map(|f| f.path.to_string_lossy().replace('\\', "/"))
                .collect()
        };
        assert_eq!(
            names(crate::sys::Os::Linux, "/h"),
            [
                "/h/.config/powershell/profile.ps1",
                "/h/.config/powershell/Microsoft.PowerShell_profile.ps1",
                "/h/.config/powershell/Microsoft.VSCode_profile.ps1",
            ]
        );
        assert_eq!(
            names(crate::sys::Os::Windows, "C:/Users/u"),
            [
                "C:/Users/u/Documents/PowerShell/profile.ps1",
                "C:/Users/u/Documents/PowerShell/Microsoft.PowerShell_profile.ps1",
                "C:/Users/u/Documents/PowerShell/Microsoft.VSCode_profile.ps1",
                "C:/Users/u/Documents/WindowsPowerShell/profile.ps1",
                "C:/Users/u/Documents/WindowsPowerShell/Microsoft.PowerShell_profile.ps1",
                "C:/Users/u/Documents/WindowsPowerShell/Microsoft.VSCode_profile.ps1",
                "C:/Users/u/Documents/WindowsPowerShell/Microsoft.PowerShellISE_profile.ps1",
            ]
        );
    }

    #[test]
    fn several_keys_in_one_file_are_one_warning() {
        let key = |k: &str| ApiKey::parse(k).unwrap();
        let found = StartupKey {
            file: "~/.bashrc".into(),
            shell: "bash",
            hits: vec![(2, key(K)), (7, key(K)), (9, key("cl_live_ZYXwvu987654"))],
            instead: "`codeloop init --only bash` sets CODELOOP_API_KEY instead, with a block that loads ~/.codeloop/env.sh (0600)".into(),
        };
        let w = found.warning();
        assert!(
            w.starts_with("~/.bashrc:2, ~/.bashrc:7 and ~/.bashrc:9 set a CodeLoop key itself (cl_live_ab…56, cl_live_ZY…54): "),
            "{w}"
        );
        assert!(w.ends_with("delete those lines: `codeloop init --only bash` sets CODELOOP_API_KEY instead, with a block that loads ~/.codeloop/env.sh (0600)"), "{w}");
        assert!(!w.contains('\n'));
    }

    #[test]
    fn reads_node_versions() {
        assert_eq!(parse_node_version("v20.11.1\n"), Some((20, 11)));
        assert_eq!(parse_node_version("v16.20.2"), Some((16, 20)));
        assert_eq!(parse_node_version("18.0.0"), Some((18, 0)));
        assert_eq!(parse_node_version(""), None);
        assert_eq!(parse_node_version("node: not found"), None);
    }
}
