/**
 * The keys of opsdeck.yaml as key paths (`services.<name>.limits.memory_mb`), read from its zod
 * schema: every key the schema has, and the keys one loaded stack holds. A map's own keys (a
 * service's name, a profile's) are written `<name>`, a list of mappings `[]`. The export's table
 * (mapping-table.ts) has a line for each, which test/unit/export-mapping.test.ts checks.
 */
import { z } from 'zod';
import { configSchemas } from '../config/schema';
import { schemasAt } from '../config/suggest';

export const ANY_NAME = '<name>';
export const ANY_ITEM = '[]';

type Segment = string | number;

/** The schemas below `path` that have keys of their own: objects, maps of mappings, lists of mappings. */
function containers(path: Segment[]): { objects: z.ZodObject[]; record: boolean; list: boolean } {
  const root = configSchemas().stackSchema as z.ZodType;
  const here = schemasAt(root, path);
  const hasObjectBelow = (p: Segment[]) => schemasAt(root, p).some((s) => s instanceof z.ZodObject);
  return {
    objects: here.filter((s): s is z.ZodObject => s instanceof z.ZodObject),
    record: here.some((s) => s instanceof z.ZodRecord) && hasObjectBelow([...path, ANY_NAME]),
    list: here.some((s) => s instanceof z.ZodArray) && hasObjectBelow([...path, 0]),
  };
}

const show = (path: Segment[]) => path.map((s) => (typeof s === 'number' ? ANY_ITEM : s)).join('.').replace(/\.\[\]/g, '[]');

/** Every key path of opsdeck.yaml's schema, sorted. */
export function configKeyPaths(): string[] {
  const out = new Set<string>();
  const walk = (path: Segment[]) => {
    const c = containers(path);
    if (path.length && !c.objects.length && !c.record && !c.list) return void out.add(show(path));
    for (const o of c.objects) for (const key of Object.keys(o.shape)) walk([...path, key]);
    if (c.record) walk([...path, ANY_NAME]);
    if (c.list) walk([...path, 0]);
  };
  walk([]);
  return [...out].sort();
}

/** The key paths a value of the schema holds (a loaded config, or its raw data), sorted. */
export function usedKeyPaths(value: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, path: Segment[], shown: Segment[]) => {
    const c = containers(path);
    const isMap = v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isMap && (c.objects.length || c.record)) {
      const keys = new Set(c.objects.flatMap((o) => Object.keys(o.shape)));
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        if (child === undefined) continue;
        if (keys.has(k)) walk(child, [...path, k], [...shown, k]);
        else if (c.record) walk(child, [...path, ANY_NAME], [...shown, ANY_NAME]);
      }
      return;
    }
    if (Array.isArray(v) && c.list) {
      for (const item of v) walk(item, [...path, 0], [...shown, 0]);
      return;
    }
    if (path.length) out.add(show(shown));
  };
  walk(value, [], []);
  return [...out].sort();
}

/** True when the table's `pattern` covers the key path `key`: the same, or a section above it. */
export function covers(pattern: string, key: string): boolean {
  return key === pattern || key.startsWith(`${pattern}.`) || key.startsWith(`${pattern}[]`);
}
