/**
 * What the extension reads from the OpenAPI document (GET /openapi.json) of the engine it
 * connects to, which may be of another Opsdeck version than the extension: the event types it
 * sends (so the event stream asks only for types it knows) and whether it serves the backup
 * routes (the backup commands stay hidden otherwise: `opsdeck.backupsAvailable`). The routes
 * themselves are called through ApiClient. No VS Code in here.
 */
import type { ApiClient } from '../core/client';

type OpenApiDoc = {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
};

/** Event types the engine sends, from the EngineEvent schema of its OpenAPI document. */
export function eventTypesOf(doc: unknown): string[] | undefined {
  const union = (doc as OpenApiDoc | undefined)?.components?.schemas?.EngineEvent as { oneOf?: unknown[]; anyOf?: unknown[] } | undefined;
  const members = union?.oneOf ?? union?.anyOf;
  if (!Array.isArray(members)) return undefined;
  const types: string[] = [];
  for (const m of members) {
    const t = (m as { properties?: { type?: { const?: unknown; enum?: unknown[] } } }).properties?.type;
    const v = t?.const ?? t?.enum?.[0];
    if (typeof v === 'string') types.push(v);
  }
  return types.length ? types : undefined;
}

/** The engine's document lists the route `client.backup()` posts to (the typed client's own path). */
export function servesBackups(doc: unknown, client: Pick<ApiClient, 'rpc'>): boolean {
  const path = new URL(client.rpc.v1.backups.$url()).pathname;
  return typeof (doc as OpenApiDoc | undefined)?.paths?.[path]?.post === 'object';
}
