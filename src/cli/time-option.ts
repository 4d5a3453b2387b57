/** `--since` / `--until` values: a duration ago (`10m`, `2h`) or an ISO date-time. */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/contract';

export function parseTimeOption(value: string, now = Date.now()): number {
  const ago = parseDuration(value);
  if (ago !== undefined) return now - ago;
  const at = Date.parse(value);
  if (!Number.isNaN(at) && /^\d{4}-\d\d-\d\d/.test(value)) return at;
  throw new InvalidArgumentError(`"${value}" is neither a duration (10m, 2h, 1d) nor a date (2026-11-26T10:00:00Z)`);
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a whole number greater than 0`);
  return n;
}
