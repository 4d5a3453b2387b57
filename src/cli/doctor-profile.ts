/**
 * `opsdeck doctor profile SERVICE [--duration 30s]`: samples the service's process tree from
 * /proc (CPU per process, RSS, fds, threads, context switches, I/O) and prints the busiest
 * processes; for a Node service also takes a V8 CPU profile (a `.cpuprofile` VS Code opens) and
 * prints the functions with the most self time.
 */
import type { Command } from 'commander';
import { formatBytes, OpsError, parseDuration, type ProfileReport } from '../core/contract';
import { loadConfig, profileService } from '../core/host';
import { runJsonAware } from './backup/run-command';
import { bold, table } from './format';
import { displayDir, printJson, stackDir } from './stack-context';

interface ProfileCliOptions {
  duration: string;
  out?: string;
  cpuProfile: boolean;
  json?: boolean;
}

const MAX_MS = 10 * 60_000;

export function registerDoctorProfile(doctor: Command): void {
  doctor
    .command('profile')
    .description('sample a running service\'s processes (CPU, memory, fds, threads, context switches, I/O) and take a V8 CPU profile of a Node service')
    .argument('<service>', 'the service to profile (it must be running)')
    .option('--duration <duration>', 'how long to sample (100ms to 10m)', '30s')
    .option('--out <file>', 'where to write the .cpuprofile (default .opsdeck/profiles/SERVICE-TIME.cpuprofile)')
    .option('--no-cpu-profile', 'only sample /proc: no V8 CPU profile even for a Node service')
    .option('--json', 'print the profile report as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck doctor profile api                   # 30 s; prints the top processes and functions
  $ opsdeck doctor profile api --duration 5s --out api.cpuprofile && code api.cpuprofile
  $ opsdeck doctor profile postgres --json       # any service: /proc samples only for non-Node ones

A Node service is sent SIGUSR1 to open its inspector (closed again afterwards). Linux only.
Exit codes: 0 profiled, 1 error (unknown or stopped service, bad duration).`,
    )
    .action(async (service: string, own: ProfileCliOptions, cmd: Command) => {
      // `--json` after `profile` may be taken by `doctor`, which has the same option.
      const opts = { ...own, json: own.json ?? cmd.optsWithGlobals<{ json?: boolean }>().json };
      await runJsonAware(cmd, opts.json, async () => {
        const durationMs = parseDuration(opts.duration);
        if (durationMs === undefined || durationMs < 100 || durationMs > MAX_MS) {
          throw new OpsError('BAD_REQUEST', `--duration ${opts.duration}: must be a duration between 100ms and 10m`, 'write it like 10s or 1m');
        }
        const stack = await loadConfig(stackDir(cmd));
        if (!opts.json) process.stderr.write(`profiling ${service} for ${opts.duration}…\n`);
        const report = await profileService(stack, service, { durationMs, cpuProfile: opts.cpuProfile, ...(opts.out ? { file: opts.out } : {}) });
        if (opts.json) printJson(report);
        else process.stdout.write(formatProfile(report));
      });
    });
}

export function formatProfile(r: ProfileReport): string {
  const out = [
    `${bold(r.service)} (pid ${r.pid}): ${r.samples} samples every ${r.intervalMs}ms over ${r.durationMs / 1000}s · ${r.total.processes} process${r.total.processes === 1 ? '' : 'es'} · CPU ${r.total.cpuAvgPercent}% of a core · RSS ${r.total.rssMaxMb} MB at most`,
    '',
    table(
      ['PID', 'CPU avg', 'CPU max', 'RSS max', 'FDS', 'THREADS', 'CTX vol/invol', 'READ', 'WRITE', 'COMMAND'],
      r.processes.slice(0, 10).map((p) => [
        String(p.pid),
        `${p.cpuAvgPercent}%`,
        `${p.cpuMaxPercent}%`,
        `${p.rssMaxMb} MB`,
        p.fdsMax === null ? '-' : String(p.fdsMax),
        String(p.threadsMax),
        `${p.voluntaryCtxSwitches}/${p.involuntaryCtxSwitches}`,
        p.readBytes === null ? '-' : formatBytes(p.readBytes),
        p.writeBytes === null ? '-' : formatBytes(p.writeBytes),
        p.command.length > 60 ? `${p.command.slice(0, 60)}…` : p.command,
      ]),
    ),
  ];
  if (r.cpuProfile) {
    out.push('', `CPU profile: ${displayDir(r.cpuProfile.file)} (open it in VS Code)`, '');
    out.push(table(['SELF', '%', 'FUNCTION', 'WHERE'], r.cpuProfile.topFunctions.map((f) => [`${f.selfMs}ms`, `${f.selfPercent}%`, f.name, f.url ? `${f.url}:${f.line}` : ''])));
  } else if (r.cpuProfileSkipped) out.push('', `no CPU profile: ${r.cpuProfileSkipped}`);
  return out.join('\n') + '\n';
}
