/**
 * Releases of a stack (docs/releases.md): deploy from an empty folder, update with version checks
 * and automatic rollback, rollback with the data following (down-steps, the pre-update snapshot,
 * or kept), and recovery of an operation a kill left in progress. The engine that runs the stack
 * is reached through ReleaseEngineHost: the CLI starts one in the background when none runs, the
 * engine itself hands over its own.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadedStack } from '../config/load';
import { changedServices } from '../config-reload';
import type { EngineLike } from '../contract/engine';
import type { DeployRequest, Ledger, LedgerEntry, ReleaseList, ReleaseProgressOptions, ReleaseRunResult, ReleaseService, RollbackData, RollbackRequest, UpdateRequest } from '../contract/releases';
import { OpsError, isOpsError } from '../errors';
import { dependentsOf, withDependencies } from '../graph';
import { applySteps, takeSnapshot, undoData, type ReleaseAtHand } from './data';
import { healthGate } from './gate';
import { CURRENT_LINK, currentVersion, installedVersions, linkShared, pruneReleases, releaseDir, RELEASES_DIR, switchCurrent } from './layout';
import { beginEntry, interrupted, readLedger } from './ledger';
import { releaseEnv, runReleaseCommand, schemaServices, serviceDirIn } from './migrations';
import { prepareTarget, type Prepared } from './prepare';
import { ReleaseRun } from './run';
import { describeSource, listVersions, sourceArg, sourceFromArg, sourceFromConfig, type SourceSpec } from './source';
import { withReleaseLock } from './release-lock';
import { compareVersions } from './versions';

export interface ReleaseEngineHost {
  readonly stackDir: string;
  /** The engine running the stack, if one runs. */
  running(): Promise<EngineLike | undefined>;
  /** Start an engine in the background running `services` (and what they depend on); the running one starts them. */
  start(services: string[]): Promise<EngineLike>;
  /** Install the stack's boot units (`release.units: true`); what was written, one line. Absent: not offered here. */
  installUnits?(stack: LoadedStack): Promise<string>;
}

export interface ReleaseManagerOptions {
  /** The test hook: stop for good at this stage (PAUSE_ENV). */
  pauseAt?: string;
}

const DEFAULT_GATE_MS = 120_000;

export class ReleaseManager implements ReleaseService {
  constructor(
    private readonly host: ReleaseEngineHost,
    private readonly opts: ReleaseManagerOptions = {},
  ) {}

  private get dir(): string {
    return this.host.stackDir;
  }

  async list(): Promise<ReleaseList> {
    const ledger = await readLedger(this.dir);
    const current = ledger.current ?? currentVersion(this.dir);
    const installed = installedVersions(this.dir);
    let available: string[] = [];
    const source = await this.sourceOf(ledger, current).catch(() => undefined);
    if (source) available = await listVersions(source).catch(() => []);
    const all = [...new Set([...installed, ...available])].sort(compareVersions);
    const stuck = interrupted(ledger);
    return {
      ...(current ? { current } : {}),
      schema: ledger.schema,
      ...(source ? { source: describeSource(source) } : {}),
      releases: all.map((version) => ({ version, current: version === current, installed: installed.includes(version), available: available.includes(version) })),
      ledger: ledger.entries,
      ...(stuck ? { interrupted: stuck } : {}),
    };
  }

  /** The source: the current release's `release.source`, else what the first deploy was given. */
  private async sourceOf(ledger: Ledger, current: string | undefined, from?: string): Promise<SourceSpec | undefined> {
    if (from) return sourceFromArg(from, process.cwd());
    if (current) {
      const stack = await loadConfig(releaseDir(this.dir, current)).catch(() => undefined);
      const declared = stack?.config.release?.source;
      if (declared) return sourceFromConfig(declared, this.dir);
    }
    return ledger.source ? sourceFromArg(ledger.source, this.dir) : undefined;
  }

  private async release(version: string): Promise<ReleaseAtHand> {
    return { version, stack: await loadConfig(releaseDir(this.dir, version)) };
  }

  deploy(req: DeployRequest, opts: ReleaseProgressOptions = {}): Promise<ReleaseRunResult> {
    return withReleaseLock(this.dir, async () => {
      const ledger = await readLedger(this.dir);
      const recovered = !req.dryRun && interrupted(ledger) ? await this.recover(ledger, opts) : undefined;
      const current = ledger.current ?? currentVersion(this.dir);
      if (current) return this.updateLocked({ ...(req.version ? { to: req.version } : {}), ...(req.dryRun ? { dryRun: true } : {}) }, opts, recovered, req.from);
      const source = await this.sourceOf(ledger, undefined, req.from);
      if (!source) throw new OpsError('RELEASE_NOT_FOUND', `nothing is deployed in ${this.dir} and no source is known`, 'name one: opsdeck deploy --from <git repository | folder | app-{version}.tgz | npm:package>');
      const started = Date.now();
      const target = await prepareTarget({ stackDir: this.dir, ledger, source, ...(req.version ? { to: req.version } : {}), allowDowngrade: false, checkPorts: true, what: 'deploy', dryRun: !!req.dryRun });
      const plan = this.planLines(undefined, target, target.stack.services, 'deploy');
      if (req.dryRun) {
        target.discard();
        return { op: 'deploy', dryRun: true, ok: true, version: target.version, plan, durationMs: Date.now() - started, timings: [] };
      }
      ledger.source = sourceArg(source);
      const entry = beginEntry(ledger, 'deploy', target.version, undefined);
      if (target.sourceCommit) entry.sourceCommit = target.sourceCommit;
      const run = new ReleaseRun(this.dir, ledger, entry, opts.onProgress, this.opts.pauseAt, started);
      let engine: EngineLike | undefined;
      try {
        await this.install(run, target);
        await run.stage('switch', `switch current → ${target.version}`);
        await switchCurrent(this.dir, target.version);
        ledger.current = target.version;
        await run.save();
        if (target.steps.length) {
          const needs = this.migrationNeeds(target.stack, target.steps.map((s) => s.service));
          await run.stage('migrate', `start ${needs.join(', ') || 'nothing'} for the migrations`);
          engine = await this.host.start(needs);
          const gateProblem = needs.length ? await healthGate(engine, needs, this.gateMs(target.stack)) : undefined;
          if (gateProblem) throw new OpsError('RELEASE_FAILED', gateProblem, 'see `opsdeck status` and `opsdeck logs <service>`');
          await applySteps(run, target.steps, [{ version: target.version, stack: target.stack }]);
        }
        await run.stage('start', `start the stack in dependency order (${target.stack.services.length} services)`);
        engine = engine ? (await engine.up(), engine) : await this.host.start(target.stack.services);
        await this.gate(run, engine, target.stack, target.stack.services);
        if (target.stack.config.release?.units) {
          run.say(this.host.installUnits ? await this.host.installUnits(await loadConfig(this.dir)) : 'release.units: the boot units are installed by the CLI: run `opsdeck units install`');
        }
        await run.finish('ok');
        return this.result(run, 'deploy', plan, recovered);
      } catch (e) {
        const error = errorText(e);
        const actions: string[] = [];
        if (engine) {
          await (async () => engine.down())().catch(() => undefined);
          actions.push('stopped the stack');
        }
        forgetFirstDeploy(this.dir, ledger);
        actions.push('nothing ran before this first deploy: deploy again once the problem is fixed');
        await run.finish('failed', { error, actions });
        return this.result(run, 'deploy', plan, recovered, { stage: run.entry.timings.at(-1)?.stage ?? 'check', error, actions });
      }
    });
  }

  update(req: UpdateRequest, opts: ReleaseProgressOptions = {}): Promise<ReleaseRunResult> {
    return withReleaseLock(this.dir, async () => {
      const ledger = await readLedger(this.dir);
      const recovered = !req.dryRun && interrupted(ledger) ? await this.recover(ledger, opts) : undefined;
      return this.updateLocked(req, opts, recovered);
    });
  }

  private async updateLocked(req: UpdateRequest, opts: ReleaseProgressOptions, recovered: LedgerEntry | undefined, from?: string): Promise<ReleaseRunResult> {
    const started = Date.now();
    const ledger = await readLedger(this.dir);
    const currentV = ledger.current ?? currentVersion(this.dir);
    if (!currentV) throw new OpsError('RELEASE_NOT_FOUND', 'nothing is deployed yet', 'run `opsdeck deploy --from <source>` first');
    const current = await this.release(currentV);
    const source = await this.sourceOf(ledger, currentV, from);
    const target = await prepareTarget({ stackDir: this.dir, ledger, current, ...(source ? { source } : {}), ...(req.to ? { to: req.to } : {}), allowDowngrade: !!req.allowDowngrade, checkPorts: false, what: 'update', dryRun: !!req.dryRun });
    if (target.version === currentV) {
      target.discard();
      return { op: 'update', dryRun: !!req.dryRun, ok: true, from: currentV, version: currentV, plan: [`${currentV} already runs: nothing to do`], ...(recovered ? { recovered } : {}), durationMs: Date.now() - started, timings: [] };
    }
    const changing = this.changing(current.stack, target.stack);
    const plan = this.planLines(current, target, changing, 'update');
    if (req.dryRun) {
      target.discard();
      return { op: 'update', dryRun: true, ok: true, from: currentV, version: target.version, plan, durationMs: Date.now() - started, timings: [] };
    }
    const entry = beginEntry(ledger, 'update', target.version, currentV);
    if (target.sourceCommit) entry.sourceCommit = target.sourceCommit;
    const run = new ReleaseRun(this.dir, ledger, entry, opts.onProgress, this.opts.pauseAt, started);
    let engine: EngineLike | undefined;
    const releases: ReleaseAtHand[] = [{ version: target.version, stack: target.stack }, current];
    try {
      await this.install(run, target);
      engine = (await this.host.running()) ?? (await this.host.start(current.stack.services));
      await run.stage('snapshot', 'pre-update snapshot');
      const snapshot = await takeSnapshot(engine, current.stack, `before-${target.version}`);
      if (snapshot) {
        entry.snapshot = snapshot;
        run.say(`snapshot ${snapshot.slice(0, 8)}`);
      } else run.say('no service declares a backup: no snapshot (steps without down cannot be taken back)');
      await this.moveTo(run, engine, current, { version: target.version, stack: target.stack }, changing, target.steps, releases);
      await run.finish('ok');
      const removed = pruneReleases(this.dir, target.stack.config.release?.keep ?? 5, [target.version, currentV]);
      if (removed.length) run.say(`removed old releases ${removed.join(', ')}`);
      return this.result(run, 'update', plan, recovered);
    } catch (e) {
      return this.failed(run, e, engine, current, releases, changing, plan, recovered);
    }
  }

  /** Stop what changes, run the steps, switch, start behind the health gate. */
  private async moveTo(run: ReleaseRun, engine: EngineLike, from: ReleaseAtHand, to: ReleaseAtHand, changing: string[], steps: Prepared['steps'], releases: ReleaseAtHand[]): Promise<void> {
    await run.stage('stop', `stop ${changing.join(', ') || 'nothing'} (dependents first)`);
    const stop = changing.filter((s) => Object.hasOwn(from.stack.config.services, s));
    if (stop.length) await engine.down(stop);
    await run.stage('migrate', steps.length ? `${steps.length} migration step${steps.length === 1 ? '' : 's'}` : 'no migrations');
    if (steps.length) {
      const needs = this.migrationNeeds(from.stack, steps.map((s) => s.service)).filter((s) => Object.hasOwn(from.stack.config.services, s));
      if (needs.length) {
        await engine.up(needs);
        const problem = await healthGate(engine, needs, this.gateMs(from.stack));
        if (problem) throw new OpsError('RELEASE_FAILED', `the services the migrations need are not ready: ${problem}`, 'see `opsdeck status`');
      }
      await applySteps(run, steps, releases);
    }
    await run.stage('switch', `switch current → ${to.version}`);
    await switchCurrent(this.dir, to.version);
    run.ledger.current = to.version;
    await run.save();
    await run.pausePoint('switch');
    await run.stage('start', `start ${changing.join(', ') || 'nothing'} in dependency order`);
    await engine.reload();
    await engine.up();
    await this.gate(run, engine, to.stack, to.stack.services);
  }

  private async gate(run: ReleaseRun, engine: EngineLike, stack: LoadedStack, services: string[]): Promise<void> {
    await run.stage('health', `health gate: ready and every check passing (within ${Math.round(this.gateMs(stack) / 1000)}s)`);
    await run.pausePoint('health');
    const problem = await healthGate(engine, services, this.gateMs(stack));
    if (problem) throw new OpsError('RELEASE_FAILED', `health gate: ${problem}`, 'see `opsdeck status` and `opsdeck logs <service>`');
  }

  private gateMs(stack: LoadedStack): number {
    return stack.config.release?.health_timeout ?? DEFAULT_GATE_MS;
  }

  /** Fetched into place, shared paths linked, every `install:` run. */
  private async install(run: ReleaseRun, target: Prepared): Promise<void> {
    await run.stage('install', `install ${target.version}`);
    const dest = releaseDir(this.dir, target.version);
    if (target.fetched) {
      rmSync(dest, { recursive: true, force: true });
      renameSync(target.folder, dest);
    }
    linkShared(this.dir, dest, target.stack.config.release?.shared ?? []);
    await run.pausePoint('install');
    for (const [service, cfg] of Object.entries(target.stack.config.services)) {
      if (!cfg.install) continue;
      const commands = installCommands(cfg.install);
      for (const command of commands) {
        run.say(`install ${service}: ${typeof command === 'string' ? command : command.join(' ')}`);
        await runReleaseCommand(command, `${service}'s install`, { cwd: serviceDirIn(target.stack, service, this.dir, dest), env: releaseEnv(target.stack, service, this.dir, target.version, dest) });
      }
    }
  }

  /** What an update stops and starts again: changed, with install or migrate, and their dependents. */
  private changing(from: LoadedStack, to: LoadedStack): string[] {
    const touched = new Set([...changedServices(from, to), ...Object.entries(to.config.services).filter(([, s]) => s.install || s.migrate).map(([n]) => n), ...schemaServices(from, to)]);
    for (const s of [...touched]) if (Object.hasOwn(from.config.services, s)) for (const d of dependentsOf(from.config.services, s)) touched.add(d);
    return [...touched].filter((s) => Object.hasOwn(from.config.services, s) || Object.hasOwn(to.config.services, s));
  }

  /** What the migrating services need running: their dependencies, not themselves. */
  private migrationNeeds(stack: LoadedStack, migrating: string[]): string[] {
    return withDependencies(stack.config.services, migrating.filter((s) => Object.hasOwn(stack.config.services, s)).flatMap((s) => Object.keys(stack.config.services[s]!.depends_on))).filter((s) => !migrating.includes(s));
  }

  private planLines(current: ReleaseAtHand | undefined, target: Prepared, changing: string[], op: 'deploy' | 'update'): string[] {
    return [
      `${op} ${current ? `${current.version} → ` : ''}${target.version}${target.sourceCommit ? ` (${target.sourceCommit.slice(0, 12)})` : ''}`,
      `install into releases/${target.version}`,
      ...(current ? ['take the pre-update snapshot (services with a backup)', `stop ${changing.join(', ') || 'nothing'}`] : []),
      ...target.steps.map((s) => `migrate ${s.service} ${s.direction} ${s.version}`),
      `switch current → ${target.version}`,
      `start in dependency order, then the health gate (${Math.round(this.gateMs(target.stack) / 1000)}s)`,
      ...(!current && target.stack.config.release?.units ? ['install the boot units (release.units)'] : []),
    ];
  }

  /** An update that failed: take it back (data, switch, start), and say what was done. */
  private async failed(run: ReleaseRun, e: unknown, engine: EngineLike | undefined, back: ReleaseAtHand, releases: ReleaseAtHand[], changing: string[], plan: string[], recovered: LedgerEntry | undefined): Promise<ReleaseRunResult> {
    const stage = run.entry.stage;
    const error = errorText(e);
    run.say(`failed at ${stage}: ${error}; rolling back to ${back.version}`);
    const actions: string[] = [];
    try {
      actions.push(...(await this.returnTo(run, engine, back, releases, changing)));
      await run.finish('rolled-back', { error, actions });
    } catch (undoError) {
      actions.push(`the automatic rollback failed: ${errorText(undoError)}`);
      await run.finish('failed', { error, actions });
    }
    return this.result(run, run.entry.op, plan, recovered, { stage, error, ...(run.entry.result === 'rolled-back' ? { rolledBackTo: back.version } : {}), actions });
  }

  /** Back to `back`: stop what changes, take the data back, switch, start behind the gate. */
  private async returnTo(run: ReleaseRun, engine: EngineLike | undefined, back: ReleaseAtHand, releases: ReleaseAtHand[], changing: string[]): Promise<string[]> {
    const actions: string[] = [];
    const e = engine ?? (await this.host.running()) ?? (await this.host.start(this.migrationNeeds(back.stack, Object.keys(back.stack.config.services))));
    const known = new Set((await e.status()).services.map((s) => s.name));
    const stop = changing.filter((s) => known.has(s));
    if (stop.length) {
      await e.down(stop);
      actions.push(`stopped ${stop.join(', ')}`);
    }
    const needs = this.migrationNeeds(back.stack, schemaServices(back.stack, ...releases.map((r) => r.stack))).filter((s) => known.has(s));
    if (needs.length && (run.entry.migrations.length || run.entry.migrating)) {
      await e.up(needs);
      await healthGate(e, needs, this.gateMs(back.stack));
    }
    actions.push(...(await undoData(run, e, releases, back.stack)));
    if (currentVersion(this.dir) !== back.version) {
      await switchCurrent(this.dir, back.version);
      actions.push(`switched current back to ${back.version}`);
    }
    run.ledger.current = back.version;
    await run.save();
    await e.reload();
    await e.up();
    const problem = await healthGate(e, back.stack.services, this.gateMs(back.stack));
    if (problem) throw new OpsError('RELEASE_FAILED', `${back.version} is not healthy after the rollback: ${problem}`, 'see `opsdeck status`');
    actions.push(`started ${back.version}: healthy, every check passing`);
    return actions;
  }

  /** An operation a kill left in progress: back to the release that ran before it. */
  private async recover(ledger: Ledger, opts: ReleaseProgressOptions): Promise<LedgerEntry> {
    const entry = interrupted(ledger)!;
    const run = new ReleaseRun(this.dir, ledger, entry, opts.onProgress, undefined);
    run.say(`recovering the ${entry.op} to ${entry.version}, interrupted at ${entry.stage}`);
    const error = `interrupted at ${entry.stage} (the process ended before it finished)`;
    if (!entry.from) {
      // A first deploy: nothing ran before; the next deploy starts it again over what is there.
      const actions = ['nothing ran before this first deploy: deploy again'];
      const engine = await this.host.running();
      if (engine) {
        await (async () => engine.down())().catch(() => undefined);
        actions.unshift('stopped the stack');
      }
      forgetFirstDeploy(this.dir, ledger);
      await run.finish('failed', { error, actions });
      return entry;
    }
    const releases: ReleaseAtHand[] = [];
    for (const v of [entry.version, entry.from]) if (existsSync(path.join(releaseDir(this.dir, v), 'opsdeck.yaml'))) releases.push(await this.release(v).catch(() => undefined as never));
    const back = releases.find((r) => r?.version === entry.from);
    if (!back) throw new OpsError('RELEASE_FAILED', `cannot recover: release ${entry.from} is no longer in releases/`, 'deploy it again: opsdeck update --to <version> --allow-downgrade');
    const other = releases.find((r) => r.version !== back.version);
    const changing = other ? this.changing(back.stack, other.stack) : [];
    try {
      const actions = await this.returnTo(run, undefined, back, releases.filter(Boolean), changing);
      await run.finish('recovered', { error, actions });
    } catch (e) {
      await run.finish('failed', { error, actions: [`recovery failed: ${errorText(e)}`] });
      throw e;
    }
    return entry;
  }

  rollback(req: RollbackRequest, opts: ReleaseProgressOptions = {}): Promise<ReleaseRunResult> {
    return withReleaseLock(this.dir, async () => {
      const started = Date.now();
      let ledger = await readLedger(this.dir);
      let recovered: LedgerEntry | undefined;
      if (!req.dryRun && interrupted(ledger)) {
        recovered = await this.recover(ledger, opts);
        // The recovery already went back to the release before the interrupted update: that is the rollback asked for when no version is named.
        if (!req.to) return { op: 'rollback', dryRun: false, ok: true, version: ledger.current ?? '', plan: [`recovered the interrupted ${recovered.op}: back to ${ledger.current}`], recovered, durationMs: Date.now() - started, timings: [] };
        ledger = await readLedger(this.dir);
      }
      const currentV = ledger.current ?? currentVersion(this.dir);
      if (!currentV) throw new OpsError('RELEASE_NOT_FOUND', 'nothing is deployed yet', 'run `opsdeck deploy --from <source>` first');
      const to = req.to ?? this.previous(ledger, currentV);
      if (!to) throw new OpsError('RELEASE_NOT_FOUND', `there is no release before ${currentV} to roll back to`, 'name one with --to (see `opsdeck releases`)');
      if (to === currentV) throw new OpsError('RELEASE_CHECK_FAILED', `${to} already runs; nothing was changed`, 'name another release with --to (see `opsdeck releases`)');
      if (!installedVersions(this.dir).includes(to)) {
        throw new OpsError('RELEASE_NOT_FOUND', `release ${to} is not in releases/ any more (kept: ${installedVersions(this.dir).join(', ')}); nothing was changed`, `fetch it again with \`opsdeck update --to ${to} --allow-downgrade\``);
      }
      const current = await this.release(currentV);
      const target = await prepareTarget({ stackDir: this.dir, ledger, current, to, allowDowngrade: true, checkPorts: false, what: 'rollback' });
      const data = this.dataMode(req.data, target.steps, ledger, currentV, to);
      const changing = this.changing(current.stack, target.stack);
      const snapshotOfUpdate = this.updateSnapshot(ledger, to, currentV);
      const plan = [
        `rollback ${currentV} → ${to} (data: ${data})`,
        ...(data === 'down' ? ['take a safety snapshot (services with a backup)'] : []),
        `stop ${changing.join(', ') || 'nothing'}`,
        ...(data === 'down' ? target.steps.map((s) => `migrate ${s.service} ${s.direction} ${s.version}`) : data === 'restore' ? [`restore the snapshot ${snapshotOfUpdate?.slice(0, 8)} taken before the update to ${currentV}`] : ['keep the data as it is']),
        `switch current → ${to}`,
        'start in dependency order, then the health gate',
      ];
      if (req.dryRun) return { op: 'rollback', dryRun: true, ok: true, from: currentV, version: to, plan, durationMs: Date.now() - started, timings: [] };
      const entry = beginEntry(ledger, 'rollback', to, currentV);
      const run = new ReleaseRun(this.dir, ledger, entry, opts.onProgress, this.opts.pauseAt, started);
      const releases: ReleaseAtHand[] = [current, { version: to, stack: target.stack }];
      let engine: EngineLike | undefined;
      try {
        engine = (await this.host.running()) ?? (await this.host.start(current.stack.services));
        if (data === 'down') {
          await run.stage('snapshot', 'safety snapshot before the down-steps');
          const s = await takeSnapshot(engine, current.stack, `before-rollback-${to}`);
          if (s) entry.snapshot = s;
        }
        if (data === 'restore') {
          await run.stage('stop', `stop ${changing.join(', ')}`);
          const stop = changing.filter((s) => Object.hasOwn(current.stack.config.services, s));
          if (stop.length) await engine.down(stop);
          await run.stage('migrate', `restore the snapshot ${snapshotOfUpdate!.slice(0, 8)}`);
          await engine.backups.restore(snapshotOfUpdate!, { services: Object.entries(current.stack.config.services).filter(([, s]) => s.backup).map(([n]) => n), inPlace: true });
          for (const step of target.steps) ledger.schema[step.service] = step.version - 1;
          entry.migrations.push(...target.steps.map((s) => ({ service: s.service, version: s.version, direction: s.direction })));
          await run.save();
          await this.moveTo(run, engine, current, releases[1]!, changing, [], releases);
        } else {
          await this.moveTo(run, engine, current, releases[1]!, changing, data === 'down' ? target.steps : [], releases);
        }
        await run.finish('ok');
        return this.result(run, 'rollback', plan, recovered);
      } catch (e) {
        return this.failed(run, e, engine, current, releases, changing, plan, recovered);
      }
    });
  }

  /** The release that ran before `current`: the `from` of the operation that brought it. */
  private previous(ledger: Ledger, current: string): string | undefined {
    const brought = broughtBy(ledger, current);
    if (brought?.from) return brought.from;
    return installedVersions(this.dir).filter((v) => compareVersions(v, current) < 0).at(-1);
  }

  /** The snapshot taken before the update from `to` to `current` (what --data restore brings back). */
  private updateSnapshot(ledger: Ledger, to: string, current: string): string | undefined {
    return [...ledger.entries].reverse().find((e) => leftRunning(e, current) && e.from === to && e.snapshot)?.snapshot;
  }

  /** `--data`, checked: down needs every step's down; restore needs the update's snapshot. Default: down. */
  private dataMode(asked: RollbackData | undefined, steps: Prepared['steps'], ledger: Ledger, current: string, to: string): RollbackData {
    const mode = asked ?? 'down';
    const refuse = (problem: string, hint: string) => new OpsError('RELEASE_CHECK_FAILED', `cannot roll back to ${to} with --data ${mode}; nothing was changed: ${problem}`, hint);
    if (mode === 'down') {
      const missing = steps.filter((s) => s.command === undefined).map((s) => `${s.service} step ${s.version}`);
      if (missing.length) throw refuse(`${missing.join(', ')} ha${missing.length === 1 ? 's' : 've'} no down step`, `--data restore brings back the snapshot taken before the update to ${current} (writes since then are lost), --data keep leaves the data as it is`);
    }
    if (mode === 'restore' && !this.updateSnapshot(ledger, to, current)) {
      throw refuse(`the ledger has no snapshot taken before an update from ${to} to ${current}`, '--data down runs the down-steps instead; declare a `backup:` for the services so that updates take a snapshot');
    }
    return mode;
  }

  private result(run: ReleaseRun, op: ReleaseRunResult['op'], plan: string[], recovered: LedgerEntry | undefined, failure?: ReleaseRunResult['failure']): ReleaseRunResult {
    return {
      op,
      dryRun: false,
      ok: !failure,
      ...(run.entry.from ? { from: run.entry.from } : {}),
      version: run.entry.version,
      plan,
      entry: run.entry,
      ...(failure ? { failure } : {}),
      ...(recovered ? { recovered } : {}),
      durationMs: Date.now() - run.startedAt,
      timings: run.entry.timings,
    };
  }
}

/** A first deploy that failed or was interrupted: no current release, so the next deploy starts again. */
function forgetFirstDeploy(stackDir: string, ledger: Ledger): void {
  rmSync(path.join(stackDir, CURRENT_LINK), { force: true });
  delete ledger.current;
}

const errorText = (e: unknown): string => (isOpsError(e) ? e.message : e instanceof Error ? e.message : String(e));

/** Temporary folders a killed fetch left in releases/. */
export function leftoverFetches(stackDir: string): string[] {
  const dir = path.join(stackDir, RELEASES_DIR);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.') && n.endsWith('.tmp')) : [];
}

/** `install:` as a list of commands: one argv, one shell string, or a list of either. */
function installCommands(install: NonNullable<LoadedStack['config']['services'][string]['install']>): (string[] | string)[] {
  if (typeof install === 'string') return [install];
  return install.some((c) => Array.isArray(c)) ? (install as (string[] | string)[]) : [install as string[]];
}

/**
 * An update that left `current` running: one that succeeded, or one that failed and whose
 * automatic rollback failed too (the stack stays on the new release; `rollback` must still find
 * the release it came from and the snapshot taken before it).
 */
function leftRunning(e: LedgerEntry, current: string): boolean {
  return e.op === 'update' && e.version === current && (e.result === 'ok' || e.result === 'failed');
}

/** The latest update that brought `current`. */
function broughtBy(ledger: Ledger, current: string): LedgerEntry | undefined {
  return [...ledger.entries].reverse().find((e) => leftRunning(e, current) && e.from);
}
