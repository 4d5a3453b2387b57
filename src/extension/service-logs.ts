/**
 * View Logs: one output channel per service (`Opsdeck: storage`, language `log`), filled with
 * the last lines of the service's log and then following it (`ApiClient.followLogs`, a
 * server-sent event stream) for as long as the channel exists. When the engine connection
 * changes (reconnect, embedded after attach), open follows resume from the last line seen.
 */
import * as vscode from 'vscode';
import type { LogLine } from '../core/contract';
import type { EngineConnection } from './engine-connection';

const TAIL_LINES = 200;

interface Follow {
  channel: vscode.OutputChannel;
  abort?: AbortController;
  lastAt?: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export function formatLogLine(l: LogLine): string {
  const d = new Date(l.at);
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const tag = l.stream === 'stderr' ? '[stderr]' : l.stream === 'opsdeck' ? '[opsdeck]' : '[stdout]';
  return `${stamp} ${tag} ${l.line}`;
}

export class ServiceLogs implements vscode.Disposable {
  private readonly follows = new Map<string, Follow>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly connection: EngineConnection,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      connection.onDidChangeMode((mode) => {
        for (const [service, f] of this.follows) {
          f.abort?.abort();
          f.abort = undefined;
          if (mode !== 'none') this.start(service, f);
          else f.channel.appendLine('--- engine disconnected; the log resumes when it is back ---');
        }
      }),
    );
  }

  /** Show the service's log channel, following it. */
  show(service: string, preserveFocus = false): vscode.OutputChannel {
    let f = this.follows.get(service);
    if (!f) {
      f = { channel: vscode.window.createOutputChannel(`Opsdeck: ${service}`, 'log') };
      this.follows.set(service, f);
      this.start(service, f);
    } else if (!f.abort && this.connection.client) {
      this.start(service, f);
    }
    f.channel.show(preserveFocus);
    return f.channel;
  }

  /** Services whose log channel is open (for tests and the test API). */
  get open(): string[] {
    return [...this.follows.keys()];
  }

  private start(service: string, f: Follow): void {
    const client = this.connection.client;
    if (!client) {
      f.channel.appendLine('--- no engine connected; the log follows once one is ---');
      return;
    }
    const ac = new AbortController();
    f.abort = ac;
    const opts = f.lastAt === undefined ? { lines: TAIL_LINES } : { since: f.lastAt + 1 };
    client
      .followLogs(
        service,
        (line) => {
          f.lastAt = line.at;
          f.channel.appendLine(formatLogLine(line));
        },
        ac.signal,
        opts,
      )
      .then(
        () => {
          if (!ac.signal.aborted) f.channel.appendLine('--- the engine closed the log stream ---');
        },
        (e: unknown) => {
          if (ac.signal.aborted) return;
          f.channel.appendLine(`--- log stream failed: ${(e as Error).message} ---`);
          this.log.warn(`log of ${service}: ${(e as Error).message}`);
        },
      )
      .finally(() => {
        if (f.abort === ac) f.abort = undefined;
      });
  }

  dispose(): void {
    for (const f of this.follows.values()) {
      f.abort?.abort();
      f.channel.dispose();
    }
    this.follows.clear();
    for (const s of this.subscriptions) s.dispose();
  }
}
