//! Shell integration, proven by the real shells: after `codeloop init`, a new `bash`,
//! `zsh` or `fish` started on a sandboxed HOME has `CODELOOP_API_KEY`; after the
//! reverse edit it does not, and every file is byte-identical to before.
//!
//! The shells are installed by `scripts/test-deps.sh`. With `CI` set a missing shell
//! fails the test; otherwise the test says loudly that it skipped.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KEY: &str = "cl_live_ShellTest_0001";
const NEW_KEY: &str = "cl_live_ShellTest_0002";
const UNSET: &str = "<unset>";

fn fixture(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/shell")
            .join(name),
    )
    .unwrap()
}

struct Sandbox {
    _dir: tempfile::TempDir,
    home: PathBuf,
    project: PathBuf,
    vars: BTreeMap<String, String>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        fs::create_dir_all(&home).unwrap();
        fs::create_dir_all(&project).unwrap();
        let mut vars = BTreeMap::new();
        vars.insert("HOME".into(), home.to_string_lossy().into_owned());
        vars.insert("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into());
        vars.insert("TERM".into(), "dumb".into());
        Sandbox {
            _dir: dir,
            home,
            project,
            vars,
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.into(), value.into());
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.home.join(rel);
        write(&path, bytes);
        path
    }

    fn init(&self, key: &str, args: &[&str]) -> Output {
        let mut all = vec!["init", "--yes"];
        all.extend_from_slice(args);
        let out = run(
            Path::new(env!("CARGO_BIN_EXE_codeloop")),
            &all,
            &self.project,
            &self.vars,
            &[("CODELOOP_API_KEY", key)],
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains(key), "the full key was printed:\n{text}");
        out
    }

    /// `CODELOOP_API_KEY` as a new interactive shell sees it.
    fn key_in(&self, shell: &str) -> String {
        let script = match shell {
            "fish" => {
                "if set -q CODELOOP_API_KEY; printf %s $CODELOOP_API_KEY; else; printf '<unset>'; end"
            }
            _ => r#"printf %s "${CODELOOP_API_KEY-<unset>}""#,
        };
        let args: Vec<&str> = match shell {
            "fish" => vec!["-c", script],
            "bash-login" => vec!["-l", "-c", script],
            _ => vec!["-i", "-c", script],
        };
        let program = if shell == "bash-login" { "bash" } else { shell };
        let out = run(Path::new(program), &args, &self.home, &self.vars, &[]);
        assert!(
            out.status.success(),
            "{shell} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Every file under the sandbox, for byte-for-byte comparisons.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        walk(self.home.parent().unwrap(), &mut files);
        files
    }

    /// `codeloop uninstall` of every shell: what the record says codeloop did goes.
    /// (`_rc_files`: the files the test checks byte for byte afterwards.)
    fn reverse(&self, _rc_files: &[&Path]) {
        let out = run(
            Path::new(env!("CARGO_BIN_EXE_codeloop")),
            &["uninstall", "--yes", "--only", "zsh,bash,fish,powershell"],
            &self.project,
            &self.vars,
            &[],
        );
        assert!(
            out.status.success(),
            "uninstall failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            walk(&path, files);
        } else if kind.is_symlink() {
            files.insert(
                path.clone(),
                fs::read_link(&path)
                    .unwrap()
                    .to_string_lossy()
                    .as_bytes()
                    .to_vec(),
            );
        } else {
            files.insert(path.clone(), fs::read(&path).unwrap());
        }
    }
}

#[allow(clippy::disallowed_methods)] // tests seed their sandbox directly
fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[allow(clippy::disallowed_methods)] // tests start real shells and the real binary
fn run(
    program: &Path,
    args: &[&str],
    cwd: &Path,
    vars: &BTreeMap<String, String>,
    extra: &[(&str, &str)],
) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(vars)
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

/// Whether `shell` can be started; in CI a missing one is a failure.
#[allow(clippy::disallowed_methods)] // reads CI and PATH of the test process itself
fn have(program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{program} is not installed; scripts/test-deps.sh installs it");
        }
        eprintln!("SKIPPED: {program} is not installed (run scripts/test-deps.sh)");
    }
    found
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "init failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bash_zsh_and_fish_see_the_key_and_lose_it_again_on_reverse() {
    if !(have("bash") && have("zsh") && have("fish")) {
        return;
    }
    let sb = Sandbox::new();
    let bashrc = sb.write(".bashrc", &fixture("debian-skel.bashrc"));
    let zshrc = sb.write(".zshrc", &fixture("oh-my-zsh.zshrc"));
    fs::create_dir_all(sb.home.join(".config/fish")).unwrap();
    let before = sb.snapshot();

    ok(&sb.init(KEY, &["--only", "bash,zsh,fish"]));
    assert_eq!(sb.key_in("bash"), KEY);
    assert_eq!(sb.key_in("zsh"), KEY);
    assert_eq!(sb.key_in("fish"), KEY);

    // The key is in codeloop's own private files only.
    for own in [".codeloop/env.sh", ".config/fish/conf.d/codeloop.fish"] {
        let path = sb.home.join(own);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{own}"
        );
    }
    for rc in [&bashrc, &zshrc] {
        assert!(
            !fs::read_to_string(rc).unwrap().contains("cl_live_"),
            "{}",
            rc.display()
        );
    }

    sb.reverse(&[&bashrc, &zshrc]);
    assert_eq!(sb.key_in("bash"), UNSET);
    assert_eq!(sb.key_in("zsh"), UNSET);
    assert_eq!(sb.key_in("fish"), UNSET);
    assert_eq!(
        sb.snapshot(),
        before,
        "reverse restores every file byte for byte"
    );
}

#[test]
fn a_second_run_changes_nothing_and_a_new_key_rewrites_only_the_env_files() {
    if !(have("bash") && have("zsh")) {
        return;
    }
    let sb = Sandbox::new();
    let bashrc = sb.write(".bashrc", &fixture("debian-skel.bashrc"));
    ok(&sb.init(KEY, &["--only", "bash"]));
    let after_first = sb.snapshot();
    let out = sb.init(KEY, &["--only", "bash"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to change"));
    assert_eq!(sb.snapshot(), after_first);

    let rc_mtime = fs::metadata(&bashrc).unwrap().modified().unwrap();
    ok(&sb.init(NEW_KEY, &["--only", "bash"]));
    assert_eq!(sb.key_in("bash"), NEW_KEY);
    assert_eq!(
        fs::metadata(&bashrc).unwrap().modified().unwrap(),
        rc_mtime,
        ".bashrc untouched"
    );
    let changed: Vec<_> = sb
        .snapshot()
        .into_iter()
        .filter(|(p, bytes)| after_first.get(p) != Some(bytes))
        .map(|(p, _)| p.strip_prefix(&sb.home).unwrap().to_path_buf())
        .collect();
    // The env file, and codeloop's record of what it wrote there.
    assert_eq!(
        changed,
        vec![
            PathBuf::from(".codeloop/env.sh"),
            PathBuf::from(".codeloop/state.json")
        ]
    );
}

#[test]
fn quirky_rc_files_keep_their_bytes_and_still_work() {
    if !(have("bash") && have("zsh")) {
        return;
    }
    for (name, shell, rc) in [
        ("no-trailing-newline.bashrc", "bash", ".bashrc"),
        ("crlf.zshrc", "zsh", ".zshrc"),
    ] {
        let sb = Sandbox::new();
        let path = sb.write(rc, &fixture(name));
        let before = sb.snapshot();
        ok(&sb.init(KEY, &["--only", shell]));
        assert_eq!(sb.key_in(shell), KEY, "{name}");
        let text = fs::read(&path).unwrap();
        if name.starts_with("crlf") {
            let lf = text.iter().filter(|&&b| b == b'\n').count();
            let crlf = text.windows(2).filter(|w| w == b"\r\n").count();
            assert_eq!(lf, crlf, "CRLF file stays CRLF");
        } else {
            assert!(!text.ends_with(b"\n"), "no trailing newline stays that way");
        }
        sb.reverse(&[&path]);
        assert_eq!(sb.snapshot(), before, "{name}");
    }
}

#[test]
fn zdotdir_is_honoured() {
    if !have("zsh") {
        return;
    }
    let mut sb = Sandbox::new();
    let zdotdir = sb.home.join(".config/zsh");
    fs::create_dir_all(&zdotdir).unwrap();
    sb.set("ZDOTDIR", zdotdir.to_str().unwrap());
    ok(&sb.init(KEY, &["--only", "zsh"]));
    assert!(zdotdir.join(".zshrc").is_file());
    assert!(!sb.home.join(".zshrc").exists());
    assert_eq!(sb.key_in("zsh"), KEY);
}

#[test]
fn a_symlinked_rc_is_edited_through_the_link() {
    if !have("bash") {
        return;
    }
    let sb = Sandbox::new();
    let real = sb.write("dotfiles/bashrc", &fixture("debian-skel.bashrc"));
    std::os::unix::fs::symlink(&real, sb.home.join(".bashrc")).unwrap();
    ok(&sb.init(KEY, &["--only", "bash"]));
    assert!(
        fs::symlink_metadata(sb.home.join(".bashrc"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(&real)
            .unwrap()
            .contains("# >>> codeloop >>>")
    );
    assert_eq!(sb.key_in("bash"), KEY);
}

#[test]
fn a_stale_block_is_replaced_in_place() {
    if !have("zsh") {
        return;
    }
    let sb = Sandbox::new();
    let zshrc = sb.write(".zshrc", &fixture("stale-block-old-layout.zshrc"));
    ok(&sb.init(KEY, &["--only", "zsh"]));
    let text = fs::read_to_string(&zshrc).unwrap();
    assert!(!text.contains("OLDLAYOUT"), "{text}");
    assert_eq!(text.matches("# >>> codeloop >>>").count(), 1);
    assert!(text.starts_with("export PATH=\"$HOME/bin:$PATH\"\n# >>> codeloop >>>\n"));
    assert!(text.ends_with("# <<< codeloop <<<\nalias g=git\n"));
    assert_eq!(sb.key_in("zsh"), KEY);
}

#[test]
fn duplicated_markers_are_refused_and_nothing_is_written() {
    let sb = Sandbox::new();
    let bashrc = sb.write(".bashrc", &fixture("duplicated-markers.bashrc"));
    let before = sb.snapshot();
    let out = sb.init(KEY, &["--only", "bash,zsh"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("~/.bashrc:5:"), "{stderr}");
    assert!(stderr.contains("more than once"), "{stderr}");
    assert!(stderr.contains("--skip bash"), "{stderr}");
    assert_eq!(sb.snapshot(), before);
    assert_eq!(
        fs::read(bashrc).unwrap(),
        fixture("duplicated-markers.bashrc")
    );
}

#[test]
fn bash_login_files_always_get_the_block_and_none_is_created_but_profile() {
    if !have("bash") {
        return;
    }
    // Whatever the login file says about `.bashrc` (here it sources another file),
    // it gets the block: loading env.sh twice is harmless, missing it is not.
    for fixture_name in [
        "bash-profile-not-sourcing-bashrc",
        "bash-profile-sourcing-bashrc",
        "bash-profile-sourcing-bashrc-local",
    ] {
        let sb = Sandbox::new();
        let profile = sb.write(".bash_profile", &fixture(fixture_name));
        ok(&sb.init(KEY, &["--only", "bash"]));
        assert!(
            fs::read_to_string(&profile)
                .unwrap()
                .contains("# >>> codeloop >>>"),
            "{fixture_name}"
        );
        assert_eq!(sb.key_in("bash-login"), KEY, "{fixture_name}");
        assert_eq!(sb.key_in("bash"), KEY, "{fixture_name}");
        assert!(!sb.home.join(".profile").exists(), "{fixture_name}");
    }

    // `.bash_login` when there is no `.bash_profile`; `.profile` when neither.
    let sb = Sandbox::new();
    let login = sb.write(".bash_login", b"export FROM_LOGIN=1\n");
    sb.write(".profile", b"export FROM_PROFILE=1\n");
    ok(&sb.init(KEY, &["--only", "bash"]));
    assert!(
        fs::read_to_string(&login)
            .unwrap()
            .contains("# >>> codeloop >>>")
    );
    assert_eq!(
        fs::read(sb.home.join(".profile")).unwrap(),
        b"export FROM_PROFILE=1\n"
    );
    assert_eq!(sb.key_in("bash-login"), KEY);

    // Never `.bash_profile`, which would stop `.profile` from being read.
    let sb = Sandbox::new();
    let profile = sb.write(".profile", b"export FROM_PROFILE=1\n");
    ok(&sb.init(KEY, &["--only", "bash"]));
    assert!(!sb.home.join(".bash_profile").exists());
    assert!(!sb.home.join(".bash_login").exists());
    assert!(
        fs::read_to_string(&profile)
            .unwrap()
            .contains("# >>> codeloop >>>")
    );
    assert_eq!(sb.key_in("bash-login"), KEY);

    // No login file at all: `.profile` is made, and goes again with uninstall.
    let sb = Sandbox::new();
    let before = sb.snapshot();
    ok(&sb.init(KEY, &["--only", "bash"]));
    assert_eq!(sb.key_in("bash-login"), KEY);
    sb.reverse(&[]);
    assert_eq!(sb.snapshot(), before);
}

/// A key the person exported in `.bashrc` themselves (as some vendor docs show): it
/// wins over codeloop's block when it comes after it, so rotating would not reach
/// the shell. init and doctor name the line, masked; the line is the person's and
/// stays.
#[test]
fn a_key_written_into_a_startup_file_by_hand_is_named_by_init_and_doctor() {
    let sb = Sandbox::new();
    let own = format!("export PATH=$PATH:/opt/bin\nexport CODELOOP_API_KEY={NEW_KEY}\n");
    let bashrc = sb.write(".bashrc", own.as_bytes());
    let out = sb.init(KEY, &["--only", "bash"]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("~/.bashrc:2 sets a CodeLoop key itself (cl_live_Sh…02)")
            && stderr.contains("delete that line"),
        "{stderr}"
    );
    assert!(fs::read_to_string(&bashrc).unwrap().starts_with(&own));
    let doctor = run(
        Path::new(env!("CARGO_BIN_EXE_codeloop")),
        &["doctor", "--offline"],
        &sb.project,
        &sb.vars,
        &[("CODELOOP_API_KEY", KEY)],
    );
    let stdout = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        stdout.contains("! ~/.bashrc:2 sets a CodeLoop key itself (cl_live_Sh…02)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(NEW_KEY) && !stdout.contains(KEY),
        "{stdout}"
    );
    // Only a warning: the rest is healthy.
    assert_eq!(doctor.status.code(), Some(0), "{stdout}");
}

#[test]
fn a_read_only_rc_is_refused_with_the_file_named() {
    let sb = Sandbox::new();
    let bashrc = sb.write(".bashrc", b"export A=1\n");
    fs::set_permissions(&bashrc, fs::Permissions::from_mode(0o444)).unwrap();
    let out = sb.init(KEY, &["--only", "bash"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("~/.bashrc") && stderr.contains("read-only"),
        "{stderr}"
    );
    assert_eq!(fs::read(&bashrc).unwrap(), b"export A=1\n");
}

#[test]
fn a_utf16_powershell_profile_is_edited_in_its_own_encoding() {
    let mut sb = Sandbox::new();
    let config = sb.home.join("xdg");
    sb.set("XDG_CONFIG_HOME", config.to_str().unwrap());
    let profile = config.join("powershell/profile.ps1");
    write(&profile, &fixture("utf16le-bom.profile.ps1"));
    let before = sb.snapshot();
    ok(&sb.init(KEY, &["--only", "powershell"]));

    let bytes = fs::read(&profile).unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xFE]), "BOM kept");
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    assert!(text.ends_with(
        "\r\n#region codeloop\r\n# managed by `codeloop init`; remove with `codeloop uninstall`\r\nif (Test-Path \"$HOME/.codeloop/env.ps1\") { . \"$HOME/.codeloop/env.ps1\" } # sets CODELOOP_API_KEY\r\n#endregion codeloop\r\n"
    ), "{text:?}");
    let env = fs::read_to_string(sb.home.join(".codeloop/env.ps1")).unwrap();
    assert!(env.contains(&format!("$env:CODELOOP_API_KEY = '{KEY}'")));

    sb.reverse(&[&profile]);
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn generated_files_pass_bash_n_zsh_n_and_shellcheck() {
    if !(have("bash") && have("zsh") && have("shellcheck")) {
        return;
    }
    let sb = Sandbox::new();
    sb.write(".bashrc", &fixture("debian-skel.bashrc"));
    sb.write(".zshrc", &fixture("oh-my-zsh.zshrc"));
    ok(&sb.init(KEY, &["--only", "bash,zsh"]));
    let env_sh = sb.home.join(".codeloop/env.sh");
    for (program, args) in [
        ("bash", vec!["-n", ".bashrc"]),
        ("bash", vec!["-n", ".codeloop/env.sh"]),
        ("zsh", vec!["-n", ".zshrc"]),
        ("zsh", vec!["-n", ".codeloop/env.sh"]),
        ("shellcheck", vec!["--shell=sh", env_sh.to_str().unwrap()]),
    ] {
        let out = run(Path::new(program), &args, &sb.home, &sb.vars, &[]);
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// As an ordinary user (via `setpriv`, so this runs when the suite runs as root, as in
/// CI): an rc file owned by root is refused up front, naming the file and the fix, and
/// nothing at all is written — not even the env file that would have come first.
#[test]
fn a_root_owned_rc_is_refused_before_anything_is_written() {
    use std::os::unix::fs::{MetadataExt, chown};
    let me = tempfile::tempfile().unwrap().metadata().unwrap().uid();
    if me != 0 || !have("setpriv") {
        eprintln!("SKIPPED: needs root to act as another user");
        return;
    }
    let sb = Sandbox::new();
    let root = sb.home.parent().unwrap();
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).unwrap();
    let nobody = 65534;
    chown(&sb.home, Some(nobody), Some(nobody)).unwrap();
    chown(&sb.project, Some(nobody), Some(nobody)).unwrap();
    let bashrc = sb.write(".bashrc", b"export A=1\n");
    assert_eq!(fs::metadata(&bashrc).unwrap().uid(), 0);
    let before = sb.snapshot();

    let mut vars = sb.vars.clone();
    vars.insert("CODELOOP_API_KEY".into(), KEY.into());
    let exe = env!("CARGO_BIN_EXE_codeloop");
    let out = run(
        Path::new("setpriv"),
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            exe,
            "init",
            "--yes",
            "--only",
            "bash",
        ],
        &sb.project,
        &vars,
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("~/.bashrc") && stderr.contains("owned by another user"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY));
    assert_eq!(sb.snapshot(), before, "nothing written, no temp files");
}
