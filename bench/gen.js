// Generates the benchmark's config files (scripts/bench.sh).
//   node gen.js claude FILE MB PROJECT   ~/.claude.json of about MB megabytes: many
//                                        projects with long histories, PROJECT among them
//   node gen.js zshrc FILE LINES         an rc file of LINES lines
//   node gen.js mcp FILE SERVERS         an mcp.json with SERVERS servers
"use strict";
const fs = require("fs");
const [kind, file, size, project] = process.argv.slice(2);

function claude(mb) {
  const target = mb * 1024 * 1024;
  const projects = {};
  let bytes = 0;
  for (let i = 0; bytes < target; i++) {
    const history = [];
    for (let j = 0; j < 40; j++) {
      history.push({
        display: `refactor the parser in module ${i} so that case ${j} handles trailing commas`,
        pastedContents: {},
      });
    }
    const p = {
      allowedTools: [],
      history,
      mcpContextUris: [],
      mcpServers: {},
      enabledMcpjsonServers: [],
      disabledMcpjsonServers: [],
      hasTrustDialogAccepted: true,
      projectOnboardingSeenCount: 3,
      lastCost: 1.25,
      lastDuration: 123456,
    };
    projects[`/home/dev/src/project-${i}`] = p;
    bytes += JSON.stringify(p, null, 2).length * 1.135;
  }
  if (project) projects[project] = { allowedTools: [], history: [], mcpServers: {} };
  return JSON.stringify(
    { numStartups: 312, installMethod: "npm", autoUpdates: true, tipsHistory: { "new-user-warmup": 7 }, projects, userID: "0123abcd", firstStartTime: "2025-01-01T00:00:00.000Z" },
    null,
    2,
  ) + "\n";
}

function zshrc(lines) {
  const out = ['export ZSH="$HOME/.oh-my-zsh"', 'ZSH_THEME="robbyrussell"', "plugins=(git)"];
  for (let i = 0; out.length < lines; i++) {
    out.push(`alias g${i}='git log --oneline -n ${i % 50}'`, `export TOOL_${i}_HOME="$HOME/.tools/${i}"`, `# note ${i}`);
  }
  return out.slice(0, lines).join("\n") + "\n";
}

function mcp(n) {
  const servers = {};
  for (let i = 0; i < n; i++) {
    servers[`server-${i}`] = { command: "npx", args: ["-y", `@example/mcp-server-${i}`], env: { TOKEN: `t${i}` } };
  }
  return JSON.stringify({ mcpServers: servers }, null, 2) + "\n";
}

const text = kind === "claude" ? claude(Number(size)) : kind === "zshrc" ? zshrc(Number(size)) : mcp(Number(size));
fs.writeFileSync(file, text);
