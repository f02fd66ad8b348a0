//! `codeloop auth` and the key resolution chain, end to end with the real binary: a
//! stand-in CodeLoop server on loopback (the sign-in page, which redirects the
//! "browser" to codeloop's callback, and `/api/cli/login`), and `BROWSER` set to a
//! bash script that follows the page (over `/dev/tcp`), then replays the callback.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    KEY, KEY_MASKED, KEY2, Output, Sandbox, assert_no_full_key, mode, read, read_jsonc, set_mode,
    write,
};

const PASSWORD: &str = "hunter2 SENTINEL-PASSWORD";
const EMAIL: &str = "me@example.com";

// ---------------------------------------------------------------------------------
// The stand-in CodeLoop server

/// What `/api/cli/login` answers.
#[derive(Clone)]
enum Login {
    /// 200 with `{"key": …}`.
    Key(&'static str),
    /// This status, with a small JSON error body.
    Status(u16),
}

/// What the sign-in page does with the browser.
#[derive(Clone)]
enum Page {
    /// Redirects to the callback with the right state and this key.
    Key(&'static str),
    /// First knocks on the listener with a wrong state, no state and another path
    /// (recording the answers), then redirects like `Key`.
    WrongStateFirst(&'static str),
}

struct Server {
    base: String,
    /// What the server saw: `login <body>`, `cli-auth <query>`, `wrong-state <code>`, …
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(login: Login, page: Page) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &login, &page, &seen);
            }
        });
        Server { base, log }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn logged(&self, prefix: &str) -> Vec<String> {
        self.log()
            .into_iter()
            .filter_map(|l| l.strip_prefix(prefix).map(str::to_owned))
            .collect()
    }
}

fn serve(stream: TcpStream, login: &Login, page: &Page, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut stream = &stream;
    match (method, path) {
        ("POST", "/api/cli/login") => {
            log.lock().unwrap().push(format!("login {body}"));
            let (code, reply) = match login {
                Login::Key(key) => (200, format!("{{\"key\":\"{key}\"}}")),
                Login::Status(code) => (*code, "{\"error\":\"nope\"}".to_owned()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
        ("GET", "/cli-auth") => {
            log.lock().unwrap().push(format!("cli-auth {query}"));
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|p| p.strip_prefix(&format!("{name}=")))
                    .unwrap_or("")
                    .to_owned()
            };
            let port: u16 = param("port").parse().unwrap();
            let state = param("state");
            let key = match page {
                Page::Key(key) => key,
                Page::WrongStateFirst(key) => {
                    for (what, target) in [
                        (
                            "wrong-state",
                            format!("/callback?state=x{state}&key={KEY2}"),
                        ),
                        ("no-state", format!("/callback?key={KEY2}")),
                        ("other-path", format!("/elsewhere?state={state}&key={KEY2}")),
                    ] {
                        let code = http_get(port, &target);
                        log.lock().unwrap().push(format!("{what} {code:?}"));
                    }
                    key
                }
            };
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/callback?state={state}&key={key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        _ => {
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    }
}

/// The status code of `GET target` on 127.0.0.1:`port`; `None` when refused.
fn http_get(port: u16, target: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    reply.split_whitespace().nth(1)?.parse().ok()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------------------------
// The stand-in browser and running codeloop

/// Writes the `BROWSER` script (plain bash and its `/dev/tcp`, no curl needed): it
/// follows the sign-in page and its redirect to the callback, then replays the
/// callback with another key and records the result (7: nothing listening).
/// Returns (script, its output dir).
fn browser(s: &Sandbox) -> (PathBuf, PathBuf) {
    let dir = s.root.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    let script = s.root.join("browser.sh");
    let d = dir.display();
    write(
        &script,
        format!(
            r#"#!/bin/bash
# GET $2 from host:port $1; prints the whole response.
get() {{
    {{ printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$1" >&3; cat <&3; }} 3<>"/dev/tcp/${{1%:*}}/${{1##*:}}"
}}
url="$1"
rest=${{url#http://}}
page=$(get "${{rest%%/*}}" "/${{rest#*/}}")
location=$(printf '%s' "$page" | tr -d '\r' | sed -n 's/^Location: //p')
rest=${{location#http://}}
answer=$(get "${{rest%%/*}}" "/${{rest#*/}}")
printf '%s' "$answer" | head -n 1 | cut -d' ' -f2 | tr -d '\r\n' > "{d}/status"
printf '%s' "$answer" > "{d}/page.html"
port=$(echo "$url" | sed 's/.*[?&]port=\([0-9]*\).*/\1/')
state=$(echo "$url" | sed 's/.*[?&]state=\([0-9a-f]*\).*/\1/')
sleep 0.3
if get "127.0.0.1:$port" "/callback?state=$state&key=cl_live_REPLAYkey123456" >/dev/null 2>&1; then
    echo 0 > "{d}/replay.tmp"
else
    echo 7 > "{d}/replay.tmp"
fi
mv "{d}/replay.tmp" "{d}/replay"
"#
        ),
    );
    set_mode(&script, 0o755);
    (script, dir)
}

/// Waits for the browser script to finish (its replay result), up to 10 s.
fn replay_result(dir: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(dir.join("replay")) {
            return text.trim().to_owned();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the browser script did not finish");
}

/// Runs codeloop in the sandbox with `extra` env and `stdin` piped in; checks that
/// no full key and never the password reach stdout or stderr.
#[allow(clippy::disallowed_methods)] // this test file's one place that spawns codeloop with stdin
fn run(s: &Sandbox, args: &[&str], extra: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codeloop"))
        .args(args)
        .current_dir(&s.cwd)
        .env_clear()
        .envs(s.run_env())
        .envs(extra.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let _ = pipe.write_all(stdin.as_bytes());
    drop(pipe);
    let output = child.wait_with_output().unwrap();
    let out = Output {
        code: output.status.code(),
        signal: None,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_no_full_key(&out.stdout, "stdout");
    assert_no_full_key(&out.stderr, "stderr");
    assert!(
        !out.both().contains("SENTINEL"),
        "a password or rejected value was echoed\n{}",
        out.masked()
    );
    out
}

fn config_json(s: &Sandbox) -> PathBuf {
    s.home_path(".codeloop/config.json")
}

fn saved_key(s: &Sandbox) -> Option<String> {
    let path = config_json(s);
    path.exists()
        .then(|| read_jsonc(&path)["apiKey"].as_str().map(str::to_owned))
        .flatten()
}

fn sign_in_env<'a>(server: &'a Server, script: &'a Path) -> Vec<(&'a str, &'a str)> {
    vec![
        ("CODELOOP_API_URL", server.base.as_str()),
        ("BROWSER", script.to_str().unwrap()),
    ]
}

// ---------------------------------------------------------------------------------
// The browser sign-in

#[test]
fn browser_sign_in_saves_the_key_privately_and_refuses_a_replayed_callback() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Status(500), Page::Key(KEY));
    let (script, dir) = browser(&s);

    let out = run(
        &s,
        &["auth", "--timeout", "20"],
        &sign_in_env(&server, &script),
        "",
    );

    out.assert_code(0);
    out.stdout_has(&format!("{}/cli-auth?port=", server.base));
    out.stdout_has(KEY_MASKED);
    assert!(
        !out.both().contains("/callback"),
        "the callback URL is never printed"
    );
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
    assert_eq!(mode(&config_json(&s)), 0o600);
    assert_eq!(mode(&s.home_path(".codeloop")), 0o700);
    // The replay finds nothing listening (exit 7), and changes nothing.
    assert_eq!(replay_result(&dir), "7");
    assert_eq!(read(&dir.join("status")), "200");
    assert!(read(&dir.join("page.html")).contains("return to the terminal"));
    // The state is 256 bits of hex, and no rotation was asked for.
    let query = &server.logged("cli-auth ")[0];
    let state = query.split("state=").nth(1).unwrap();
    assert_eq!(state.len(), 64, "{query}");
    assert!(!query.contains("rotate"));
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
}

#[test]
fn a_wrong_or_missing_state_gets_400_and_the_right_one_still_works() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Status(500), Page::WrongStateFirst(KEY));
    let (script, dir) = browser(&s);

    let out = run(
        &s,
        &["auth", "--timeout", "20"],
        &sign_in_env(&server, &script),
        "",
    );

    out.assert_code(0);
    assert_eq!(server.logged("wrong-state "), ["Some(400)"]);
    assert_eq!(server.logged("no-state "), ["Some(400)"]);
    assert_eq!(server.logged("other-path "), ["Some(404)"]);
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
    replay_result(&dir);
}

#[test]
fn no_sign_in_within_the_timeout_is_a_clear_error() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Status(500), Page::Key(KEY));
    let lazy = s.root.join("lazy-browser.sh");
    write(&lazy, "#!/bin/sh\nexit 0\n");
    set_mode(&lazy, 0o755);

    let started = Instant::now();
    let out = run(
        &s,
        &["auth", "--timeout", "2"],
        &sign_in_env(&server, &lazy),
        "",
    );

    out.assert_code(1);
    out.stderr_has("within 2 seconds");
    out.stderr_has("--timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!config_json(&s).exists());
}

#[test]
fn a_malformed_key_from_the_callback_is_rejected_not_saved_not_echoed() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Status(500), Page::Key("cl_live_bad!SENTINEL"));
    let (script, dir) = browser(&s);

    let out = run(
        &s,
        &["auth", "--timeout", "20"],
        &sign_in_env(&server, &script),
        "",
    );

    out.assert_code(1);
    out.stderr_has("not a valid CodeLoop API key");
    assert!(!config_json(&s).exists());
    replay_result(&dir);
    assert_eq!(read(&dir.join("status")), "400");
}

#[test]
fn without_browser_the_url_is_still_printed() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Status(500), Page::Key(KEY));
    // No BROWSER and no xdg-open on PATH: the URL is there to open by hand.
    let mut s = s;
    s.system_path = String::new();
    let out = run(
        &s,
        &["auth", "--timeout", "1"],
        &[("CODELOOP_API_URL", &server.base)],
        "",
    );
    out.assert_code(1);
    out.stdout_has("/cli-auth?port=");
    out.stdout_has("could not open a browser");
}

// ---------------------------------------------------------------------------------
// --no-browser

fn login_env(server: &Server) -> Vec<(&str, &str)> {
    vec![
        ("CODELOOP_API_URL", server.base.as_str()),
        ("CODELOOP_EMAIL", EMAIL),
        ("HOSTNAME", "testbox"),
    ]
}

#[test]
fn email_and_password_sign_in_posts_json_and_saves_the_key() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Key(KEY), Page::Key(KEY));

    let out = run(
        &s,
        &["auth", "--no-browser", "--password-stdin"],
        &login_env(&server),
        &format!("{PASSWORD}\n"),
    );

    out.assert_code(0);
    out.stdout_has(KEY_MASKED);
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
    let body: serde_json::Value = serde_json::from_str(&server.logged("login ")[0]).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"email": EMAIL, "password": PASSWORD, "keyName": "codeloop-cli on testbox"})
    );
}

#[test]
fn login_errors_map_to_clear_messages_and_save_nothing() {
    for (login, expected) in [
        (Login::Status(401), "wrong email or password"),
        (Login::Status(429), "slow down"),
        (Login::Status(500), "try again later"),
        (Login::Status(503), "try again later"),
        (Login::Key("cl_live_short"), "not a valid CodeLoop API key"),
        (
            Login::Key("SENTINEL-not-a-key"),
            "not a valid CodeLoop API key",
        ),
    ] {
        let s = Sandbox::without_key();
        let server = Server::start(login, Page::Key(KEY));
        let out = run(
            &s,
            &["auth", "--no-browser", "--password-stdin"],
            &login_env(&server),
            PASSWORD,
        );
        out.assert_code(1);
        out.stderr_has(expected);
        assert!(!config_json(&s).exists());
    }
}

#[test]
fn an_unreachable_server_is_named() {
    let s = Sandbox::without_key();
    let base = format!("http://127.0.0.1:{}", closed_port());
    let out = run(
        &s,
        &["auth", "--no-browser", "--password-stdin"],
        &[("CODELOOP_API_URL", &base), ("CODELOOP_EMAIL", EMAIL)],
        PASSWORD,
    );
    out.assert_code(1);
    out.stderr_has(&format!("cannot reach {}", &base["http://".len()..]));
}

#[test]
fn no_browser_without_a_terminal_needs_the_email_and_password_stdin() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Key(KEY), Page::Key(KEY));
    let out = run(&s, &["auth", "--no-browser"], &login_env(&server), PASSWORD);
    out.assert_code(1);
    out.stderr_has("--password-stdin");

    let out = run(
        &s,
        &["auth", "--no-browser", "--password-stdin"],
        &[("CODELOOP_API_URL", &server.base)],
        PASSWORD,
    );
    out.assert_code(1);
    out.stderr_has("CODELOOP_EMAIL");
    assert!(server.logged("login ").is_empty());
    // A password is never an argument.
    let out = run(&s, &["auth", "--password", "x"], &[], "");
    out.assert_code(2);
}

// ---------------------------------------------------------------------------------
// The store, --key-stdin, --status and the resolution order

#[test]
fn key_stdin_saves_the_key_and_keeps_the_other_fields_of_config_json() {
    let s = Sandbox::without_key();
    let original = "{\n  // my settings\n  \"telemetry\": false,\n  \"apiKey\": \"cl_live_OLDkey000000000\",\n  \"extra\": {\"a\": [1, 2]}\n}\n";
    write(&config_json(&s), original);
    set_mode(&config_json(&s), 0o644);

    let out = run(&s, &["auth", "--key-stdin"], &[], &format!("{KEY2}\n"));

    out.assert_code(0);
    out.stderr_has("0644");
    assert_eq!(
        read(&config_json(&s)),
        original.replace("cl_live_OLDkey000000000", KEY2)
    );
    assert_eq!(mode(&config_json(&s)), 0o600);
}

#[test]
fn a_bad_key_on_stdin_is_refused_without_echo() {
    let s = Sandbox::without_key();
    let out = run(
        &s,
        &["auth", "--key-stdin"],
        &[],
        "cl_live_SENTINEL with spaces",
    );
    out.assert_code(1);
    out.stderr_has("--key-stdin");
    assert!(!config_json(&s).exists());
}

#[test]
fn status_names_the_source_masks_the_key_and_fails_without_one() {
    let s = Sandbox::without_key();
    let out = run(&s, &["auth", "--status"], &[], "");
    out.assert_code(1);
    for way in ["codeloop auth", "CODELOOP_API_KEY", "--key-stdin"] {
        out.stderr_has(way);
    }

    write(&config_json(&s), format!("{{\"apiKey\": \"{KEY}\"}}"));
    set_mode(&config_json(&s), 0o600);
    let out = run(&s, &["auth", "--status"], &[], "");
    out.assert_code(0);
    out.stdout_has(KEY_MASKED);
    out.stdout_has("config.json");

    let out = run(&s, &["auth", "--status"], &[("CODELOOP_API_KEY", KEY2)], "");
    out.assert_code(0);
    out.stdout_has("cl_live_NE…ab");
    out.stdout_has("environment variable");
}

#[test]
fn init_takes_the_key_from_stdin_then_env_then_config_json() {
    let s = Sandbox::without_key();
    write(&config_json(&s), format!("{{\"apiKey\": \"{KEY}\"}}"));
    set_mode(&config_json(&s), 0o600);
    let dry = ["init", "--dry-run", "--only", "cursor"];

    let out = run(&s, &dry, &[], "");
    out.stdout_has("using the API key from ~/.codeloop/config.json (cl_live_TE…yz)");

    let env = [("CODELOOP_API_KEY", KEY2)];
    let out = run(&s, &dry, &env, "");
    out.stdout_has("environment variable (cl_live_NE…ab)");

    let with_stdin = ["init", "--dry-run", "--only", "cursor", "--key-stdin"];
    let out = run(&s, &with_stdin, &env, "cl_live_STDINkey0123456\n");
    out.assert_code(0);
    out.stdout_has("standard input (--key-stdin) (cl_live_ST…56)");

    let out = run(
        &s,
        &[
            "init",
            "--json",
            "--dry-run",
            "--only",
            "cursor",
            "--key-stdin",
        ],
        &env,
        "cl_live_STDINkey0123456",
    );
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["key"]["source"], "stdin");
    assert_eq!(doc["key"]["masked"], "cl_live_ST…56");
}

#[test]
fn without_a_key_init_lists_the_three_ways_but_a_dry_run_uses_the_placeholder() {
    let s = Sandbox::without_key();
    let out = run(&s, &["init", "--yes", "--only", "cursor"], &[], "");
    out.assert_code(1);
    for way in ["codeloop auth", "CODELOOP_API_KEY", "--key-stdin"] {
        out.stderr_has(way);
    }
    let out = run(&s, &["init", "--dry-run", "--only", "cursor"], &[], "");
    out.assert_code(0);
    out.stdout_has("placeholder");
}

#[test]
fn errors_about_a_stored_key_never_show_it() {
    let s = Sandbox::without_key();
    write(&config_json(&s), "{\"apiKey\": \"cl_live_SENTINEL key\"}");
    for args in [
        &["auth", "--status"][..],
        &["init", "--dry-run", "--only", "cursor"],
        &["init", "--json", "--dry-run", "--only", "cursor"],
    ] {
        let out = run(&s, args, &[], "");
        out.assert_code(1);
        out.output_has("config.json");
    }
}

// ---------------------------------------------------------------------------------
// --rotate

#[test]
fn rotate_replaces_the_key_everywhere_it_was_configured_and_nowhere_else() {
    let s = Sandbox::without_key();
    write(&config_json(&s), format!("{{\"apiKey\": \"{KEY}\"}}"));
    set_mode(&config_json(&s), 0o600);
    run(&s, &["init", "--yes", "--only", "cursor"], &[], "").assert_code(0);
    run(
        &s,
        &["init", "--yes", "--global", "--only", "cursor"],
        &[],
        "",
    )
    .assert_code(0);
    // Gemini is detected but was never configured: rotation leaves it alone.
    std::fs::create_dir_all(s.home_path(".gemini")).unwrap();
    let server = Server::start(Login::Status(500), Page::Key(KEY2));
    let (script, dir) = browser(&s);

    let out = run(
        &s,
        &["auth", "--rotate", "--yes", "--timeout", "20"],
        &sign_in_env(&server, &script),
        "",
    );

    out.assert_code(0);
    assert!(server.logged("cli-auth ")[0].ends_with("&rotate=1"));
    assert_eq!(saved_key(&s).as_deref(), Some(KEY2));
    for file in [
        s.project_path(".cursor/mcp.json"),
        s.home_path(".cursor/mcp.json"),
    ] {
        let value = read_jsonc(&file);
        assert_eq!(
            value["mcpServers"]["codeloop"]["env"]["CODELOOP_API_KEY"],
            KEY2,
            "{}",
            file.display()
        );
    }
    // The diffs were shown, masked.
    out.stdout_has("cl_live_NE…ab");
    assert!(!s.project_path(".gemini").exists());
    assert!(!s.home_path(".gemini/settings.json").exists());
    replay_result(&dir);
}

#[test]
fn rotate_without_a_terminal_or_yes_saves_the_key_and_says_how_to_finish() {
    let s = Sandbox::without_key();
    write(&config_json(&s), format!("{{\"apiKey\": \"{KEY}\"}}"));
    run(&s, &["init", "--yes", "--only", "cursor"], &[], "").assert_code(0);

    let out = run(&s, &["auth", "--rotate", "--key-stdin"], &[], KEY2);

    out.assert_code(1);
    out.stderr_has("codeloop init --yes");
    assert_eq!(saved_key(&s).as_deref(), Some(KEY2));
    let value = read_jsonc(&s.project_path(".cursor/mcp.json"));
    assert_eq!(
        value["mcpServers"]["codeloop"]["env"]["CODELOOP_API_KEY"],
        KEY
    );
}

// ---------------------------------------------------------------------------------
// The interactive step of the chain, in-process with scripted prompts

/// Answers the prompts of an interactive `init`: which way to add a key, the pasted
/// key, and yes to applying. Records the questions.
struct Person {
    way: &'static str,
    paste: &'static str,
    asked: Arc<Mutex<Vec<String>>>,
}

impl codeloop::sys::Prompter for Person {
    fn confirm(&mut self, question: &str, _: bool) -> std::io::Result<bool> {
        self.asked.lock().unwrap().push(question.to_owned());
        Ok(true)
    }
    fn choose(&mut self, question: &str, options: &[String]) -> std::io::Result<usize> {
        self.asked.lock().unwrap().push(question.to_owned());
        Ok(options.iter().position(|o| o.contains(self.way)).unwrap())
    }
    fn password(&mut self, question: &str) -> std::io::Result<String> {
        self.asked.lock().unwrap().push(question.to_owned());
        Ok(self.paste.to_owned())
    }
}

/// `codeloop ARGS` in-process on a pretend terminal, answering like `person`.
fn run_at_terminal(
    s: &Sandbox,
    args: &[&str],
    extra: &[(&str, &str)],
    way: &'static str,
    paste: &'static str,
) -> (u8, String, Vec<String>) {
    use clap::Parser;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let person = Person {
        way,
        paste,
        asked: asked.clone(),
    };
    let mut env = s.run_env();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut sys = codeloop::sys::Sys::fake(
        codeloop::sys::Os::Linux,
        s.cwd.clone(),
        &vars,
        Box::new(person),
    );
    sys.stdin_tty = true;
    let cli =
        codeloop::cli::Cli::parse_from(std::iter::once("codeloop").chain(args.iter().copied()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = codeloop::run(cli, &mut sys, &mut out, &mut err);
    let both = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
    assert_no_full_key(&both, "output");
    let code = if code == std::process::ExitCode::SUCCESS {
        0
    } else {
        1
    };
    let asked = asked.lock().unwrap().clone();
    (code, both, asked)
}

#[test]
fn at_a_terminal_init_offers_to_paste_a_key_and_saves_it() {
    let s = Sandbox::without_key();
    let (code, output, asked) =
        run_at_terminal(&s, &["init", "--only", "cursor"], &[], "paste", KEY);
    assert_eq!(code, 0, "{output}");
    assert!(asked[0].contains("how do you want to add one"), "{asked:?}");
    assert!(
        output.contains("the key you pasted (saved to ~/.codeloop/config.json)"),
        "{output}"
    );
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
    assert_eq!(mode(&config_json(&s)), 0o600);
    let value = read_jsonc(&s.project_path(".cursor/mcp.json"));
    assert_eq!(
        value["mcpServers"]["codeloop"]["env"]["CODELOOP_API_KEY"],
        KEY
    );
}

#[test]
fn at_a_terminal_init_offers_the_browser_sign_in() {
    let s = Sandbox::without_key();
    let server = Server::start(Login::Status(500), Page::Key(KEY));
    let (script, dir) = browser(&s);
    let env = sign_in_env(&server, &script);
    let (code, output, _) = run_at_terminal(&s, &["init", "--only", "cursor"], &env, "browser", "");
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("the browser sign-in (saved to ~/.codeloop/config.json)"),
        "{output}"
    );
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
    replay_result(&dir);
}

#[test]
fn at_a_terminal_a_dry_run_or_yes_never_prompts_for_a_key() {
    let s = Sandbox::without_key();
    let dry = ["init", "--dry-run", "--only", "cursor"];
    let (code, output, asked) = run_at_terminal(&s, &dry, &[], "paste", KEY);
    assert_eq!(code, 0, "{output}");
    assert!(asked.is_empty(), "{asked:?}");
    assert!(output.contains("placeholder"), "{output}");
    // --check has nothing to compare with: an error, but still no prompt.
    let check = ["init", "--check", "--only", "cursor"];
    let (_, _, asked) = run_at_terminal(&s, &check, &[], "paste", KEY);
    assert!(asked.is_empty(), "{asked:?}");
    let (code, output, asked) = run_at_terminal(
        &s,
        &["init", "--yes", "--only", "cursor"],
        &[],
        "paste",
        KEY,
    );
    assert_eq!(code, 1);
    assert!(asked.is_empty(), "{asked:?}");
    assert!(output.contains("--key-stdin"), "{output}");
    assert!(!config_json(&s).exists());
}
