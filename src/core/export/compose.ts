/**
 * opsdeck.yaml as a Docker Compose file (the compose specification; docs/export.md): one service
 * per Opsdeck service with its image, command, environment (secrets through env_file, never
 * inline), depends_on conditions, healthcheck from the readiness probe, restart policy, limits,
 * log rotation, data volumes and profiles; `.env` picks the exported profile.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import type { ExportFile } from '../contract/export';
import { ownEntry } from '../config/load';
import type { ServiceConfig } from '../config/schema';
import { STACK_MOUNT } from './image-map';
import { PROCESS_START_ALLOWANCE_MS, probeCommand } from './probe-command';
import { commandArgv, containerWorkdir, dataSlug, type ServiceFacts } from './service-facts';
import { GENERATED, secretsFile, type TargetInput, type TargetOutput } from './target-input';

export const COMPOSE_FILE = 'compose.yaml';

/** A duration in milliseconds as Compose writes it (`500ms`, `2s`). */
export function composeDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `$` is Compose's interpolation: a literal one is `$$`. */
const literal = (s: string) => s.replace(/\$/g, '$$$$');

/** A Compose project name: lower-case letters, digits, `-` and `_`. */
const projectName = (name: string) => name.toLowerCase().replace(/[^a-z0-9_-]/g, '-');

function healthcheck(config: ServiceConfig): Record<string, unknown> | undefined {
  const probe = config.health.readiness;
  const cmd = probe && probeCommand(probe);
  if (!probe || !cmd) return undefined;
  return {
    test: 'argv' in cmd ? ['CMD', ...cmd.argv.map(literal)] : ['CMD-SHELL', literal(cmd.script)],
    interval: composeDuration(probe.interval ?? 5000),
    // An http or tcp request keeps the probe's timeout (inside the script); its process gets time to start.
    timeout: composeDuration((probe.timeout ?? 1000) + ('script' in cmd ? PROCESS_START_ALLOWANCE_MS : 0)),
    retries: probe.failure_threshold ?? 3,
    start_period: composeDuration(probe.start_period ?? 0),
  };
}

/** The Compose condition of a dependency: healthy needs a healthcheck, which a log probe cannot give. */
function condition(dependency: ServiceConfig | undefined, wanted: string): string {
  if (wanted === 'completed') return 'service_completed_successfully';
  if (wanted === 'healthy' && dependency && healthcheck(dependency)) return 'service_healthy';
  return 'service_started';
}

function restart(config: ServiceConfig): string {
  const r = config.restart;
  return r.policy === 'never' ? 'no' : r.policy === 'always' ? 'always' : `on-failure:${r.max_retries}`;
}

/** The Opsdeck profiles that run `name`; none when every profile runs it (or there are none). */
function profilesOf(input: TargetInput, name: string): string[] | undefined {
  const profiles = Object.entries(input.stack.config.profiles);
  const running = profiles.filter(([, p]) => !p.services || p.services.includes(name)).map(([n]) => n);
  return running.length === profiles.length ? undefined : running;
}

function service(input: TargetInput, s: ServiceFacts): Record<string, unknown> {
  const { config } = s;
  const labels: Record<string, string> = { 'com.opsdeck.stack': input.stack.config.name, 'com.opsdeck.service': s.name, 'com.opsdeck.tier': config.tier };
  if (config.description) labels['com.opsdeck.description'] = config.description;
  if (config.rpo !== undefined) labels['com.opsdeck.rpo'] = composeDuration(config.rpo);
  if (config.rto !== undefined) labels['com.opsdeck.rto'] = composeDuration(config.rto);
  const stackRel = path.relative(input.outDir, input.stack.dir).replace(/\\/g, '/') || '.';
  const volumes = [
    ...(s.image.runsCommand ? [`${stackRel}:${STACK_MOUNT}`] : []),
    ...s.data.map((d) => `${s.name}-${dataSlug(d.path)}:${path.posix.join(STACK_MOUNT, d.path)}`),
  ];
  const deps = Object.entries(config.depends_on);
  const { logs } = input.stack.config;
  const profiles = profilesOf(input, s.name);
  const check = healthcheck(config);
  return {
    image: s.image.image,
    ...(s.image.runsCommand ? { command: commandArgv(config).map(literal), working_dir: containerWorkdir(config) } : {}),
    ...(Object.keys(s.env.plain).length ? { environment: Object.fromEntries(Object.entries(s.env.plain).map(([k, v]) => [k, literal(v)])) } : {}),
    ...(s.env.secrets.length ? { env_file: [`secrets/${s.name}.env`] } : {}),
    ...(s.ports.length ? { ports: s.ports.map((p) => `127.0.0.1:${p}:${p}`) } : {}),
    ...(volumes.length ? { volumes } : {}),
    ...(deps.length ? { depends_on: Object.fromEntries(deps.map(([d, c]) => [d, { condition: condition(ownEntry(input.stack.config.services, d), c) }])) } : {}),
    ...(check ? { healthcheck: check } : {}),
    restart: restart(config),
    stop_signal: config.stop_signal,
    stop_grace_period: composeDuration(config.stop_grace),
    ...(config.limits.memory_mb ? { mem_limit: `${config.limits.memory_mb}m` } : {}),
    ...(config.limits.open_files ? { ulimits: { nofile: { soft: config.limits.open_files, hard: config.limits.open_files } } } : {}),
    logging: { driver: 'json-file', options: { 'max-size': `${logs.max_size_mb}m`, 'max-file': String(logs.keep + 1) } },
    labels,
    ...(profiles ? { profiles } : {}),
  };
}

export function mapCompose(input: TargetInput): TargetOutput {
  const { config } = input.stack;
  const services = Object.fromEntries(input.services.map((s) => [s.name, service(input, s)]));
  const volumes = Object.fromEntries(input.services.flatMap((s) => s.data.map((d) => [`${s.name}-${dataSlug(d.path)}`, { labels: { 'com.opsdeck.stack': config.name, 'com.opsdeck.service': s.name, 'com.opsdeck.path': d.path } }])));
  const doc = { services, ...(Object.keys(volumes).length ? { volumes } : {}) };
  const header = [`# ${GENERATED}`, `# Stack ${config.name}${config.description ? `: ${config.description}` : ''}.`, `# Start it with: docker-compose up -d   (the profile is in .env: COMPOSE_PROFILES)`];
  const files: ExportFile[] = [
    { path: COMPOSE_FILE, role: 'the Compose file', text: `${header.join('\n')}\n${stringify(doc, { lineWidth: 0, version: '1.1' })}` },
    {
      path: '.env',
      role: 'Compose\'s settings: the project name and the profile',
      text: `# ${GENERATED}\nCOMPOSE_PROJECT_NAME=${projectName(config.name)}\n${input.stack.profile ? `# ${ownEntry(config.profiles, input.stack.profile)?.description ?? `profile ${input.stack.profile}`}\nCOMPOSE_PROFILES=${input.stack.profile}\n` : ''}`,
    },
  ];
  const notes: string[] = [];
  for (const s of input.services) {
    if (!s.env.secrets.length) continue;
    files.push(secretsFile(s));
    notes.push(`${s.name}: fill in secrets/${s.name}.env (${s.env.secrets.join(', ')}): secrets are never written into the export`);
  }
  return { files, notes };
}
