#!/usr/bin/env node
/**
 * `npm run demo`: builds Opsdeck and checks the default stack in examples/default.
 * (Starting and supervising the stack comes with the `up` command in a later issue.)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function step(title, args) {
  console.log(`\n=== ${title}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

step('build', ['scripts/build.mjs']);
step('validate the default stack', ['dist/cli.js', 'validate', 'examples/default/opsdeck.yaml']);
console.log('\nnote: the demo only validates the default stack for now; running it (opsdeck up) comes next.');
