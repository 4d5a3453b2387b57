/**
 * The data side of a release: running the planned schema steps one by one (each recorded in the
 * ledger before it starts and after it ends, so that a kill leaves the ledger knowing which step
 * was in flight), taking the pre-update snapshot, and undoing an operation's steps: their inverse
 * steps in reverse order when every one has one, else a restore of the snapshot taken before.
 */
import type { LoadedStack } from '../config/load';
import type { EngineLike } from '../contract/engine';
import { OpsError } from '../errors';
import { releaseDir } from './layout';
import { releaseEnv, runReleaseCommand, serviceDirIn, type PlannedStep } from './migrations';
import type { ReleaseRun } from './run';

/** A release at hand: its version and loaded opsdeck.yaml. */
export interface ReleaseAtHand {
  version: string;
  stack: LoadedStack;
}

const schemaAfter = (s: { version: number; direction: 'up' | 'down' }) => (s.direction === 'up' ? s.version : s.version - 1);

/** Run the steps in order; `pauseAfterFirst` is the test hook's moment within the migrate stage. */
export async function applySteps(run: ReleaseRun, steps: readonly PlannedStep[], releases: readonly ReleaseAtHand[]): Promise<void> {
  for (const [i, step] of steps.entries()) {
    const at = releases.find((r) => r.version === step.release);
    if (!at) throw new OpsError('RELEASE_FAILED', `release ${step.release} is not at hand for ${step.service}'s step ${step.version}`, 'run `opsdeck releases`');
    if (step.command === undefined) throw new OpsError('RELEASE_FAILED', `${step.service}'s step ${step.version} has no ${step.direction} command`, 'use --data restore');
    run.entry.migrating = { service: step.service, version: step.version, direction: step.direction };
    await run.save();
    run.say(`${step.direction === 'up' ? 'migrate' : 'migrate down'} ${step.service} ${step.direction === 'up' ? `${step.version - 1} → ${step.version}` : `${step.version} → ${step.version - 1}`} (release ${step.release})`);
    const folder = releaseDir(run.stackDir, at.version);
    await runReleaseCommand(step.command, `${step.service}'s migration ${step.direction} ${step.version}`, {
      cwd: serviceDirIn(at.stack, step.service, run.stackDir, folder),
      env: releaseEnv(at.stack, step.service, run.stackDir, at.version, folder),
    });
    run.ledger.schema[step.service] = schemaAfter(step);
    run.entry.migrations.push({ service: step.service, version: step.version, direction: step.direction });
    delete run.entry.migrating;
    await run.save();
    if (i === 0) await run.pausePoint('migrate');
  }
}

/** The services of a stack that declare a backup (what a pre-update snapshot takes). */
export const backedUpServices = (stack: LoadedStack): string[] => Object.entries(stack.config.services).filter(([, s]) => s.backup).map(([n]) => n);

/** Take the pre-update snapshot when the stack backs anything up; its id, or undefined. */
export async function takeSnapshot(engine: EngineLike, stack: LoadedStack, tag: string): Promise<string | undefined> {
  const services = backedUpServices(stack);
  if (!services.length) return undefined;
  const r = await engine.backups.backup({ services, tags: ['release', tag] });
  return r.snapshot;
}

/** The inverse of each step this entry applied, newest first, with its command from the release that knows it. */
function inverseSteps(run: ReleaseRun, releases: readonly ReleaseAtHand[]): PlannedStep[] {
  return [...run.entry.migrations].reverse().map((m) => {
    const direction = m.direction === 'up' ? ('down' as const) : ('up' as const);
    for (const r of releases) {
      const step = r.stack.config.services[m.service]?.migrate?.find((s) => s.version === m.version);
      if (step && (direction === 'up' || step.down)) return { service: m.service, version: m.version, direction, command: direction === 'up' ? step.up : step.down, release: r.version };
    }
    return { service: m.service, version: m.version, direction, command: undefined, release: releases[0]?.version ?? '' };
  });
}

/**
 * Take back what the entry did to the data: the inverse steps when all have a command (and no
 * step was cut short), else the entry's snapshot. Returns what was done, one line each.
 */
export async function undoData(run: ReleaseRun, engine: EngineLike, releases: readonly ReleaseAtHand[], restoreStack: LoadedStack): Promise<string[]> {
  const inflight = run.entry.migrating;
  const inverse = inverseSteps(run, releases);
  if (!inverse.length && !inflight) return [];
  const snapshot = run.entry.snapshot;
  const byDown = !inflight && inverse.every((s) => s.command !== undefined);
  if (byDown || (!snapshot && inverse.every((s) => s.command !== undefined))) {
    if (inflight) run.say(`${inflight.service}'s step ${inflight.version} was cut short and there is no snapshot: taking back the steps that completed`);
    await applySteps(run, inverse, releases);
    return [`took back ${inverse.length} migration step${inverse.length === 1 ? '' : 's'} (${inverse.map((s) => `${s.service} ${s.direction} ${s.version}`).join(', ')})`];
  }
  if (!snapshot) {
    const missing = inverse.filter((s) => s.command === undefined).map((s) => `${s.service} step ${s.version}`);
    throw new OpsError('RELEASE_FAILED', `cannot take the data back: ${missing.join(', ')} ha${missing.length === 1 ? 's' : 've'} no inverse step and there is no snapshot`, 'restore a backup by hand (opsdeck backups list; opsdeck restore <id> --in-place)');
  }
  run.say(`restore the snapshot ${snapshot.slice(0, 8)} taken before (${inflight ? 'a step was cut short' : 'a step has no down'})`);
  const services = backedUpServices(restoreStack);
  await engine.backups.restore(snapshot, { services, inPlace: true });
  Object.assign(run.ledger.schema, run.entry.schemaBefore);
  for (const k of Object.keys(run.ledger.schema)) if (!(k in run.entry.schemaBefore)) delete run.ledger.schema[k];
  delete run.entry.migrating;
  await run.save();
  return [`restored the snapshot ${snapshot.slice(0, 8)} taken before the ${run.entry.op} (${services.join(', ')})`];
}
