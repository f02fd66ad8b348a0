//! The browser sign-in, as native apps do it (RFC 8252 with PKCE, RFC 7636): a
//! one-shot HTTP/1.1 listener on 127.0.0.1 with an OS-chosen port, a random `state`
//! and code verifier, and `{base}/cli-auth?port=…&state=…&code_challenge=…` (S256)
//! opened in the browser. It accepts exactly one `GET /callback` whose `state`
//! matches (compared in constant time) and that carries a one-time `code`, closes the
//! listener, and exchanges code + verifier for the key (or session) over HTTPS in one
//! call of `crate::api`. A callback that carries a key instead of a code is refused:
//! a key in a URL lands in the browser's history. Never prints the callback URL.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::api::{Api, ApiError, Grant, Want};
use crate::sys::Sys;

use super::{Notice, Notify};

#[derive(Debug, Error)]
pub enum SignInError {
    #[error(
        "no sign-in came back from the browser within {secs} second{s}; run `{retry}` again (with `--timeout SECONDS` for more time), or `{retry} --no-browser` to sign in with email and password"
    )]
    Timeout {
        secs: u64,
        /// "s" unless `secs` is 1.
        s: &'static str,
        retry: &'static str,
    },
    #[error(
        "the sign-in page sent the API key back in the URL, which codeloop refuses (it stays in the browser's history); nothing was saved; clear the browser's history and rotate that key: run `codeloop auth --rotate`"
    )]
    KeyInUrl,
    #[error("the sign-in was not completed in the browser ({error}); run `{retry}` again")]
    Denied { error: String, retry: &'static str },
    #[error(
        "the browser came back without a valid sign-in code; nothing was saved; run `{retry}` again"
    )]
    BadCallback { retry: &'static str },
    #[error(
        "cannot start the sign-in listener on 127.0.0.1: {err}; run `{retry} --no-browser` instead"
    )]
    Listen { err: io::Error, retry: &'static str },
    #[error("cannot make a random sign-in secret: {0}")]
    Random(String),
    #[error(transparent)]
    Api(#[from] ApiError),
}

fn random_bytes() -> Result<[u8; 32], SignInError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SignInError::Random(e.to_string()))?;
    Ok(bytes)
}

/// 256 bits from the OS RNG, as 64 hex digits.
fn random_state() -> Result<String, SignInError> {
    Ok(random_bytes()?.iter().map(|b| format!("{b:02x}")).collect())
}

/// A PKCE code verifier: 256 bits from the OS RNG, base64url without padding (43
/// characters of RFC 7636's unreserved set).
fn random_verifier() -> Result<String, SignInError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes()?))
}

/// The S256 code challenge: `BASE64URL(SHA256(verifier))`, no padding.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Runs the browser sign-in and returns what the service issued for `want`. Hands
/// the page's URL to `notify` (to show it, for SSH and headless machines), and tries
/// to open it.
pub fn sign_in(
    sys: &Sys,
    api: &Api,
    want: &Want,
    rotate: bool,
    timeout: Duration,
    notify: Notify<'_>,
) -> Result<Grant, SignInError> {
    let retry = api.retry();
    let listen = |err| SignInError::Listen { err, retry };
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(listen)?;
    let port = listener.local_addr().map_err(listen)?.port();
    listener.set_nonblocking(true).map_err(listen)?;
    let state = random_state()?;
    let verifier = random_verifier()?;
    let url = api.sign_in_url(port, &state, &challenge(&verifier), rotate, want);

    notify(Notice::SignInPage { url: &url, timeout });
    if let Err(e) = sys.open_browser(&url) {
        notify(Notice::BrowserNotOpened(&e));
    }
    let (stream, code) = wait_for_callback(&listener, &state, timeout, retry)?;
    // One shot: a replayed callback finds nothing listening.
    drop(listener);
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    match api.exchange(&code, &verifier, &redirect_uri, want) {
        Ok(grant) => {
            respond_html(&stream, 200, "OK", DONE_PAGE);
            Ok(grant)
        }
        Err(e) => {
            respond_html(&stream, 502, "Bad Gateway", FAILED_PAGE);
            Err(SignInError::Api(e))
        }
    }
}

/// Serves the listener until a callback carries `state`, or `timeout` passes; the
/// browser's connection (still waiting for its page) and the code.
fn wait_for_callback(
    listener: &TcpListener,
    state: &str,
    timeout: Duration,
    retry: &'static str,
) -> Result<(TcpStream, String), SignInError> {
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(result) = serve(stream, state, retry) {
                    return result;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(SignInError::Timeout {
                        secs: timeout.as_secs(),
                        s: if timeout.as_secs() == 1 { "" } else { "s" },
                        retry,
                    });
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>codeloop</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>Signed in</h1>\
<p>codeloop is signed in. You can close this tab and return to the terminal.</p>";
const FAILED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>codeloop</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>Sign-in failed</h1>\
<p>codeloop could not finish the sign-in. Return to the terminal to see why.</p>";
const KEY_IN_URL_PAGE: &str = "<!doctype html><meta charset=utf-8><title>codeloop</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>Sign-in refused</h1>\
<p>This page sent an API key in the address, where browser history keeps it. codeloop refused it. Return to the terminal.</p>";
const BAD_CALLBACK_PAGE: &str = "<!doctype html><meta charset=utf-8><title>codeloop</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>Sign-in failed</h1>\
<p>The browser came back without a sign-in code. Return to the terminal and run <code>codeloop auth</code> again.</p>";

/// Answers one connection. `Some` ends the wait: the callback with our state came.
/// On success the browser's connection is handed back unanswered, to get its page
/// once the exchange is done.
fn serve(
    stream: TcpStream,
    state: &str,
    retry: &'static str,
) -> Option<Result<(TcpStream, String), SignInError>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let Some(target) = read_request_target(&mut reader) else {
        respond(&stream, 400, "Bad Request", "bad request");
        return None;
    };
    drop(reader);
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != "/callback" {
        respond(&stream, 404, "Not Found", "not found");
        return None;
    }
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v))
    };
    let matches = param("state").is_some_and(|s| constant_time_eq(s.as_bytes(), state.as_bytes()));
    if !matches {
        respond(
            &stream,
            400,
            "Bad Request",
            "this sign-in link does not belong to the codeloop waiting on this port",
        );
        return None;
    }
    if query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        name == "key" || percent_decode(pair).contains(crate::auth::PREFIX)
    }) {
        respond_html(&stream, 400, "Bad Request", KEY_IN_URL_PAGE);
        return Some(Err(SignInError::KeyInUrl));
    }
    if let Some(error) = param("error") {
        respond_html(&stream, 400, "Bad Request", BAD_CALLBACK_PAGE);
        let error: String = error
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect();
        return Some(Err(SignInError::Denied { error, retry }));
    }
    match param("code") {
        Some(code) if valid_code(&code) => Some(Ok((stream, code))),
        _ => {
            respond_html(&stream, 400, "Bad Request", BAD_CALLBACK_PAGE);
            Some(Err(SignInError::BadCallback { retry }))
        }
    }
}

/// A one-time code: 1 to 512 of RFC 3986's unreserved characters.
fn valid_code(code: &str) -> bool {
    (1..=512).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The request target of a `GET` (its headers are read and ignored); `None` for
/// anything else or a malformed request.
fn read_request_target(reader: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    Read::take(&mut *reader, 8 * 1024)
        .read_line(&mut line)
        .ok()?;
    let mut parts = line.split_whitespace();
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    // The headers, up to the blank line, bounded.
    let mut header = String::new();
    for _ in 0..100 {
        header.clear();
        match Read::take(&mut *reader, 8 * 1024).read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    (method == "GET" && version.starts_with("HTTP/1.")).then(|| target.to_owned())
}

fn respond(stream: &TcpStream, code: u16, reason: &str, body: &str) {
    write_response(stream, code, reason, "text/plain; charset=utf-8", body);
}

fn respond_html(stream: &TcpStream, code: u16, reason: &str, body: &str) {
    write_response(stream, code, reason, "text/html; charset=utf-8", body);
}

fn write_response(mut stream: &TcpStream, code: u16, reason: &str, kind: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// `a == b` in time that depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// `%XX` escapes and `+` as space, as in a query string. Invalid escapes stay as
/// they are; the result is lossy UTF-8.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let v = random_verifier().unwrap();
        assert_eq!(v.len(), 43);
        assert!(valid_code(&v), "the verifier uses the unreserved set");
        assert_ne!(v, random_verifier().unwrap());
    }

    #[test]
    fn codes_are_unreserved_characters_only() {
        assert!(valid_code("abc-DEF_12.3~"));
        for bad in ["", "a b", "a&b", "a%20", &"a".repeat(513)] {
            assert!(!valid_code(bad), "{bad}");
        }
    }

    #[test]
    fn compares_in_constant_time_but_correctly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn decodes_query_values() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("cl_live_abc-_"), "cl_live_abc-_");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
    }

    #[test]
    fn state_has_at_least_128_random_bits() {
        let a = random_state().unwrap();
        let b = random_state().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn reads_only_get_requests() {
        let mut get = &b"GET /callback?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"[..];
        assert_eq!(
            read_request_target(&mut get).as_deref(),
            Some("/callback?x=1")
        );
        let mut post = &b"POST /callback HTTP/1.1\r\n\r\n"[..];
        assert_eq!(read_request_target(&mut post), None);
        let mut junk = &b"hello\r\n"[..];
        assert_eq!(read_request_target(&mut junk), None);
    }
}
