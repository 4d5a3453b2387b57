/**
 * The Metrics view: charts and controls. A compact header (ready count, IPC score, profile: the
 * status bar's numbers, from the same snapshot), the controls (Start or Stop as the primary
 * button by the stack's state, Backup now, profile, chart range) and collapsible sections: the
 * services (each with its chart colour, state and one action: Start when stopped, Restart when
 * running, and Logs), CPU, memory, probe latency, IPC, restart timeline, backups. Without an
 * engine it says so and why, and shows no numbers. Built once with @vscode-elements/elements,
 * updated in place from the model as the host's messages arrive; charts are drawn only in open
 * sections. Everything the user can do is a button, select or section header reachable by
 * keyboard; each chart carries its numbers in words. Layouts for narrow, medium and wide
 * sidebars are main.css's container queries.
 */
import {
  HISTORY_RANGE_NAMES,
  HISTORY_RANGES,
  PROTOCOL_VERSION,
  parseHostMessage,
  type HistoryRange,
  type ServiceRow,
  type SidebarCommandType,
  type WebviewMessage,
} from '../../src/shared/protocol';
import { unreadableSummary } from '../../src/shared/unreadable-snapshots';
import { Chart, type ChartSpec } from './charts';
import { formatClock, rangeWords } from './format';
import { SidebarModel, type Change } from './model';
import { onThemeChange, readPalette, type Palette } from './theme';
import {
  backupRows,
  ipcChart,
  ipcSummary,
  latencyChart,
  metricChart,
  metricSummary,
  restartSummary,
  restartTimeline,
  type ChartData,
} from './series';
import { restoreViewState, SECTIONS, type Section, type ViewState } from './view-state';
import type { VsCodeApi } from './vscode';

// ------------------------------------------------------------------ tiny DOM helpers

type Attrs = Record<string, string | number | boolean | undefined>;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children);
  return el;
}

const setText = (el: Element, text: string) => {
  if (el.textContent !== text) el.textContent = text;
};

const byId = <T extends HTMLElement>(root: ParentNode, id: string) => root.querySelector<T>(`#${id}`)!;

type ServiceState = ServiceRow['state'];
type Icon = HTMLElement & { name: string; spin: boolean };
type Button = HTMLElementTagNameMap['vscode-button'];

// ------------------------------------------------------------------ what each state looks like

const STATE_ICONS: Record<ServiceState, { icon: string; tone: string; spin?: boolean }> = {
  ready: { icon: 'pass-filled', tone: 'ok' },
  starting: { icon: 'loading', tone: 'busy', spin: true },
  stopping: { icon: 'loading', tone: 'busy', spin: true },
  degraded: { icon: 'warning', tone: 'warn' },
  backoff: { icon: 'history', tone: 'warn' },
  failed: { icon: 'error', tone: 'error' },
  stopped: { icon: 'circle-large-outline', tone: 'idle' },
};

/** Not running: the service's action is Start (as in the Services tree), else Restart. */
const isStopped = (state: ServiceState) => state === 'stopped' || state === 'failed';

const COMMAND_TEXT: Record<SidebarCommandType, { running: string; ok: string; failed: string }> = {
  switchProfile: { running: 'Switching profile…', ok: 'Profile switched.', failed: 'Switching profile failed' },
  backupNow: { running: 'Backing up…', ok: 'Backup done.', failed: 'Backup failed' },
  startStack: { running: 'Starting the stack…', ok: 'Stack started.', failed: 'Starting the stack failed' },
  stopStack: { running: 'Stopping the stack…', ok: 'Stack stopped.', failed: 'Stopping the stack failed' },
  startService: { running: 'Starting…', ok: 'Start requested.', failed: 'Start failed' },
  restartService: { running: 'Restarting…', ok: 'Restart requested.', failed: 'Restart failed' },
  openLogs: { running: 'Opening logs…', ok: '', failed: 'Opening logs failed' },
};

const SECTION_TITLES: Record<Section, { heading: string; description?: string }> = {
  services: { heading: 'Services', description: 'chart colours, actions' },
  cpu: { heading: 'CPU', description: '% of one core' },
  memory: { heading: 'Memory', description: 'RSS, MB' },
  latency: { heading: 'Probe latency', description: 'p95 solid, p50 dashed, ms' },
  ipc: { heading: 'IPC score', description: '0–100, higher is worse' },
  restarts: { heading: 'Restarts' },
  backups: { heading: 'Backups', description: 'last backup vs RPO' },
};

const serviceColor: ChartSpec['color'] = (p, _i, meta) => p.series[meta.serviceIndex % p.series.length]!;

const CHART_SPECS: Partial<Record<Section, ChartSpec>> = {
  cpu: { color: serviceColor },
  memory: { color: serviceColor },
  latency: { color: serviceColor },
  ipc: { yRange: [0, 100], color: (p, i) => [p.accent, p.warn, p.critical][i] ?? p.accent },
  restarts: { rows: true, color: serviceColor },
};

const BACKUP_LOOK = {
  ok: { icon: 'pass', tone: 'ok', label: 'within RPO' },
  breached: { icon: 'warning', tone: 'warn', label: 'RPO breached' },
  never: { icon: 'circle-large-outline', tone: 'idle', label: 'no backup yet' },
  'no-rpo': { icon: 'circle-large-outline', tone: 'idle', label: 'no RPO set' },
} as const;

interface RowRefs {
  row: HTMLElement;
  swatch: HTMLElement;
  icon: Icon;
  /** "ready" / "stopped · not in profile" */
  state: HTMLElement;
  action: HTMLElement & { icon: string; label: string };
}

// ------------------------------------------------------------------ the app

export class App {
  private readonly model: SidebarModel;
  private readonly open: Record<Section, boolean>;
  private palette: Palette;
  private readonly charts = new Map<Section, Chart>();
  private readonly rows = new Map<string, RowRefs>();
  private rowOrder = '';
  private profileOptions = '';
  private readonly stopTheme: () => void;

  constructor(
    private readonly root: HTMLElement,
    private readonly api: VsCodeApi,
  ) {
    const state = restoreViewState(api.getState());
    this.model = new SidebarModel(state);
    this.open = state.open;
    this.palette = readPalette();
    this.build();
    this.renderAll();
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
    this.stopTheme = onThemeChange(() => {
      this.palette = readPalette();
      for (const c of this.charts.values()) c.setPalette(this.palette);
      this.renderCharts();
      this.renderServices();
    });
    this.post({ type: 'ready', protocol: PROTOCOL_VERSION, range: this.model.range });
  }

  dispose(): void {
    this.stopTheme();
    for (const c of this.charts.values()) c.destroy();
  }

  /** A message from the host: checked, applied, drawn, remembered. */
  receive(data: unknown): void {
    const parsed = parseHostMessage(data);
    if (!parsed.ok) {
      console.warn(`[opsdeck metrics] ${parsed.error}`);
      return;
    }
    this.render(this.model.apply(parsed.message));
  }

  private post(message: WebviewMessage): void {
    this.api.postMessage(message);
  }

  private persist(): void {
    const state: ViewState = this.model.persisted({ ...this.open });
    this.api.setState(state);
  }

  private command(message: Extract<WebviewMessage, { type: SidebarCommandType }>): void {
    if (message.type !== 'openLogs') {
      this.model.startCommand(message.type);
      this.renderCommand();
    }
    this.post(message);
  }

  // ------------------------------------------------------------------ building

  private build(): void {
    this.root.replaceChildren();
    this.root.removeAttribute('aria-busy');

    const item = (id: string, icon: string, label: string) =>
      h('span', { id, class: 'header-item', title: label }, h('vscode-icon', { id: `${id}-icon`, name: icon }), h('span', { id: `${id}-text` }, '–'));
    const header = h(
      'header',
      { id: 'summary', class: 'summary' },
      h(
        'div',
        { id: 'header-row', class: 'header-row', role: 'group', 'aria-label': 'Stack summary' },
        item('ready', 'pulse', 'Services of the active profile that are ready'),
        item('ipc', 'dashboard', 'IPC score (0–100, higher is worse)'),
        item('profile-now', 'layers', 'Active profile'),
      ),
      h('p', { id: 'banner', class: 'banner', role: 'status', 'aria-live': 'polite', hidden: true }),
    );

    const profile = h('vscode-single-select', { id: 'profile', label: 'Profile' });
    profile.addEventListener('change', () => {
      const name = profile.value;
      if (name && name !== this.model.status?.profile) this.command({ type: 'switchProfile', name });
    });
    const range = h('vscode-single-select', { id: 'range', label: 'Chart range' });
    for (const r of HISTORY_RANGE_NAMES) range.append(h('vscode-option', { value: r, selected: r === this.model.range }, `Last ${rangeWords(r)}`));
    range.addEventListener('change', () => {
      const r = range.value as HistoryRange;
      if (!(r in HISTORY_RANGES) || r === this.model.range) return;
      this.model.setRange(r);
      this.post({ type: 'requestHistory', range: r });
      this.persist();
      this.renderCharts();
    });

    const start = h('vscode-button', { id: 'start', icon: 'debug-start' }, 'Start');
    start.addEventListener('click', () => this.command({ type: 'startStack' }));
    const stop = h('vscode-button', { id: 'stop', icon: 'debug-stop', secondary: true }, 'Stop');
    stop.addEventListener('click', () => this.command({ type: 'stopStack' }));
    const backup = h('vscode-button', { id: 'backup', icon: 'archive', secondary: true, 'aria-describedby': 'backup-hint' }, 'Backup now');
    backup.addEventListener('click', () => {
      if (this.model.backups?.available) this.command({ type: 'backupNow' });
    });

    const controls = h(
      'section',
      { class: 'controls', 'aria-label': 'Stack controls' },
      h('div', { id: 'buttons', class: 'buttons' }, start, stop, h('span', { id: 'backup-wrap', class: 'tooltip-wrap' }, backup)),
      h('p', { id: 'backup-hint', class: 'hint muted' }),
      h('p', { id: 'command-status', class: 'hint', role: 'status', 'aria-live': 'polite' }),
      h(
        'div',
        { class: 'fields' },
        h('div', { class: 'field' }, h('vscode-label', { for: 'profile' }, 'Profile'), profile),
        h('div', { class: 'field' }, h('vscode-label', { for: 'range' }, 'Range'), range),
      ),
    );

    const sections = SECTIONS.map((s) => this.buildSection(s));
    this.root.append(header, controls, h('div', { class: 'sections' }, ...sections));
  }

  private buildSection(section: Section): HTMLElement {
    const { heading, description } = SECTION_TITLES[section];
    const el = h('vscode-collapsible', { id: `section-${section}`, heading, description, open: this.open[section], 'data-section': section });
    el.addEventListener('vsc-collapsible-toggle', (e: Event) => {
      this.open[section] = (e as CustomEvent<{ open: boolean }>).detail.open;
      this.persist();
      // Drawn once laid out: a closed section has no width.
      if (this.open[section]) requestAnimationFrame(() => this.renderSection(section));
    });
    const body = h('div', { class: 'section-body' });
    el.append(body);
    if (section === 'services') body.append(h('ul', { id: 'service-list', class: 'service-list', 'aria-label': 'Services' }), h('p', { id: 'services-empty', class: 'muted empty', hidden: true }));
    else if (section === 'backups') body.append(h('div', { id: 'backups-body' }));
    const spec = CHART_SPECS[section];
    if (spec) {
      const holder = h('div', { id: `chart-${section}` });
      body.append(holder);
      this.charts.set(section, new Chart(holder, spec, this.palette));
      if (section === 'restarts') body.append(h('ul', { id: 'restart-list', class: 'restart-list', 'aria-label': 'Latest restarts' }));
      body.append(h('p', { id: `empty-${section}`, class: 'muted empty', hidden: true }));
    }
    return el;
  }

  private buildRow(name: string): RowRefs {
    const icon = h('vscode-icon', { name: 'circle-large-outline', class: 'state-icon' }) as Icon;
    const action = h('vscode-toolbar-button', { icon: 'debug-restart', label: `Restart ${name}`, title: `Restart ${name}` }) as RowRefs['action'];
    action.addEventListener('click', () => {
      const state = this.stateOf(name);
      this.command(state && isStopped(state) ? { type: 'startService', name } : { type: 'restartService', name });
    });
    const logs = h('vscode-toolbar-button', { icon: 'output', label: `Show logs of ${name}`, title: `Show logs of ${name}` });
    logs.addEventListener('click', () => this.command({ type: 'openLogs', name }));
    const refs: RowRefs = {
      row: h('li', { class: 'service-row', 'data-service': name }),
      swatch: h('span', { class: 'swatch', 'aria-hidden': 'true' }),
      icon,
      state: h('span', { class: 'service-state muted' }),
      action,
    };
    refs.row.append(
      refs.swatch,
      icon,
      h('span', { class: 'service-text' }, h('span', { class: 'service-name' }, name), refs.state),
      h('span', { class: 'row-actions' }, action, logs),
    );
    return refs;
  }

  // ------------------------------------------------------------------ rendering

  private renderAll(): void {
    this.renderHeader();
    this.renderControls();
    this.renderServices();
    this.renderBackups();
    this.renderCommand();
    this.renderCharts();
  }

  private render(changes: Change[]): void {
    const c = new Set(changes);
    if (c.has('state')) {
      this.renderHeader();
      this.renderControls();
      this.renderServices();
      this.renderBackups();
    }
    if (c.has('command')) this.renderCommand();
    if (c.has('series') || c.has('state')) this.renderCharts(c.has('restarts') ? undefined : ['cpu', 'memory', 'latency', 'ipc']);
    if (c.has('restarts') && !c.has('series')) this.renderSection('restarts');
  }

  /** The state of a service now (from the snapshot's status). */
  private stateOf(name: string): ServiceState | undefined {
    return this.model.status?.services.find((s) => s.name === name)?.state;
  }

  private renderHeader(): void {
    const { header, connection } = this.model;
    const summary = byId(this.root, 'summary');
    summary.dataset.seq = String(this.model.seq);
    byId(this.root, 'header-row').hidden = !header;
    if (header) {
      summary.dataset.ready = String(header.ready);
      summary.dataset.total = String(header.total);
      setText(byId(this.root, 'ready-text'), `${header.ready}/${header.total} ready`);
      byId(this.root, 'ready').setAttribute('aria-label', `${header.ready} of ${header.total} services ready`);
      const ipc = header.ipc;
      setText(byId(this.root, 'ipc-text'), `IPC ${Math.round(ipc.score)}${ipc.level === 'ok' ? '' : ` ${ipc.level}`}`);
      const ipcIcon = byId<Icon>(this.root, 'ipc-icon');
      ipcIcon.name = ipc.level === 'critical' ? 'error' : ipc.level === 'warn' ? 'warning' : 'dashboard';
      ipcIcon.className = `tone-${ipc.level === 'critical' ? 'error' : ipc.level === 'warn' ? 'warn' : 'idle'}`;
      byId(this.root, 'ipc').title = ipc.summary;
      setText(byId(this.root, 'profile-now-text'), header.profile ?? 'all');
    } else {
      delete summary.dataset.ready;
      delete summary.dataset.total;
    }
    const banner = byId(this.root, 'banner');
    const text =
      connection.state === 'unavailable'
        ? `No engine: ${connection.message ?? 'not running.'}`
        : connection.state === 'connected' && !header
          ? 'Waiting for the engine…'
          : connection.state === 'unknown'
            ? 'Waiting for the extension…'
            : '';
    banner.hidden = !text;
    setText(banner, text);
  }

  private renderControls(): void {
    const { status, backups, command, connected } = this.model;
    const profile = byId<HTMLElementTagNameMap['vscode-single-select']>(this.root, 'profile');
    const names = status?.profiles.map((p) => p.name) ?? [];
    const key = names.join('\n');
    if (key !== this.profileOptions) {
      this.profileOptions = key;
      profile.replaceChildren(
        ...(status?.profiles ?? []).map((p) => h('vscode-option', { value: p.name, description: p.description ?? `${p.services.join(', ')}` }, p.name)),
      );
    }
    if (status?.profile && profile.value !== status.profile) profile.value = status.profile;
    const busy = command?.state === 'running';
    profile.disabled = busy || names.length < 2;

    // The primary button follows the stack: Stop while anything of the profile runs, else Start.
    const inProfile = (status?.services ?? []).filter((s) => s.inProfile);
    const running = inProfile.some((s) => !isStopped(s.state));
    const allRunning = inProfile.length > 0 && inProfile.every((s) => !isStopped(s.state));
    const start = byId<Button>(this.root, 'start');
    const stop = byId<Button>(this.root, 'stop');
    start.secondary = running;
    stop.secondary = !running;
    byId(this.root, 'buttons').classList.toggle('running', running);
    start.disabled = busy || allRunning;
    stop.disabled = busy || !connected || !running;

    const backup = byId<Button>(this.root, 'backup');
    const available = backups?.available === true;
    backup.disabled = busy || !available;
    const why = !connected
      ? 'Backups need a running engine.'
      : backups === undefined
        ? 'Reading the backup status…'
        : backups.available
          ? 'Take a backup of the whole stack now.'
          : `Backups unavailable: ${backups.reason}`;
    byId(this.root, 'backup-wrap').title = why;
    backup.title = why;
    setText(byId(this.root, 'backup-hint'), available || !connected ? '' : why);
  }

  private renderCommand(): void {
    const el = byId(this.root, 'command-status');
    const c = this.model.command;
    el.classList.toggle('error', c?.state === 'failed');
    if (!c) return setText(el, '');
    const text = COMMAND_TEXT[c.command];
    setText(el, c.state === 'running' ? text.running : c.state === 'ok' ? text.ok : `${text.failed}${c.message ? `: ${c.message}` : '.'}`);
    this.renderControls();
  }

  private renderServices(): void {
    const { status, connected } = this.model;
    const names = connected ? this.model.services : [];
    const empty = byId(this.root, 'services-empty');
    empty.hidden = names.length > 0;
    setText(empty, connected ? 'No services yet.' : 'No engine: no services to show.');
    const order = names.join('\n');
    if (order !== this.rowOrder) {
      this.rowOrder = order;
      for (const n of [...this.rows.keys()]) if (!names.includes(n)) this.rows.delete(n);
      byId(this.root, 'service-list').replaceChildren(...names.map((n) => (this.rows.get(n) ?? this.rows.set(n, this.buildRow(n)).get(n)!).row));
    }
    names.forEach((name, i) => {
      const refs = this.rows.get(name)!;
      const row = status?.services.find((s) => s.name === name);
      const state: ServiceState = row?.state ?? this.model.sample?.services.find((s) => s.name === name)?.state ?? 'stopped';
      const look = STATE_ICONS[state];
      if (refs.icon.name !== look.icon) refs.icon.name = look.icon;
      refs.icon.spin = !!look.spin;
      refs.icon.className = `state-icon tone-${look.tone}`;
      // The chart colour of this service (CSSOM, allowed by the CSP).
      refs.swatch.style.backgroundColor = this.palette.series[i % this.palette.series.length] ?? '';
      setText(refs.state, [state, row && !row.inProfile ? 'not in profile' : undefined].filter(Boolean).join(' · '));
      refs.row.dataset.state = state;
      refs.row.classList.toggle('not-in-profile', row !== undefined && !row.inProfile);
      refs.row.title = row ? `${name} (${row.tier}): ${state}${row.reason && row.reason !== state ? ` (${row.reason})` : ''}; health ${row.health}` : name;
      const verb = isStopped(state) ? 'Start' : 'Restart';
      if (refs.action.label !== `${verb} ${name}`) {
        refs.action.icon = verb === 'Start' ? 'debug-start' : 'debug-restart';
        refs.action.label = `${verb} ${name}`;
        refs.action.title = `${verb} ${name}`;
      }
    });
  }

  private renderBackups(): void {
    const el = byId(this.root, 'backups-body');
    const info = this.model.backups;
    if (!this.model.connected) return el.replaceChildren(h('p', { class: 'muted' }, 'No engine: backups unknown.'));
    if (!info) return el.replaceChildren(h('p', { class: 'muted' }, 'Reading the backup status…'));
    if (!info.available) return el.replaceChildren(h('p', { class: 'muted' }, `Unavailable: ${info.reason}`));
    const rows = backupRows(info, Date.now());
    // a manifest that cannot be read: said above the rows, where it is seen first
    const damaged = info.unreadable
      ? [
          h(
            'p',
            { class: 'backup-unreadable', role: 'alert' },
            h('vscode-icon', { name: 'warning', class: 'tone-warn' }),
            h('span', {}, `${unreadableSummary(info.unreadable.ids, info.unreadable.total)}.`),
          ),
        ]
      : [];
    if (!rows.length) return el.replaceChildren(...damaged, h('p', { class: 'muted' }, 'No service has backups configured.'));
    el.replaceChildren(
      ...damaged,
      h(
        'ul',
        { class: 'backup-list', 'aria-label': 'Last backup per service against its RPO' },
        ...rows.map((r) => {
          const look = BACKUP_LOOK[r.status];
          const meter = h('span', {
            class: `rpo-meter rpo-${r.status}`,
            role: 'meter',
            'aria-label': `${r.service} backup age against RPO`,
            'aria-valuemin': 0,
            'aria-valuemax': 100,
            'aria-valuenow': r.fraction === undefined ? undefined : Math.round(Math.min(1, r.fraction) * 100),
          });
          const fill = h('span', { class: 'rpo-fill' });
          // CSSOM, not a style attribute: allowed by the CSP. Never backed up: an empty bar.
          fill.style.width = `${Math.round(Math.min(1, r.fraction ?? 0) * 100)}%`;
          meter.append(fill);
          const age = r.age === '–' ? '' : ` · ${r.age} ago`;
          return h(
            'li',
            { class: `backup-row rpo-${r.status}`, title: r.description, 'data-service': r.service },
            h('span', { class: 'backup-name' }, r.service),
            h('span', { class: 'backup-status' }, h('vscode-icon', { name: look.icon, class: `tone-${look.tone}` }), h('span', {}, `${look.label}${age}${r.rpo === '–' ? '' : ` (RPO ${r.rpo})`}`)),
            meter,
          );
        }),
      ),
    );
  }

  private renderCharts(only?: Section[]): void {
    for (const section of only ?? (Object.keys(CHART_SPECS) as Section[])) this.renderSection(section);
  }

  private renderSection(section: Section): void {
    if (section === 'services') return this.renderServices();
    if (section === 'backups') return this.renderBackups();
    const chart = this.charts.get(section);
    if (!chart || !this.open[section]) return;
    const m = this.model;
    const empty = byId(this.root, `empty-${section}`);
    const holder = byId(this.root, `chart-${section}`);
    // No engine: no chart of a former one, just why.
    const why = !m.connected ? 'No engine: no numbers to chart.' : !m.historyLoaded ? 'Loading history…' : '';
    empty.hidden = !why;
    setText(empty, why);
    holder.hidden = !m.connected;
    if (!m.connected) return;
    const services = m.services;
    const range = m.range;
    const until = m.now || Date.now();
    const xRange: [number, number] = [until - HISTORY_RANGES[range], until];
    const pointsOf = (service: string, metric: Parameters<SidebarModel['points']>[1]) => m.points(service, metric);
    let data: ChartData;
    let summary: string;
    let rows: string[] | undefined;
    switch (section) {
      case 'cpu':
      case 'memory': {
        const metric = section === 'cpu' ? 'cpuPercent' : 'rssMb';
        data = metricChart(services, pointsOf, metric);
        summary = metricSummary(section === 'cpu' ? 'CPU' : 'Memory (RSS)', section === 'cpu' ? '%' : 'MB', range, services.map((s) => ({ label: s, points: m.points(s, metric) })));
        break;
      }
      case 'latency':
        data = latencyChart(services, pointsOf);
        summary = metricSummary('Probe latency p95', 'ms', range, services.map((s) => ({ label: s, points: m.points(s, 'probeP95Ms') })));
        break;
      case 'ipc':
        data = ipcChart(m.ipc, m.thresholds);
        summary = ipcSummary(m.ipc, m.thresholds, range, m.header?.ipc.level);
        break;
      case 'restarts': {
        const t = restartTimeline(services, m.restarts);
        rows = t.rows;
        data = { data: t.data, series: t.rows.map((r) => ({ label: r, service: r })) };
        summary = restartSummary(m.restarts, range);
        this.renderRestartList();
        break;
      }
      default:
        return;
    }
    chart.update({ chart: data, range: xRange, summary, services, ...(rows ? { rows } : {}) });
  }

  private renderRestartList(): void {
    const list = byId(this.root, 'restart-list');
    const latest = this.model.restarts.slice(-5).reverse();
    list.replaceChildren(
      ...latest.map((r) =>
        h('li', {}, h('span', { class: 'muted' }, formatClock(r.at)), ` ${r.service}`, r.cause ? h('span', { class: 'muted' }, ` · ${r.cause}`) : ''),
      ),
    );
    list.hidden = latest.length === 0;
  }
}
