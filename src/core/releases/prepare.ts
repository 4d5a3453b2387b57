/**
 * The version checks of a deploy, update or rollback, before anything changes: the target exists,
 * is newer (unless a downgrade is allowed), its opsdeck.yaml validates, its requirements hold and
 * its migrations chain from the schema the ledger records. A release that is not installed yet is
 * fetched into a temporary folder of releases/ first (removed again when a check fails).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type ConfigIssue, type LoadedStack } from '../config/load';
import type { Ledger } from '../contract/releases';
import { OpsError, isOpsError } from '../errors';
import { RELEASES_DIR, releaseDir, removeIfEmpty } from './layout';
import { planMigrations, type PlannedStep } from './migrations';
import { checkRequirements } from './requires';
import { fetchVersion, listVersions, type SourceSpec } from './source';
import { compareVersions } from './versions';

export interface Prepared {
  version: string;
  stack: LoadedStack;
  /** Where the release is now: releases/<version>, or a temporary folder to rename there. */
  folder: string;
  fetched: boolean;
  sourceCommit?: string;
  steps: PlannedStep[];
  /** Remove a temporary folder (a failed check, a dry run). */
  discard(): void;
}

export interface PrepareOptions {
  stackDir: string;
  ledger: Ledger;
  current?: { version: string; stack: LoadedStack };
  /** Where to fetch a release that is not installed (none: only installed releases). */
  source?: SourceSpec;
  to?: string;
  allowDowngrade: boolean;
  /** Check that the ports the release needs are free (a first deploy). */
  checkPorts: boolean;
  /** The operation, for messages. */
  what: 'deploy' | 'update' | 'rollback';
  /** A dry run fetches into the system's temporary folder: the stack folder stays as it is. */
  dryRun?: boolean;
}

const refuse = (what: string, version: string, problems: string[], hint: string) =>
  new OpsError('RELEASE_CHECK_FAILED', `cannot ${what} to ${version}; nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`, hint, { problems });

/** Load a release's opsdeck.yaml; its problems as one line each (with line:column). */
async function loadRelease(folder: string): Promise<{ stack?: LoadedStack; problems: string[] }> {
  try {
    return { stack: await loadConfig(folder), problems: [] };
  } catch (e) {
    if (isOpsError(e) && e.code === 'CONFIG_INVALID') {
      const issues = (e.details as { issues?: ConfigIssue[] } | undefined)?.issues ?? [];
      return { problems: issues.length ? issues.map((i) => `its opsdeck.yaml:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`) : [e.message] };
    }
    if (isOpsError(e)) return { problems: [e.message] };
    throw e;
  }
}

export async function prepareTarget(o: PrepareOptions): Promise<Prepared> {
  const available = o.source ? await listVersions(o.source) : [];
  const installed = (v: string) => existsSync(path.join(releaseDir(o.stackDir, v), 'opsdeck.yaml'));
  const version = o.to ?? available.at(-1);
  if (!version) throw new OpsError('RELEASE_NOT_FOUND', 'the release source offers no version', 'tag a version in the source (git tag v1.0.0), or name one with --to');
  if (!available.includes(version) && !installed(version)) {
    throw new OpsError('RELEASE_NOT_FOUND', `version ${version} does not exist${o.source ? '' : ' in releases/'}; nothing was changed`, available.length ? `the versions are ${available.join(', ')}` : 'run `opsdeck releases` to see the versions');
  }
  const problems: string[] = [];
  if (o.current && compareVersions(version, o.current.version) < 0 && !o.allowDowngrade) {
    problems.push(`${version} is older than the running ${o.current.version}: pass --allow-downgrade, or use \`opsdeck rollback --to ${version}\``);
  }
  let folder = releaseDir(o.stackDir, version);
  let fetched = false;
  let sourceCommit: string | undefined;
  const discard = () => {
    if (!fetched) return;
    rmSync(o.dryRun ? path.dirname(folder) : folder, { recursive: true, force: true });
    if (!o.dryRun) removeIfEmpty(path.dirname(folder));
  };
  // The running release is never fetched again; another one is fetched fresh when the source has it.
  if (o.source && available.includes(version) && version !== o.current?.version) {
    if (o.dryRun) folder = path.join(mkdtempSync(path.join(tmpdir(), 'opsdeck-release-')), version);
    else {
      mkdirSync(path.join(o.stackDir, RELEASES_DIR), { recursive: true });
      folder = path.join(o.stackDir, RELEASES_DIR, `.${version}-${process.pid}.tmp`);
      rmSync(folder, { recursive: true, force: true });
    }
    fetched = true;
    try {
      sourceCommit = await fetchVersion(o.source, version, folder);
    } catch (e) {
      discard();
      throw e;
    }
  }
  const loaded = await loadRelease(folder);
  problems.push(...loaded.problems);
  let steps: PlannedStep[] = [];
  if (loaded.stack) {
    problems.push(...(await checkRequirements(loaded.stack, o.stackDir, { checkPorts: o.checkPorts })));
    const plan = planMigrations(o.ledger.schema, o.current, { version, stack: loaded.stack });
    problems.push(...plan.problems);
    steps = plan.steps;
  }
  if (problems.length) {
    discard();
    throw refuse(o.what, version, problems, 'fix what is listed and run again; `--dry-run` shows the plan without changing anything');
  }
  return { version, stack: loaded.stack!, folder, fetched, ...(sourceCommit ? { sourceCommit } : {}), steps, discard };
}
