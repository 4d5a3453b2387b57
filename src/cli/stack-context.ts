/**
 * What every stack command needs: which stack (the `--stack` option, else the nearest folder
 * upward holding an opsdeck.yaml), and the client of its owning engine when one runs.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { OpsError } from '../core/contract';
import { findStackDir, runningOwner } from '../core/host';

export interface GlobalOptions {
  stack?: string;
  verbose?: boolean;
}

export const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

/** The stack folder: `--stack` (a folder or its opsdeck.yaml), else the nearest one upward. */
export function stackDir(cmd: Command): string {
  return findStackDir(globals(cmd).stack);
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
