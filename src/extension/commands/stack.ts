/**
 * The whole stack's commands: Start Stack (waits for the stack to settle, and names a service
 * that did not come up healthy), Stop Stack, Run Health Check (of the stack, or of one service
 * from its context menu; the result service by service, notifications.healthResult) and Create
 * Stack.
 */
import * as vscode from 'vscode';
import type { EngineStatus, PlanResult, StackHealth } from '../../core/contract';
import type { EngineConnection } from '../engine-connection';
import type { CommandContext, CommandHandlers } from './context';
import { showFailure } from './failure';
import { describePlan } from './plan';
import { withProgress } from './progress';
import { serviceName } from './service-args';

/** How long Start Stack waits for the stack to settle (ready or failed) before returning. */
const SETTLE_TIMEOUT_MS = 120_000;

export function stackCommands(ctx: CommandContext): CommandHandlers {
  const { connection } = ctx;
  return {
    'opsdeck.startStack': async () => {
      let plan: PlanResult | undefined;
      const status = await withProgress('starting the stack…', async (p) => {
        plan = await connection.requireClient().up();
        p.report({ message: describePlan(plan) });
        return settle(connection, (m) => p.report({ message: m }));
      });
      const failed = failedService(status);
      if (failed) {
        void showFailure(ctx.output, new Error(`the stack started, but ${failed} is not healthy: ${status?.services.find((s) => s.name === failed)?.reason ?? ''}`), failed);
      } else if (status) {
        const ready = status.services.filter((s) => s.inProfile && (s.state === 'ready' || s.completed)).length;
        vscode.window.setStatusBarMessage(`Opsdeck: ${ready}/${status.services.filter((s) => s.inProfile).length} ready`, 5000);
      }
      return plan;
    },

    'opsdeck.stopStack': async () => {
      const result = await withProgress('stopping the stack…', () => connection.requireClient().down());
      await connection.refresh();
      return result;
    },

    'opsdeck.runHealthCheck': async (arg) => {
      // From a service's context menu (or with a name): only that service's check and health.
      const name = serviceName(arg);
      // The checks it runs fail as `check` events too: the result below answers for them.
      const health: StackHealth = await ctx.reportsItself(['health-failing'], () =>
        withProgress(`running ${name ? `${name}'s health check` : 'health checks'}…`, () => connection.requireClient().health(true, name ? [name] : undefined)),
      );
      ctx.showHealth(health);
      await connection.refresh();
      return health;
    },

    'opsdeck.createStack': async (arg) => ctx.createStack(arg instanceof vscode.Uri ? arg : undefined),
  };
}

/** Wait until no service of the profile is starting / in backoff (or the timeout). */
async function settle(connection: EngineConnection, report: (m: string) => void): Promise<EngineStatus | undefined> {
  const busy = (s: EngineStatus | undefined) => !!s && s.services.some((x) => x.inProfile && (x.state === 'starting' || x.state === 'backoff' || x.state === 'stopping'));
  const now = await connection.refresh();
  if (!busy(now)) return now;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(connection.status), SETTLE_TIMEOUT_MS);
    const sub = connection.onDidChangeStatus((s) => {
      if (!s) return finish(undefined);
      const pending = s.services.filter((x) => x.inProfile && x.state !== 'ready' && !x.completed).map((x) => `${x.name} ${x.state}`);
      if (pending.length) report(pending.join(', '));
      if (!busy(s)) finish(s);
    });
    function finish(s: EngineStatus | undefined) {
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    }
  });
}

function failedService(s: EngineStatus | undefined): string | undefined {
  return s?.services.find((x) => x.inProfile && (x.state === 'failed' || x.health === 'CRITICAL'))?.name;
}
