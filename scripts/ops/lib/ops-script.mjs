/**
 * What every headless script in scripts/ops/ shares (docs/headless-scripts.md): its options
 * (`-C/--stack DIR`, `--dry-run`, `--json`, `--help`), the built CLI it runs (dist/cli.js of this
 * checkout, or $OPSDECK_CLI), and the exit code it passes on. A script is a list of `opsdeck`
 * commands: it implements nothing itself, the CLI's core does the work.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLI_NODE_FLAGS } from '../../lib/cli-node-flags.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = process.env.OPSDECK_CLI ? resolve(process.env.OPSDECK_CLI) : resolve(ROOT, 'dist/cli.js');

const COMMON_OPTIONS = {
  stack: { type: 'string', short: 'C' },
  'dry-run': { type: 'boolean', short: 'n', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const COMMON_HELP = `  -C, --stack DIR   the stack folder or its opsdeck.yaml (default: the nearest one upward)
  -n, --dry-run     say what would be done, change nothing
      --json        print JSON on stdout (progress and messages stay on stderr)
  -h, --help        print this help`;

/**
 * Run a script: `spec.options` are its own options (parseArgs form), `spec.help` its usage text,
 * `spec.steps(opts)` the `opsdeck` commands (argument lists, without -C) to run in order.
 * `spec.errorCode` is the exit code of a usage error (default 1; health-check says 3, UNKNOWN).
 */
export function runOpsScript(spec) {
  const errorCode = spec.errorCode ?? 1;
  let opts;
  let positionals;
  try {
    ({ values: opts, positionals } = parseArgs({ options: { ...COMMON_OPTIONS, ...spec.options }, allowPositionals: !!spec.positionals, strict: true }));
  } catch (err) {
    fail(`${spec.name}: ${err.message}`, `\`${spec.name} --help\` lists the options`, errorCode);
  }
  if (opts.help) {
    process.stdout.write(`Usage: scripts/ops/${spec.name} [options]${spec.positionals ? ` [${spec.positionals}...]` : ''}\n\n${spec.summary}\n\nOptions:\n${COMMON_HELP}\n${spec.help ?? ''}\nRuns: ${spec.runs}\nExit codes: ${spec.exitCodes}\nSee docs/headless-scripts.md.\n`);
    process.exit(0);
  }
  if (!existsSync(CLI)) fail(`${spec.name}: the built CLI is missing: ${CLI}`, 'build it first (`npm run build` in the Opsdeck checkout), or set OPSDECK_CLI to an opsdeck dist/cli.js', errorCode);
  const stack = [];
  if (opts.stack !== undefined) {
    const dir = resolve(opts.stack);
    if (!existsSync(dir)) fail(`${spec.name}: -C ${opts.stack}: no such folder or file (${dir})`, 'give the stack folder or its opsdeck.yaml', errorCode);
    if (statSync(dir).isDirectory() && !existsSync(resolve(dir, 'opsdeck.yaml'))) fail(`${spec.name}: -C ${opts.stack}: no opsdeck.yaml in ${dir}`, 'give the stack folder (the one with opsdeck.yaml), or create one with `opsdeck init`', errorCode);
    stack.push('-C', dir);
  }
  const steps = spec.steps(opts, positionals ?? []);
  if (!opts.json) {
    let code = 0;
    for (const step of steps) {
      const r = spawnSync(process.execPath, [...CLI_NODE_FLAGS, CLI, ...stack, ...step.args], { stdio: 'inherit' });
      code = combine(code, exitCode(r));
      if (step.stopOnFailure && code !== 0) break;
    }
    process.exit(code);
  }
  // --json: one JSON document on stdout, whatever the number of steps.
  let code = 0;
  const out = {};
  for (const step of steps) {
    const r = spawnSync(process.execPath, [...CLI_NODE_FLAGS, CLI, ...stack, ...step.args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    code = combine(code, exitCode(r));
    out[step.key] = parseJson(r.stdout);
    if (step.stopOnFailure && code !== 0) break;
  }
  process.stdout.write(JSON.stringify(steps.length === 1 ? out[steps[0].key] : { ...out, exitCode: code }, null, 2) + '\n');
  process.exit(code);
}

/** The worse of two exit codes (for health: 2 CRITICAL over 1 WARNING over 3 UNKNOWN, as `opsdeck monitor` ranks them). */
function combine(a, b) {
  const rank = (c) => (c === 0 ? 0 : c === 3 ? 1 : c === 1 ? 2 : 3);
  return rank(b) > rank(a) ? b : a;
}

function exitCode(r) {
  if (r.error) fail(`cannot run ${CLI}: ${r.error.message}`, 'check the Node.js installation', 2);
  return r.status ?? 2;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { output: text.trim() };
  }
}

function fail(message, hint, code) {
  process.stderr.write(`error: ${message}\n  hint: ${hint}\n`);
  process.exit(code);
}
