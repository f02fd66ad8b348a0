//! What the shell targets write: env files that hold the key (owned by codeloop, 0600)
//! and rc blocks that only source them when they exist, so rc files — often
//! world-readable and committed to dotfile repos — never hold the key themselves.

use crate::edit::block::{HASH, Markers, REGION};

/// PowerShell users expect regions.
pub const POWERSHELL: Markers = REGION;

pub const POSIX_MARKERS: Markers = HASH;

const MANAGED: &str = "# managed by `codeloop init`; remove with `codeloop uninstall`";

/// The block for `.zshrc`, `.bashrc` and bash login files. The code line ends in a
/// comment so that in a CRLF file the `\r` lands inside it instead of breaking `fi`.
pub fn posix_block() -> Vec<String> {
    vec![
        MANAGED.to_owned(),
        r#"if [ -f "$HOME/.codeloop/env.sh" ]; then . "$HOME/.codeloop/env.sh"; fi # sets CODELOOP_API_KEY"#
            .to_owned(),
    ]
}

/// The block for PowerShell profiles.
pub fn powershell_block() -> Vec<String> {
    vec![
        MANAGED.to_owned(),
        r#"if (Test-Path "$HOME/.codeloop/env.ps1") { . "$HOME/.codeloop/env.ps1" } # sets CODELOOP_API_KEY"#
            .to_owned(),
    ]
}

const OWNED: &str = "written by `codeloop init`; holds your CodeLoop API key, so keep it private (mode 0600) and out of git";

/// `~/.codeloop/env.sh`, sourced by the POSIX rc blocks.
pub fn env_sh(key: &str) -> String {
    format!(
        "# {OWNED}\nexport CODELOOP_API_KEY={}\n",
        single_quoted(key, "'\\''")
    )
}

/// `~/.codeloop/env.ps1`, dot-sourced by the PowerShell profile block.
pub fn env_ps1(key: &str) -> String {
    format!(
        "# {OWNED}\n$env:CODELOOP_API_KEY = {}\n",
        single_quoted(key, "''")
    )
}

/// `conf.d/codeloop.fish`, which fish sources by itself.
pub fn env_fish(key: &str) -> String {
    format!(
        "# {OWNED}\nset -gx CODELOOP_API_KEY {}\n",
        single_quoted(key, "\\'")
    )
}

/// fish's `conf.d/codeloop.fish`: loads `~/.codeloop/env.fish` when it is there.
pub fn fish_loader() -> String {
    format!(
        "{MANAGED}\nif test -f \"$HOME/.codeloop/env.fish\"; source \"$HOME/.codeloop/env.fish\"; end # sets CODELOOP_API_KEY\n"
    )
}

/// `'value'` with each `'` written as `escaped`. Keys never contain quotes (the
/// format check), but the placeholder and any future format must stay inert.
fn single_quoted(value: &str, escaped: &str) -> String {
    format!("'{}'", value.replace('\'', escaped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_quote_for_their_shell() {
        assert_eq!(
            env_sh("cl_live_abcdefgh"),
            format!("# {OWNED}\nexport CODELOOP_API_KEY='cl_live_abcdefgh'\n")
        );
        assert!(env_sh("a'b").contains("'a'\\''b'"));
        assert!(env_ps1("a'b").contains("= 'a''b'"));
        assert!(env_fish("a'b").contains("'a\\'b'"));
    }
}
