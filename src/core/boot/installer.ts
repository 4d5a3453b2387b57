/**
 * `opsdeck units install` and `uninstall`. Install writes the unit set, never over a file it did
 * not write (every file is checked before any is written), removes the stack's files the set no
 * longer has, then reloads and enables (only in the init system's own folder). Uninstall stops,
 * disables and removes this stack's files and nothing else. Both answer what they did, or with
 * dryRun what they would do, changing nothing.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import { OpsError } from '../errors';
import { readOwner } from '../stack-lock';
import { activateCommands, cronBlock, deactivateCommands, readCrontab, reloadCommands, runAll, withCronBlock } from './activation';
import { generateUnits, resolveRequest, type UnitsRequest } from './generate';
import { withoutHeader } from './header';
import type { UnitsChange } from './model';
import { onDisk, staleFiles, writeUnitFile } from './unit-files';

export interface ChangeOptions {
  dryRun?: boolean;
}

/** Refuse while `opsdeck up` runs the stack in a terminal: a boot unit would start a second engine beside it. */
function refuseForegroundEngine(stack: LoadedStack): string[] {
  const owner = readOwner(stack.dir);
  if (owner?.owner === 'up') {
    throw new OpsError(
      'STACK_LOCKED',
      `\`opsdeck up\` runs the stack in ${stack.dir} in the foreground (pid ${owner.pid}): a unit would start a second engine that cannot take the stack`,
      'stop it first (Ctrl-C in its terminal, or `opsdeck down`), then run `opsdeck units install` again; the unit starts the stack from then on',
    );
  }
  return owner ? [`an engine (${owner.owner}, pid ${owner.pid}) runs the stack now: the units take over at the next boot or login (nothing is started now)`] : [];
}

export async function installUnits(stack: LoadedStack, req: UnitsRequest, opts: ChangeOptions = {}): Promise<UnitsChange> {
  const notes = refuseForegroundEngine(stack);
  const set = await generateUnits(stack, req);
  const { dir } = resolveRequest(stack, req);
  const disk = set.files.map((f) => ({ file: f, now: onDisk(dir.dir, f.name, set) }));
  const foreign = disk.filter((d) => d.now.state === 'foreign').map((d) => d.now.path);
  if (foreign.length) {
    throw new OpsError(
      'UNITS_FOREIGN_FILE',
      `not overwriting ${foreign.join(', ')}: Opsdeck did not write ${foreign.length === 1 ? 'it' : 'them'} for this stack`,
      'move the file away (or remove it) if it is not needed, or install into another folder with --unit-dir',
      { files: foreign },
    );
  }
  // A file that differs only in its header (another source hash or version) is left as it is.
  const unchanged = disk.filter((d) => d.now.text !== undefined && withoutHeader(d.now.text) === withoutHeader(d.file.text) && d.now.mode === d.file.mode).map((d) => d.file.name);
  const written = disk.filter((d) => !unchanged.includes(d.file.name)).map((d) => d.file.name);
  const stale = staleFiles(dir.dir, set);
  const before = dir.native ? deactivateCommands(set.target, set.scope, stale) : [];
  const after = dir.native ? activateCommands(set, dir.dir) : [];
  if (!dir.native) notes.push(`${dir.dir} is not the folder ${set.target} reads: nothing is enabled or loaded`);
  notes.push(...set.notes);
  if (!opts.dryRun) {
    for (const d of disk) if (written.includes(d.file.name)) writeUnitFile(dir.dir, d.file);
    runAll(before);
    for (const s of stale) rmSync(path.join(dir.dir, s), { force: true });
    const crontab = after.some((a) => a[0] === 'crontab') ? withCronBlock(readCrontab(), set.stack, set.files[0]!.text) : undefined;
    runAll(after, (argv) => (argv[0] === 'crontab' ? crontab : undefined));
  }
  const commands = [...before, ...after];
  return { dryRun: !!opts.dryRun, unitDir: dir.dir, written, unchanged, removed: stale, commands, notes };
}

export function uninstallUnits(stack: LoadedStack, req: Omit<UnitsRequest, 'launcher' | 'version'>, opts: ChangeOptions = {}): UnitsChange {
  const r = resolveRequest(stack, req);
  const ours = staleFiles(r.dir.dir, { stack: stack.config.name, stackDir: stack.dir, files: [] });
  const cronUser = r.target === 'cron' && r.scope === 'user' && r.dir.native;
  const inCrontab = cronUser && cronBlock(readCrontab(), stack.config.name) !== undefined;
  const commands = r.dir.native && (ours.length || inCrontab) ? [...deactivateCommands(r.target, r.scope, cronUser ? ['crontab'] : ours), ...reloadCommands(r.target, r.scope)] : [];
  const notes = ours.length || inCrontab ? [] : [`no file of stack ${stack.config.name} in ${r.dir.dir}: nothing to remove`];
  if (!opts.dryRun && commands.length) {
    const deactivate = commands.slice(0, commands.length - reloadCommands(r.target, r.scope).length);
    // A unit that is already stopped or unknown is not an error here: what matters is that the files go.
    try {
      runAll(deactivate, (argv) => (argv[0] === 'crontab' ? withCronBlock(readCrontab(), stack.config.name, undefined) : undefined));
    } catch (e) {
      notes.push(`while stopping: ${(e as Error).message}`);
    }
  }
  if (!opts.dryRun) for (const n of ours) rmSync(path.join(r.dir.dir, n), { force: true });
  if (!opts.dryRun && r.dir.native) runAll(reloadCommands(r.target, r.scope));
  return { dryRun: !!opts.dryRun, unitDir: r.dir.dir, written: [], unchanged: [], removed: ours, commands, notes };
}
