//! The email-and-password sign-in of `codeloop auth --no-browser`: one
//! `POST {base}/api/cli/login` over HTTPS (rustls), through the proxy that
//! `HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY` in the `Sys` snapshot name. Errors name the
//! host and say what to do; they never contain the password or the key.

use std::time::Duration;

use thiserror::Error;

use super::{ApiKey, InvalidKey};
use crate::sys::Sys;

#[derive(Debug, Error)]
pub enum LoginError {
    #[error("wrong email or password; check them and run `codeloop auth --no-browser` again")]
    Unauthorized,
    #[error("{host} is rate-limiting sign-ins (HTTP 429); slow down and try again in a minute")]
    RateLimited { host: String },
    #[error("{host} is having trouble (HTTP {status}); try again later")]
    Server { host: String, status: u16 },
    #[error(
        "{host} answered the sign-in with HTTP {status}; try again later or sign in with `codeloop auth` in a browser"
    )]
    Unexpected { host: String, status: u16 },
    #[error(
        "cannot reach {host}: {detail}; check your network connection and proxy settings (HTTPS_PROXY, NO_PROXY)"
    )]
    Network { host: String, detail: String },
    #[error(
        "{host} answered without a key; try again later or sign in with `codeloop auth` in a browser"
    )]
    NoKey { host: String },
    #[error("{host} sent back a value that {err}; nothing was saved; try again later")]
    BadKey { host: String, err: InvalidKey },
    #[error("{0}")]
    BadUrl(String),
}

/// The host (and port) of `url`, for messages.
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

/// `host` without its port or IPv6 brackets.
fn hostname(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

fn is_loopback(name: &str) -> bool {
    name == "localhost" || name == "::1" || name.starts_with("127.")
}

/// Whether `NO_PROXY` (comma-separated: `*`, `host`, `.domain`, `*.domain`, a bare
/// domain also covering its subdomains, as curl reads it) exempts `name`.
fn no_proxy_matches(no_proxy: &str, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.split(':').next().unwrap_or(&entry).to_owned();
            if entry == "*" {
                return true;
            }
            let domain = entry.trim_start_matches('*').trim_start_matches('.');
            name == domain || name.ends_with(&format!(".{domain}"))
        })
}

/// The proxy for `url`, from the snapshot: `HTTPS_PROXY` (or `HTTP_PROXY` for an
/// `http://` url), else `ALL_PROXY`, either case; none when `NO_PROXY` exempts the host.
pub fn proxy_for(sys: &Sys, url: &str) -> Option<String> {
    let name = hostname(host_of(url));
    let no_proxy = sys.var("NO_PROXY").or_else(|| sys.var("no_proxy"));
    if no_proxy.is_some_and(|np| no_proxy_matches(np, name)) {
        return None;
    }
    let scheme_vars: &[&str] = if url.starts_with("http://") {
        &["HTTP_PROXY", "http_proxy"]
    } else {
        &["HTTPS_PROXY", "https_proxy"]
    };
    scheme_vars
        .iter()
        .chain(&["ALL_PROXY", "all_proxy"])
        .find_map(|v| sys.var(v))
        .map(str::to_owned)
}

/// Signs in with email and password and returns the new key, named `key_name`.
pub fn login(
    sys: &Sys,
    base: &str,
    email: &str,
    password: &str,
    key_name: &str,
) -> Result<ApiKey, LoginError> {
    let url = format!("{base}/api/cli/login");
    let host = host_of(base).to_owned();
    if let Some(rest) = base.strip_prefix("http://") {
        // A password goes over plain HTTP only to this machine (a test server).
        if !is_loopback(hostname(host_of(rest))) {
            return Err(LoginError::BadUrl(format!(
                "refusing to send your password over plain http to {host}; set CODELOOP_API_URL to an https:// address"
            )));
        }
    } else if !base.starts_with("https://") {
        return Err(LoginError::BadUrl(format!(
            "CODELOOP_API_URL must start with https:// (it is {base:?}); fix or unset it"
        )));
    }
    let proxy = match proxy_for(sys, &url) {
        Some(p) => Some(ureq::Proxy::new(&p).map_err(|e| {
            LoginError::BadUrl(format!(
                "the proxy in HTTPS_PROXY/ALL_PROXY is not a valid proxy URL ({e}); fix or unset it"
            ))
        })?),
        None => None,
    };
    // The proxy is set explicitly from the snapshot (the crate's own default would
    // read the process environment).
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(proxy)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent(concat!("codeloop/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let body = serde_json::json!({
        "email": email,
        "password": password,
        "keyName": key_name,
    })
    .to_string();
    let mut response = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .send(body.as_str())
        .map_err(|e| LoginError::Network {
            host: host.clone(),
            detail: e.to_string(),
        })?;
    let status = response.status().as_u16();
    match status {
        200..=299 => {}
        401 | 403 => return Err(LoginError::Unauthorized),
        429 => return Err(LoginError::RateLimited { host }),
        500..=599 => return Err(LoginError::Server { host, status }),
        _ => return Err(LoginError::Unexpected { host, status }),
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .map_err(|e| LoginError::Network {
            host: host.clone(),
            detail: e.to_string(),
        })?;
    let key = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("key").and_then(|k| k.as_str()).map(str::to_owned))
        .ok_or(LoginError::NoKey { host: host.clone() })?;
    ApiKey::parse(key.trim()).map_err(|err| LoginError::BadKey { host, err })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{Os, Prompter};

    struct NoPrompt;
    impl Prompter for NoPrompt {
        fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
            Ok(false)
        }
    }

    fn sys(vars: &[(&str, &str)]) -> Sys {
        Sys::fake(Os::Linux, "/".into(), vars, Box::new(NoPrompt))
    }

    #[test]
    fn finds_the_host() {
        assert_eq!(host_of("https://codeloop.tech"), "codeloop.tech");
        assert_eq!(host_of("http://127.0.0.1:8080/x?y"), "127.0.0.1:8080");
        assert_eq!(hostname("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(hostname("[::1]:80"), "::1");
    }

    #[test]
    fn proxy_comes_from_the_snapshot_and_honours_no_proxy() {
        let url = "https://api.codeloop.tech/api/cli/login";
        assert_eq!(proxy_for(&sys(&[]), url), None);
        let p = [("HTTPS_PROXY", "http://proxy:3128")];
        assert_eq!(
            proxy_for(&sys(&p), url).as_deref(),
            Some("http://proxy:3128")
        );
        let all = [("ALL_PROXY", "http://all:1")];
        assert_eq!(proxy_for(&sys(&all), url).as_deref(), Some("http://all:1"));
        for np in [
            "*",
            "codeloop.tech",
            ".codeloop.tech",
            "*.codeloop.tech",
            "x, api.codeloop.tech",
        ] {
            let vars = [("HTTPS_PROXY", "http://proxy:3128"), ("NO_PROXY", np)];
            assert_eq!(proxy_for(&sys(&vars), url), None, "{np}");
        }
        let vars = [
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("no_proxy", "other.tech"),
        ];
        assert!(proxy_for(&sys(&vars), url).is_some());
        // http:// urls use HTTP_PROXY, not HTTPS_PROXY.
        assert_eq!(proxy_for(&sys(&p), "http://127.0.0.1:1/x"), None);
    }

    #[test]
    fn never_sends_a_password_over_plain_http_to_another_host() {
        let e = login(&sys(&[]), "http://example.com", "a@b.c", "pw", "k").unwrap_err();
        assert!(matches!(e, LoginError::BadUrl(_)), "{e}");
        assert!(!e.to_string().contains("pw"));
    }
}
