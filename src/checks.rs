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

    /// doctor's report line (`true`: fine), or `None` when the findings say it.
    /// The line doctor prints for a check that is not a problem (a problem is printed
    /// once, as its finding), with its status.
    pub fn line(&self) -> Option<(Status, String)> {
        match self.status {
            Status::Problem => None,
            status => Some((status, self.message.clone())),
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

/// A key written into a shell startup file by hand (as some vendor docs show:
/// `export CODELOOP_API_KEY=cl_live_…`), outside codeloop's own blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupKey {
    /// As the person knows it: `~/.bashrc`.
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub key: ApiKey,
}

/// The startup files the shells read: zsh's `.zshenv`, `.zprofile`, `.zshrc` and
/// `.zlogin` (in the `ZDOTDIR` codeloop resolved), bash's `.bashrc` and login files,
/// fish's `config.fish` and `conf.d` (but codeloop's own file), the PowerShell
/// profiles. UTF-16 profiles are read as bytes, so a key in one is not seen.
pub fn startup_files(paths: &Paths) -> Vec<PathBuf> {
    let zdotdir = paths.zshrc.parent().unwrap_or(&paths.home).to_path_buf();
    let mut files = vec![paths.home.join(".zshenv")];
    files.extend([".zshenv", ".zprofile", ".zshrc", ".zlogin"].map(|f| zdotdir.join(f)));
    files.push(paths.bashrc.clone());
    files.extend(paths.bash_login_files.iter().cloned());
    files.push(paths.fish_dir.join("config.fish"));
    if let Ok(entries) = std::fs::read_dir(paths.fish_dir.join("conf.d")) {
        let mut conf: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| *p != paths.fish_env)
            .collect();
        conf.sort();
        files.extend(conf);
    }
    files.extend(paths.powershell_profiles.iter().map(|p| p.path.clone()));
    let mut seen = BTreeSet::new();
    files.retain(|f| seen.insert(f.clone()));
    files
}

/// Every key written into [`startup_files`] by hand, masked when shown.
pub fn startup_keys(paths: &Paths) -> Vec<StartupKey> {
    startup_files(paths)
        .into_iter()
        .filter_map(|f| Some((paths.display(&f), std::fs::read(&f).ok()?)))
        .flat_map(|(file, bytes)| {
            let ours = codeloop_blocks(&bytes);
            find_keys(&bytes)
                .into_iter()
                .filter(move |(line, _)| !ours.iter().any(|r| r.contains(line)))
                .map(move |(line, key)| StartupKey {
                    file: file.clone(),
                    line,
                    key,
                })
        })
        .collect()
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
        let line = line.trim();
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

impl StartupKey {
    /// The warning for this key, with its one next step.
    pub fn warning(&self) -> String {
        format!(
            "{}:{} sets a CodeLoop key itself ({}): startup files are often readable by others and kept in dotfile repositories, and a line after codeloop's block overrides the key it sets; delete that line (codeloop's ~/.codeloop/env.sh, 0600, sets {})",
            self.file,
            self.line,
            self.key,
            crate::secret::ENV_VAR
        )
    }
}

/// The startup-file check: a warning per key found, not a problem (the person put it
/// there; nothing codeloop wrote is wrong).
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
        .join("\n  ");
    let hits: Vec<Value> = found
        .iter()
        .map(|h| json!({"file": h.file, "line": h.line, "key": h.key.masked()}))
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

    #[test]
    fn reads_node_versions() {
        assert_eq!(parse_node_version("v20.11.1\n"), Some((20, 11)));
        assert_eq!(parse_node_version("v16.20.2"), Some((16, 20)));
        assert_eq!(parse_node_version("18.0.0"), Some((18, 0)));
        assert_eq!(parse_node_version(""), None);
        assert_eq!(parse_node_version("node: not found"), None);
    }
}
