//! The only code that asks the OS about the world outside the files we edit: the
//! environment (snapshotted once), the home directory, PATH lookups, terminals,
//! prompts and child processes. Tests build a `Sys` with a sandboxed environment.
//! Nothing here writes files.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod user_env;

use user_env::UserEnv;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    pub fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Linux
        }
    }
}

/// Asks the person at the terminal. Only called when `Sys::interactive` is true.
pub trait Prompter {
    fn confirm(&mut self, question: &str, default: bool) -> io::Result<bool>;

    /// A multi-select over `options` with `selected` pre-checked; the chosen indices.
    fn select(
        &mut self,
        _question: &str,
        _options: &[String],
        selected: &[usize],
    ) -> io::Result<Vec<usize>> {
        Ok(selected.to_vec())
    }

    /// One of `options`; its index.
    fn choose(&mut self, _question: &str, _options: &[String]) -> io::Result<usize> {
        Err(no_answer())
    }

    /// A line of text (an email address).
    fn text(&mut self, _question: &str) -> io::Result<String> {
        Err(no_answer())
    }

    /// A secret (a password, an API key), typed without echo.
    fn password(&mut self, _question: &str) -> io::Result<String> {
        Err(no_answer())
    }
}

fn no_answer() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, "no answer: nobody to ask")
}

/// Prompts through inquire on the real terminal.
pub struct TerminalPrompter;

/// Ctrl-C at a prompt is `ErrorKind::Interrupted`; Esc is `ErrorKind::Other` carrying
/// this, so callers can tell "stop the run" (exit 130) from "no thanks".
#[derive(Debug, thiserror::Error)]
#[error("cancelled")]
pub struct Escaped;

/// Whether a prompt's error is the person pressing Esc.
pub fn is_escape(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Escaped>())
}

fn inquire_error(e: inquire::InquireError) -> io::Error {
    match e {
        inquire::InquireError::OperationInterrupted => {
            io::Error::new(io::ErrorKind::Interrupted, "cancelled")
        }
        inquire::InquireError::OperationCanceled => io::Error::other(Escaped),
        other => io::Error::other(other.to_string()),
    }
}

impl Prompter for TerminalPrompter {
    fn confirm(&mut self, question: &str, default: bool) -> io::Result<bool> {
        inquire::Confirm::new(question)
            .with_default(default)
            .prompt()
            .map_err(inquire_error)
    }

    fn select(
        &mut self,
        question: &str,
        options: &[String],
        selected: &[usize],
    ) -> io::Result<Vec<usize>> {
        // The answer is echoed by name only ("Cursor, zsh"), not with the evidence.
        let names = |opts: &[inquire::list_option::ListOption<&String>]| {
            opts.iter()
                .map(|o| o.value.split(" — ").next().unwrap_or(o.value).to_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let answer = inquire::MultiSelect::new(question, options.to_vec())
            .with_default(selected)
            .with_help_message(
                "↑↓ to move, space to select or clear, enter to confirm, esc to cancel",
            )
            .with_formatter(&names)
            // As many rows as the terminal has room for, so every target is in view.
            .with_page_size(
                crossterm::terminal::size()
                    .map_or(16, |(_, rows)| usize::from(rows).saturating_sub(6).max(7)),
            )
            .raw_prompt()
            .map_err(inquire_error)?;
        Ok(answer.into_iter().map(|o| o.index).collect())
    }

    fn choose(&mut self, question: &str, options: &[String]) -> io::Result<usize> {
        let answer = inquire::Select::new(question, options.to_vec())
            .raw_prompt()
            .map_err(inquire_error)?;
        Ok(answer.index)
    }

    fn text(&mut self, question: &str) -> io::Result<String> {
        inquire::Text::new(question).prompt().map_err(inquire_error)
    }

    fn password(&mut self, question: &str) -> io::Result<String> {
        inquire::Password::new(question)
            .with_display_mode(inquire::PasswordDisplayMode::Masked)
            .without_confirmation()
            .prompt()
            .map_err(inquire_error)
    }
}

pub struct Sys {
    env: BTreeMap<String, String>,
    pub os: Os,
    pub cwd: PathBuf,
    pub stdin_tty: bool,
    pub stdout_tty: bool,
    /// Spinners go to stderr, and only when it is a terminal.
    pub stderr_tty: bool,
    /// The terminal's height in rows when stdout is one (`None` on a pipe, a file,
    /// or in a test context): longer previews go through the pager.
    pub terminal_rows: Option<u16>,
    /// The Documents known folder on Windows (OneDrive may have moved it), where
    /// PowerShell keeps profiles; `None` elsewhere or when the OS would not say.
    pub documents: Option<PathBuf>,
    /// `HKCU\Environment`: the registry on Windows, in memory elsewhere (where the
    /// `windows-env` target does not exist).
    pub user_env: Box<dyn UserEnv>,
    prompter: Box<dyn Prompter>,
    /// What `read_stdin` returns in a fake context (`None`: the real stdin).
    stdin_data: Option<String>,
}

impl Sys {
    /// The real process context. The one place that reads the process environment.
    #[allow(clippy::disallowed_methods)] // the seeding site: everything else reads the snapshot
    pub fn from_os() -> Sys {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Sys {
            env,
            os: Os::current(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            stdin_tty: io::stdin().is_terminal(),
            stdout_tty: io::stdout().is_terminal(),
            stderr_tty: io::stderr().is_terminal(),
            terminal_rows: io::stdout()
                .is_terminal()
                .then(|| crossterm::terminal::size().ok().map(|(_, rows)| rows))
                .flatten(),
            documents: known_folder::documents(),
            user_env: real_user_env(),
            prompter: Box::new(TerminalPrompter),
            stdin_data: None,
        }
    }

    /// A context for tests: only the given variables, no terminal.
    pub fn fake(os: Os, cwd: PathBuf, vars: &[(&str, &str)], prompter: Box<dyn Prompter>) -> Sys {
        Sys {
            env: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            os,
            cwd,
            stdin_tty: false,
            stdout_tty: false,
            stderr_tty: false,
            terminal_rows: None,
            documents: None,
            user_env: Box::new(user_env::MemoryUserEnv::default()),
            prompter,
            stdin_data: Some(String::new()),
        }
    }

    /// The fake context's standard input (for `--key-stdin`, `--password-stdin`).
    pub fn with_stdin(mut self, data: &str) -> Sys {
        self.stdin_data = Some(data.to_owned());
        self
    }

    /// All of standard input, for `--key-stdin` and `--password-stdin` (secrets never
    /// come through argv, where `ps` shows them).
    pub fn read_stdin(&mut self) -> io::Result<String> {
        if let Some(data) = self.stdin_data.take() {
            self.stdin_data = Some(String::new());
            return Ok(data);
        }
        let mut text = String::new();
        io::stdin().take(64 * 1024).read_to_string(&mut text)?;
        Ok(text)
    }

    /// A variable from the snapshot; empty counts as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn env(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// The home directory: `USERPROFILE` on Windows, `HOME` elsewhere (never the
    /// platform API, so tests can point it into a sandbox).
    pub fn home(&self) -> Option<PathBuf> {
        let name = if self.os == Os::Windows {
            "USERPROFILE"
        } else {
            "HOME"
        };
        self.var(name).map(PathBuf::from)
    }

    /// `name` on the snapshot's PATH.
    pub fn which(&self, name: &str) -> Option<PathBuf> {
        let path = self.var("PATH")?;
        which::which_in(name, Some(path), &self.cwd).ok()
    }

    /// A person can answer a prompt: stdin is a terminal and `CI` is not set.
    pub fn interactive(&self) -> bool {
        self.stdin_tty && self.var("CI").is_none()
    }

    pub fn confirm(&mut self, question: &str, default: bool) -> io::Result<bool> {
        self.prompter.confirm(question, default)
    }

    pub fn select(
        &mut self,
        question: &str,
        options: &[String],
        selected: &[usize],
    ) -> io::Result<Vec<usize>> {
        self.prompter.select(question, options, selected)
    }

    pub fn choose(&mut self, question: &str, options: &[String]) -> io::Result<usize> {
        self.prompter.choose(question, options)
    }

    pub fn text(&mut self, question: &str) -> io::Result<String> {
        self.prompter.text(question)
    }

    pub fn password(&mut self, question: &str) -> io::Result<String> {
        self.prompter.password(question)
    }

    /// This machine's name, for naming a key ("codeloop-cli on NAME").
    pub fn hostname(&self) -> String {
        self.var("COMPUTERNAME")
            .or_else(|| self.var("HOSTNAME"))
            .map(str::to_owned)
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "this computer".to_owned())
    }

    /// Opens `url` in a browser without waiting for it: `$BROWSER` (the first of a
    /// `:`-separated list, as xdg-utils reads it), else the platform's opener
    /// (`xdg-open`, `open`, `cmd /c start`) — on Linux only when there is a display.
    /// The url goes in argv: never put a secret in it.
    #[allow(clippy::disallowed_methods)] // spawning the browser is this module's job
    pub fn open_browser(&self, url: &str) -> io::Result<()> {
        let mut words: Vec<String> = match self.var("BROWSER") {
            Some(b) => b
                .split(':')
                .find(|s| !s.trim().is_empty())
                .unwrap_or(b)
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            // A headless Linux (a server, SSH without X forwarding): xdg-open would
            // fall back to a text browser or fail obscurely; the caller prints the URL.
            None if self.os == Os::Linux
                && self.var("DISPLAY").is_none()
                && self.var("WAYLAND_DISPLAY").is_none() =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no graphical display here: DISPLAY and WAYLAND_DISPLAY are unset",
                ));
            }
            None => match self.os {
                Os::Linux => vec!["xdg-open".to_owned()],
                Os::MacOs => vec!["open".to_owned()],
                // `start`'s first quoted argument is the window title.
                Os::Windows => ["cmd", "/c", "start", "\"\""].map(str::to_owned).to_vec(),
            },
        };
        if words.is_empty() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "BROWSER is empty"));
        }
        let program = words.remove(0);
        // cmd.exe would split the url at `&` unless it is escaped.
        let url = if program == "cmd" {
            url.replace('&', "^&")
        } else {
            url.to_owned()
        };
        let program = if Path::new(&program).components().count() > 1 {
            PathBuf::from(program)
        } else {
            self.which(&program).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("`{program}` is not on PATH"),
                )
            })?
        };
        let mut child = Command::new(program)
            .args(&words)
            .arg(&url)
            .current_dir(&self.cwd)
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // Reap it whenever it ends; we never wait for the browser.
        std::thread::spawn(move || child.wait());
        Ok(())
    }

    /// Shows `text` (which may hold ANSI colours) through the person's pager and waits
    /// until they quit it: `$PAGER` run by `sh -c` like git does (split at spaces on
    /// Windows), else `less` with `LESS=FRX` unless `LESS` is set (quit when it fits
    /// one screen, pass colours, leave the text on screen). Colours are stripped when
    /// stdout would not show them (`NO_COLOR`, `TERM=dumb`). Ctrl-C belongs to the
    /// pager while it runs, as with git; quitting early is not an error. `Err` when
    /// there is no pager to run (`PAGER` empty or `cat`, or the program is missing) or
    /// it exits unsuccessfully (`PAGER=false`): the caller prints the text instead. The text reaches the pager on its stdin,
    /// never in its arguments.
    #[allow(clippy::disallowed_methods)] // the pager is a child like the others here
    pub fn page(&self, text: &str) -> io::Result<()> {
        // Set but empty is "no pager", as for git (not the unset default).
        let pager = self
            .env
            .get("PAGER")
            .map_or("less", String::as_str)
            .trim()
            .to_owned();
        if pager.is_empty() || pager == "cat" {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no pager"));
        }
        let mut command = if self.os != Os::Windows
            && let Some(sh) = self.which("sh")
        {
            let mut c = Command::new(sh);
            c.arg("-c").arg(&pager);
            c
        } else {
            let mut words = pager.split_whitespace();
            let program = words.next().unwrap_or("less");
            let program = self.which(program).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("`{program}` is not on PATH"),
                )
            })?;
            let mut c = Command::new(program);
            c.args(words);
            c
        };
        let mut env = self.env.clone();
        env.entry("LESS".to_owned())
            .or_insert_with(|| "FRX".to_owned());
        env.entry("LV".to_owned())
            .or_insert_with(|| "-c".to_owned());
        // A preview writes nothing, and less's search history would be a file in
        // the home directory.
        env.entry("LESSHISTFILE".to_owned())
            .or_insert_with(|| "-".to_owned());
        // The text is UTF-8 (the masked key's `…`, box rules); without a locale less
        // would show those bytes escaped.
        if ["LC_ALL", "LC_CTYPE", "LANG", "LESSCHARSET"]
            .iter()
            .all(|v| self.var(v).is_none())
        {
            env.insert("LESSCHARSET".to_owned(), "utf-8".to_owned());
        }
        let text = match anstream::AutoStream::choice(&io::stdout()) {
            anstream::ColorChoice::Never => anstream::adapter::strip_str(text).to_string(),
            _ => text.to_owned(),
        };
        // While the pager runs, Ctrl-C is its business (less uses it to stop a
        // search); a handler in place of the default keeps codeloop alive meanwhile.
        let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let handler = signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted).ok();
        let result = (|| {
            let mut child = command
                .current_dir(&self.cwd)
                .env_clear()
                .envs(&env)
                .stdin(Stdio::piped())
                .spawn()?;
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write as _;
                match stdin.write_all(text.as_bytes()) {
                    // The person quit before reading it all.
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                    other => other?,
                }
            }
            let status = child.wait()?;
            // A pager that did not run or failed (`sh -c` says 127 when it cannot find
            // it; `PAGER=false` exits 1 at once) may have shown nothing: the caller
            // prints the text instead, so the question never comes without the diffs.
            if !status.success() {
                return Err(io::Error::other(format!("the pager failed ({status})")));
            }
            Ok(())
        })();
        if let Some(id) = handler {
            signal_hook::low_level::unregister(id);
        }
        result
    }

    /// Runs `program` with exactly the environment `env` (nothing inherited), no
    /// stdin, and waits at most `timeout`; `Ok(None)` when it had to be killed. For
    /// asking a program about the user's setup (what `ZDOTDIR` zsh ends up with)
    /// without trusting it to finish.
    #[allow(clippy::disallowed_methods)] // children are spawned here and in run_all only
    pub fn run_bounded(
        &self,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: std::time::Duration,
    ) -> io::Result<Option<Output>> {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(&self.cwd)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if child.try_wait()?.is_some() {
                return child.wait_with_output().map(Some);
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// Runs one child per argument list at the same time and waits for all (starting
    /// a program such as git costs milliseconds, and these do not depend on each
    /// other), with the snapshot's environment (so a sandboxed HOME stays sandboxed)
    /// and no stdin. Callers never put secrets in the arguments.
    #[allow(clippy::disallowed_methods)] // the one place children are spawned
    pub fn run_all<S: AsRef<OsStr>>(
        &self,
        program: &Path,
        jobs: &[&[S]],
        cwd: &Path,
    ) -> Vec<io::Result<Output>> {
        let children: Vec<io::Result<std::process::Child>> = jobs
            .iter()
            .map(|args| {
                Command::new(program)
                    .args(args.iter())
                    .current_dir(cwd)
                    .env_clear()
                    .envs(&self.env)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
            })
            .collect();
        children
            .into_iter()
            .map(|child| child.and_then(std::process::Child::wait_with_output))
            .collect()
    }
}

#[cfg(windows)]
fn real_user_env() -> Box<dyn UserEnv> {
    Box::new(user_env::RegistryUserEnv)
}

#[cfg(not(windows))]
fn real_user_env() -> Box<dyn UserEnv> {
    Box::new(user_env::MemoryUserEnv::default())
}

#[cfg(windows)]
mod known_folder {
    use std::os::windows::ffi::OsStringExt;
    use std::path::PathBuf;

    use windows_sys::Win32::System::Com::CoTaskMemFree;
    use windows_sys::Win32::UI::Shell::{
        FOLDERID_Documents, KF_FLAG_DEFAULT, SHGetKnownFolderPath,
    };

    /// The Documents folder as Explorer knows it, following OneDrive redirection.
    pub fn documents() -> Option<PathBuf> {
        let mut raw: *mut u16 = std::ptr::null_mut();
        // SAFETY: on success SHGetKnownFolderPath stores a NUL-terminated wide string
        // that we read up to its NUL and then free with CoTaskMemFree, as documented.
        unsafe {
            let hr = SHGetKnownFolderPath(
                &FOLDERID_Documents,
                KF_FLAG_DEFAULT as u32,
                std::ptr::null_mut(),
                &mut raw,
            );
            if hr != 0 || raw.is_null() {
                if !raw.is_null() {
                    CoTaskMemFree(raw as *const _);
                }
                return None;
            }
            let len = (0..).take_while(|&i| *raw.add(i) != 0).count();
            let wide = std::slice::from_raw_parts(raw, len);
            let path = PathBuf::from(std::ffi::OsString::from_wide(wide));
            CoTaskMemFree(raw as *const _);
            Some(path)
        }
    }
}

#[cfg(not(windows))]
mod known_folder {
    use std::path::PathBuf;

    pub fn documents() -> Option<PathBuf> {
        None
    }
}
