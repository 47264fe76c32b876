// `npm run demo`, the README's first command after install: builds everything, analyzes the
// examples with the command line, and writes their graph (html, json, dot) to out/examples/.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status;

if (node(['scripts/build.mjs']) !== 0) process.exit(1);
console.log('\n$ process-topology check examples/');
// Exit 1 here means "findings": the broken examples are broken on purpose.
const checked = node(['dist/cli.js', 'check', 'examples/']);
if (checked === 2) process.exit(2);
for (const format of ['html', 'json', 'dot']) {
  if (node(['dist/cli.js', 'graph', 'examples/', '--format', format, '--out', `out/examples/graph.${format}`]) !== 0) process.exit(2);
}
console.log(`\nOpen out/examples/graph.html in a browser to see the topology of the examples.`);
