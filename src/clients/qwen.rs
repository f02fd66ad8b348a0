//! Qwen Code. User servers in `settings.json` in its home, `$QWEN_HOME` else `~/.qwen`;
//! project servers in `.qwen/settings.json`, where `qwen mcp add --scope project`
//! writes them (it also reads a project's `.mcp.json`); `mcpServers` of
//! `command`/`args`/`env` entries. Values expand `$VAR` / `${VAR}`
//! (`packages/core/src/utils/envVarResolver.ts`, applied to every settings file). The
//! reader strips comments and a BOM, then calls `JSON.parse`: a trailing comma makes
//! the user file stop the whole CLI and the project file be ignored (Qwen Code repo
//! `packages/cli/src/config/settings.ts`; docs, "MCP"; all verified with
//! `@qwen-code/qwen-code` 0.24.4). `qwen mcp list` lists servers offline (it tries
//! each for a few seconds) and marks a new project server "Pending approval".

use std::path::PathBuf;

use super::{Client, EnvReference, Evidence, Lister, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

fn home(d: &Dirs) -> PathBuf {
    d.var_dir("QWEN_HOME", d.in_home(".qwen"))
}

pub static CLIENT: Client = Client {
    id: "qwen",
    label: "Qwen Code",
    evidence: &[
        Evidence::ProjectDir(".qwen"),
        Evidence::Dir(home),
        Evidence::Binary("qwen"),
    ],
    user_files: |d| vec![home(d).join("settings.json")],
    project: Some(ProjectFile::Rel(".qwen/settings.json")),
    syntax: Syntax::JsonWithComments,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: Some(EnvReference::Text("${{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "start a new Qwen Code session (`qwen mcp list` shows the server; approve a project server with `qwen mcp approve codeloop`)",
    lister: Some(Lister {
        package: "@qwen-code/qwen-code",
        bin: "qwen",
        args: &["mcp", "list"],
        stderr: false,
    }),
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::opencode::user_file_on;
    use crate::sys::Os;

    #[test]
    fn the_user_file_is_in_qwen_home() {
        assert_eq!(
            user_file_on("qwen", Os::Windows, "C:/Users/u", &[]),
            Path::new("C:/Users/u").join(".qwen").join("settings.json")
        );
        assert_eq!(
            user_file_on("qwen", Os::Linux, "/h", &[("QWEN_HOME", "/q")]),
            Path::new("/q/settings.json")
        );
    }
}
