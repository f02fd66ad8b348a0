//! `codeloop update`: which codeloop is installed, the newest `codeloop` and
//! `codeloop-mcp-server` on npm's configured registry, and what to run to update.
//! It only reads: two anonymous GETs of the packages' documents, no credentials (a
//! registry URL's `user:password@` is dropped, `.npmrc` tokens are never read), no key.
//! An unreachable registry is reported and is not an error: the exit code stays 0.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;

use crate::Exit;
use crate::UsageError;
use crate::api;
use crate::cli::UpdateArgs;
use crate::render::{BOLD, DIM, GREEN, YELLOW};
use crate::sys::Sys;

pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";
/// The CLI's npm package (its platform packages are `@codeloop/cli-<os>-<cpu>`).
pub const CLI_PACKAGE: &str = "codeloop";
/// What the editors run, through `npx -y codeloop-mcp-server`.
pub const SERVER_PACKAGE: &str = "codeloop-mcp-server";
/// A package document larger than this is not a registry's answer.
const BODY_LIMIT: u64 = 32 * 1024 * 1024;

/// The registry to ask and where that setting came from (for the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// Always ends in `/`, never holds `user:password@`.
    pub url: String,
    pub source: String,
}

/// How the running binary was installed, judged from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Install {
    /// In npx's cache (`…/_npx/…/node_modules/…`).
    Npx,
    /// In a `node_modules` tree: `npm i -g codeloop`, or a project's dependency.
    Npm,
    /// In cargo's bin dir (`cargo install` / `cargo binstall`).
    Cargo,
    /// From a release archive, or a build from source.
    Other,
}

impl Install {
    pub fn from_path(exe: &Path) -> Install {
        let parts: Vec<_> = exe
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect();
        let has = |name: &str| parts.iter().any(|p| p == name);
        if has("_npx") {
            Install::Npx
        } else if has("node_modules") {
            Install::Npm
        } else if parts.windows(2).any(|w| w[0] == ".cargo" && w[1] == "bin") {
            Install::Cargo
        } else {
            Install::Other
        }
    }

    fn name(self) -> &'static str {
        match self {
            Install::Npx => "npx",
            Install::Npm => "npm",
            Install::Cargo => "cargo",
            Install::Other => "other",
        }
    }

    /// What to run to get the newest codeloop, the likeliest first.
    pub fn commands(self) -> Vec<(&'static str, &'static str)> {
        let npm = ("npm i -g codeloop@latest", "installed with npm");
        let npx = (
            "npx codeloop@latest <command>",
            "npx runs the version you name",
        );
        let cargo = ("cargo install codeloop", "installed with cargo");
        match self {
            Install::Npx => vec![npx, npm],
            Install::Npm => vec![
                npm,
                (
                    "npm i codeloop@latest",
                    "in a project that depends on codeloop",
                ),
            ],
            Install::Cargo => vec![
                cargo,
                ("cargo binstall codeloop", "installed with cargo binstall"),
            ],
            Install::Other => vec![npm, npx, cargo],
        }
    }
}

/// What the registry said about one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Latest {
    Version(String),
    /// The registry answered 404: it does not carry the package (a mirror without it).
    Missing,
    /// The registry could not be reached: offline, DNS, refused, timed out, a proxy.
    Unreachable(String),
    /// It answered, but not with a usable package document.
    Failed(String),
}

impl Latest {
    fn version(&self) -> Option<&str> {
        match self {
            Latest::Version(v) => Some(v),
            _ => None,
        }
    }
}

pub fn run(args: &UpdateArgs, sys: &Sys, out: &mut dyn Write) -> Result<Exit> {
    let registry = match &args.registry {
        Some(url) => Registry {
            url: normalize(url).map_err(|e| UsageError(format!("--registry: {e}")))?,
            source: "--registry".to_owned(),
        },
        None => configured_registry(sys)?,
    };
    let installed = env!("CARGO_PKG_VERSION");
    let install = std::env::current_exe()
        .map(|p| Install::from_path(&p))
        .unwrap_or(Install::Other);
    let timeout = Duration::from_secs(args.timeout.max(1));
    let proxy = api::proxy_for(sys, &registry.url);
    let (cli, server) = std::thread::scope(|s| {
        let cli = s.spawn(|| latest(&registry.url, CLI_PACKAGE, proxy.as_deref(), timeout));
        let server = latest(&registry.url, SERVER_PACKAGE, proxy.as_deref(), timeout);
        let cli = cli
            .join()
            .unwrap_or_else(|_| Latest::Failed("the request thread panicked".to_owned()));
        (cli, server)
    });
    let newer = cli.version().map(|v| compare(installed, v));
    let cached = npx_cached(sys, SERVER_PACKAGE);

    if args.json {
        let package = |name: &str, latest: &Latest| {
            let (version, error) = match latest {
                Latest::Version(v) => (Some(v.clone()), None),
                other => (None, Some(problem(name, &registry, other))),
            };
            json!({"name": name, "latest": version, "error": error})
        };
        let mut cli_doc = package(CLI_PACKAGE, &cli);
        cli_doc["updateAvailable"] = json!(newer.map(|o| o == std::cmp::Ordering::Less));
        let mut server_doc = package(SERVER_PACKAGE, &server);
        server_doc["npxCached"] = json!(cached);
        let doc = json!({
            "schemaVersion": crate::report::SCHEMA_VERSION,
            "command": "update",
            "installed": installed,
            "install": install.name(),
            "registry": registry.url,
            "registrySource": registry.source,
            "reachable": !matches!(cli, Latest::Unreachable(_)) || !matches!(server, Latest::Unreachable(_)),
            "packages": [cli_doc, server_doc],
            "commands": install.commands().iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(Exit::Ok);
    }

    writeln!(out, "{BOLD}codeloop {installed}{BOLD:#} is installed")?;
    writeln!(
        out,
        "{DIM}registry: {} ({}){DIM:#}",
        registry.url, registry.source
    )?;
    if let (Latest::Unreachable(detail), Latest::Unreachable(_)) = (&cli, &server) {
        writeln!(
            out,
            "{YELLOW}!{YELLOW:#} could not check for updates: cannot reach {} ({detail}); you may be offline, or a proxy or firewall is in the way (HTTPS_PROXY, NO_PROXY); try again later, or ask npm: `npm view codeloop version`",
            api::host_of(&registry.url)
        )?;
        return Ok(Exit::Ok);
    }
    match (&cli, newer) {
        (Latest::Version(v), Some(std::cmp::Ordering::Less)) => {
            writeln!(out, "{YELLOW}↑{YELLOW:#} codeloop {v} is available")?;
            writeln!(out, "  to update:")?;
            let commands = install.commands();
            let width = commands.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
            for (command, when) in commands {
                writeln!(out, "    {command:width$}  {DIM}# {when}{DIM:#}")?;
            }
        }
        (Latest::Version(v), Some(std::cmp::Ordering::Equal)) => {
            writeln!(out, "{GREEN}✓{GREEN:#} codeloop {v} is the latest")?;
        }
        (Latest::Version(v), _) => writeln!(
            out,
            "{GREEN}✓{GREEN:#} codeloop {installed} is newer than the registry's latest ({v})"
        )?,
        (other, _) => writeln!(
            out,
            "{YELLOW}!{YELLOW:#} {}",
            problem(CLI_PACKAGE, &registry, other)
        )?,
    }
    match &server {
        Latest::Version(v) => {
            writeln!(
                out,
                "{BOLD}codeloop-mcp-server {v}{BOLD:#} is the latest MCP server"
            )?;
            // Editors start `npx -y codeloop-mcp-server`; npx checks the registry at
            // each start and replaces an older copy in its cache (npm 11, verified).
            match cached.as_deref() {
                Some(c) if compare(c, v) == std::cmp::Ordering::Less => writeln!(
                    out,
                    "  npx's cache holds {c}: restart your editors and npx fetches {v} when they start the server (`npx -y codeloop-mcp-server`)"
                )?,
                Some(c) => writeln!(out, "  npx's cache holds {c}: your editors run it")?,
                None => writeln!(
                    out,
                    "  your editors fetch it with `npx -y codeloop-mcp-server` when they start it"
                )?,
            }
        }
        other => writeln!(
            out,
            "{YELLOW}!{YELLOW:#} {}",
            problem(SERVER_PACKAGE, &registry, other)
        )?,
    }
    Ok(Exit::Ok)
}

/// One lowercase sentence: what failed and what to do next.
fn problem(name: &str, registry: &Registry, latest: &Latest) -> String {
    let host = api::host_of(&registry.url);
    match latest {
        Latest::Version(v) => format!("{name} {v}"),
        Latest::Missing => format!(
            "{host} has no package {name}; if it is a mirror, ask for {name} (and the @codeloop scope) to be added, or pass --registry {DEFAULT_REGISTRY}"
        ),
        Latest::Unreachable(detail) => {
            format!("could not check {name}: cannot reach {host} ({detail}); try again later")
        }
        Latest::Failed(detail) => {
            format!(
                "could not check {name}: {host} {detail}; try again later, or run `npm view {name} version`"
            )
        }
    }
}

/// The `dist-tags.latest` of `name` on `registry` (a URL ending in `/`).
pub fn latest(registry: &str, name: &str, proxy: Option<&str>, timeout: Duration) -> Latest {
    let proxy = match proxy.map(ureq::Proxy::new).transpose() {
        Ok(p) => p,
        Err(e) => {
            return Latest::Unreachable(format!(
                "the proxy in HTTPS_PROXY/ALL_PROXY is not a valid proxy URL: {e}"
            ));
        }
    };
    // The proxy comes from the snapshot (the crate's default would read the process
    // environment); no credentials, no cookies: an anonymous GET.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(proxy)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("codeloop/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let url = format!("{registry}{name}");
    let mut response = match agent
        .get(&url)
        // npm's abbreviated document: dist-tags and versions, without the READMEs.
        .header(
            "Accept",
            "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
        )
        .call()
    {
        Ok(r) => r,
        Err(e) => return Latest::Unreachable(e.to_string()),
    };
    match response.status().as_u16() {
        200..=299 => {}
        404 => return Latest::Missing,
        401 | 403 => {
            return Latest::Failed(format!(
                "wants a login for {name} (HTTP {}); codeloop sends no credentials",
                response.status().as_u16()
            ));
        }
        status => return Latest::Failed(format!("answered HTTP {status}")),
    }
    let body = match response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_string()
    {
        Ok(b) => b,
        Err(e) => return Latest::Unreachable(e.to_string()),
    };
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|doc| doc["dist-tags"]["latest"].as_str().map(str::to_owned))
        .filter(|v| parse_version(v).is_some())
        .map_or_else(
            || {
                Latest::Failed(format!(
                    "sent a document for {name} without a latest version"
                ))
            },
            Latest::Version,
        )
}

/// npm's registry setting, as npm reads it: `npm_config_registry` in the
/// environment, then `registry=` in the project's `.npmrc`, then in the user's
/// (`npm_config_userconfig`, default `~/.npmrc`), then the public registry.
pub fn configured_registry(sys: &Sys) -> Result<Registry> {
    match npm_setting(sys, "registry") {
        Some((url, source)) => match normalize(&url) {
            Ok(url) => Ok(Registry { url, source }),
            Err(e) => {
                bail!("the npm registry set in {source}: {e}; fix it there, or pass --registry")
            }
        },
        None => Ok(Registry {
            url: DEFAULT_REGISTRY.to_owned(),
            source: "npm's default".to_owned(),
        }),
    }
}

/// An npm setting and where it was found: `npm_config_<key>` (either case), then
/// the project's `.npmrc`, then the user's.
fn npm_setting(sys: &Sys, key: &str) -> Option<(String, String)> {
    let env = |name: &str| {
        sys.var(name)
            .or_else(|| sys.var(&name.to_ascii_uppercase()))
    };
    let name = format!("npm_config_{key}");
    if let Some(value) = env(&name) {
        return Some((value.to_owned(), name));
    }
    let mut files = vec![project_npmrc(&sys.cwd)];
    match env("npm_config_userconfig") {
        Some(path) => files.push(sys.cwd.join(path)),
        None => files.extend(sys.home().map(|h| h.join(".npmrc"))),
    }
    files.into_iter().find_map(|file| {
        let text = std::fs::read_to_string(&file).ok()?;
        let value = npmrc_value(&text, key, |name| sys.var(name).map(str::to_owned))?;
        Some((value, file.display().to_string()))
    })
}

/// The newest version of `name` in npx's cache (`<npm cache>/_npx/*/node_modules`),
/// which is what an editor's `npx -y NAME` starts until npx fetches a newer one.
pub fn npx_cached(sys: &Sys, name: &str) -> Option<String> {
    let cache = match npm_setting(sys, "cache") {
        Some((dir, _)) => sys.cwd.join(dir),
        None if sys.os == crate::sys::Os::Windows => {
            PathBuf::from(sys.var("LOCALAPPDATA")?).join("npm-cache")
        }
        None => sys.home()?.join(".npm"),
    };
    std::fs::read_dir(cache.join("_npx"))
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let manifest = entry
                .path()
                .join("node_modules")
                .join(name)
                .join("package.json");
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(manifest).ok()?).ok()?;
            doc["version"].as_str().map(str::to_owned)
        })
        .max_by(|a, b| compare(a, b))
}

/// Where npm reads the project's `.npmrc`: the nearest directory up from `cwd` with a
/// `package.json` or `node_modules`, else `cwd` itself.
pub fn project_npmrc(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|dir| dir.join("package.json").is_file() || dir.join("node_modules").is_dir())
        .unwrap_or(cwd)
        .join(".npmrc")
}

/// The last `KEY = …` of an `.npmrc` (ini: `;` and `#` comments, optional quotes,
/// `${VAR}` from the environment; an unset variable leaves the line unusable, as npm
/// refuses it).
pub fn npmrc_value(
    text: &str,
    wanted: &str,
    var: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with([';', '#']) {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != wanted {
            continue;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        if let Some(expanded) = expand(value, &var) {
            found = Some(expanded);
        }
    }
    found
}

/// `${NAME}` replaced from the environment; `None` when a variable is unset.
fn expand(value: &str, var: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}')? + start;
        out.push_str(&rest[..start]);
        out.push_str(&var(&rest[start + 2..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// An http(s) URL ending in `/`, without `user:password@` (never sent, never shown).
pub fn normalize(url: &str) -> Result<String, String> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| matches!(s.to_ascii_lowercase().as_str(), "http" | "https"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let mut out = format!("{}://{authority}{path}", scheme.to_ascii_lowercase());
    if !out.ends_with('/') {
        out.push('/');
    }
    Ok(out)
}

type Version<'a> = ([u64; 3], Option<&'a str>);

/// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
fn parse_version(v: &str) -> Option<Version<'_>> {
    let v = v.trim().trim_start_matches('v');
    let v = v.split('+').next()?;
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let mut nums = core.split('.').map(|n| n.parse::<u64>().ok());
    let out = [nums.next()??, nums.next()??, nums.next()??];
    nums.next().is_none().then_some((out, pre))
}

/// Semver precedence of `a` against `b` (an unparsable one sorts first).
pub fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (Some((ca, pa)), Some((cb, pb))) = (parse_version(a), parse_version(b)) else {
        return parse_version(a).is_some().cmp(&parse_version(b).is_some());
    };
    ca.cmp(&cb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(pa), Some(pb)) => {
            let mut ia = pa.split('.');
            let mut ib = pb.split('.');
            loop {
                match (ia.next(), ib.next()) {
                    (None, None) => return Ordering::Equal,
                    (None, Some(_)) => return Ordering::Less,
                    (Some(_), None) => return Ordering::Greater,
                    (Some(x), Some(y)) => {
                        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => x.cmp(y),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::*;

    use super::*;

    #[test]
    fn versions_compare_by_semver_precedence() {
        assert_eq!(compare("0.1.0", "0.2.0"), Less);
        assert_eq!(compare("0.10.0", "0.9.9"), Greater);
        assert_eq!(compare("1.0.0", "1.0.0"), Equal);
        assert_eq!(compare("1.0.0-rc.1", "1.0.0"), Less);
        assert_eq!(compare("1.0.0-alpha", "1.0.0-alpha.1"), Less);
        assert_eq!(compare("1.0.0-alpha.beta", "1.0.0-beta"), Less);
        assert_eq!(compare("1.0.0-beta.2", "1.0.0-beta.11"), Less);
        assert_eq!(compare("1.0.0-1", "1.0.0-alpha"), Less);
        assert_eq!(compare("1.0.0+build.5", "1.0.0"), Equal);
        assert_eq!(compare("junk", "0.0.1"), Less);
        assert!(parse_version("1.2").is_none());
        assert!(parse_version("1.2.3.4").is_none());
    }

    #[test]
    fn npmrc_registry_is_read_like_npm() {
        let none = |_: &str| None;
        assert_eq!(
            npmrc_value("registry=https://r.example/\n", "registry", none).as_deref(),
            Some("https://r.example/")
        );
        let text = "; comment\n# registry=https://commented/\n@codeloop:registry=https://scoped/\n  registry = \"https://quoted/npm/\"  \n//r.example/:_authToken=${TOKEN}\n";
        assert_eq!(
            npmrc_value(text, "registry", none).as_deref(),
            Some("https://quoted/npm/")
        );
        let var = |name: &str| (name == "HOST").then(|| "mirror.local".to_owned());
        assert_eq!(
            npmrc_value("registry=https://${HOST}/npm\n", "registry", var).as_deref(),
            Some("https://mirror.local/npm")
        );
        assert_eq!(
            npmrc_value("registry=https://${UNSET}/\n", "registry", var),
            None
        );
        assert_eq!(
            npmrc_value("registry=a\nregistry=b\n", "registry", none).as_deref(),
            Some("b")
        );
        assert_eq!(npmrc_value("strict-ssl=false\n", "registry", none), None);
    }

    #[test]
    fn registry_urls_lose_credentials_and_gain_a_slash() {
        assert_eq!(
            normalize("https://user:secret@npm.corp/repo").unwrap(),
            "https://npm.corp/repo/"
        );
        assert_eq!(
            normalize("HTTP://127.0.0.1:4873").unwrap(),
            "http://127.0.0.1:4873/"
        );
        assert!(
            normalize("npm.corp/repo")
                .unwrap_err()
                .contains("not an http")
        );
        assert!(normalize("ftp://x/").is_err());
        assert!(normalize("https:///x").unwrap_err().contains("no host"));
    }

    #[test]
    fn the_install_is_judged_from_the_binary_path() {
        let npx = "/home/me/.npm/_npx/0a1b/node_modules/@codeloop/cli-linux-x64/bin/codeloop";
        assert_eq!(Install::from_path(Path::new(npx)), Install::Npx);
        let global = "/usr/local/lib/node_modules/codeloop/node_modules/@codeloop/cli-linux-x64/bin/codeloop";
        assert_eq!(Install::from_path(Path::new(global)), Install::Npm);
        let cargo = "/home/me/.cargo/bin/codeloop";
        assert_eq!(Install::from_path(Path::new(cargo)), Install::Cargo);
        assert_eq!(
            Install::from_path(Path::new("/usr/local/bin/codeloop")),
            Install::Other
        );
        assert_eq!(Install::Npm.commands()[0].0, "npm i -g codeloop@latest");
        assert_eq!(
            Install::Npx.commands()[0].0,
            "npx codeloop@latest <command>"
        );
    }

    #[test]
    fn the_project_npmrc_is_next_to_the_nearest_package_json() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let sub = root.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(project_npmrc(&sub), sub.join(".npmrc"));
        std::fs::create_dir_all(root.join("a/node_modules")).unwrap();
        assert_eq!(project_npmrc(&sub), root.join("a/.npmrc"));
    }
}
