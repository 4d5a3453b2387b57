/**
 * The argv of `opsdeck exec` in a unit: the wrapper that waits for dependencies and the boot
 * delay, then runs the service (src/cli/exec.ts). One builder for every init system.
 */
import type { Launcher } from './model';

/** Milliseconds as a duration argument without rounding: 300000 → `5m`, 90500 → `1m30s500ms`. */
export function durationArg(ms: number): string {
  if (ms === 0) return '0s';
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's'], [1, 'ms']];
  let left = Math.round(ms);
  let out = '';
  for (const [size, unit] of units) {
    const n = Math.floor(left / size);
    if (n) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}

export interface WrapperOptions {
  /** The service this wraps: its state is recorded for others' `--wait-for NAME:started|completed`. */
  name?: string;
  /** `SERVICE:healthy|started|completed`. */
  waitFor?: string[];
  delayMs?: number;
  /** How long to wait for the dependencies (written only with some). */
  timeoutMs?: number;
}

/** `opsdeck --stack DIR exec … -- argv`, or `argv` alone when there is nothing for the wrapper to do. */
export function wrapCommand(launcher: Launcher, stackDir: string, w: WrapperOptions, argv: string[]): string[] {
  const waits = w.waitFor ?? [];
  const args = [
    ...(w.name ? ['--name', w.name] : []),
    ...waits.flatMap((x) => ['--wait-for', x]),
    ...(w.delayMs ? ['--delay', durationArg(w.delayMs)] : []),
    ...(waits.length && w.timeoutMs ? ['--timeout', durationArg(w.timeoutMs)] : []),
  ];
  return args.length ? [...launcher.cli, '--stack', stackDir, 'exec', ...args, '--', ...argv] : argv;
}
