/**
 * Writes the JSON Schema of opsdeck.yaml, from the zod schema (what a user writes, so durations are
 * strings), into its two places: docs/opsdeck.schema.json (for editors and readers) and
 * media/opsdeck.schema.json (shipped in the extension, which validates opsdeck.yaml with it:
 * package.json `yamlValidation`). `--check` only compares: exit 1 when either is stale.
 *
 *   npm run schema            regenerate both
 *   npm run schema -- --check verify (a step of npm test)
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchemas } from '../src/core/config/schema';

export const SCHEMA_FILE = fileURLToPath(new URL('../docs/opsdeck.schema.json', import.meta.url));

/** Every copy of the schema, each byte for byte renderSchema(). */
export const SCHEMA_FILES = [SCHEMA_FILE, fileURLToPath(new URL('../media/opsdeck.schema.json', import.meta.url))];

/** The JSON Schema text, byte for byte what belongs in docs/opsdeck.schema.json. */
export function renderSchema(): string {
  const { $schema, ...rest } = z.toJSONSchema(configSchemas().stackSchema, { io: 'input', override: dropSafeIntegerBounds });
  const schema = {
    $schema,
    $id: 'urn:opsdeck:schema:opsdeck.yaml:1',
    title: 'opsdeck.yaml',
    description: 'A stack of local services supervised by Opsdeck (version 1 of the file format). Generated from src/core/config/schema.ts by `npm run schema`; do not edit.',
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/**
 * zod's `.int()` is a safe integer, which it spells as `minimum`/`maximum` of ±(2^53 - 1): noise
 * for a reader of the schema, and no limit a YAML file can reach. Explicit bounds are kept.
 */
function dropSafeIntegerBounds({ jsonSchema }: { jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  if (jsonSchema.type !== 'integer') return;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
}

/** The files of `files` that are not renderSchema(), and why. */
export function staleSchemaFiles(files: string[] = SCHEMA_FILES, expected = renderSchema()): { file: string; state: 'missing' | 'out of date' }[] {
  const out: { file: string; state: 'missing' | 'out of date' }[] = [];
  for (const file of files) {
    let actual: string | undefined;
    try {
      actual = readFileSync(file, 'utf8');
    } catch {
      actual = undefined;
    }
    if (actual !== expected) out.push({ file, state: actual === undefined ? 'missing' : 'out of date' });
  }
  return out;
}

async function main(check: boolean): Promise<number> {
  const expected = renderSchema();
  const relative = (f: string) => path.relative(process.cwd(), f);
  if (!check) {
    for (const file of SCHEMA_FILES) {
      await writeFile(file, expected);
      console.log(`wrote ${relative(file)}`);
    }
    return 0;
  }
  const stale = staleSchemaFiles(SCHEMA_FILES, expected);
  for (const { file, state } of stale) console.error(`${relative(file)} is ${state}: run \`npm run schema\` and commit the result`);
  return stale.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.includes('--check'));
}
