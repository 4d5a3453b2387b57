/**
 * The marks that are no engine event: an engine started (with its Opsdeck version) and the
 * opsdeck.yaml it runs (by hash), for the report's "what changed". The hash is FNV-1a (two 32-bit
 * lanes): it tells versions of a file apart, it is no security measure, and it keeps node:crypto
 * out of an idle engine.
 */
import { readFileSync } from 'node:fs';
import { OPSDECK_VERSION } from '../../version';
import type { MetricsMark } from '../../contract/metrics-store';

export function configHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c ^ (i & 0xff), 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

export function configMark(file: string, at: number): MetricsMark | undefined {
  try {
    return { at, kind: 'config', service: 'stack', data: { hash: configHash(readFileSync(file, 'utf8')) } };
  } catch {
    return undefined;
  }
}

export const engineMark = (at: number): MetricsMark => ({ at, kind: 'engine', service: 'stack', data: { version: OPSDECK_VERSION, pid: process.pid } });

/** The profile an engine runs with (at its start and at each switch); `(none)` for a stack without one. */
export const profileMark = (profile: string | undefined, at: number): MetricsMark => ({ at, kind: 'profile', service: 'stack', data: { profile: profile ?? NO_PROFILE } });

/** How a stack without an active profile appears in the profile marks and the report. */
export const NO_PROFILE = '(none)';
