/**
 * Bench: `opsdeck validate` on big files, through the built CLI, to show that validation grows
 * about linearly with the file: 3 000 and 30 000 services (each depending on the one before), and
 * 3 000 and 30 000 problems (a misspelt key per service). `node -e 0` is timed in the same
 * rounds and taken off each figure, so the ratio is the validation's own. Then "did you mean"
 * with a 1 MB word, in-process (it must stay bounded: no quadratic edit distance on long names).
 * Target: 10× the input costs under 14× the time (quadratic work would be ~100×).
 *
 *   npm run build && npx tsx bench/config-validate.ts [--runs 5]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { closest, didYouMean } from '../src/core/config/suggest';
import { CLI, intArg, NODE, requireBuiltCli, run, stats } from './lib/common';

const TARGET_RATIO = 14;
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = intArg(args.runs!, '--runs');

const file = (n: number, broken: boolean) => {
  const lines = ['version: 1', 'name: big', 'services:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  svc-${i}:`, `    command: [node, s${i}.js]`);
    if (broken) lines.push('    comand: typo');
    else if (i > 0) lines.push(`    depends_on: [svc-${i - 1}]`);
  }
  return `${lines.join('\n')}\n`;
};

async function main(): Promise<void> {
  requireBuiltCli();
  const dir = mkdtempSync(join(os.tmpdir(), 'opsdeck-bench-validate-'));
  try {
    const cases = [
      { name: 'services', small: 3_000, large: 30_000, broken: false },
      { name: 'problems', small: 3_000, large: 30_000, broken: true },
    ];
    const paths = new Map<string, string>();
    for (const c of cases) {
      for (const n of [c.small, c.large]) {
        const p = join(dir, `${c.name}-${n}`, 'opsdeck.yaml');
        mkdirSync(join(p, '..'), { recursive: true });
        writeFileSync(p, file(n, c.broken));
        paths.set(`${c.name}-${n}`, p);
      }
    }
    const times = new Map<string, number[]>([['node -e 0', []]]);
    for (const key of paths.keys()) times.set(key, []);
    for (let round = 0; round < runs + 1; round++) {
      const base = await run(NODE, ['-e', '0']);
      if (round > 0) times.get('node -e 0')!.push(base.ms);
      for (const [key, p] of paths) {
        const r = await run(NODE, [CLI, 'validate', p, '--json']);
        const expected = key.startsWith('problems') ? 1 : 0;
        if (r.code !== expected) throw new Error(`validate ${key} exited ${r.code}: ${r.stderr.slice(0, 300)}`);
        if (round > 0) times.get(key)!.push(r.ms);
      }
    }
    const floor = stats(times.get('node -e 0')!).median;
    console.log(`opsdeck validate through the built CLI, medians of ${runs} runs (node -e 0: ${floor.toFixed(0)} ms, taken off)`);
    let pass = true;
    for (const c of cases) {
      const a = stats(times.get(`${c.name}-${c.small}`)!).median - floor;
      const b = stats(times.get(`${c.name}-${c.large}`)!).median - floor;
      const ratio = b / a;
      pass &&= ratio < TARGET_RATIO;
      console.log(`  ${c.small} ${c.name}: ${a.toFixed(0)} ms; ${c.large}: ${b.toFixed(0)} ms; ratio ${ratio.toFixed(1)}× (target < ${TARGET_RATIO}×: ${ratio < TARGET_RATIO ? 'PASS' : 'FAIL'})`);
    }
    const word = 'x'.repeat(1_000_000);
    let t0 = performance.now();
    didYouMean(word, ['storage', 'messaging', 'api', 'worker']);
    const dym = performance.now() - t0;
    t0 = performance.now();
    closest('a'.repeat(1_000_000), ['a'.repeat(999_999) + 'b']);
    const long = performance.now() - t0;
    console.log(`  did you mean, a 1 MB word: ${dym.toFixed(1)} ms; a 1 MB word against a 1 MB name: ${long.toFixed(1)} ms`);
    console.log(pass ? 'about linear: PASS' : 'about linear: FAIL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
