/** The `opsdeck` commander program: global options and one register call per command group. */
import type { Command } from 'commander';
import { registerAlerts } from './alerts';
import { programShell } from './program-shell';
import { registerApi } from './api';
import { registerBackup, registerRestore } from './backup/register';
import { registerCleanup } from './cleanup';
import { registerDoctor } from './doctor';
import { registerInit } from './init';
import { registerLogs } from './logs';
import { registerMaintain } from './maintain';
import { registerMemory } from './memory';
import { registerMonitor } from './monitor';
import { registerMetrics } from './metrics';
import { registerProfile } from './profile';
import { registerReload } from './reload';
import { registerReport } from './report';
import { registerServiceCommands } from './service';
import { registerStatus } from './status';
import { registerUnits } from './units/register';
import { registerExec } from './exec';
import { registerUp } from './up';
import { registerValidate } from './validate';

export function createProgram(): Command {
  const program = programShell();
  registerInit(program);
  registerValidate(program);
  registerUp(program);
  registerServiceCommands(program);
  registerStatus(program);
  registerLogs(program);
  registerProfile(program);
  registerReload(program);
  registerMemory(program);
  registerMetrics(program);
  registerReport(program);
  registerBackup(program);
  registerRestore(program);
  registerMaintain(program);
  registerCleanup(program);
  registerDoctor(program);
  registerUnits(program);
  registerExec(program);
  registerAlerts(program);
  registerMonitor(program);
  registerApi(program);
  return program;
}
