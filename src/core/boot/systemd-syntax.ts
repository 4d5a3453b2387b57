/**
 * How values are written in systemd unit files (systemd.syntax(7), systemd.service(5)): one
 * argument of ExecStart= quoted and escaped so that systemd hands the program exactly that string
 * (no shell: `$` and `%` are systemd's own expansions and are doubled), an Environment= assignment,
 * a line of an EnvironmentFile=, and durations.
 */
import { OpsError } from '../errors';

function noNewline(value: string, what: string): void {
  if (/[\n\r\0]/.test(value)) {
    throw new OpsError('BAD_REQUEST', `${what} holds a line break or NUL, which a systemd unit cannot carry`, 'write it on one line');
  }
}

/** C-style escapes inside double quotes, and systemd's specifiers (`%`) doubled. */
const quoted = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;

/**
 * One argument of an Exec*= line: as it is when plain, else quoted; `$` doubled (no variable
 * expansion). The program (`first`) is quoted also when it starts with one of systemd's prefixes
 * (`@`, `-`, `:`, `+`, `!`).
 */
export function execArg(arg: string, first = false): string {
  noNewline(arg, `the argument ${JSON.stringify(arg.slice(0, 40))}`);
  const dollars = arg.replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_./:=,+@-]+$/.test(dollars) && !(first && /^[@:+!-]/.test(dollars)) ? dollars : quoted(dollars);
}

/** A whole command line, each argument escaped. */
export const execLine = (argv: readonly string[]) => argv.map((a, i) => execArg(a, i === 0)).join(' ');

/** `Environment=` value: one quoted `NAME=value`. */
export function environmentAssignment(name: string, value: string): string {
  noNewline(value, `the value of ${name}`);
  return quoted(`${name}=${value}`);
}

/** One line of an EnvironmentFile=: `NAME="value"` with the shell-like escapes systemd reads there. */
export function environmentFileLine(name: string, value: string): string {
  noNewline(value, `the value of ${name}`);
  return `${name}="${value.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
}

/** A duration in systemd's time syntax (`1min 30s`, `250ms`); 0 is `0`. */
export function timeSpan(ms: number): string {
  if (ms === 0) return '0';
  const parts: string[] = [];
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'min'], [1000, 's'], [1, 'ms']];
  let left = Math.round(ms);
  for (const [size, unit] of units) {
    const n = Math.floor(left / size);
    if (n) parts.push(`${n}${unit}`);
    left -= n * size;
  }
  return parts.join(' ');
}

/** A file-system path in a directive that takes one (WorkingDirectory=, EnvironmentFile=): `%` doubled; spaces are fine there. */
export function pathValue(p: string): string {
  noNewline(p, `the path ${JSON.stringify(p.slice(0, 40))}`);
  return p.replace(/%/g, '%%');
}

/** A free text (Description=): one line, `%` doubled. */
export const textValue = (s: string) => s.replace(/[\n\r]+/g, ' ').replace(/%/g, '%%');
