#!/usr/bin/env node
// A local npm registry for the offline tests: serves every `*.tgz` (made by `npm pack`)
// in DIR as packages — the package documents npm asks for (`GET /<name>`, scoped
// names as `@scope%2fname`) and the tarballs themselves — on 127.0.0.1 only.
// `dist-tags.latest` is the highest version present. The folder is read on every
// request, so a tarball dropped in later is "published".
//
//   node scripts/npm-registry.js DIR URLFILE [LOGFILE]
//
// Writes its URL (`http://127.0.0.1:PORT/`) to URLFILE once listening, and one JSON
// line per request (method, url, headers) to LOGFILE. Stops on SIGTERM.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');

const [dir, urlFile, logFile] = process.argv.slice(2);
if (!dir || !urlFile) {
  console.error('usage: npm-registry.js DIR URLFILE [LOGFILE]');
  process.exit(2);
}

// package/package.json out of a gzipped tarball (ustar; pax headers are skipped).
function manifest(tgz) {
  const tar = zlib.gunzipSync(tgz);
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
    if (!name) break;
    const prefix = header.subarray(345, 500).toString().replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    const full = prefix ? `${prefix}/${name}` : name;
    if (header[156] !== 0x78 && /^[^/]+\/package\.json$/.test(full)) {
      return JSON.parse(tar.subarray(off + 512, off + 512 + size).toString());
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error('no package.json');
}

const semver = (v) => v.split(/[-+]/)[0].split('.').map(Number);
const newer = (a, b) => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return !a.includes('-') && b.includes('-');
};

// What each tarball holds, read once per file (keyed by name, size and mtime).
const seen = new Map();
function describe(file) {
  const stat = fs.statSync(path.join(dir, file));
  const key = `${file}:${stat.size}:${stat.mtimeMs}`;
  if (!seen.has(key)) {
    const tgz = fs.readFileSync(path.join(dir, file));
    seen.set(key, {
      pkg: manifest(tgz),
      shasum: crypto.createHash('sha1').update(tgz).digest('hex'),
      integrity: 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64'),
    });
  }
  return seen.get(key);
}

function packages(base) {
  const docs = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.tgz'))) {
    const { pkg, shasum, integrity } = describe(file);
    const doc = (docs[pkg.name] ??= { name: pkg.name, 'dist-tags': {}, versions: {} });
    doc.versions[pkg.version] = {
      ...pkg,
      _id: `${pkg.name}@${pkg.version}`,
      dist: { tarball: `${base}-/files/${encodeURIComponent(file)}`, shasum, integrity },
    };
    const latest = doc['dist-tags'].latest;
    if (!latest || newer(pkg.version, latest)) doc['dist-tags'].latest = pkg.version;
  }
  return docs;
}

const server = http.createServer((req, res) => {
  if (logFile) {
    fs.appendFileSync(logFile, JSON.stringify({ method: req.method, url: req.url, headers: req.headers }) + '\n');
  }
  const base = `http://${req.headers.host}/`;
  const url = decodeURIComponent(req.url.split('?')[0]);
  const send = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'read-only\n');
    if (url.startsWith('/-/files/')) {
      const file = path.join(dir, path.basename(url));
      if (!file.endsWith('.tgz') || !fs.existsSync(file)) return send(404, 'text/plain', 'no such tarball\n');
      return send(200, 'application/octet-stream', fs.readFileSync(file));
    }
    const doc = packages(base)[url.slice(1)];
    if (!doc) return send(404, 'application/json', JSON.stringify({ error: 'Not found' }));
    send(200, 'application/json', JSON.stringify(doc));
  } catch (e) {
    send(500, 'text/plain', `${e.stack}\n`);
  }
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(urlFile, `http://127.0.0.1:${server.address().port}/\n`);
});
process.on('SIGTERM', () => process.exit(0));
