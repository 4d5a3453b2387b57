/**
 * The alert shapes of the control API (GET /v1/alerts, acknowledgements, silences, history),
 * checked at compile time against src/core/contract/alerts.ts. Part of the contract.
 */
import { z } from '@hono/zod-openapi';
import { ALERT_SEVERITIES, type AlertsView, type AckResult, type IncidentRecord, type Silence, type SilenceResult } from '../alerts';
import { API_LIMITS, apiList, apiText, queryTime, type Fits } from './common';

const severity = z.enum(ALERT_SEVERITIES);

export const alertSchema = z
  .object({
    id: z.string().openapi({ description: '`rule/service`', example: 'service_down/storage' }),
    rule: z.string(),
    service: z.string(),
    severity,
    state: z.enum(['pending', 'firing']),
    since: z.number(),
    firingSince: z.number().optional(),
    summary: z.string(),
    labels: z.record(z.string(), z.string()),
    value: z.number().optional(),
    inhibitedBy: z.string().optional(),
    silencedBy: z.string().optional(),
    incident: z.string().optional(),
  })
  .openapi('Alert');

const ackSchema = z.object({ at: z.number(), by: z.string().optional(), comment: z.string().optional() });

export const incidentSchema = z
  .object({
    id: z.string(),
    group: z.string(),
    service: z.string(),
    openedAt: z.number(),
    resolvedAt: z.number().optional(),
    severity,
    alerts: z.array(z.string()),
    summary: z.string(),
    level: z.number().int(),
    sent: z.array(z.object({ level: z.number().int(), at: z.number(), channels: z.array(z.string()) })),
    lastSentAt: z.number().optional(),
    ack: ackSchema.optional(),
    resolvedSent: z.boolean().optional(),
  })
  .openapi('Incident');

const matcherSchema = z.object({ name: z.string().regex(/^[a-z_][a-z0-9_]*$/, { error: 'must be a label name such as service or rule' }), op: z.enum(['=', '!=', '=~']).default('='), value: apiText() });

export const silenceSchema = z
  .object({ id: z.string(), matchers: z.array(z.object({ name: z.string(), op: z.enum(['=', '!=', '=~']), value: z.string() })), startsAt: z.number(), endsAt: z.number(), comment: z.string(), by: z.string().optional() })
  .openapi('Silence');

export const alertsViewSchema = z
  .object({ at: z.number(), enabled: z.boolean(), alerts: z.array(alertSchema), incidents: z.array(incidentSchema), silences: z.array(silenceSchema) })
  .openapi('AlertsView');

export const ackParamsSchema = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, description: 'An incident id, or the id of one of its alerts', example: 'storage-3fa2c1' }) });
export const ackRequestSchema = z.object({ comment: apiText().optional(), by: apiText().optional(), dry_run: z.boolean().optional() });
export const ackResultSchema = z.object({ dryRun: z.boolean(), incident: incidentSchema }).openapi('AckResult');

export const silenceRequestSchema = z
  .object({
    matchers: apiList(matcherSchema).min(1, { error: 'must have at least one matcher' }),
    duration_ms: z.number().int().positive().max(366 * 86_400_000).optional(),
    ends_at: z.number().int().positive().optional(),
    comment: apiText().max(API_LIMITS.textLength),
    by: apiText().optional(),
    dry_run: z.boolean().optional(),
  })
  .refine((r) => (r.duration_ms === undefined) !== (r.ends_at === undefined), { error: 'give exactly one of duration_ms or ends_at', path: ['duration_ms'] });
export const silenceResultSchema = z.object({ dryRun: z.boolean(), silence: silenceSchema, matches: z.array(z.string()) }).openapi('SilenceResult');
export const silenceParamsSchema = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 's-1a2b3c4d' }) });
export const unsilenceResultSchema = z.object({ dryRun: z.boolean(), silence: silenceSchema });

export const historyQuerySchema = z.object({ since: queryTime('Only incidents open at or after this time') });
export const incidentRecordSchema = z
  .object({
    id: z.string(),
    group: z.string(),
    service: z.string(),
    severity,
    alerts: z.array(z.string()),
    summary: z.string(),
    start: z.number(),
    end: z.number().optional(),
    durationMs: z.number().optional(),
    ack: ackSchema.optional(),
    level: z.number().int(),
  })
  .openapi('IncidentRecord');
export const historySchema = z.object({ incidents: z.array(incidentRecordSchema) }).openapi('AlertHistory');

const fit: [Fits<AlertsView, typeof alertsViewSchema>, Fits<AckResult, typeof ackResultSchema>, Fits<SilenceResult, typeof silenceResultSchema>, Fits<{ dryRun: boolean; silence: Silence }, typeof unsilenceResultSchema>, Fits<{ incidents: IncidentRecord[] }, typeof historySchema>] = [true, true, true, true, true];
void fit;
