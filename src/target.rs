//! The names of the things `init` can configure. Scripts depend on these names.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Target {
    Cursor,
    #[value(name = "claude-code")]
    ClaudeCode,
    Zsh,
    Bash,
    #[value(name = "powershell")]
    PowerShell,
    Fish,
    #[value(name = "windows-env")]
    WindowsEnv,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Cursor,
        Target::ClaudeCode,
        Target::Zsh,
        Target::Bash,
        Target::PowerShell,
        Target::Fish,
        Target::WindowsEnv,
    ];

    /// The name on the command line (`--only`, `--skip`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Cursor => "cursor",
            Target::ClaudeCode => "claude-code",
            Target::Zsh => "zsh",
            Target::Bash => "bash",
            Target::PowerShell => "powershell",
            Target::Fish => "fish",
            Target::WindowsEnv => "windows-env",
        }
    }

    /// The name a person knows it by.
    pub fn label(self) -> &'static str {
        match self {
            Target::Cursor => "Cursor",
            Target::ClaudeCode => "Claude Code",
            Target::Zsh => "zsh",
            Target::Bash => "bash",
            Target::PowerShell => "PowerShell",
            Target::Fish => "fish",
            Target::WindowsEnv => "the Windows user environment",
        }
    }

    /// What to restart so the change is picked up.
    pub fn restart_hint(self) -> &'static str {
        match self {
            Target::Cursor => {
                "reload Cursor (or toggle the server in Settings → MCP) to load the CodeLoop server"
            }
            Target::ClaudeCode => "start a new Claude Code session to load the CodeLoop server",
            Target::Zsh | Target::Bash => {
                "open a new terminal to get CODELOOP_API_KEY (or run `. ~/.codeloop/env.sh` in this one)"
            }
            Target::PowerShell => {
                "open a new PowerShell to get CODELOOP_API_KEY (or run `. ~/.codeloop/env.ps1` in this one)"
            }
            Target::Fish => {
                "open a new fish shell to get CODELOOP_API_KEY (or run `source ~/.config/fish/conf.d/codeloop.fish`)"
            }
            Target::WindowsEnv => {
                "restart running programs (your editor, open terminals) to see CODELOOP_API_KEY; in this PowerShell run: $env:CODELOOP_API_KEY = (Get-ItemProperty HKCU:\\Environment).CODELOOP_API_KEY"
            }
        }
    }
}

impl Target {
    /// Shell targets set `CODELOOP_API_KEY`; the others configure an MCP client.
    pub fn is_shell(self) -> bool {
        matches!(
            self,
            Target::Zsh | Target::Bash | Target::PowerShell | Target::Fish
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
