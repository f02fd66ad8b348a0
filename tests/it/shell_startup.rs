//! Shell startup files as the shells really read them, proven by starting the real
//! shell on a sandboxed home: zsh with `ZDOTDIR` set in `~/.zshenv`, bash login
//! shells whatever their login file says, and which shells `init` sets up by default
//! (the ones in use, not every one installed).

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
