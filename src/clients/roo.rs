//! Roo Code (a VS Code extension). Its user file is `mcp_settings.json` in the
//! extension's global storage, `<editor user dir>/globalStorage/rooveterinaryinc.roo-cline/settings/`
//! (Roo Code repo, `src/services/mcp/McpHub.ts` `getMcpSettingsFilePath`,
//! `src/utils/storage.ts` `getSettingsDirectoryPath`, `GlobalFileNames.mcpSettings`;
//! older versions called it `cline_mcp_settings.json` and rename it on start,
//! `src/utils/migrateSettings.ts`). Each VS Code fork it is installed in keeps its own
//! copy: every one that exists is set up, else VS Code's is created. The
//! `roo-cline.customStoragePath` setting moves the storage; codeloop does not read VS
//! Code settings, so that case is not covered. The project file is `.roo/mcp.json`,
//! meant to be committed, and wins on a name clash (docs.roocode.com, "Using MCP in
//! Roo Code"). `mcpServers` entries with `command`/`args`/`env`; `${env:NAME}` is
//! expanded anywhere in an entry (`src/utils/config.ts` `injectVariables`). Both files
//! are read with `JSON.parse`: strict JSON. Roo starts commands through `cmd.exe /c`
//! on Windows by itself. No CLI.

use std::path::PathBuf;

use super::{Client, EnvReference, Evidence, ProjectFile, Shape, Syntax};
use crate::dirs::Dirs;

const EXTENSION: &str = "rooveterinaryinc.roo-cline";

/// The editors whose user dir (`<app data>/<name>/User`) can hold Roo's storage,
/// VS Code first (its file is the one created).
const EDITORS: &[&str] = &["Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf"];

fn storage(d: &Dirs, editor: &str) -> PathBuf {
    d.app_data
        .join(editor)
        .join("User")
        .join("globalStorage")
        .join(EXTENSION)
}

pub static CLIENT: Client = Client {
    id: "roo",
    label: "Roo Code",
    evidence: &[
        Evidence::ProjectDir(".roo"),
        Evidence::Dir(|d| storage(d, "Code")),
        Evidence::UserFile,
    ],
    user_files: |d| {
        EDITORS
            .iter()
            .map(|e| storage(d, e).join("settings").join("mcp_settings.json"))
            .collect()
    },
    project: Some(ProjectFile::Rel(".roo/mcp.json")),
    syntax: Syntax::Json,
    servers: &["mcpServers"],
    shape: Shape::STANDARD,
    env_reference: Some(EnvReference::Text("${env:{}}")),
    windows_cmd: false,
    locks_user_file: false,
    permission: None,
    restart: "Roo Code reloads its MCP settings on save (see the MCP Servers view); reopen the workspace to load a new .roo/mcp.json",
    lister: None,
};
