//! The ownership record, held to its promises over random histories on real files.
//!
//! A history is a random sequence of `init` (a random set of targets, key A or B,
//! project or `--global`, one of two projects), edits a user makes (their own server,
//! a customised codeloop entry, their own permission, a deleted file, a pre-made empty
//! directory, lines appended to `~/.bashrc`, `.gitignore` and Codex's config) and
//! `uninstall` (one project, `--global`, `--all`), on a temp home that starts with
//! files a person has (a `~/.claude.json`, a `.gitignore`, a Windsurf entry of their
//! own holding their own key, a permission of their own…).
//!
//! Beside the real files the test keeps a model of what is the user's: each file as
//! it would be had codeloop never run. After every step:
//! - every JSON file, with codeloop's parts taken out, equals the model's value, and
//!   every rc file and `.gitignore`, with codeloop's block taken out, the model's text;
//! - after an `init`: running it again changes nothing (bytes and mtimes), and
//!   `doctor` calls each target of that run healthy;
//! - after `uninstall --all`: every file is the model's — byte for byte where the user
//!   never edited it after codeloop did, as a value otherwise — every directory the
//!   user made is there and nothing else is, and no `cl_live_` is anywhere but in
//!   files the user put a key in themselves.
//!
//! Runs in-process (`codeloop::run`), so a case costs file writes, not process starts.
//! `HISTORY_CASES` sets the number of cases (default 48).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::harness::{KEY, KEY2, NoPrompt, parse_jsonc, read, run_in_process, snapshot, write};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// A key the user wrote into their own Windsurf entry before codeloop.
const USER_KEY: &str = "cl_live_USERownKEY4242";

const TARGETS: &[&str] = &[
    "cursor",
    "claude-code",
    "codex",
    "gemini",
    "vscode",
    "windsurf",
    "bash",
    "zsh",
    "fish",
];

#[derive(Debug, Clone)]
enum Step {
    Init {
        targets: Vec<&'static str>,
        key_b: bool,
        global: bool,
        project: usize,
    },
    /// The user adds a server of their own to a JSON config.
    OwnServer(usize),
    /// The user adds a field of their own inside codeloop's entry.
    Customise(usize),
    /// The user allows one more tool in a project's `settings.local.json`.
    OwnPermission(usize),
    /// The user deletes a config file.
    Delete(usize),
    /// The user makes an empty directory a client would use.
    EmptyDir(usize),
    /// The user appends a line to a line-based file.
    Append(usize),
    Uninstall {
        reach: Reach,
        project: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Reach {
    Project,
    Global,
    All,
}

/// The JSON configs, by the targets that write them: (path from the sandbox root,
/// where codeloop's entry is, the project it belongs to).
fn json_files(root: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let p = |i: usize| root.join(format!("p{i}"));
    let entry = |servers: &str| vec![servers.to_owned(), "codeloop".to_owned()];
    let mut out = vec![
        (root.join("home/.cursor/mcp.json"), entry("mcpServers")),
        (root.join("home/.gemini/settings.json"), entry("mcpServers")),
        (
            root.join("home/.config/Code/User/mcp.json"),
            entry("servers"),
        ),
        (
            root.join("home/.codeium/windsurf/mcp_config.json"),
            entry("mcpServers"),
        ),
        (root.join("home/.claude.json"), entry("mcpServers")),
    ];
    for i in 0..2 {
        out.push((p(i).join(".cursor/mcp.json"), entry("mcpServers")));
        out.push((p(i).join(".gemini/settings.json"), entry("mcpServers")));
        out.push((p(i).join(".vscode/mcp.json"), entry("servers")));
    }
    out
}

/// Line-based files the user appends to, with codeloop's markers in them.
fn line_files(root: &Path) -> Vec<PathBuf> {
    vec![
        root.join("home/.bashrc"),
        root.join("p0/.gitignore"),
        root.join("home/.codex/config.toml"),
    ]
}

fn dirs(root: &Path) -> Vec<PathBuf> {
    vec![
        root.join("home/.gemini"),
        root.join("home/.codex"),
        root.join("p0/.vscode"),
        root.join("p1/.cursor"),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let init = (
        proptest::sample::subsequence(TARGETS, 1..4),
        any::<bool>(),
        prop::bool::weighted(0.25),
        0..2usize,
    )
        .prop_map(|(targets, key_b, global, project)| Step::Init {
            targets,
            key_b,
            global,
            project,
        });
    let uninstall = (
        prop_oneof![
            3 => Just(Reach::Project),
            1 => Just(Reach::Global),
            1 => Just(Reach::All)
        ],
        0..2usize,
    )
        .prop_map(|(reach, project)| Step::Uninstall { reach, project });
    prop_oneof![
        6 => init,
        2 => (0..11usize).prop_map(Step::OwnServer),
        1 => (0..11usize).prop_map(Step::Customise),
        1 => (0..2usize).prop_map(Step::OwnPermission),
        1 => (0..11usize).prop_map(Step::Delete),
        1 => (0..4usize).prop_map(Step::EmptyDir),
        1 => (0..3usize).prop_map(Step::Append),
        2 => uninstall,
    ]
}

/// The user's side of the world: each file as it would be without codeloop.
#[derive(Debug, Default)]
struct Model {
    /// JSON configs: the user's value (`None`: no file of theirs).
    json: BTreeMap<PathBuf, Option<Value>>,
    /// Line-based files: the user's text.
    text: BTreeMap<PathBuf, Option<String>>,
    /// Files the user edited (rewrote): compared as values, not bytes, after
    /// uninstall; the others must come back byte for byte.
    edited: BTreeSet<PathBuf>,
    /// Directories the user made.
    dirs: BTreeSet<PathBuf>,
    /// The user's own `mcp__codeloop` permission, per project.
    own_permission: [bool; 2],
    /// The user's extra permissions, per project.
    permissions: [Vec<String>; 2],
}

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    model: Model,
    /// The original bytes of every file that existed at the start.
    originals: BTreeMap<PathBuf, Vec<u8>>,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let home = root.join("home");
        for d in ["home", "p0", "p1", "bin"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let mut model = Model::default();
        let files: Vec<(PathBuf, String)> = vec![
            (
                home.join(".claude.json"),
                "{\n  \"numStartups\": 7,\n  \"theme\": \"dark\"\n}\n".to_owned(),
            ),
            (
                home.join(".codeium/windsurf/mcp_config.json"),
                format!(
                    "{{\n  \"mcpServers\": {{\n    \"codeloop\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"codeloop-mcp-server\"],\n      \"env\": {{ \"CODELOOP_API_KEY\": \"{USER_KEY}\" }},\n      \"disabledTools\": [\"x\"]\n    }}\n  }}\n}}\n"
                ),
            ),
            (
                home.join(".bashrc"),
                "# ~/.bashrc\nexport EDITOR=vi\n".to_owned(),
            ),
            (root.join("p0/.gitignore"), "target/\n".to_owned()),
            (home.join(".codex/config.toml"), "model = \"o3\"".to_owned()),
            (
                root.join("p0/.claude/settings.local.json"),
                "{\n  \"permissions\": {\n    \"allow\": [\"mcp__codeloop\"]\n  }\n}\n".to_owned(),
            ),
        ];
        let mut originals = BTreeMap::new();
        for (path, text) in &files {
            write(path, text);
            originals.insert(path.clone(), text.as_bytes().to_vec());
        }
        // p0 is an empty repository (what `git init` makes, as far as git and
        // gix-discover look: HEAD, objects, refs), so the .gitignore guard runs there.
        for d in ["p0/.git/objects", "p0/.git/refs"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        write(&root.join("p0/.git/HEAD"), "ref: refs/heads/main\n");
        for (path, _) in json_files(&root) {
            let value = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, t)| parse_jsonc(t));
            model.json.insert(path, value);
        }
        for path in line_files(&root) {
            let text = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, t)| t.clone());
            model.text.insert(path, text);
        }
        model.own_permission = [true, false];
        for d in ["home", "p0", "p1", "bin", "p0/.git"] {
            model.dirs.insert(root.join(d));
        }
        for (path, _) in &files {
            let mut d = path.parent();
            while let Some(dir) = d {
                if !dir.starts_with(&root) || dir == root {
                    break;
                }
                model.dirs.insert(dir.to_path_buf());
                d = dir.parent();
            }
        }
        World {
            _dir: dir,
            home,
            model,
            originals,
            root,
        }
    }

    fn project(&self, i: usize) -> PathBuf {
        self.root.join(format!("p{i}"))
    }

    /// Runs codeloop in-process in project `i`; the exit code and stdout.
    fn run(&self, project: usize, key: &str, args: &[&str]) -> (u8, String) {
        let home = self.home.to_str().unwrap().to_owned();
        let config = self.home.join(".config").to_str().unwrap().to_owned();
        let path = format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            self.root.join("bin").display()
        );
        let env: Vec<(String, String)> = [
            ("HOME", home.as_str()),
            ("USERPROFILE", home.as_str()),
            ("XDG_CONFIG_HOME", config.as_str()),
            ("PATH", path.as_str()),
            ("CODELOOP_API_KEY", key),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let out = run_in_process(
            &self.project(project),
            &env,
            args,
            Box::new(NoPrompt),
            false,
        );
        (out.code.unwrap() as u8, out.stdout + &out.stderr)
    }
}

/// `value` without codeloop's entry at `path` (unless the user had one there: then
/// without its key, which is codeloop's to set) and without `projects.*.mcpServers`
/// entries codeloop keeps in `~/.claude.json`.
fn strip(mut value: Value, path: &[String], users_entry: bool) -> Value {
    let (parent, name) = path.split_at(path.len() - 1);
    let prune = |v: &mut Value| {
        if let Some(servers) = parent
            .iter()
            .try_fold(&mut *v, |v, k| v.get_mut(k.as_str()))
            .and_then(Value::as_object_mut)
        {
            if users_entry {
                if let Some(env) = servers
                    .get_mut(&name[0])
                    .and_then(|e| e.get_mut("env"))
                    .and_then(Value::as_object_mut)
                {
                    env.remove("CODELOOP_API_KEY");
                }
            } else {
                servers.remove(&name[0]);
            }
        }
    };
    prune(&mut value);
    if let Some(projects) = value.get_mut("projects").and_then(Value::as_object_mut) {
        for p in projects.values_mut() {
            if let Some(s) = p.get_mut("mcpServers").and_then(Value::as_object_mut) {
                s.remove("codeloop");
            }
        }
    }
    drop_empty(&mut value);
    value
}

/// Empty objects codeloop's containers leave while its entry is there are not the
/// user's: compare without them.
fn drop_empty(v: &mut Value) {
    if let Value::Object(m) = v {
        for child in m.values_mut() {
            drop_empty(child);
        }
        m.retain(|_, c| !(c.is_object() && c.as_object().is_some_and(|o| o.is_empty())));
    }
}

fn without_block(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t == "# >>> codeloop >>>" {
            inside = true;
            continue;
        }
        if t == "# <<< codeloop <<<" {
            inside = false;
            continue;
        }
        if !inside {
            out.push_str(line);
        }
    }
    out
}

/// A JSON config as a value; an empty or invalid file fails the case, naming it.
fn parse_file(path: &Path) -> Result<Value, TestCaseError> {
    let text = read(path);
    if text.trim().is_empty() {
        return Err(TestCaseError::fail(format!(
            "{} is left empty",
            path.display()
        )));
    }
    Ok(parse_jsonc(&text))
}

fn check_user_content(w: &World) -> Result<(), TestCaseError> {
    for (path, entry_path) in json_files(&w.root) {
        let model = w.model.json.get(&path).cloned().flatten();
        let users_entry = model
            .as_ref()
            .and_then(|m| entry_path.iter().try_fold(m, |v, k| v.get(k.as_str())))
            .is_some();
        let real = match path.is_file() {
            true => Some(parse_file(&path)?),
            false => None,
        };
        let real = real.map(|v| strip(v, &entry_path, users_entry));
        let model = model.map(|v| strip(v, &entry_path, users_entry));
        let empty = |v: &Option<Value>| v.as_ref().is_none_or(|v| v == &json!({}));
        if empty(&real) && empty(&model) {
            continue;
        }
        prop_assert_eq!(real, model, "user content of {}", path.display());
    }
    for i in 0..2 {
        let path = w.project(i).join(".claude/settings.local.json");
        let real: Vec<Value> = if path.is_file() {
            parse_jsonc(&read(&path))["permissions"]["allow"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut mine: Vec<Value> = Vec::new();
        if w.model.own_permission[i] {
            mine.push(json!("mcp__codeloop"));
        }
        mine.extend(w.model.permissions[i].iter().map(|p| json!(p)));
        let theirs: Vec<Value> = real
            .into_iter()
            .filter(|v| w.model.own_permission[i] || v != "mcp__codeloop")
            .collect();
        prop_assert_eq!(theirs, mine, "permissions in {}", path.display());
    }
    for path in line_files(&w.root) {
        if path.extension().is_some_and(|e| e == "toml") {
            continue;
        }
        let model = w
            .model
            .text
            .get(&path)
            .cloned()
            .flatten()
            .unwrap_or_default();
        let real = if path.exists() {
            read(&path)
        } else {
            String::new()
        };
        prop_assert_eq!(
            without_block(&real),
            model,
            "user text of {}",
            path.display()
        );
    }
    Ok(())
}

fn check_after_full_uninstall(w: &World) -> Result<(), TestCaseError> {
    for (path, _) in json_files(&w.root) {
        let model = w.model.json.get(&path).cloned().flatten();
        match (&model, path.is_file()) {
            (None, true) => {
                return Err(TestCaseError::fail(format!(
                    "{} left behind: {}",
                    path.display(),
                    read(&path)
                )));
            }
            (Some(_), false) => {
                return Err(TestCaseError::fail(format!("{} is gone", path.display())));
            }
            (None, false) => {}
            (Some(m), true) => {
                if !w.model.edited.contains(&path)
                    && let Some(orig) = w.originals.get(&path)
                {
                    prop_assert_eq!(
                        std::fs::read(&path).unwrap(),
                        orig.clone(),
                        "bytes of {}",
                        path.display()
                    );
                }
                prop_assert_eq!(&parse_jsonc(&read(&path)), m, "{}", path.display());
            }
        }
    }
    for path in line_files(&w.root) {
        let model = w.model.text.get(&path).cloned().flatten();
        let real = path.is_file().then(|| read(&path));
        prop_assert_eq!(real, model, "text of {}", path.display());
    }
    // Directories: the user's are there; codeloop's are gone.
    let snap = snapshot(&w.root);
    for dir in &w.model.dirs {
        prop_assert!(
            dir.is_dir(),
            "{} is the user's and must stay",
            dir.display()
        );
    }
    for (rel, entry) in &snap {
        let full = w.root.join(rel);
        if matches!(entry, crate::harness::Entry::Dir { .. })
            && !w.model.dirs.contains(&full)
            && !full.starts_with(w.home.join(".codeloop"))
        {
            // A directory holding a file of the user's is theirs now.
            let holds_user_file = snap.keys().any(|k| {
                let f = w.root.join(k);
                f.starts_with(&full)
                    && f != full
                    && !matches!(snap[k], crate::harness::Entry::Dir { .. })
            });
            prop_assert!(holds_user_file, "{} left behind", full.display());
        }
    }
    for (rel, entry) in &snap {
        if let crate::harness::Entry::File { bytes, .. } = entry {
            let full = w.root.join(rel);
            if full.starts_with(w.home.join(".codeloop")) {
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            let stray = text.contains("cl_live_") && !text.contains(USER_KEY);
            prop_assert!(!stray, "a key left in {}:\n{}", full.display(), text);
        }
    }
    Ok(())
}

fn run_history(steps: &[Step]) -> Result<(), TestCaseError> {
    let mut w = World::new();
    for step in steps {
        match step {
            Step::Init {
                targets,
                key_b,
                global,
                project,
            } => {
                let key = if *key_b { KEY2 } else { KEY };
                let only = targets.join(",");
                let mut args = vec!["init", "--yes", "--only", only.as_str()];
                if *global {
                    args.push("--global");
                }
                let (code, out) = w.run(*project, key, &args);
                prop_assert_eq!(code, 0, "{:?} failed:\n{}", step, out);
                let before = snapshot(&w.root);
                let (code, out) = w.run(*project, key, &args);
                prop_assert_eq!(code, 0, "second {:?} failed:\n{}", step, out);
                prop_assert!(
                    out.contains("nothing to change"),
                    "second {:?} changed something:\n{}",
                    step,
                    out
                );
                prop_assert_eq!(&before, &snapshot(&w.root), "second {:?} wrote", step);
                let mut doctor = vec!["doctor", "--json"];
                if *global {
                    doctor.push("--global");
                }
                let (_, out) = w.run(*project, key, &doctor);
                let doc: Value = serde_json::from_str(&out)
                    .map_err(|e| TestCaseError::fail(format!("doctor --json: {e}\n{out}")))?;
                for t in targets {
                    let state = doc["targets"]
                        .as_array()
                        .and_then(|a| a.iter().find(|x| x["name"] == *t))
                        .map(|x| x["state"].as_str().unwrap_or("").to_owned())
                        .unwrap_or_default();
                    let healthy = ["configured", "customised", "disabled"];
                    prop_assert!(
                        healthy.contains(&state.as_str()),
                        "after {:?}, doctor calls {} {}:\n{}",
                        step,
                        t,
                        state,
                        out
                    );
                }
            }
            Step::OwnServer(i) => {
                let (path, entry) = json_files(&w.root)[*i].clone();
                let text = if path.is_file() {
                    read(&path)
                } else {
                    String::new()
                };
                let mut value: Value = if text.trim().is_empty() {
                    json!({})
                } else {
                    parse_jsonc(&text)
                };
                let server = json!({"command": "my-server", "args": ["--port", "9"]});
                value[&entry[0]]["mine"] = server.clone();
                // Directories the write makes are the user's; existing ones stay whose
                // they were.
                let made: Vec<PathBuf> = path
                    .ancestors()
                    .skip(1)
                    .take_while(|d| !d.exists())
                    .map(Path::to_path_buf)
                    .collect();
                write(&path, serde_json::to_string_pretty(&value).unwrap() + "\n");
                let model = w.model.json.entry(path.clone()).or_default();
                let m = model.get_or_insert_with(|| json!({}));
                m[&entry[0]]["mine"] = server;
                w.model.edited.insert(path.clone());
                w.model.dirs.extend(made);
            }
            Step::Customise(i) => {
                let (path, entry) = json_files(&w.root)[*i].clone();
                if !path.is_file() {
                    continue;
                }
                let mut value = parse_jsonc(&read(&path));
                let Some(e) = entry
                    .iter()
                    .try_fold(&mut value, |v, k| v.get_mut(k.as_str()))
                else {
                    continue;
                };
                e["timeout"] = json!(60000);
                write(&path, serde_json::to_string_pretty(&value).unwrap() + "\n");
                w.model.edited.insert(path.clone());
                // Only a user's own entry keeps the field; codeloop's entry goes whole.
                if let Some(m) = w.model.json.get_mut(&path).and_then(Option::as_mut)
                    && let Some(e) = entry.iter().try_fold(m, |v, k| v.get_mut(k.as_str()))
                {
                    e["timeout"] = json!(60000);
                }
            }
            Step::OwnPermission(i) => {
                let path = w.project(*i).join(".claude/settings.local.json");
                let mut value: Value = if path.is_file() {
                    parse_jsonc(&read(&path))
                } else {
                    json!({})
                };
                let allow = value["permissions"]["allow"].take();
                let mut items: Vec<Value> = allow.as_array().cloned().unwrap_or_default();
                items.push(json!("Bash(ls)"));
                value["permissions"]["allow"] = Value::Array(items);
                write(&path, serde_json::to_string_pretty(&value).unwrap() + "\n");
                w.model.permissions[*i].push("Bash(ls)".into());
                w.model.edited.insert(path.clone());
                w.model.dirs.insert(path.parent().unwrap().to_path_buf());
            }
            Step::Delete(i) => {
                let (path, _) = json_files(&w.root)[*i].clone();
                if path.is_file() {
                    std::fs::remove_file(&path).unwrap();
                }
                w.model.json.insert(path.clone(), None);
                w.model.edited.insert(path);
            }
            Step::EmptyDir(i) => {
                let dir = dirs(&w.root)[*i].clone();
                if !dir.exists() {
                    std::fs::create_dir_all(&dir).unwrap();
                    w.model.dirs.insert(dir);
                }
            }
            Step::Append(i) => {
                let path = line_files(&w.root)[*i].clone();
                let real = if path.is_file() {
                    read(&path)
                } else {
                    String::new()
                };
                let line = if path.extension().is_some_and(|e| e == "toml") {
                    // A new table each time: the same one twice would be invalid.
                    let n = real.matches("[profiles.").count();
                    format!("\n[profiles.fast{n}]\nmodel = \"o4-mini\"\n")
                } else {
                    "alias ll='ls -l'\n".to_owned()
                };
                let line = line.as_str();
                let made: Vec<PathBuf> = path
                    .ancestors()
                    .skip(1)
                    .take_while(|d| !d.exists())
                    .map(Path::to_path_buf)
                    .collect();
                let sep = if real.is_empty() || real.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                write(&path, format!("{real}{sep}{line}"));
                let model = w.model.text.entry(path.clone()).or_default();
                let m = model.get_or_insert_with(String::new);
                let msep = if m.is_empty() || m.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                m.push_str(msep);
                m.push_str(line);
                w.model.edited.insert(path.clone());
                w.model.dirs.extend(made);
            }
            Step::Uninstall { reach, project } => {
                let mut args = vec!["uninstall", "--yes"];
                match reach {
                    Reach::Project => {}
                    Reach::Global => args.push("--global"),
                    Reach::All => args.push("--all"),
                }
                let (code, out) = w.run(*project, KEY, &args);
                prop_assert_eq!(code, 0, "{:?} failed:\n{}", step, out);
                // A directory that stays and that codeloop no longer records anything
                // in (no file of its record under it, not a leftover it will remove
                // once empty) holds only the user's now: theirs to keep or delete.
                let record: Value = std::fs::read_to_string(w.home.join(".codeloop/state.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(Value::Null);
                let recorded: Vec<PathBuf> = record["files"]
                    .as_object()
                    .map(|m| m.keys().map(PathBuf::from).collect())
                    .unwrap_or_default();
                let leftover: Vec<PathBuf> = record["leftoverDirs"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(PathBuf::from)
                            .collect()
                    })
                    .unwrap_or_default();
                for (rel, entry) in &snapshot(&w.root) {
                    let full = w.root.join(rel);
                    if matches!(entry, crate::harness::Entry::Dir { .. })
                        && !full.starts_with(w.home.join(".codeloop"))
                        && !recorded.iter().any(|f| f.starts_with(&full))
                        && !leftover.contains(&full)
                    {
                        w.model.dirs.insert(full);
                    }
                }
            }
        }
        check_user_content(&w)?;
    }
    let (code, out) = w.run(0, KEY, &["uninstall", "--yes", "--all"]);
    prop_assert_eq!(code, 0, "uninstall --all failed:\n{}", out);
    check_user_content(&w)?;
    check_after_full_uninstall(&w)
}

#[test]
#[allow(clippy::disallowed_methods)] // the case count is the test's own knob
fn random_histories_keep_every_promise() {
    let cases = std::env::var("HISTORY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(step(), 1..14), |steps| {
        run_history(&steps)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Histories the random runs once found broken, kept as regressions.
#[test]
fn histories_that_once_failed() {
    let init = |targets: &[&'static str], global: bool, project: usize| Step::Init {
        targets: targets.to_vec(),
        key_b: false,
        global,
        project,
    };
    let histories = vec![
        // Two projects' entries share `projects` in ~/.claude.json, which the first
        // created: the last to go takes it along.
        vec![
            init(&["claude-code"], false, 1),
            init(&["claude-code"], false, 0),
            Step::OwnServer(4),
        ],
        // A directory codeloop made, that the user wrote into and emptied again.
        vec![
            init(&["vscode"], false, 0),
            Step::OwnServer(7),
            Step::Delete(7),
        ],
        // A file the user deleted and codeloop made again, in a directory it made.
        vec![
            init(&["gemini"], true, 0),
            Step::Delete(1),
            init(&["gemini"], true, 0),
        ],
        // Directories shared by files removed in different runs.
        vec![
            init(&["fish"], false, 0),
            init(&["vscode"], true, 0),
            Step::Uninstall {
                reach: Reach::Project,
                project: 0,
            },
        ],
        vec![init(&["cursor"], true, 0), Step::Delete(0)],
        // The user's server keeps the file through `uninstall --all`; the directory
        // codeloop once made is theirs from then on, and stays when they delete it.
        vec![
            init(&["cursor"], false, 0),
            Step::OwnServer(5),
            Step::Uninstall {
                reach: Reach::All,
                project: 0,
            },
            Step::Delete(5),
        ],
        // ~/.claude.json deleted, then made again for another project: the first
        // project's entry went with the old file, so the last uninstall deletes it
        // (it was left as an empty file).
        vec![
            init(&["claude-code"], false, 0),
            Step::Delete(4),
            init(&["claude-code"], false, 1),
            Step::Uninstall {
                reach: Reach::Project,
                project: 1,
            },
        ],
    ];
    for steps in histories {
        if let Err(e) = run_history(&steps) {
            panic!("{steps:?}: {e}");
        }
    }
}
