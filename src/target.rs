//! The names of the things `init` can configure. Scripts depend on these names.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Target {
    Cursor,
    #[value(name = "claude-code")]
    ClaudeCode,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Cursor, Target::ClaudeCode];

    /// The name on the command line (`--only`, `--skip`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Cursor => "cursor",
            Target::ClaudeCode => "claude-code",
        }
    }

    /// The name a person knows it by.
    pub fn label(self) -> &'static str {
        match self {
            Target::Cursor => "Cursor",
            Target::ClaudeCode => "Claude Code",
        }
    }

    /// What to restart so the change is picked up.
    pub fn restart_hint(self) -> &'static str {
        match self {
            Target::Cursor => "reload Cursor (or toggle the server in Settings → MCP)",
            Target::ClaudeCode => "start a new Claude Code session",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
