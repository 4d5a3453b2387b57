/**
 * Boot-test harness: the Debian root file system the boot tests start from, built once with
 * debootstrap and cached outside the repository (docs/testing.md, "The boot suite").
 *
 * Where: ${OPSDECK_BOOT_CACHE:-${XDG_CACHE_HOME:-~/.cache}/opsdeck-test}/boot-rootfs-<hash>, the
 * hash taken over what goes into it (suite, variant, packages, the steps after debootstrap), so
 * changing the list below builds a new one; delete old ones by hand (about 250 MB each).
 *
 * How (checked on Debian 12 as root, systemd 252, debootstrap 1.0.128):
 *   unshare --mount --propagation private \
 *     debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps bookworm DIR MIRROR
 * takes about 70 s with a near mirror (about 250 MB). debootstrap mounts /proc and /sys inside DIR
 * while it configures packages: in a mount namespace of its own those mounts end with it, so a
 * killed build leaves no mount behind to trip over (or to delete through). It builds into a
 * temporary folder next to the cache and is renamed into place only once complete, so a killed
 * build never leaves a half cache: the next run removes the temporary folder (its pid is gone) and
 * builds again. Two runs building at once each build their own; the second rename loses and its
 * copy is removed.
 *
 * Node is not installed from Debian (bookworm has 18; Opsdeck needs 20.19+): each machine gets
 * a copy of the Node that runs the tests (install-opsdeck.ts); it needs only glibc, libstdc++ and
 * libgcc, which minbase has.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { isAlive, mustRunHost, which } from './host-command';

/** The Debian release, as debootstrap names it (the same as the CI machine's: Debian 12). */
export const SUITE = 'bookworm';

/**
 * What the machines need besides minbase: systemd as PID 1 (systemd, systemd-sysv), D-Bus
 * (systemd-logind and `systemd-run --wait` want it), ps and kill (procps).
 */
export const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'procps'];

/** Bump when the build steps change in a way the package list does not show. */
const RECIPE = 1;

/** The mirror debootstrap downloads from: $OPSDECK_BOOT_MIRROR, else Debian's redirector. */
export const mirror = () => process.env.OPSDECK_BOOT_MIRROR || 'http://deb.debian.org/debian';

/** The folder of the test caches (the same as code-server's, docs/testing.md). */
export function cacheDir(): string {
  if (process.env.OPSDECK_BOOT_CACHE) return process.env.OPSDECK_BOOT_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'opsdeck-test');
}

/** The cached root file system's folder for the current recipe. */
export function rootfsDir(): string {
  const hash = createHash('sha256').update(JSON.stringify({ SUITE, PACKAGES, RECIPE, arch: process.arch })).digest('hex').slice(0, 12);
  return join(cacheDir(), `boot-rootfs-${hash}`);
}

/** Marks a finished build (written last, before the rename). */
const MARKER = '.opsdeck-rootfs';

/**
 * Why the boot suite cannot run on this machine, or undefined when it can. The suite fails with
 * this reason: it is never skipped.
 */
export function missingForBoot(): string | undefined {
  if (process.platform !== 'linux') return `the boot tests need Linux (systemd-nspawn); this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'the boot tests need root (debootstrap, systemd-nspawn): run them as root, as .ci/run does';
  const tools: [string, string][] = [['debootstrap', 'debootstrap'], ['systemd-nspawn', 'systemd-container'], ['unshare', 'util-linux'], ['nsenter', 'util-linux'], ['journalctl', 'systemd']];
  for (const [tool, pkg] of tools) {
    if (!which(tool)) return `${tool} is not installed: apt-get install ${pkg} (it is in APT_PACKAGES: node scripts/setup-system.mjs installs it)`;
  }
  return undefined;
}

/** A temporary build folder's owner pid, from its name `.boot-rootfs-<hash>.tmp-<pid>`. */
const TMP_RE = /^\.boot-rootfs-[0-9a-f]+\.tmp-(\d+)$/;

/** Removes the temporary folders of builds whose process is gone (killed half-way). */
function removeDeadBuilds(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = TMP_RE.exec(name);
    if (m && !isAlive(Number(m[1]))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * The cached root file system, built first when missing (minutes, once). Returns its folder,
 * which the tests never boot or change: each machine boots a copy (machine.ts).
 */
export async function ensureRootfs(log: (line: string) => void = (l) => console.log(l)): Promise<string> {
  const why = missingForBoot();
  if (why) throw new Error(why);
  const final = rootfsDir();
  if (existsSync(join(final, MARKER))) return final;
  const parent = cacheDir();
  mkdirSync(parent, { recursive: true });
  removeDeadBuilds(parent);
  // A folder without its marker is not ours to trust (a build from before markers, or a hand edit).
  if (existsSync(final)) rmSync(final, { recursive: true, force: true });
  const tmp = join(parent, `.${final.split('/').pop()}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const t0 = Date.now();
  log(`boot tests: building the root file system in ${final} (debootstrap ${SUITE} minbase from ${mirror()}; minutes, once)`);
  try {
    await mustRunHost(
      'unshare',
      ['--mount', '--propagation', 'private', 'debootstrap', '--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, tmp, mirror()],
      { timeoutMs: 20 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
    );
    // What the copies do not need: the downloaded .debs and the apt lists (about 60 MB).
    rmSync(join(tmp, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(tmp, 'var/cache/apt/archives/partial'), { recursive: true });
    rmSync(join(tmp, 'var/lib/apt/lists'), { recursive: true, force: true });
    mkdirSync(join(tmp, 'var/lib/apt/lists/partial'), { recursive: true });
    writeFileSync(join(tmp, MARKER), JSON.stringify({ SUITE, PACKAGES, RECIPE, mirror: mirror(), builtAt: new Date().toISOString() }) + '\n');
    try {
      renameSync(tmp, final);
    } catch (e) {
      // Another run finished first: use its build.
      if (!existsSync(join(final, MARKER))) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`could not build the boot tests' root file system: ${(e as Error).message}\nhint: debootstrap needs Debian's mirror (${mirror()}; set OPSDECK_BOOT_MIRROR for another)`);
  }
  log(`boot tests: root file system built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return final;
}
