//! zsh: interactive shells read `$ZDOTDIR/.zshrc`, where `ZDOTDIR` defaults to the
//! home directory — unless `~/.zshenv` (which every zsh reads first) sets it, a common
//! way to keep dotfiles under `~/.config/zsh` (zsh's manual, "Startup/Shutdown Files").
//! So codeloop asks zsh itself where it will look: a non-interactive `zsh -c` reads
//! only the `zshenv` files (never `.zshrc`), with a sanitised environment and a short
//! timeout; without zsh, the assignment in `~/.zshenv` is read instead. The block goes
//! into the `.zshrc` zsh really reads, and no `~/.zshrc` is created that it never
//! reads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Evidence, Shell, Write, always, text};
use crate::paths::Paths;
use crate::sys::Sys;

pub static SHELL: Shell = Shell {
    id: "zsh",
    label: "zsh",
    evidence: &[
        Evidence::LoginShell("zsh"),
        Evidence::Binary("zsh", false),
        Evidence::File(|p| p.zshrc.clone()),
    ],
    default_on: always,
    files: |paths, key, _| {
        vec![
            Write::owned(&paths.env_sh, text::env_sh(key)),
            Write::block(&paths.zshrc, text::POSIX_MARKERS, text::posix_block()),
        ]
    },
    restart: "open a new terminal to get CODELOOP_API_KEY (or run `. ~/.codeloop/env.sh` in this one)",
};

/// How long zsh may take to read its `zshenv` files.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// Points `paths.zshrc` at the `.zshrc` zsh really reads when `~/.zshenv` sets
/// `ZDOTDIR` (an exported `ZDOTDIR` is in the environment and already counted).
/// Costs nothing without a `~/.zshenv`.
pub fn resolve(sys: &Sys, paths: &mut Paths) {
    if sys.var("ZDOTDIR").is_some() {
        return;
    }
    let zshenv = paths.home.join(".zshenv");
    if !zshenv.is_file() {
        return;
    }
    let found = ask_zsh(sys, &paths.home).or_else(|| read_zshenv(sys, &paths.home, &zshenv));
    if let Some(dir) = found.filter(|d| *d != paths.home) {
        paths.zshrc = dir.join(".zshrc");
    }
}

/// `ZDOTDIR` as a non-interactive zsh ends up with after its `zshenv` files.
fn ask_zsh(sys: &Sys, home: &Path) -> Option<PathBuf> {
    let zsh = sys.which("zsh")?;
    let home_text = home.to_str()?;
    let mut env: Vec<(&str, &str)> = vec![("HOME", home_text)];
    for name in [
        "PATH",
        "USER",
        "LOGNAME",
        "LANG",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
    ] {
        if let Some(v) = sys.var(name) {
            env.push((name, v));
        }
    }
    let out = sys
        .run_bounded(
            &zsh,
            &["-c", "print -rn -- \"${ZDOTDIR-}\""],
            &env,
            ASK_TIMEOUT,
        )
        .ok()??;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?;
    let dir = dir.trim();
    (!dir.is_empty() && Path::new(dir).is_absolute()).then(|| PathBuf::from(dir))
}

/// The last `ZDOTDIR=…` assignment in `~/.zshenv`, expanded for the forms people
/// write (`~`, `$HOME`, `${XDG_CONFIG_HOME:-…}`); `None` for anything else.
fn read_zshenv(sys: &Sys, home: &Path, zshenv: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(zshenv).ok()?;
    let value = text
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            line.strip_prefix("ZDOTDIR=")
        })
        .next_back()?;
    let value = value.split(" #").next()?.trim();
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    expand(value, home, sys.var("XDG_CONFIG_HOME"))
}

/// Expands `~`, `$HOME`, `${HOME}`, `$XDG_CONFIG_HOME` and `${XDG_CONFIG_HOME:-x}` /
/// `${XDG_CONFIG_HOME:=x}`; `None` when anything else is left to expand.
fn expand(value: &str, home: &Path, xdg: Option<&str>) -> Option<PathBuf> {
    let home = home.to_str()?;
    let mut out = value.to_owned();
    if let Some(rest) = out.strip_prefix('~') {
        out = format!("{home}{rest}");
    }
    for default_form in [":-", ":="] {
        let open = format!("${{XDG_CONFIG_HOME{default_form}");
        if let Some(start) = out.find(&open) {
            let end = start + out[start..].find('}')?;
            let fallback = &out[start + open.len()..end];
            let chosen = xdg.map_or_else(|| fallback.to_owned(), str::to_owned);
            out.replace_range(start..=end, &chosen);
        }
    }
    let xdg_default = format!("{home}/.config");
    let xdg = xdg.unwrap_or(&xdg_default);
    out = out
        .replace("${HOME}", home)
        .replace("$HOME", home)
        .replace("${XDG_CONFIG_HOME}", xdg)
        .replace("$XDG_CONFIG_HOME", xdg);
    (!out.contains('$') && !out.contains('`') && Path::new(&out).is_absolute())
        .then(|| PathBuf::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_the_forms_people_write() {
        let home = Path::new("/h");
        let x = |v: &str, xdg| expand(v, home, xdg);
        assert_eq!(x("$HOME/.config/zsh", None), Some("/h/.config/zsh".into()));
        assert_eq!(x("~/.zsh", None), Some("/h/.zsh".into()));
        assert_eq!(
            x("${XDG_CONFIG_HOME:-$HOME/.config}/zsh", None),
            Some("/h/.config/zsh".into())
        );
        assert_eq!(
            x("${XDG_CONFIG_HOME:-$HOME/.config}/zsh", Some("/x")),
            Some("/x/zsh".into())
        );
        assert_eq!(
            x("$XDG_CONFIG_HOME/zsh", None),
            Some("/h/.config/zsh".into())
        );
        assert_eq!(x("$(dotfiles)/zsh", None), None);
        assert_eq!(x("relative/zsh", None), None);
    }
}
