/**
 * `opsdeck units status` and `diff`: the installed files against what the current opsdeck.yaml
 * generates (a file differs only in its header, e.g. a new Opsdeck version, is not drift), and
 * what the init system says of each unit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import { cronBlock, readCrontab, runTool, unitState } from './activation';
import { generateUnits, resolveRequest, type UnitsRequest } from './generate';
import { withoutHeader } from './header';
import type { UnitFileStatus, UnitsStatus } from './model';
import { onDisk, staleFiles } from './unit-files';

export async function unitsStatus(stack: LoadedStack, req: UnitsRequest): Promise<UnitsStatus> {
  const set = await generateUnits(stack, req);
  const { dir } = resolveRequest(stack, req);
  const cronUser = set.target === 'cron' && set.scope === 'user' && dir.native;
  const crontab = cronUser ? cronBlock(readCrontab(), set.stack) : undefined;
  const files: UnitFileStatus[] = set.files.map((f) => {
    const now = onDisk(dir.dir, f.name, set);
    const drifted = now.state === 'ours' && (withoutHeader(now.text!) !== withoutHeader(f.text) || now.mode !== f.mode);
    const state = dir.native ? unitState(set.target, set.scope, f.name) : {};
    const cron = cronUser ? { loaded: crontab !== undefined, enabled: crontab !== undefined } : {};
    return { name: f.name, path: now.path, installed: now.state, drifted, ...state, ...cron };
  });
  const stale = staleFiles(dir.dir, set);
  return {
    stack: set.stack,
    target: set.target,
    mode: set.mode,
    scope: set.scope,
    unitDir: dir.dir,
    installed: files.every((f) => f.installed === 'ours'),
    drifted: files.some((f) => f.drifted) || stale.length > 0,
    files,
    stale,
  };
}

/** A unified diff of two texts by `diff -u` (empty when they are the same). */
function unifiedDiff(before: string, after: string, labels: [string, string]): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-diff-'));
  try {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    writeFileSync(a, before);
    writeFileSync(b, after);
    const r = runTool(['diff', '-u', '--label', labels[0], '--label', labels[1], a, b]);
    if (r.status !== null && r.status > 1) throw new Error(`diff failed: ${r.stderr.trim()}`);
    if (r.status === null) throw new Error(`cannot run diff: ${r.stderr.trim()}`);
    return r.stdout;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface UnitsDiff {
  unitDir: string;
  /** Some file would change (or be added or removed) by `install`. */
  changed: boolean;
  /** One unified diff per file that differs, installed (`/dev/null` when missing) against generated. */
  files: { name: string; change: 'add' | 'change' | 'remove' | 'foreign'; diff: string }[];
}

export async function unitsDiff(stack: LoadedStack, req: UnitsRequest): Promise<UnitsDiff> {
  const set = await generateUnits(stack, req);
  const { dir } = resolveRequest(stack, req);
  const files: UnitsDiff['files'] = [];
  for (const f of set.files) {
    const now = onDisk(dir.dir, f.name, set);
    if (now.state === 'ours' && withoutHeader(now.text!) === withoutHeader(f.text)) continue;
    const change = now.state === 'missing' ? 'add' : now.state === 'foreign' ? 'foreign' : 'change';
    files.push({ name: f.name, change, diff: unifiedDiff(now.text ?? '', f.text, [now.state === 'missing' ? '/dev/null' : now.path, `${f.name} (generated)`]) });
  }
  for (const s of staleFiles(dir.dir, set)) {
    const now = onDisk(dir.dir, s, set);
    files.push({ name: s, change: 'remove', diff: unifiedDiff(now.text ?? '', '', [now.path, '/dev/null']) });
  }
  return { unitDir: dir.dir, changed: files.length > 0, files };
}
