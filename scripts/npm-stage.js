#!/usr/bin/env node
// Keeps the npm packages in step with Cargo.toml, the one source of truth for the
// version (and the description, license and repository): writes every platform
// package's package.json and the main package's version and optionalDependencies,
// and copies built binaries into the platform packages (git-ignored).
//
//   node scripts/npm-stage.js                          stamp the version into every package.json
//   node scripts/npm-stage.js --check                  exit 1 if any package.json is out of step
//   node scripts/npm-stage.js --binary linux-x64=PATH  also copy PATH in as that package's binary
//   node scripts/npm-stage.js --targets                print "<platform> <rust target>" lines (release)
//   node scripts/npm-stage.js --version                print the version
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
// npm's os-cpu → the Rust target its binary is built for. Linux is static musl (one
// package for glibc and musl systems alike); Windows links the C runtime statically.
const PLATFORMS = {
  'linux-x64': { target: 'x86_64-unknown-linux-musl', label: 'Linux x64 (static, musl)' },
  'linux-arm64': { target: 'aarch64-unknown-linux-musl', label: 'Linux arm64 (static, musl)' },
  'darwin-x64': { target: 'x86_64-apple-darwin', label: 'macOS x64' },
  'darwin-arm64': { target: 'aarch64-apple-darwin', label: 'macOS arm64 (Apple silicon)' },
  'win32-x64': { target: 'x86_64-pc-windows-msvc', label: 'Windows x64' },
  'win32-arm64': { target: 'aarch64-pc-windows-msvc', label: 'Windows arm64' },
};

function cargoPackage() {
  const text = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
  const section = text.split(/^\[package\]\s*$/m)[1].split(/^\[/m)[0];
  const field = (name) => {
    const m = section.match(new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm'));
    if (!m) throw new Error(`Cargo.toml: [package] has no ${name}`);
    return m[1];
  };
  return {
    version: field('version'),
    description: field('description'),
    license: field('license'),
    repository: field('repository'),
    homepage: field('homepage'),
  };
}

const json = (value) => JSON.stringify(value, null, 2) + '\n';

function platformManifest(cargo, platform) {
  const [os, cpu] = platform.split('-');
  const exe = os === 'win32' ? 'codeloop.exe' : 'codeloop';
  return {
    name: `@codeloop/cli-${platform}`,
    version: cargo.version,
    description: `The codeloop binary for ${PLATFORMS[platform].label}. Installed by the codeloop package; run it with \`npx codeloop\`.`,
    license: cargo.license,
    homepage: cargo.homepage,
    repository: { type: 'git', url: `git+${cargo.repository}.git` },
    os: [os],
    cpu: [cpu],
    files: [`bin/${exe}`],
    preferUnplugged: true,
    publishConfig: { access: 'public' },
  };
}

function mainManifest(cargo, current) {
  return {
    ...current,
    name: 'codeloop',
    version: cargo.version,
    description: cargo.description,
    license: cargo.license,
    homepage: cargo.homepage,
    repository: { type: 'git', url: `git+${cargo.repository}.git` },
    optionalDependencies: Object.fromEntries(
      Object.keys(PLATFORMS).map((p) => [`@codeloop/cli-${p}`, cargo.version]),
    ),
  };
}

function main(argv) {
  if (argv.includes('--targets')) {
    for (const [p, { target }] of Object.entries(PLATFORMS)) console.log(`${p} ${target}`);
    return 0;
  }
  const check = argv.includes('--check');
  const cargo = cargoPackage();
  if (argv.includes('--version')) {
    console.log(cargo.version);
    return 0;
  }
  const wanted = new Map();
  const mainFile = path.join(root, 'npm/codeloop/package.json');
  wanted.set(mainFile, json(mainManifest(cargo, JSON.parse(fs.readFileSync(mainFile, 'utf8')))));
  for (const p of Object.keys(PLATFORMS)) {
    wanted.set(path.join(root, `npm/platforms/${p}/package.json`), json(platformManifest(cargo, p)));
  }
  const stale = [];
  for (const [file, text] of wanted) {
    const now = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (now === text) continue;
    stale.push(path.relative(root, file));
    if (!check) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
  }
  if (check && stale.length) {
    console.error(`npm-stage: out of step with Cargo.toml (version ${cargo.version}): ${stale.join(', ')}`);
    console.error('npm-stage: run `node scripts/npm-stage.js` and commit the result');
    return 1;
  }
  for (const file of stale) console.error(`npm-stage: wrote ${file}`);

  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--binary') continue;
    const [platform, from] = (argv[++i] || '').split(/=(.*)/s);
    if (!PLATFORMS[platform] || !from) {
      console.error(`npm-stage: --binary wants PLATFORM=PATH with PLATFORM one of ${Object.keys(PLATFORMS).join(', ')}`);
      return 2;
    }
    const exe = platform.startsWith('win32') ? 'codeloop.exe' : 'codeloop';
    const to = path.join(root, `npm/platforms/${platform}/bin/${exe}`);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.chmodSync(to, 0o755);
    console.error(`npm-stage: ${path.relative(root, to)} <- ${from}`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
