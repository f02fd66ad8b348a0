//! The rest of CodeLoop's CLI against a stand-in service on 127.0.0.1 (`tests/it/fake.rs`):
//! `init --key`, `login`, `logout`, `signup`, `keys create|list|revoke`, and
//! `doctor`'s checks (the service's verdict on the key in every outcome, the
//! leaked-key scan, Node.js). Throughout: no full key in the output, in a child's
//! argv, or in any URL that reached the stand-in.

use std::time::{Duration, Instant};

use crate::fake::{Answer, Fake, SESSION, Service, browser, closed_port, replay_result};
use crate::harness::{
    KEY, KEY_MASKED, KEY2, Output, Sandbox, mode, read, read_jsonc, set_mode, symlink, write,
};
use serde_json::{Value, json};

/// The sandbox talks to `server`, calls itself `testbox`.
fn talking_to(s: &mut Sandbox, server: &Service) {
    s.env.push(("CODELOOP_API_URL".into(), server.base.clone()));
    s.env.push(("HOSTNAME".into(), "testbox".into()));
}

fn json_doc(out: &Output) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e})\n{}", out.masked()))
}

fn session_file(s: &Sandbox) -> std::path::PathBuf {
    s.home_path(".codeloop/session.json")
}

/// Saves a session for `server`, as `codeloop login --no-browser` does.
fn logged_in(s: &mut Sandbox, server: &Service) {
    talking_to(s, server);
    s.env
        .push(("CODELOOP_EMAIL".into(), "me@example.com".into()));
    let out = s.run_with_stdin(&["login", "--no-browser", "--password-stdin"], "pw\n");
    out.assert_code(0);
}

fn no_secret_in(text: &str, what: &str) {
    assert!(
        !text.contains("cl_live_") || crate::harness::mask(text) == text,
        "a key in {what}"
    );
    assert!(!text.contains(SESSION), "the session token in {what}");
}

// ---------------------------------------------------------------------------------
// init --key

#[test]
fn init_key_works_warns_once_and_never_echoes() {
    let s = Sandbox::without_key();
    let out = s.run(&["init", "--key", KEY, "--dry-run", "--only", "cursor"]);
    out.assert_code(0);
    out.stdout_has(&format!(
        "using the API key from the --key argument ({KEY_MASKED})"
    ));
    assert_eq!(
        out.stderr.matches("process list").count(),
        1,
        "{}",
        out.masked()
    );
    for way in ["--key-stdin", "CODELOOP_API_KEY"] {
        out.stderr_has(way);
    }

    // It is written where init writes keys, and nowhere else.
    let out = s.run(&["init", "--key", KEY, "--yes", "--only", "cursor"]);
    out.assert_code(0);
    let entry = read_jsonc(&s.project_path(".cursor/mcp.json"));
    assert_eq!(
        entry["mcpServers"]["codeloop"]["env"]["CODELOOP_API_KEY"],
        KEY
    );
    assert!(!s.home_path(".codeloop/config.json").exists());

    // --json: the source is "argument", the warning still on stderr only.
    let out = s.run(&[
        "init",
        "--json",
        "--dry-run",
        "--only",
        "cursor",
        "--key",
        KEY,
    ]);
    let doc = json_doc(&out);
    assert_eq!(doc["key"]["source"], "argument");
    assert_eq!(doc["key"]["masked"], KEY_MASKED);
    out.stderr_has("process list");

    // A bad value is refused without echo.
    let out = s.run(&["init", "--key", "cl_live_bad key SENTINEL", "--dry-run"]);
    out.assert_code(1);
    out.stderr_has("--key");
    assert!(!out.both().contains("SENTINEL"), "{}", out.masked());
}

#[test]
fn init_key_comes_after_key_stdin_and_before_the_environment() {
    let mut s = Sandbox::new(); // CODELOOP_API_KEY = KEY
    s.key = Some(KEY.to_owned());
    let dry = ["init", "--dry-run", "--only", "cursor", "--key", KEY2];
    let out = s.run(&dry);
    out.stdout_has("the --key argument (cl_live_NE…ab)");

    let mut args = dry.to_vec();
    args.push("--key-stdin");
    let out = s.run_with_stdin(&args, "cl_live_STDINkey0123456\n");
    out.assert_code(0);
    out.stdout_has("standard input (--key-stdin) (cl_live_ST…56)");
    out.stderr_has("--key is ignored because --key-stdin comes first");
}

// ---------------------------------------------------------------------------------
// login, logout

#[test]
fn login_in_the_browser_keeps_a_private_session_and_prints_none_of_it() {
    let mut s = Sandbox::without_key();
    let server = Fake::default().start();
    talking_to(&mut s, &server);
    let (script, dir) = browser(&s);
    s.env
        .push(("BROWSER".into(), script.to_str().unwrap().to_owned()));

    let out = s.run(&["login", "--timeout", "20"]);

    out.assert_code(0);
    out.stdout_has("signed in to 127.0.0.1");
    out.stdout_has("codeloop keys create");
    no_secret_in(&out.both(), "the output");
    assert_eq!(replay_result(&dir), "7");
    // The page was asked for a session, with PKCE; the exchange asked for one.
    let page = &server.to("GET", "/cli-auth")[0];
    assert_eq!(page.param("scope").as_deref(), Some("session"));
    assert_eq!(page.param("code_challenge_method").as_deref(), Some("S256"));
    let body = server.to("POST", "/api/cli/token")[0].json();
    assert_eq!(body["session"], true);
    assert!(body.get("keyName").is_none());
    // Private, beside a .gitignore that keeps all of ~/.codeloop out of git.
    let file = session_file(&s);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&s.home_path(".codeloop")), 0o700);
    let saved = read_jsonc(&file);
    assert_eq!(saved["token"], SESSION);
    assert_eq!(saved["api"], server.base);
    assert_eq!(
        read(&s.home_path(".codeloop/.gitignore")).lines().last(),
        Some("*")
    );
    server.assert_no_secret_in_urls();
    // Only a session: no key was made or saved.
    assert!(!s.home_path(".codeloop/config.json").exists());

    let out = s.run(&["logout"]);
    out.assert_code(0);
    out.stdout_has("signed out");
    assert!(!file.exists());
    s.run(&["logout"]).stdout_has("not signed in");

    // Messages name the command that was run.
    let lazy = s.root.join("lazy-browser.sh");
    write(&lazy, "#!/bin/sh\nexit 0\n");
    set_mode(&lazy, 0o755);
    s.env
        .push(("BROWSER".into(), lazy.to_str().unwrap().to_owned()));
    let out = s.run(&["login", "--timeout", "1"]);
    out.assert_code(1);
    out.stderr_has("run `codeloop login` again");
    assert!(!file.exists());
}

#[test]
fn login_without_a_browser_posts_the_password_in_the_body_only() {
    let mut s = Sandbox::without_key();
    let server = Fake::default().start();
    logged_in(&mut s, &server);
    let login = &server.to("POST", "/api/cli/login")[0];
    assert_eq!(
        login.json(),
        json!({"email": "me@example.com", "password": "pw", "session": true})
    );
    assert_eq!(read_jsonc(&session_file(&s))["token"], SESSION);

    // Refusals map to one next step each, and save nothing.
    for (answer, expected) in [
        (Answer::Status(401), "wrong email or password"),
        (Answer::Status(503), "try again later"),
        (
            Answer::Json(json!({"session": "short"})),
            "does not understand",
        ),
        (Answer::Garbage, "does not understand"),
    ] {
        let mut s = Sandbox::without_key();
        let server = Fake {
            login: answer,
            ..Fake::default()
        }
        .start();
        talking_to(&mut s, &server);
        s.env
            .push(("CODELOOP_EMAIL".into(), "me@example.com".into()));
        let out = s.run_with_stdin(&["login", "--no-browser", "--password-stdin"], "pw");
        out.assert_code(1);
        out.stderr_has(expected);
        assert!(!session_file(&s).exists());
    }
}

// ---------------------------------------------------------------------------------
// signup

/// The line a stand-in opener (started in the background) writes to `path`, once it
/// is written: the shell creates the file before printf fills it.
fn written_line(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.ends_with('\n') || Instant::now() >= deadline {
            return text.trim().to_owned();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn signup_opens_the_page_and_always_prints_it() {
    let mut s = Sandbox::without_key();
    let server = Fake::default().start();
    talking_to(&mut s, &server);
    let argv = s.root.join("argv");
    let opener = s.root.join("opener.sh");
    write(
        &opener,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", argv.display()),
    );
    set_mode(&opener, 0o755);
    let url = format!("{}/signup?source=cli", server.base);

    let mut with_browser = Sandbox::without_key();
    with_browser.env = s.env.clone();
    with_browser
        .env
        .push(("BROWSER".into(), opener.to_str().unwrap().to_owned()));
    let out = with_browser.run(&["signup"]);
    out.assert_code(0);
    out.stdout_has(&url);
    out.stdout_has("codeloop login");
    assert_eq!(written_line(&argv), url);

    // Headless (no display, no $BROWSER): xdg-open is not even tried; the URL is
    // there to copy.
    s.system_path = String::new();
    let xdg = s.bin.join("xdg-open");
    write(
        &xdg,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}.xdg\n",
            argv.display()
        ),
    );
    set_mode(&xdg, 0o755);
    let out = s.run(&["signup"]);
    out.assert_code(0);
    out.stdout_has(&url);
    out.stdout_has("could not open a browser (no graphical display here");
    // With a display, xdg-open gets the URL.
    s.env.push(("DISPLAY".into(), ":0".into()));
    s.run(&["signup"]).assert_code(0);
    let opened = s.root.join("argv.xdg");
    assert_eq!(written_line(&opened), url);
    s.env.pop();
    std::fs::remove_file(&xdg).unwrap();
    let out = s.run(&["signup", "--no-browser"]);
    out.stdout_has(&url);
    assert!(!out.stdout.contains("could not open"));
}

// ---------------------------------------------------------------------------------
// keys

#[test]
fn keys_create_saves_a_named_key_and_shows_it_masked() {
    let mut s = Sandbox::without_key();
    let server = Fake::default().start();
    logged_in(&mut s, &server);

    let out = s.run(&["keys", "create"]);

    out.assert_code(0);
    out.stdout_has("cl_live_NE…ab");
    out.stdout_has("key_new");
    let create = &server.to("POST", "/v1/keys")[0];
    assert_eq!(create.bearer(), Some(SESSION));
    let name = create.json()["name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("CLI — testbox (20") && name.ends_with(')'),
        "{name}"
    );
    let config = s.home_path(".codeloop/config.json");
    assert_eq!(read_jsonc(&config)["apiKey"], KEY2);
    assert_eq!(mode(&config), 0o600);

    let out = s.run(&["keys", "create", "--name", "ci runner"]);
    out.assert_code(0);
    assert_eq!(server.to("POST", "/v1/keys")[1].json()["name"], "ci runner");
    server.assert_no_secret_in_urls();
}

#[test]
fn keys_create_show_secrets_prints_the_key_alone_on_stdout() {
    let mut s = Sandbox::without_key();
    let server = Fake::default().start();
    logged_in(&mut s, &server);

    let out = s.run(&["keys", "create", "--no-save", "--show-secrets"]);

    out.assert_code(0);
    assert_eq!(out.stdout, format!("{KEY2}\n"));
    assert!(!out.stderr.contains(KEY2));
    out.stderr_has("cl_live_NE…ab");
    assert!(!s.home_path(".codeloop/config.json").exists());

    // --no-save alone would make a key nobody can read: a usage error, nothing sent.
    let before = server.requests().len();
    s.run(&["keys", "create", "--no-save"]).assert_code(2);
    assert_eq!(server.requests().len(), before);
}

#[test]
fn keys_list_masks_every_key_and_marks_this_computers() {
    let mut s = Sandbox::new(); // CODELOOP_API_KEY = KEY
    let server = Fake {
        rows: vec![
            json!({"id": "key_1", "name": "laptop", "masked": KEY_MASKED, "createdAt": "2026-01-01T10:00:00Z", "lastUsedAt": "2026-02-03T00:00:00Z"}),
            // A careless service sends a full key: it is masked anyway.
            json!({"id": "key_2", "name": "ci", "masked": KEY2, "createdAt": "2026-01-05T10:00:00Z", "lastUsedAt": null}),
        ],
        ..Fake::default()
    }
    .start();
    logged_in(&mut s, &server);

    let out = s.run(&["keys", "list"]);

    out.assert_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("ID"), "{}", out.stdout);
    assert!(lines[1].contains("key_1") && lines[1].contains("laptop"));
    assert!(lines[1].contains("2026-02-03") && lines[1].ends_with("(this computer's key)"));
    assert!(lines[2].contains("cl_live_NE…ab") && lines[2].contains("never"));
    assert_eq!(server.to("GET", "/v1/keys")[0].bearer(), Some(SESSION));

    let doc = json_doc(&s.run(&["keys", "list", "--json"]));
    assert_eq!(doc["keys"][0]["current"], true);
    assert_eq!(doc["keys"][1]["masked"], "cl_live_NE…ab");
    server.assert_no_secret_in_urls();
}

#[test]
fn keys_revoke_asks_for_yes_and_names_an_unknown_id() {
    let mut s = Sandbox::without_key();
    let server = Fake {
        rows: vec![json!({"id": "key_1", "name": "old"})],
        ..Fake::default()
    }
    .start();
    logged_in(&mut s, &server);

    let out = s.run(&["keys", "revoke", "key_1"]);
    out.assert_code(2);
    out.stderr_has("--yes");
    assert!(server.to("DELETE", "/v1/keys/key_1").is_empty());

    let out = s.run(&["keys", "revoke", "key_1", "--yes"]);
    out.assert_code(0);
    out.stdout_has("revoked the API key key_1");
    assert_eq!(
        server.to("DELETE", "/v1/keys/key_1")[0].bearer(),
        Some(SESSION)
    );

    let out = s.run(&["keys", "revoke", "key_1", "--yes"]);
    out.assert_code(1);
    out.stderr_has("no API key with the id key_1");
    out.stderr_has("codeloop keys list");

    // A key where an id goes: refused, not echoed, not sent.
    let before = server.requests().len();
    let out = s.run(&["keys", "revoke", KEY, "--yes"]);
    out.assert_code(2);
    out.stderr_has("not a key id");
    assert_eq!(server.requests().len(), before);
}

#[test]
fn keys_need_a_valid_session_for_this_service() {
    // Not signed in: nothing is sent.
    let mut s = Sandbox::without_key();
    let server = Fake::default().start();
    talking_to(&mut s, &server);
    let out = s.run(&["keys", "list"]);
    out.assert_code(1);
    out.stderr_has("codeloop login");
    assert!(server.requests().is_empty());

    // Expired, or not allowed.
    for (answer, expected) in [
        (Answer::Status(401), "session is no longer valid"),
        (Answer::Status(403), "may not list API keys"),
        (Answer::Status(500), "try again later"),
        (Answer::Garbage, "does not understand"),
        (
            Answer::Json(json!({"keys": [{"name": "no id"}]})),
            "does not understand",
        ),
    ] {
        let mut s = Sandbox::without_key();
        let server = Fake {
            keys: answer,
            ..Fake::default()
        }
        .start();
        logged_in(&mut s, &server);
        let out = s.run(&["keys", "list"]);
        out.assert_code(1);
        out.stderr_has(expected);
    }

    // A session is never sent to another service than the one it came from.
    let mut s = Sandbox::without_key();
    let first = Fake::default().start();
    logged_in(&mut s, &first);
    let other = Fake::default().start();
    s.env.push(("CODELOOP_API_URL".into(), other.base.clone()));
    let out = s.run(&["keys", "list"]);
    out.assert_code(1);
    out.stderr_has("belongs to");
    assert!(other.requests().is_empty());
}

// ---------------------------------------------------------------------------------
// doctor: the service

/// A sandbox with nothing to configure (no shells, no editors), `node` v20 and
/// `npx`, talking to `server`: doctor's verdict hangs on the service alone.
fn quiet(server: &Service) -> Sandbox {
    let mut s = Sandbox::new();
    s.system_path = String::new();
    node_reporting(&s, "v20.11.1");
    s.fake_exe("npx");
    talking_to(&mut s, server);
    // Something set up, so only the checks under test decide whether it is healthy.
    s.init_ok("cursor");
    s
}

/// A fake `node` that prints `version` and records its arguments.
fn node_reporting(s: &Sandbox, version: &str) {
    let node = s.bin.join("node");
    let argv = s.root.join("node-argv");
    write(
        &node,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> {}\necho {version}\n",
            argv.display()
        ),
    );
    set_mode(&node, 0o755);
}

fn check<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {doc:#}"))
}

#[test]
fn doctor_asks_the_service_with_the_key_in_the_authorization_header() {
    let server = Fake::default().start();
    let s = quiet(&server);

    let out = s.run(&["doctor"]);

    out.assert_code(0);
    out.stdout_has(&format!("accepts the API key ({KEY_MASKED})"));
    let asked = server.to("POST", "/v1/keys/validate");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].bearer(), Some(KEY));
    assert!(asked[0].body.is_empty());
    server.assert_no_secret_in_urls();

    let doc = json_doc(&s.run(&["doctor", "--json"]));
    assert_eq!(doc["healthy"], true);
    assert_eq!(check(&doc, "service")["status"], "ok");
    // node --version was all node was asked.
    assert_eq!(
        read(&s.root.join("node-argv")),
        "--version\n--version\n",
        "node's argv"
    );
}

#[test]
fn doctor_calls_a_revoked_key_a_problem_with_the_rotate_fix() {
    for status in [401, 403] {
        let server = Fake {
            validate: Answer::Status(status),
            ..Fake::default()
        }
        .start();
        let s = quiet(&server);
        let out = s.run(&["doctor"]);
        out.assert_code(1);
        out.stdout_has("revoked or invalid");
        out.stdout_has("codeloop auth --rotate");

        let doc = json_doc(&s.run(&["doctor", "--json"]));
        assert_eq!(doc["healthy"], false);
        let service = check(&doc, "service");
        assert_eq!(service["status"], "problem");
        assert_eq!(service["fix"], "codeloop auth --rotate");
        assert_eq!(service["httpStatus"], status);
        assert!(
            doc["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["fix"] == "codeloop auth --rotate")
        );
        // A 200 that says "not valid" is the same verdict.
        let server = Fake {
            validate: Answer::Json(json!({"valid": false})),
            ..Fake::default()
        }
        .start();
        let out = quiet(&server).run(&["doctor"]);
        out.assert_code(1);
        out.stdout_has("revoked or invalid");
    }
}

#[test]
fn doctor_never_calls_the_key_invalid_when_the_service_does_not_answer_clearly() {
    let unreachable = format!("http://127.0.0.1:{}", closed_port());
    let cases: Vec<(Option<Fake>, &str)> = vec![
        (None, "could not be reached (connection refused)"),
        (
            Some(Fake {
                validate: Answer::Garbage,
                ..Fake::default()
            }),
            "does not understand",
        ),
        (
            Some(Fake {
                validate: Answer::Json(json!({"ok": 1})),
                ..Fake::default()
            }),
            "does not understand",
        ),
        (
            Some(Fake {
                validate: Answer::Status(503),
                ..Fake::default()
            }),
            "HTTP 503",
        ),
        (
            Some(Fake {
                validate: Answer::Status(404),
                ..Fake::default()
            }),
            "HTTP 404",
        ),
    ];
    for (fake, expected) in cases {
        let server = fake.map(Fake::start);
        let mut s = quiet(server.as_ref().unwrap_or(&Fake::default().start()));
        if server.is_none() {
            s.env.push(("CODELOOP_API_URL".into(), unreachable.clone()));
        }
        let out = s.run(&["doctor"]);
        out.assert_code(0);
        out.stdout_has(expected);
        out.stdout_has("the key was not checked");
        assert!(!out.stdout.contains("revoked"), "{}", out.masked());
        let doc = json_doc(&s.run(&["doctor", "--json"]));
        assert_eq!(doc["healthy"], true, "{expected}");
        assert_eq!(check(&doc, "service")["status"], "warning");
    }
}

#[test]
fn doctor_gives_a_slow_service_five_seconds() {
    let server = Fake {
        validate: Answer::Slow(Duration::from_secs(8)),
        ..Fake::default()
    }
    .start();
    let s = quiet(&server);
    let started = Instant::now();
    let out = s.run(&["doctor"]);
    let took = started.elapsed();
    out.assert_code(0);
    out.stdout_has("no answer within 5 s");
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(8),
        "{took:?}"
    );
}

#[test]
fn doctor_offline_asks_nothing() {
    let server = Fake::default().start();
    let s = quiet(&server);
    let out = s.run(&["doctor", "--offline"]);
    out.assert_code(0);
    out.stdout_has("not asked (--offline)");
    let doc = json_doc(&s.run(&["doctor", "--offline", "--json"]));
    assert_eq!(check(&doc, "service")["status"], "skipped");
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------------
// doctor: leaked keys

/// A repository with keys in all the places a scan must find, and in those it must
/// not look.
fn leaky_repo(s: &Sandbox) {
    let p = |rel: &str| s.project_path(rel);
    s.git_init(&s.project);
    write(&p("src/settings.py"), format!("A = 1\n\n# {KEY}\nB = 2\n"));
    write(
        &p("config/deploy.json"),
        format!("{{\n  \"a\": \"cl_live_xxxxxxxxxxxx\",\n  \"b\": \"{KEY2}\"\n}}\n"),
    );
    write(&p(".env.example"), format!("CODELOOP_API_KEY={KEY}\n"));
    write(
        &p("README.md"),
        "the key looks like cl_live_…, e.g. cl_live_ab…yz\n",
    );
    let mut binary = b"\x7fELF\0\0\0".to_vec();
    binary.extend_from_slice(KEY.as_bytes());
    write(&p("bin/tool"), binary);
    let mut big = "x".repeat(1024 * 1024);
    big.push_str(KEY);
    write(&p("data/big.txt"), big);
    let outside = s.root.join("outside.txt");
    write(&outside, format!("{KEY}\n"));
    symlink(&outside, &p("linked.txt"));
    write(&p("web/index.js"), "export {};\n");
    s.git(&s.project, &["add", "-A"]);
    s.git(&s.project, &["commit", "-qm", "x"]);
    // Untracked: a .env file beside tracked files is scanned, any other file is not
    // (nor directories git tracks nothing in, such as node_modules).
    write(&p("web/.env.local"), format!("\n\nKEY={KEY2}\n"));
    write(&p("notes.txt"), format!("{KEY}\n"));
    write(&p("node_modules/pkg/.env"), format!("{KEY}\n"));
}

fn hits(doc: &Value) -> Vec<(String, u64, String, bool)> {
    check(doc, "leaks")["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["file"].as_str().unwrap().to_owned(),
                h["line"].as_u64().unwrap(),
                h["key"].as_str().unwrap().to_owned(),
                h["tracked"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn doctor_finds_leaked_keys_by_file_and_line_masked() {
    let mut s = Sandbox::new();
    node_reporting(&s, "v20.11.1");
    leaky_repo(&s);

    let out = s.run(&["doctor", "--offline"]);

    out.assert_code(1);
    out.stdout_has(&format!(
        "leaked CodeLoop key {KEY_MASKED} in src/settings.py:3"
    ));
    out.stdout_has("config/deploy.json:3");
    out.stdout_has("web/.env.local:3");
    out.stdout_has("from git history");
    out.stdout_has("codeloop auth --rotate");

    let doc = json_doc(&s.run(&["doctor", "--offline", "--json"]));
    let expected = vec![
        (".env.example".to_owned(), 1, KEY_MASKED.to_owned(), true),
        (
            "config/deploy.json".to_owned(),
            3,
            "cl_live_NE…ab".to_owned(),
            true,
        ),
        ("src/settings.py".to_owned(), 3, KEY_MASKED.to_owned(), true),
        (
            "web/.env.local".to_owned(),
            3,
            "cl_live_NE…ab".to_owned(),
            false,
        ),
    ];
    assert_eq!(hits(&doc), expected);
    let leaks = check(&doc, "leaks");
    assert_eq!(leaks["status"], "problem");
    assert_eq!(leaks["listedBy"], "index");
    // The binary, the big file and the symlink were skipped, not read.
    assert_eq!(leaks["filesSkipped"], 3);
    assert_eq!(doc["healthy"], false);

    // When git itself has to list the files (a GIT_* variable that moves git, such as
    // GIT_DIR), the answer is the same.
    let git_dir = s.project.join(".git").to_str().unwrap().to_owned();
    s.env.push(("GIT_DIR".into(), git_dir));
    let doc = json_doc(&s.run(&["doctor", "--offline", "--json"]));
    assert_eq!(check(&doc, "leaks")["listedBy"], "git");
    assert_eq!(hits(&doc), expected);
}

#[test]
fn doctor_reports_no_leak_in_a_clean_project_or_outside_git() {
    let s = Sandbox::new();
    node_reporting(&s, "v20.11.1");
    write(&s.project_path("main.rs"), "fn main() {}\n");
    let doc = json_doc(&s.run(&["doctor", "--offline", "--json"]));
    assert_eq!(check(&doc, "leaks")["status"], "ok");
    assert_eq!(check(&doc, "leaks")["listedBy"], "none");

    // Outside git, the project's .env files are still read.
    write(&s.project_path(".env"), format!("K={KEY}\n"));
    let doc = json_doc(&s.run(&["doctor", "--offline", "--json"]));
    assert_eq!(
        hits(&doc),
        vec![(".env".to_owned(), 1, KEY_MASKED.to_owned(), false)]
    );
}

// ---------------------------------------------------------------------------------
// doctor: Node.js

#[test]
fn doctor_wants_node_18_or_newer_and_npx() {
    let server = Fake::default().start();
    let s = quiet(&server);
    node_reporting(&s, "v16.20.2");
    let out = s.run(&["doctor", "--offline"]);
    out.assert_code(1);
    out.stdout_has("Node.js v16.20.2");
    out.stdout_has("too old");
    out.stdout_has("install Node.js 18 or newer from https://nodejs.org");
    let doc = json_doc(&s.run(&["doctor", "--offline", "--json"]));
    let node = check(&doc, "node");
    assert_eq!(node["status"], "problem");
    assert_eq!(node["version"], "v16.20.2");
    let argv = read(&s.root.join("node-argv"));
    assert!(argv.lines().all(|l| l == "--version"), "{argv}");

    node_reporting(&s, "v18.0.0");
    s.run(&["doctor", "--offline"]).assert_code(0);

    // node without npx.
    std::fs::remove_file(s.bin.join("npx")).unwrap();
    let out = s.run(&["doctor", "--offline"]);
    out.assert_code(1);
    out.stdout_has("npx is not on PATH");

    // A node that says nothing useful: a warning, not a verdict.
    s.fake_exe("npx");
    node_reporting(&s, "");
    let out = s.run(&["doctor", "--offline"]);
    out.assert_code(0);
    out.stdout_has("could not tell its version");
}
