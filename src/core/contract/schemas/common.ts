/**
 * The control API's shared schema parts: query-string scalars (booleans, times, name lists),
 * the request limits, and the error body every failure answers with. Part of the contract: the
 * routes validate with these and the typed client infers from them.
 */
import { z } from '@hono/zod-openapi';
import { parseDuration } from '../../duration';

// ------------------------------------------------------------------ query-string scalars

/** `true`/`false` (also 1/0, yes/no, on/off) in a query string. `z.coerce.boolean()` would take "false" as true. */
export const queryBool = (description: string) => z.stringbool().optional().openapi({ type: 'boolean', description });

/**
 * A point in time in a query string: epoch milliseconds, an ISO 8601 time, or a duration
 * meaning "that long ago" (`90s`, `10m`, `1h30m`). Becomes epoch milliseconds.
 */
export const queryTime = (description: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const at = parseTime(text);
      if (at === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a time: use epoch milliseconds, an ISO 8601 time, or a duration ago like 10m` });
        return z.NEVER;
      }
      return at;
    })
    .optional()
    .openapi({ type: 'string', description: `${description}: epoch milliseconds, an ISO 8601 time, or a duration ago like \`10m\``, example: '10m' });

export function parseTime(text: string, now = Date.now()): number | undefined {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const ago = parseDuration(s);
  if (ago !== undefined) return now - ago;
  if (!/^\d{4}-\d\d-\d\d/.test(s)) return undefined;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : at;
}

// ------------------------------------------------------------------ limits

/**
 * What one request may hold, so that none can make the engine work without bound (the body is
 * capped at MAX_BODY_BYTES in api/routes/app.ts). Names: no service or profile name is longer than 63.
 */
export const API_LIMITS = { nameLength: 63, listItems: 10_000, textLength: 4096, queryNames: 100, memoryText: 1000, healthTimeoutMs: 86_400_000 } as const;

/** A service or profile name as a request gives it. */
export const apiName = () =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(API_LIMITS.nameLength, { error: `must be at most ${API_LIMITS.nameLength} characters (no service or profile name is longer)` });

/** A list in a request body. */
export const apiList = <T extends z.ZodType>(item: T) => z.array(item).max(API_LIMITS.listItems, { error: `must have at most ${API_LIMITS.listItems} items` });

/** A string in a request (a path, a glob, a tag). */
export const apiText = () => z.string().min(1, { error: 'must not be empty' }).max(API_LIMITS.textLength, { error: `must be at most ${API_LIMITS.textLength} characters` });

// ------------------------------------------------------------------ errors

export const issueSchema = z
  .object({
    path: z.string().openapi({ description: 'Where the problem is, e.g. `query.lines` or `body.services.0`' }),
    message: z.string(),
    code: z.string().optional(),
  })
  .openapi('Issue');

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'Stable error code (OpsError code), e.g. SERVICE_UNKNOWN, BAD_REQUEST, NOT_AVAILABLE', example: 'SERVICE_UNKNOWN' }),
      message: z.string(),
      hint: z.string().optional(),
      issues: z.array(issueSchema).optional(),
    }),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** A name filter: repeat the parameter (`?service=a&service=b`) or separate with commas; each name once, at most `max`. */
export const queryNames = (description: string, example: string, max: number = API_LIMITS.listItems) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => [...new Set((Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))])
    .pipe(z.array(apiName()).max(max, { error: `must name at most ${max}` }))
    .optional()
    .openapi({ type: 'string', description: `${description}; repeat the parameter or separate names with commas`, example });

/** Compile-time check that an engine type fits the schema describing it on the wire. */
export type Fits<T, S extends z.ZodType> = T extends z.input<S> ? true : false;
