/**
 * systemd units of a stack (systemd.unit(5), systemd.service(5), systemd.timer(5)).
 *
 * engine mode: `opsdeck-STACK.service` runs `opsdeck daemon --stack DIR`; with a boot delay a
 * `opsdeck-STACK.timer` starts it DELAY after boot (system) or after the user's manager started
 * (user), else the service is wanted by the default target.
 *
 * native mode: one `opsdeck-STACK-SERVICE.service` per service of the active profile, grouped by
 * `opsdeck-STACK.target` (started by the timer, or wanted by the default target), secrets in an
 * `opsdeck-STACK-SERVICE.env` (mode 0600), backups and verification as `.timer` + `.service`.
 */
import type { LoadedStack } from '../config/load';
import { onCalendar } from './calendar';
import { hashHeader, type Header } from './header';
import type { GenerateOptions, UnitFile, UnitSet } from './model';
import { serviceUnit, unitPrefix } from './names';
import { firstRestartMs, servicePlans, waitFors, type ServicePlan } from './service-plan';
import { environmentAssignment, environmentFileLine, execLine, pathValue, textValue, timeSpan } from './systemd-syntax';
import { RESTART_STEPS_SINCE } from './systemd-version';
import { wrapCommand } from './wrapper-args';

type Section = [string, [string, string | undefined][]];

/** A unit file's text: the header, then each section with its set keys. */
function unitText(header: Header, sections: Section[]): string {
  const body = sections
    .map(([name, keys]) => [`[${name}]`, ...keys.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`)].join('\n'))
    .join('\n\n');
  return `${hashHeader(header)}\n${body}\n`;
}

interface Ctx {
  stack: LoadedStack;
  header: Header;
  opts: GenerateOptions;
  unitDir: string;
  system: boolean;
  path: string;
}

const defaultTarget = (c: Ctx) => (c.system ? 'multi-user.target' : 'default.target');
const stackName = (c: Ctx) => c.stack.config.name;

/** After=/Wants= of the network, for system units that wait for it. */
function network(c: Ctx): [string, string][] {
  return c.system && c.stack.config.boot.after_network ? [['After', 'network-online.target'], ['Wants', 'network-online.target']] : [];
}

const runAs = (c: Ctx): [string, string | undefined][] => [['User', c.system ? c.stack.config.boot.user : undefined]];

/** The boot delay's timer, which starts `unit`; none without a delay. */
function delayTimer(c: Ctx, unit: string): UnitFile | undefined {
  const delay = c.stack.config.boot.delay;
  if (!delay) return undefined;
  const name = `${unitPrefix(stackName(c))}.timer`;
  const text = unitText(c.header, [
    ['Unit', [['Description', textValue(`Start Opsdeck stack ${stackName(c)} ${timeSpan(delay)} after ${c.system ? 'boot' : 'login'}`)]]],
    // AccuracySec: systemd's default of 1 min lets the timer fire up to a minute after the delay.
    ['Timer', [[c.system ? 'OnBootSec' : 'OnStartupSec', timeSpan(delay)], ['AccuracySec', '1s'], ['Unit', unit]]],
    ['Install', [['WantedBy', 'timers.target']]],
  ]);
  return { name, text, mode: 0o644, role: 'timer' };
}

/** [Install] of what starts the stack: the default target's, unless a timer starts it. */
const install = (c: Ctx): Section[] => (c.stack.config.boot.delay ? [] : [['Install', [['WantedBy', defaultTarget(c)]]]]);

function engineUnits(c: Ctx): UnitFile[] {
  const name = `${unitPrefix(stackName(c))}.service`;
  const services = Object.values(c.stack.config.services);
  // The engine stops the services itself, in reverse dependency order: give it their stop graces and a margin.
  const stopAll = services.reduce((sum, s) => sum + s.stop_grace, 0) + 30_000;
  const env = { PATH: c.path, ...c.opts.launcher.daemonEnv };
  const text = unitText(c.header, [
    ['Unit', [['Description', textValue(`Opsdeck engine of stack ${stackName(c)} (${c.stack.dir})`)], ...network(c), ['StartLimitIntervalSec', '10min'], ['StartLimitBurst', '5']]],
    [
      'Service',
      [
        ['Type', 'exec'],
        ['ExecStart', execLine([...c.opts.launcher.daemon, '--stack', c.stack.dir])],
        ['WorkingDirectory', pathValue(c.stack.dir)],
        ...Object.entries(env).map(([k, v]): [string, string] => ['Environment', environmentAssignment(k, v)]),
        ...runAs(c),
        ['Restart', 'on-failure'],
        ['RestartSec', '5s'],
        // SIGTERM to the engine alone: it stops its services in order; SIGKILL to all only after the timeout.
        ['KillMode', 'mixed'],
        ['TimeoutStopSec', timeSpan(Math.min(stopAll, 3_600_000))],
      ],
    ],
    ...install(c),
  ]);
  const timer = delayTimer(c, name);
  return [{ name, text, mode: 0o644, role: 'engine' }, ...(timer ? [timer] : [])];
}

/** RestartSec= and, from systemd 254, the exponential steps up to the backoff's max. */
function restartKeys(p: ServicePlan, version: number): [string, string][] {
  const r = p.config.restart;
  const policy = p.task ? (r.policy === 'never' ? 'no' : 'on-failure') : r.policy === 'never' ? 'no' : r.policy;
  if (policy === 'no') return [['Restart', 'no']];
  const first = firstRestartMs(p.config);
  const keys: [string, string][] = [['Restart', policy], ['RestartSec', timeSpan(first)]];
  if (version >= RESTART_STEPS_SINCE && r.backoff.max > first && r.backoff.factor > 1) {
    const steps = Math.max(1, Math.ceil(Math.log(r.backoff.max / first) / Math.log(r.backoff.factor)));
    keys.push(['RestartSteps', String(steps)], ['RestartMaxDelaySec', timeSpan(r.backoff.max)]);
  }
  return keys;
}

function serviceFiles(c: Ctx, p: ServicePlan): UnitFile[] {
  const stack = stackName(c);
  const name = serviceUnit(stack, p.name);
  const files: UnitFile[] = [];
  const hasSecrets = Object.keys(p.secrets).length > 0;
  const envFile = `${unitPrefix(stack)}-${p.name}.env`;
  if (hasSecrets) {
    const lines = Object.entries(p.secrets).map(([k, v]) => environmentFileLine(k, v));
    files.push({ name: envFile, text: `${hashHeader(c.header)}${lines.join('\n')}\n`, mode: 0o600, role: 'environment', service: p.name });
  }
  const exec = wrapCommand(c.opts.launcher, c.stack.dir, { waitFor: waitFors(p, c.stack.config.services, false), timeoutMs: c.stack.config.boot.wait_timeout }, p.argv);
  const deps = p.dependsOn.map(([d, cond]): [string, string] => [cond === 'completed' ? 'Requires' : 'Wants', serviceUnit(stack, d)]);
  const cfg = p.config;
  const r = cfg.restart;
  const text = unitText(c.header, [
    [
      'Unit',
      [
        ['Description', textValue(cfg.description ? `${p.name} (${stack}): ${cfg.description}` : `${p.name} of Opsdeck stack ${stack}`)],
        ['PartOf', `${unitPrefix(stack)}.target`],
        ...network(c),
        ...(p.after.length ? ([['After', p.after.map((d) => serviceUnit(stack, d)).join(' ')]] as [string, string][]) : []),
        ...deps,
        ['StartLimitIntervalSec', timeSpan(Math.max(r.window, 1000))],
        ['StartLimitBurst', String(r.max_retries + 1)],
      ],
    ],
    [
      'Service',
      [
        ['Type', p.task ? 'oneshot' : 'exec'],
        ...(p.task ? ([['RemainAfterExit', 'yes'], ['TimeoutStartSec', 'infinity']] as [string, string][]) : []),
        ['ExecStart', execLine(exec)],
        ['WorkingDirectory', pathValue(p.cwd)],
        ...Object.entries(p.env).map(([k, v]): [string, string] => ['Environment', environmentAssignment(k, v)]),
        ['EnvironmentFile', hasSecrets ? pathValue(`${c.unitDir}/${envFile}`) : undefined],
        ...runAs(c),
        ...restartKeys(p, c.opts.systemdVersion),
        ['KillSignal', cfg.stop_signal],
        ['KillMode', 'control-group'],
        // 0 would mean "no timeout" to systemd; the engine's 0s means "kill at once".
        ['TimeoutStopSec', timeSpan(Math.max(cfg.stop_grace, 1))],
        ['MemoryMax', cfg.limits.memory_mb ? `${cfg.limits.memory_mb}M` : undefined],
        ['LimitNOFILE', cfg.limits.open_files ? String(cfg.limits.open_files) : undefined],
      ],
    ],
  ]);
  files.unshift({ name, text, mode: 0o644, role: 'service', service: p.name });
  return files;
}

/** A scheduled `opsdeck` command as a .service + .timer pair (Persistent=true: a run missed while off happens at boot). */
function scheduled(c: Ctx, what: 'backup' | 'verify', schedule: string, args: string[]): UnitFile[] {
  const base = `${unitPrefix(stackName(c))}-${what}`;
  const service = unitText(c.header, [
    ['Unit', [['Description', textValue(`Opsdeck ${what === 'backup' ? 'backup' : 'backup verification'} of stack ${stackName(c)}`)]]],
    ['Service', [['Type', 'oneshot'], ['ExecStart', execLine([...c.opts.launcher.cli, '--stack', c.stack.dir, ...args])], ['WorkingDirectory', pathValue(c.stack.dir)], ['Environment', environmentAssignment('PATH', c.path)], ...runAs(c)]],
  ]);
  const timer = unitText(c.header, [
    ['Unit', [['Description', textValue(`Schedule of the ${what} of stack ${stackName(c)} (${schedule})`)]]],
    ['Timer', [['OnCalendar', onCalendar(schedule)], ['Persistent', 'true'], ['Unit', `${base}.service`]]],
    ['Install', [['WantedBy', 'timers.target']]],
  ]);
  return [
    { name: `${base}.service`, text: service, mode: 0o644, role: what },
    { name: `${base}.timer`, text: timer, mode: 0o644, role: 'timer' },
  ];
}

function nativeUnits(c: Ctx, notes: string[]): UnitFile[] {
  const plans = servicePlans(c.stack, c.path);
  const stack = stackName(c);
  const files = plans.flatMap((p) => serviceFiles(c, p));
  for (const p of plans) if (p.unresolved) notes.push(`${p.name}: "${p.unresolved}" is not on PATH now; systemd will look for it in its own search path`);
  const target = `${unitPrefix(stack)}.target`;
  files.push({
    name: target,
    text: unitText(c.header, [
      ['Unit', [['Description', textValue(`Opsdeck stack ${stack} (${c.stack.dir})`)], ['Wants', plans.map((p) => serviceUnit(stack, p.name)).join(' ')], ...network(c)]],
      ...install(c),
    ]),
    mode: 0o644,
    role: 'target',
  });
  const timer = delayTimer(c, target);
  if (timer) files.push(timer);
  const backup = c.stack.config.backup;
  if (backup.schedule) files.push(...scheduled(c, 'backup', backup.schedule, ['backup', '--no-progress']));
  if (backup.verify_schedule) files.push(...scheduled(c, 'verify', backup.verify_schedule, ['backups', 'verify', '--read-data-subset', backup.verify_subset]));
  if (c.opts.systemdVersion < RESTART_STEPS_SINCE) notes.push(`systemd ${c.opts.systemdVersion} < ${RESTART_STEPS_SINCE}: restarts wait a fixed RestartSec= (the backoff's first delay), not growing up to backoff.max`);
  notes.push('restart jitter and reset_after have no systemd equivalent; liveness probes are not run (systemd only sees the process exit)');
  return files;
}

/** The systemd unit set of a stack. */
export function systemdUnits(stack: LoadedStack, header: Header, opts: GenerateOptions, unitDir: string): Pick<UnitSet, 'files' | 'activate' | 'notes'> {
  const c: Ctx = { stack, header, opts, unitDir, system: opts.scope === 'system', path: opts.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  const notes: string[] = [];
  if (!c.system && stack.config.boot.after_network) notes.push('user units cannot wait for network-online.target (a system unit): the stack starts at login without it');
  const files = opts.mode === 'engine' ? engineUnits(c) : nativeUnits(c, notes);
  // What `install` enables: the timers, and what starts at boot without one.
  const activate = files.filter((f) => f.text.includes('\n[Install]\n')).map((f) => f.name);
  return { files, activate, notes };
}
