/**
 * Which service a command is about: from its argument (a name, a Services tree item, an object
 * with a name) or, when there is none, picked from the stack's services.
 */
import * as vscode from 'vscode';
import type { EngineStatus } from '../../core/contract';
import type { EngineConnection } from '../engine-connection';
import { ServiceItem } from '../services-tree';

export type ServiceStatus = EngineStatus['services'][number];

/** A service name from a command argument: a name, a tree item, or an object with a name. */
export function serviceName(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof ServiceItem) return arg.service.name;
  if (arg && typeof arg === 'object') {
    const o = arg as { service?: unknown; name?: unknown };
    if (typeof o.service === 'string') return o.service;
    if (o.service && typeof o.service === 'object' && typeof (o.service as { name?: unknown }).name === 'string') return (o.service as { name: string }).name;
    if (typeof o.name === 'string') return o.name;
  }
  return undefined;
}

/** The services of the last status (none while no engine is connected). */
export const servicesOf = (connection: EngineConnection): ServiceStatus[] => connection.status?.services ?? [];

/** Ask which service, the ones `prefer` picks listed first. */
export async function pickService(connection: EngineConnection, placeHolder: string, prefer: (s: ServiceStatus) => boolean = () => true): Promise<string | undefined> {
  if (servicesOf(connection).length === 0) {
    await connection.refresh();
    if (servicesOf(connection).length === 0) throw new Error('no services: the engine is not connected');
  }
  const sorted = [...servicesOf(connection)].sort((a, b) => Number(prefer(b)) - Number(prefer(a)));
  const picked = await vscode.window.showQuickPick(
    sorted.map((s) => ({ label: s.name, description: `${s.state}${s.inProfile ? '' : ' · not in profile'}`, detail: s.reason })),
    { placeHolder, title: 'Opsdeck' },
  );
  return picked?.label;
}
