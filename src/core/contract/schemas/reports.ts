/**
 * The operations report on the wire (POST /v1/reports, GET /v1/reports). The report itself is
 * described loosely (its sections are documented in docs/reports.md); the request and the file
 * list are exact. Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { REPORT_FORMATS, REPORT_PERIODS, type ReportFileInfo } from '../reports';
import { parseTime, type Fits } from './common';

const bodyTime = (what: string) =>
  z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const at = typeof v === 'number' ? v : parseTime(v);
      if (at === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a time: use epoch milliseconds, an ISO 8601 time, or a duration ago like 7d` });
        return z.NEVER;
      }
      return at;
    })
    .optional()
    .openapi({ description: `${what}: epoch ms, an ISO 8601 time, or a duration ago (7d)` });

export const reportRequestSchema = z
  .object({
    period: z.enum(REPORT_PERIODS).optional().openapi({ description: 'day, week (default) or month, ending at `until`' }),
    since: bodyTime('Start of a custom period'),
    until: bodyTime('End of the period (default: now)'),
    format: z.enum(REPORT_FORMATS).optional().openapi({ description: 'Also answer the report rendered in this format (`text`)' }),
    save: z.boolean().optional().openapi({ description: 'Write it into .opsdeck/reports/ (in `formats`, default the stack\'s reports.formats) and announce it with a `report` event' }),
    formats: z.array(z.enum(REPORT_FORMATS)).max(3).optional(),
  })
  .openapi('ReportRequest');

export const reportFileSchema = z
  .object({ name: z.string(), path: z.string(), format: z.enum(REPORT_FORMATS), bytes: z.number(), at: z.number() })
  .openapi('ReportFile');

export const reportResultSchema = z
  .object({
    report: z.record(z.string(), z.unknown()).openapi({ description: 'The report (OpsReport, docs/reports.md): usage, performance, issues, dataProtection, changes' }),
    files: z.array(reportFileSchema),
    text: z.string().optional().openapi({ description: 'The report rendered in the requested `format`' }),
  })
  .openapi('ReportResult');

export const reportListSchema = z.object({ reports: z.array(reportFileSchema), nextRun: z.string().optional() }).openapi('ReportList');

const typesFit: Fits<ReportFileInfo, typeof reportFileSchema> = true;
void typesFit;
