/**
 * launchd jobs of a stack (launchd.plist(5)), written with the `plist` package, into
 * ~/Library/LaunchAgents (user) or /Library/LaunchDaemons (system).
 *
 * engine mode: `dev.opsdeck.STACK` runs `opsdeck daemon --stack DIR` (after `opsdeck exec --delay`
 * with a boot delay). native mode: `dev.opsdeck.STACK.SERVICE` per service, each through
 * `opsdeck exec`, which waits for its dependencies (launchd has no dependency model) and the boot
 * delay; backups and verification as jobs with a StartCalendarInterval.
 */
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import { startCalendarInterval } from './calendar';
import { headerLines, type Header } from './header';
import type { GenerateOptions, UnitFile, UnitSet } from './model';
import { launchdLabel } from './names';
import { firstRestartMs, servicePlans, waitFors, type ServicePlan } from './service-plan';
import { wrapCommand, type WrapperOptions } from './wrapper-args';

/** A plist value (what `plist.build` takes). */
type Job = Record<string, unknown>;

type Build = (typeof import('plist'))['build'];

/** The plist text of a job, the header as an XML comment after the DOCTYPE. */
export function plistText(build: Build, header: Header, job: Job): string {
  const xml = build(job as Parameters<Build>[0]);
  const comment = `<!--\n${headerLines(header).map((l) => `  ${l.replace(/--/g, '- -')}`).join('\n')}\n-->`;
  return xml.replace(/(<!DOCTYPE[^>]*>)/, `$1\n${comment}`) + (xml.endsWith('\n') ? '' : '\n');
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

interface Ctx {
  build: Build;
  stack: LoadedStack;
  header: Header;
  opts: GenerateOptions;
  path: string;
}

const logPath = (c: Ctx, name: string) => path.join(c.stack.dir, '.opsdeck', 'logs', `${name}.log`);
const userName = (c: Ctx): Job => (c.opts.scope === 'system' && c.stack.config.boot.user ? { UserName: c.stack.config.boot.user } : {});

function file(c: Ctx, job: Job, role: UnitFile['role'], secret: boolean, service?: string): UnitFile {
  return { name: `${job.Label as string}.plist`, text: plistText(c.build, c.header, job), mode: secret ? 0o600 : 0o644, role, ...(service ? { service } : {}) };
}

/** `opsdeck exec` before `argv`, with the boot delay and what `w` says to wait for. */
const wrapped = (c: Ctx, argv: string[], w: WrapperOptions = {}) =>
  wrapCommand(c.opts.launcher, c.stack.dir, { ...w, delayMs: c.stack.config.boot.delay, timeoutMs: c.stack.config.boot.wait_timeout }, argv);

function engineJob(c: Ctx): UnitFile {
  const job: Job = {
    Label: launchdLabel(c.stack.config.name),
    ProgramArguments: wrapped(c, [...c.opts.launcher.daemon, '--stack', c.stack.dir]),
    WorkingDirectory: c.stack.dir,
    EnvironmentVariables: { PATH: c.path, ...c.opts.launcher.daemonEnv },
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 5,
    ExitTimeOut: seconds(Object.values(c.stack.config.services).reduce((s, x) => s + x.stop_grace, 0) + 30_000),
    StandardOutPath: logPath(c, 'engine'),
    StandardErrorPath: logPath(c, 'engine'),
    ...userName(c),
  };
  return file(c, job, 'engine', false);
}

function keepAlive(p: ServicePlan): boolean | Job {
  const policy = p.config.restart.policy;
  if (p.task || policy === 'on-failure') return policy === 'never' ? false : { SuccessfulExit: false };
  return policy === 'always';
}

function serviceJob(c: Ctx, p: ServicePlan): UnitFile {
  const cfg = p.config;
  const limits = cfg.limits.open_files ? { NumberOfFiles: cfg.limits.open_files } : undefined;
  const job: Job = {
    Label: launchdLabel(c.stack.config.name, p.name),
    ProgramArguments: wrapped(c, p.argv, { name: p.name, waitFor: waitFors(p, c.stack.config.services, true) }),
    WorkingDirectory: p.cwd,
    EnvironmentVariables: { PATH: c.path, ...p.env, ...p.secrets },
    RunAtLoad: true,
    KeepAlive: keepAlive(p),
    ThrottleInterval: seconds(firstRestartMs(cfg)),
    ExitTimeOut: seconds(cfg.stop_grace),
    ...(limits ? { SoftResourceLimits: limits, HardResourceLimits: limits } : {}),
    StandardOutPath: logPath(c, p.name),
    StandardErrorPath: logPath(c, p.name),
    ...userName(c),
  };
  return file(c, job, 'service', Object.keys(p.secrets).length > 0, p.name);
}

function scheduledJob(c: Ctx, what: 'backup' | 'verify', schedule: string, args: string[]): UnitFile {
  const job: Job = {
    Label: launchdLabel(c.stack.config.name, what),
    ProgramArguments: [...c.opts.launcher.cli, '--stack', c.stack.dir, ...args],
    WorkingDirectory: c.stack.dir,
    EnvironmentVariables: { PATH: c.path },
    StartCalendarInterval: startCalendarInterval(schedule),
    StandardOutPath: logPath(c, what),
    StandardErrorPath: logPath(c, what),
    ...userName(c),
  };
  return file(c, job, what, false);
}

/** The launchd job set of a stack. */
export async function launchdJobs(stack: LoadedStack, header: Header, opts: GenerateOptions): Promise<Pick<UnitSet, 'files' | 'activate' | 'notes'>> {
  // Loaded when needed: the engine's bundles that never write a plist do not carry the XML libraries.
  const { build } = await import('plist');
  const c: Ctx = { build, stack, header, opts, path: opts.path ?? process.env.PATH ?? '/usr/bin:/bin' };
  const notes = ['launchd has no dependency model: `opsdeck exec` waits for each dependency and the boot delay', 'launchd cannot enforce a memory limit (limits.memory_mb is not written); restarts wait a fixed ThrottleInterval'];
  let files: UnitFile[];
  if (opts.mode === 'engine') files = [engineJob(c)];
  else {
    const plans = servicePlans(stack, c.path);
    files = plans.map((p) => serviceJob(c, p));
    if (plans.some((p) => Object.keys(p.secrets).length)) notes.push('launchd has no environment file: plists holding secrets are written with mode 0600');
    const backup = stack.config.backup;
    if (backup.schedule) files.push(scheduledJob(c, 'backup', backup.schedule, ['backup', '--no-progress']));
    if (backup.verify_schedule) files.push(scheduledJob(c, 'verify', backup.verify_schedule, ['backups', 'verify', '--read-data-subset', backup.verify_subset]));
  }
  return { files, activate: files.map((f) => f.name.replace(/\.plist$/, '')), notes };
}
