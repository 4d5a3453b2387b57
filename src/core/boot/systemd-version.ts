/**
 * Which systemd this machine runs (`systemctl --version`): RestartSteps= and RestartMaxDelaySec=
 * exist from systemd 254 on (Debian 12 has 252), so the generator writes them per version.
 */
import { spawnSync } from 'node:child_process';

/** RestartSteps= and RestartMaxDelaySec= are known from this version on. */
export const RESTART_STEPS_SINCE = 254;

/** A version assumed when systemctl cannot be asked (no systemd here): the oldest we write for. */
export const BASELINE_SYSTEMD = 245;

/** The version number in the first line of `systemctl --version` (`systemd 252 (252.39-1~deb12u2)`). */
export function parseSystemdVersion(text: string): number | undefined {
  const m = /^systemd (\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** This machine's systemd version, or undefined when there is no systemctl. */
export function detectSystemdVersion(): number | undefined {
  const r = spawnSync('systemctl', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? parseSystemdVersion(r.stdout) : undefined;
}
