// Reads MCP servers from Continue's JSON block directories the way Continue's IDE core
// does (core/context/mcp/json/loadJsonMcpConfigs.ts in continuedev/continue), with the
// packages that code uses: `comment-json` (the version core's lock file pins) to parse,
// and `@continuedev/config-yaml` for the schemas and the JSON → YAML conversion.
// Continue's IDE extensions are not on npm, so this is how the tests ask Continue's own
// code whether it takes what codeloop wrote.
//
//   node continue-read.mjs DIR...   (workspace `.continue/mcpServers` dirs first, then
//                                    the global `~/.continue/mcpServers`, as core orders them)
//
// Prints one JSON document: {"servers": [{name, sourceFile, config, warnings}], "errors": [...]}.
// Like core: only `*.json` files directly in each dir (no recursion), a file in Claude
// Code's shape (with `projects`) first, else Claude Desktop's (`mcpServers`), else one
// bare server named after the file; servers of the same name after the first dropped.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const require = createRequire(join(here, "package.json"));
const JSONC = require("comment-json");
const yaml = await import(
  pathToFileURL(join(here, "node_modules/@continuedev/config-yaml/dist/index.js")).href
);

const found = [];
const errors = [];
for (const dir of process.argv.slice(2)) {
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch {
    continue; // core skips a dir that does not exist
  }
  for (const name of names) {
    const file = join(dir, name);
    if (!name.endsWith(".json") || !statSync(file).isFile()) continue;
    let parsed;
    try {
      parsed = JSONC.parse(readFileSync(file, "utf8"));
    } catch (e) {
      errors.push(`parse ${file}: ${e.message}`);
      continue;
    }
    const code = yaml.claudeCodeLikeConfigFileSchema.safeParse(parsed);
    if (code.success) {
      const all = [code.data.mcpServers ?? {}];
      for (const project of Object.values(code.data.projects)) {
        all.push(project.mcpServers ?? {});
      }
      for (const servers of all) {
        for (const [server, json] of Object.entries(servers)) {
          found.push({ name: server, json, file });
        }
      }
      continue;
    }
    const desktop = yaml.claudeDesktopLikeConfigFileSchema.safeParse(parsed);
    if (desktop.success) {
      for (const [server, json] of Object.entries(desktop.data.mcpServers)) {
        found.push({ name: server, json, file });
      }
      continue;
    }
    const single = yaml.mcpServersJsonSchema.safeParse(parsed);
    if (single.success) {
      found.push({ name: name.replace(".json", ""), json: single.data, file });
    } else {
      errors.push(`${file} doesn't match a supported MCP JSON configuration format`);
    }
  }
}

const seen = new Set();
const servers = [];
for (const { name, json, file } of found) {
  if (seen.has(name)) continue;
  seen.add(name);
  const { yamlConfig, warnings } = yaml.convertJsonMcpConfigToYamlMcpConfig(name, json);
  servers.push({ name, sourceFile: file, config: yamlConfig, warnings });
}
process.stdout.write(JSON.stringify({ servers, errors }, null, 2) + "\n");
