/**
 * Writes docs/opsdeck.schema.json, the JSON Schema of opsdeck.yaml, from the zod schema (what a
 * user writes, so durations are strings). `--check` only compares: exit 1 when the file is stale.
 *
 *   npm run schema            regenerate
 *   npm run schema -- --check verify (CI)
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchemas } from '../src/core/config/schema';

export const SCHEMA_FILE = fileURLToPath(new URL('../docs/opsdeck.schema.json', import.meta.url));

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

async function main(check: boolean): Promise<number> {
  const expected = renderSchema();
  const relative = path.relative(process.cwd(), SCHEMA_FILE);
  if (!check) {
    await writeFile(SCHEMA_FILE, expected);
    console.log(`wrote ${relative}`);
    return 0;
  }
  const actual = await readFile(SCHEMA_FILE, 'utf8').catch(() => undefined);
  if (actual === expected) return 0;
  console.error(`${relative} is ${actual === undefined ? 'missing' : 'out of date'}: run \`npm run schema\` and commit the result`);
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.includes('--check'));
}
