//! Shell startup files as the shells really read them, proven by starting the real
//! shell on a sandboxed home: zsh with `ZDOTDIR` set in `~/.zshenv`, bash login
//! shells whatever their login file says, which shells `init` sets up by default
//! (the ones in use, not every one installed), and the startup-file key check: a key
//! written by hand is named exactly when the shell would set it.

use std::path::Path;

use crate::harness::*;

/// Every one of `tools` is installed (scripts/test-deps.sh): [`require`] fails the test
/// under CI when one is missing, and skips it loudly otherwise.
fn all(tools: &[&str]) -> bool {
    tools.iter().all(|t| require(t).is_some())
}

fn with_login_shell(s: &mut Sandbox, shell: &str) {
    s.env.push(("SHELL".into(), shell.into()));
}

/// The ways people set `ZDOTDIR` in `~/.zshenv`.
const ZSHENVS: &[&str] = &[
    "ZDOTDIR=$HOME/.config/zsh\n",
    "export ZDOTDIR=\"$HOME/.config/zsh\"\n",
    "# keep dotfiles tidy\nexport ZDOTDIR=${XDG_CONFIG_HOME:-$HOME/.config}/zsh\n",
    "[[ -d ~/.config/zsh ]] && ZDOTDIR=~/.config/zsh\n",
];

#[test]
fn zsh_with_zdotdir_in_zshenv_gets_the_block_where_zsh_reads_it() {
    if !all(&["zsh"]) {
        return;
    }
    for zshenv in ZSHENVS {
        let mut s = Sandbox::new();
        with_login_shell(&mut s, "/bin/zsh");
        write(&s.home_path(".zshenv"), zshenv);
        let real = s.home_path(".config/zsh/.zshrc");
        write(&real, "autoload -Uz compinit\n");

        s.init_ok("zsh");
        assert_eq!(s.key_in_shell("zsh", &["-i"]), KEY, "{zshenv}");
        assert!(read(&real).contains("# >>> codeloop >>>"), "{zshenv}");
        assert!(
            !s.home_path(".zshrc").exists(),
            "no ~/.zshrc zsh never reads: {zshenv}"
        );
        s.run(&["doctor", "--offline"])
            .stdout_has("zsh: configured");

        // doctor checks the file zsh really reads.
        write(&real, "autoload -Uz compinit\n");
        let out = s.run(&["doctor", "--offline"]);
        out.assert_code(1);
        out.stdout_has(".config/zsh/.zshrc lacks codeloop's part");

        s.init_ok("zsh");
        s.run(&["uninstall", "--yes", "--only", "zsh"])
            .assert_code(0);
        assert_eq!(read(&real), "autoload -Uz compinit\n");
        assert_eq!(s.key_in_shell("zsh", &["-i"]), "<unset>");
    }
}

#[test]
fn without_zsh_on_path_the_zshenv_assignment_is_read() {
    if !all(&["zsh"]) {
        return;
    }
    let mut s = Sandbox::new();
    // Only the sandbox's bin dir: codeloop cannot ask zsh.
    s.system_path = String::new();
    for tool in ["git", "node", "npx"] {
        s.fake_exe(tool);
    }
    write(&s.home_path(".zshenv"), "export ZDOTDIR=$HOME/.zsh\n");
    let real = s.home_path(".zsh/.zshrc");
    write(&real, "setopt autocd\n");
    s.init_ok("zsh");
    assert!(read(&real).contains("# >>> codeloop >>>"));
    assert!(!s.home_path(".zshrc").exists());
    assert_eq!(s.key_in_shell("zsh", &["-i"]), KEY);
}

#[test]
fn a_zshenv_that_would_hang_is_not_waited_for() {
    if !all(&["zsh"]) {
        return;
    }
    let s = Sandbox::new();
    write(
        &s.home_path(".zshenv"),
        "sleep 30\nexport ZDOTDIR=$HOME/.zsh\n",
    );
    let started = std::time::Instant::now();
    s.init_ok("zsh");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "zsh was given a bounded time"
    );
    // The assignment was read instead.
    assert!(read(&s.home_path(".zsh/.zshrc")).contains("# >>> codeloop >>>"));
}

#[test]
fn bash_login_shells_get_the_key_whatever_the_login_file_sources() {
    if !all(&["bash"]) {
        return;
    }
    let s = Sandbox::new();
    write(
        &s.home_path(".bash_profile"),
        "if [ -f ~/.bashrc_local ]; then source ~/.bashrc_local; fi\n",
    );
    s.init_ok("bash");
    assert_eq!(s.key_in_shell("bash", &["-l"]), KEY, "a login shell");
    assert_eq!(s.key_in_shell("bash", &["-i"]), KEY, "an interactive shell");
    assert!(!s.home_path(".profile").exists());
}

#[test]
fn a_login_file_linked_to_bashrc_gets_one_block_and_both_shells_the_key() {
    if !all(&["bash"]) {
        return;
    }
    let s = Sandbox::new();
    write(&s.home_path(".bashrc"), "# my bashrc\n");
    symlink(Path::new(".bashrc"), &s.home_path(".bash_profile"));

    let out = s.init_ok("bash");

    assert!(
        !out.stdout.contains("already done by another program"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("~/.bash_profile"), "{}", out.stdout);
    assert_eq!(
        read(&s.home_path(".bashrc"))
            .matches("# >>> codeloop >>>")
            .count(),
        1
    );
    assert!(
        std::fs::symlink_metadata(s.home_path(".bash_profile"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(s.key_in_shell("bash", &["-l"]), KEY, "a login shell");
    assert_eq!(s.key_in_shell("bash", &["-i"]), KEY, "an interactive shell");
    s.run(&["uninstall", "--yes"]).assert_code(0);
    assert_eq!(read(&s.home_path(".bashrc")), "# my bashrc\n");
}

#[test]
fn only_shells_in_use_are_set_up_by_default() {
    if !all(&["bash", "zsh", "fish"]) {
        return;
    }
    // A bash user with zsh and fish merely installed.
    let mut s = Sandbox::new();
    with_login_shell(&mut s, "/bin/bash");
    let out = s.run(&["init", "--yes"]);
    out.assert_code(0);
    out.stdout_has("found zsh: `zsh` is on PATH");
    out.stdout_has("(installed, not set up unless you choose it)");
    assert!(
        !s.home_path(".zshrc").exists(),
        "no ~/.zshrc for a bash user"
    );
    assert!(!s.home_path(".config/fish/conf.d/codeloop.fish").exists());
    assert_eq!(s.key_in_shell("bash", &["-i"]), KEY);

    // An existing ~/.zshrc counts even when $SHELL says bash (containers, no chsh).
    let mut s = Sandbox::new();
    with_login_shell(&mut s, "/bin/bash");
    write(&s.home_path(".zshrc"), "setopt autocd\n");
    s.run(&["init", "--yes"]).assert_code(0);
    assert_eq!(s.key_in_shell("zsh", &["-i"]), KEY);
    assert!(!s.home_path(".config/fish/conf.d/codeloop.fish").exists());

    // A fish config dir counts too.
    let mut s = Sandbox::new();
    with_login_shell(&mut s, "/bin/bash");
    std::fs::create_dir_all(s.home_path(".config/fish")).unwrap();
    s.run(&["init", "--yes"]).assert_code(0);
    assert_eq!(s.key_in_shell("fish", &[]), KEY);
}

// ---------------------------------------------------------------------------------
// Keys written into startup files by hand

/// The startup check's hits, as `file:line`, from `doctor --offline --json`.
fn startup_hits(s: &Sandbox) -> Vec<String> {
    let out = s.run(&["doctor", "--offline", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("doctor --json");
    let check = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "startup")
        .expect("the startup check");
    check["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| format!("{}:{}", h["file"].as_str().unwrap(), h["line"]))
                .collect()
        })
        .unwrap_or_default()
}

/// A key is named exactly when the shell would set it: a commented line (`# export
/// …`, `# set -gx …`), a trailing comment, and a fish file outside `conf.d/*.fish`
/// set nothing, and are not named; a line after a quoted `#`, or a key inside a
/// quoted string that spans a `#` line, is code. Each case is put alone in a fresh
/// home and the real shell is asked what it ends up with.
#[test]
fn a_startup_key_is_named_exactly_when_the_shell_sets_it() {
    if !all(&["bash", "zsh", "fish"]) {
        return;
    }
    // (shell, its flags, file, text with {K} for the key, the shell sets the key)
    let cases: &[(&str, &[&str], &str, &str, bool)] = &[
        (
            "bash",
            &["-i"],
            ".bashrc",
            "export CODELOOP_API_KEY={K}\n",
            true,
        ),
        (
            "bash",
            &["-i"],
            ".bashrc",
            "# export CODELOOP_API_KEY={K}\n",
            false,
        ),
        (
            "bash",
            &["-i"],
            ".bashrc",
            "  #export CODELOOP_API_KEY={K}\n",
            false,
        ),
        (
            "bash",
            &["-i"],
            ".bashrc",
            "export PATH=$PATH:/opt/bin # was: export CODELOOP_API_KEY={K}\n",
            false,
        ),
        (
            "bash",
            &["-i"],
            ".bashrc",
            "export CODELOOP_API_KEY='{K}' # by hand\n",
            true,
        ),
        (
            "bash",
            &["-i"],
            ".bashrc",
            "echo '#' >/dev/null; export CODELOOP_API_KEY=\"{K}\"\n",
            true,
        ),
        (
            "bash",
            &["-i"],
            ".bashrc",
            "NOTE='kept here:\n# CODELOOP_API_KEY={K}'\nexport CODELOOP_API_KEY=\"${NOTE##*=}\"\n",
            true,
        ),
        (
            "zsh",
            &["-i"],
            ".zshrc",
            "# export CODELOOP_API_KEY={K}\n",
            false,
        ),
        (
            "zsh",
            &["-i"],
            ".zshrc",
            "export CODELOOP_API_KEY={K} # mine\n",
            true,
        ),
        (
            "zsh",
            &["-i"],
            ".zshrc",
            "typeset -x CODELOOP_API_KEY={K}\n",
            true,
        ),
        (
            "fish",
            &[],
            ".config/fish/config.fish",
            "# set -gx CODELOOP_API_KEY {K}\n",
            false,
        ),
        (
            "fish",
            &[],
            ".config/fish/config.fish",
            "set -gx EDITOR vim # set -gx CODELOOP_API_KEY {K}\n",
            false,
        ),
        (
            "fish",
            &[],
            ".config/fish/config.fish",
            "set -gx CODELOOP_API_KEY {K} # mine\n",
            true,
        ),
        (
            "fish",
            &[],
            ".config/fish/conf.d/mine.fish",
            "  # set --export CODELOOP_API_KEY {K}\n",
            false,
        ),
        (
            "fish",
            &[],
            ".config/fish/conf.d/mine.fish",
            "set --export CODELOOP_API_KEY '{K}'\n",
            true,
        ),
        // fish sources only *.fish in conf.d: not a note, not a copy of codeloop's file.
        (
            "fish",
            &[],
            ".config/fish/conf.d/notes.txt",
            "set -gx CODELOOP_API_KEY {K}\n",
            false,
        ),
        (
            "fish",
            &[],
            ".config/fish/conf.d/codeloop.fish~",
            "set -gx CODELOOP_API_KEY '{K}'\n",
            false,
        ),
    ];
    for (shell, flags, file, text, sets) in cases {
        let s = Sandbox::new();
        write(&s.home_path(file), text.replace("{K}", KEY2));
        let what = format!("{shell} {file}: {text:?}");
        let got = s.key_in_shell(shell, flags);
        assert_eq!(got == KEY2, *sets, "{what}: the shell has {}", mask(&got));
        let named = startup_hits(&s);
        if *sets {
            let line = text.lines().position(|l| l.contains("{K}")).unwrap() + 1;
            assert_eq!(named, [format!("~/{file}:{line}")], "{what}");
        } else {
            assert_eq!(named, [""; 0], "{what}");
        }
    }
}

/// PowerShell runs every current-user profile: the all-hosts `profile.ps1` and each
/// host's own — `Microsoft.PowerShell_profile.ps1` (`$PROFILE`, the one most people
/// edit) and VS Code's `Microsoft.VSCode_profile.ps1` — so a key in any of them is
/// named, in a UTF-16 profile too; one in a comment or a `<# … #>` block is not, and
/// neither is one in a file no PowerShell loads (the docs' `Microsoft.Powershell_…`
/// spelling, which pwsh on Linux never opens). No pwsh here: the files are PowerShell's
/// documented ones (about_Profiles), cited in `PowerShellProfile::current_user_profiles`.
#[test]
fn every_powershell_profile_is_read_and_its_comments_are_not() {
    let s = Sandbox::new();
    let dir = ".config/powershell";
    write(
        &s.home_path(&format!("{dir}/Microsoft.PowerShell_profile.ps1")),
        format!(
            "Set-PSReadLineOption -EditMode Emacs\r\n$env:CODELOOP_API_KEY = '{KEY2}'\r\n# $env:CODELOOP_API_KEY = '{KEY2}'\r\n<#\r\n$env:CODELOOP_API_KEY = '{KEY2}'\r\n#>\r\n"
        ),
    );
    write(
        &s.home_path(&format!("{dir}/Microsoft.VSCode_profile.ps1")),
        format!("[Environment]::SetEnvironmentVariable('CODELOOP_API_KEY', '{KEY2}', 'Process')\n"),
    );
    write(
        &s.home_path(&format!("{dir}/Microsoft.Powershell_profile.ps1")),
        format!("$env:CODELOOP_API_KEY = '{KEY2}'\n"),
    );
    // Windows PowerShell 5.1 saves profiles as UTF-16LE with a BOM.
    let mut utf16 = read_bytes(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/shell/utf16le-bom.profile.ps1"),
    );
    let lines = String::from_utf16(
        &utf16[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
    .unwrap()
    .lines()
    .count();
    let added = format!("$env:CODELOOP_API_KEY = '{KEY2}'\r\n");
    utf16.extend(added.encode_utf16().flat_map(u16::to_le_bytes));
    write(&s.home_path(&format!("{dir}/profile.ps1")), &utf16);

    let profile = format!("~/{dir}/profile.ps1:{}", lines + 1);
    assert_eq!(
        startup_hits(&s),
        [
            profile.as_str(),
            "~/.config/powershell/Microsoft.PowerShell_profile.ps1:2",
            "~/.config/powershell/Microsoft.VSCode_profile.ps1:1",
        ]
    );
    let out = s.run(&["init", "--yes", "--only", "powershell"]);
    out.assert_code(0);
    out.stderr_has(&format!(
        "warning: ~/.config/powershell/Microsoft.PowerShell_profile.ps1:2 sets a CodeLoop key itself ({})",
        mask(KEY2)
    ));
    out.stderr_has("delete that line: `codeloop init --only powershell` sets CODELOOP_API_KEY instead, with a #region codeloop block that loads ~/.codeloop/env.ps1 (0600)");
    out.stderr_has(&format!("warning: {profile} sets"));
    out.stderr_has("warning: ~/.config/powershell/Microsoft.VSCode_profile.ps1:1 sets");
    assert!(
        !out.stderr.contains("Microsoft.Powershell_profile"),
        "{}",
        out.masked()
    );
}

/// codeloop's own files hold the key — `~/.codeloop/env.sh`, `env.ps1` and `env.fish`
/// — and so may a block an older codeloop wrote; none of them
/// is the person's, so after `init` for every shell the check finds nothing.
#[test]
fn codeloops_own_files_and_blocks_are_not_named() {
    let s = Sandbox::new();
    write(
        &s.home_path(".bashrc"),
        format!("# >>> codeloop >>>\nexport CODELOOP_API_KEY={KEY2}\n# <<< codeloop <<<\n"),
    );
    s.init_ok("bash,zsh,fish,powershell");
    for own in [
        ".codeloop/env.sh",
        ".codeloop/env.ps1",
        ".codeloop/env.fish",
    ] {
        assert!(read(&s.home_path(own)).contains(KEY), "{own} holds the key");
    }
    assert_eq!(startup_hits(&s), [""; 0]);
    s.run(&["doctor", "--offline"])
        .stdout_has("✓ no CodeLoop key written into your shell startup files");
}

/// Several keys in one file are one warning naming each line (`file:line`), the keys
/// masked and the next step; another file is another warning. doctor prints a `!`
/// line per file; `--json` lists every line in `hits`.
#[test]
fn several_startup_keys_in_one_file_are_one_warning() {
    let s = Sandbox::new();
    write(
        &s.home_path(".bashrc"),
        format!(
            "export CODELOOP_API_KEY={KEY2}\nexport A=1\nexport CODELOOP_API_KEY={KEY2}\nexport OLD={KEY}\n"
        ),
    );
    write(
        &s.home_path(".zshrc"),
        format!("export CODELOOP_API_KEY={KEY2}\n"),
    );
    assert_eq!(
        startup_hits(&s),
        ["~/.zshrc:1", "~/.bashrc:1", "~/.bashrc:3", "~/.bashrc:4"]
    );
    let bashrc = format!(
        "~/.bashrc:1, ~/.bashrc:3 and ~/.bashrc:4 set a CodeLoop key itself ({}, {KEY_MASKED})",
        mask(KEY2)
    );
    let next = "delete those lines: `codeloop init --only bash` sets CODELOOP_API_KEY instead, with a block that loads ~/.codeloop/env.sh (0600)";
    let doctor = s.run(&["doctor", "--offline"]);
    let warnings: Vec<&str> = doctor
        .stdout
        .lines()
        .filter(|l| l.starts_with("! "))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", doctor.masked());
    assert!(
        warnings[0].starts_with("! ~/.zshrc:1 sets a CodeLoop key itself"),
        "{}",
        doctor.masked()
    );
    assert!(
        warnings[1].starts_with(&format!("! {bashrc}")),
        "{}",
        doctor.masked()
    );
    assert!(warnings[1].ends_with(next), "{}", doctor.masked());

    let out = s.init_ok("bash,zsh");
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("a CodeLoop key itself"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", out.masked());
    assert!(
        warnings[1].starts_with(&format!("warning: {bashrc}")),
        "{}",
        out.masked()
    );
}

/// codeloop's `conf.d/codeloop.fish` only loads `~/.codeloop/env.fish` now; a key in
/// it (an older codeloop's layout, or one written by hand) is the startup check's to
/// name like any other fish file's.
#[test]
fn a_key_in_conf_d_codeloop_fish_is_named() {
    let s = Sandbox::new();
    write(
        &s.home_path(".config/fish/conf.d/codeloop.fish"),
        format!("set -gx CODELOOP_API_KEY '{KEY2}'\n"),
    );
    s.run(&["doctor", "--offline"])
        .stdout_has("! ~/.config/fish/conf.d/codeloop.fish:1 sets a CodeLoop key itself");
}
