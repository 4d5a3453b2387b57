#!/usr/bin/env node
/**
 * `npm run demo`: build Opsdeck, then run the default stack (examples/default: storage on
 * SQLite, a pub/sub broker, an API) under the engine with a live status table (states, IPC
 * score, profile) until Ctrl-C, which stops it cleanly.
 *
 * `npm run demo -- --once`: start the stack in the background, run every full-functionality
 * check, print health and status, stop it; exit 0 only if everything was healthy.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stack = path.join(root, 'examples', 'default');
const args = process.argv.slice(2);
const once = args.includes('--once');
const unknown = args.filter((a) => a !== '--once');
if (unknown.length) {
  console.error(`error: unknown option ${unknown.join(' ')}\nhint: npm run demo [-- --once]`);
  process.exit(2);
}

/** Run a step with the terminal attached; returns its exit code. */
function run(title, argv) {
  console.log(`\n=== ${title}`);
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
}
const opsdeck = (title, ...cmd) => run(title, ['dist/cli.js', '--stack', stack, ...cmd]);

if (run('build', ['scripts/build.mjs']) !== 0) process.exit(1);
if (opsdeck('validate the default stack (examples/default/opsdeck.yaml)', 'validate', stack) !== 0) process.exit(1);

if (!once) {
  console.log('\nStarting the default stack; Ctrl-C stops it. In another terminal, try:');
  console.log('  node dist/cli.js -C examples/default status');
  console.log('  node dist/cli.js -C examples/default health --check');
  console.log('  curl -s -X POST localhost:7103/notes -d "hello"');
  // Ctrl-C reaches `opsdeck up` too, which stops the stack; wait for it instead of dying first.
  process.on('SIGINT', () => {});
  process.exit(opsdeck('opsdeck up (live status)', 'up'));
}

let failed = opsdeck('opsdeck up --detach', 'up', '--detach') !== 0;
if (!failed) failed = opsdeck('opsdeck health --check (full-functionality checks)', 'health', '--check') !== 0;
opsdeck('opsdeck status', 'status');
opsdeck('opsdeck down', 'down');
console.log(failed ? '\ndemo: the stack was NOT healthy (see above)' : '\ndemo: the default stack came up healthy and stopped cleanly');
process.exit(failed ? 1 : 0);
