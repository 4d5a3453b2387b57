/**
 * `PRAGMA quick_check` / `integrity_check` of a staged copy or a restored database by the system's
 * `sqlite3` program, where the machine has one: native SQLite checks a 151 MiB database in ~0.2 s
 * of CPU in a process of ~6 MiB, where SQLite's WebAssembly (sqlite-integrity.ts) takes ~0.7 s of
 * CPU and a thread of ~30 MiB beside the backup's (bench/README.md, "Seventh round").
 *
 * Only an `ok` is taken from it. Anything else (problems found, a program too old for the
 * database's format, one that cannot run) is checked again with the WebAssembly, which gives the
 * verdict, so the verdicts are the ones Opsdeck's own SQLite gives. The file is opened read-only
 * as immutable (no lock, no -wal or -shm file made next to it): only for files no one else uses.
 * `OPSDECK_SQLITE3=off` turns this off, `OPSDECK_SQLITE3=PATH` names the program.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { findOnPath } from '../../os/find-on-path';
import type { IntegrityPragma, IntegrityVerdict } from './sqlite-integrity';

/** Is the sqlite3 program turned off (`OPSDECK_SQLITE3=off` or `0`)? */
export const sqlite3TurnedOff = (env: NodeJS.ProcessEnv = process.env): boolean => env.OPSDECK_SQLITE3 === 'off' || env.OPSDECK_SQLITE3 === '0';

/** The sqlite3 program to check with, or undefined for none (not installed, or turned off). */
export function nativeSqlite3(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (sqlite3TurnedOff(env)) return undefined;
  const set = env.OPSDECK_SQLITE3;
  return set ? path.resolve(set) : findOnPath('sqlite3', env.PATH ?? '');
}

/** The URI that opens `file` read-only and immutable (its path percent-encoded where URIs need it). */
export function immutableUri(file: string): string {
  return `file:${path.resolve(file).replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}?mode=ro&immutable=1`;
}

/**
 * The pragma's verdict from `sqlite3`, or undefined when the program did not answer (it could not
 * start, failed, or was stopped through `signal`): the caller then checks another way.
 */
export function nativeIntegrityCheck(sqlite3: string, file: string, pragma: IntegrityPragma, signal?: AbortSignal): Promise<IntegrityVerdict | undefined> {
  return new Promise((resolve) => {
    // -init /dev/null: not the user's ~/.sqliterc (it may change the output's shape); -readonly as
    // well as the URI's mode=ro: a program that took the URI for a file name opens nothing
    execFile(sqlite3, ['-init', '/dev/null', '-batch', '-readonly', '-noheader', '-list', immutableUri(file), `PRAGMA ${pragma};`], { signal, maxBuffer: 4 << 20 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const detail = stdout.trim().split('\n').join('; ');
      resolve(detail ? { ok: detail === 'ok', detail } : undefined);
    });
  });
}
