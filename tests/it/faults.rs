//! Fault injection and concurrency against the real binary on real files: a write cut
//! short by the file-size limit (`ulimit -f` in the child), a process killed in the
//! middle of writing, a full file system, a read-only directory, eight runs at once,
//! and another program rewriting `~/.claude.json` all along. Every target must end
//! fully old or fully new — never truncated — and the output must say which.
//!
//! The full-disk test mounts a small tmpfs when it may (root, as in CI here); without
//! mount rights the same failure (a write refused part-way) is produced with
//! `RLIMIT_FSIZE`, and the test says so. The read-only test uses a read-only bind
//! mount as root (root ignores permission bits) and `chmod a-w` otherwise.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::harness::*;
use serde_json::Value;

/// A `~/.claude.json` of about `kib` KiB: many projects with long histories.
fn big_claude_json(kib: usize) -> String {
    let mut projects = serde_json::Map::new();
    let mut i = 0;
    let mut size = 0;
    while size < kib * 1024 {
        let history: Vec<Value> = (0..20)
            .map(|j| serde_json::json!({"display": format!("fix the flaky test number {j} in module {i}"), "pastedContents": {}}))
            .collect();
        let project = serde_json::json!({
            "allowedTools": [],
            "history": history,
            "mcpServers": {},
            "hasTrustDialogAccepted": true,
        });
        size += project.to_string().len();
        projects.insert(format!("/home/u/src/project-{i}"), project);
        i += 1;
    }
    let doc = serde_json::json!({"numStartups": 42, "projects": projects, "userID": "abc"});
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

const CURSOR_BEFORE: &str =
    "{\n  // mine\n  \"mcpServers\": {\n    \"github\": {\"command\": \"gh\"}\n  }\n}\n";

/// Files under `root` whose name marks them as a codeloop temp file.
fn temp_files(root: &Path) -> Vec<PathBuf> {
    snapshot(root)
        .into_keys()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.contains(".codeloop-") && name.ends_with(".tmp")
        })
        .collect()
}

/// `after` is `before` plus the codeloop entry at `path`, nothing else changed.
fn assert_fully_new(before: &str, after: &str, path: &[&str], key: &str) {
    let value = parse_jsonc(after);
    let mut at = &value;
    for k in path {
        at = &at[*k];
    }
    assert_eq!(at, &expected_entry(key), "the entry is complete");
    assert_pure_insertion(before, after);
}

fn claude_path(s: &Sandbox) -> Vec<String> {
    vec![
        "projects".into(),
        s.project.to_string_lossy().into_owned(),
        "mcpServers".into(),
        "codeloop".into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Limit the child's file size to `kib` KiB. With `ignore` the signal is ignored, so
/// the write fails with EFBIG and codeloop reports it; without, SIGXFSZ kills it.
fn limit(kib: usize, ignore: bool) -> String {
    let trap = if ignore { "trap '' XFSZ; " } else { "" };
    format!("{trap}ulimit -f {kib}; exec \"$0\" \"$@\"")
}

#[test]
fn a_write_cut_short_by_the_size_limit_leaves_each_file_old_or_new_and_says_which() {
    // Once when the backup is the write that fails, once when the config itself is.
    for backup_exists in [false, true] {
        let s = Sandbox::new();
        let cursor = s.project_path(".cursor/mcp.json");
        let claude = s.home_path(".claude.json");
        let big = big_claude_json(300);
        write(&cursor, CURSOR_BEFORE);
        write(&claude, &big);
        if backup_exists {
            write(&s.home_path(".claude.json.codeloop.bak"), &big);
        }

        let out = s.run_in_bash(
            &limit(100, true),
            &["init", "--yes", "--only", "cursor,claude-code"],
        );

        out.assert_code(1);
        // The small file was written in full, the big one left exactly as it was,
        // the one after it not created; and the output says so.
        assert_fully_new(
            CURSOR_BEFORE,
            &read(&cursor),
            &["mcpServers", "codeloop"],
            KEY,
        );
        assert_eq!(read(&claude), big, "~/.claude.json is untouched");
        assert!(!s.project_path(".claude/settings.local.json").exists());
        out.stdout_has(".cursor/mcp.json");
        out.stderr_has("~/.claude.json");
        out.stderr_has("File too large");
        out.stderr_has("left as they were: ~/.claude.json, .claude/settings.local.json");
        assert!(temp_files(&s.root).is_empty(), "{:?}", temp_files(&s.root));

        // Without the limit the same command finishes the job.
        s.init_ok("cursor,claude-code");
        let path = claude_path(&s);
        assert_fully_new(&big, &read(&claude), &strs(&path), KEY);
    }
}

#[test]
fn a_run_killed_mid_write_leaves_the_original_and_the_next_run_cleans_up() {
    let s = Sandbox::new();
    let claude = s.home_path(".claude.json");
    let big = big_claude_json(300);
    write(&claude, &big);
    write(&s.home_path(".claude.json.codeloop.bak"), &big);

    // SIGXFSZ (default action: terminate) kills it while it writes the temp file.
    let out = s.run_in_bash(
        &limit(100, false),
        &["init", "--yes", "--only", "claude-code"],
    );
    assert_eq!(out.signal, Some(25), "killed by SIGXFSZ\n{}", out.masked());
    assert_eq!(read(&claude), big, "the original is intact");
    let strays = temp_files(&s.root);
    assert_eq!(
        strays.len(),
        1,
        "the killed run left its temp file: {strays:?}"
    );
    // It was holding Claude Code's lock, which stays until it is stale (10 s without an
    // mtime update, as proper-lockfile has it); pretend those seconds passed.
    let lock = s.home_path(".claude.json.lock");
    assert!(lock.is_dir(), "the killed run held Claude Code's lock");
    File::open(&lock)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(11))
        .unwrap();
    // A complete temp file of an older killed run, too: it must not be taken for config.
    let planted = s.home_path("..claude.json.codeloop-AbC123.tmp");
    write(&planted, "{\"projects\": {}, \"planted\": true}\n");

    let out = s.init_ok("claude-code");
    let path = claude_path(&s);
    let after = read(&claude);
    assert_fully_new(&big, &after, &strs(&path), KEY);
    assert!(!after.contains("planted"));
    assert!(!out.both().contains(".codeloop-"), "{}", out.masked());
    assert!(
        temp_files(&s.root).is_empty(),
        "stale temp files of ours are removed: {:?}",
        temp_files(&s.root)
    );
}

/// A tmpfs mounted on `dir` (root only), unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        let out = run_program(
            Path::new("mount"),
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                dir.to_str()?,
            ],
            Path::new("/"),
            &[("PATH".into(), SYSTEM_PATH.into())],
        );
        (out.code == Some(0)).then(|| Mount(dir.to_path_buf()))
    }

    fn read_only_bind(dir: &Path) -> Option<Mount> {
        let d = dir.to_str()?;
        let env = [("PATH".to_owned(), SYSTEM_PATH.to_owned())];
        let bind = run_program(Path::new("mount"), &["--bind", d, d], Path::new("/"), &env);
        if bind.code != Some(0) {
            return None;
        }
        let mount = Mount(dir.to_path_buf());
        let ro = run_program(
            Path::new("mount"),
            &["-o", "remount,bind,ro", d],
            Path::new("/"),
            &env,
        );
        (ro.code == Some(0)).then_some(mount)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        run_program(
            Path::new("umount"),
            &["-l", self.0.to_str().unwrap()],
            Path::new("/"),
            &[("PATH".into(), SYSTEM_PATH.into())],
        );
    }
}

#[test]
fn a_full_file_system_leaves_the_config_as_it_was_and_says_so() {
    let s = Sandbox::new();
    let dir = s.project_path(".cursor");
    fs::create_dir_all(&dir).unwrap();
    let mounted = Mount::tmpfs(&dir, "256k");
    let cursor = dir.join("mcp.json");
    write(&cursor, CURSOR_BEFORE);
    let out = if mounted.is_some() {
        // Fill it: the temp file (or the backup) cannot get a single block.
        let mut filler = File::create(dir.join("filler")).unwrap();
        let chunk = vec![b'x'; 4096];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.sync_all();
        s.run(&["init", "--yes", "--only", "cursor"])
    } else {
        eprintln!(
            "note: cannot mount a tmpfs here (not root); simulating the full disk with RLIMIT_FSIZE"
        );
        s.run_in_bash(&limit(0, true), &["init", "--yes", "--only", "cursor"])
    };
    out.assert_code(1);
    out.stderr_has(".cursor/mcp.json");
    out.stderr_has(if mounted.is_some() {
        "No space left on device"
    } else {
        "File too large"
    });
    out.stderr_has("left as they were: .cursor/mcp.json");
    assert_eq!(read(&cursor), CURSOR_BEFORE);
    assert!(temp_files(&s.root).is_empty());
    drop(mounted);
}

#[test]
fn a_read_only_directory_is_refused_with_a_clear_error_and_nothing_written() {
    let s = Sandbox::new();
    let dir = s.project_path(".cursor");
    let cursor = dir.join("mcp.json");
    write(&cursor, CURSOR_BEFORE);
    let mount = Mount::read_only_bind(&dir);
    if mount.is_none() {
        set_mode(&dir, 0o555);
    }
    let before = snapshot(&s.project);

    let out = s.run(&["init", "--yes", "--only", "cursor"]);

    if mount.is_none() {
        set_mode(&dir, 0o755);
    }
    drop(mount);
    out.assert_code(1);
    let error = out.stderr.lines().find(|l| l.contains("error:")).unwrap();
    assert!(error.contains(".cursor/mcp.json"), "{error}");
    assert!(
        error.contains("Read-only file system") || error.contains("Permission denied"),
        "{error}"
    );
    let message = error.split("error: ").nth(1).unwrap();
    assert!(
        message.starts_with(|c: char| c.is_lowercase() || c == '.'),
        "{message}"
    );
    assert_unchanged(&before, &snapshot(&s.project));
}

#[test]
fn eight_runs_at_once_end_with_one_entry_per_file_and_nothing_else_lost() {
    let s = Arc::new(Sandbox::new());
    let cursor = s.project_path(".cursor/mcp.json");
    let claude = s.home_path(".claude.json");
    let settings = s.project_path(".claude/settings.local.json");
    let claude_before = big_claude_json(200);
    let settings_before = "{\n  \"permissions\": {\n    \"allow\": [\"Bash(ls)\"]\n  }\n}\n";
    write(&cursor, CURSOR_BEFORE);
    write(&claude, &claude_before);
    write(&settings, settings_before);

    let runs: Vec<_> = (0..8)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || s.run(&["init", "--yes", "--only", "cursor,claude-code"]))
        })
        .collect();
    for run in runs {
        run.join().unwrap().assert_code(0);
    }

    assert_fully_new(
        CURSOR_BEFORE,
        &read(&cursor),
        &["mcpServers", "codeloop"],
        KEY,
    );
    let path = claude_path(&s);
    assert_fully_new(&claude_before, &read(&claude), &strs(&path), KEY);
    let settings_after = read(&settings);
    assert_pure_insertion(settings_before, &settings_after);
    assert_eq!(settings_after.matches("mcp__codeloop").count(), 1);
    // One kept original each, holding the original bytes, and one record entry.
    assert_eq!(
        s.kept_original(".claude.json").as_deref(),
        Some(claude_before.as_str())
    );
    assert_eq!(s.kept_original("mcp.json").as_deref(), Some(CURSOR_BEFORE));
    let record = s.record();
    for file in [&cursor, &claude, &settings] {
        let changes = &record["files"][file.to_str().unwrap()]["changes"];
        assert_eq!(changes.as_array().map(Vec::len), Some(1), "{record:#}");
    }
    assert!(temp_files(&s.root).is_empty());
}

/// Another program's read-modify-write of `~/.claude.json`, the way Claude Code does
/// it: under its `~/.claude.json.lock` directory lock, atomically renamed.
fn bump_counter(claude: &Path) {
    let lock = claude.with_file_name(".claude.json.lock");
    while fs::create_dir(&lock).is_err() {
        std::thread::sleep(Duration::from_micros(200));
    }
    let mut doc: Value = serde_json::from_str(&read(claude)).unwrap();
    let n = doc["writerCounter"].as_u64().unwrap_or(0);
    doc["writerCounter"] = Value::from(n + 1);
    let tmp = claude.with_file_name(".claude.json.writer.tmp");
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)
        .unwrap();
    f.write_all(serde_json::to_string_pretty(&doc).unwrap().as_bytes())
        .unwrap();
    drop(f);
    fs::rename(&tmp, claude).unwrap();
    fs::remove_dir(&lock).unwrap();
}

#[test]
fn a_program_rewriting_claude_json_all_along_loses_nothing_and_neither_does_codeloop() {
    let mut s = Sandbox::new();
    let claude = s.home_path(".claude.json");
    write(&claude, big_claude_json(100));

    let stop = Arc::new(AtomicBool::new(false));
    let bumps = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, bumps, claude) = (Arc::clone(&stop), Arc::clone(&bumps), claude.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                bump_counter(&claude);
                bumps.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // Alternate keys so every run really writes.
    for round in 0..6 {
        s.key = Some(if round % 2 == 0 { KEY2 } else { KEY }.to_owned());
        s.init_ok("claude-code");
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();

    let doc = read_jsonc(&claude);
    let bumps = bumps.load(Ordering::SeqCst);
    assert!(bumps > 0);
    assert_eq!(
        doc["writerCounter"],
        Value::from(bumps),
        "no write of the other program was lost"
    );
    let path = claude_path(&s);
    let mut at = &doc;
    for k in &path {
        at = &at[k.as_str()];
    }
    assert_eq!(at, &expected_entry(KEY), "codeloop's last write is there");
    assert_eq!(doc["numStartups"], Value::from(42));
    assert!(!claude.with_file_name(".claude.json.lock").exists());
}

/// SIGTERM while `init` writes (here: waiting for Claude Code's lock, which another
/// program holds) ends the run with 143 at once: the files written so far are in the
/// record, the rest untouched, no temp file is left, and the other program's lock is
/// not taken away.
#[test]
fn sigterm_during_apply_stops_cleanly_with_143_and_the_record_agrees() {
    let s = Sandbox::new();
    let claude = s.home_path(".claude.json");
    let cursor = s.project_path(".cursor/mcp.json");
    let claude_before = big_claude_json(16);
    write(&claude, &claude_before);
    write(&cursor, CURSOR_BEFORE);
    let foreign_lock = s.home_path(".claude.json.lock");
    std::fs::create_dir(&foreign_lock).unwrap();

    let child = s.spawn(&["init", "--yes", "--only", "cursor,claude-code"]);
    // Planning these small files takes milliseconds; then apply writes Cursor's file
    // and waits for the lock.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = child.id().to_string();
    run_program(Path::new("/bin/kill"), &["-TERM", &pid], &s.root, &[]).assert_code(0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    assert!(read(&cursor).contains("codeloop-mcp-server"));
    assert_eq!(read(&claude), claude_before, "not reached");
    let record = s.record();
    assert!(record["files"][cursor.to_str().unwrap()].is_object());
    assert!(record["files"][claude.to_str().unwrap()].is_null());
    assert!(temp_files(&s.root).is_empty());
    assert!(
        foreign_lock.is_dir(),
        "another program's lock is not ours to remove"
    );

    std::fs::remove_dir(&foreign_lock).unwrap();
    s.init_ok("cursor,claude-code");
    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_eq!(read(&claude), claude_before);
    assert_eq!(read(&cursor), CURSOR_BEFORE);
}

/// SIGTERM (what a launcher forwards, or a closing terminal sends) at any moment of a
/// run: it ends with 143 (or before codeloop catches signals), and whatever moment it
/// came, no temp file and no Claude Code lock is left, and the record agrees with
/// the files — so the next run and uninstall still give every byte back.
#[test]
fn sigterm_at_any_moment_leaves_no_temp_file_no_lock_and_a_record_that_agrees() {
    for delay_ms in [5, 15, 30, 60, 120] {
        let s = Sandbox::new();
        let claude = s.home_path(".claude.json");
        let cursor = s.project_path(".cursor/mcp.json");
        let claude_before = big_claude_json(256);
        write(&claude, &claude_before);
        write(&cursor, CURSOR_BEFORE);
        let child = s.spawn(&["init", "--yes", "--only", "cursor,claude-code,bash"]);
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let pid = child.id().to_string();
        let _ = run_program(Path::new("/bin/kill"), &["-TERM", &pid], &s.root, &[]);
        let out = child.wait_with_output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        let ended = (out.status.code(), out.status.signal());
        assert!(
            matches!(ended, (Some(0 | 143), None) | (None, Some(15))),
            "after {delay_ms} ms: {ended:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );

        assert!(temp_files(&s.root).is_empty(), "after {delay_ms} ms");
        assert!(
            !s.home_path(".claude.json.lock").exists(),
            "after {delay_ms} ms"
        );
        // The record lists exactly the files that hold codeloop's entry.
        let record = s.record();
        for file in [&claude, &cursor] {
            let holds = read(file).contains("codeloop-mcp-server");
            let recorded = record["files"][file.to_str().unwrap()].is_object();
            assert_eq!(holds, recorded, "{} after {delay_ms} ms", file.display());
        }
        // And from there, everything still works and comes back.
        s.init_ok("cursor,claude-code,bash");
        s.run(&["uninstall", "--yes"]).assert_code(0);
        assert_eq!(read(&claude), claude_before, "after {delay_ms} ms");
        assert_eq!(read(&cursor), CURSOR_BEFORE, "after {delay_ms} ms");
    }
}
