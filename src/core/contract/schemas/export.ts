/**
 * The export shapes of the control API (POST /v1/export, docs/export.md). The response mirrors
 * src/core/contract/export.ts (checked at compile time at the end). Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import type { ExportResult } from '../export';
import type { Fits } from './common';

const image = z.string().min(1).max(500);

export const exportRequestSchema = z
  .object({
    target: z.string().min(1).max(50).openapi({ description: 'compose or kubernetes (anything else: 400 BAD_REQUEST)' }),
    profile: z.string().min(1).max(63).optional().openapi({ description: 'The profile to export (default: the one in use, else active_profile)' }),
    image_map: z
      .object({
        default: image.optional(),
        opsdeck: image.optional(),
        services: z.record(z.string(), z.union([image, z.object({ image, command: z.boolean().optional() })])).optional(),
      })
      .optional()
      .openapi({ description: 'The image map, as the --image-map file holds it (docs/export.md#images)' }),
    base_image: image.optional().openapi({ description: 'A base image for every service the map does not name' }),
    check: z.boolean().optional().openapi({ description: 'Validate the output with the target\'s own schema; nothing is written when it fails' }),
    out_dir: z.string().min(1).max(4096).optional().openapi({ description: 'Write the files into this folder (relative: to the stack folder); absent, nothing is written' }),
    dry_run: z.boolean().optional().openapi({ description: 'With out_dir: say what would be written, write nothing' }),
  })
  .openapi('ExportRequest');

const line = z.object({ key: z.string(), status: z.enum(['mapped', 'not-mapped']), to: z.string(), services: z.array(z.string()).optional() });

export const exportResultSchema = z
  .object({
    target: z.enum(['compose', 'kubernetes']),
    stack: z.string(),
    profile: z.string().nullable(),
    services: z.array(z.string()),
    files: z.array(z.object({ path: z.string(), text: z.string(), role: z.string(), keepExisting: z.boolean().optional() })),
    lines: z.array(line).openapi({ description: 'Each key of opsdeck.yaml: where it goes, or not mapped and what the target does instead' }),
    notes: z.array(z.string()),
    outDir: z.string().optional(),
    written: z.array(z.string()),
    kept: z.array(z.string()),
    dryRun: z.boolean(),
    check: z.object({ ok: z.boolean(), tool: z.string(), problems: z.array(z.string()) }).optional(),
  })
  .openapi('ExportResult');

const typesFit: [Fits<ExportResult, typeof exportResultSchema>] = [true];
void typesFit;
