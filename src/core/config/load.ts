/**
 * Loading opsdeck.yaml: YAML parsing, schema validation and the checks that need the whole
 * stack (dependencies, cycles, tiers, profiles), all reported together as ConfigIssues; then
 * the active profile and the services it selects.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isScalar, LineCounter, parseDocument, visit, YAMLParseError, type Document } from 'yaml';
import { OpsError } from '../errors';
import { findCycle, findTierInversions, findUnknownDependencies, formatCycle, missingDependencies, type GraphInput } from '../graph';
import { displayPath, formatIssues, fromYamlError, fromZodIssues, makeIssue, plainMessages, sortIssues, type ConfigIssue, type IssueContext } from './issues';
import { FILE_START, SourcePositions } from './positions';
import { configSchemas, type StackConfig } from './schema';
import { didYouMean } from './suggest';
import { CONFIG_FILE } from './config-file';

export type { ConfigIssue } from './issues';
export { formatIssues } from './issues';

export { CONFIG_FILE } from './config-file';

/** Where the services of a stack with `release:` run when they give no `cwd`: the current release. */
export const RELEASE_CWD = 'current';

export interface LoadedStack {
  /** Absolute path of opsdeck.yaml. */
  file: string;
  /** The stack folder (the file's directory). */
  dir: string;
  config: StackConfig;
  /** The active profile, undefined when the stack has no profiles. */
  profile: string | undefined;
  /** The services the active profile runs (all of them when there is no profile). */
  services: string[];
}

export interface LoadOptions {
  /** Profile to use instead of the file's `active_profile`. */
  profile?: string;
}

/** Reads and validates a stack's opsdeck.yaml; `file` may also be the stack folder. */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadedStack> {
  let target = path.resolve(file);
  let text: string;
  try {
    if ((await stat(target)).isDirectory()) target = path.join(target, CONFIG_FILE);
    text = await readFile(target, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new OpsError('CONFIG_NOT_FOUND', `${displayPath(target)} does not exist`, `run \`opsdeck init\` in the stack folder to create an ${CONFIG_FILE}`);
    }
    throw new OpsError('CONFIG_NOT_FOUND', `cannot read ${displayPath(target)}: ${(e as Error).message}`, 'check that the file is readable');
  }
  return parseConfig(text, target, opts);
}

/** Validates the text of an opsdeck.yaml; throws CONFIG_INVALID with every problem found. */
export function parseConfig(text: string, file: string, opts: LoadOptions = {}): LoadedStack {
  const absolute = path.resolve(file);
  const lines = new LineCounter();
  // yaml's own duplicate-key check compares every key of a mapping with every other (quadratic:
  // 10 s for 30 000 services); duplicateKeys() finds the same ones in one pass.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  doc.errors.push(...duplicateKeys(doc));
  const ctx: IssueContext = { file: absolute, positions: new SourcePositions(doc, lines), data: undefined };

  const { issues, config } = validate(doc, ctx, opts);
  if (!config || issues.length) {
    const sorted = sortIssues(issues);
    const count = `${sorted.length} problem${sorted.length === 1 ? '' : 's'}`;
    throw new OpsError(
      'CONFIG_INVALID',
      `${displayPath(absolute)} has ${count}:\n${formatIssues(sorted)}`,
      'fix the problems above and run again; docs/config.md describes every key',
      { issues: sorted },
    );
  }

  const profile = opts.profile ?? config.active_profile ?? Object.keys(config.profiles)[0];
  const selected = profile === undefined ? undefined : ownEntry(config.profiles, profile)?.services;
  return { file: absolute, dir: path.dirname(absolute), config, profile, services: selected ?? Object.keys(config.services) };
}

/** Refuse a service name the stack does not have (SERVICE_UNKNOWN, with the closest name as a hint). */
export function assertServiceName(stack: LoadedStack, name: string): void {
  if (!Object.hasOwn(stack.config.services, name)) {
    const names = Object.keys(stack.config.services);
    throw new OpsError('SERVICE_UNKNOWN', `no service named "${name}" in stack ${stack.config.name}`, didYouMean(name, names) ?? `the services are ${names.join(', ')}`);
  }
}

/** The environment of a service: its own `env`, then the profile's, then the profile's override for it. */
export function effectiveEnv(stack: LoadedStack, service: string): Record<string, string> {
  const own = ownEntry(stack.config.services, service);
  if (!own) {
    const names = Object.keys(stack.config.services);
    throw new OpsError('SERVICE_UNKNOWN', `unknown service "${service}"`, didYouMean(service, names) ?? `the services are ${names.join(', ')}`);
  }
  const profile = stack.profile === undefined ? undefined : ownEntry(stack.config.profiles, stack.profile);
  return { ...own.env, ...profile?.env, ...(profile && ownEntry(profile.overrides, service))?.env };
}

// ---------------------------------------------------------------- validation

function validate(doc: Document, ctx: IssueContext, opts: LoadOptions): { issues: ConfigIssue[]; config?: StackConfig } {
  const yamlIssues = doc.errors.map((e) => fromYamlError(e, ctx));
  // After a syntax error the shape of the document is a guess: report the syntax alone.
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return { issues: yamlIssues };

  try {
    ctx.data = doc.toJS();
  } catch (e) {
    return { issues: [makeIssue(ctx.file, FILE_START, [], `cannot read the YAML: ${(e as Error).message}`, 'simplify the anchors and aliases (&name, *name)')] };
  }
  if (doc.contents === null) {
    return { issues: [makeIssue(ctx.file, FILE_START, [], 'the file is empty', 'start with `version: 1`, a `name` and a `services` map; `opsdeck init` writes an example')] };
  }
  const data = asMap(ctx.data);
  if (!data) {
    const kind = Array.isArray(ctx.data) ? 'a list' : `a single value (${JSON.stringify(ctx.data)})`;
    return {
      issues: [makeIssue(ctx.file, FILE_START, [], `the file must be a mapping of keys, but it is ${kind}`, 'write top-level keys such as `version: 1`, `name: my-stack` and `services:`')],
    };
  }

  const { stackSchema } = configSchemas();
  // Without zod's compiled parsers: a config is parsed once per process (a one-shot command, an
  // engine's start or reload), and compiling them cost more than they saved (with the CLI's
  // bundle read as bytes: 0.531 against 0.547 s for an unchanged backup, bench/README.md "Seventh
  // round"); they pay off where one schema parses many objects (manifests, API bodies).
  const result = stackSchema.safeParse(data, { error: plainMessages, jitless: true });
  const graph = readGraph(data);
  const issues = [
    ...yamlIssues,
    ...(result.success ? [] : fromZodIssues(result.error.issues, ctx)),
    ...graphIssues(graph, ctx),
    ...profileIssues(data, graph, ctx, opts),
  ];
  return { issues, config: result.success ? withoutPrototypes(result.data) : undefined };
}

/**
 * The services and profiles of the config as objects without a prototype, so that a lookup by
 * any name, `config.services[name]` or `name in config.services`, finds only what the file
 * declares, never `constructor`, `toString` or `__proto__` (ownEntry() does the same for any record).
 */
function withoutPrototypes(config: StackConfig): StackConfig {
  const bare = <T>(record: Record<string, T>): Record<string, T> => Object.assign(Object.create(null) as Record<string, T>, record);
  config.services = bare(config.services);
  config.profiles = bare(config.profiles);
  // A stack with releases runs its services in the current release unless they say otherwise.
  if (config.release) for (const service of Object.values(config.services)) service.cwd ??= RELEASE_CWD;
  return config;
}

/** The services whose tier and dependencies parse, as a graph, and the names of all services. */
interface PartialGraph {
  names: string[];
  graph: GraphInput;
}

function readGraph(data: Record<string, unknown>): PartialGraph {
  const services = asMap(data.services) ?? {};
  const graph: GraphInput = Object.create(null) as GraphInput; // a key `__proto__` stays a key
  const { serviceSchema } = configSchemas();
  for (const [name, raw] of Object.entries(services)) {
    const service = asMap(raw);
    const tier = serviceSchema.shape.tier.safeParse(service?.tier);
    const dependsOn = serviceSchema.shape.depends_on.safeParse(service?.depends_on);
    if (service && tier.success && dependsOn.success) graph[name] = { tier: tier.data, depends_on: dependsOn.data };
  }
  return { names: Object.keys(services), graph };
}

function graphIssues({ names, graph }: PartialGraph, ctx: IssueContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const edge = (service: string, dependency: string, message: string, hint: string) => {
    const container = ['services', service, 'depends_on'];
    issues.push(makeIssue(ctx.file, ctx.positions.entryOf(container, dependency), [...container, dependency], message, hint));
  };

  const declared = new Set(names);
  for (const { service, dependency } of findUnknownDependencies(graph)) {
    if (declared.has(dependency)) continue; // declared, but invalid: reported by the schema
    edge(service, dependency, `${service} depends on unknown service "${dependency}"`, didYouMean(dependency, names) ?? `the services in this file are ${names.join(', ')}`);
  }

  const cycle = findCycle(graph);
  if (cycle) {
    const [from, to] = cycle.slice(-2) as [string, string];
    edge(from, to, `dependency cycle ${formatCycle(cycle)}`, 'a service starts after the services it depends on, so a cycle can never start: remove one of these dependencies');
  }

  for (const inv of findTierInversions(graph)) {
    edge(
      inv.service,
      inv.dependency,
      `${inv.service} (tier ${inv.tier}) depends on ${inv.dependency}, which has the later tier ${inv.dependencyTier}`,
      `tiers start in the order storage, messaging, server, worker: change the tier of ${inv.service} or ${inv.dependency}, or remove this dependency`,
    );
  }
  return issues;
}

function profileIssues(data: Record<string, unknown>, { names, graph }: PartialGraph, ctx: IssueContext, opts: LoadOptions): ConfigIssue[] {
  const profiles = asMap(data.profiles) ?? {};
  const profileNames = Object.keys(profiles);
  const declared = new Set(names);
  const unknownService = (name: string) => didYouMean(name, names) ?? `the services in this file are ${names.join(', ')}`;
  const unknownProfile = (name: string) =>
    didYouMean(name, profileNames) ?? (profileNames.length ? `the profiles in this file are ${profileNames.join(', ')}` : 'define it under `profiles:`');
  const issues: ConfigIssue[] = [];

  const { profileSchema, stackSchema } = configSchemas();
  for (const [name, raw] of Object.entries(profiles)) {
    const profile = asMap(raw);
    const listed = profileSchema.shape.services.safeParse(profile?.services);
    const at = ['profiles', name, 'services'];
    if (listed.success && listed.data) {
      listed.data.forEach((service, i) => {
        if (!declared.has(service)) {
          issues.push(makeIssue(ctx.file, ctx.positions.valueOf([...at, i]), [...at, i], `profile ${name} lists unknown service "${service}"`, unknownService(service)));
        }
      });
      const runnable = listed.data.filter((s) => Object.hasOwn(graph, s));
      for (const { service, dependency, via } of missingDependencies(graph, runnable)) {
        if (!declared.has(dependency)) continue; // an unknown dependency, reported with the service
        const how = via.length ? ` through ${via.join(' → ')}` : '';
        const chain = via.length ? ` (${[service, ...via, dependency].join(' → ')})` : '';
        issues.push(
          makeIssue(
            ctx.file,
            ctx.positions.entryOf(at, service),
            at,
            `profile ${name} runs ${service} but not ${dependency}, which ${service} depends on${how}`,
            `add ${dependency} to profiles.${name}.services${chain}`,
          ),
        );
      }
    }
    for (const service of Object.keys(asMap(profile?.overrides) ?? {})) {
      const key = ['profiles', name, 'overrides', service];
      if (!declared.has(service)) issues.push(makeIssue(ctx.file, ctx.positions.keyOf(key), key, `override for unknown service "${service}"`, unknownService(service)));
    }
  }

  const active = data.active_profile;
  if (stackSchema.shape.active_profile.safeParse(active).success && typeof active === 'string' && !profileNames.includes(active)) {
    issues.push(makeIssue(ctx.file, ctx.positions.valueOf(['active_profile']), ['active_profile'], `names unknown profile "${active}"`, unknownProfile(active)));
  }
  if (opts.profile !== undefined && !profileNames.includes(opts.profile)) {
    issues.push(makeIssue(ctx.file, ctx.positions.keyOf(['profiles']), ['profiles'], `has no profile "${opts.profile}" (the profile asked for)`, unknownProfile(opts.profile)));
  }
  return issues;
}

/** A DUPLICATE_KEY error, as yaml reports it, at each key that repeats an earlier one of its mapping. */
function duplicateKeys(doc: Document): YAMLParseError[] {
  const errors: YAMLParseError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (!seen.has(key.value)) seen.add(key.value);
        else if (key.range) errors.push(new YAMLParseError([key.range[0], key.range[0] + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
      }
    },
  });
  return errors;
}

/**
 * `record[name]` when `name` is one of its own keys: never what every object inherits
 * (`constructor`, `toString`, `__proto__`), whatever name a request or a file gives.
 */
export function ownEntry<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

function asMap(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
