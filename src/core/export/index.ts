/**
 * `opsdeck export`: a stack's opsdeck.yaml mapped onto Docker Compose or Kubernetes
 * (docs/export.md). Loads the stack with its profile, gives each service its image (image-map.ts),
 * maps it (compose.ts, kubernetes.ts), reports what maps where and what does not (report.ts),
 * optionally checks the output with the target's own schema, then writes it (writer.ts). Any
 * error, and a failed check, writes nothing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXPORT_TARGETS, type ExportResult, type ExportTarget } from '../contract/export';
import { OpsError } from '../errors';
import { effectiveEnv, loadConfig } from '../config/load';
import { didYouMean } from '../config/suggest';
import { withProfile, withRememberedProfile } from '../profiles';
import { checkCompose } from './compose-check';
import { mapCompose } from './compose';
import { readImageMap, resolveImages, type ImageMap } from './image-map';
import { checkKubernetes } from './kubernetes-check';
import { mapKubernetes } from './kubernetes';
import { reportLines, stackNotes } from './report';
import { describeServices } from './service-facts';
import { writeFiles } from './writer';

export { parseImageMap, type ImageMap } from './image-map';
export { mappingTableMarkdown } from './mapping-table';

export interface ExportOptions {
  target: string;
  /** The profile to export (default: the remembered one, else active_profile). */
  profile?: string;
  /** The output folder (default: .opsdeck/export/TARGET in the stack folder). */
  outDir?: string;
  /** An image map file (YAML or JSON), or the map itself. */
  imageMap?: string | ImageMap;
  /** A base image for every service the map does not name (overrides the map's `default`). */
  baseImage?: string;
  /** Validate the output with the target's own schema before writing it. */
  check?: boolean;
  /** Say what would be written, write nothing. */
  dryRun?: boolean;
}

/** The target named, or a clear error. */
export function exportTarget(name: string): ExportTarget {
  if ((EXPORT_TARGETS as readonly string[]).includes(name)) return name as ExportTarget;
  throw new OpsError('BAD_REQUEST', `unknown export target "${name}"`, didYouMean(name, EXPORT_TARGETS) ?? `the targets are ${EXPORT_TARGETS.join(' and ')}`);
}

/** The default output folder of a target. */
export const defaultOutDir = (stackDir: string, target: ExportTarget) => path.join(stackDir, '.opsdeck', 'export', target);

export async function exportStack(stackPath: string, opts: ExportOptions): Promise<ExportResult> {
  const target = exportTarget(opts.target);
  const loaded = await loadConfig(stackPath);
  const stack = opts.profile !== undefined ? withProfile(loaded, opts.profile) : withRememberedProfile(loaded);
  const map: ImageMap = typeof opts.imageMap === 'string' ? await readImageMap(path.resolve(opts.imageMap)) : (opts.imageMap ?? { services: {} });
  if (opts.baseImage) map.default = opts.baseImage;

  const all = Object.keys(stack.config.services);
  // Compose has profiles: every service, each tagged with its profiles. Kubernetes has none: the profile's services.
  const exported = target === 'compose' ? all : stack.services;
  const images = resolveImages(all, exported, map);
  const services = describeServices(stack.config.services, exported, images, (n) => effectiveEnv(stack, n));
  const outDir = path.resolve(opts.outDir ?? defaultOutDir(stack.dir, target));
  const input = { stack, services, outDir, imageMap: map, configText: await readFile(stack.file, 'utf8') };
  const mapped = target === 'compose' ? mapCompose(input) : mapKubernetes(input);

  const result: ExportResult = {
    target,
    stack: stack.config.name,
    profile: stack.profile ?? null,
    services: exported,
    files: mapped.files,
    lines: reportLines(stack.config, target, exported),
    notes: [...stackNotes(services), ...mapped.notes],
    written: [],
    kept: [],
    dryRun: !!opts.dryRun,
  };
  if (opts.check) {
    result.check = target === 'compose' ? await checkCompose(mapped.files) : await checkKubernetes(mapped.files);
    if (!result.check.ok) return result;
  }
  const outcome = await writeFiles(outDir, mapped.files, { dryRun: !!opts.dryRun });
  return { ...result, ...outcome, outDir };
}
