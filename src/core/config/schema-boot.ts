/**
 * The zod schema of the stack's `boot:` in opsdeck.yaml (docs/boot.md): how `opsdeck units`
 * makes the stack start at login or boot. Flags of `opsdeck units` override every key. Part of
 * buildConfigSchemas() (schema.ts).
 */
import { z } from 'zod';
import { duration, positiveDuration } from './schema-kit';

export const BOOT_MODES = ['engine', 'native'] as const;
export type BootMode = (typeof BOOT_MODES)[number];
export const BOOT_TARGETS = ['systemd', 'launchd', 'cron'] as const;
export type BootTarget = (typeof BOOT_TARGETS)[number];
export const BOOT_SCOPES = ['user', 'system'] as const;
export type BootScope = (typeof BOOT_SCOPES)[number];

/** The stack's `boot:`. */
export function buildBootSchema() {
  return z.strictObject({
    /** `engine`: one unit runs `opsdeck daemon`; `native`: one unit per service, owned by the init system. */
    mode: z.enum(BOOT_MODES, { error: 'must be engine or native' }).default('engine'),
    /** The init system; absent: launchd on macOS, systemd elsewhere. */
    target: z.enum(BOOT_TARGETS, { error: 'must be one of systemd, launchd, cron' }).optional(),
    /** `user`: start at login (user units, LaunchAgents); `system`: at boot (system units, LaunchDaemons; needs root). */
    scope: z.enum(BOOT_SCOPES, { error: 'must be user or system' }).default('user'),
    /** How long after boot (or login) the stack starts. */
    delay: duration('1h').prefault('0s'),
    /** Start only once the network is online (system scope of systemd: network-online.target). */
    after_network: z.boolean({ error: 'must be true or false' }).default(true),
    /** native: how long `opsdeck exec` waits for a service's dependencies before it gives up (the unit then fails and is restarted). */
    wait_timeout: positiveDuration('1h').prefault('5m'),
    /** The system user the system-scope units run as (systemd User=, launchd UserName); absent: root. */
    user: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, { error: 'must be a user name such as "deploy"' }).optional(),
  });
}
