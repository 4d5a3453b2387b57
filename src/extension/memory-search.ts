/**
 * Search Memory: a quick pick that searches the stack's memory (events and log lines, SQLite
 * FTS5 in the owning engine) as you type, debounced; picking a hit opens it in context, as a
 * read-only `opsdeck-memory:` document of that service's entries around the hit (the hit marked
 * and selected). Also `search(text)` for the command's programmatic form.
 */
import * as vscode from 'vscode';
import type { MemoryHit } from '../core/contract';
import type { EngineConnection } from './engine-connection';

export const MEMORY_SCHEME = 'opsdeck-memory';
const DEBOUNCE_MS = 200;
const LIMIT = 50;
/** Context loaded around a hit: this many entries before it, and what follows within this window. */
const BEFORE = 150;
const AFTER_MS = 60_000;
const AFTER = 150;

const KIND_ICON: Record<string, string> = {
  log: 'output',
  state: 'symbol-event',
  restart: 'debug-restart',
  exit: 'debug-stop',
  'gave-up': 'error',
  probe: 'pulse',
  check: 'checklist',
  ipc: 'dashboard',
  spawn: 'play',
  limit: 'warning',
};

/** A hit's time in the user's locale (VS Code's display language): date and time to the second. */
let timeFormat: Intl.DateTimeFormat | undefined;
const time = (at: number) => {
  timeFormat ??= dateTimeFormat(vscode.env.language);
  return timeFormat.format(new Date(at));
};

function dateTimeFormat(locale: string | undefined): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  } catch {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }); // a language tag Intl does not know
  }
}

interface HitItem extends vscode.QuickPickItem {
  hit?: MemoryHit;
}

export class MemorySearch implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly registration: vscode.Disposable;

  constructor(private readonly connection: EngineConnection) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(MEMORY_SCHEME, this);
  }

  /** One search (the command with a query argument returns this). */
  async search(text: string, limit = LIMIT): Promise<MemoryHit[]> {
    const q = text.trim();
    const { hits } = await this.connection.requireClient().searchMemory({ ...(q ? { text: q } : {}), limit });
    return hits;
  }

  /** The interactive quick pick. Resolves when it closes. */
  async pick(initial = ''): Promise<void> {
    this.connection.requireClient();
    const qp = vscode.window.createQuickPick<HitItem>();
    qp.title = 'Opsdeck: Search Memory';
    qp.placeholder = 'Search events and logs: words, prefix*, "a phrase", a OR b, service:storage';
    qp.matchOnDescription = false;
    qp.matchOnDetail = false;
    qp.value = initial;
    let timer: NodeJS.Timeout | undefined;
    let seq = 0;
    const run = async (value: string) => {
      const mine = ++seq;
      qp.busy = true;
      try {
        const hits = await this.search(value);
        if (mine !== seq) return;
        qp.items = hits.length
          ? hits.map((hit) => ({
              label: `$(${KIND_ICON[hit.kind] ?? 'circle-small'}) ${hit.service} · ${hit.kind}`,
              description: time(hit.at),
              detail: hit.snippet || hit.text,
              alwaysShow: true,
              hit,
            }))
          : [{ label: value.trim() ? `No entries match "${value.trim()}"` : 'Memory is empty', alwaysShow: true }];
      } catch (e) {
        if (mine !== seq) return;
        qp.items = [{ label: `$(error) ${(e as Error).message}`, detail: (e as { hint?: string }).hint, alwaysShow: true }];
      } finally {
        if (mine === seq) qp.busy = false;
      }
    };
    const done = new Promise<void>((resolve) => {
      qp.onDidChangeValue((value) => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void run(value), DEBOUNCE_MS);
      });
      qp.onDidAccept(() => {
        const hit = qp.selectedItems[0]?.hit;
        if (!hit) return;
        qp.hide();
        void this.open(hit);
      });
      qp.onDidHide(() => {
        if (timer) clearTimeout(timer);
        qp.dispose();
        resolve();
      });
    });
    qp.show();
    void run(initial);
    return done;
  }

  /** Open a hit in context. */
  async open(hit: Pick<MemoryHit, 'id' | 'at' | 'service' | 'kind'>): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({
      scheme: MEMORY_SCHEME,
      path: `/${hit.service}/${hit.kind}-${hit.id}.log`,
      query: new URLSearchParams({ id: String(hit.id), at: String(hit.at), service: hit.service }).toString(),
    });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'log');
    const editor = await vscode.window.showTextDocument(doc, { preview: true });
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('»'));
    if (line >= 0) {
      const range = new vscode.Range(line, 0, line, doc.lineAt(line).text.length);
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    }
    return editor;
  }

  /** The document of a hit in context: the service's memory entries around it, oldest first. */
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const id = Number(q.get('id'));
    const at = Number(q.get('at'));
    const service = q.get('service') ?? '';
    const client = this.connection.client;
    if (!client) return '# No engine connected: the memory of this stack cannot be read now.\n';
    const [before, after] = await Promise.all([
      client.searchMemory({ service, until: at, limit: BEFORE }),
      client.searchMemory({ service, since: at, until: at + AFTER_MS, limit: AFTER }),
    ]);
    const byId = new Map<number, MemoryHit>();
    for (const h of [...before.hits, ...after.hits]) byId.set(h.id, h);
    const entries = [...byId.values()].sort((a, b) => a.at - b.at || a.id - b.id);
    const head = [
      `# Opsdeck memory of ${service} around ${time(at)} (entry ${id})`,
      `# ${entries.length} entries: up to ${BEFORE} before it and those of the following ${AFTER_MS / 1000} s. The entry is marked ».`,
      '',
    ];
    const body = entries.map((h) => `${h.id === id ? '»' : ' '} ${time(h.at)} [${h.kind}] ${h.text}`);
    if (!byId.has(id)) body.push(`» (entry ${id} is no longer in memory)`);
    return [...head, ...body, ''].join('\n');
  }

  dispose(): void {
    this.registration.dispose();
  }
}
