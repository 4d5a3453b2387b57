/**
 * The check of Kubernetes manifests without a cluster: every object is validated against the
 * Kubernetes OpenAPI schemas (the kubernetes-models package, offline), and its name and labels
 * against the API server's rules for them (which the schemas do not hold).
 */
import { parseAllDocuments } from 'yaml';
import type { ExportCheck, ExportFile } from '../contract/export';
import { OpsError } from '../errors';

interface Model {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Model;

/** The model class of each apiVersion/kind the export writes, loaded on first use. */
const MODELS: Record<string, () => Promise<ModelClass>> = {
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment as unknown as ModelClass,
  'apps/v1/StatefulSet': async () => (await import('kubernetes-models/apps/v1/StatefulSet')).StatefulSet as unknown as ModelClass,
  'batch/v1/Job': async () => (await import('kubernetes-models/batch/v1/Job')).Job as unknown as ModelClass,
  'batch/v1/CronJob': async () => (await import('kubernetes-models/batch/v1/CronJob')).CronJob as unknown as ModelClass,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service as unknown as ModelClass,
  'v1/PersistentVolumeClaim': async () => (await import('kubernetes-models/v1/PersistentVolumeClaim')).PersistentVolumeClaim as unknown as ModelClass,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap as unknown as ModelClass,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret as unknown as ModelClass,
};

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** The API server's rules for names and labels, which the OpenAPI schemas leave out. */
function nameProblems(o: Record<string, unknown>): string[] {
  const meta = (o.metadata ?? {}) as { name?: unknown; labels?: Record<string, unknown> };
  const problems: string[] = [];
  const name = String(meta.name ?? '');
  const rule = o.kind === 'Service' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (!rule.test(name)) problems.push(`metadata.name "${name}" is not a valid ${o.kind === 'Service' ? 'DNS label' : 'DNS subdomain'}`);
  if ((o.kind === 'CronJob' && name.length > 52) || (o.kind === 'StatefulSet' && name.length > 52)) problems.push(`metadata.name "${name}" is longer than 52 characters (a ${String(o.kind)}'s limit)`);
  for (const [k, v] of Object.entries(meta.labels ?? {})) if (typeof v !== 'string' || !LABEL_VALUE.test(v)) problems.push(`label ${k}: "${String(v)}" is not a valid label value`);
  return problems;
}

/** A model class; NOT_AVAILABLE where the schemas are not installed (the extension's and the daemon's bundles leave them out). */
async function loadModel(load: () => Promise<ModelClass>): Promise<ModelClass> {
  try {
    return await load();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new OpsError('NOT_AVAILABLE', 'the Kubernetes schemas (the kubernetes-models package) are not installed here, so the manifests cannot be checked', 'run `opsdeck export kubernetes --check` with the opsdeck CLI, which holds them, or export without --check');
  }
}

/** Validates every object of the manifests; files that are not manifests (kustomization.yaml) are left out. */
export async function checkKubernetes(files: ExportFile[]): Promise<ExportCheck> {
  const problems: string[] = [];
  let objects = 0;
  for (const f of files.filter((x) => x.path.endsWith('.yaml') && x.path !== 'kustomization.yaml')) {
    for (const [i, doc] of parseAllDocuments(f.text).entries()) {
      const where = `${f.path} (document ${i + 1})`;
      if (doc.errors.length) {
        problems.push(`${where}: not YAML: ${doc.errors[0]!.message}`);
        continue;
      }
      const o = doc.toJS() as Record<string, unknown> | null;
      if (!o) continue;
      const id = `${String(o.apiVersion)}/${String(o.kind)}`;
      const load = MODELS[id];
      if (!load) {
        problems.push(`${where}: ${id} is not a kind this check knows`);
        continue;
      }
      objects++;
      const Model = await loadModel(load);
      try {
        new Model(o).validate();
      } catch (e) {
        problems.push(`${where} ${String(o.kind)} ${String((o.metadata as { name?: string } | undefined)?.name)}: ${(e as Error).message}`);
      }
      for (const p of nameProblems(o)) problems.push(`${where} ${String(o.kind)}: ${p}`);
    }
  }
  if (!objects) problems.push('no Kubernetes object to check');
  return { ok: problems.length === 0, tool: `the Kubernetes OpenAPI schemas (kubernetes-models), ${objects} object${objects === 1 ? '' : 's'}`, problems };
}
