//! Every call codeloop makes to the CodeLoop service, and nothing else: the contract
//! (paths, methods, headers, bodies, errors) is written out in the README ("The
//! service API"). One base URL, `CODELOOP_API_URL` (default `https://codeloop.tech`),
//! serves the sign-in and sign-up pages and the API; it must be `https://`, or plain
//! `http://` to this machine only (a test server). The key, a session token, a
//! password or a sign-in code travel only in a request's headers or JSON body — never
//! in a URL, never in argv — and none of them ever appears in an error message.
//! Redirects are not followed (a 3xx is an unexpected answer), so nothing is re-sent
//! to another host. Proxies come from the `Sys` snapshot (`HTTPS_PROXY`/`ALL_PROXY`,
//! `NO_PROXY`).

use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use thiserror::Error;

use crate::secret::{ApiKey, InvalidKey};
use crate::sys::Sys;

/// Where codeloop talks to CodeLoop unless `CODELOOP_API_URL` says otherwise.
pub const DEFAULT_BASE: &str = "https://codeloop.tech";
pub const BASE_VAR: &str = "CODELOOP_API_URL";

/// How long an ordinary call may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How long `doctor` waits for `POST /v1/keys/validate`.
pub const VALIDATE_TIMEOUT: Duration = Duration::from_secs(5);

/// Replies larger than this are refused (a key list gets more room).
const BODY_LIMIT: u64 = 64 * 1024;
const LIST_LIMIT: u64 = 4 * 1024 * 1024;

/// Which call failed: the same status means different things on different calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    PasswordSignIn,
    Exchange,
    CreateKey,
    ListKeys,
    RevokeKey,
    Validate,
}

impl Call {
    /// For "HOST answered … with HTTP 418".
    fn what(self) -> &'static str {
        match self {
            Call::PasswordSignIn => "the sign-in",
            Call::Exchange => "the sign-in code exchange",
            Call::CreateKey => "the request for a new key",
            Call::ListKeys => "the request for your keys",
            Call::RevokeKey => "the request to revoke a key",
            Call::Validate => "the key check",
        }
    }

    /// For "your session may not …".
    fn action(self) -> &'static str {
        match self {
            Call::CreateKey => "create API keys",
            Call::ListKeys => "list API keys",
            Call::RevokeKey => "revoke API keys",
            _ => "do this",
        }
    }
}

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{0}")]
    BadBase(String),
    #[error("{0}")]
    BadId(String),
    #[error("wrong email or password; check them and run `{retry}` again")]
    WrongPassword { retry: &'static str },
    #[error(
        "{host} refused the sign-in code (HTTP {status}): it expired or was already used; run `{retry}` again"
    )]
    CodeRefused {
        host: String,
        status: u16,
        retry: &'static str,
    },
    #[error(
        "your CodeLoop session is no longer valid (HTTP {status} from {host}); run `codeloop login` to sign in again"
    )]
    SessionExpired { host: String, status: u16 },
    #[error(
        "your CodeLoop session may not {action} (HTTP 403 from {host}); ask an admin of your CodeLoop team for access"
    )]
    Forbidden { host: String, action: &'static str },
    #[error("{host} has no API key with the id {id}; run `codeloop keys list` to see the ids")]
    NoSuchKey { host: String, id: String },
    #[error(
        "{host} says the API key is revoked or invalid (HTTP {status}); run `codeloop auth --rotate` to get a new one"
    )]
    KeyRejected { host: String, status: u16 },
    #[error("{host} is rate-limiting requests (HTTP 429); slow down and try again in a minute")]
    RateLimited { host: String },
    #[error("{host} is having trouble (HTTP {status}); try again later")]
    Server { host: String, status: u16 },
    #[error("{host} answered {what} with HTTP {status}; try again later")]
    Unexpected {
        host: String,
        status: u16,
        what: &'static str,
    },
    #[error(
        "cannot reach {host}: {detail}; check your network connection and proxy settings (HTTPS_PROXY, NO_PROXY)"
    )]
    Network { host: String, detail: String },
    #[error(
        "{host} did not answer within {secs} seconds; check your network connection and try again"
    )]
    Timeout { host: String, secs: u64 },
    #[error("{host} sent a reply codeloop does not understand ({detail}); try again later")]
    Malformed { host: String, detail: String },
    #[error("{host} sent back a value that {err}; nothing was saved; try again later")]
    BadKey { host: String, err: InvalidKey },
}

impl ApiError {
    /// Why a call got no usable answer, in a few words (for "could not be reached
    /// (…)"): no host, no next step.
    pub fn reason(&self) -> String {
        match self {
            ApiError::Network { detail, .. } => detail
                .trim_start_matches("io: ")
                .split(" (os error")
                .next()
                .unwrap_or(detail)
                .to_ascii_lowercase(),
            ApiError::Timeout { secs, .. } => format!("no answer within {secs} s"),
            ApiError::Malformed { .. } => "an answer codeloop does not understand".to_owned(),
            ApiError::RateLimited { .. } => "HTTP 429, rate-limited".to_owned(),
            ApiError::Server { status, .. }
            | ApiError::Unexpected { status, .. }
            | ApiError::SessionExpired { status, .. }
            | ApiError::KeyRejected { status, .. }
            | ApiError::CodeRefused { status, .. } => format!("HTTP {status}"),
            other => other.to_string(),
        }
    }

    /// The service answered and said no to the credential itself (a rejected key,
    /// an expired session, a wrong password, a refused code) — as opposed to not
    /// answering, or answering something else.
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            ApiError::WrongPassword { .. }
                | ApiError::CodeRefused { .. }
                | ApiError::SessionExpired { .. }
                | ApiError::KeyRejected { .. }
        )
    }
}

/// A session from `codeloop login`: an opaque token for the key-management calls.
/// `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    token: String,
    pub expires_at: Option<String>,
}

impl Session {
    /// Visible ASCII without spaces, 16 to 4096 bytes: something that fits in a
    /// header and cannot smuggle a second one in.
    pub fn new(token: &str, expires_at: Option<String>) -> Option<Session> {
        let ok = (16..=4096).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Session {
            token: token.to_owned(),
            expires_at,
        })
    }

    /// The token, for the `Authorization` header and the session file. Never print it.
    pub fn expose(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session(…, expires {:?})", self.expires_at)
    }
}

/// What a sign-in asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// A new API key with this name (`codeloop auth`, `init`'s sign-in).
    Key { name: String },
    /// A session for `codeloop keys` (`codeloop login`).
    Session,
}

impl Want {
    /// The `scope` of the sign-in page.
    pub fn scope(&self) -> &'static str {
        match self {
            Want::Key { .. } => "key",
            Want::Session => "session",
        }
    }

    /// The part of a sign-in body that says what to issue.
    fn body(&self) -> Value {
        match self {
            Want::Key { name } => json!({ "keyName": name }),
            Want::Session => json!({ "session": true }),
        }
    }
}

/// What a sign-in gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    Key(ApiKey),
    Session(Session),
}

/// A key `POST /v1/keys` just made.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub key: ApiKey,
}

/// One row of `GET /v1/keys`. Never holds a full key: `masked` is masked again
/// before anything shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub id: String,
    pub name: String,
    pub masked: Option<String>,
    pub created_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// The client: a checked base URL and the proxy for it.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    host: String,
    proxy: Option<String>,
    /// The command to run again after a refused sign-in.
    retry: &'static str,
}

/// `CODELOOP_API_URL` (without a trailing slash), or the default.
pub fn base_url(sys: &Sys) -> String {
    sys.var(BASE_VAR)
        .unwrap_or(DEFAULT_BASE)
        .trim()
        .trim_end_matches('/')
        .to_owned()
}

impl Api {
    /// The client for `CODELOOP_API_URL`; refuses anything but `https://`, or
    /// `http://` to this machine, before a single byte is sent.
    pub fn from_sys(sys: &Sys) -> Result<Api, ApiError> {
        Api::new(sys, &base_url(sys))
    }

    pub fn new(sys: &Sys, base: &str) -> Result<Api, ApiError> {
        let host = host_of(base).to_owned();
        if let Some(rest) = base.strip_prefix("http://") {
            if !is_loopback(hostname(host_of(rest))) {
                return Err(ApiError::BadBase(format!(
                    "refusing to talk to {host} over plain http (sign-ins, keys and sessions would travel unencrypted); set {BASE_VAR} to an https:// address"
                )));
            }
        } else if !base.starts_with("https://") {
            return Err(ApiError::BadBase(format!(
                "{BASE_VAR} must start with https:// (it is {:?}); fix or unset it",
                crate::secret::mask_secrets(base)
            )));
        }
        if host.is_empty() || base.contains(['?', '#', ' ']) {
            return Err(ApiError::BadBase(format!(
                "{BASE_VAR} must be a plain https:// address such as {DEFAULT_BASE}; fix or unset it"
            )));
        }
        let proxy = proxy_for(sys, base);
        if let Some(p) = &proxy {
            ureq::Proxy::new(p).map_err(|e| {
                ApiError::BadBase(format!(
                    "the proxy in HTTPS_PROXY/ALL_PROXY is not a valid proxy URL ({e}); fix or unset it"
                ))
            })?;
        }
        Ok(Api {
            base: base.to_owned(),
            host,
            proxy,
            retry: "codeloop auth",
        })
    }

    /// The command a refused sign-in tells the user to run again.
    pub fn retry_with(mut self, command: &'static str) -> Api {
        self.retry = command;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The command a refused sign-in should be run again with.
    pub fn retry(&self) -> &'static str {
        self.retry
    }

    /// The host (and port), for messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The sign-in page for the browser (RFC 8252 loopback redirect, RFC 7636 PKCE):
    /// only the port, the state and the challenge — nothing secret.
    pub fn sign_in_url(
        &self,
        port: u16,
        state: &str,
        challenge: &str,
        rotate: bool,
        want: &Want,
    ) -> String {
        let rotate = if rotate { "&rotate=1" } else { "" };
        format!(
            "{}/cli-auth?port={port}&state={state}&code_challenge={challenge}&code_challenge_method=S256&scope={}{rotate}",
            self.base,
            want.scope()
        )
    }

    /// The sign-up page.
    pub fn signup_url(&self) -> String {
        format!("{}/signup?source=cli", self.base)
    }

    /// `POST /api/cli/login`: email and password for a key or a session.
    pub fn password_sign_in(
        &self,
        email: &str,
        password: &str,
        want: &Want,
    ) -> Result<Grant, ApiError> {
        let mut body = json!({ "email": email, "password": password });
        merge(&mut body, want.body());
        let req = Req::new(Call::PasswordSignIn, "POST", "/api/cli/login").json(body);
        let text = self.fetch(req)?;
        self.grant(want, &text)
    }

    /// `POST /api/cli/token`: the one-time code from the browser and the PKCE
    /// verifier, for a key or a session.
    pub fn exchange(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
        want: &Want,
    ) -> Result<Grant, ApiError> {
        let mut body = json!({
            "grantType": "authorization_code",
            "code": code,
            "codeVerifier": verifier,
            "redirectUri": redirect_uri,
        });
        merge(&mut body, want.body());
        let text = self.fetch(Req::new(Call::Exchange, "POST", "/api/cli/token").json(body))?;
        self.grant(want, &text)
    }

    /// `POST /v1/keys` with the session: a new key named `name`.
    pub fn create_key(&self, session: &Session, name: &str) -> Result<CreatedKey, ApiError> {
        let req = Req::new(Call::CreateKey, "POST", "/v1/keys")
            .bearer(session.expose())
            .json(json!({ "name": name }));
        let v = self.json(&self.fetch(req)?)?;
        let key = self.key_in(&v)?;
        Ok(CreatedKey {
            id: str_field(&v, "id").unwrap_or_default(),
            name: str_field(&v, "name").unwrap_or_else(|| name.to_owned()),
            key,
        })
    }

    /// `GET /v1/keys` with the session.
    pub fn list_keys(&self, session: &Session) -> Result<Vec<KeyInfo>, ApiError> {
        let mut req = Req::new(Call::ListKeys, "GET", "/v1/keys").bearer(session.expose());
        req.limit = LIST_LIMIT;
        let v = self.json(&self.fetch(req)?)?;
        let rows = v
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| self.malformed("no `keys` list"))?;
        rows.iter()
            .map(|row| {
                let id =
                    str_field(row, "id").ok_or_else(|| self.malformed("a key without an `id`"))?;
                Ok(KeyInfo {
                    id,
                    name: str_field(row, "name").unwrap_or_default(),
                    masked: str_field(row, "masked"),
                    created_at: str_field(row, "createdAt"),
                    last_used_at: str_field(row, "lastUsedAt"),
                })
            })
            .collect()
    }

    /// `DELETE /v1/keys/{id}` with the session; `id` is checked by [`check_key_id`]
    /// first (it goes in the path).
    pub fn revoke_key(&self, session: &Session, id: &str) -> Result<(), ApiError> {
        check_key_id(id).map_err(ApiError::BadId)?;
        let path = format!("/v1/keys/{id}");
        let req = Req::new(Call::RevokeKey, "DELETE", &path).bearer(session.expose());
        let (status, _) = self.send(req)?;
        if status == 404 {
            return Err(ApiError::NoSuchKey {
                host: self.host.clone(),
                id: id.to_owned(),
            });
        }
        self.expect_ok(Call::RevokeKey, status)
    }

    /// `POST /v1/keys/validate` with the key as the bearer token, as the MCP server
    /// does; waits at most `timeout`. `Ok(())`: the service accepts the key.
    pub fn validate(&self, key: &ApiKey, timeout: Duration) -> Result<(), ApiError> {
        let mut req = Req::new(Call::Validate, "POST", "/v1/keys/validate").bearer(key.expose());
        req.timeout = timeout;
        let text = self.fetch(req)?;
        match self.json(&text)?.get("valid").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            Some(false) => Err(ApiError::KeyRejected {
                host: self.host.clone(),
                status: 200,
            }),
            None => Err(self.malformed("no `valid` field")),
        }
    }

    // -----------------------------------------------------------------------------

    /// [`Api::send`], then any status but 2xx mapped to the call's error; the body.
    fn fetch(&self, req: Req<'_>) -> Result<String, ApiError> {
        let call = req.call;
        let (status, text) = self.send(req)?;
        self.expect_ok(call, status)?;
        Ok(text)
    }

    /// Sends one request; the status and the body text (at most `req.limit` bytes).
    fn send(&self, req: Req<'_>) -> Result<(u16, String), ApiError> {
        let Req {
            call: _,
            method,
            path,
            bearer,
            body,
            timeout,
            limit,
        } = req;
        let agent = self.agent(timeout);
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("Accept", "application/json");
        if let Some(token) = bearer {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let bad = |e| self.network(&ureq::Error::Http(e), timeout);
        let result = match body {
            Some(body) => agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .map_err(bad)?,
            ),
            None => agent.run(request.body(()).map_err(bad)?),
        };
        let mut response = result.map_err(|e| self.network(&e, timeout))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_string()
            .map_err(|e| self.network(&e, timeout))?;
        Ok((status, text))
    }

    fn agent(&self, timeout: Duration) -> ureq::Agent {
        // The proxy is set explicitly from the snapshot (the crate's own default would
        // read the process environment); it was checked in `new`.
        let proxy = self.proxy.as_deref().and_then(|p| ureq::Proxy::new(p).ok());
        ureq::Agent::config_builder()
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .user_agent(concat!("codeloop/", env!("CARGO_PKG_VERSION")))
            .build()
            .into()
    }

    fn network(&self, e: &ureq::Error, timeout: Duration) -> ApiError {
        let host = self.host.clone();
        match e {
            ureq::Error::Timeout(_) => ApiError::Timeout {
                host,
                secs: timeout.as_secs().max(1),
            },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => ApiError::Timeout {
                host,
                secs: timeout.as_secs().max(1),
            },
            ureq::Error::BodyExceedsLimit(_)
            | ureq::Error::Protocol(_)
            | ureq::Error::LargeResponseHeader(..) => ApiError::Malformed {
                host,
                detail: e.to_string(),
            },
            _ => ApiError::Network {
                host,
                detail: e.to_string(),
            },
        }
    }

    /// Maps a status that is not 2xx to the call's error.
    fn expect_ok(&self, call: Call, status: u16) -> Result<(), ApiError> {
        let host = self.host.clone();
        Err(match (call, status) {
            (_, 200..=299) => return Ok(()),
            (Call::PasswordSignIn, 401 | 403) => ApiError::WrongPassword { retry: self.retry },
            (Call::Exchange, 400 | 401 | 403) => ApiError::CodeRefused {
                host,
                status,
                retry: self.retry,
            },
            (Call::CreateKey | Call::ListKeys | Call::RevokeKey, 401) => {
                ApiError::SessionExpired { host, status }
            }
            (Call::CreateKey | Call::ListKeys | Call::RevokeKey, 403) => ApiError::Forbidden {
                host,
                action: call.action(),
            },
            (Call::Validate, 401 | 403) => ApiError::KeyRejected { host, status },
            (_, 429) => ApiError::RateLimited { host },
            (_, 500..=599) => ApiError::Server { host, status },
            _ => ApiError::Unexpected {
                host,
                status,
                what: call.what(),
            },
        })
    }

    fn malformed(&self, detail: &str) -> ApiError {
        ApiError::Malformed {
            host: self.host.clone(),
            detail: detail.to_owned(),
        }
    }

    fn json(&self, text: &str) -> Result<Value, ApiError> {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| self.malformed("not a JSON object"))
    }

    fn key_in(&self, v: &Value) -> Result<ApiKey, ApiError> {
        let raw = v
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| self.malformed("no `key` in the reply"))?;
        ApiKey::parse(raw.trim()).map_err(|err| ApiError::BadKey {
            host: self.host.clone(),
            err,
        })
    }

    fn grant(&self, want: &Want, text: &str) -> Result<Grant, ApiError> {
        let v = self.json(text)?;
        match want {
            Want::Key { .. } => self.key_in(&v).map(Grant::Key),
            Want::Session => {
                let token = v
                    .get("session")
                    .and_then(Value::as_str)
                    .ok_or_else(|| self.malformed("no `session` in the reply"))?;
                Session::new(token, str_field(&v, "expiresAt"))
                    .map(Grant::Session)
                    .ok_or_else(|| self.malformed("a session token that is not one"))
            }
        }
    }
}

/// One request: which call, where, with which credential and body.
struct Req<'a> {
    call: Call,
    method: &'static str,
    path: &'a str,
    bearer: Option<&'a str>,
    body: Option<Value>,
    timeout: Duration,
    limit: u64,
}

impl<'a> Req<'a> {
    fn new(call: Call, method: &'static str, path: &'a str) -> Req<'a> {
        Req {
            call,
            method,
            path,
            bearer: None,
            body: None,
            timeout: TIMEOUT,
            limit: BODY_LIMIT,
        }
    }

    /// The key or session token, for the `Authorization` header (its only place).
    fn bearer(mut self, token: &'a str) -> Req<'a> {
        self.bearer = Some(token);
        self
    }

    fn json(mut self, body: Value) -> Req<'a> {
        self.body = Some(body);
        self
    }
}

fn merge(into: &mut Value, from: Value) {
    if let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) {
        into.extend(from);
    }
}

fn str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A key id for a URL path: 1 to 128 of `[A-Za-z0-9_.-]`. A key itself is refused
/// (without echoing it): ids come from `codeloop keys list`.
pub fn check_key_id(id: &str) -> Result<(), String> {
    if id.contains(crate::secret::PREFIX) {
        return Err(
            "that is an API key, not a key id (and on the command line other users can see it; consider rotating it); revoke by the id that `codeloop keys list` shows"
                .to_owned(),
        );
    }
    // `.` and `..` would walk the URL path (`/v1/keys/..`), not name a key.
    let ok = (1..=128).contains(&id.len())
        && !id.bytes().all(|b| b == b'.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a key id; run `codeloop keys list` to see the ids"
        ))
    }
}

/// The name the CLI gives the keys it makes: `CLI — <hostname> (<YYYY-MM-DD>)`, the
/// date in UTC.
pub fn default_key_name(sys: &Sys) -> String {
    format!("CLI — {} ({})", sys.hostname(), today_utc())
}

/// Today's date in UTC as `YYYY-MM-DD` (the civil-from-days algorithm, so no date
/// crate is needed).
pub fn today_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// ---------------------------------------------------------------------------------
// URLs and proxies

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
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
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
    fn only_https_or_loopback_http() {
        let s = sys(&[]);
        for ok in [
            "https://codeloop.tech",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(Api::new(&s, ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://127.0.0.1.evil.com",
            "ftp://codeloop.tech",
            "codeloop.tech",
            "https://",
            "https://codeloop.tech?x=1",
        ] {
            let e = Api::new(&s, bad).unwrap_err();
            assert!(matches!(e, ApiError::BadBase(_)), "{bad}: {e}");
        }
        // A key pasted into the variable by mistake is not echoed.
        let e = Api::new(&s, "cl_live_SECRETSECRET99")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("SECRETSECRET"), "{e}");
    }

    #[test]
    fn the_sign_in_url_carries_nothing_secret() {
        let api = Api::new(&sys(&[]), "https://codeloop.tech").unwrap();
        let url = api.sign_in_url(4321, "ab12", "CHALLENGE", true, &Want::Session);
        assert_eq!(
            url,
            "https://codeloop.tech/cli-auth?port=4321&state=ab12&code_challenge=CHALLENGE&code_challenge_method=S256&scope=session&rotate=1"
        );
        assert_eq!(api.signup_url(), "https://codeloop.tech/signup?source=cli");
    }

    #[test]
    fn key_ids_are_path_safe_and_never_keys() {
        assert!(check_key_id("key_01H-abc.9").is_ok());
        for bad in [
            "",
            ".",
            "..",
            "...",
            "a/b",
            "a b",
            "..%2f",
            "x?y",
            &"a".repeat(129),
        ] {
            assert!(check_key_id(bad).is_err(), "{bad}");
        }
        let e = check_key_id("cl_live_SECRETSECRET99").unwrap_err();
        assert!(!e.contains("SECRETSECRET"), "{e}");
    }

    #[test]
    fn sessions_never_print_their_token() {
        let s = Session::new("tok_0123456789abcdefSECRET", None).unwrap();
        assert!(!format!("{s:?}").contains("SECRET"));
        assert!(Session::new("short", None).is_none());
        assert!(Session::new("has a space in it, 0123456789", None).is_none());
        assert!(Session::new("line\r\nInjected: header0123", None).is_none());
    }

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
        let today = today_utc();
        assert_eq!(today.len(), 10, "{today}");
    }

    #[test]
    fn the_default_key_name_says_where_and_when() {
        let name = default_key_name(&sys(&[("HOSTNAME", "box")]));
        assert!(name.starts_with("CLI — box ("), "{name}");
        assert!(name.ends_with(')'), "{name}");
    }
}
