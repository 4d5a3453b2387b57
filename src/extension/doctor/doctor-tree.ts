/**
 * The Diagnostics view (`opsdeck.diagnostics`): the last doctor report, one item per category
 * with its counts, under it one item per check (✓ / ! / ✗ as pass / warning / error icons, what
 * was found as the description, the fix in the tooltip). A config finding opens opsdeck.yaml at
 * its line. Before a run, the view's welcome text offers Run Diagnostics.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { CheckCategory, DoctorCheck, DoctorReport } from '../../core/contract';
import { CONFIG_FILE } from '../../core/host';

const HEADINGS: Record<CheckCategory, string> = { environment: 'Environment', config: 'Config', connection: 'Connections', logs: 'Logs' };
const ICONS = { ok: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')), warn: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')), fail: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')) };

type Node = { kind: 'category'; category: CheckCategory; checks: DoctorCheck[] } | { kind: 'check'; check: DoctorCheck };

/** What a test sees of the view: categories with their checks' labels and descriptions. */
export interface DoctorItemSnapshot {
  label: string;
  description: string;
  children: { label: string; description: string; status: string }[];
}

export class DoctorTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private report: DoctorReport | undefined;
  private readonly view: vscode.TreeView<Node>;

  constructor() {
    this.view = vscode.window.createTreeView('opsdeck.diagnostics', { treeDataProvider: this });
  }

  show(report: DoctorReport): void {
    this.report = report;
    const { ok, warn, fail } = report.summary;
    this.view.description = `${fail} ✗ · ${warn} ! · ${ok} ✓`;
    this.changed.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    if (!this.report) return [];
    if (!node) {
      return (Object.keys(HEADINGS) as CheckCategory[])
        .map((category) => ({ kind: 'category' as const, category, checks: this.report!.checks.filter((c) => c.category === category) }))
        .filter((n) => n.checks.length);
    }
    return node.kind === 'category' ? node.checks.map((check) => ({ kind: 'check' as const, check })) : [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'category') {
      const item = new vscode.TreeItem(HEADINGS[node.category], vscode.TreeItemCollapsibleState.Expanded);
      item.description = counts(node.checks);
      const worst = node.checks.some((c) => c.status === 'fail') ? 'fail' : node.checks.some((c) => c.status === 'warn') ? 'warn' : 'ok';
      item.iconPath = ICONS[worst];
      item.contextValue = 'doctor-category';
      return item;
    }
    const c = node.check;
    const item = new vscode.TreeItem(label(c), vscode.TreeItemCollapsibleState.None);
    item.description = c.found;
    item.iconPath = ICONS[c.status];
    item.contextValue = `doctor-check-${c.status}`;
    const tip = new vscode.MarkdownString(`**${c.title}**\n\n${c.found}`);
    if (c.fix) tip.appendMarkdown(`\n\nfix: ${c.fix.text}${c.fix.command ? `\n\n\`${c.fix.command}\`` : ''}`);
    item.tooltip = tip;
    if (c.at && this.report) {
      const uri = vscode.Uri.file(path.join(this.report.dir, CONFIG_FILE));
      const at = new vscode.Position(c.at.line - 1, c.at.column - 1);
      item.command = { command: 'vscode.open', title: 'Show in opsdeck.yaml', arguments: [uri, { selection: new vscode.Range(at, at) }] };
    }
    return item;
  }

  snapshot(): DoctorItemSnapshot[] {
    return this.getChildren().map((n) => {
      const item = this.getTreeItem(n);
      return {
        label: String(item.label),
        description: String(item.description ?? ''),
        children: this.getChildren(n).map((child) => {
          const ci = this.getTreeItem(child);
          return { label: String(ci.label), description: String(ci.description ?? ''), status: child.kind === 'check' ? child.check.status : '' };
        }),
      };
    });
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}

const label = (c: DoctorCheck) => (c.service ? `${c.service}: ${c.title}` : c.title);

function counts(checks: DoctorCheck[]): string {
  const n = (s: DoctorCheck['status']) => checks.filter((c) => c.status === s).length;
  return [n('fail') && `${n('fail')} ✗`, n('warn') && `${n('warn')} !`, `${n('ok')} ✓`].filter(Boolean).join(' · ');
}
