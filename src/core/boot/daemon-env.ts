/**
 * The environment the engine daemon is started with on top of the user's (whoever starts it:
 * `opsdeck up --detach`, a boot unit written by the CLI, by the daemon's API or by the
 * extension), so that every surface writes the same units and none sees the others' as drifted.
 *
 * glibc's malloc, asked to serve blocks of 32 KiB and more with their own mappings, which go back
 * to the system when freed: parsing and compiling the engine's bundle at start-up allocates
 * ~12 MB in such blocks for a moment, and from the shared heap glibc keeps most of it for good,
 * scattered among the small blocks that stay (~7 MB less at idle). Ignored by other C libraries.
 */
export const DAEMON_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=32768';

/** Set in the daemon's environment when `GLIBC_TUNABLES` is ours, not the user's (the daemon takes both out again for its services). */
export const DAEMON_TUNABLES_MARKER = 'OPSDECK_DAEMON_GLIBC_TUNABLES';

/** What the daemon's environment adds on this platform (nothing outside Linux). */
export function daemonEnvAdditions(platform: NodeJS.Platform = process.platform): Record<string, string> {
  return platform === 'linux' ? { GLIBC_TUNABLES: DAEMON_GLIBC_TUNABLES, [DAEMON_TUNABLES_MARKER]: '1' } : {};
}
