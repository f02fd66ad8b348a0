//! `apply` against real files: re-planning when another program wrote the file after
//! the preview, modes, owners, read-only files and symlinks.
//!
//! The one module that builds codeloop's internal `Plan` and calls `apply::apply`
//! directly — a change between preview and write cannot be timed from outside the
//! process. When the planner's types move (the client registry), only the three
//! helpers below change.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use codeloop::apply::{self, Outcome, RecordNotes};
use codeloop::paths::Paths;
use codeloop::plan::{self, Options, Plan, Project};
use codeloop::record::Record;
use codeloop::sys::user_env::MemoryUserEnv;

use codeloop::target::Target;

use crate::harness::{Sandbox, mode, write};

const KEY: &str = "cl_live_applytest01";

/// The kept original of a file named `name`, under `~/.codeloop/backups`.
fn backup_of(s: &Sandbox, name: &str) -> PathBuf {
    let dir = s.home.join(".codeloop/backups");
    fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(&format!("-{name}")))
        .unwrap_or_else(|| panic!("no kept original of {name} in {}", dir.display()))
}

fn paths(s: &Sandbox) -> Paths {
    Paths::resolve(&s.sys(), &s.home, &s.project)
}

/// The plan `init --only TARGET` would preview, with [`KEY`].
fn plan_for(s: &Sandbox, target: &str) -> Plan {
    let target = Target::from_name(target).unwrap_or_else(|| panic!("no target {target}"));
    let project = Project {
        claude_key: s.project.to_string_lossy().into_owned(),
        in_git: false,
        git_top: None,
    };
    Plan {
        targets: vec![plan::target(
            &paths(s),
            &project,
            target,
            KEY,
            &Options::default(),
            &Record::default(),
        )],
        ..Plan::default()
    }
}

#[test]
fn a_file_changed_after_the_preview_is_planned_again_not_overwritten() {
    let sb = Sandbox::new();
    let claude_json = sb.home.join(".claude.json");
    write(&claude_json, "{\n  \"numStartups\": 1\n}\n");
    let plan = plan_for(&sb, "claude-code");

    // A running Claude Code session rewrites the file between preview and apply.
    write(
        &claude_json,
        "{\n  \"numStartups\": 2,\n  \"tipsHistory\": {\"x\": 1}\n}\n",
    );
    let written = apply::apply(
        &plan,
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap();

    let text = fs::read_to_string(&claude_json).unwrap();
    assert!(
        text.starts_with(
            "{\n  \"numStartups\": 2,\n  \"tipsHistory\": {\"x\": 1},\n  \"projects\": {"
        ),
        "{text}"
    );
    assert!(text.contains(KEY));
    assert!(
        matches!(written[0].outcome, Outcome::Replanned { .. }),
        "{written:?}"
    );
}

#[test]
fn a_change_someone_else_already_made_is_not_written_again() {
    let sb = Sandbox::new();
    let mcp = sb.project.join(".cursor/mcp.json");
    let plan = plan_for(&sb, "cursor");
    let done = plan.targets[0].edits[0].after.clone().unwrap();
    write(&mcp, &done);
    let written = apply::apply(
        &plan,
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap();
    assert_eq!(written[0].outcome, Outcome::AlreadyDone);
}

#[test]
fn a_file_that_became_invalid_after_the_preview_is_left_alone() {
    let sb = Sandbox::new();
    let mcp = sb.project.join(".cursor/mcp.json");
    write(&mcp, "{}\n");
    let plan = plan_for(&sb, "cursor");
    write(&mcp, "{ half-written");
    let err = apply::apply(
        &plan,
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap_err();
    assert!(
        err.message.contains("changed on disk since the preview"),
        "{}",
        err.message
    );
    assert_eq!(fs::read_to_string(&mcp).unwrap(), "{ half-written");
}

#[test]
fn new_key_files_are_private_and_existing_files_keep_their_mode() {
    let sb = Sandbox::new();
    let plan = plan_for(&sb, "claude-code");
    apply::apply(
        &plan,
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap();
    assert_eq!(mode(&sb.home.join(".claude.json")), 0o600);
    assert_eq!(mode(&sb.project.join(".claude/settings.local.json")), 0o644);
    assert_eq!(mode(&sb.home.join(".codeloop")), 0o700);

    let sb = Sandbox::new();
    let mcp = sb.project.join(".cursor/mcp.json");
    write(&mcp, "{}\n");
    fs::set_permissions(&mcp, fs::Permissions::from_mode(0o640)).unwrap();
    apply::apply(
        &plan_for(&sb, "cursor"),
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap();
    assert_eq!(mode(&mcp), 0o640);
    // The original is kept privately, outside the project (it may hold a key).
    assert!(!sb.project.join(".cursor/mcp.json.codeloop.bak").exists());
    assert_eq!(mode(&backup_of(&sb, "mcp.json")), 0o600);
    assert_eq!(mode(&sb.home.join(".codeloop/backups")), 0o700);
}

#[test]
fn a_read_only_file_is_refused_and_untouched() {
    let sb = Sandbox::new();
    let mcp = sb.project.join(".cursor/mcp.json");
    write(&mcp, "{}\n");
    fs::set_permissions(&mcp, fs::Permissions::from_mode(0o444)).unwrap();
    let err = apply::apply(
        &plan_for(&sb, "cursor"),
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap_err();
    assert!(err.message.contains("read-only"), "{}", err.message);
    assert_eq!(fs::read_to_string(&mcp).unwrap(), "{}\n");
}

#[test]
fn a_symlinked_config_stays_a_link_and_its_target_is_updated() {
    let sb = Sandbox::new();
    let dotfiles = sb.home.join("dotfiles/cursor-mcp.json");
    write(&dotfiles, "{\n  \"mcpServers\": {}\n}\n");
    let link = sb.project.join(".cursor/mcp.json");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&dotfiles, &link).unwrap();

    apply::apply(
        &plan_for(&sb, "cursor"),
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap();

    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&dotfiles).unwrap().contains(KEY));
    assert_eq!(
        fs::read_to_string(backup_of(&sb, "mcp.json")).unwrap(),
        "{\n  \"mcpServers\": {}\n}\n"
    );
    // No temp files left beside either path.
    for dir in [dotfiles.parent().unwrap(), link.parent().unwrap()] {
        let names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }
}

#[test]
fn the_original_is_kept_once_and_dropped_when_someone_else_changes_the_file() {
    let sb = Sandbox::new();
    let mcp = sb.project.join(".cursor/mcp.json");
    write(&mcp, "{\"first\": 1}\n");
    apply::apply(
        &plan_for(&sb, "cursor"),
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap();
    write(&mcp, "{\"second\": 2}\n");
    apply::apply(
        &plan_for(&sb, "cursor"),
        &paths(&sb),
        &mut MemoryUserEnv::default(),
        &RecordNotes::default(),
    )
    .unwrap();
    // Putting `first` back would now lose the user's `second`: the copy goes, and
    // uninstall undoes codeloop's entry instead.
    let kept: Vec<_> = fs::read_dir(sb.home.join(".codeloop/backups"))
        .unwrap()
        .collect();
    assert!(kept.is_empty(), "{kept:?}");
}

#[test]
fn the_original_is_kept_once_across_codeloop_writes() {
    let sb = Sandbox::new();
    let mcp = sb.project.join(".cursor/mcp.json");
    write(&mcp, "{\"first\": 1}\n");
    for _ in 0..2 {
        apply::apply(
            &plan_for(&sb, "cursor"),
            &paths(&sb),
            &mut MemoryUserEnv::default(),
            &RecordNotes::default(),
        )
        .unwrap();
    }
    assert_eq!(
        fs::read_to_string(backup_of(&sb, "mcp.json")).unwrap(),
        "{\"first\": 1}\n"
    );
}
