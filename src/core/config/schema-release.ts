/**
 * The zod schemas of releases in opsdeck.yaml (docs/releases.md): the stack's `release:` (where
 * the code comes from, how many releases are kept, what is shared between them, the health gate)
 * and a service's `install:`, `migrate:` and `requires:`. Part of buildConfigSchemas() (schema.ts).
 */
import { z } from 'zod';
import { argv, count, objectCheck, port, positiveDuration, positiveInt } from './schema-kit';

/** A command: argv, or a string run by `sh -c`. */
const command = () => z.union([argv(), z.string().min(1, { error: 'must not be empty' })], { error: 'must be a command: a list (argv) such as [npm, ci], or a string run by sh -c' });

/** A version as written in a release source: `1.2.0`, `v2`, `2024.06.1`. */
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/;
export const releaseVersion = () => z.string({ error: 'must be a version such as "1.2.0"' }).regex(VERSION_RE, { error: 'must be a version such as "1.2.0" (letters, digits, ".", "_", "+", "-")' });

/** `release.source:`: exactly one of git, folder, tarball, npm. */
function buildSourceSchema() {
  return z
    .strictObject({
      /** A git repository (a path or URL) and the tag of each version (`{version}` is replaced). */
      git: z.strictObject({ url: z.string().min(1, { error: 'must not be empty' }), ref: z.string().min(1).default('v{version}') }).optional(),
      /** A folder with one sub-folder per version, or "." for this folder (a single release, `--to` names it). */
      folder: z.string().min(1, { error: 'must not be empty' }).optional(),
      /** A .tar.gz per version: a path or file:// URL with `{version}` in it. */
      tarball: z.string().regex(/\{version\}/, { error: 'must contain {version}, e.g. dist/app-{version}.tgz' }).optional(),
      /** An npm package, fetched with `npm pack <package>@<version>`. */
      npm: z.string().min(1, { error: 'must not be empty' }).optional(),
    })
    .check(
      objectCheck((s, ctx) => {
        const given = ['git', 'folder', 'tarball', 'npm'].filter((k) => s[k] !== undefined);
        if (given.length !== 1) {
          ctx.addIssue({ code: 'custom', message: given.length ? `gives ${given.join(' and ')}: give exactly one source` : 'must give one of git, folder, tarball, npm', input: s });
        }
      }),
    );
}

/** `requires:` of a service or of the release: what must hold before a release is installed. */
export function buildRequiresSchema() {
  return z.strictObject({
    /** Programs on PATH with their minimum version, e.g. `{ psql: "13", node: "20" }` ("" = any version). */
    commands: z.record(z.string().regex(/^[A-Za-z0-9._+-]+$/, { error: 'must be a program name such as psql' }), z.union([z.string(), z.number()]).transform(String)).default({}),
    /** The range of Opsdeck versions this release runs with, e.g. ">=0.2.0 <1". */
    opsdeck: z.string().regex(/^\s*(?:(?:>=|<=|>|<|=|\^|~)?\s*v?\d+(?:\.\d+){0,2}\s*)+$/, { error: 'must be a version range such as ">=0.2.0 <1" or "^0.3"' }).optional(),
    /** Loopback ports that must be free before the first deploy (ports of services not running yet). */
    ports: z.array(port()).default([]),
    /** Free space in the stack folder, MB. */
    disk_free_mb: positiveInt().optional(),
  });
}

/** One step of a service's schema: `version` is the schema version `up` leads to and `down` leaves. */
function buildMigrationStep() {
  return z.strictObject({
    version: positiveInt(),
    up: command(),
    /** Absent: going back over this step restores the pre-update snapshot instead. */
    down: command().optional(),
  });
}

/**
 * A service's `migrate:`: its schema steps, versions in order with no gap (1, 2, 3…; a release
 * may drop its oldest steps and start later, e.g. at 3, once every install is past them).
 */
export function buildMigrateSchema() {
  return z.array(buildMigrationStep(), { error: 'must be a list of steps such as - { version: 1, up: [sh, migrations/001-up.sh], down: [...] }' }).min(1, { error: 'must list at least one step' }).superRefine((steps, ctx) => {
    steps.forEach((s, i) => {
      const want = (steps[0]?.version ?? 1) + i;
      if (i > 0 && s.version !== want) ctx.addIssue({ code: 'custom', path: [i, 'version'], message: `must be ${want}: steps follow each other (${steps[0]?.version}, ${(steps[0]?.version ?? 1) + 1}, …) with no gap`, input: s.version });
    });
  });
}

/** A service's `install:`: a command, or several run in order, in the release's folder. */
export function buildInstallSchema() {
  return z.union([command(), z.array(command()).min(1)], { error: 'must be a command ([npm, ci] or "npm ci") or a list of commands' });
}

/** The stack's `release:`. */
export function buildReleaseSchema() {
  return z.strictObject({
    source: buildSourceSchema().optional(),
    /** Releases kept in releases/ (the current and the previous one are always kept). */
    keep: count().min(2, { error: 'must be at least 2 (the current release and the one to roll back to)' }).default(5),
    /** Paths of the release linked to shared/<path>, the same for every release (data, uploads, logs). */
    shared: z.array(z.string().regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^*?[{]+$/, { error: 'must be a relative path inside the release, e.g. data' })).default([]),
    /** How long the started services may take to be ready and pass their checks. */
    health_timeout: positiveDuration('1h').prefault('2m'),
    requires: buildRequiresSchema().optional(),
    /** Install the boot units (as `opsdeck units install` does, with `boot:`) after the first deploy. */
    units: z.boolean({ error: 'must be true or false' }).default(false),
  });
}
