/**
 * The folders of a stack with releases: `releases/<version>/` side by side, `current` a relative
 * symbolic link to the running one (switched atomically: a new link under a temporary name,
 * renamed over `current`), `opsdeck.yaml` a link to `current/opsdeck.yaml`, and `shared/<path>`
 * linked into every release for what all releases share (data, uploads).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE } from '../config/config-file';
import { fsyncDir } from '../backup/repo/fsutil';
import { sortVersions } from './versions';

export const RELEASES_DIR = 'releases';
export const CURRENT_LINK = 'current';
export const SHARED_DIR = 'shared';

export const releaseDir = (stackDir: string, version: string) => path.join(stackDir, RELEASES_DIR, version);

/** The version `current` points to, or undefined when there is no link (yet). */
export function currentVersion(stackDir: string): string | undefined {
  try {
    return path.basename(readlinkSync(path.join(stackDir, CURRENT_LINK)));
  } catch {
    return undefined;
  }
}

/** The releases installed in releases/, oldest first (not the temporary folders of a fetch). */
export function installedVersions(stackDir: string): string[] {
  const dir = path.join(stackDir, RELEASES_DIR);
  if (!existsSync(dir)) return [];
  return sortVersions(readdirSync(dir).filter((n) => !n.startsWith('.') && existsSync(path.join(dir, n, CONFIG_FILE))));
}

/** Point `current` at releases/<version> atomically, and opsdeck.yaml at current/opsdeck.yaml. */
export async function switchCurrent(stackDir: string, version: string): Promise<void> {
  const tmp = path.join(stackDir, `.${CURRENT_LINK}-${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(path.join(RELEASES_DIR, version), tmp);
  renameSync(tmp, path.join(stackDir, CURRENT_LINK));
  const config = path.join(stackDir, CONFIG_FILE);
  const stat = lstatSafe(config);
  if (!stat) symlinkSync(path.join(CURRENT_LINK, CONFIG_FILE), config);
  await fsyncDir(stackDir);
}

const lstatSafe = (p: string) => {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
};

/** Link every `shared` path of a release to shared/<path> (creating the shared folder the first time). */
export function linkShared(stackDir: string, release: string, shared: readonly string[]): void {
  for (const rel of shared) {
    const target = path.join(stackDir, SHARED_DIR, rel);
    const at = path.join(release, rel);
    mkdirSync(target, { recursive: true });
    // What the release ships at a shared path is its first content only when shared/ has none.
    if (lstatSafe(at)) rmSync(at, { recursive: true, force: true });
    mkdirSync(path.dirname(at), { recursive: true });
    symlinkSync(path.relative(path.dirname(at), target), at);
  }
}

/** Remove a folder this operation created when it holds nothing (a refused first deploy leaves no trace). */
export function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // gone already, or not empty after all
  }
}

/** Remove the oldest releases beyond `keep`, never those in `protect` (current, previous, the one in progress). */
export function pruneReleases(stackDir: string, keep: number, protect: readonly string[]): string[] {
  const all = installedVersions(stackDir);
  const removable = all.filter((v) => !protect.includes(v));
  const excess = all.length - keep;
  const removed = removable.slice(0, Math.max(0, excess));
  for (const v of removed) rmSync(releaseDir(stackDir, v), { recursive: true, force: true });
  return removed;
}
