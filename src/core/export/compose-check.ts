/**
 * The check of a Compose export with Compose itself: `docker-compose config -q` (Debian's
 * docker-compose package) reads the files in a scratch folder and validates them against the
 * compose specification. No container engine is needed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpsError } from '../errors';
import type { ExportCheck, ExportFile } from '../contract/export';
import { COMPOSE_FILE } from './compose';
import { writeFiles } from './writer';

export const COMPOSE_TOOL = 'docker-compose';

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 60_000, env: { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' } }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, output: `${stdout}${stderr}`.trim(), missing: e?.code === 'ENOENT' });
    });
  });
}

export async function checkCompose(files: ExportFile[]): Promise<ExportCheck> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsdeck-export-check-'));
  try {
    await writeFiles(dir, files);
    const r = await run(COMPOSE_TOOL, ['-f', COMPOSE_FILE, 'config', '-q'], dir);
    if (r.missing) throw new OpsError('NOT_AVAILABLE', `${COMPOSE_TOOL} is not installed, so the Compose export cannot be checked`, 'install it (Debian: apt-get install docker-compose) or export without --check');
    const problems = r.code === 0 ? [] : r.output.split('\n').filter((l) => l.trim()).map((l) => `${COMPOSE_FILE}: ${l.replaceAll(dir, '.')}`);
    return { ok: r.code === 0, tool: `${COMPOSE_TOOL} config -q`, problems: r.code === 0 || problems.length ? problems : [`${COMPOSE_TOOL} exited with ${r.code}`] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
