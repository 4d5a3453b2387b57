/**
 * Backups of one stack, as the engine runs them: the adapters take consistent copies of every
 * service's data (./collect), the repository (./repo) stores them as one snapshot with its
 * metadata (./manifest), a structure check follows every backup; listing, diff, retention
 * (./retention), prune, verification, restores (./restore) and drills (./drill) go through here
 * too, as do the schedule and the RPO watch (./schedule, ./objectives). Operations that write the
 * repository or touch services run one at a time; every run and its result is an event on the bus
 * (so memory can search them).
 *
 * The engine that owns the stack has one BackupManager (Engine.backups) and is its BackupHost
 * (./host); a one-shot CLI command with no engine running builds an Engine of its own, holding
 * the stack lock meanwhile.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LoadedStack } from '../config/load';
import { OpsError } from '../errors';
import { didYouMean } from '../config/suggest';
import { copiesMade, hasBackup, SqliteChecks, STACK_SERVICE, type BackupItem } from './adapters';
import { collectSources } from './collect';
import { runDrill } from './drill';
import { count, shortId } from '../format';
import { BackupHistory } from './history';
import type { BackupHost } from './host';
import { gitCommit } from './git-commit';
import { backupMeta, previousSqlite, sqliteStateOf, type BackupMeta } from './manifest';
import { rpoStatus } from './objectives';
import {
  initRepository,
  isRepository,
  openRepository,
  type BackupProgress,
  type BackupRepository,
  type KeySource,
  type PruneReport,
  type RestoreProgress,
  type Snapshot,
  type SnapshotDiff,
  type SnapshotInfo,
  type SnapshotListing,
  type UnreadableSnapshot,
  type VerifyProblem,
  type VerifyProgress,
  type VerifyReport,
} from './repo';
import { checkIncludes, restoreInPlace, restoreToTarget, type RestoreContext } from './restore';
import { retentionFromConfig, retentionPolicy } from './retention';
import { BackupScheduler } from './schedule';
import type {
  BackupRequest,
  BackupRunResult,
  BackupService,
  BackupStatus,
  DrillRequest,
  DrillRunResult,
  ForgetRequest,
  ForgetRunResult,
  Progress,
  RestoreRequest,
  RestoreRunResult,
  RpoServiceStatus,
  VerifyRequest,
  BackupInitResult,
} from '../contract/backups';
import type { BackupTrigger } from '../contract/events';
import { privateDir } from '../private-files';

export interface BackupManagerOptions extends BackupHost {
  /** The key of an encrypted repository (default: OPSDECK_BACKUP_KEY, when set). */
  key?: KeySource;
}

const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;

interface BackupOptions extends Progress<BackupProgress> {
  trigger?: BackupTrigger;
  /** Safety snapshots: dumps first, then this (stopping the services), then the files. */
  between?: () => Promise<void>;
}

interface VerifyOptions extends Progress<VerifyProgress> {
  trigger?: BackupTrigger;
}

export class BackupManager implements BackupService {
  readonly history: BackupHistory;
  private readonly scheduler: BackupScheduler;
  private tail: Promise<unknown> = Promise.resolve();
  private running: string | undefined;

  constructor(private readonly opts: BackupManagerOptions) {
    this.history = BackupHistory.forStack(opts.stack().dir);
    this.scheduler = new BackupScheduler(this, opts.bus, opts.clock);
  }

  get stack(): LoadedStack {
    return this.opts.stack();
  }

  get repositoryDir(): string {
    return path.resolve(this.stack.dir, this.stack.config.backup.repository);
  }

  /** Start the schedule (backup, retention, verify crons) and the RPO watch. */
  start(): void {
    this.scheduler.start();
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** The operation running now (for `status`), if any. */
  get busy(): string | undefined {
    return this.running;
  }

  // ------------------------------------------------------------------ repository

  private keySource(): KeySource | undefined {
    if (this.opts.key) return this.opts.key;
    const b = this.stack.config.backup;
    if (b.key_file) return { keyFile: path.resolve(this.stack.dir, b.key_file) };
    if (b.key_env) return { env: b.key_env };
    return undefined;
  }

  /** Open the repository; with `create`, make it first when missing (unencrypted unless configured). */
  async repo(create = false): Promise<{ repo: BackupRepository; created: boolean }> {
    const dir = this.repositoryDir;
    const key = this.keySource();
    if (await isRepository(dir)) {
      const repo = await openRepository(dir, key ? { key } : {});
      if (create) this.remember(repo);
      return { repo, created: false };
    }
    if (!create) {
      throw new OpsError('BACKUP_REPO_NOT_FOUND', `there is no backup repository at ${dir} yet`, 'run `opsdeck backup` (it creates one), or `opsdeck backups init`');
    }
    // A repository this stack has backed up into is gone (an unmounted disk, a moved folder):
    // making a new, empty one there would hide that, and fill the wrong disk.
    const known = this.history.read().repository;
    if (known && path.resolve(known.dir) === dir) {
      throw new OpsError(
        'BACKUP_REPO_NOT_FOUND',
        `the backup repository at ${dir} is gone: this stack backed up into it (repository ${known.id.slice(0, 8)}, last used ${new Date(known.at).toISOString()}); nothing was written`,
        'is its disk mounted, or was it moved (then set backup.repository)? To start a new, empty repository there: `opsdeck backups init`',
      );
    }
    const b = this.stack.config.backup;
    const encryption = b.key_file || b.key_env ? key : undefined;
    const repo = await initRepository(dir, encryption ? { encryption } : {});
    this.remember(repo);
    return { repo, created: true };
  }

  /** Record the repository a backup writes into (only when it changed: a backup's one small write). */
  private remember(repo: BackupRepository): void {
    const known = this.history.read().repository;
    if (known?.id === repo.config.id && known.dir === repo.dir && this.opts.clock.now() - known.at < 3_600_000) return;
    this.history.update((h) => (h.repository = { dir: repo.dir, id: repo.config.id, at: this.opts.clock.now() }));
  }

  /** `opsdeck backups init`: create the repository (fails when one exists). */
  async init(opts: { encrypt?: boolean } = {}): Promise<BackupInitResult> {
    return this.exclusive('init', async () => {
      const key = this.keySource();
      const encryption = opts.encrypt ? (key ?? true) : this.stack.config.backup.key_file || this.stack.config.backup.key_env ? key : undefined;
      const repo = await initRepository(this.repositoryDir, encryption ? { encryption } : {});
      this.remember(repo);
      return { repository: repo.dir, encrypted: repo.encrypted, id: repo.config.id };
    });
  }

  /** One mutating operation at a time (the repository has its own lock across processes). */
  private exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      this.running = what;
      try {
        return await fn();
      } finally {
        this.running = undefined;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  // ------------------------------------------------------------------ backup

  /** Services a backup takes: those asked for (checked), else the profile's that declare a backup. */
  selectServices(asked?: string[]): string[] {
    const stack = this.stack;
    const names = Object.keys(stack.config.services);
    if (asked?.length) {
      for (const s of asked) {
        if (s === STACK_SERVICE) continue;
        if (!stack.config.services[s]) throw new OpsError('SERVICE_UNKNOWN', `no service named "${s}" in stack ${stack.config.name}`, didYouMean(s, names) ?? `the services are ${names.join(', ')}`);
        if (!hasBackup(stack.config.services[s]!.backup)) {
          throw new OpsError('BAD_REQUEST', `service ${s} declares nothing to back up`, `add a \`backup:\` key to services.${s} in opsdeck.yaml (sqlite, files, postgres or command; see docs/backup.md)`);
        }
      }
      return [...new Set(asked.filter((s) => s !== STACK_SERVICE))];
    }
    return stack.services.filter((s) => hasBackup(stack.config.services[s]?.backup));
  }

  async backup(req: BackupRequest = {}, opts: BackupOptions = {}): Promise<BackupRunResult> {
    const tags = req.tags ?? [];
    for (const t of tags) if (!TAG_RE.test(t)) throw new OpsError('BAD_REQUEST', `tag "${t}" is invalid`, 'tags are 1-64 letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit');
    const services = this.selectServices(req.services);
    return this.exclusive('backup', () => this.runBackup(services, tags, !!req.dryRun, opts));
  }

  private async runBackup(services: string[], tags: string[], dryRun: boolean, opts: BackupOptions): Promise<BackupRunResult> {
    const stack = this.stack;
    const trigger = opts.trigger ?? 'manual';
    const t0 = performance.now();
    const svc = services.length === 1 ? services[0]! : 'stack';
    const bus = this.opts.bus;
    const at = () => this.opts.clock.now();
    // A dry run changes nothing, the stack folder included: no events, staging in the system's temp folder.
    if (!dryRun) bus.emit({ type: 'backup', at: at(), service: svc, phase: 'started', trigger, services, tags });
    const tmpRoot = dryRun ? os.tmpdir() : path.join(stack.dir, '.opsdeck', 'tmp');
    // Owner-only in the stack (it holds copies of the services' data); never narrow the system's.
    if (dryRun) mkdirSync(tmpRoot, { recursive: true });
    else privateDir(tmpRoot);
    const staging = await mkdtemp(path.join(tmpRoot, 'opsdeck-backup-'));
    // The SQLite copies' checks run beside the repository's work; the snapshot waits for them.
    const checks = new SqliteChecks();
    let scratchRepo: string | undefined;
    let cleared: Promise<void> | undefined;
    let collected: BackupItem[] | undefined;
    try {
      let repo: BackupRepository;
      let created = false;
      if (dryRun && !(await isRepository(this.repositoryDir))) {
        // A dry run changes nothing: measure against an empty scratch repository instead.
        scratchRepo = path.join(staging, 'scratch-repo');
        repo = await initRepository(scratchRepo);
      } else ({ repo, created } = await this.repo(!dryRun));

      // git's files are read (or git runs, git-commit.ts) beside the copies
      const git = gitCommit(stack.dir).catch(() => ({}));
      const previous = await previousSqlite(repo, stack.config.name);
      // the repository's part of the start (index, the parent's chunk lists) beside the copies
      const prepared = repo.prepareBackup(stack.config.name);
      const { sources, items, skipped } = await collectSources(stack, services, staging, { safety: trigger === 'safety', previous, checks, ...(opts.between ? { between: opts.between } : {}) });
      collected = items;
      const meta = await backupMeta(stack, { services, tags, trigger, items, skipped, now: at, git });
      await prepared;
      const result = await repo
        .backup(sources, meta, { parent: 'latest', dryRun, beforeSnapshot: () => sqliteDone(items, checks, meta), signal: checks.signal, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })
        // Stopped by a failed check: that failure is the error.
        .catch(async (e: unknown) => {
          if (checks.signal.aborted) await checks.verdict();
          throw e;
        });
      const sum = result.summary;
      // The staged copies are read no more (the checks gave their verdict before the snapshot):
      // removed on the thread pool while the snapshot is checked (a 151 MiB copy takes ~60 ms).
      // A dry run's scratch repository is in the staging folder, and it is not checked.
      if (!dryRun) cleared = clearStaging(checks, staging, items);
      let check: BackupRunResult['check'];
      if (!dryRun) {
        const report = await repo.verify({ snapshot: result.snapshot.id, packs: result.packs });
        // Another snapshot's unreadable manifest does not make this one bad: a warning naming it
        // (verify reports it as an error), so a damaged old snapshot blocks no backup or restore.
        const other = (p: VerifyProblem) => p.kind === 'snapshot-unreadable' && p.snapshot !== result.snapshot.id;
        const problems = report.problems.map((p) => (other(p) ? { ...p, severity: 'warning' as const, message: `${p.message} (another snapshot, not this backup's; if it is beyond repair, delete snapshots/${p.snapshot} in the repository)` } : p));
        const errors = problems.filter((p) => p.severity === 'error');
        check = { ok: errors.length === 0, errors: errors.length, warnings: problems.length - errors.length, problems: problems.map((p) => p.message) };
      }
      const out: BackupRunResult = {
        dryRun,
        snapshot: result.snapshot.id,
        time: result.snapshot.time,
        repository: this.repositoryDir,
        repositoryCreated: created,
        services,
        tags: meta.tags,
        files: sum.filesNew + sum.filesChanged + sum.filesUnchanged,
        filesNew: sum.filesNew,
        filesChanged: sum.filesChanged,
        filesUnchanged: sum.filesUnchanged,
        bytesTotal: sum.bytesTotal,
        bytesRead: sum.bytesRead,
        bytesAdded: sum.bytesAdded,
        // The whole run: adapters (copies, dumps) and the repository's part.
        durationMs: Math.round(performance.now() - t0),
        notes: meta.extra.notes,
        skipped,
        ...(check ? { check } : {}),
      };
      if (check && !check.ok) {
        throw new OpsError('BACKUP_DATA_CORRUPT', `snapshot ${shortId(out.snapshot)} was written, but the structure check after it found ${check.errors} problem${check.errors === 1 ? '' : 's'}: ${check.problems[0]}`, 'run `opsdeck backups verify --read-data` to see what is affected', { result: out });
      }
      if (!dryRun) {
        bus.emit({
          type: 'backup', at: at(), service: svc, phase: 'completed', trigger, services, tags: out.tags, snapshot: out.snapshot, files: out.files,
          filesNew: out.filesNew, filesChanged: out.filesChanged, filesUnchanged: out.filesUnchanged, bytesAdded: out.bytesAdded, durationMs: out.durationMs,
        });
        this.scheduler.afterBackup();
      }
      return out;
    } catch (e) {
      if (!dryRun) bus.emit({ type: 'backup', at: at(), service: svc, phase: 'failed', trigger, services, tags, error: (e as Error).message });
      throw e;
    } finally {
      await (cleared ?? clearStaging(checks, staging, collected));
    }
  }

  // ------------------------------------------------------------------ reading

  async list(): Promise<SnapshotListing> {
    if (!(await isRepository(this.repositoryDir))) return { snapshots: [], unreadable: [] };
    return (await this.repo()).repo.listing();
  }

  async show(id: string): Promise<Snapshot> {
    return (await this.repo()).repo.snapshot(id);
  }

  async diff(a: string, b: string): Promise<SnapshotDiff> {
    return (await this.repo()).repo.diff(a, b);
  }

  // ------------------------------------------------------------------ retention, prune, verify

  async forget(req: ForgetRequest, trigger: BackupTrigger = 'manual'): Promise<ForgetRunResult> {
    const policy = retentionPolicy(req, this.stack.config.backup.retention);
    return this.exclusive('forget', async () => {
      const at = () => this.opts.clock.now();
      try {
        const { repo } = await this.repo();
        const r = await repo.forget(policy, { dryRun: !!req.dryRun, now: this.opts.clock });
        let prune: PruneReport | undefined;
        const wantPrune = req.prune ?? (trigger === 'schedule' ? (this.stack.config.backup.retention?.prune ?? true) : false);
        if (wantPrune && r.remove.length) prune = await repo.prune({ dryRun: !!req.dryRun });
        if (!req.dryRun) {
          this.opts.bus.emit({ type: 'retention', at: at(), service: 'stack', ok: true, trigger, kept: r.keep.length, forgotten: r.remove.map((s) => s.id), ...(prune ? { bytesFreed: prune.bytesFreed } : {}) });
          this.history.update((h) => (h.jobs.retention = { at: at(), ok: true, detail: `kept ${r.keep.length}, forgot ${r.remove.length}` }));
        }
        return { ...r, policy: policy as Record<string, unknown>, ...(prune ? { prune } : {}) };
      } catch (e) {
        if (!req.dryRun) {
          this.opts.bus.emit({ type: 'retention', at: at(), service: 'stack', ok: false, trigger, kept: 0, forgotten: [], error: (e as Error).message });
          this.history.update((h) => (h.jobs.retention = { at: at(), ok: false, detail: (e as Error).message }));
        }
        throw e;
      }
    });
  }

  prune(opts: { dryRun?: boolean } = {}): Promise<PruneReport> {
    return this.exclusive('prune', async () => (await this.repo()).repo.prune({ dryRun: !!opts.dryRun }));
  }

  async verify(req: VerifyRequest = {}, opts: VerifyOptions = {}): Promise<VerifyReport> {
    const trigger = opts.trigger ?? 'manual';
    const readData = req.readData;
    if (typeof readData === 'string' && !/^(\d+\/\d+|\d+(\.\d+)?%)$/.test(readData)) {
      throw new OpsError('BAD_REQUEST', `"${readData}" is not a data subset`, 'write N/T (the N-th of T parts, e.g. 1/7) or a percentage (e.g. 5%)');
    }
    return this.exclusive('verify', async () => {
      const at = () => this.opts.clock.now();
      const { repo } = await this.repo();
      const t0 = performance.now();
      try {
        const report = await repo.verify({
          readData: readData === undefined || readData === false ? false : readData === true ? true : { subset: readData },
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        });
        const errors = report.problems.filter((p) => p.severity === 'error').length;
        const damaged = [...new Set([...report.affected.map((a) => a.snapshot), ...report.damaged.flatMap((d) => d.snapshots)])];
        this.history.update((h) => {
          h.lastVerify = { at: at(), ok: report.ok, readData: report.readData, ...(report.subset ? { subset: report.subset } : {}), damagedSnapshots: damaged };
          if (trigger === 'schedule') h.jobs.verify = { at: at(), ok: report.ok, detail: count(errors, 'error') };
        });
        this.opts.bus.emit({
          type: 'verify', at: at(), service: 'stack', ok: report.ok, trigger, readData: report.readData, ...(report.subset ? { subset: report.subset } : {}),
          errors, warnings: report.problems.length - errors, damagedSnapshots: damaged, durationMs: report.durationMs,
        });
        return report;
      } catch (e) {
        this.opts.bus.emit({ type: 'verify', at: at(), service: 'stack', ok: false, trigger, readData: !!readData, errors: 1, warnings: 0, damagedSnapshots: [], durationMs: Math.round(performance.now() - t0), error: (e as Error).message });
        throw e;
      }
    });
  }

  // ------------------------------------------------------------------ restore, drill

  async restore(id: string, req: RestoreRequest, opts: Progress<RestoreProgress> = {}): Promise<RestoreRunResult> {
    if (req.target && req.inPlace) throw new OpsError('BAD_REQUEST', '--target and --in-place exclude each other', 'give --target DIR to restore into a folder, or --in-place to restore into the stack');
    if (!req.target && !req.inPlace) throw new OpsError('BAD_REQUEST', 'say where to restore: --target DIR or --in-place', '--target DIR writes <DIR>/<service>/<path>; --in-place replaces the stack\'s data (safety snapshot first, health gate after)');
    if (req.include) checkIncludes(req.include);
    const run = async () => {
      const { repo } = await this.repo();
      const snap = await repo.snapshot(id);
      const ctx: RestoreContext = {
        stack: this.stack,
        repo,
        control: this.opts.control,
        bus: this.opts.bus,
        clock: this.opts.clock,
        history: this.history,
        safetyBackup: async (services, stop, tags) => {
          try {
            const r = await this.runBackup(services.filter((s) => hasBackup(this.stack.config.services[s]?.backup)), tags, false, { trigger: 'safety', between: stop });
            return { snapshot: r.snapshot, warnings: r.check?.problems ?? [] };
          } catch (e) {
            // Written, then refused by the check: no restore will use it, so it does not stay.
            const written = ((e as OpsError).details as { result?: BackupRunResult } | undefined)?.result?.snapshot;
            if (written) await repo.removeSnapshots([written]).catch(() => undefined);
            throw e;
          }
        },
        removeSafety: async (snapshot) => {
          await repo.removeSnapshots([snapshot]);
        },
      };
      return req.inPlace ? restoreInPlace(ctx, snap, req, opts.onProgress) : restoreToTarget(ctx, snap, req, opts.onProgress);
    };
    return req.dryRun ? run() : this.exclusive('restore', run);
  }

  drill(req: DrillRequest = {}): Promise<DrillRunResult> {
    return this.exclusive('drill', async () => {
      const { repo } = await this.repo();
      const snap = await repo.snapshot(req.snapshot ?? 'latest');
      return runDrill({ stack: this.stack, repo, bus: this.opts.bus, clock: this.opts.clock, history: this.history, sandbox: (stack) => this.opts.sandbox(stack) }, snap, req);
    });
  }

  // ------------------------------------------------------------------ status, RPO

  /** Every service of the profile against its RPO: its newest good snapshot (of `snaps`, else the repository's) and last recovery. */
  async rpoStatus(snaps?: SnapshotInfo[]): Promise<RpoServiceStatus[]> {
    const stack = this.stack;
    const all = snaps ?? (await this.list().then((l) => l.snapshots, () => [] as SnapshotInfo[]));
    return rpoStatus(stack, all, this.history.read(), this.opts.clock.now());
  }

  async status(): Promise<BackupStatus> {
    const exists = await isRepository(this.repositoryDir);
    let snaps: SnapshotInfo[] = [];
    let unreadable: UnreadableSnapshot[] = [];
    let encrypted: boolean | undefined;
    if (exists) {
      try {
        const { repo } = await this.repo();
        encrypted = repo.encrypted;
        ({ snapshots: snaps, unreadable } = await repo.listing());
      } catch {
        // reported through the other fields (no snapshots)
      }
    }
    const h = this.history.read();
    const b = this.stack.config.backup;
    const newest = snaps.at(-1);
    return {
      repository: this.repositoryDir,
      exists,
      ...(encrypted !== undefined ? { encrypted } : {}),
      snapshots: snaps.length,
      ...(unreadable.length ? { unreadable } : {}),
      ...(newest ? { newest: { snapshot: newest.id, time: newest.time } } : {}),
      ...(b.schedule ? { schedule: { cron: b.schedule, ...(this.scheduler.next('backup') ? { next: this.scheduler.next('backup')! } : {}) } } : {}),
      ...(b.verify_schedule ? { verifySchedule: { cron: b.verify_schedule, subset: b.verify_subset, ...(this.scheduler.next('verify') ? { next: this.scheduler.next('verify')! } : {}) } } : {}),
      ...(b.retention ? { retention: retentionFromConfig(b.retention) as Record<string, unknown> } : {}),
      services: await this.rpoStatus(snaps),
      ...(h.lastVerify ? { lastVerify: h.lastVerify } : {}),
      jobs: h.jobs as BackupStatus['jobs'],
      recoveries: h.recoveries.slice(-20),
    };
  }

  dispose(): void {
    this.stop();
  }
}

/**
 * Before the snapshot: the SQLite copies made (they were made while the files were read), their
 * checks passed, and their fingerprints in the snapshot's record.
 */
async function sqliteDone(items: BackupItem[], checks: SqliteChecks, meta: BackupMeta): Promise<void> {
  await copiesMade(items);
  await checks.verdict();
  meta.extra.sqliteState = sqliteStateOf(meta.services, items);
}

/**
 * Once the copies are made or failed, close a backup's SQLite checks (their processes end), then
 * remove its staging folder. Never rejects (it runs beside the check of the snapshot): a folder
 * that cannot be removed stays in .opsdeck/tmp, where `opsdeck cleanup` finds it.
 */
async function clearStaging(checks: SqliteChecks, staging: string, items: readonly BackupItem[] | undefined): Promise<void> {
  await copiesMade(items ?? []).catch(() => undefined);
  await checks.close().catch(() => undefined);
  await rm(staging, { recursive: true, force: true }).catch(() => undefined);
}
