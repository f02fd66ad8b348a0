//! The interactive path as a person sees it: `codeloop init` on a real terminal (tmux),
//! driven with send-keys and read back with capture-pane.

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::harness::*;

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
    /// Starts `command` in a detached 120x40 tmux session with its own server.
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
            "40",
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

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", self.session, "-S", "-200"])
            .stdout
    }

    /// Waits until the screen shows `text`; the screen on timeout.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "waited for {text:?}; the screen shows:\n{}",
                mask(&screen)
            );
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The command line tmux runs: the binary in a cleared environment on the sandbox.
fn command(s: &Sandbox) -> String {
    format!(
        "cd {project} && env -i HOME={home} PATH={bin} TERM=xterm-256color CODELOOP_API_KEY={KEY} {exe} init; echo EXITED $?; sleep 30",
        project = s.project.display(),
        home = s.home.display(),
        bin = s.bin.display(),
        exe = env!("CARGO_BIN_EXE_codeloop"),
    )
}

#[test]
fn a_person_picks_targets_reviews_the_diff_and_confirms() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    let Some(t) = Tmux::start(&command(&s)) else {
        return;
    };

    // The detected target is listed first and pre-selected; the rest follow.
    let screen = t.wait_for("Claude Code (not detected)");
    let cursor_line = screen
        .lines()
        .find(|l| l.contains("Cursor"))
        .unwrap_or_default()
        .to_owned();
    assert!(cursor_line.contains("[x]"), "{screen}");
    assert!(screen.contains("Claude Code (not detected)"), "{screen}");
    let cursor_row = screen.find("Cursor").unwrap();
    let claude_row = screen.find("Claude Code (not detected)").unwrap();
    assert!(cursor_row < claude_row, "detected first:\n{screen}");

    // Also pick Claude Code: down to it, space, enter.
    t.keys(&["Down", "Space", "Enter"]);
    let screen = t.wait_for("apply these changes?");
    assert!(screen.contains("+++ .cursor/mcp.json"), "{}", mask(&screen));
    assert!(screen.contains("~/.claude.json"), "{}", mask(&screen));
    assert!(
        screen.contains(KEY_MASKED) && !screen.contains(KEY),
        "the key is masked on screen"
    );

    t.keys(&["y", "Enter"]);
    let screen = t.wait_for("EXITED");
    assert!(screen.contains("EXITED 0"), "{}", mask(&screen));
    assert!(
        screen.contains("created .cursor/mcp.json"),
        "{}",
        mask(&screen)
    );
    assert!(screen.contains("next: reload Cursor"), "{}", mask(&screen));
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
    t.wait_for("(not detected)");
    t.keys(&["Enter"]);
    t.wait_for("apply these changes?");
    t.keys(&["n", "Enter"]);
    let screen = t.wait_for("EXITED");
    assert!(screen.contains("nothing was written"), "{}", mask(&screen));
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn ctrl_c_at_the_question_writes_nothing_and_exits_130() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    let before = s.snapshot();
    let Some(t) = Tmux::start(&command(&s)) else {
        return;
    };
    t.wait_for("(not detected)");
    t.keys(&["Enter"]);
    t.wait_for("apply these changes?");
    t.keys(&["C-c"]);
    let screen = t.wait_for("EXITED");
    assert!(
        screen.contains("cancelled; nothing was written"),
        "{}",
        mask(&screen)
    );
    assert!(screen.contains("EXITED 130"), "{}", mask(&screen));
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn ctrl_c_in_the_picker_and_esc_at_the_question_write_nothing() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.project_path(".cursor")).unwrap();
    let before = s.snapshot();
    let Some(t) = Tmux::start(&command(&s)) else {
        return;
    };
    t.wait_for("(not detected)");
    t.keys(&["C-c"]);
    let screen = t.wait_for("EXITED");
    assert!(
        screen.contains("cancelled; nothing was written"),
        "{}",
        mask(&screen)
    );
    assert!(screen.contains("EXITED 130"), "{}", mask(&screen));
    drop(t);

    let Some(t) = Tmux::start(&command(&s)) else {
        return;
    };
    t.wait_for("(not detected)");
    t.keys(&["Enter"]);
    t.wait_for("apply these changes?");
    t.keys(&["Escape"]);
    let screen = t.wait_for("EXITED");
    assert!(
        screen.contains("cancelled; nothing was written"),
        "{}",
        mask(&screen)
    );
    assert!(
        screen.contains("EXITED 0"),
        "Esc declines:\n{}",
        mask(&screen)
    );
    assert_unchanged(&before, &s.snapshot());
}
