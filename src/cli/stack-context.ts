/**
 * What every stack command needs: which stack (the `--stack` option, else the nearest folder
 * upward holding an opsdeck.yaml), and the client of its owning engine when one runs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OpsError } from '../core/contract';
import { CONFIG_FILE, runningOwner } from '../core/host';

export interface GlobalOptions {
  stack?: string;
  verbose?: boolean;
}

export const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

/** The stack folder: `--stack` (a folder or its opsdeck.yaml), else the nearest one upward. */
export function stackDir(cmd: Command): string {
  return resolveStackDir(globals(cmd).stack);
}

/** The stack folder for a `--stack` value (a folder or its opsdeck.yaml), or the nearest one upward without. */
export function resolveStackDir(given: string | undefined): string {
  if (given) {
    const abs = path.resolve(given);
    return path.basename(abs) === CONFIG_FILE ? path.dirname(abs) : abs;
  }
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, CONFIG_FILE))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new OpsError(
    'CONFIG_NOT_FOUND',
    `no ${CONFIG_FILE} in ${process.cwd()} or any folder above it`,
    'run the command inside a stack folder, pass --stack DIR, or create one with `opsdeck init`',
  );
}

export type Owner = NonNullable<ReturnType<typeof runningOwner>>;

/** The running engine of the stack, if any (src/core/host: its lock, an ApiClient, the RemoteEngine). */
export function ownerOf(dir: string): Owner | undefined {
  return runningOwner(dir);
}

/** The running engine, or an error saying how to start one. */
export function requireOwner(dir: string): Owner {
  const owner = ownerOf(dir);
  if (!owner) {
    throw new OpsError('STACK_NOT_RUNNING', `no engine is running for the stack in ${displayDir(dir)}`, 'start it with `opsdeck up` (or `opsdeck up --detach`)');
  }
  return owner;
}

export function displayDir(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
