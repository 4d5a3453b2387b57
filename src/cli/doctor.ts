/**
 * `opsdeck doctor [SERVICE…]`: every check of the stack (environment, config lint, connections,
 * logs) as ✓ / ! / ✗ lines with their fixes, `--verbose` with each check's data, `--json` for
 * tools, `--bundle FILE` a redacted support bundle; exit 1 when a check fails. `opsdeck doctor
 * profile` is doctor-profile.ts. Works with or without a running engine.
 */
import type { Command } from 'commander';
import { OpsError, parseDuration, type CheckCategory, type DoctorCheck, type DoctorReport } from '../core/contract';
import { assertBundleName, loadConfig, runDoctor, searchMemoryWithoutEngine, withRememberedProfile, writeBundle, type BundleEntry } from '../core/host';
import { registerDoctorProfile } from './doctor-profile';
import { cliLauncher } from './units/request';
import { runJsonAware } from './backup/run-command';
import { bold, dim, green, red, yellow } from './format';
import { displayDir, globals, ownerOf, printJson, stackDir } from './stack-context';

interface DoctorCliOptions {
  json?: boolean;
  bundle?: string;
  window?: string;
}

export function registerDoctor(program: Command): void {
  const doctor = program
    .command('doctor')
    .description('check the stack and say what is wrong and how to fix it: environment, config lint, connections, logs')
    .argument('[services...]', 'only these services (the environment checks always run)')
    .option('--json', 'print the report as JSON (every check with its data)')
    .option('--bundle <file>', 'also write a redacted support bundle (.tar.gz): config, status, versions, last events and log lines, this report')
    .option('--window <duration>', 'how far back the log analysis looks', '24h')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck doctor                       # every check; ✓ ok, ! warning, ✗ failure, each with its fix
  $ opsdeck doctor api --verbose         # only api's checks, with their raw data
  $ opsdeck doctor --json | jq '.checks[] | select(.status != "ok")'
  $ opsdeck doctor --bundle support.tar.gz
  $ opsdeck doctor profile api --duration 10s

Works with or without a running engine. Exit codes: 0 no check failed (warnings allowed), 1 a check
failed or an error (an unknown service, a bad option), 2 internal error. See docs/doctor.md.`,
    )
    .action(async (services: string[], opts: DoctorCliOptions, cmd: Command) => {
      await runJsonAware(cmd, opts.json, async () => {
        const windowMs = parseDuration(opts.window ?? '24h');
        if (windowMs === undefined || windowMs <= 0) throw badWindow(opts.window);
        if (opts.bundle) assertBundleName(opts.bundle);
        const dir = stackDir(cmd);
        const stack = withRememberedProfile(await loadConfig(dir));
        const report = await runDoctor(stack, { services, windowMs, launcher: cliLauncher() });
        let bundle: BundleEntry[] | undefined;
        if (opts.bundle) bundle = writeBundle(opts.bundle, { stack, report, ...(await engineFacts(dir)) });
        if (opts.json) printJson(bundle ? { ...report, bundle: { file: opts.bundle, entries: bundle } } : report);
        else {
          process.stdout.write(formatReport(report, globals(cmd).verbose ?? false));
          if (bundle) process.stdout.write(formatBundle(opts.bundle!, bundle));
        }
        return report.summary.fail ? 1 : 0;
      });
    });
  registerDoctorProfile(doctor);
}

const badWindow = (given: string | undefined) => new OpsError('BAD_REQUEST', `--window ${given}: not a duration`, 'write it like 30m, 24h or 7d');

/** The running engine's status and the memory's last events, for the bundle (what can be had). */
async function engineFacts(dir: string): Promise<{ status?: unknown; events?: unknown[] }> {
  const owner = ownerOf(dir);
  const events = async () => {
    try {
      const hits = owner ? (await owner.client.searchMemory({ limit: 200 })).hits : await searchMemoryWithoutEngine(dir, { limit: 200 });
      return hits.map((h) => h.data).reverse();
    } catch {
      return [];
    }
  };
  return { ...(owner ? { status: await owner.client.status().catch(() => undefined) } : {}), events: await events() };
}

const MARK = { ok: green('✓'), warn: yellow('!'), fail: red('✗') } as const;
const HEADINGS: Record<CheckCategory, string> = { environment: 'Environment', config: 'Config', connection: 'Connections', logs: 'Logs' };

/** The report for people: by category, each check a line, problems with their fix. */
export function formatReport(report: DoctorReport, verbose: boolean): string {
  const out: string[] = [`${bold(report.stack)} (${displayDir(report.dir)}) · opsdeck ${report.version}`];
  for (const category of Object.keys(HEADINGS) as CheckCategory[]) {
    const checks = report.checks.filter((c) => c.category === category);
    if (!checks.length) continue;
    out.push('', bold(HEADINGS[category]));
    for (const c of checks) out.push(...formatCheck(c, verbose));
  }
  const { ok, warn, fail } = report.summary;
  out.push('', `${ok} ok, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failure${fail === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}

function formatCheck(c: DoctorCheck, verbose: boolean): string[] {
  const who = c.service ? `${c.service}: ` : '';
  const where = c.at ? dim(` (opsdeck.yaml:${c.at.line})`) : '';
  const lines = [`  ${MARK[c.status]} ${who}${c.title} — ${c.found}${where}`];
  if (c.fix) {
    lines.push(`      fix: ${c.fix.text}`);
    if (c.fix.command) lines.push(`      $ ${c.fix.command}`);
  }
  if (verbose && c.data) lines.push(...JSON.stringify(c.data, null, 2).split('\n').map((l) => dim(`      ${l}`)));
  return lines;
}

function formatBundle(file: string, entries: BundleEntry[]): string {
  return `\nsupport bundle written to ${file} (secrets redacted):\n${entries.map((e) => `  ${e.name}  ${dim(`${e.bytes} bytes`)}  ${e.what}`).join('\n')}\n`;
}
