#!/usr/bin/env node
// Builds the shim's shared-memory addon (native/pt_shm.c, Node-API) into prebuilds/<platform>-<arch>/
// with the C compiler, the way prebuildify lays prebuilt binaries out: the package ships them, so
// nothing compiles on a user's install (the shim loads it from there, see src/native.ts, and falls
// back to the hub's locks where there is none). Node-API: one binary serves every Node version.
//
//   node shim/scripts/build-native.mjs [--cc gcc] [--nodedir DIR]
//
// Needs only Node's headers (node_api.h: DIR/include/node, found beside the running node, or in
// /usr/include/node) and a C compiler; nothing is downloaded. Linux only (futexes, memfd).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SHIM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (process.platform !== 'linux') {
  console.error(`build-native: ${process.platform} is not supported (the shim uses the hub's locks there)`);
  process.exit(2);
}

const candidates = [
  opt('--nodedir') && path.join(opt('--nodedir'), 'include', 'node'),
  path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
if (!include) {
  console.error(`build-native: node_api.h not found in ${candidates.join(', ')} (pass --nodedir)`);
  process.exit(2);
}

const outDir = path.join(SHIM, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(outDir, { recursive: true });
// prebuildify's name for a Node-API build against glibc (node-gyp-build reads the same tags).
const out = path.join(outDir, 'node.napi.glibc.node');
const cc = opt('--cc') ?? process.env.CC ?? 'cc';
const src = path.join(SHIM, 'native', 'pt_shm.c');
execFileSync(
  cc,
  [
    '-O2', '-fPIC', '-shared', '-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter',
    '-fvisibility=hidden', '-DNODE_GYP_MODULE_NAME=pt_shm', '-DNAPI_VERSION=8',
    `-I${include}`, src, '-o', out, '-lpthread', '-s',
  ],
  { stdio: 'inherit' },
);
console.log(`build-native: ${path.relative(process.cwd(), out)} (${fs.statSync(out).size} bytes)`);
