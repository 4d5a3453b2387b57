/**
 * Boot-test harness: questions asked inside a booted machine — systemd's properties of a unit,
 * Opsdeck's status of a stack, whether an HTTP endpoint answers.
 */
import type { BootMachine } from './machine';

/** `systemctl show UNIT -p A -p B`, as { A: value, B: value }. */
export async function unitProps(m: BootMachine, unit: string, props: string[]): Promise<Record<string, string>> {
  const out = await m.mustRun(['systemctl', 'show', unit, ...props.flatMap((p) => ['-p', p])]);
  const values: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

/** What the tests read of `opsdeck status --json` (docs/cli.md, "JSON output"). */
export interface StackStatus {
  running: boolean;
  engine?: { pid: number; startedAt: number };
  services: { name: string; state: string; pid?: number; startedAt?: number; restarts?: number; health?: string; lastRestart?: { cause: string } }[];
}

/** `opsdeck -C DIR status --json` inside the machine. */
export async function opsdeckStatus(m: BootMachine, stackDir: string): Promise<StackStatus> {
  const out = await m.mustRun(['opsdeck', '-C', stackDir, 'status', '--json']);
  return JSON.parse(out) as StackStatus;
}

/** Whether GET `url` answers 2xx inside the machine (within 2 s). */
export async function httpOk(m: BootMachine, url: string): Promise<boolean> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
  return (await m.run(['node', '-e', script], { timeoutMs: 10_000 })).code === 0;
}

/** For a failure message: systemd's view of the opsdeck-* units and their last journal lines. */
export async function opsdeckUnitsReport(m: BootMachine): Promise<string> {
  const units = await m.run(['systemctl', 'list-units', '--all', '--no-pager', 'opsdeck*']);
  const journal = await m.run(['journalctl', '-b', '--no-pager', '-n', '60', '-u', 'opsdeck*']);
  return `--- systemctl list-units --all 'opsdeck*':\n${units.stdout}${units.stderr}\n--- journalctl -b -u 'opsdeck*' (last 60):\n${journal.stdout}${journal.stderr}`;
}
