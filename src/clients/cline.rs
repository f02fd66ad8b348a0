//! Cline. Since Cline 4.0 the VS Code extension and the `cline` CLI share one file,
//! `~/.cline/data/settings/cline_mcp_settings.json`, moved by `CLINE_MCP_SETTINGS_PATH`
//! (the file), else `CLINE_DATA_DIR` (`<dir>/settings/…`), else `CLINE_DIR`
//! (`<dir>/data/settings/…`) — cline repo, `sdk/packages/shared/src/storage/paths.ts`
//! (`resolveMcpSettingsPath`); the extension's `SdkController` uses the same resolver.
//! `mcpServers` entries with `command`/`args`/`env` (the flat "legacy" arm of the
//! schema, which both the extension, `apps/vscode/src/services/mcp/schemas.ts`, and the
//! CLI, `sdk/packages/core/src/extensions/mcp/config-loader.ts`, accept). Read with
//! `JSON.parse`: strict JSON (a comment makes `cline config mcp` fail, verified).
//! No project scope.
//!
//! Not written: the VS Code `globalStorage/saoudrizwan.claude-dev/settings/` file that
//! Cline 3.x read. Cline 4 copies it once into the shared file (in its nested
//! `transport` form) and records the source as migrated, never reading it again
//! (`apps/vscode/src/hosts/vscode/mcp-settings-legacy-migration.ts`), so an entry
//! written there is either dead or becomes a copy codeloop does not know about. Its
//! directory only counts as evidence.
//!
//! Cline guards the file with a `<file>.lock` directory of its own design (populated,
//! taken by rename), which codeloop's `proper-lockfile` lock does not interoperate
//! with, so `locks_user_file` stays off; codeloop's write is still atomic and re-plans
//! if the file changed after the preview. `cline config mcp --json` lists servers
//! offline (verified with npm `cline` 3.0.65).

use std::path::PathBuf;

use super::{Client, Evidence, Lister, Shape, Syntax};
use crate::dirs::Dirs;

const FILE: &str = "cline_mcp_settings.json";

fn cline_dir(d: &Dirs) -> PathBuf {
    d.var_dir("CLINE_DIR", d.in_home(".cline"))
}

fn settings_file(d: &Dirs) -> PathBuf {
    if let Some(file) = d.var("CLINE_MCP_SETTINGS_PATH") {
        return PathBuf::from(file);
    }
    let data = d.var_dir("CLINE_DATA_DIR", cline_dir(d).join("data"));
    data.join("settings").join(FILE)
}

pub static CLIENT: Client = Client {
    id: "cline",
    label: "Cline",
    evidence: &[
        Evidence::Dir(cline_dir),
        Evidence::UserFile,
        Evidence::Binary("cline"),
        // The VS Code extension's own storage (Cline 3.x kept its servers there).
        Evidence::Dir(|d| {
            d.app_data
                .join("Code")
                .join("User")
                .join("globalStorage")
                .join("saoudrizwan.claude-dev")
        }),
    ],
    user_files: |d| vec![settings_file(d)],
    project: None,
    syntax: Syntax::Json,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: None,
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "Cline reloads the file by itself: the server shows in Cline's MCP Servers view (`cline config mcp` lists it); Cline 3.x extensions read another file, so update the extension to 4",
    lister: Some(Lister {
        package: "cline",
        bin: "cline",
        args: &["config", "mcp", "--json"],
        stderr: false,
    }),
};

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::dirs::Dirs;
    use crate::sys::{Os, Prompter, Sys};

    struct NoPrompt;
    impl Prompter for NoPrompt {
        fn confirm(&mut self, _: &str, _: bool) -> std::io::Result<bool> {
            unreachable!()
        }
    }

    fn settings(vars: &[(&str, &str)]) -> PathBuf {
        let sys = Sys::fake(Os::Linux, PathBuf::from("/p"), vars, Box::new(NoPrompt));
        let dirs = Dirs::resolve(&sys, Path::new("/h"), Path::new("/p"));
        (super::CLIENT.user_files)(&dirs).remove(0)
    }

    #[test]
    fn cline_honours_its_overrides_in_clines_order() {
        assert_eq!(
            settings(&[]),
            PathBuf::from("/h/.cline/data/settings/cline_mcp_settings.json")
        );
        assert_eq!(
            settings(&[("CLINE_DIR", "/c")]),
            PathBuf::from("/c/data/settings/cline_mcp_settings.json")
        );
        assert_eq!(
            settings(&[("CLINE_DIR", "/c"), ("CLINE_DATA_DIR", "/d")]),
            PathBuf::from("/d/settings/cline_mcp_settings.json")
        );
        assert_eq!(
            settings(&[
                ("CLINE_DIR", "/c"),
                ("CLINE_DATA_DIR", "/d"),
                ("CLINE_MCP_SETTINGS_PATH", "/m.json")
            ]),
            PathBuf::from("/m.json")
        );
    }
}
