/**
 * The images of an export (docs/export.md#images). Opsdeck runs each service as a local command,
 * and a container needs an image: the image map (`--image-map FILE`, YAML or JSON) names one per
 * service, or a default base image that runs each service's own command with the stack folder at
 * /stack. A service left without an image is an error naming it: the export never guesses.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { OpsError } from '../errors';
import { displayPath } from '../config/issues';
import { didYouMean } from '../config/suggest';

/** Where a base image finds the stack's files (bind-mounted by Compose, baked into the image for Kubernetes). */
export const STACK_MOUNT = '/stack';

/** The image a service runs in, and whether it runs the service's own command or the image's. */
export interface ServiceImage {
  image: string;
  /** true: the service's `command` runs in the image, in /stack; false: the image's own entrypoint runs. */
  runsCommand: boolean;
}

export interface ImageMap {
  /** A base image for every service the map does not name. */
  default?: string;
  /** An image with the opsdeck CLI, for the Kubernetes backup CronJob. */
  opsdeck?: string;
  services: Record<string, ServiceImage>;
}

const imageRef = () => z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/, { error: 'must be an image reference such as node:20-bookworm-slim or registry.example/app:1.2' });

const imageMapSchema = z.strictObject({
  default: imageRef().optional(),
  opsdeck: imageRef().optional(),
  services: z
    .record(
      z.string(),
      z.union([imageRef(), z.strictObject({ image: imageRef(), command: z.boolean({ error: 'must be true (run the service\'s command) or false (the image\'s own)' }).default(true) })], {
        error: 'must be an image reference, or { image, command: true | false }',
      }),
    )
    .default({}),
});

/** The image map in `text` (YAML or JSON); `where` names it in errors. */
export function parseImageMap(text: string, where: string): ImageMap {
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new OpsError('EXPORT_IMAGE_MAP_INVALID', `${where} is not YAML or JSON: ${(e as Error).message.split('\n')[0]}`, 'write a mapping such as `default: node:20-bookworm-slim` and `services: { redis: redis:7 }` (docs/export.md#images)');
  }
  const parsed = imageMapSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(the file)'} ${i.message}`);
    throw new OpsError('EXPORT_IMAGE_MAP_INVALID', `${where} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`, 'the keys are default, opsdeck and services (service name → image, or { image, command }); docs/export.md#images');
  }
  const services = Object.fromEntries(
    Object.entries(parsed.data.services).map(([name, v]): [string, ServiceImage] => [name, typeof v === 'string' ? { image: v, runsCommand: false } : { image: v.image, runsCommand: v.command }]),
  );
  return { ...(parsed.data.default ? { default: parsed.data.default } : {}), ...(parsed.data.opsdeck ? { opsdeck: parsed.data.opsdeck } : {}), services };
}

/** Reads an image map file. */
export async function readImageMap(file: string): Promise<ImageMap> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new OpsError('EXPORT_IMAGE_MAP_INVALID', `cannot read the image map ${displayPath(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'give an existing YAML or JSON file to --image-map');
  }
  return parseImageMap(text, `the image map ${displayPath(file)}`);
}

/**
 * The image of each exported service. Refuses names the stack does not have (a typo would
 * otherwise leave a service on the default silently) and lists every service left without one.
 */
export function resolveImages(stackServices: string[], exported: string[], map: ImageMap): Record<string, ServiceImage> {
  const unknown = Object.keys(map.services).filter((s) => !stackServices.includes(s));
  if (unknown.length) {
    const hint = unknown.map((u) => didYouMean(u, stackServices)).find(Boolean) ?? `the services are ${stackServices.join(', ')}`;
    throw new OpsError('EXPORT_IMAGE_MAP_INVALID', `the image map names ${unknown.map((u) => `"${u}"`).join(', ')}, which the stack does not have`, hint);
  }
  const missing = exported.filter((s) => !Object.hasOwn(map.services, s) && !map.default);
  if (missing.length) {
    throw new OpsError(
      'EXPORT_IMAGE_MISSING',
      `no image for ${missing.join(', ')}: ${missing.length === 1 ? 'it runs' : 'they run'} a local command, and a container needs an image`,
      'give --image-map FILE with `services: { NAME: IMAGE }` (the image\'s own command), `services: { NAME: { image: IMAGE, command: true } }` or `default: IMAGE` (a base image that runs the service\'s command in /stack); docs/export.md#images',
    );
  }
  return Object.fromEntries(exported.map((s) => [s, Object.hasOwn(map.services, s) ? map.services[s]! : { image: map.default!, runsCommand: true }]));
}
