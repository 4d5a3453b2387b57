/**
 * `opsdeck units lint`: the generated set checked by the init system's own tools where they run
 * here (`systemd-analyze verify`, user or system scope; `plutil -lint` on macOS), and by ours:
 * every plist parses back to what was built and holds only keys launchd.plist(5) documents, with
 * their types; every crontab line has a schedule.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool } from './activation';
import { checkLaunchdJob } from './launchd-keys';
import type { UnitSet } from './model';
import { writeUnitFile } from './unit-files';

export interface LintResult {
  ok: boolean;
  /** The tools that checked the set (e.g. `systemd-analyze verify`). */
  checkedWith: string[];
  problems: { file: string; message: string }[];
}

/** `systemd-analyze verify` of the set's units, written to a temporary folder; every line it prints is a problem. */
function verifySystemd(set: UnitSet, result: LintResult): void {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-lint-'));
  try {
    for (const f of set.files) writeUnitFile(tmp, f);
    const units = set.files.filter((f) => /\.(service|target|timer)$/.test(f.name)).map((f) => path.join(tmp, f.name));
    const runtime = path.join(tmp, 'runtime');
    // A user manager's verify needs a runtime folder, which a root shell or a container may not have.
    const env = set.scope === 'user' && !process.env.XDG_RUNTIME_DIR ? ['env', `XDG_RUNTIME_DIR=${runtime}`] : [];
    if (env.length) mkdirSync(runtime, { mode: 0o700 });
    const r = runTool([...env, 'systemd-analyze', ...(set.scope === 'user' ? ['--user'] : []), 'verify', ...units]);
    if (r.status === null) {
      result.problems.push({ file: '-', message: `systemd-analyze cannot run here (${r.stderr.trim()}): install systemd to check the units` });
      return;
    }
    result.checkedWith.push(`systemd-analyze${set.scope === 'user' ? ' --user' : ''} verify`);
    for (const l of `${r.stderr}\n${r.stdout}`.split('\n').filter((x) => x.trim())) {
      const file = set.files.find((f) => l.includes(f.name))?.name ?? '-';
      result.problems.push({ file, message: l.replaceAll(`${tmp}/`, '') });
    }
    if (r.status !== 0 && !result.problems.length) result.problems.push({ file: '-', message: `systemd-analyze verify failed (exit ${r.status})` });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function checkPlists(set: UnitSet, result: LintResult): Promise<void> {
  const { parse } = await import('plist');
  result.checkedWith.push('launchd.plist(5) keys');
  const plutil = process.platform === 'darwin';
  for (const f of set.files) {
    let job: unknown;
    try {
      job = parse(f.text);
    } catch (e) {
      result.problems.push({ file: f.name, message: `does not parse: ${(e as Error).message}` });
      continue;
    }
    for (const message of checkLaunchdJob(job)) result.problems.push({ file: f.name, message });
    if (plutil) {
      const r = runTool(['plutil', '-lint', '-'], f.text);
      if (r.status !== 0) result.problems.push({ file: f.name, message: `plutil -lint: ${(r.stdout + r.stderr).trim()}` });
    }
  }
  if (plutil) result.checkedWith.push('plutil -lint');
}

function checkCron(set: UnitSet, result: LintResult): void {
  result.checkedWith.push('crontab line shape');
  for (const f of set.files) {
    for (const l of f.text.split('\n')) {
      if (!l.trim() || l.startsWith('#') || /^[A-Z_]+=/.test(l)) continue;
      if (!/^(@reboot|(\S+\s+){5})/.test(l)) result.problems.push({ file: f.name, message: `not a crontab line: ${l.slice(0, 60)}` });
    }
  }
}

export async function lintUnits(set: UnitSet): Promise<LintResult> {
  const result: LintResult = { ok: true, checkedWith: [], problems: [] };
  if (set.target === 'systemd') verifySystemd(set, result);
  else if (set.target === 'launchd') await checkPlists(set, result);
  else checkCron(set, result);
  result.ok = result.problems.length === 0;
  return result;
}
