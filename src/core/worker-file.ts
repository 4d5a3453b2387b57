/**
 * Starts a worker thread from its own entry file, bundled or not: the bundle next to the running
 * one (dist/<name>.js, a separate entry of scripts/build.mjs) when it is there, else the entry's
 * TypeScript source under tsx (tests, development) through tsx-worker.mjs, which registers tsx in
 * the new thread first (Node 20 does not hand a thread the module hooks of the main one).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `bundled` (a file name next to the bundle, e.g. `repo-worker.js`) or, from the
 * sources, `source` (the entry's .ts URL). Throws when neither file exists.
 */
export function startWorkerFile(bundled: string, source: URL, options: WorkerOptions): Worker {
  const inBundle = new URL(`./${bundled}`, import.meta.url);
  if (existsSync(fileURLToPath(inBundle))) return new Worker(inBundle, options);
  if (!existsSync(fileURLToPath(source))) throw new Error(`worker script ${bundled} not found next to ${fileURLToPath(import.meta.url)}`);
  return new Worker(new URL('./tsx-worker.mjs', import.meta.url), { ...options, argv: [...(options.argv ?? []), source.href] });
}
