//! PowerShell: `~/.codeloop/env.ps1` (0600) and a `#region codeloop` block in the
//! current-user, all-hosts `profile.ps1` of each installed edition. On Windows it is
//! set up only with `--only powershell`: the user environment reaches every process
//! there.

use super::{Evidence, Shell, Write, text};
use crate::sys::Os;

pub static SHELL: Shell = Shell {
    id: "powershell",
    label: "PowerShell",
    evidence: &[
        Evidence::LoginShell("pwsh"),
        Evidence::Binary("pwsh", false),
        Evidence::Binary("powershell", true),
        Evidence::Dirs(|p| {
            p.powershell_profiles
                .iter()
                .filter_map(|profile| profile.path.parent().map(std::path::Path::to_path_buf))
                .collect()
        }),
    ],
    default_on: |os| os != Os::Windows,
    files: |paths, key, profiles| {
        let mut files = vec![Write::owned(&paths.env_ps1, text::env_ps1(key))];
        for profile in profiles {
            files.push(Write::block(
                profile,
                text::POWERSHELL,
                text::powershell_block(),
            ));
        }
        files
    },
    restart: "open a new PowerShell to get CODELOOP_API_KEY (or run `. ~/.codeloop/env.ps1` in this one)",
};
