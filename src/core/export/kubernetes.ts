/**
 * opsdeck.yaml as Kubernetes manifests (docs/export.md): per service a Deployment (a StatefulSet
 * when it has data, a Job when it runs once) and a Service, its probes (startupProbe from
 * start_period), resources from its limits, init containers that wait for its dependencies (or
 * run the one-shot ones), a PersistentVolumeClaim per data folder; for the stack a ConfigMap with
 * opsdeck.yaml, the backup and verify CronJobs running `opsdeck`, and Secrets referenced by name,
 * never filled in. Every object carries the app.kubernetes.io/* labels.
 */
import path from 'node:path';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { isSecretName } from '../redact';
import { OpsError } from '../errors';
import type { ExportFile } from '../contract/export';
import { ownEntry } from '../config/load';
import { PROBE_DEFAULTS, type ProbeConfig, type ServiceConfig } from '../config/schema';
import { STACK_MOUNT } from './image-map';
import { remoteProbeScript } from './probe-command';
import { commandArgv, containerWorkdir, dataSlug, objectName, urlPort, type ServiceFacts } from './service-facts';
import { GENERATED, secretsFile, type TargetInput, type TargetOutput } from './target-input';

type Obj = Record<string, unknown>;

/** Whole seconds, at least 1, as Kubernetes counts probe periods and timeouts. */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', '0.0.0.0']);

function labelsOf(input: TargetInput, s?: ServiceFacts): Record<string, string> {
  const stack = objectName(input.stack.config.name);
  return {
    ...(s ? { 'app.kubernetes.io/name': s.object, 'app.kubernetes.io/component': s.config.tier } : {}),
    'app.kubernetes.io/instance': stack,
    'app.kubernetes.io/part-of': stack,
    'app.kubernetes.io/managed-by': 'opsdeck',
  };
}

function metadata(input: TargetInput, name: string, s?: ServiceFacts, extra: Record<string, string> = {}): Obj {
  const description = s ? s.config.description : input.stack.config.description;
  const annotations: Record<string, string> = { ...(description ? { 'opsdeck.dev/description': description } : {}), ...extra };
  return { name, labels: labelsOf(input, s), ...(Object.keys(annotations).length ? { annotations } : {}) };
}

/** The probe's handler: httpGet, tcpSocket or exec; undefined for a log probe. */
function handler(p: ProbeConfig): Obj | undefined {
  if (p.http) {
    const u = new URL(p.http.url);
    return { httpGet: { path: `${u.pathname}${u.search}`, port: urlPort(p.http.url), scheme: u.protocol === 'https:' ? 'HTTPS' : 'HTTP', ...(LOOPBACK.has(u.hostname) ? {} : { host: u.hostname }) } };
  }
  if (p.tcp) return { tcpSocket: { port: p.tcp.port, ...(LOOPBACK.has(p.tcp.host) ? {} : { host: p.tcp.host }) } };
  if (p.exec) return { exec: { command: p.exec } };
  return undefined;
}

function probe(p: ProbeConfig | undefined, role: 'readiness' | 'liveness'): Obj | undefined {
  const h = p && handler(p);
  if (!p || !h) return undefined;
  const d = PROBE_DEFAULTS[role];
  return { ...h, periodSeconds: seconds(p.interval ?? d.interval), timeoutSeconds: seconds(p.timeout ?? d.timeout), failureThreshold: p.failure_threshold ?? d.failure_threshold };
}

/** The startupProbe: the liveness probe (else readiness) tried for start_period before the others begin. */
function startupProbe(config: ServiceConfig): Obj | undefined {
  const { readiness, liveness } = config.health;
  const start = Math.max(liveness?.start_period ?? (liveness ? PROBE_DEFAULTS.liveness.start_period : 0), readiness?.start_period ?? 0);
  const p = [liveness, readiness].find((x) => x && handler(x));
  if (!p || start <= 0) return undefined;
  const period = seconds(p.interval ?? PROBE_DEFAULTS.readiness.interval);
  return { ...handler(p), periodSeconds: period, timeoutSeconds: seconds(p.timeout ?? 1000), failureThreshold: Math.max(1, Math.ceil(seconds(start) / period)) };
}

function env(s: ServiceFacts): Obj[] {
  return [
    ...Object.entries(s.env.plain).map(([name, value]) => ({ name, value })),
    ...s.env.secrets.map((name) => ({ name, valueFrom: { secretKeyRef: { name: `${s.object}-secrets`, key: name } } })),
  ];
}

const claimName = (s: ServiceFacts, p: string) => `${s.object}-${dataSlug(p)}`;

/** The service's container (also the init container that runs it for a dependent that waits for it to complete). */
function container(s: ServiceFacts, name: string, withProbes: boolean): Obj {
  const { config } = s;
  const probes = withProbes
    ? Object.fromEntries(
        [
          ['readinessProbe', probe(config.health.readiness, 'readiness')],
          ['livenessProbe', probe(config.health.liveness, 'liveness')],
          ['startupProbe', startupProbe(config)],
        ].filter(([, v]) => v),
      )
    : {};
  const memory = config.limits.memory_mb ? `${config.limits.memory_mb}Mi` : undefined;
  const e = env(s);
  return {
    name,
    image: s.image.image,
    ...(s.image.runsCommand ? { command: commandArgv(config), workingDir: containerWorkdir(config) } : {}),
    ...(e.length ? { env: e } : {}),
    ...(withProbes && s.ports.length ? { ports: s.ports.map((p) => ({ containerPort: p })) } : {}),
    ...(memory ? { resources: { limits: { memory }, requests: { memory } } } : {}),
    ...(s.data.length ? { volumeMounts: s.data.map((d) => ({ name: dataSlug(d.path), mountPath: path.posix.join(STACK_MOUNT, d.path) })) } : {}),
    ...probes,
  };
}

/** The init container that waits for a healthy dependency, probing it through its Service; undefined when it cannot be probed from outside. */
function waitFor(s: ServiceFacts, dep: ServiceFacts): Obj | undefined {
  const p = dep.config.health.readiness;
  const script = (p && remoteProbeScript(p, dep.object)) ?? (p && dep.ports[0] ? remoteProbeScript({ tcp: { host: dep.object, port: dep.ports[0] } } as ProbeConfig, dep.object) : undefined);
  if (!script) return undefined;
  return { name: `wait-for-${dep.object}`, image: s.image.image, command: ['sh', '-c', `until ( ${script} ); do echo "waiting for ${dep.name}"; sleep 2; done`] };
}

/** The services that run only as init containers: every exported dependent waits for them to complete. */
function initOnly(input: TargetInput): Set<string> {
  const waits = new Map<string, string[]>();
  for (const s of input.services) for (const [d, c] of Object.entries(s.config.depends_on)) waits.set(d, [...(waits.get(d) ?? []), c]);
  return new Set([...waits].filter(([, cs]) => cs.every((c) => c === 'completed')).map(([d]) => d));
}

function workload(input: TargetInput, s: ServiceFacts, byName: Map<string, ServiceFacts>, notes: string[]): Obj {
  const { config } = s;
  const init: Obj[] = [];
  for (const [d, c] of Object.entries(config.depends_on)) {
    const dep = byName.get(d)!;
    if (c === 'completed') init.push(container(dep, `run-${dep.object}`, false));
    else if (c === 'healthy' && dep.config.health.readiness) {
      const w = waitFor(s, dep);
      if (w) init.push(w);
      if (w && !remoteProbeScript(dep.config.health.readiness, dep.object)) notes.push(`${s.name} waits for ${d}'s port ${dep.ports[0]}: ${d}'s readiness probe (exec or log) runs only inside ${d}`);
      else notes.push(`${s.name} waits for ${d} to be healthy, but ${d}'s readiness probe cannot be run from another pod and ${d} has no port: ${s.name} starts without waiting`);
    }
  }
  const volumes = s.data.map((d) => ({ name: dataSlug(d.path), persistentVolumeClaim: { claimName: claimName(s, d.path) } }));
  const podSpec: Obj = {
    ...(init.length ? { initContainers: init } : {}),
    containers: [container(s, s.object, true)],
    terminationGracePeriodSeconds: Math.ceil(config.stop_grace / 1000),
    ...(config.restart.policy === 'never' ? { restartPolicy: 'Never' } : {}),
    ...(volumes.length ? { volumes } : {}),
  };
  const extra: Record<string, string> = {};
  if (config.rpo !== undefined) extra['opsdeck.dev/rpo'] = `${seconds(config.rpo)}s`;
  if (config.rto !== undefined) extra['opsdeck.dev/rto'] = `${seconds(config.rto)}s`;
  const meta = metadata(input, s.object, s, extra);
  const selector = { matchLabels: { 'app.kubernetes.io/name': s.object, 'app.kubernetes.io/instance': objectName(input.stack.config.name) } };
  const template = { metadata: { labels: labelsOf(input, s) }, spec: podSpec };
  if (config.restart.policy === 'never') return { apiVersion: 'batch/v1', kind: 'Job', metadata: meta, spec: { backoffLimit: 0, template } };
  if (s.data.length) return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta, spec: { serviceName: s.object, replicas: 1, selector, template } };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 1, selector, strategy: { type: 'Recreate' }, template } };
}

function serviceObject(input: TargetInput, s: ServiceFacts): Obj {
  const selector = { 'app.kubernetes.io/name': s.object, 'app.kubernetes.io/instance': objectName(input.stack.config.name) };
  const spec = s.ports.length ? { selector, ports: s.ports.map((p) => ({ name: `port-${p}`, port: p, targetPort: p })) } : { selector, clusterIP: 'None' };
  return { apiVersion: 'v1', kind: 'Service', metadata: metadata(input, s.object, s), spec };
}

function claim(input: TargetInput, name: string, s: ServiceFacts | undefined, what: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: metadata(input, name, s, { 'opsdeck.dev/path': what }),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

const yamlDocs = (objects: Obj[]) => objects.map((o) => stringify(o, { lineWidth: 0, version: '1.1' })).join('---\n');

/** The CronJobs of the stack's backup schedule and verify schedule, and the claim of the repository. */
function backupObjects(input: TargetInput, notes: string[]): Obj[] {
  const { config } = input.stack;
  const { backup } = config;
  if (!backup.schedule && !backup.verify_schedule) return [];
  const image = input.imageMap.opsdeck;
  if (!image) {
    throw new OpsError(
      'EXPORT_IMAGE_MISSING',
      'no image for the backup CronJobs: backup.schedule (or verify_schedule) runs `opsdeck backup` in the cluster, in an image with the opsdeck CLI',
      'add `opsdeck: IMAGE` (an image with node and opsdeck) to the image map; docs/export.md#images',
    );
  }
  const stack = objectName(config.name);
  const repoPath = path.posix.isAbsolute(backup.repository) ? backup.repository : path.posix.join(STACK_MOUNT, backup.repository.replace(/\\/g, '/'));
  const withData = input.services.filter((s) => s.config.backup);
  const volumes: Obj[] = [
    { name: 'config', configMap: { name: `${stack}-config` } },
    { name: 'repository', persistentVolumeClaim: { claimName: `${stack}-backups` } },
    ...withData.flatMap((s) => s.data.map((d) => ({ name: `${s.object}-${dataSlug(d.path)}`, persistentVolumeClaim: { claimName: claimName(s, d.path) } }))),
  ];
  const mounts: Obj[] = [
    { name: 'config', mountPath: `${STACK_MOUNT}/opsdeck.yaml`, subPath: 'opsdeck.yaml' },
    { name: 'repository', mountPath: repoPath },
    ...withData.flatMap((s) => s.data.map((d) => ({ name: `${s.object}-${dataSlug(d.path)}`, mountPath: path.posix.join(STACK_MOUNT, d.path) }))),
  ];
  const keyEnv = backup.key_env ? [{ name: backup.key_env, valueFrom: { secretKeyRef: { name: `${stack}-backup`, key: backup.key_env } } }] : [];
  if (backup.key_env) notes.push(`create the Secret ${stack}-backup with the key ${backup.key_env} (the repository's key): kubectl create secret generic ${stack}-backup --from-literal=${backup.key_env}=…`);
  if (backup.key_file) notes.push(`backup.key_file (${backup.key_file}) is not exported: mount it into the backup CronJobs from a Secret of your own`);
  const cron = (name: string, schedule: string, script: string): Obj => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: metadata(input, name),
    spec: {
      schedule,
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: labelsOf(input) },
            spec: { restartPolicy: 'Never', containers: [{ name: 'opsdeck', image, workingDir: STACK_MOUNT, command: ['sh', '-c', script], ...(keyEnv.length ? { env: keyEnv } : {}), volumeMounts: mounts }], volumes },
          },
        },
      },
    },
  });
  const forget = backup.retention ? ` && opsdeck --stack ${STACK_MOUNT} backups forget${backup.retention.prune ? ' --prune' : ''}` : '';
  const objects: Obj[] = [claim(input, `${stack}-backups`, undefined, backup.repository)];
  // A CronJob's name is at most 52 characters (its Jobs add 11).
  const cronName = (suffix: string) => `${stack.slice(0, 52 - suffix.length).replace(/-+$/, '')}${suffix}`;
  if (backup.schedule) objects.push(cron(cronName('-backup'), backup.schedule, `opsdeck --stack ${STACK_MOUNT} backup --no-progress${forget}`));
  if (backup.verify_schedule) objects.push(cron(cronName('-verify'), backup.verify_schedule, `opsdeck --stack ${STACK_MOUNT} backups verify --read-data-subset ${backup.verify_subset}`));
  notes.push('the backup CronJobs mount the services\' ReadWriteOnce claims: they run on the node that holds them (or use ReadWriteMany storage)');
  return objects;
}

/** opsdeck.yaml for the ConfigMap: the values of secret-named variables blanked (a ConfigMap is no place for a secret). */
function configWithoutSecrets(text: string): { text: string; blanked: string[] } {
  const doc = parseDocument(text);
  const blanked: string[] = [];
  const blank = (at: unknown[]) => {
    const env = doc.getIn(at, true);
    if (!isMap(env)) return;
    for (const item of env.items) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (isSecretName(key)) {
        env.set(key, '');
        blanked.push(key);
      }
    }
  };
  const names = (at: unknown[]) => {
    const m = doc.getIn(at, true);
    return isMap(m) ? m.items.map((i) => (isScalar(i.key) ? String(i.key.value) : String(i.key))) : [];
  };
  for (const s of names(['services'])) blank(['services', s, 'env']);
  for (const p of names(['profiles'])) {
    blank(['profiles', p, 'env']);
    for (const s of names(['profiles', p, 'overrides'])) blank(['profiles', p, 'overrides', s, 'env']);
  }
  return { text: blanked.length ? doc.toString() : text, blanked };
}

export function mapKubernetes(input: TargetInput): TargetOutput {
  const notes: string[] = [];
  const byName = new Map(input.services.map((s) => [s.name, s]));
  const only = initOnly(input);
  const stack = objectName(input.stack.config.name);
  const files: ExportFile[] = [];
  const header = `# ${GENERATED}\n`;
  for (const s of input.services) {
    if (only.has(s.name)) {
      notes.push(`${s.name} runs as an init container of ${input.services.filter((d) => ownEntry(d.config.depends_on, s.name) === 'completed').map((d) => d.name).join(', ')} (each waits for it to complete): it has no workload of its own`);
      continue;
    }
    const objects = [workload(input, s, byName, notes), serviceObject(input, s), ...s.data.map((d) => claim(input, claimName(s, d.path), s, d.path))];
    files.push({ path: `${s.object}.yaml`, role: `${s.name}: its ${String(objects[0]!.kind)}, Service${s.data.length ? ' and PersistentVolumeClaims' : ''}`, text: header + yamlDocs(objects) });
    if (s.env.secrets.length) {
      files.push(secretsFile(s));
      notes.push(`create the Secret ${s.object}-secrets with ${s.env.secrets.join(', ')}: kubectl create secret generic ${s.object}-secrets --from-env-file=secrets/${s.name}.env`);
    }
  }
  const config = configWithoutSecrets(input.configText);
  if (config.blanked.length) notes.push(`the ConfigMap's opsdeck.yaml has the values of ${[...new Set(config.blanked)].join(', ')} blanked: secrets come from the Secrets`);
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(input, `${stack}-config`), data: { 'opsdeck.yaml': config.text } };
  const backup = backupObjects(input, notes);
  files.push({ path: 'stack.yaml', role: 'the stack: opsdeck.yaml as a ConfigMap, the backup claim and CronJobs', text: header + yamlDocs([configMap, ...backup]) });
  files.push({ path: 'kustomization.yaml', role: 'the list of manifests (kubectl apply -k)', text: header + stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files.map((f) => f.path) }) });
  return { files, notes };
}

/** The kinds the manifests hold, for the check (kubernetes-check.ts). */
export const KUBERNETES_KINDS = ['Deployment', 'StatefulSet', 'Job', 'Service', 'PersistentVolumeClaim', 'ConfigMap', 'CronJob'] as const;
