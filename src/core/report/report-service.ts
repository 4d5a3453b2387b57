/**
 * The engine's reports: generate one now (any period, saved or not), list those written, and the
 * schedule (`reports.schedule`, a cron in local time, default Monday 08:00) that writes the
 * `reports.period` report into .opsdeck/reports/ in `reports.formats` and announces it with a
 * `report` event. Incidents come from an IncidentSource: the alert history, joined by the outages
 * the long-term store's state marks show that no alert covered (alert-incident-source.ts).
 */
import { join } from 'node:path';
import { Cron } from 'croner';
import type { Clock, TimerHandle } from '../clock';
import type { LoadedStack } from '../config/load';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import type { RollupReader } from '../metrics/store/rollup-reader';
import { OPSDECK_VERSION } from '../version';
import { buildReport } from './build-report';
import { AlertIncidentSource } from './alert-incident-source';
import { StateIncidentSource, type IncidentSource } from './incident-source';
import { listReports, renderReport, writeReport } from './report-files';
import type { ReportAnswer, ReportCommand, ReportFileInfo, ReportFormat, ReportRequest, ReportResult } from '../contract/reports';

export interface ReportHost {
  stack(): LoadedStack;
  /** The long-term store; undefined when this engine keeps none. */
  reader(): RollupReader | undefined;
  clock: Clock;
  bus: EventBus;
}

export interface GenerateOptions {
  /** Write the report into .opsdeck/reports/ (in `formats`). */
  save?: boolean;
  /** Default: the stack's `reports.formats`. */
  formats?: ReportFormat[];
  trigger?: 'manual' | 'schedule';
}

export class ReportService {
  private incidentSource: IncidentSource | undefined;
  private timer: TimerHandle | undefined;

  constructor(private readonly host: ReportHost) {}

  /** Where incidents come from (the alert history, when there is one). */
  setIncidentSource(source: IncidentSource | undefined): void {
    this.incidentSource = source;
  }

  async generate(req: ReportRequest, opts: GenerateOptions = {}): Promise<ReportResult> {
    const reader = this.host.reader();
    if (!reader) throw new OpsError('NOT_AVAILABLE', 'this engine keeps no long-term metrics', 'reports are made by the engine that owns the stack (`opsdeck up`), or by `opsdeck report` when none runs');
    const stack = this.host.stack();
    const report = await buildReport(req, {
      reader,
      incidents: this.incidentSource ?? new AlertIncidentSource(() => stack.dir, new StateIncidentSource(reader)),
      stack: stack.config.name,
      services: Object.keys(stack.config.services),
      rpoServices: Object.entries(stack.config.services).filter(([, s]) => s.rpo !== undefined).map(([n]) => n),
      retention: stack.config.metrics.retention,
      now: this.host.clock.now(),
      version: OPSDECK_VERSION,
      logs: { dir: join(stack.dir, '.opsdeck', 'logs'), keep: stack.config.logs.keep },
      ...(stack.profile !== undefined ? { profile: stack.profile } : {}),
    });
    if (!opts.save) return { report, files: [] };
    const files = writeReport(stack.dir, report, opts.formats ?? stack.config.reports.formats, stack.config.reports.keep);
    this.host.bus.emit({ type: 'report', service: 'stack', at: this.host.clock.now(), trigger: opts.trigger ?? 'manual', period: report.period, since: report.since, until: report.until, files: files.map((f) => f.path) });
    return { report, files };
  }

  /** A surface's command: generate, save if asked, and render in `format` if asked. */
  async answer(command: ReportCommand): Promise<ReportAnswer> {
    const { format, save, formats, ...request } = command;
    const result = await this.generate(request, { ...(save ? { save } : {}), ...(formats ? { formats } : {}) });
    return { ...result, ...(format ? { text: renderReport(result.report, format) } : {}) };
  }

  list(): ReportFileInfo[] {
    return listReports(this.host.stack().dir);
  }

  /** When the next scheduled report is due (ISO), or undefined when the schedule is off. */
  nextRun(): string | undefined {
    const pattern = this.host.stack().config.reports.schedule;
    return pattern === false ? undefined : new Cron(pattern, { paused: true }).nextRun(new Date(this.host.clock.now()))?.toISOString();
  }

  /** Arm the schedule (the stack's owner does). */
  start(): void {
    this.stop();
    const next = this.nextRun();
    if (!next) return;
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = undefined;
      this.generate({ period: this.host.stack().config.reports.period }, { save: true, trigger: 'schedule' })
        .catch((err: unknown) => process.emitWarning(`opsdeck reports: the scheduled report failed: ${(err as Error).message}`))
        .finally(() => this.start());
    }, Math.max(0, Date.parse(next) - this.host.clock.now()));
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
