#!/usr/bin/env node
// The `codeloop` command of the npm package: runs the native binary that npm installed
// with this platform's optional dependency `@codeloop/cli-<os>-<cpu>`, with the same
// arguments and terminal, and exits as it did. No install script, no download:
// when the platform package is missing it says why and what fixes it.
// CODELOOP_BINARY=/path/to/codeloop runs that binary instead.
'use strict';

const { spawn } = require('child_process');
const path = require('path');

const SUPPORTED = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const platform = `${process.platform}-${process.arch}`;
const pkg = `@codeloop/cli-${platform}`;
const exe = process.platform === 'win32' ? 'codeloop.exe' : 'codeloop';

function binary() {
  if (process.env.CODELOOP_BINARY) return process.env.CODELOOP_BINARY;
  if (!SUPPORTED.includes(platform)) fail(unsupported());
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    fail(missing());
  }
  return path.join(dir, 'bin', exe);
}

function fail(message) {
  process.stderr.write(`codeloop: ${message}\n`);
  process.exit(1);
}

function version() {
  try {
    return require('../package.json').version;
  } catch {
    return 'latest';
  }
}

// Where this copy of codeloop was installed, for the command that repairs it.
function fixes(v) {
  const fs = require('fs');
  const here = path.resolve(__dirname, '..');
  const nodeModules = path.dirname(here);
  const owner = path.dirname(nodeModules);
  if (here.split(path.sep).includes('_npx')) {
    return [
      `npx --yes --include=optional codeloop@${v} <command>`,
      `(if that still fails, npx kept a broken copy: delete ${owner} and run it again)`,
    ];
  }
  if (path.basename(nodeModules) === 'node_modules' && fs.existsSync(path.join(owner, 'package.json'))) {
    return [`cd ${JSON.stringify(owner)} && npm install --include=optional`];
  }
  return [`npm install -g codeloop@${v} --include=optional`];
}

function missing() {
  const v = version();
  // Platform packages for other systems, nested under codeloop or hoisted beside it.
  let others = [];
  for (const dir of [path.resolve(__dirname, '..', 'node_modules', '@codeloop'), path.resolve(__dirname, '..', '..', '@codeloop')]) {
    try {
      others.push(...require('fs').readdirSync(dir).filter((n) => n.startsWith('cli-')));
    } catch {}
  }
  others = [...new Set(others)].filter((n) => n !== `cli-${platform}`);
  const lines = [
    `the package ${pkg}, which holds the codeloop binary for ${platform}, is not installed.`,
    `npm installs it as an optional dependency of codeloop and skips it silently when:`,
    `  - optional dependencies are omitted (--omit=optional, --no-optional, omit=optional in an .npmrc or npm_config_omit);`,
    `  - the registry or mirror you install from does not carry the @codeloop scope;`,
    `  - node_modules was installed on another OS or CPU and copied here` +
      (others.length ? ` (it holds @codeloop/${others.join(', @codeloop/')} instead).` : '.'),
    `to fix it, run:`,
    ...fixes(v).map((c) => `  ${c}`),
    `or point CODELOOP_BINARY at a codeloop binary (cargo install codeloop, or a release archive).`,
  ];
  return lines.join('\n');
}

function unsupported() {
  return [
    `there is no prebuilt codeloop binary for ${platform} (there are: ${SUPPORTED.join(', ')}).`,
    `build it with \`cargo install codeloop\` and set CODELOOP_BINARY to the binary, or run it directly.`,
  ].join('\n');
}

const file = binary();
const child = spawn(file, process.argv.slice(2), { stdio: 'inherit', windowsHide: false });

// Forward termination signals so the binary can clean up (temp files, Claude Code's
// lock). On Windows a console Ctrl+C already reaches the child and there are no
// signals to forward (kill() would terminate it outright): the launcher only waits.
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const relay = (signal) => {
  if (process.platform !== 'win32' && child.exitCode === null && child.signalCode === null) {
    try {
      child.kill(signal);
    } catch {}
  }
};
for (const signal of forwarded) process.on(signal, relay);

child.on('error', (e) => {
  const why =
    e.code === 'ENOENT'
      ? `${file} does not exist${process.env.CODELOOP_BINARY ? ' (CODELOOP_BINARY)' : `; reinstall ${pkg}`}`
      : e.code === 'EACCES'
        ? `${file} is not executable (copied without its mode, or on a noexec mount); run: chmod +x ${JSON.stringify(file)}`
        : `${file}: ${e.message}`;
  fail(`cannot run the codeloop binary: ${why}`);
});

child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so a shell sees what the binary did (128+n);
    // if the signal does not end us, exit with that number anyway.
    for (const s of forwarded) process.removeListener(s, relay);
    const number = require('os').constants.signals[signal] || 0;
    try {
      process.kill(process.pid, signal);
    } catch {}
    setTimeout(() => process.exit(128 + number), 100);
    return;
  }
  process.exit(code ?? 1);
});
