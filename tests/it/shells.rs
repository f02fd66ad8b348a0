//! Shell integration, proven by the real shells: after `codeloop init`, a new `bash`,
//! `zsh` or `fish` started on the sandboxed HOME has `CODELOOP_API_KEY`; after
//! `codeloop uninstall` it does not, and every file is byte-identical to before.
//!
//! The shells are installed by `scripts/test-deps.sh`; a missing one fails under `CI`
//! and skips loudly otherwise (`require`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::harness::*;

const UNSET: &str = "<unset>";

fn shell_fixture(name: &str) -> Vec<u8> {
    read_bytes(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/shell")
            .join(name),
    )
}

/// Writes `bytes` to `rel` under the sandbox home.
fn home_file(s: &Sandbox, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = s.home_path(rel);
    write(&path, bytes);
    path
}

/// Every one of `tools` is installed (under CI: or the test fails).
fn all(tools: &[&str]) -> bool {
    tools.iter().all(|t| require(t).is_some())
}

#[test]
fn bash_zsh_and_fish_see_the_key_and_lose_it_again_on_uninstall() {
    if !all(&["bash", "zsh", "fish"]) {
        return;
    }
    let s = Sandbox::new();
    let bashrc = home_file(&s, ".bashrc", &shell_fixture("debian-skel.bashrc"));
    let zshrc = home_file(&s, ".zshrc", &shell_fixture("oh-my-zsh.zshrc"));
    fs::create_dir_all(s.home_path(".config/fish")).unwrap();
    // Before: no key (and fish has made its own ~/.local/share/fish).
    for (shell, flags) in [("bash", &["-i"][..]), ("zsh", &["-i"]), ("fish", &[])] {
        assert_eq!(s.key_in_shell(shell, flags), UNSET, "{shell}");
    }
    let before = contents(&s);

    s.init_ok("bash,zsh,fish");
    assert_eq!(s.key_in_shell("bash", &["-i"]), KEY);
    assert_eq!(s.key_in_shell("zsh", &["-i"]), KEY);
    assert_eq!(s.key_in_shell("fish", &[]), KEY);

    // The key is in codeloop's own private files only, all in ~/.codeloop (which
    // keeps itself out of git); fish's conf.d file only loads env.fish.
    for own in [".codeloop/env.sh", ".codeloop/env.fish"] {
        assert_eq!(mode(&s.home_path(own)), 0o600, "{own}");
        assert!(read(&s.home_path(own)).contains(KEY), "{own}");
    }
    let fish_conf = s.home_path(".config/fish/conf.d/codeloop.fish");
    for rc in [&bashrc, &zshrc, &fish_conf] {
        assert!(!read(rc).contains("cl_live_"), "{}", rc.display());
    }

    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_eq!(s.key_in_shell("bash", &["-i"]), UNSET);
    assert_eq!(s.key_in_shell("zsh", &["-i"]), UNSET);
    assert_eq!(s.key_in_shell("fish", &[]), UNSET);
    assert_restored(&before, &contents(&s));
}

#[test]
fn a_second_run_changes_nothing_and_a_new_key_rewrites_only_the_env_files() {
    if !all(&["bash"]) {
        return;
    }
    let mut s = Sandbox::new();
    let bashrc = home_file(&s, ".bashrc", &shell_fixture("debian-skel.bashrc"));
    s.init_ok("bash");
    let after_first = contents(&s);
    let snap = s.snapshot();
    s.init_ok("bash").stdout_has("nothing to change");
    assert_unchanged(&snap, &s.snapshot());

    let rc_mtime = fs::metadata(&bashrc).unwrap().modified().unwrap();
    s.key = Some(KEY2.to_owned());
    s.init_ok("bash");
    assert_eq!(s.key_in_shell("bash", &["-i"]), KEY2);
    assert_eq!(
        fs::metadata(&bashrc).unwrap().modified().unwrap(),
        rc_mtime,
        ".bashrc untouched"
    );
    let changed: Vec<PathBuf> = contents(&s)
        .into_iter()
        .filter(|(p, c)| after_first.get(p) != Some(c))
        .map(|(p, _)| p)
        .collect();
    // The env file, and codeloop's record of what it wrote there.
    assert_eq!(
        changed,
        [
            PathBuf::from("home/.codeloop/env.sh"),
            PathBuf::from("home/.codeloop/state.json")
        ]
    );
}

#[test]
fn quirky_rc_files_keep_their_bytes_and_still_work() {
    if !all(&["bash", "zsh"]) {
        return;
    }
    for (name, shell, rc) in [
        ("no-trailing-newline.bashrc", "bash", ".bashrc"),
        ("crlf.zshrc", "zsh", ".zshrc"),
    ] {
        let s = Sandbox::new();
        let path = home_file(&s, rc, &shell_fixture(name));
        let before = contents(&s);
        s.init_ok(shell);
        assert_eq!(s.key_in_shell(shell, &["-i"]), KEY, "{name}");
        let text = read_bytes(&path);
        if name.starts_with("crlf") {
            let lf = text.iter().filter(|&&b| b == b'\n').count();
            let crlf = text.windows(2).filter(|w| w == b"\r\n").count();
            assert_eq!(lf, crlf, "CRLF file stays CRLF");
        } else {
            assert!(!text.ends_with(b"\n"), "no trailing newline stays that way");
        }
        s.run(&["uninstall", "--yes"]).assert_code(0);
        assert_restored(&before, &contents(&s));
    }
}

#[test]
fn zdotdir_is_honoured() {
    if !all(&["zsh"]) {
        return;
    }
    let mut s = Sandbox::new();
    let zdotdir = s.home_path(".config/zsh");
    fs::create_dir_all(&zdotdir).unwrap();
    s.env
        .push(("ZDOTDIR".into(), zdotdir.to_str().unwrap().into()));
    s.init_ok("zsh");
    assert!(zdotdir.join(".zshrc").is_file());
    assert!(!s.home_path(".zshrc").exists());
    assert_eq!(s.key_in_shell("zsh", &["-i"]), KEY);
}

#[test]
fn a_symlinked_rc_is_edited_through_the_link() {
    if !all(&["bash"]) {
        return;
    }
    let s = Sandbox::new();
    let real = home_file(&s, "dotfiles/bashrc", &shell_fixture("debian-skel.bashrc"));
    symlink(&real, &s.home_path(".bashrc"));
    s.init_ok("bash");
    assert!(
        fs::symlink_metadata(s.home_path(".bashrc"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read(&real).contains("# >>> codeloop >>>"));
    assert_eq!(s.key_in_shell("bash", &["-i"]), KEY);
}

#[test]
fn a_stale_block_is_replaced_in_place() {
    if !all(&["zsh"]) {
        return;
    }
    let s = Sandbox::new();
    let zshrc = home_file(&s, ".zshrc", &shell_fixture("stale-block-old-layout.zshrc"));
    s.init_ok("zsh");
    let text = read(&zshrc);
    assert!(!text.contains("OLDLAYOUT"), "{text}");
    assert_eq!(text.matches("# >>> codeloop >>>").count(), 1);
    assert!(text.starts_with("export PATH=\"$HOME/bin:$PATH\"\n# >>> codeloop >>>\n"));
    assert!(text.ends_with("# <<< codeloop <<<\nalias g=git\n"));
    assert_eq!(s.key_in_shell("zsh", &["-i"]), KEY);
}

#[test]
fn duplicated_markers_are_refused_and_nothing_is_written() {
    let s = Sandbox::new();
    let bashrc = home_file(&s, ".bashrc", &shell_fixture("duplicated-markers.bashrc"));
    let before = s.snapshot();
    let out = s.run(&["init", "--yes", "--only", "bash,zsh"]);
    out.assert_code(1);
    out.stderr_has("~/.bashrc:5:");
    out.stderr_has("more than once");
    out.stderr_has("--skip bash");
    assert_unchanged(&before, &s.snapshot());
    assert_eq!(
        read_bytes(&bashrc),
        shell_fixture("duplicated-markers.bashrc")
    );
}

#[test]
fn bash_login_files_always_get_the_block_and_none_is_created_but_profile() {
    if !all(&["bash"]) {
        return;
    }
    // Whatever the login file says about `.bashrc` (here it sources another file),
    // it gets the block: loading env.sh twice is harmless, missing it is not.
    for fixture_name in [
        "bash-profile-not-sourcing-bashrc",
        "bash-profile-sourcing-bashrc",
        "bash-profile-sourcing-bashrc-local",
    ] {
        let s = Sandbox::new();
        let profile = home_file(&s, ".bash_profile", &shell_fixture(fixture_name));
        s.init_ok("bash");
        assert!(
            read(&profile).contains("# >>> codeloop >>>"),
            "{fixture_name}"
        );
        assert_eq!(s.key_in_shell("bash", &["-l"]), KEY, "{fixture_name}");
        assert_eq!(s.key_in_shell("bash", &["-i"]), KEY, "{fixture_name}");
        assert!(!s.home_path(".profile").exists(), "{fixture_name}");
    }

    // `.bash_login` when there is no `.bash_profile`; `.profile` when neither.
    let s = Sandbox::new();
    let login = home_file(&s, ".bash_login", b"export FROM_LOGIN=1\n");
    home_file(&s, ".profile", b"export FROM_PROFILE=1\n");
    s.init_ok("bash");
    assert!(read(&login).contains("# >>> codeloop >>>"));
    assert_eq!(
        read_bytes(&s.home_path(".profile")),
        b"export FROM_PROFILE=1\n"
    );
    assert_eq!(s.key_in_shell("bash", &["-l"]), KEY);

    // Never `.bash_profile`, which would stop `.profile` from being read.
    let s = Sandbox::new();
    let profile = home_file(&s, ".profile", b"export FROM_PROFILE=1\n");
    s.init_ok("bash");
    assert!(!s.home_path(".bash_profile").exists());
    assert!(!s.home_path(".bash_login").exists());
    assert!(read(&profile).contains("# >>> codeloop >>>"));
    assert_eq!(s.key_in_shell("bash", &["-l"]), KEY);

    // No login file at all: `.profile` is made, and goes again with uninstall.
    let s = Sandbox::new();
    let before = contents(&s);
    s.init_ok("bash");
    assert_eq!(s.key_in_shell("bash", &["-l"]), KEY);
    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_restored(&before, &contents(&s));
}

/// A key the person exported in `.bashrc` themselves (as some vendor docs show): it
/// wins over codeloop's block when it comes after it, so rotating would not reach
/// the shell. init and doctor name the line, masked; the line is the person's and
/// stays.
#[test]
fn a_key_written_into_a_startup_file_by_hand_is_named_by_init_and_doctor() {
    let s = Sandbox::new();
    let own = format!("export PATH=$PATH:/opt/bin\nexport CODELOOP_API_KEY={KEY2}\n");
    let bashrc = home_file(&s, ".bashrc", own.as_bytes());
    let out = s.init_ok("bash");
    let named = format!("~/.bashrc:2 sets a CodeLoop key itself ({})", mask(KEY2));
    assert!(
        out.stderr.contains(&named) && out.stderr.contains("delete that line"),
        "{}",
        out.masked()
    );
    assert!(read(&bashrc).starts_with(&own));
    let doctor = s.run(&["doctor", "--offline"]);
    doctor.stdout_has(&format!("! {named}"));
    // Only a warning: the rest is healthy.
    doctor.assert_code(0);
}

#[test]
fn a_read_only_rc_is_refused_with_the_file_named() {
    let s = Sandbox::new();
    let bashrc = home_file(&s, ".bashrc", b"export A=1\n");
    set_mode(&bashrc, 0o444);
    let out = s.run(&["init", "--yes", "--only", "bash"]);
    out.assert_code(1);
    out.stderr_has("~/.bashrc");
    out.stderr_has("read-only");
    assert_eq!(read_bytes(&bashrc), b"export A=1\n");
}

#[test]
fn a_utf16_powershell_profile_is_edited_in_its_own_encoding() {
    let mut s = Sandbox::new();
    let config = s.home_path("xdg");
    s.env
        .push(("XDG_CONFIG_HOME".into(), config.to_str().unwrap().into()));
    let profile = config.join("powershell/profile.ps1");
    write(&profile, shell_fixture("utf16le-bom.profile.ps1"));
    let before = contents(&s);
    s.init_ok("powershell");

    let bytes = read_bytes(&profile);
    assert!(bytes.starts_with(&[0xFF, 0xFE]), "BOM kept");
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    assert!(text.ends_with(
        "\r\n#region codeloop\r\n# managed by `codeloop init`; remove with `codeloop uninstall`\r\nif (Test-Path \"$HOME/.codeloop/env.ps1\") { . \"$HOME/.codeloop/env.ps1\" } # sets CODELOOP_API_KEY\r\n#endregion codeloop\r\n"
    ), "{text:?}");
    let env = read(&s.home_path(".codeloop/env.ps1"));
    assert!(env.contains(&format!("$env:CODELOOP_API_KEY = '{KEY}'")));

    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_restored(&before, &contents(&s));
}

#[test]
fn generated_files_pass_bash_n_zsh_n_and_shellcheck() {
    let (Some(bash), Some(zsh), Some(shellcheck)) =
        (require("bash"), require("zsh"), require("shellcheck"))
    else {
        return;
    };
    let s = Sandbox::new();
    home_file(&s, ".bashrc", &shell_fixture("debian-skel.bashrc"));
    home_file(&s, ".zshrc", &shell_fixture("oh-my-zsh.zshrc"));
    s.init_ok("bash,zsh");
    let env_sh = s.home_path(".codeloop/env.sh");
    let env = [
        ("HOME".to_owned(), s.home.to_str().unwrap().to_owned()),
        ("PATH".to_owned(), SYSTEM_PATH.to_owned()),
    ];
    for (program, args) in [
        (&bash, vec!["-n", ".bashrc"]),
        (&bash, vec!["-n", ".codeloop/env.sh"]),
        (&zsh, vec!["-n", ".zshrc"]),
        (&zsh, vec!["-n", ".codeloop/env.sh"]),
        (&shellcheck, vec!["--shell=sh", env_sh.to_str().unwrap()]),
    ] {
        let out = run_program(program, &args, &s.home, &env);
        assert_eq!(out.code, Some(0), "{program:?} {args:?}\n{}", out.masked());
    }
}

/// As an ordinary user (via `setpriv`, so this runs when the suite runs as root, as in
/// CI): an rc file owned by root is refused up front, naming the file and the fix, and
/// nothing at all is written — not even the env file that would have come first.
#[test]
fn a_root_owned_rc_is_refused_before_anything_is_written() {
    use std::os::unix::fs::{MetadataExt, chown};
    let me = tempfile::tempfile().unwrap().metadata().unwrap().uid();
    if me != 0 {
        eprintln!("SKIPPED: needs root to act as another user");
        return;
    }
    let Some(setpriv) = require("setpriv") else {
        return;
    };
    let s = Sandbox::new();
    fs::set_permissions(&s.root, fs::Permissions::from_mode(0o755)).unwrap();
    let nobody = 65534;
    chown(&s.home, Some(nobody), Some(nobody)).unwrap();
    chown(&s.project, Some(nobody), Some(nobody)).unwrap();
    let bashrc = home_file(&s, ".bashrc", b"export A=1\n");
    assert_eq!(fs::metadata(&bashrc).unwrap().uid(), 0);
    let before = s.snapshot();

    let exe = env!("CARGO_BIN_EXE_codeloop");
    let out = run_program(
        &setpriv,
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
        &s.project,
        &s.run_env(),
    );
    assert_no_full_key(&out.both(), "output");
    out.assert_code(1);
    out.stderr_has("~/.bashrc");
    out.stderr_has("owned by another user");
    assert_unchanged(&before, &s.snapshot());
}
