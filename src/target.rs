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
    Codex,
    Gemini,
    #[value(name = "vscode")]
    VsCode,
    Windsurf,
    #[value(name = "claude-desktop")]
    ClaudeDesktop,
}

impl Target {
    pub const ALL: [Target; 12] = [
        Target::Cursor,
        Target::ClaudeCode,
        Target::Codex,
        Target::Gemini,
        Target::VsCode,
        Target::Windsurf,
        Target::ClaudeDesktop,
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
            Target::Codex => "codex",
            Target::Gemini => "gemini",
            Target::VsCode => "vscode",
            Target::Windsurf => "windsurf",
            Target::ClaudeDesktop => "claude-desktop",
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
            Target::Codex => "Codex CLI",
            Target::Gemini => "Gemini CLI",
            Target::VsCode => "VS Code",
            Target::Windsurf => "Windsurf",
            Target::ClaudeDesktop => "Claude Desktop",
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
            Target::Codex => "start a new Codex session (`codex mcp list` shows the server)",
            Target::Gemini => {
                "start a new Gemini CLI session (`gemini mcp list` shows the server; trust the folder to enable project servers)"
            }
            Target::VsCode => {
                "reload VS Code (or run \"MCP: List Servers\") and start the codeloop server"
            }
            Target::Windsurf => "refresh the MCP servers in Windsurf's Cascade panel",
            Target::ClaudeDesktop => "quit and reopen Claude Desktop to load the CodeLoop server",
        }
    }
}

impl Target {
    /// The target named `name` on the command line (and in the record).
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// Clients with a project config (the rest — user-only clients, shells and the
    /// Windows user environment — are set up per user by any run).
    pub fn has_project_scope(self) -> bool {
        matches!(
            self,
            Target::Cursor | Target::ClaudeCode | Target::Codex | Target::Gemini | Target::VsCode
        )
    }

    /// Shell targets set `CODELOOP_API_KEY`; the others configure an MCP client.
    pub fn is_shell(self) -> bool {
        matches!(
            self,
            Target::Zsh | Target::Bash | Target::PowerShell | Target::Fish
        )
    }

    /// Targets that give `CODELOOP_API_KEY` to the user's programs: the shells and the
    /// Windows user environment.
    pub fn sets_env(self) -> bool {
        self.is_shell() || self == Target::WindowsEnv
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
