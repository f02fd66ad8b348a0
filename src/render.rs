//! Turns a plan into what a person reads: unified diffs of exactly the text `apply`
//! will write, with every key masked unless `--show-secrets`. Colour is emitted
//! always and stripped by anstream when the output is not a terminal or `NO_COLOR`
//! is set. Nothing here reads or writes files.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use crate::auth::Notice;
use crate::plan::{EnvEdit, FileEdit, Plan, Status, user_env};
use crate::secret::mask_secrets;

const CONTEXT: usize = 3;

pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const RED: Style = AnsiColor::Red.on_default();
pub const GREEN: Style = AnsiColor::Green.on_default();
pub const CYAN: Style = AnsiColor::Cyan.on_default();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();

pub fn preview(plan: &Plan, out: &mut dyn Write, show_secrets: bool) -> io::Result<()> {
    preview_with(plan, out, show_secrets, false)
}

/// `undo`: the plan removes codeloop's edits (`uninstall`), which changes the wording.
pub fn preview_with(
    plan: &Plan,
    out: &mut dyn Write,
    show_secrets: bool,
    undo: bool,
) -> io::Result<()> {
    // A reverse plan covers every target; only what it removes is worth a line.
    let shown = |s: Status| !undo || s != Status::Unchanged;
    if let Some(guard) = plan.guard.as_ref().filter(|g| shown(g.status())) {
        edit(out, "git-ignore", guard, show_secrets, undo)?;
    }
    for t in &plan.targets {
        for e in t.edits.iter().filter(|e| shown(e.status())) {
            edit(out, t.target.name(), e, show_secrets, undo)?;
        }
        for e in t.env_edits.iter().filter(|e| shown(e.status())) {
            env_edit(out, t.target.name(), e, show_secrets, undo)?;
        }
    }
    Ok(())
}

/// The preview's word for a status; `created` names a creation ("will set" a value).
fn status_word(status: Status, undo: bool, created: &'static str) -> &'static str {
    match status {
        Status::Unchanged if undo => "nothing to remove",
        Status::Unchanged => "already configured",
        Status::Changed => "will change",
        Status::Created => created,
        Status::Deleted => "will delete",
    }
}

/// `HKCU\Environment  CODELOOP_API_KEY: (unset) -> cl_live_ab…yz`, diff-like.
fn env_edit(
    out: &mut dyn Write,
    label: &str,
    e: &EnvEdit,
    show_secrets: bool,
    undo: bool,
) -> io::Result<()> {
    let status = status_word(e.status(), undo, "will set");
    writeln!(
        out,
        "{BOLD}{label}{BOLD:#}: {} {DIM}({status}){DIM:#}",
        user_env::LOCATION
    )?;
    if let Some(after) = &e.after {
        let before = e.before.as_deref().unwrap_or("(unset)");
        let after = if e.delete { "(unset)" } else { after.as_str() };
        let line = format!("  {}: {before} -> {after}", e.name);
        let line = if show_secrets {
            line
        } else {
            mask_secrets(&line).into_owned()
        };
        writeln!(out, "{GREEN}{line}{GREEN:#}")?;
    }
    Ok(())
}

fn edit(
    out: &mut dyn Write,
    label: &str,
    e: &FileEdit,
    show_secrets: bool,
    undo: bool,
) -> io::Result<()> {
    let status = status_word(e.status(), undo, "will create");
    writeln!(
        out,
        "{BOLD}{label}{BOLD:#}: {} {DIM}({status}){DIM:#}",
        e.display
    )?;
    if let Some(after) = &e.after {
        let mut diff = unified(e.before.as_deref(), after, &e.display);
        if e.remove_file {
            diff = diff.replacen(&format!("\n+++ {}\n", e.display), "\n+++ /dev/null\n", 1);
        }
        let diff = if show_secrets {
            diff
        } else {
            mask_secrets(&diff).into_owned()
        };
        for line in diff.lines() {
            let style = match line.as_bytes().first() {
                _ if line.starts_with("+++") || line.starts_with("---") => BOLD,
                Some(b'+') => GREEN,
                Some(b'-') => RED,
                Some(b'@') => CYAN,
                _ => Style::new(),
            };
            writeln!(out, "{style}{line}{style:#}")?;
        }
    }
    Ok(())
}

/// Words a notice of the key chain: what to do goes to `out` (the sign-in page),
/// warnings to `err`. Keys never appear (a notice holds none).
pub fn notice(n: &Notice<'_>, out: &mut dyn Write, err: &mut dyn Write) {
    let _ = match n {
        Notice::SignInPage { url, timeout } => writeln!(
            out,
            "to sign in, open this page in a browser on this computer (opening it for you now):\n\n  {url}\n\nwaiting up to {} second{} for the sign-in to finish…",
            timeout.as_secs(),
            if timeout.as_secs() == 1 { "" } else { "s" }
        )
        .and_then(|()| out.flush()),
        Notice::BrowserNotOpened(e) => writeln!(
            out,
            "could not open a browser ({e}); open the page above yourself"
        ),
        Notice::LooseFile { shown, path, mode } => writeln!(
            err,
            "{YELLOW}warning:{YELLOW:#} {shown} has mode {mode:04o}, so other users may read your secret; codeloop makes it 0600 when it saves one (or run `chmod 600 {}`)",
            path.display()
        ),
        Notice::NotAKey { err: e, tries_left } => {
            let left = if *tries_left == 1 {
                "1 try".to_owned()
            } else {
                format!("{tries_left} tries")
            };
            writeln!(
                err,
                "{YELLOW}that {e}{YELLOW:#}; paste it again ({left} left)"
            )
        }
    };
}

/// `a`, `a or b`, `a, b or c` (with `conjunction` "or"; "and" the same way).
pub fn listed(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// One line per file (and `HKCU\Environment` value) of the plan, for reading at a
/// glance right above the question: the target, the path as the diffs name it
/// (`~/…` in the home, project-relative inside the project), what happens to it, and
/// the lines added and removed (`+n −m`, counted from the same diff the preview
/// shows; "refused" for a target with an error, which is not written). Unchanged
/// files are listed in a forward plan (they say "already
/// configured"); a reverse plan (`undo`) lists only what it removes.
pub fn summary_table(plan: &Plan, undo: bool) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let shown = |s: Status| !undo || s != Status::Unchanged;
    let mut file = |label: &str, e: &FileEdit, refused: bool| {
        if !shown(e.status()) {
            return;
        }
        let word = match e.status() {
            // A target with an error is not written (its error says why).
            _ if refused => "refused",
            Status::Unchanged => "unchanged",
            Status::Changed => "updated",
            Status::Created => "created",
            Status::Deleted => "deleted",
        };
        let counts = match &e.after {
            Some(after) => {
                let diff = unified(
                    e.before.as_deref(),
                    if e.remove_file { "" } else { after },
                    "",
                );
                let (mut add, mut del) = (0, 0);
                for line in diff.lines().skip(3) {
                    match line.as_bytes().first() {
                        Some(b'+') => add += 1,
                        Some(b'-') => del += 1,
                        _ => {}
                    }
                }
                format!("+{add} \u{2212}{del}")
            }
            None => String::new(),
        };
        rows.push([label.to_owned(), e.display.clone(), word.to_owned(), counts]);
    };
    if let Some(guard) = &plan.guard {
        file("git-ignore", guard, false);
    }
    for t in &plan.targets {
        for e in &t.edits {
            file(t.target.name(), e, !t.errors.is_empty());
        }
    }
    for t in &plan.targets {
        for e in t.env_edits.iter().filter(|e| shown(e.status())) {
            let word = match e.status() {
                Status::Unchanged => "unchanged",
                Status::Created => "set",
                Status::Changed => "updated",
                Status::Deleted => "removed",
            };
            rows.push([
                t.target.name().to_owned(),
                format!("{}\\{}", user_env::LOCATION, e.name),
                word.to_owned(),
                String::new(),
            ]);
        }
    }
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut text = String::new();
    for [target, path, word, counts] in &rows {
        let line = format!("  {target:w0$}  {path:w1$}  {word:w2$}  {counts}");
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// A spinner on stderr while a long step runs, only when stderr is a terminal (never
/// on a pipe or in a log). Stops and clears its line when dropped.
pub struct Spinner {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    pub fn start(on_terminal: bool, message: &'static str) -> Spinner {
        if !on_terminal {
            return Spinner {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            // Quick steps finish before the first frame and never flash a spinner.
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut shown = false;
            for frame in frames.iter().cycle() {
                match stopped.recv_timeout(std::time::Duration::from_millis(150)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        eprint!("\r{frame} {message}…");
                        shown = true;
                    }
                    _ => break,
                }
            }
            if shown {
                eprint!("\r\x1b[2K");
            }
        });
        Spinner {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A unified diff of `before` → `after`. Only the changed window (plus context) is
/// handed to the diff algorithm, so a one-entry edit of a 50 MB file costs a memcmp.
pub fn unified(before: Option<&str>, after: &str, name: &str) -> String {
    let old = before.unwrap_or("");
    let (start, mut old_end, mut new_end) = changed_window(old, after);
    // Cut the common suffix at a line start, so both windows end on the same lines.
    let at_line_start = |t: &str, e: usize| e == 0 || t.as_bytes()[e - 1] == b'\n';
    if !(at_line_start(old, old_end) && at_line_start(after, new_end)) {
        let suffix = &old[old_end..];
        let advance = suffix.find('\n').map_or(suffix.len(), |i| i + 1);
        old_end += advance;
        new_end += advance;
    }
    // Widen to whole lines plus context.
    let (ws, skipped_lines) = back_lines(old, start, CONTEXT);
    let old_win_end = forward_lines(old, old_end, CONTEXT);
    let new_win_end = forward_lines(after, new_end, CONTEXT);
    let old_win = &old[ws..old_win_end];
    let new_win = &after[ws..new_win_end];
    let diff = TextDiff::from_lines(old_win, new_win);
    let mut body = String::new();
    let (mut old_count, mut new_count) = (0, 0);
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Equal => {
                old_count += 1;
                new_count += 1;
                ' '
            }
            ChangeTag::Delete => {
                old_count += 1;
                '-'
            }
            ChangeTag::Insert => {
                new_count += 1;
                '+'
            }
        };
        body.push(sign);
        let text = change.value();
        let line = text.strip_suffix('\n').unwrap_or(text);
        body.push_str(line.strip_suffix('\r').unwrap_or(line));
        body.push('\n');
        if !text.ends_with('\n') {
            body.push_str("\\ No newline at end of file\n");
        }
    }
    let first = skipped_lines + 1;
    let range = |count: usize| {
        if count == 0 {
            format!("{},0", first - 1)
        } else {
            format!("{first},{count}")
        }
    };
    let from = if before.is_some() { name } else { "/dev/null" };
    format!(
        "--- {from}\n+++ {name}\n@@ -{} +{} @@\n{body}",
        range(old_count),
        range(new_count)
    )
}

/// Byte offsets: where `a` and `b` start to differ, and where each one's differing
/// part ends (the common suffix is cut).
fn changed_window(a: &str, b: &str) -> (usize, usize, usize) {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let mut start = common_prefix(ab, bb);
    while !a.is_char_boundary(start) || !b.is_char_boundary(start) {
        start -= 1;
    }
    let max_suffix = ab.len().min(bb.len()) - start;
    let mut suffix = common_suffix(&ab[start..], &bb[start..]).min(max_suffix);
    while !a.is_char_boundary(ab.len() - suffix) || !b.is_char_boundary(bb.len() - suffix) {
        suffix -= 1;
    }
    (start, ab.len() - suffix, bb.len() - suffix)
}

/// Length of the common prefix, a block at a time (slice equality is a memcmp).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let n = a.len().min(b.len());
    let (ea, eb) = (a.len(), b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[ea - i - BLOCK..ea - i] == b[eb - i - BLOCK..eb - i] {
        i += BLOCK;
    }
    i + a[..ea - i]
        .iter()
        .rev()
        .zip(b[..eb - i].iter().rev())
        .take(n - i)
        .take_while(|(x, y)| x == y)
        .count()
}

/// Start of the line `n` lines above the one holding `offset`, and how many lines
/// precede that start.
fn back_lines(text: &str, offset: usize, n: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let mut start = memchr::memrchr(b'\n', &b[..offset]).map_or(0, |i| i + 1);
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = memchr::memrchr(b'\n', &b[..start - 1]).map_or(0, |i| i + 1);
    }
    let lines = memchr::memchr_iter(b'\n', &b[..start]).count();
    (start, lines)
}

/// The offset `n` lines below `offset`, which is a line start.
fn forward_lines(text: &str, offset: usize, n: usize) -> usize {
    let b = text.as_bytes();
    let mut end = offset;
    for _ in 0..n {
        if end >= b.len() {
            break;
        }
        end = memchr::memchr(b'\n', &b[end..]).map_or(b.len(), |i| end + i + 1);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_only_the_changed_window_with_true_line_numbers() {
        let before: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let after = before.replace("line 10\n", "line 10\nnew\n");
        let diff = unified(Some(&before), &after, "f");
        assert_eq!(
            diff,
            "--- f\n+++ f\n@@ -8,6 +8,7 @@\n line 8\n line 9\n line 10\n+new\n line 11\n line 12\n line 13\n"
        );
    }

    #[test]
    fn new_files_diff_from_dev_null() {
        let diff = unified(None, "{\n}\n", "x.json");
        assert_eq!(diff, "--- /dev/null\n+++ x.json\n@@ -0,0 +1,2 @@\n+{\n+}\n");
    }

    #[test]
    fn marks_a_missing_final_newline() {
        let diff = unified(Some("a\nb"), "a\nb\nc", "f");
        assert!(
            diff.contains(
                "-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n"
            ),
            "{diff}"
        );
    }
}
