//! `codeloop auth` and the key resolution chain, end to end with the real binary: a
//! stand-in CodeLoop service on loopback (`tests/it/fake.rs`: the sign-in page, which sends
//! the "browser" back to codeloop's callback with a one-time code, the PKCE code
//! exchange, and `/api/cli/login`), and `BROWSER` set to a bash script that follows
//! the page (over `/dev/tcp`), then replays the callback.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fake::{Answer, Fake, Page, Service, browser, closed_port, replay_result};
use crate::harness::{
    KEY, KEY_MASKED, KEY2, Output, Sandbox, assert_unchanged, mode, read, read_jsonc, set_mode,
    write,
};

const PASSWORD: &str = "hunter2 SENTINEL-PASSWORD";
const EMAIL: &str = "me@example.com";

/// A stand-in whose sign-in grants `key`.
fn granting(key: &str) -> Service {
    Fake {
        grant_key: key.to_owned(),
        ..Fake::default()
    }
    .start()
}

// ---------------------------------------------------------------------------------
// The stand-in browser and running codeloop

/// Runs codeloop in the sandbox with `extra` env and `stdin` piped in; beside the
/// harness's own checks (no full key), never the password or a rejected value
/// reaches stdout or stderr.
fn run(s: &Sandbox, args: &[&str], extra: &[(&str, &str)], stdin: &str) -> Output {
    let out = s.run_with(args, extra, stdin);
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

fn sign_in_env<'a>(server: &'a Service, script: &'a Path) -> Vec<(&'a str, &'a str)> {
    vec![
        ("CODELOOP_API_URL", server.base.as_str()),
        ("BROWSER", script.to_str().unwrap()),
        ("HOSTNAME", "testbox"),
    ]
}

/// The exchange's body, as the stand-in received it.
fn exchange_body(server: &Service) -> serde_json::Value {
    let token = server.to("POST", "/api/cli/token");
    assert_eq!(token.len(), 1, "one exchange");
    token[0].json()
}

// ---------------------------------------------------------------------------------
// The browser sign-in (RFC 8252 loopback redirect with PKCE)

#[test]
fn browser_sign_in_exchanges_a_code_with_pkce_and_saves_the_key_privately() {
    let s = Sandbox::without_key();
    let server = granting(KEY);
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
    // The page got a 256-bit state, an S256 challenge, and no rotation.
    let page = &server.to("GET", "/cli-auth")[0];
    assert_eq!(page.param("state").unwrap().len(), 64, "{}", page.query);
    assert_eq!(page.param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(page.param("code_challenge").unwrap().len(), 43);
    assert_eq!(page.param("scope").as_deref(), Some("key"));
    assert!(page.param("rotate").is_none());
    // The browser came back with a code, never a key; codeloop exchanged it once,
    // with the verifier whose S256 is the challenge (the stand-in checks it).
    assert!(read(&dir.join("location")).contains("&code=code-"));
    let body = exchange_body(&server);
    assert_eq!(
        crate::fake::s256(body["codeVerifier"].as_str().unwrap()),
        page.param("code_challenge").unwrap()
    );
    assert_eq!(body["grantType"], "authorization_code");
    let port = page.param("port").unwrap();
    assert_eq!(
        body["redirectUri"],
        format!("http://127.0.0.1:{port}/callback")
    );
    let name = body["keyName"].as_str().unwrap();
    assert!(name.starts_with("CLI — testbox (20"), "{name}");
    assert!(server.noted("token-refused").is_empty());
    server.assert_no_secret_in_urls();
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
}

#[test]
fn a_wrong_or_missing_state_gets_400_and_the_right_one_still_works() {
    let s = Sandbox::without_key();
    let server = Fake {
        page: Page::WrongStateFirst,
        ..Fake::default()
    }
    .start();
    let (script, dir) = browser(&s);

    let out = run(
        &s,
        &["auth", "--timeout", "20"],
        &sign_in_env(&server, &script),
        "",
    );

    out.assert_code(0);
    assert_eq!(server.noted("wrong-state "), ["Some(400)"]);
    assert_eq!(server.noted("no-state "), ["Some(400)"]);
    assert_eq!(server.noted("other-path "), ["Some(404)"]);
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
    replay_result(&dir);
}

#[test]
fn a_callback_that_carries_a_key_instead_of_a_code_is_refused() {
    let s = Sandbox::without_key();
    let server = Fake {
        page: Page::KeyInUrl(KEY.to_owned()),
        ..Fake::default()
    }
    .start();
    let (script, dir) = browser(&s);
    // The stand-in browser would record the key-bearing URL: this test reads only
    // its status and page.
    let out = run(
        &s,
        &["auth", "--timeout", "20"],
        &sign_in_env(&server, &script),
        "",
    );

    out.assert_code(1);
    out.stderr_has("in the URL");
    out.stderr_has("codeloop auth --rotate");
    assert!(!config_json(&s).exists());
    assert!(server.to("POST", "/api/cli/token").is_empty());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dir.join("replay").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(read(&dir.join("status")), "400");
    assert!(read(&dir.join("page.html")).contains("refused"));
}

#[test]
fn a_refused_code_or_a_denied_sign_in_saves_nothing() {
    for (fake, expected, status) in [
        (
            Fake {
                token: Answer::Status(400),
                ..Fake::default()
            },
            "refused the sign-in code",
            "502",
        ),
        (
            Fake {
                token: Answer::Status(503),
                ..Fake::default()
            },
            "try again later",
            "502",
        ),
        (
            Fake {
                token: Answer::Garbage,
                ..Fake::default()
            },
            "does not understand",
            "502",
        ),
        (
            Fake {
                page: Page::Denied,
                ..Fake::default()
            },
            "access_denied",
            "400",
        ),
    ] {
        let s = Sandbox::without_key();
        let server = fake.start();
        let (script, dir) = browser(&s);
        let out = run(
            &s,
            &["auth", "--timeout", "20"],
            &sign_in_env(&server, &script),
            "",
        );
        out.assert_code(1);
        out.stderr_has(expected);
        assert!(!config_json(&s).exists());
        replay_result(&dir);
        assert_eq!(read(&dir.join("status")), status, "{expected}");
    }
}

#[test]
fn no_sign_in_within_the_timeout_is_a_clear_error() {
    let s = Sandbox::without_key();
    let server = granting(KEY);
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

    // The way to try again keeps the rotation asked for.
    let out = run(
        &s,
        &["auth", "--rotate", "--timeout", "1"],
        &sign_in_env(&server, &lazy),
        "",
    );
    out.assert_code(1);
    out.stderr_has("within 1 second;");
    out.stderr_has("run `codeloop auth --rotate` again");
    out.stderr_has("`codeloop auth --rotate --no-browser`");
}

#[test]
fn a_malformed_key_from_the_exchange_is_rejected_not_saved_not_echoed() {
    let s = Sandbox::without_key();
    let server = granting("cl_live_bad!SENTINEL");
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
    assert_eq!(read(&dir.join("status")), "502");
}

#[test]
fn without_browser_the_url_is_still_printed() {
    let s = Sandbox::without_key();
    let server = granting(KEY);
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

#[test]
fn plain_http_to_another_host_is_refused_before_anything_is_sent() {
    let s = Sandbox::without_key();
    for args in [
        &["auth", "--timeout", "1"][..],
        &["auth", "--no-browser", "--password-stdin"],
    ] {
        let out = run(
            &s,
            args,
            &[
                ("CODELOOP_API_URL", "http://example.com"),
                ("CODELOOP_EMAIL", EMAIL),
            ],
            PASSWORD,
        );
        out.assert_code(1);
        out.stderr_has("plain http");
        assert!(!out.stdout.contains("cli-auth"));
    }
}

// ---------------------------------------------------------------------------------
// --no-browser

fn login_env(server: &Service) -> Vec<(&str, &str)> {
    vec![
        ("CODELOOP_API_URL", server.base.as_str()),
        ("CODELOOP_EMAIL", EMAIL),
        ("HOSTNAME", "testbox"),
    ]
}

#[test]
fn email_and_password_sign_in_posts_json_and_saves_the_key() {
    let s = Sandbox::without_key();
    let server = granting(KEY);

    let out = run(
        &s,
        &["auth", "--no-browser", "--password-stdin"],
        &login_env(&server),
        &format!("{PASSWORD}\n"),
    );

    out.assert_code(0);
    out.stdout_has(KEY_MASKED);
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));
    let login = &server.to("POST", "/api/cli/login")[0];
    assert_eq!(login.header("content-type"), Some("application/json"));
    let mut body = login.json();
    let name = body["keyName"].take();
    assert_eq!(
        body,
        serde_json::json!({"email": EMAIL, "password": PASSWORD, "keyName": null})
    );
    let name = name.as_str().unwrap();
    assert!(
        name.starts_with("CLI — testbox (20") && name.ends_with(')'),
        "{name}"
    );
    server.assert_no_secret_in_urls();
}

#[test]
fn login_errors_map_to_clear_messages_and_save_nothing() {
    let key = |k: &str| Answer::Json(serde_json::json!({ "key": k }));
    for (login, expected) in [
        (Answer::Status(401), "wrong email or password"),
        (Answer::Status(429), "slow down"),
        (Answer::Status(500), "try again later"),
        (Answer::Status(503), "try again later"),
        (Answer::Status(302), "HTTP 302"),
        (Answer::Garbage, "does not understand"),
        (key("cl_live_short"), "not a valid CodeLoop API key"),
        (key("SENTINEL-not-a-key"), "not a valid CodeLoop API key"),
    ] {
        let s = Sandbox::without_key();
        let server = Fake {
            login,
            ..Fake::default()
        }
        .start();
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
    let server = granting(KEY);
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
    assert!(server.requests().is_empty());
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
    let server = granting(KEY2);
    let (script, dir) = browser(&s);

    let out = run(
        &s,
        &["auth", "--rotate", "--yes", "--timeout", "20"],
        &sign_in_env(&server, &script),
        "",
    );

    out.assert_code(0);
    let page = &server.to("GET", "/cli-auth")[0];
    assert_eq!(page.param("rotate").as_deref(), Some("1"));
    assert!(page.param("code_challenge").is_some());
    // --rotate works the same way: a code, exchanged once with the verifier.
    assert!(exchange_body(&server)["codeVerifier"].is_string());
    server.assert_no_secret_in_urls();
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
fn rotate_reaches_every_recorded_project_and_forgets_the_ones_that_are_gone() {
    let mut s = Sandbox::without_key();
    write(&config_json(&s), format!("{{\"apiKey\": \"{KEY}\"}}"));
    set_mode(&config_json(&s), 0o600);
    let projects: Vec<_> = ["a", "b", "gone"]
        .iter()
        .map(|p| {
            let dir = s.root.join(p);
            std::fs::create_dir_all(&dir).unwrap();
            dir
        })
        .collect();
    for dir in &projects {
        s.cwd = dir.clone();
        run(&s, &["init", "--yes", "--only", "cursor,bash"], &[], "").assert_code(0);
    }
    std::fs::remove_dir_all(&projects[2]).unwrap();
    // Rotation is run from somewhere else entirely.
    s.cwd = s.root.clone();
    let out = run(&s, &["auth", "--rotate", "--key-stdin", "--yes"], &[], KEY2);
    out.assert_code(0);
    out.stdout_has("is gone; codeloop forgets it");
    for dir in &projects[..2] {
        let value = read_jsonc(&dir.join(".cursor/mcp.json"));
        assert_eq!(
            value["mcpServers"]["codeloop"]["env"]["CODELOOP_API_KEY"],
            KEY2,
            "{}",
            dir.display()
        );
    }
    assert!(read(&s.home_path(".codeloop/env.sh")).contains(KEY2));
    let record = read(&s.home_path(".codeloop/state.json"));
    assert!(!record.contains("/gone"), "{record}");
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
    /// `paste` holds the pastes in order, split at `|`; the last one repeats.
    fn password(&mut self, question: &str) -> std::io::Result<String> {
        let mut asked = self.asked.lock().unwrap();
        asked.push(question.to_owned());
        let n = asked.iter().filter(|q| q.contains("paste your")).count();
        let pastes: Vec<&str> = self.paste.split('|').collect();
        Ok(pastes[(n - 1).min(pastes.len() - 1)].to_owned())
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
    let asked = Arc::new(Mutex::new(Vec::new()));
    let person = Person {
        way,
        paste,
        asked: asked.clone(),
    };
    let out = s.run_in_process(args, extra, Box::new(person), true);
    let asked = asked.lock().unwrap().clone();
    (out.code.unwrap() as u8, out.both(), asked)
}

#[test]
fn at_a_terminal_init_offers_to_paste_a_key_and_saves_it() {
    let s = Sandbox::without_key();
    let (code, output, asked) =
        run_at_terminal(&s, &["init", "--only", "cursor"], &[], "paste", KEY);
    assert_eq!(code, 0, "{output}");
    assert!(asked[0].contains("how do you want to add one"), "{asked:?}");
    assert!(
        output
            .contains("using the key you pasted (cl_live_TE…yz, saved to ~/.codeloop/config.json)"),
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
fn at_a_terminal_an_invalid_paste_is_asked_again_without_echo_three_tries_in_all() {
    const BAD: &str = "cl_live_SHORT";
    let s = Sandbox::without_key();
    let pastes = Box::leak(format!("{BAD}|not a key at all|{KEY}").into_boxed_str());
    let (code, output, asked) =
        run_at_terminal(&s, &["init", "--only", "cursor"], &[], "paste", pastes);
    assert_eq!(code, 0, "{output}");
    let paste_prompts: Vec<&String> = asked.iter().filter(|q| q.contains("paste")).collect();
    assert_eq!(paste_prompts.len(), 3, "{asked:?}");
    assert!(paste_prompts[0].contains("shown as *****"), "{asked:?}");
    assert!(
        output.contains("that is not a valid CodeLoop API key: it has 5 characters after `cl_live_`, fewer than 8 (expected")
            && output.contains("that is not a valid CodeLoop API key: it does not start with `cl_live_`")
            && output.contains("(2 tries left)")
            && output.contains("(1 try left)"),
        "{output}"
    );
    assert!(
        !output.contains(BAD) && !output.contains("not a key at all"),
        "{output}"
    );
    assert_eq!(saved_key(&s).as_deref(), Some(KEY));

    // Three wrong pastes: nothing saved, nothing written, the error says what to do.
    let s = Sandbox::without_key();
    let before = s.snapshot();
    let (code, output, _) = run_at_terminal(&s, &["init", "--only", "cursor"], &[], "paste", BAD);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("the pasted value is not a valid CodeLoop API key")
            && output.contains("run `codeloop auth` or paste the key again"),
        "{output}"
    );
    assert!(!output.contains(BAD), "{output}");
    assert_unchanged(&before, &s.snapshot());
}

#[test]
fn at_a_terminal_init_offers_the_browser_sign_in() {
    let s = Sandbox::without_key();
    let server = granting(KEY);
    let (script, dir) = browser(&s);
    let env = sign_in_env(&server, &script);
    let (code, output, _) = run_at_terminal(&s, &["init", "--only", "cursor"], &env, "browser", "");
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("using the key from the browser sign-in (cl_live_TE…yz, saved to ~/.codeloop/config.json)"),
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
