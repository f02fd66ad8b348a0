//! The interactive path as a person sees it: `codeloop init` on a real terminal (tmux,
//! 120×40), driven with send-keys and read back with capture-pane. The screens a
//! person decides on are snapshots (`tests/it/snapshots/interactive@*.snap`), with the
//! sandbox's paths filtered.

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::harness::*;

const ROWS: usize = 40;

struct Tmux {
    /// The server's socket lives outside the sandbox, which tests snapshot.
    _dir: tempfile::TempDir,
    socket: String,
    session: &'static str,
    /// The tmux binary.
    program: std::path::PathBuf,
    /// Its HOME: the temp dir, never the real home.
    home: String,
}

impl Tmux {
    /// Starts `command` in a detached 120×40 tmux session with its own server.
    fn start(command: &str) -> Option<Tmux> {
        let program = require("tmux")?;
        let dir = tempfile::tempdir().unwrap();
        let t = Tmux {
            socket: dir.path().join("tmux.sock").to_string_lossy().into_owned(),
            home: dir.path().to_string_lossy().into_owned(),
            _dir: dir,
            program,
            session: "codeloop",
        };
        let rows = ROWS.to_string();
        let out = t.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            t.session,
            "-x",
            "120",
            "-y",
            &rows,
            command,
        ]);
        out.assert_code(0);
        Some(t)
    }

    /// `tmux -S <socket> ARGS`, with its own HOME.
    fn tmux(&self, args: &[&str]) -> Output {
        let mut all = vec!["-S", self.socket.as_str()];
        all.extend_from_slice(args);
        run_program(
            &self.program,
            &all,
            Path::new("/"),
            &[
                ("PATH".into(), SYSTEM_PATH.into()),
                ("HOME".into(), self.home.clone()),
            ],
        )
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session];
        args.extend_from_slice(keys);
        self.tmux(&args).assert_code(0);
    }

    /// Types `text` literally (no key names).
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", self.session, "-l", text])
            .assert_code(0);
    }

    /// What the terminal shows now: its 40 rows, no scrollback.
    fn visible(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", self.session])
            .stdout
    }

    /// The visible rows and the scrollback.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", self.session, "-S", "-500"])
            .stdout
    }

    /// Waits until the visible rows show `text`; those rows, or a panic with them.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.visible();
            if screen.contains(text) {
                // The prompt may still be drawing its last rows.
                sleep(Duration::from_millis(150));
                return self.visible();
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "waited for {text:?}; the screen shows:\n{}",
                mask(&screen)
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the run's end: the whole scrollback, and the exit code.
    fn wait_exit(&self) -> (String, i32) {
        self.wait_for("EXITED");
        let screen = self.screen();
        let code = screen
            .lines()
            .find_map(|l| l.strip_prefix("EXITED "))
            .and_then(|c| c.trim().parse().ok())
            .expect("an exit code");
        (screen, code)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The command line tmux runs: the binary in a cleared environment on the sandbox,
/// with `args` after `init` and `env` (`NAME=value` words) added.
fn command_with(s: &Sandbox, args: &str, env: &str) -> String {
    let key = s
        .key
        .as_deref()
        .map(|k| format!("CODELOOP_API_KEY={k}"))
        .unwrap_or_default();
    format!(
        "cd {project} && env -i HOME={home} PATH={bin} TERM=xterm-256color {key} {env} {exe} init {args}; echo EXITED $?; sleep 30",
        project = s.project.display(),
        home = s.home.display(),
        bin = s.bin.display(),
        exe = env!("CARGO_BIN_EXE_codeloop"),
    )
}

fn command(s: &Sandbox) -> String {
    command_with(s, "", "")
}

/// Snapshots a screen as `interactive@NAME` (`tests/it/snapshots/`): the trailing blank
/// rows cut, the key masked (it always is on screen; this guards the snapshot file),
/// the sandbox's paths named by the harness's filters.
fn snap_screen(s: &Sandbox, name: &str, screen: &str) {
    let text = mask(screen);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    let _settings = s.insta().bind_to_scope();
    insta::assert_snapshot!(
        format!("interactive@{name}"),
        lines[..end].join("\n") + "\n"
    );
}

/// Puts a real program of the host into the sandbox's bin dir (the only PATH here);
/// `None` when the host lacks it ([`require`]).
fn link_host_program(s: &Sandbox, name: &str) -> Option<()> {
    let program = require(name)?;
    std::os::unix::fs::symlink(program, s.bin.join(name)).unwrap();
    Some(())
}

#[test]
fn a_person_picks_targets_reviews_the_summary_and_confirms() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    for program in ["sh", "less"] {
        if link_host_program(&s, program).is_none() {
            return;
        }
    }
    let Some(t) = Tmux::start(&command(&s)) else {
        return;
    };

    // The detected target first and pre-selected with its evidence; the rest after
    // it, each saying it was not detected; the keys named.
    let picker = t.wait_for("esc to cancel");
    snap_screen(&s, "picker", &picker);
    let cursor = picker.lines().find(|l| l.contains("Cursor")).unwrap();
    assert!(cursor.contains("[x] Cursor — .cursor/ exists"), "{picker}");
    assert!(
        !picker.contains("──"),
        "no separator row to tick:\n{picker}"
    );
    let claude = picker.lines().find(|l| l.contains("Claude Code")).unwrap();
    assert!(
        claude.contains("[ ] Claude Code — not detected"),
        "{picker}"
    );
    assert!(
        picker.find("Cursor").unwrap() < picker.find("Claude Code").unwrap(),
        "{picker}"
    );
    assert!(
        !picker.contains("Windows"),
        "windows-env is not offered on Linux:\n{picker}"
    );

    // Also pick Claude Code, the next row: down, space, enter.
    t.keys(&["Down", "Space", "Enter"]);
    // Three new files' diffs are taller than 40 rows: the pager shows them first.
    t.wait_for("+++ .cursor/mcp.json");
    let echoed = t.screen();
    assert!(
        echoed.contains("> set up which? Cursor, Claude Code\n"),
        "the answer is echoed by name only:\n{echoed}"
    );
    t.keys(&["q"]);
    // On one 40-row screen: the summary right above the question.
    let question = t.wait_for("apply these changes?");
    snap_screen(&s, "summary-and-question", &question);
    assert!(question.contains("summary"), "{question}");
    assert!(
        question.contains("  cursor       .cursor/mcp.json             created  +14 −0\n"),
        "{question}"
    );
    assert!(
        question.contains("  claude-code  .claude/settings.local.json  created  +7 −0\n"),
        "{question}"
    );
    assert!(question.contains(KEY_MASKED) && !question.contains(KEY));

    t.keys(&["y", "Enter"]);
    let (screen, code) = t.wait_exit();
    assert_eq!(code, 0, "{}", mask(&screen));
    let end = &screen[screen.find("apply these changes?").unwrap()..];
    snap_screen(&s, "end-of-run", end);
    assert!(end.contains("created .cursor/mcp.json"), "{end}");
    assert!(end.contains("next: reload Cursor"), "{end}");
    assert!(
        end.contains(&format!("project: {}", s.project.display())),
        "{end}"
    );
    assert_eq!(
        read_jsonc(&s.project_path(".cursor/mcp.json"))["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
    assert!(s.home_path(".claude.json").is_file());
}

#[test]
fn declining_writes_nothing() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    let before = s.snapshot();
    let Some(t) = Tmux::start(&command(&s)) else {
        return;
    };
    t.wait_for("esc to cancel");
    t.keys(&["Enter"]);
    t.wait_for("apply these changes?");
    t.keys(&["n", "Enter"]);
    let (screen, code) = t.wait_exit();
    assert_eq!(code, 0);
    assert!(screen.contains("nothing was written"), "{}", mask(&screen));
    assert_unchanged(&before, &s.snapshot());
}

/// Ten targets' diffs are taller than the terminal: they go through the pager, and
/// once it is quit the summary and the question are what the screen shows.
#[test]
fn a_preview_taller_than_the_terminal_goes_through_the_pager() {
    let s = Sandbox::new();
    for program in ["sh", "less", "false"] {
        if link_host_program(&s, program).is_none() {
            return;
        }
    }
    let before = s.snapshot();
    let only =
        "--only cursor,claude-code,gemini,vscode,windsurf,claude-desktop,codex,zsh,bash,fish";
    let Some(t) = Tmux::start(&command_with(&s, only, "")) else {
        return;
    };
    // less (LESS=FRX) waits at its prompt with the first screen of diffs.
    let paged = t.wait_for("+++ .cursor/mcp.json");
    assert!(!paged.contains("apply these changes?"), "{paged}");
    t.keys(&["q"]);
    let question = t.wait_for("apply these changes?");
    snap_screen(&s, "question-after-the-pager", &question);
    // The summary table's rows all fit above the question.
    for row in [
        "cursor",
        "claude-code",
        "gemini",
        "vscode",
        "windsurf",
        "claude-desktop",
        "codex",
        "zsh",
        "bash",
        "fish",
    ] {
        assert!(
            question
                .lines()
                .any(|l| l.starts_with(&format!("  {row} "))),
            "{row} missing:\n{question}"
        );
    }
    // Ctrl-C at the question: nothing written, 130.
    t.keys(&["C-c"]);
    let (screen, code) = t.wait_exit();
    assert_eq!(code, 130, "{}", mask(&screen));
    assert!(screen.contains("cancelled; nothing was written"));
    assert_unchanged(&before, &s.snapshot());

    // --no-pager: the same run prints the diffs straight; so does a run whose PAGER is
    // no pager (`cat`, empty), is not there, or fails at once (`false` exits 1): the
    // question never comes after diffs nobody was shown.
    for (args, env) in [
        (format!("{only} --no-pager"), ""),
        (only.to_owned(), "PAGER=cat"),
        (only.to_owned(), "PAGER="),
        (only.to_owned(), "PAGER=false"),
        (only.to_owned(), "PAGER=/nonexistent/pager"),
    ] {
        let Some(t) = Tmux::start(&command_with(&s, &args, env)) else {
            return;
        };
        t.wait_for("apply these changes?");
        let screen = t.screen();
        assert!(screen.contains("+++ .cursor/mcp.json"), "{args} {env}");
        t.keys(&["n", "Enter"]);
        t.wait_exit();
    }
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn an_invalid_paste_is_asked_again_without_echo_then_the_key_is_used() {
    let s = Sandbox::without_key();
    let Some(t) = Tmux::start(&command_with(&s, "--only cursor", "")) else {
        return;
    };
    t.wait_for("how do you want to add one?");
    t.keys(&["Down", "Enter"]);
    t.wait_for("paste your CodeLoop API key");
    t.type_text("cl_live_SECRETBUTBAD!");
    t.keys(&["Enter"]);
    let retry = t.wait_for("(2 tries left)");
    assert!(!retry.contains("SECRETBUTBAD"), "{retry}");
    t.type_text(KEY);
    t.keys(&["Enter"]);
    let question = t.wait_for("apply these changes?");
    snap_screen(&s, "paste-again", &question);
    assert!(
        question.contains(&format!(
            "using the key you pasted ({KEY_MASKED}, saved to ~/.codeloop/config.json)"
        )),
        "{question}"
    );
    assert!(!question.contains(KEY) && !question.contains("SECRETBUTBAD"));
    t.keys(&["y", "Enter"]);
    let (screen, code) = t.wait_exit();
    assert_eq!(code, 0, "{}", mask(&screen));
    assert_eq!(
        read_jsonc(&s.project_path(".cursor/mcp.json"))["mcpServers"]["codeloop"],
        expected_entry(KEY)
    );
}

/// Ctrl-C ends the run with 130 at every prompt — the picker, how to add a key, the
/// paste, the question — and Esc declines (exit 0); nothing is written either way.
#[test]
fn ctrl_c_at_each_prompt_writes_nothing_and_exits_130() {
    let s = Sandbox::without_key();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    let before = s.snapshot();
    // The keys that reach each prompt, and the prompt's own text.
    let prompts: [(&str, &[&str], &str); 3] = [
        ("the picker", &[], "esc to cancel"),
        (
            "how to add a key",
            &["Enter"],
            "how do you want to add one?",
        ),
        (
            "the paste",
            &["Enter", "Down", "Enter"],
            "paste your CodeLoop API key",
        ),
    ];
    for (name, reach, shown) in prompts {
        let Some(t) = Tmux::start(&command(&s)) else {
            return;
        };
        t.wait_for("esc to cancel");
        for key in reach {
            t.keys(&[key]);
            sleep(Duration::from_millis(200));
        }
        t.wait_for(shown);
        t.keys(&["C-c"]);
        let (screen, code) = t.wait_exit();
        assert_eq!(code, 130, "at {name}:\n{}", mask(&screen));
        assert!(
            screen.contains("cancelled; nothing was written"),
            "at {name}:\n{}",
            mask(&screen)
        );
        assert_unchanged(&before, &s.snapshot());
    }

    // With a key: Ctrl-C at the question, then Esc at the question.
    let mut s = s;
    s.key = Some(KEY.to_owned());
    for (key, want) in [("C-c", 130), ("Escape", 0)] {
        let Some(t) = Tmux::start(&command(&s)) else {
            return;
        };
        t.wait_for("esc to cancel");
        t.keys(&["Enter"]);
        t.wait_for("apply these changes?");
        t.keys(&[key]);
        let (screen, code) = t.wait_exit();
        assert_eq!(code, want, "{key}:\n{}", mask(&screen));
        assert!(screen.contains("cancelled; nothing was written"));
        assert_unchanged(&before, &s.snapshot());
    }
}
