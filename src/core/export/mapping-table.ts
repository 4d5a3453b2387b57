/**
 * The export's mapping table (docs/export.md#the-mapping-table): for each key of opsdeck.yaml (a
 * key path, or a whole section when none of it maps), where it goes in Docker Compose and in
 * Kubernetes, or, named as not mapped, what the target does instead. Every key path of the schema
 * is covered by a line (test/unit/export-mapping.test.ts), so a new key needs a line here.
 */
import type { ExportTarget } from '../contract/export';
import { covers } from './config-keys';

/** Where a key goes on one target: `to`, or not mapped with what covers it instead. */
export type Mapping = { to: string } | { not: string };

export interface TableLine {
  key: string;
  compose: Mapping;
  kubernetes: Mapping;
}

const to = (text: string): Mapping => ({ to: text });
const not = (text: string): Mapping => ({ not: text });
const both = (m: Mapping): Pick<TableLine, 'compose' | 'kubernetes'> => ({ compose: m, kubernetes: m });

const S = 'services.<name>';
const NO_SCHEDULER = not('Compose has no scheduler: run `opsdeck backup` (and `backups forget`, `backups verify`) on the host from cron or a systemd timer, against the stack folder whose data the volumes hold');
const NO_LIVENESS = not('Compose has no liveness probe: the healthcheck (from readiness) marks a container unhealthy, and nothing restarts it');
const probeTiming = (role: 'readiness' | 'liveness'): TableLine[] => [
  {
    key: `${S}.health.${role}.interval`,
    compose: role === 'readiness' ? to('healthcheck.interval') : NO_LIVENESS,
    kubernetes: to(`${role}Probe.periodSeconds (whole seconds, at least 1)`),
  },
  { key: `${S}.health.${role}.timeout`, compose: role === 'readiness' ? to('healthcheck.timeout (http and tcp: plus 2s to start the probe\'s process; the request itself keeps the probe\'s timeout)') : NO_LIVENESS, kubernetes: to(`${role}Probe.timeoutSeconds`) },
  {
    key: `${S}.health.${role}.failure_threshold`,
    compose: role === 'readiness' ? to('healthcheck.retries') : NO_LIVENESS,
    kubernetes: to(`${role}Probe.failureThreshold`),
  },
  {
    key: `${S}.health.${role}.start_period`,
    compose: role === 'readiness' ? to('healthcheck.start_period') : NO_LIVENESS,
    kubernetes: to('startupProbe (the same probe, failureThreshold = start_period / interval): liveness and readiness wait for it'),
  },
];
const probeKinds = (role: 'readiness' | 'liveness'): TableLine[] => [
  {
    key: `${S}.health.${role}.http`,
    compose: role === 'readiness' ? to('healthcheck.test: CMD-SHELL trying curl, wget, then node, with the expected status') : NO_LIVENESS,
    kubernetes: to(`${role}Probe.httpGet (path, port, scheme; a loopback host becomes the pod's address; method and status: any 2xx/3xx, see notes)`),
  },
  {
    key: `${S}.health.${role}.tcp`,
    compose: role === 'readiness' ? to('healthcheck.test: CMD-SHELL nc -z, else node') : NO_LIVENESS,
    kubernetes: to(`${role}Probe.tcpSocket (port; a loopback host becomes the pod's address)`),
  },
  {
    key: `${S}.health.${role}.exec`,
    compose: role === 'readiness' ? to('healthcheck.test: CMD with the argv') : NO_LIVENESS,
    kubernetes: to(`${role}Probe.exec.command`),
  },
  {
    key: `${S}.health.${role}.log`,
    compose: not('a container engine cannot probe a log line: no healthcheck, and depends_on: healthy on it becomes service_started; write an http, tcp or exec probe'),
    kubernetes: not('Kubernetes cannot probe a log line: no probe; write an http, tcp or exec probe'),
  },
];

export const MAPPING_TABLE: readonly TableLine[] = [
  { key: 'version', ...both(to('(the file format; nothing to map)')) },
  { key: 'name', compose: to('COMPOSE_PROJECT_NAME in .env and the label com.opsdeck.stack'), kubernetes: to('the label app.kubernetes.io/part-of and app.kubernetes.io/instance; the ConfigMap <name>-config') },
  { key: 'description', compose: to('a comment at the top of compose.yaml'), kubernetes: to('the annotation opsdeck.dev/description on every object') },
  {
    key: 'active_profile',
    compose: to('COMPOSE_PROFILES in .env (the exported profile: --profile, else active_profile)'),
    kubernetes: to('which services are exported (--profile, else active_profile)'),
  },
  { key: 'profiles.<name>.description', compose: not('Compose profiles have no description: it is a comment in .env'), kubernetes: not('Kubernetes has no profiles: export each profile on its own') },
  {
    key: 'profiles.<name>.services',
    compose: to('profiles: of each service (the Opsdeck profiles that run it; none when every profile does)'),
    kubernetes: to('the services exported (only the exported profile\'s)'),
  },
  { key: 'profiles.<name>.env', compose: to('environment (the exported profile\'s; other profiles: export again with --profile)'), kubernetes: to('env of each container (the exported profile\'s)') },
  { key: 'profiles.<name>.overrides', compose: to('environment of that service (the exported profile\'s)'), kubernetes: to('env of that container (the exported profile\'s)') },
  {
    key: 'profiles.<name>.ipc',
    ...both(not('the IPC score is computed by the Opsdeck engine from probe latencies: use the target\'s metrics (Prometheus, cAdvisor) and alert on probe latency')),
  },
  {
    key: 'logs',
    compose: to('logging: json-file with max-size (max_size_mb) and max-file (keep + 1)'),
    kubernetes: not('the kubelet rotates container logs (containerLogMaxSize, containerLogMaxFiles in its configuration)'),
  },
  {
    key: 'backup.repository',
    compose: NO_SCHEDULER,
    kubernetes: to('the PersistentVolumeClaim <stack>-backups, mounted by the backup CronJobs at the same path'),
  },
  { key: 'backup.key_file', compose: NO_SCHEDULER, kubernetes: not('mount the key file from a Secret into the backup CronJob yourself (it is a secret: never written into the export)') },
  { key: 'backup.key_env', compose: NO_SCHEDULER, kubernetes: to('env of the backup CronJob from the Secret <stack>-backup (key named after the variable), referenced, not filled in') },
  { key: 'backup.schedule', compose: NO_SCHEDULER, kubernetes: to('CronJob <stack>-backup: schedule, running `opsdeck backup` then `opsdeck backups forget`') },
  { key: 'backup.retention', compose: NO_SCHEDULER, kubernetes: to('`opsdeck backups forget` (--prune when retention.prune) in the backup CronJob, reading retention from the ConfigMap\'s opsdeck.yaml') },
  { key: 'backup.verify_schedule', compose: NO_SCHEDULER, kubernetes: to('CronJob <stack>-verify: schedule, running `opsdeck backups verify --read-data-subset`') },
  { key: 'backup.verify_subset', compose: NO_SCHEDULER, kubernetes: to('--read-data-subset of the verify CronJob') },
  {
    key: 'backup.rpo_check_interval',
    ...both(not('the RPO watch runs in the Opsdeck engine: alert on the age of the newest backup (the CronJob\'s last success, a Prometheus rule)')),
  },
  { key: 'maintenance', ...both(not('the maintenance set runs in the Opsdeck engine: run `opsdeck maintain` where the stack\'s files are (a host timer; for Kubernetes a CronJob of your own)')) },
  { key: 'boot', compose: not('Compose starts at boot through the Docker daemon: restart policies bring the containers back'), kubernetes: not('the cluster runs the workloads: nothing starts at login') },
  {
    key: 'release',
    compose: not('a release is an image tag: build one per version, then `docker compose up -d` rolls it out (and the previous tag back)'),
    kubernetes: not('a release is an image tag rolled out by the Deployment / StatefulSet (`kubectl rollout undo` goes back); the ledger is the rollout history'),
  },
  { key: 'api', ...both(not('the control API is the Opsdeck engine\'s, which the exported services run without: a target has its own API (the Docker or Kubernetes API); Prometheus scrapes the services, or an `opsdeck` engine run beside them')) },
  { key: 'alerts', ...both(not('alerting is the Opsdeck engine\'s: use the target\'s (Prometheus Alertmanager rules over the same conditions); channel secrets are never exported')) },
  { key: 'metrics', ...both(not('the metrics store is the Opsdeck engine\'s: the target\'s monitoring keeps its own history')) },
  { key: 'reports', ...both(not('the operations report is the Opsdeck engine\'s: run `opsdeck report` where the engine ran')) },

  { key: `${S}.description`, compose: to('the label com.opsdeck.description'), kubernetes: to('the annotation opsdeck.dev/description') },
  {
    key: `${S}.tier`,
    compose: not('no start order by tier: depends_on orders the start, the tier is kept as the label com.opsdeck.tier'),
    kubernetes: not('no start order: init containers wait for dependencies; the tier is the label app.kubernetes.io/component'),
  },
  {
    key: `${S}.command`,
    compose: to('command (with a base image: run in /stack, the stack folder bind-mounted; with the service\'s own image: the image\'s command)'),
    kubernetes: to('container command (with a base image the stack folder must be in the image at /stack; with its own image: the image\'s command)'),
  },
  { key: `${S}.shell`, ...both(to('a string command runs as sh -c COMMAND')) },
  { key: `${S}.cwd`, compose: to('working_dir /stack/<cwd>'), kubernetes: to('workingDir /stack/<cwd>') },
  {
    key: `${S}.env`,
    compose: to('environment (127.0.0.1:PORT of another service becomes SERVICE:PORT); secrets (PASSWORD, TOKEN, *_KEY, …) through env_file secrets/<service>.env, never inline'),
    kubernetes: to('env (the same rewrite); secrets as secretKeyRef to the Secret <service>-secrets, referenced, not filled in'),
  },
  {
    key: `${S}.depends_on`,
    compose: to('depends_on: healthy → service_healthy (service_started when the dependency has no readiness probe), started → service_started, completed → service_completed_successfully'),
    kubernetes: to('healthy → an init container waiting for the dependency\'s readiness probe through its Service; started → nothing (everything starts at once); completed → the dependency runs as an init container of the pod'),
  },
  ...probeKinds('readiness'),
  ...probeTiming('readiness'),
  ...probeKinds('liveness'),
  ...probeTiming('liveness'),
  {
    key: `${S}.health.check`,
    compose: not('the full-functionality check is run on demand by Opsdeck: `docker-compose exec SERVICE CMD…`'),
    kubernetes: not('the full-functionality check is run on demand by Opsdeck: `kubectl exec deploy/SERVICE -- CMD…`, or a CronJob of your own when it has an interval'),
  },
  {
    key: `${S}.restart.policy`,
    compose: to('restart: never → "no", on-failure → on-failure:<max_retries>, always → always'),
    kubernetes: to('never → a Job (restartPolicy Never, backoffLimit 0); on-failure and always → a Deployment or StatefulSet (restartPolicy Always: a Deployment restarts even after exit 0)'),
  },
  { key: `${S}.restart.max_retries`, compose: to('restart: on-failure:<max_retries> (counted for ever, not within restart.window)'), kubernetes: not('the kubelet restarts for ever with CrashLoopBackOff') },
  { key: `${S}.restart.window`, ...both(not('retries are not counted in a window: Compose counts them for ever, the kubelet never stops')) },
  { key: `${S}.restart.backoff`, compose: not('Docker doubles its restart delay from 100 ms, reset after 10 s of running'), kubernetes: not('the kubelet\'s CrashLoopBackOff: 10 s doubling to 5 min, reset after 10 min of running') },
  { key: `${S}.stop_signal`, compose: to('stop_signal'), kubernetes: not('Kubernetes sends SIGTERM: set STOPSIGNAL in the image, or a preStop hook') },
  { key: `${S}.stop_grace`, compose: to('stop_grace_period'), kubernetes: to('terminationGracePeriodSeconds') },
  {
    key: `${S}.limits.memory_mb`,
    compose: to('mem_limit (the kernel kills the container over it; the restart policy brings it back)'),
    kubernetes: to('resources.limits.memory (and requests.memory): the kernel kills the container over it, the kubelet restarts it'),
  },
  { key: `${S}.limits.open_files`, compose: to('ulimits.nofile (soft and hard)'), kubernetes: not('Kubernetes has no per-container open-files limit: the container runtime\'s default applies') },
  { key: `${S}.limits.sample_interval`, ...both(not('the memory limit is the kernel\'s (cgroup), which needs no sampling')) },
  { key: `${S}.ipc`, ...both(not('the IPC score is the Opsdeck engine\'s: alert on probe latency with the target\'s monitoring')) },
  {
    key: `${S}.backup.sqlite`,
    compose: to('a named volume for the database\'s folder, mounted at /stack/<folder>'),
    kubernetes: to('a PersistentVolumeClaim for the database\'s folder (the service becomes a StatefulSet), mounted by the backup CronJob too'),
  },
  { key: `${S}.backup.files`, compose: to('a named volume for each glob\'s fixed folder'), kubernetes: to('a PersistentVolumeClaim for each glob\'s fixed folder') },
  { key: `${S}.backup.exclude`, ...both(to('read by `opsdeck backup` from opsdeck.yaml (the volumes hold the whole folder)')) },
  {
    key: `${S}.backup.postgres`,
    compose: not('pg_dump runs from `opsdeck backup` on the host; the database\'s own files need a volume: declare them under backup.files'),
    kubernetes: not('pg_dump runs from the backup CronJob against the Service (host: the service name); the database\'s own files need a volume: declare them under backup.files'),
  },
  { key: `${S}.backup.command`, compose: not('run by `opsdeck backup` on the host'), kubernetes: not('run by the backup CronJob\'s `opsdeck backup`, which needs the command\'s tools in its image') },
  { key: `${S}.maintenance`, ...both(not('maintenance runs in the Opsdeck engine (see maintenance)')) },
  { key: `${S}.install`, ...both(not('install steps belong in the image build (a RUN step of its Dockerfile)')) },
  {
    key: `${S}.migrate`,
    compose: not('run the migrations as a one-shot service the app depends on with condition service_completed_successfully; going back is a new image with the down step'),
    kubernetes: not('run the migrations in an init container or a Job before the rollout; going back is `kubectl rollout undo` plus the down step as a Job'),
  },
  { key: `${S}.requires`, ...both(not('checked by `opsdeck deploy` on a host; in a container the image holds the programs it needs')) },
  {
    key: `${S}.rpo`,
    compose: to('the label com.opsdeck.rpo (the watch itself is the engine\'s: see backup.rpo_check_interval)'),
    kubernetes: to('the annotation opsdeck.dev/rpo (the watch itself is the engine\'s: see backup.rpo_check_interval)'),
  },
  { key: `${S}.rto`, compose: to('the label com.opsdeck.rto (a restore is `opsdeck restore`)'), kubernetes: to('the annotation opsdeck.dev/rto (a restore is `opsdeck restore`)') },
];

/** The table's line for a key path, or undefined when none covers it (a test failure). */
export function tableLineFor(key: string): TableLine | undefined {
  let best: TableLine | undefined;
  for (const line of MAPPING_TABLE) if (covers(line.key, key) && (!best || line.key.length > best.key.length)) best = line;
  return best;
}

/** A mapping as the report writes it. */
export function mappingText(m: Mapping): { status: 'mapped' | 'not-mapped'; to: string } {
  return 'to' in m ? { status: 'mapped', to: m.to } : { status: 'not-mapped', to: m.not };
}

/** The table as Markdown, for docs/export.md (test/unit/export-mapping.test.ts keeps the two equal). */
export function mappingTableMarkdown(): string {
  const cell = (m: Mapping) => ('to' in m ? m.to : `**not mapped**: ${m.not}`).replace(/\|/g, '\\|');
  const rows = MAPPING_TABLE.map((l) => `| \`${l.key}\` | ${cell(l.compose)} | ${cell(l.kubernetes)} |`);
  return ['| Key | Docker Compose | Kubernetes |', '| --- | --- | --- |', ...rows].join('\n');
}

export const targetOf = (line: TableLine, target: ExportTarget): Mapping => line[target];
