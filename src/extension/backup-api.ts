/**
 * The engine's backup routes, as far as this build of the engine has them. The extension does
 * not hard-code them: it reads the engine's OpenAPI document (GET /openapi.json) and looks for
 * the operations on `/v1/backup…` / `…/restore` / `…/verify` paths. Without them the backup
 * commands stay hidden (`opsdeck.backupsAvailable` is false). No VS Code in here.
 *
 * Recognised (method, path):
 *   create   POST /v1/backups or /v1/backup
 *   list     GET  /v1/backups or /v1/backups/snapshots or /v1/snapshots
 *   verify   POST a path under /v1/backup… containing `verify`
 *   restore  POST a path containing `restore` (a `{id}`-like path parameter takes the snapshot id)
 *   status   GET  /v1/backups/status
 * Answers may be JSON or a server-sent event stream (progress events, then a result event).
 */
import { fromErrorBody } from '../core/api/http-errors';
import { readSse } from '../core/api/sse';
import type { FetchLike } from '../core/api/unix-fetch';
import { OpsError } from '../core/errors';

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
}

export interface BackupRoutes {
  create?: Route;
  list?: Route;
  verify?: Route;
  restore?: Route;
  /** Repository, schedule and per-service RPO status. */
  status?: Route;
}

/** A service's newest good backup against its RPO (GET /v1/backups/status). */
export interface BackupServiceStatus {
  service: string;
  rpoMs?: number;
  newest?: { snapshot: string; time: string; ageMs?: number };
  rpo?: 'ok' | 'breach' | 'none';
}

export interface Snapshot {
  id: string;
  time?: number | string;
  services?: string[];
  tags?: string[];
  summary?: unknown;
  [field: string]: unknown;
}

export type ProgressReport = { message?: string; fraction?: number };

type OpenApiDoc = { paths?: Record<string, Record<string, unknown>> };

/** Find the backup operations in an OpenAPI document. */
export function discoverBackupRoutes(doc: unknown): BackupRoutes {
  const paths = (doc as OpenApiDoc | undefined)?.paths ?? {};
  const has = (path: string, method: string) => typeof paths[path]?.[method] === 'object';
  const routes: BackupRoutes = {};
  const all = Object.keys(paths).filter((p) => /backup|snapshot|restore/i.test(p));
  for (const p of ['/v1/backups', '/v1/backup']) {
    if (!routes.create && has(p, 'post')) routes.create = { method: 'POST', path: p };
  }
  for (const p of ['/v1/backups', '/v1/backups/snapshots', '/v1/snapshots', '/v1/backup/snapshots']) {
    if (!routes.list && has(p, 'get')) routes.list = { method: 'GET', path: p };
  }
  const verify = all.find((p) => /verify/i.test(p) && (has(p, 'post') || has(p, 'get')));
  if (verify) routes.verify = { method: has(verify, 'post') ? 'POST' : 'GET', path: verify };
  for (const p of ['/v1/backups/status', '/v1/backup/status']) {
    if (!routes.status && has(p, 'get')) routes.status = { method: 'GET', path: p };
  }
  const restore = all.find((p) => /restore/i.test(p) && has(p, 'post'));
  if (restore) routes.restore = { method: 'POST', path: restore };
  return routes;
}

/** Event types the engine sends, from the EngineEvent schema of its OpenAPI document. */
export function eventTypesOf(doc: unknown): string[] | undefined {
  const schemas = (doc as { components?: { schemas?: Record<string, unknown> } } | undefined)?.components?.schemas;
  const union = schemas?.EngineEvent as { oneOf?: unknown[]; anyOf?: unknown[] } | undefined;
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

export class BackupApi {
  constructor(
    private readonly fetch: FetchLike,
    readonly routes: BackupRoutes,
  ) {}

  /** The Backup Now / Restore / Verify commands can work. */
  get available(): boolean {
    return this.routes.create !== undefined;
  }

  create(opts: { services?: string[]; tag?: string }, signal?: AbortSignal, onProgress?: (p: ProgressReport) => void): Promise<Record<string, unknown>> {
    const body: Record<string, unknown> = {};
    if (opts.services?.length) body.services = opts.services;
    if (opts.tag) body.tags = [opts.tag];
    // Ask for a progress stream (`progress` events, then `result` or `error`).
    if (onProgress) body.progress = true;
    return this.call(this.need('create'), body, signal, onProgress);
  }

  async list(): Promise<Snapshot[]> {
    const answer = await this.call(this.need('list'), undefined);
    const list = Array.isArray(answer) ? answer : ((answer.snapshots ?? answer.items ?? answer.backups) as unknown);
    if (!Array.isArray(list)) return [];
    return list
      .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null)
      .map((s) => ({ ...s, id: String(s.id ?? s.snapshot ?? s.short_id ?? '') }))
      .filter((s) => s.id !== '');
  }

  /** Per-service RPO status, or undefined when the engine has no status route. */
  async serviceStatus(): Promise<{ services: BackupServiceStatus[] } | undefined> {
    if (!this.routes.status) return undefined;
    const answer = await this.call(this.routes.status, undefined);
    const services = Array.isArray(answer.services) ? (answer.services as BackupServiceStatus[]).filter((s) => typeof s?.service === 'string') : [];
    return { services };
  }

  verify(opts: { readData?: boolean } = {}, signal?: AbortSignal, onProgress?: (p: ProgressReport) => void): Promise<Record<string, unknown>> {
    return this.call(this.need('verify'), opts.readData ? { read_data: true } : {}, signal, onProgress);
  }

  restore(snapshot: string, scope: { services?: string[] }, signal?: AbortSignal, onProgress?: (p: ProgressReport) => void): Promise<Record<string, unknown>> {
    const route = this.need('restore');
    const path = route.path.replace(/\{[^}]+\}/, encodeURIComponent(snapshot));
    const body: Record<string, unknown> = { in_place: true };
    if (path === route.path) body.snapshot = snapshot;
    if (scope.services?.length) body.services = scope.services;
    return this.call({ ...route, path }, body, signal, onProgress);
  }

  private need(op: keyof BackupRoutes): Route {
    const route = this.routes[op];
    if (!route) throw new OpsError('NOT_AVAILABLE', `this engine has no backup ${op} route`, 'update Opsdeck: backups come with a newer engine');
    return route;
  }

  /** One request; a JSON answer is returned, an SSE answer reports progress and returns its last data. */
  private async call(route: Route, body: unknown, signal?: AbortSignal, onProgress?: (p: ProgressReport) => void): Promise<Record<string, unknown>> {
    const init: RequestInit = { method: route.method, ...(signal ? { signal } : {}) };
    if (body !== undefined && route.method !== 'GET') {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await this.fetch(`http://opsdeck${route.path}`, init);
    if (!res.ok) throw fromErrorBody(res.status, await res.json().catch(() => undefined));
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return (await res.json()) as Record<string, unknown>;
    let last: Record<string, unknown> = {};
    let failure: OpsError | undefined;
    if (!res.body) return last;
    await readSse(
      res.body,
      (m) => {
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(m.data) as Record<string, unknown>;
        } catch {
          return;
        }
        if (m.event === 'error' || (data.error && typeof data.error === 'object')) {
          const e = (data.error ?? data) as { code?: string; message?: string; hint?: string };
          failure = new OpsError('INTERNAL', e.message ?? 'the backup operation failed', e.hint);
          return;
        }
        if (m.event === 'progress') {
          const total = Number(data.bytesTotal ?? data.totalBytes ?? data.total);
          const done = Number(data.bytesDone ?? data.doneBytes ?? data.done);
          const files = Number.isFinite(Number(data.filesTotal)) ? ` · ${Number(data.filesDone ?? 0)}/${Number(data.filesTotal)} files` : '';
          const message = typeof data.message === 'string' ? data.message : typeof data.phase === 'string' ? `${data.phase}${files}` : undefined;
          onProgress?.({
            ...(message ? { message } : {}),
            ...(Number.isFinite(total) && total > 0 && Number.isFinite(done) ? { fraction: Math.min(1, done / total) } : {}),
          });
          return;
        }
        last = data;
      },
      signal,
    );
    if (failure) throw failure;
    return last;
  }
}
