//! A stand-in CodeLoop service on 127.0.0.1, for `tests/it/auth.rs` and
//! `tests/it/service.rs`: the sign-in page (which sends the "browser" back to codeloop's
//! loopback listener with a one-time code, as RFC 8252 says), the code exchange (which
//! checks the PKCE verifier against the challenge, RFC 7636 S256), the password
//! sign-in, `/v1/keys` (create, list, revoke with a session) and
//! `/v1/keys/validate`. Every request is recorded as it arrived, so tests can check
//! what travelled where (no key in any URL, keys only in `Authorization`). One thread
//! per connection, so a slow answer holds up nobody else.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{Sandbox, set_mode, write};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::Digest as _;

/// The session token the stand-in issues.
pub const SESSION: &str = "sess_TESTsession0123456789";

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target, query included.
    pub target: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, as sent (not decoded).
    pub fn param(&self, name: &str) -> Option<String> {
        self.query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// `Authorization: Bearer X` → X.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }
}

/// What the stand-in answers to one endpoint.
#[derive(Debug, Clone)]
pub enum Answer {
    /// What a working service does.
    Normal,
    /// This status, with a small JSON error body.
    Status(u16),
    /// 200 with this JSON.
    Json(Value),
    /// 200 with a body that is not JSON.
    Garbage,
    /// Waits this long, then answers normally.
    Slow(Duration),
}

/// What the sign-in page does with the browser.
#[derive(Debug, Clone)]
pub enum Page {
    /// Back to the callback with the state and a one-time code.
    Code,
    /// First knocks on the listener with a wrong state, no state and another path
    /// (recording the answers), then like `Code`.
    WrongStateFirst,
    /// The old way: the key itself in the callback URL (codeloop must refuse it).
    KeyInUrl(String),
    /// The person said no: `error=access_denied`.
    Denied,
}

/// How the stand-in behaves; `start` it.
#[derive(Debug, Clone)]
pub struct Fake {
    pub page: Page,
    /// The key a sign-in grants (the code exchange and the password sign-in).
    pub grant_key: String,
    pub token: Answer,
    pub login: Answer,
    pub validate: Answer,
    /// `/v1/keys` and `/v1/keys/{id}`.
    pub keys: Answer,
    /// The key `POST /v1/keys` makes.
    pub created_key: String,
    /// The rows `GET /v1/keys` starts with.
    pub rows: Vec<Value>,
}

impl Default for Fake {
    fn default() -> Fake {
        Fake {
            page: Page::Code,
            grant_key: crate::harness::KEY.to_owned(),
            token: Answer::Normal,
            login: Answer::Normal,
            validate: Answer::Normal,
            keys: Answer::Normal,
            created_key: crate::harness::KEY2.to_owned(),
            rows: Vec::new(),
        }
    }
}

struct State {
    fake: Fake,
    requests: Mutex<Vec<Request>>,
    notes: Mutex<Vec<String>>,
    /// Unused codes: code → (challenge, port).
    codes: Mutex<HashMap<String, (String, u16)>>,
    rows: Mutex<Vec<Value>>,
    counter: Mutex<u32>,
}

/// A running stand-in.
pub struct Service {
    pub base: String,
    state: Arc<State>,
}

impl Fake {
    pub fn start(self) -> Service {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            rows: Mutex::new(self.rows.clone()),
            fake: self,
            requests: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
            codes: Mutex::new(HashMap::new()),
            counter: Mutex::new(0),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Service { base, state }
    }
}

impl Service {
    /// Every request so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Requests to `method path`.
    pub fn to(&self, method: &str, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path == path)
            .collect()
    }

    /// Notes of the stand-in's own: `cli-auth <query>`, `wrong-state <code>`,
    /// `token-refused <why>`…, those starting with `prefix`, without it.
    pub fn noted(&self, prefix: &str) -> Vec<String> {
        self.state
            .notes
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| l.strip_prefix(prefix).map(str::to_owned))
            .collect()
    }

    /// No request line that reached the stand-in holds a key or a session token.
    pub fn assert_no_secret_in_urls(&self) {
        for r in self.requests() {
            assert!(
                !r.target.contains("cl_live_") && !r.target.contains(SESSION),
                "a secret travelled in a URL: {} {}",
                r.method,
                crate::harness::mask(&r.target)
            );
        }
    }
}

fn note(state: &State, line: String) {
    state.notes.lock().unwrap().push(line);
}

fn serve(stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(request) = read_request(&stream) else {
        return;
    };
    state.requests.lock().unwrap().push(request.clone());
    let (status, headers, body) = answer(&request, state);
    let mut stream = &stream;
    let mut head = format!("HTTP/1.1 {status} X\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let _ = write!(
        stream,
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        target: target.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

type Reply = (u16, Vec<(String, String)>, String);

fn reply(status: u16, body: Value) -> Reply {
    (
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.to_string(),
    )
}

/// `answer` overrides the normal behaviour `normal`.
fn with(answer: &Answer, normal: impl FnOnce() -> Reply) -> Reply {
    match answer {
        Answer::Normal => normal(),
        Answer::Status(code) => reply(*code, json!({"error": "stand-in says no"})),
        Answer::Json(v) => reply(200, v.clone()),
        Answer::Garbage => (200, Vec::new(), "<html>surprise</html>".to_owned()),
        Answer::Slow(wait) => {
            std::thread::sleep(*wait);
            normal()
        }
    }
}

fn answer(r: &Request, state: &State) -> Reply {
    let fake = &state.fake;
    match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/cli-auth") => sign_in_page(r, state),
        ("GET", "/signup") => (200, Vec::new(), "sign up here".to_owned()),
        ("POST", "/api/cli/token") => with(&fake.token, || exchange(r, state)),
        ("POST", "/api/cli/login") => with(&fake.login, || {
            if r.json()["session"] == true {
                reply(200, json!({"session": SESSION}))
            } else {
                reply(200, json!({"key": fake.grant_key}))
            }
        }),
        ("POST", "/v1/keys/validate") => with(&fake.validate, || {
            if r.bearer().is_some_and(|b| b.starts_with("cl_live_")) {
                reply(200, json!({"valid": true}))
            } else {
                reply(401, json!({"error": "no key"}))
            }
        }),
        (_, path) if path == "/v1/keys" || path.starts_with("/v1/keys/") => {
            with(&fake.keys, || keys(r, state))
        }
        _ => reply(404, json!({"error": "not found"})),
    }
}

fn sign_in_page(r: &Request, state: &State) -> Reply {
    note(state, format!("cli-auth {}", r.query));
    let port: u16 = r.param("port").and_then(|p| p.parse().ok()).unwrap_or(0);
    let state_param = r.param("state").unwrap_or_default();
    let challenge = r.param("code_challenge").unwrap_or_default();
    if r.param("code_challenge_method").as_deref() != Some("S256") {
        note(state, "page-refused no S256".to_owned());
        return reply(400, json!({"error": "S256 required"}));
    }
    let code = {
        let mut n = state.counter.lock().unwrap();
        *n += 1;
        format!("code-{}-{n}", port)
    };
    let callback = format!("http://127.0.0.1:{port}/callback?state={state_param}");
    let location = match &state.fake.page {
        Page::Code | Page::WrongStateFirst => {
            if matches!(state.fake.page, Page::WrongStateFirst) {
                for (what, target) in [
                    (
                        "wrong-state",
                        format!("/callback?state=x{state_param}&code=c1"),
                    ),
                    ("no-state", "/callback?code=c2".to_owned()),
                    (
                        "other-path",
                        format!("/elsewhere?state={state_param}&code=c3"),
                    ),
                ] {
                    let code = http_get(port, &target);
                    note(state, format!("{what} {code:?}"));
                }
            }
            state
                .codes
                .lock()
                .unwrap()
                .insert(code.clone(), (challenge, port));
            format!("{callback}&code={code}")
        }
        Page::KeyInUrl(key) => format!("{callback}&key={key}"),
        Page::Denied => format!("{callback}&error=access_denied"),
    };
    (302, vec![("Location".into(), location)], String::new())
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)), no padding.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

fn exchange(r: &Request, state: &State) -> Reply {
    let body = r.json();
    note(state, format!("token {}", r.body));
    let code = body["code"].as_str().unwrap_or_default();
    let verifier = body["codeVerifier"].as_str().unwrap_or_default();
    let refused = |why: &str| {
        note(state, format!("token-refused {why}"));
        reply(400, json!({"error": "invalid_grant"}))
    };
    if body["grantType"] != "authorization_code" {
        return refused("grantType");
    }
    // One time only.
    let Some((challenge, port)) = state.codes.lock().unwrap().remove(code) else {
        return refused("unknown or used code");
    };
    if s256(verifier) != challenge {
        return refused("verifier does not match the challenge");
    }
    if body["redirectUri"] != format!("http://127.0.0.1:{port}/callback") {
        return refused("redirectUri");
    }
    if body["session"] == true {
        reply(
            200,
            json!({"session": SESSION, "expiresAt": "2099-01-01T00:00:00Z"}),
        )
    } else {
        reply(200, json!({"key": state.fake.grant_key}))
    }
}

fn keys(r: &Request, state: &State) -> Reply {
    if r.bearer() != Some(SESSION) {
        return reply(401, json!({"error": "no session"}));
    }
    let mut rows = state.rows.lock().unwrap();
    match (r.method.as_str(), r.path.strip_prefix("/v1/keys")) {
        ("GET", Some("")) => reply(200, json!({ "keys": *rows })),
        ("POST", Some("")) => {
            let name = r.json()["name"].as_str().unwrap_or_default().to_owned();
            let key = &state.fake.created_key;
            let masked = format!("cl_live_{}…{}", &key[8..10], &key[key.len() - 2..]);
            let row = json!({"id": "key_new", "name": name, "masked": masked, "createdAt": "2026-01-02T03:04:05Z", "lastUsedAt": null});
            rows.push(row);
            reply(
                201,
                json!({"id": "key_new", "name": name, "key": key, "createdAt": "2026-01-02T03:04:05Z"}),
            )
        }
        ("DELETE", Some(id)) => {
            let id = id.trim_start_matches('/');
            let before = rows.len();
            rows.retain(|row| row["id"] != id);
            if rows.len() < before {
                (204, Vec::new(), String::new())
            } else {
                reply(404, json!({"error": "no such key"}))
            }
        }
        _ => reply(405, json!({"error": "method"})),
    }
}

// ---------------------------------------------------------------------------------
// The stand-in browser

/// Writes the `BROWSER` script (plain bash and its `/dev/tcp`, no curl needed): it
/// records its arguments, follows the sign-in page and its redirect to the callback
/// (recording where that pointed), then replays the callback and records the result
/// (7: nothing listening). Returns (script, its output dir).
pub fn browser(s: &Sandbox) -> (PathBuf, PathBuf) {
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
printf '%s\n' "$@" > "{d}/argv"
url="$1"
rest=${{url#http://}}
page=$(get "${{rest%%/*}}" "/${{rest#*/}}")
location=$(printf '%s' "$page" | tr -d '\r' | sed -n 's/^Location: //p')
printf '%s' "$location" > "{d}/location"
rest=${{location#http://}}
answer=$(get "${{rest%%/*}}" "/${{rest#*/}}")
printf '%s' "$answer" | head -n 1 | cut -d' ' -f2 | tr -d '\r\n' > "{d}/status"
printf '%s' "$answer" > "{d}/page.html"
port=$(echo "$url" | sed 's/.*[?&]port=\([0-9]*\).*/\1/')
state=$(echo "$url" | sed 's/.*[?&]state=\([0-9a-f]*\).*/\1/')
sleep 0.3
if get "127.0.0.1:$port" "/callback?state=$state&code=replayed-code" >/dev/null 2>&1; then
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

/// Waits for the browser script to finish (its replay result), up to 10 s; then
/// checks that no key reached the browser's argv or the callback URL it followed.
pub fn replay_result(dir: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(dir.join("replay")) {
            for file in ["argv", "location"] {
                let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
                assert!(
                    !text.contains("cl_live_"),
                    "a key in the browser's {file}: {}",
                    crate::harness::mask(&text)
                );
            }
            return text.trim().to_owned();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the browser script did not finish");
}

/// The status code of `GET target` on 127.0.0.1:`port`; `None` when refused.
pub fn http_get(port: u16, target: &str) -> Option<u16> {
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
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
