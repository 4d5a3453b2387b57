/**
 * The Metrics view: a header (stack, services up, IPC), the controls (profile, start, stop,
 * backup now, chart range) and collapsible sections (services table, CPU, memory, probe latency,
 * IPC, restart timeline, backups). Built once with @vscode-elements/elements, then updated in
 * place from the model as the host's messages arrive; charts are drawn only in open sections.
 * Everything the user can do is a button, select or section header reachable by keyboard;
 * each chart carries its numbers in words.
 */
import {
  HISTORY_RANGE_NAMES,
  HISTORY_RANGES,
  PROTOCOL_VERSION,
  parseHostMessage,
  type HistoryRange,
  type ServiceRow,
  type ServiceSample,
  type SidebarCommandType,
  type WebviewMessage,
} from '../../src/shared/protocol';
import { Chart, type ChartSpec } from './charts';
import { formatClock, formatDuration, formatMb, formatNumber, formatPercent, rangeWords } from './format';
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

// ------------------------------------------------------------------ what each state looks like

const STATE_ICONS: Record<string, { icon: string; tone: string; spin?: boolean }> = {
  ready: { icon: 'pass-filled', tone: 'ok' },
  starting: { icon: 'loading', tone: 'busy', spin: true },
  stopping: { icon: 'loading', tone: 'busy', spin: true },
  degraded: { icon: 'warning', tone: 'warn' },
  backoff: { icon: 'history', tone: 'warn' },
  failed: { icon: 'error', tone: 'error' },
  stopped: { icon: 'circle-large-outline', tone: 'idle' },
};

const COMMAND_TEXT: Record<SidebarCommandType, { running: string; ok: string; failed: string }> = {
  switchProfile: { running: 'Switching profile…', ok: 'Profile switched.', failed: 'Switching profile failed' },
  backupNow: { running: 'Backing up…', ok: 'Backup done.', failed: 'Backup failed' },
  startStack: { running: 'Starting the stack…', ok: 'Stack started.', failed: 'Starting the stack failed' },
  stopStack: { running: 'Stopping the stack…', ok: 'Stack stopped.', failed: 'Stopping the stack failed' },
  restartService: { running: 'Restarting…', ok: 'Restart requested.', failed: 'Restart failed' },
  openLogs: { running: 'Opening logs…', ok: '', failed: 'Opening logs failed' },
};

const SECTION_TITLES: Record<Section, { heading: string; description?: string }> = {
  services: { heading: 'Services' },
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

interface RowRefs {
  row: HTMLElement;
  icon: HTMLElement & { name: string; spin: boolean };
  /** "ready · up 3m · 1 restart" */
  detail: HTMLElement;
  cpu: HTMLElement;
  rss: HTMLElement;
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
    this.persist();
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

    const header = h(
      'header',
      { class: 'summary' },
      h(
        'div',
        { class: 'title-row' },
        h('h2', { id: 'stack', class: 'stack' }, 'Opsdeck'),
        h('vscode-badge', { id: 'up-badge', title: 'Services up' }, '–'),
        h('vscode-badge', { id: 'ipc-badge', class: 'ipc', title: 'IPC score (0–100, higher is worse)' }, 'IPC –'),
      ),
      h('p', { id: 'health', class: 'muted' }, ''),
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
      h('div', { class: 'field' }, h('vscode-label', { for: 'profile' }, 'Profile'), profile),
      h('div', { class: 'buttons' }, start, stop, h('span', { id: 'backup-wrap', class: 'tooltip-wrap' }, backup)),
      h('p', { id: 'backup-hint', class: 'hint muted' }),
      h('p', { id: 'command-status', class: 'hint', role: 'status', 'aria-live': 'polite' }),
      h('div', { class: 'field' }, h('vscode-label', { for: 'range' }, 'Range'), range),
    );

    const sections = SECTIONS.map((s) => this.buildSection(s));
    this.root.append(header, controls, ...sections);
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
    if (section === 'services') body.append(this.buildServicesTable());
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

  private buildServicesTable(): HTMLElement {
    return h('div', { class: 'table-wrap' }, h('div', { id: 'services-holder' }), h('p', { id: 'services-empty', class: 'muted empty', hidden: true }, 'No services yet.'));
  }

  /**
   * A new table for a new set of services, rows in place before it is attached: vscode-table
   * sizes its columns from the first row it finds when connected.
   */
  private servicesTable(rows: HTMLElement[]): HTMLElement {
    const columns: [string, string][] = [['Service', 'Service, state, uptime, restarts'], ['CPU%', 'CPU, % of one core'], ['MB', 'Memory (RSS), MB'], ['Actions', 'Restart, show logs']];
    const header = h('vscode-table-header', { slot: 'header' }, ...columns.map(([c, title]) => h('vscode-table-header-cell', { title, 'aria-label': title }, c)));
    const table = h('vscode-table', { id: 'services-table', zebra: true, 'bordered-rows': true, 'aria-label': 'Services' });
    table.columns = ['44%', '16%', '14%', '26%'];
    table.append(header, h('vscode-table-body', { slot: 'body' }, ...rows));
    return table;
  }

  private buildRow(name: string): RowRefs {
    const icon = h('vscode-icon', { name: 'circle-large-outline' }) as RowRefs['icon'];
    const restart = h('vscode-toolbar-button', { icon: 'debug-restart', label: `Restart ${name}`, title: `Restart ${name}` });
    restart.addEventListener('click', () => this.command({ type: 'restartService', name }));
    const logs = h('vscode-toolbar-button', { icon: 'output', label: `Show logs of ${name}`, title: `Show logs of ${name}` });
    logs.addEventListener('click', () => this.command({ type: 'openLogs', name }));
    const refs: RowRefs = {
      row: h('vscode-table-row', { 'data-service': name }),
      icon,
      detail: h('span', { class: 'service-detail muted' }),
      cpu: h('span'),
      rss: h('span'),
    };
    refs.row.append(
      h(
        'vscode-table-cell',
        { class: 'service-cell' },
        h('span', { class: 'service-line' }, icon, h('span', { class: 'service-name' }, name)),
        refs.detail,
      ),
      h('vscode-table-cell', { class: 'number' }, refs.cpu),
      h('vscode-table-cell', { class: 'number' }, refs.rss),
      h('vscode-table-cell', { class: 'actions-cell' }, h('span', { class: 'row-actions' }, restart, logs)),
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
    if (c.has('status') || c.has('sample') || c.has('connection')) {
      this.renderHeader();
      this.renderControls();
      this.renderServices();
    }
    if (c.has('backups') || c.has('sample') || c.has('status')) this.renderBackups();
    if (c.has('backups')) this.renderControls();
    if (c.has('command')) this.renderCommand();
    if (c.has('series') || c.has('status')) this.renderCharts(c.has('restarts') ? undefined : ['cpu', 'memory', 'latency', 'ipc']);
    if (c.has('restarts') && !c.has('series')) this.renderSection('restarts');
  }

  private renderHeader(): void {
    const { status, sample, connection } = this.model;
    setText(byId(this.root, 'stack'), status?.stack ?? 'Opsdeck');
    // States come from the status (pushed on every change); a metrics sample can be up to 5 s old.
    const services = status?.services ?? sample?.services ?? [];
    const inProfile = new Set(status?.services.filter((s) => s.inProfile).map((s) => s.name) ?? services.map((s) => s.name));
    const up = services.filter((s) => inProfile.has(s.name) && (s.state === 'ready' || s.state === 'degraded')).length;
    const upBadge = byId(this.root, 'up-badge');
    setText(upBadge, `${up}/${inProfile.size}`);
    upBadge.setAttribute('aria-label', `${up} of ${inProfile.size} services up`);

    const ipc = sample?.ipc ?? status?.ipc;
    const ipcBadge = byId(this.root, 'ipc-badge');
    setText(ipcBadge, ipc ? `IPC ${Math.round(ipc.score)}${ipc.level === 'ok' ? '' : ` ${ipc.level}`}` : 'IPC –');
    ipcBadge.className = `ipc ipc-${ipc?.level ?? 'ok'}`;
    ipcBadge.title = ipc?.summary ?? 'IPC score (0–100, higher is worse)';

    setText(byId(this.root, 'health'), [status?.health.summary, status?.profile ? `profile ${status.profile}` : undefined].filter(Boolean).join(' · '));
    const banner = byId(this.root, 'banner');
    const down = connection.state === 'unavailable';
    banner.hidden = !down;
    setText(banner, down ? `The engine does not answer${connection.message ? `: ${connection.message}` : '.'}` : '');
  }

  private renderControls(): void {
    const { status, backups, command } = this.model;
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

    const running = (status?.services ?? []).some((s) => s.state !== 'stopped');
    byId<HTMLElementTagNameMap['vscode-button']>(this.root, 'start').disabled = busy;
    byId<HTMLElementTagNameMap['vscode-button']>(this.root, 'stop').disabled = busy || (status !== undefined && !running);

    const backup = byId<HTMLElementTagNameMap['vscode-button']>(this.root, 'backup');
    const available = backups?.available === true;
    backup.disabled = busy || !available;
    const why = backups === undefined ? 'Waiting for the engine…' : backups.available ? 'Take a backup of the whole stack now.' : `Backups unavailable: ${backups.reason}`;
    byId(this.root, 'backup-wrap').title = why;
    backup.title = why;
    setText(byId(this.root, 'backup-hint'), available ? '' : why);
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
    const { status, sample } = this.model;
    const names = this.model.services;
    byId(this.root, 'services-empty').hidden = names.length > 0;
    const order = names.join('\n');
    if (order !== this.rowOrder) {
      this.rowOrder = order;
      for (const n of [...this.rows.keys()]) if (!names.includes(n)) this.rows.delete(n);
      const rows = names.map((n) => (this.rows.get(n) ?? this.rows.set(n, this.buildRow(n)).get(n)!).row);
      byId(this.root, 'services-holder').replaceChildren(...(rows.length ? [this.servicesTable(rows)] : []));
    }
    const rowOf = new Map<string, ServiceRow>(status?.services.map((s) => [s.name, s]) ?? []);
    const sampleOf = new Map<string, ServiceSample>(sample?.services.map((s) => [s.name, s]) ?? []);
    // The newer of the two tells the state, restarts and uptime.
    const sampleNewer = (sample?.at ?? 0) >= (status?.at ?? 0);
    for (const name of names) {
      const refs = this.rows.get(name)!;
      const row = rowOf.get(name);
      const smp = sampleOf.get(name);
      const state = (sampleNewer ? smp?.state : row?.state) ?? row?.state ?? smp?.state ?? 'stopped';
      const look = STATE_ICONS[state] ?? STATE_ICONS.stopped!;
      if (refs.icon.name !== look.icon) refs.icon.name = look.icon;
      refs.icon.spin = !!look.spin;
      refs.icon.className = `tone-${look.tone}`;
      const restarts = (sampleNewer ? smp?.restarts : row?.restarts) ?? row?.restarts ?? smp?.restarts ?? 0;
      const uptimeSec = sampleNewer && smp ? smp.uptimeSec : row?.uptimeSec;
      const uptime = uptimeSec === undefined ? undefined : formatDuration(uptimeSec * 1000);
      const parts = [state, uptime ? `up ${uptime}` : undefined, restarts ? `${restarts} restart${restarts === 1 ? '' : 's'}` : undefined];
      setText(refs.detail, parts.filter(Boolean).join(' · '));
      refs.row.title = row
        ? `${name} (${row.tier}): ${state}${row.reason && row.reason !== state ? ` (${row.reason})` : ''}; health ${row.health}${row.inProfile ? '' : '; not in the active profile'}`
        : name;
      refs.row.classList.toggle('not-in-profile', row !== undefined && !row.inProfile);
      setText(refs.cpu, formatNumber(smp?.cpuPercent));
      setText(refs.rss, formatNumber(smp?.rssMb));
      refs.cpu.title = `CPU ${formatPercent(smp?.cpuPercent)}`;
      refs.rss.title = `RSS ${formatMb(smp?.rssMb)}`;
    }
  }

  private renderBackups(): void {
    const el = byId(this.root, 'backups-body');
    const info = this.model.backups;
    if (!info) return el.replaceChildren(h('p', { class: 'muted' }, 'Waiting for the engine…'));
    if (!info.available) return el.replaceChildren(h('p', { class: 'muted' }, `Unavailable: ${info.reason}`));
    const rows = backupRows(info, Date.now());
    if (!rows.length) return el.replaceChildren(h('p', { class: 'muted' }, 'No service has backups configured.'));
    const table = h('vscode-table', { zebra: true, 'bordered-rows': true, 'aria-label': 'Last backup per service against its RPO' });
    table.columns = ['28%', '22%', '18%', '32%'];
    table.append(
      h('vscode-table-header', { slot: 'header' }, ...['Service', 'Age', 'RPO', 'Status'].map((c) => h('vscode-table-header-cell', {}, c))),
      h(
        'vscode-table-body',
        { slot: 'body' },
        ...rows.map((r) => {
          const meter = h('span', {
            class: `rpo-meter rpo-${r.status}`,
            role: 'meter',
            'aria-label': `${r.service} backup age against RPO`,
            'aria-valuemin': 0,
            'aria-valuemax': 100,
            'aria-valuenow': r.fraction === undefined ? undefined : Math.round(Math.min(1, r.fraction) * 100),
          });
          const fill = h('span', { class: 'rpo-fill' });
          // CSSOM, not a style attribute: allowed by the CSP.
          fill.style.width = `${Math.round(Math.min(1, r.fraction ?? (r.status === 'never' ? 1 : 0)) * 100)}%`;
          meter.append(fill);
          const label = { ok: 'ok', breached: 'breached', never: 'none', 'no-rpo': 'no RPO' }[r.status];
          return h(
            'vscode-table-row',
            { title: r.description },
            h('vscode-table-cell', {}, r.service),
            h('vscode-table-cell', {}, r.age === '–' ? 'never' : r.age),
            h('vscode-table-cell', {}, r.rpo),
            h('vscode-table-cell', { class: 'rpo-cell' }, h('span', { class: `rpo-status rpo-${r.status}` }, label), meter),
          );
        }),
      ),
    );
    el.replaceChildren(table);
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
        summary = ipcSummary(m.ipc, m.thresholds, range, m.sample?.ipc.level ?? m.status?.ipc.level);
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
    const empty = byId(this.root, `empty-${section}`);
    const loading = !m.historyLoaded;
    empty.hidden = !loading;
    setText(empty, loading ? 'Loading history…' : '');
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
