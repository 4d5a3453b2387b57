/**
 * Writes docs/openapi.json, the OpenAPI 3.1 document of the control API, from the routes and
 * zod schemas in src/core/api (the same document the engine serves at /openapi.json).
 * `--check` only compares: exit 1 when the file is stale.
 *
 *   npx tsx scripts/gen-openapi.ts            regenerate
 *   npx tsx scripts/gen-openapi.ts --check    verify (CI)
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServedEngine } from '../src/core/api/served-engine';
import { createApi, openApiDocument } from '../src/core/api/routes/app';

export const OPENAPI_FILE = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

/** Only what building the app touches: the routes are declared, never called. */
const unused = () => {
  throw new Error('the OpenAPI generator never calls the engine');
};
const stubEngine: ServedEngine = {
  status: unused,
  health: unused,
  checkAll: unused,
  up: unused,
  down: unused,
  restart: unused,
  profiles: unused,
  useProfile: unused,
  logs: unused,
  bus: { on: unused, onAny: unused },
};

/** The document text, byte for byte what belongs in docs/openapi.json. */
export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument(createApi(stubEngine)), null, 2)}\n`;
}

async function main(check: boolean): Promise<number> {
  const expected = renderOpenApi();
  const relative = path.relative(process.cwd(), OPENAPI_FILE);
  if (!check) {
    await writeFile(OPENAPI_FILE, expected);
    console.log(`wrote ${relative}`);
    return 0;
  }
  const actual = await readFile(OPENAPI_FILE, 'utf8').catch(() => undefined);
  if (actual === expected) return 0;
  console.error(`${relative} is ${actual === undefined ? 'missing' : 'out of date'}: run \`npx tsx scripts/gen-openapi.ts\` and commit the result`);
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.includes('--check'));
}
