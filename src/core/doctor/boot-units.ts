/**
 * The doctor's boot units check (`env.boot`): are the units that start the stack at login or
 * boot installed, and do they match what opsdeck.yaml generates now? It asks src/core/boot's
 * status, the same `opsdeck units status` prints. Units are expected when opsdeck.yaml declares
 * `boot:` or when files of this stack are installed; otherwise the stack is simply not set up to
 * start at boot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { launcherOf, resolveRequest, unitsStatus } from '../boot';
import { isStackFileName } from '../boot/names';
import type { Launcher } from '../boot/model';
import type { LoadedStack } from '../config/load';
import { OPSDECK_VERSION } from '../version';
import { check, fix, type DoctorCheck } from './check';

const TITLE = 'Boot units installed and current';

/** Does opsdeck.yaml itself say `boot:` (the parsed config always has its defaults)? */
export function declaresBoot(stack: LoadedStack): boolean {
  try {
    return parseDocument(readFileSync(stack.file, 'utf8')).has('boot');
  } catch {
    return false;
  }
}

/** Does the unit folder of `boot:` hold a file named like this stack's? */
function stackFilesIn(stack: LoadedStack): boolean {
  const { dir } = resolveRequest(stack, {});
  try {
    return readdirSync(dir.dir).some((n) => isStackFileName(stack.config.name, n));
  } catch {
    return false;
  }
}

/**
 * `launcher`: how the units run Opsdeck, as the surface that installs them computes it (the
 * CLI's own); default: this process's (what GET /v1/units/status uses).
 */
export async function bootUnitsCheck(stack: LoadedStack, launcher?: Launcher): Promise<DoctorCheck[]> {
  const declared = declaresBoot(stack);
  let using: Launcher;
  try {
    using = launcher ?? launcherOf();
  } catch (e) {
    // No way to generate the units here (the extension host with no `opsdeck` on PATH): enough to
    // tell a stack that is not set up to start at boot; otherwise say why it cannot be compared.
    if (!declared && !stackFilesIn(stack)) return [check('environment', 'env.boot', TITLE, 'ok', 'not set up to start at boot (no `boot:` in opsdeck.yaml, no units installed)')];
    throw e;
  }
  const s = await unitsStatus(stack, { launcher: using, version: OPSDECK_VERSION });
  const ours = s.files.filter((f) => f.installed === 'ours');
  const how = `${s.target} ${s.mode} mode, ${s.scope} scope, in ${s.unitDir}`;
  const data = { declared, target: s.target, mode: s.mode, scope: s.scope, unitDir: s.unitDir, installed: s.installed, drifted: s.drifted, files: s.files, stale: s.stale };
  const one = (status: 'ok' | 'warn', found: string, f?: ReturnType<typeof fix>) => [check('environment', 'env.boot', TITLE, status, found, { ...(f ? { fix: f } : {}), data })];
  if (!ours.length && !s.stale.length) {
    if (!declared) return one('ok', 'not set up to start at boot (no `boot:` in opsdeck.yaml, no units installed)');
    return one('warn', `opsdeck.yaml declares boot: but its units are not installed (${how})`, fix('install the units that start the stack at login (or boot, with --system)', 'opsdeck units install'));
  }
  if (s.drifted) {
    const changed = [...s.files.filter((f) => f.drifted).map((f) => f.name), ...s.stale.map((n) => `${n} (no longer generated)`)];
    return one('warn', `installed units differ from what opsdeck.yaml generates now: ${changed.join(', ')} (${how})`, fix('see what changed with `opsdeck units diff`, then install the current units', 'opsdeck units diff; opsdeck units install'));
  }
  if (!s.installed) {
    const missing = s.files.filter((f) => f.installed !== 'ours').map((f) => `${f.name} (${f.installed})`);
    return one('warn', `units partly installed: ${missing.join(', ')} not (${how})`, fix('install the missing units', 'opsdeck units install'));
  }
  return one('ok', `${ours.length} unit file${ours.length === 1 ? '' : 's'} installed, matching opsdeck.yaml (${how})`);
}
