//! The browser sign-in: a one-shot HTTP/1.1 listener on 127.0.0.1 with an OS-chosen
//! port, a random `state`, and `{base}/cli-auth?port=…&state=…` opened in the browser.
//! It accepts exactly one `GET /callback` whose `state` matches (compared in constant
//! time), then closes. It never prints the callback URL or the key.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::{ApiKey, InvalidKey};
use crate::sys::Sys;

/// Where `codeloop auth` signs in unless `CODELOOP_API_URL` says otherwise.
pub const DEFAULT_BASE: &str = "https://codeloop.tech";
pub const BASE_VAR: &str = "CODELOOP_API_URL";

/// `CODELOOP_API_URL` (without a trailing slash), or the default.
pub fn base_url(sys: &Sys) -> String {
    sys.var(BASE_VAR)
        .unwrap_or(DEFAULT_BASE)
        .trim_end_matches('/')
        .to_owned()
}

#[derive(Debug, Error)]
pub enum SignInError {
    #[error(
        "no sign-in came back from the browser within {0} seconds; run `codeloop auth` again (with `--timeout SECONDS` for more time), or `codeloop auth --no-browser` to sign in with email and password"
    )]
    Timeout(u64),
    #[error(
        "the browser sign-in sent back a value that {0}; nothing was saved; run `codeloop auth` again"
    )]
    BadKey(InvalidKey),
    #[error(
        "cannot start the sign-in listener on 127.0.0.1: {0}; run `codeloop auth --no-browser` instead"
    )]
    Listen(io::Error),
    #[error("cannot make a random sign-in state: {0}")]
    Random(String),
}

/// 256 bits from the OS RNG, as 64 hex digits.
fn random_state() -> Result<String, SignInError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SignInError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs the browser sign-in and returns the key the browser sent back. Prints the
/// URL on `out` (for SSH and headless machines), and tries to open it.
pub fn sign_in(
    sys: &Sys,
    base: &str,
    rotate: bool,
    timeout: Duration,
    out: &mut dyn Write,
) -> Result<ApiKey, SignInError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(SignInError::Listen)?;
    let port = listener.local_addr().map_err(SignInError::Listen)?.port();
    listener
        .set_nonblocking(true)
        .map_err(SignInError::Listen)?;
    let state = random_state()?;
    let rotate = if rotate { "&rotate=1" } else { "" };
    let url = format!("{base}/cli-auth?port={port}&state={state}{rotate}");

    let _ = writeln!(
        out,
        "to sign in, open this page in a browser on this computer (opening it for you now):\n\n  {url}\n\nwaiting up to {} seconds for the sign-in to finish…",
        timeout.as_secs()
    );
    let _ = out.flush();
    if let Err(e) = sys.open_browser(&url) {
        let _ = writeln!(
            out,
            "could not open a browser ({e}); open the page above yourself"
        );
    }
    wait_for_callback(&listener, &state, timeout)
    // `listener` is dropped here: a replayed callback finds nothing listening.
}

/// Serves the listener until one callback carries `state`, or `timeout` passes.
fn wait_for_callback(
    listener: &TcpListener,
    state: &str,
    timeout: Duration,
) -> Result<ApiKey, SignInError> {
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(result) = serve(stream, state) {
                    return result;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(SignInError::Timeout(timeout.as_secs()));
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
<p>codeloop has your API key. You can close this tab and return to the terminal.</p>";
const BAD_KEY_PAGE: &str = "<!doctype html><meta charset=utf-8><title>codeloop</title>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>Sign-in failed</h1>\
<p>The key sent back was not a valid CodeLoop API key. Return to the terminal and run <code>codeloop auth</code> again.</p>";

/// Answers one connection. `Some` ends the wait: the callback with our state came.
fn serve(stream: TcpStream, state: &str) -> Option<Result<ApiKey, SignInError>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let Some(target) = read_request_target(&mut reader) else {
        respond(&stream, 400, "Bad Request", "bad request");
        return None;
    };
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
    let key = param("key").unwrap_or_default();
    Some(match ApiKey::parse(key.trim()) {
        Ok(key) => {
            respond_html(&stream, 200, "OK", DONE_PAGE);
            Ok(key)
        }
        Err(e) => {
            respond_html(&stream, 400, "Bad Request", BAD_KEY_PAGE);
            Err(SignInError::BadKey(e))
        }
    })
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
