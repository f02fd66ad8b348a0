//! `codeloop update` against npm registries served on 127.0.0.1 by the test: which
//! registry it asks (flag, `npm_config_registry`, the project's `.npmrc`, the user's),
//! what it says, that it sends nothing secret, and that an unreachable or silent
//! registry is a message and exit 0 within the timeout. Also: `--version` and the npm
//! packages carry Cargo.toml's version.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A registry answering `GET /<name>` from `docs` (status, body); 404 otherwise.
struct Registry {
    url: String,
    /// Every request's head, as received.
    requests: Arc<Mutex<Vec<String>>>,
}

fn serve(docs: &[(&str, u16, String)]) -> Registry {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let docs: HashMap<String, (u16, String)> = docs
        .iter()
        .map(|(n, s, b)| (format!("/{n}"), (*s, b.clone())))
        .collect();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(stream, &docs, &log);
        }
    });
    Registry { url, requests }
}

fn answer(
    stream: TcpStream,
    docs: &HashMap<String, (u16, String)>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
    log.lock().unwrap().push(head);
    let (status, body) = docs
        .get(&path)
        .cloned()
        .unwrap_or((404, r#"{"error":"Not found"}"#.to_owned()));
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn packument(name: &str, latest: &str) -> String {
    serde_json::json!({
        "name": name,
        "dist-tags": {"latest": latest},
        "versions": {latest: {"name": name, "version": latest}},
    })
    .to_string()
}

fn registry(cli: &str, server: &str) -> Registry {
    serve(&[
        ("codeloop", 200, packument("codeloop", cli)),
        (
            "codeloop-mcp-server",
            200,
            packument("codeloop-mcp-server", server),
        ),
    ])
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn sandbox_with_registry(url: &str) -> Sandbox {
    let mut s = Sandbox::new();
    s.env.push(("npm_config_registry".into(), url.into()));
    s
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", out.masked()))
}

#[test]
fn says_what_is_newer_and_what_to_run() {
    let reg = registry("99.0.0", "2.3.4");
    let s = sandbox_with_registry(&reg.url);
    let out = s.run(&["update"]);
    out.assert_code(0);
    out.stdout_has(&format!("codeloop {VERSION} is installed"));
    out.stdout_has(&format!("registry: {} (npm_config_registry)", reg.url));
    out.stdout_has("codeloop 99.0.0 is available");
    out.stdout_has("npm i -g codeloop@latest");
    out.stdout_has("npx codeloop@latest <command>");
    out.stdout_has("codeloop-mcp-server 2.3.4 is the latest MCP server");
    out.stdout_has("npx -y codeloop-mcp-server");
}

#[test]
fn says_when_it_is_the_latest() {
    let reg = registry(VERSION, "1.0.0");
    let out = sandbox_with_registry(&reg.url).run(&["update"]);
    out.assert_code(0);
    out.stdout_has(&format!("codeloop {VERSION} is the latest"));
    assert!(!out.stdout.contains("to update"), "{}", out.masked());
}

#[test]
fn json_describes_both_packages() {
    let reg = registry("99.0.0", "2.3.4");
    let out = sandbox_with_registry(&reg.url).run(&["update", "--json"]);
    out.assert_code(0);
    let doc = json(&out);
    assert_eq!(doc["command"], "update");
    assert_eq!(doc["installed"], VERSION);
    assert_eq!(doc["registry"], reg.url.as_str());
    assert_eq!(doc["reachable"], true);
    assert_eq!(doc["packages"][0]["name"], "codeloop");
    assert_eq!(doc["packages"][0]["latest"], "99.0.0");
    assert_eq!(doc["packages"][0]["updateAvailable"], true);
    assert_eq!(doc["packages"][1]["name"], "codeloop-mcp-server");
    assert_eq!(doc["packages"][1]["latest"], "2.3.4");
    assert_eq!(doc["packages"][1]["npxCached"], serde_json::Value::Null);
}

#[test]
fn sends_two_anonymous_gets_and_nothing_secret() {
    let reg = registry("99.0.0", "2.3.4");
    let with_password = reg.url.replace("http://", "http://me:pa55word@");
    let mut s = sandbox_with_registry(&with_password);
    // A token in the user's .npmrc is npm's business, never codeloop's.
    write(
        &s.home_path(".npmrc"),
        "//127.0.0.1/:_authToken=npm_SECRETTOKEN\n",
    );
    s.env.push(("NPM_TOKEN".into(), "npm_SECRETTOKEN".into()));
    let out = s.run(&["update"]);
    out.assert_code(0);
    assert!(!out.both().contains("pa55word"), "{}", out.masked());
    let requests = reg.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let mut paths: Vec<_> = requests
        .iter()
        .map(|r| r.lines().next().unwrap().to_owned())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "GET /codeloop HTTP/1.1",
            "GET /codeloop-mcp-server HTTP/1.1"
        ]
    );
    for r in &requests {
        let lower = r.to_ascii_lowercase();
        assert!(!lower.contains("authorization"), "{r}");
        assert!(!lower.contains("cookie"), "{r}");
        for secret in ["pa55word", "npm_SECRETTOKEN", KEY, "cl_live_"] {
            assert!(!r.contains(secret), "{secret} sent in {r}");
        }
        assert!(
            lower.contains(&format!("user-agent: codeloop/{VERSION}")),
            "{r}"
        );
    }
}

#[test]
fn reads_the_registry_where_npm_does() {
    let project_reg = registry("1.0.0", "1.0.0");
    let user_reg = registry("2.0.0", "2.0.0");
    let env_reg = registry("3.0.0", "3.0.0");
    let flag_reg = registry("4.0.0", "4.0.0");
    let mut s = Sandbox::new();
    let latest = |s: &Sandbox, args: &[&str]| {
        let mut all = vec!["update", "--json"];
        all.extend_from_slice(args);
        let out = s.run(&all);
        out.assert_code(0);
        let doc = json(&out);
        (
            doc["packages"][0]["latest"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            doc["registrySource"].as_str().unwrap().to_owned(),
        )
    };

    // The public registry by default — asked through a proxy that is not there, so
    // the test never leaves this machine (and shows the proxy is used).
    s.env.push(("HTTPS_PROXY".into(), closed_url()));
    let out = s.run(&["update", "--json"]);
    out.assert_code(0);
    let doc = json(&out);
    assert_eq!(doc["registry"], "https://registry.npmjs.org/");
    assert_eq!(doc["registrySource"], "npm's default");
    assert_eq!(doc["reachable"], false);

    write(
        &s.home_path(".npmrc"),
        format!("; mine\nregistry = {}\n", user_reg.url),
    );
    assert_eq!(latest(&s, &[]).0, "2.0.0");

    // The project's .npmrc, next to its package.json, found from a subdirectory.
    write(&s.project_path("package.json"), "{}\n");
    write(
        &s.project_path(".npmrc"),
        format!("registry=\"{}\"\n", project_reg.url),
    );
    std::fs::create_dir_all(s.project_path("src/deep")).unwrap();
    s.cwd = s.project_path("src/deep");
    let (v, source) = latest(&s, &[]);
    assert_eq!(v, "1.0.0");
    assert!(source.ends_with("project/.npmrc"), "{source}");

    s.env
        .push(("NPM_CONFIG_REGISTRY".into(), env_reg.url.clone()));
    assert_eq!(latest(&s, &[]).0, "3.0.0");

    assert_eq!(latest(&s, &["--registry", &flag_reg.url]).0, "4.0.0");

    // npm_config_userconfig moves the user's file.
    let mut s = Sandbox::new();
    write(
        &s.root.join("elsewhere.npmrc"),
        format!("registry={}\n", user_reg.url),
    );
    s.env.push((
        "npm_config_userconfig".into(),
        s.root.join("elsewhere.npmrc").to_str().unwrap().into(),
    ));
    assert_eq!(latest(&s, &[]).0, "2.0.0");
}

#[test]
fn an_unreachable_registry_is_a_message_and_exit_0() {
    let url = closed_url();
    let s = sandbox_with_registry(&url);
    let out = s.run(&["update"]);
    out.assert_code(0);
    out.stdout_has(&format!("codeloop {VERSION} is installed"));
    out.stdout_has(&format!(
        "could not check for updates: cannot reach {}",
        url.trim_start_matches("http://").trim_end_matches('/')
    ));
    out.stdout_has("try again later");

    let out = s.run(&["update", "--json"]);
    out.assert_code(0);
    let doc = json(&out);
    assert_eq!(doc["reachable"], false);
    assert!(
        doc["packages"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("could not check codeloop: cannot reach"),
        "{doc}"
    );
}

#[test]
fn a_silent_registry_is_given_up_on_in_time() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let s = sandbox_with_registry(&url);
    let started = Instant::now();
    let out = s.run(&["update", "--timeout", "1"]);
    let took = started.elapsed();
    out.assert_code(0);
    out.stdout_has("could not check for updates");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn a_registry_without_the_package_says_so() {
    let reg = serve(&[(
        "codeloop-mcp-server",
        200,
        packument("codeloop-mcp-server", "1.0.0"),
    )]);
    let out = sandbox_with_registry(&reg.url).run(&["update"]);
    out.assert_code(0);
    out.stdout_has("has no package codeloop; if it is a mirror");
    out.stdout_has("codeloop-mcp-server 1.0.0 is the latest MCP server");

    let reg = serve(&[("codeloop", 500, "oops".into())]);
    let out = sandbox_with_registry(&reg.url).run(&["update"]);
    out.assert_code(0);
    out.stdout_has("could not check codeloop:");
    out.stdout_has("answered HTTP 500");
}

#[test]
fn a_registry_setting_that_is_not_a_url_is_an_error_naming_it() {
    let s = Sandbox::new();
    write(&s.home_path(".npmrc"), "registry=npm.corp.example/repo\n");
    let out = s.run(&["update"]);
    out.assert_code(1);
    out.stderr_has("error: the npm registry set in ");
    out.stderr_has(".npmrc: \"npm.corp.example/repo\" is not an http:// or https:// URL; fix it there, or pass --registry");

    let out = s.run(&["update", "--registry", "ftp://x/"]);
    out.assert_code(2);
    out.stderr_has("--registry: \"ftp://x/\" is not an http:// or https:// URL");
}

#[test]
fn names_the_mcp_server_version_npx_has_cached() {
    let reg = registry(VERSION, "2.0.0");
    let mut s = sandbox_with_registry(&reg.url);
    let cache = s.root.join("npm-cache");
    write(
        &cache.join("_npx/0a1b2c/node_modules/codeloop-mcp-server/package.json"),
        r#"{"name": "codeloop-mcp-server", "version": "1.4.0"}"#,
    );
    write(
        &cache.join("_npx/ffee/node_modules/codeloop-mcp-server/package.json"),
        r#"{"name": "codeloop-mcp-server", "version": "1.10.0"}"#,
    );
    s.env
        .push(("npm_config_cache".into(), cache.to_str().unwrap().into()));
    let out = s.run(&["update"]);
    out.assert_code(0);
    out.stdout_has("npx's cache holds 1.10.0: restart your editors and npx fetches 2.0.0");
    let out = s.run(&["update", "--json"]);
    assert_eq!(json(&out)["packages"][1]["npxCached"], "1.10.0");
}

#[test]
fn version_is_cargo_tomls_and_every_npm_package_carries_it() {
    let out = Sandbox::new().run(&["--version"]);
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), format!("codeloop {VERSION}"));

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read_json = |rel: &str| -> serde_json::Value {
        serde_json::from_str(&read(&root.join(rel))).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let main = read_json("npm/codeloop/package.json");
    assert_eq!(main["version"], VERSION);
    assert!(main.get("scripts").is_none(), "no install scripts: {main}");
    let optional = main["optionalDependencies"].as_object().unwrap();
    let platforms = [
        "linux-x64",
        "linux-arm64",
        "darwin-x64",
        "darwin-arm64",
        "win32-x64",
        "win32-arm64",
    ];
    assert_eq!(optional.len(), platforms.len());
    for p in platforms {
        let name = format!("@codeloop/cli-{p}");
        assert_eq!(optional[&name], VERSION, "{name}");
        let pkg = read_json(&format!("npm/platforms/{p}/package.json"));
        assert_eq!(pkg["name"], name.as_str());
        assert_eq!(pkg["version"], VERSION);
        let (os, cpu) = p.split_once('-').unwrap();
        assert_eq!(pkg["os"], serde_json::json!([os]));
        assert_eq!(pkg["cpu"], serde_json::json!([cpu]));
        assert!(pkg.get("scripts").is_none(), "no install scripts: {pkg}");
    }
}
