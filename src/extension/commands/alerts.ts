/**
 * Alert commands: Acknowledge (an incident id, or picked from the open ones), Silence (a
 * service's alerts, 1 hour by default; the service picked when none is given), Remove Silence
 * (picked from those in force when none is given), Refresh Alerts. They act on the engine
 * through the connection's client, and say what they did.
 */
import * as vscode from 'vscode';
import type { EngineConnection } from '../engine-connection';
import type { CommandHandlers } from './context';

const incidentIdOf = (arg: unknown): string | undefined =>
  typeof arg === 'string' ? arg : (arg as { incident?: { id?: string } } | undefined)?.incident?.id;

export function alertCommands(connection: EngineConnection, refresh: () => Promise<void>): CommandHandlers {
  return {
    'opsdeck.alerts.ack': async (arg) => {
      const client = connection.requireClient();
      let id = incidentIdOf(arg);
      if (!id) {
        const open = (await client.alerts()).incidents.filter((i) => !i.ack);
        if (!open.length) return void vscode.window.showInformationMessage('Opsdeck: no open incident to acknowledge.');
        id = (await vscode.window.showQuickPick(open.map((i) => ({ label: i.id, description: `${i.severity}: ${i.summary}` })), { placeHolder: 'Incident to acknowledge' }))?.label;
        if (!id) return undefined;
      }
      const r = await client.ackAlert(id, { by: process.env.USER ?? 'vscode' });
      void vscode.window.setStatusBarMessage(`$(check) Opsdeck: acknowledged ${r.incident.id}`, 8000);
      await refresh();
      return r;
    },
    'opsdeck.alerts.silence': async (arg) => {
      const client = connection.requireClient();
      const given = arg as { service?: string; durationMs?: number; incident?: { service: string } } | undefined;
      let service = given?.service ?? given?.incident?.service ?? (typeof arg === 'string' ? arg : undefined);
      if (!service) {
        // From the palette: one of the stack's services.
        const names = (await client.status()).services.map((x) => x.name);
        service = await vscode.window.showQuickPick(names, { placeHolder: 'Silence the alerts of which service for 1 hour?' });
        if (!service) return undefined;
      }
      const r = await client.silence({ matchers: [{ name: 'service', op: '=', value: service }], durationMs: given?.durationMs ?? 3_600_000, comment: 'silenced from VS Code', by: process.env.USER ?? 'vscode' });
      void vscode.window.setStatusBarMessage(`$(bell-slash) Opsdeck: ${service} silenced until ${new Date(r.silence.endsAt).toLocaleTimeString()}`, 8000);
      await refresh();
      return r;
    },
    'opsdeck.alerts.unsilence': async (arg) => {
      const client = connection.requireClient();
      let id = typeof arg === 'string' ? arg : (arg as { silence?: { id?: string } } | undefined)?.silence?.id;
      if (!id) {
        // From the palette: one of the silences in force.
        const silences = (await client.alerts()).silences;
        if (!silences.length) return void vscode.window.showInformationMessage('Opsdeck: no silence in force.');
        const items = silences.map((x) => ({ label: x.id, description: x.matchers.map((m) => `${m.name}${m.op}${m.value}`).join(', '), detail: `until ${new Date(x.endsAt).toLocaleString()}: ${x.comment}` }));
        id = (await vscode.window.showQuickPick(items, { placeHolder: 'Silence to remove' }))?.label;
        if (!id) return undefined;
      }
      const r = await client.unsilence(id);
      await refresh();
      return r;
    },
    'opsdeck.alerts.refresh': async () => refresh(),
  };
}
