/**
 * `opsdeck monitor [--json] [--watch]`: one check of the whole stack for cron, CI or a monitor of
 * monitors. Exit codes as monitoring plugins: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (engine
 * unreachable, stack unreadable, or nothing but files to look at).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration, type MonitorReport } from '../core/contract';
import { loadConfig, MONITOR_EXIT, monitorFromView, monitorWithoutEngine, runningOwner, unknownReport } from '../core/host';
import { printJson, stackDir } from './stack-context';
import { table } from './format';

/** The verdict now: from the running engine, else from the files. */
export async function monitorOnce(dir: string): Promise<MonitorReport> {
  const owner = runningOwner(dir, { timeoutMs: 5000 });
  if (owner) {
    try {
      return monitorFromView(await owner.client.alerts());
    } catch (e) {
      return unknownReport(`the engine (pid ${owner.info.pid}) did not answer: ${(e as Error).message}`);
    }
  }
  try {
    return monitorWithoutEngine(await loadConfig(dir));
  } catch (e) {
    return unknownReport(`the stack cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function formatMonitor(r: MonitorReport): string {
  const lines = [`${r.level}: ${r.summary}`];
  if (r.alerts.length) lines.push(table(['SEVERITY', 'ALERT', 'SUMMARY'], r.alerts.map((a) => [a.severity, a.id, a.summary])));
  if (r.alerts.length) for (const u of r.unknown) lines.push(`UNKNOWN: ${u}`);
  return lines.join('\n');
}

export function registerMonitor(program: Command): void {
  program
    .command('monitor')
    .description('check the stack once and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, printing the firing alerts (for cron, CI, Nagios)')
    .option('--json', 'print {at, level, engine, summary, alerts, unknown} as JSON (one object per check with --watch)')
    .option('--watch', 'check again every --interval until interrupted (the exit code is the last check\'s)')
    .option('--interval <duration>', 'with --watch: how often', (v) => {
      const ms = parseDuration(v);
      if (!ms || ms < 1000) throw new InvalidArgumentError(`"${v}" is not a duration of 1s or more`);
      return ms;
    }, 10_000)
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck monitor                      # OK: no alert firing
  $ opsdeck -C /srv/shop monitor --json  # for a script
  $ opsdeck monitor --watch --interval 30s

With a running engine the verdict is its firing alerts (not inhibited, not silenced); without
one, only what the files tell can be checked (the disk space of the stack's volume), the rest is
UNKNOWN. CRITICAL and WARNING outrank UNKNOWN.
Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.`,
    )
    .action(async (opts: { json?: boolean; watch?: boolean; interval: number }, cmd: Command) => {
      const dir = stackDir(cmd);
      const show = (r: MonitorReport) => {
        if (opts.json) printJson(r);
        else process.stdout.write((opts.watch ? `${new Date(r.at).toISOString()} ` : '') + formatMonitor(r) + '\n');
        process.exitCode = MONITOR_EXIT[r.level];
      };
      show(await monitorOnce(dir));
      if (!opts.watch) return;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => void monitorOnce(dir).then(show), opts.interval);
        process.once('SIGINT', () => {
          clearInterval(timer);
          resolve();
        });
      });
    });
}
