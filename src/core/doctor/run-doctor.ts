/**
 * `opsdeck doctor`: every check of a stack — its environment, its config (lint beyond
 * validation), connections to its services, its logs — as one DoctorReport. Works on a stack
 * without an engine (it reads the config, the logs and the service records); the engine answers
 * GET /v1/doctor with the same.
 */
import { assertServiceName, type LoadedStack } from '../config/load';
import type { DoctorReport } from '../contract/doctor';
import { readProcessTable } from '../supervisor/process-table';
import type { Launcher } from '../boot/model';
import { OPSDECK_VERSION } from '../version';
import { bootUnitsCheck } from './boot-units';
import { guarded, summarise } from './check';
import { configChecks } from './config-lint';
import { connectionChecks } from './connections';
import { doctorContext } from './context';
import { environmentChecks } from './environment';
import { logChecks } from './log-analysis';

export interface DoctorOptions {
  /** Only these services (the environment checks always run). */
  services?: readonly string[];
  /** How far back the log analysis looks (default 24 h). */
  windowMs?: number;
  /** Keep each check's raw data (default true; the CLI prints it with --verbose). */
  data?: boolean;
  /** How boot units run Opsdeck, for the boot units check (default: this process's launcher). */
  launcher?: Launcher;
}

export async function runDoctor(stack: LoadedStack, opts: DoctorOptions = {}): Promise<DoctorReport> {
  for (const s of opts.services ?? []) assertServiceName(stack, s);
  const ctx = doctorContext(stack, opts);
  const table = await readProcessTable();
  const [environment, boot, config, connection, logs] = await Promise.all([
    guarded('environment', 'env', 'Environment', () => environmentChecks(ctx)),
    guarded('environment', 'env.boot', 'Boot units installed and current', () => bootUnitsCheck(stack, opts.launcher)),
    guarded('config', 'config', 'Config lint', () => configChecks(ctx, table)),
    guarded('connection', 'conn', 'Connection tests', () => connectionChecks(ctx)),
    guarded('logs', 'logs', 'Log analysis', () => logChecks(ctx)),
  ]);
  let checks = [...environment, ...boot, ...config, ...connection, ...logs];
  if (opts.data === false) checks = checks.map(({ data: _data, ...c }) => c);
  return {
    stack: stack.config.name,
    dir: stack.dir,
    at: ctx.now,
    version: OPSDECK_VERSION,
    services: ctx.services,
    checks,
    summary: summarise(checks),
  };
}
