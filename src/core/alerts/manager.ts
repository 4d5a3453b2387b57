/**
 * The engine's alerts (docs/alerts.md): evaluates the rules over the facts the events and the
 * engine's samples give (on each event that matters and every `evaluate_every`, on the engine's
 * clock), holds `for:`, applies inhibition and silences, opens one incident per stack and
 * service, escalates it level by level until acknowledged, repeats, sends the resolved message
 * once, and persists all of it (alert-store.ts) so that a restarted engine resumes where the
 * previous one was. Only the engine that owns the stack runs one (EngineHost).
 */
import type { Clock, TimerHandle } from '../clock';
import type { LoadedStack } from '../config/load';
import type { AckRequest, AckResult, Alert, AlertService, AlertsView, Incident, Silence, SilenceRequest, SilenceResult } from '../contract/alerts';
import type { AlertPhase, Disposable } from '../contract/events';
import { OpsError } from '../errors';
import type { EventBus } from '../events';
import { alertsDir, AlertStore, type AlertState } from './alert-store';
import { nextSend, nextWake, sentChannels, type EscalationPolicy } from './escalation';
import { AlertFacts, FACT_EVENTS, type EngineSample } from './facts';
import { incidentsFrom, readHistory } from './history';
import { applyInhibition } from './inhibition';
import { alertPayload, type AlertPayload } from './message';
import { PendingAlerts } from './pending';
import { graver, isQuiet, severityRank } from './quiet-hours';
import { evaluateRules, resolveRules, type ResolvedRule } from './rules';
import { alertLabels, matches, newSilence, shortRandomId } from './silences';

export interface AlertManagerOptions {
  bus: EventBus;
  clock: Clock;
  stack: () => LoadedStack;
  /** A sample of the engine at each evaluation (services' states, metrics, disk). */
  sample?: () => EngineSample;
  /** The alerts folder (default `.opsdeck/alerts` of the stack). */
  dir?: string;
  /** How a payload reaches a channel (default: sendToChannel). */
  send?: (channel: string, payload: AlertPayload) => Promise<void>;
  /** After a restart, how long alerts the previous engine had firing are kept while facts fill in (default 2 min). */
  graceMs?: number;
  /** A channel that failed (default: a process warning). */
  onError?: (e: Error) => void;
}

export class AlertManager implements AlertService {
  private readonly facts = new AlertFacts();
  private readonly pending = new PendingAlerts();
  private readonly store: AlertStore;
  private state: AlertState;
  private alerts: Alert[] = [];
  private timer: TimerHandle | undefined;
  private subs: Disposable[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private rules: { config: unknown; rules: ResolvedRule[] } | undefined;
  private saved = '';
  private running = false;
  /**
   * Facts that events of this turn changed, evaluated once the turn is over: a crash's exit,
   * restart, state and spawn events make one evaluation (not four) and none of it runs between
   * the crash and the restart. `at`: the clock when the first of them came.
   */
  private due: { at: number; handle: NodeJS.Immediate } | undefined;

  constructor(private readonly opts: AlertManagerOptions) {
    this.store = new AlertStore(opts.dir ?? alertsDir(opts.stack().dir));
    this.state = this.store.load();
  }

  /** Resume from the persisted state, watch the events, evaluate now and on the clock. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.opts.clock.now();
    const prev = this.state.engine;
    if (prev && prev.stoppedAt === undefined) {
      this.facts.stack.engineRestart = { at: now, detail: `the previous engine (pid ${prev.pid}, started ${new Date(prev.startedAt).toISOString()}) did not stop cleanly` };
    }
    // engine_restarted is about the previous engine itself: this one decides it anew, above.
    this.pending.carryOver(this.state.alerts.filter((a) => a.rule !== 'engine_restarted'), now + (this.opts.graceMs ?? 120_000));
    this.state.engine = { pid: process.pid, startedAt: now };
    this.persist(true);
    this.subs = FACT_EVENTS.map((t) =>
      this.opts.bus.on(t, (e) => {
        if (this.facts.observe(e) && !this.due) this.due = { at: this.opts.clock.now(), handle: setImmediate(() => this.settle()) };
      }),
    );
    this.evaluate();
  }

  /** Stop evaluating; the state says this engine stopped cleanly. */
  stop(): void {
    if (!this.running) return;
    this.settle();
    this.running = false;
    this.timer?.cancel();
    this.subs.forEach((s) => s.dispose());
    this.subs = [];
    if (this.state.engine) this.state.engine.stoppedAt = this.opts.clock.now();
    this.persist(true);
  }

  /** Every send started so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    this.settle();
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  // ------------------------------------------------------------------ AlertService

  list(): AlertsView {
    this.settle();
    const stack = this.opts.stack();
    return { at: this.opts.clock.now(), enabled: stack.config.alerts.enabled, alerts: this.alerts, incidents: this.state.incidents, silences: this.liveSilences() };
  }

  ack(id: string, req: AckRequest = {}): AckResult {
    this.settle();
    const inc = this.state.incidents.find((i) => i.id === id) ?? this.state.incidents.find((i) => this.alerts.some((a) => a.id === id && a.incident === i.id));
    if (!inc) {
      const ids = this.state.incidents.map((i) => i.id);
      throw new OpsError('ALERT_NOT_FOUND', `no open incident or firing alert "${id}"`, ids.length ? `the open incidents are ${ids.join(', ')}` : 'nothing is firing: `opsdeck alerts list`');
    }
    if (inc.ack) return { dryRun: !!req.dryRun, incident: inc };
    const ack = { at: this.opts.clock.now(), ...(req.by ? { by: req.by } : {}), ...(req.comment ? { comment: req.comment } : {}) };
    if (req.dryRun) return { dryRun: true, incident: { ...inc, ack } };
    inc.ack = ack;
    this.persist();
    this.store.append({ kind: 'acked', at: ack.at, incident: inc.id, ...(req.by ? { by: req.by } : {}), ...(req.comment ? { comment: req.comment } : {}) });
    this.emit(inc, 'acked', []);
    return { dryRun: false, incident: inc };
  }

  silence(req: SilenceRequest): SilenceResult {
    this.settle();
    const now = this.opts.clock.now();
    const silence = newSilence(req, now);
    const stack = this.opts.stack().config.name;
    const hit = this.alerts.filter((a) => matches(silence, alertLabels(a, stack))).map((a) => a.id);
    if (req.dryRun) return { dryRun: true, silence, matches: hit };
    this.state.silences.push(silence);
    this.store.append({ kind: 'silenced', at: now, silence });
    this.persist();
    this.evaluate();
    return { dryRun: false, silence, matches: hit };
  }

  unsilence(id: string, opts: { dryRun?: boolean } = {}): { dryRun: boolean; silence: Silence } {
    this.settle();
    const silence = this.liveSilences().find((s) => s.id === id);
    if (!silence) {
      const ids = this.liveSilences().map((s) => s.id);
      throw new OpsError('ALERT_NOT_FOUND', `no silence "${id}" in force`, ids.length ? `the silences are ${ids.join(', ')}` : 'there are no silences: `opsdeck alerts list`');
    }
    if (opts.dryRun) return { dryRun: true, silence };
    this.state.silences = this.state.silences.filter((s) => s.id !== id);
    this.store.append({ kind: 'unsilenced', at: this.opts.clock.now(), silence: id });
    this.persist();
    this.evaluate();
    return { dryRun: false, silence };
  }

  history(query: { since?: number } = {}) {
    this.settle();
    return { incidents: incidentsFrom(readHistory(this.store.dir), query) };
  }

  // ------------------------------------------------------------------ evaluation

  /** The evaluation that events of this turn asked for, if one is due: at the time the first came. */
  private settle(): void {
    const due = this.due;
    if (!due) return;
    this.due = undefined;
    clearImmediate(due.handle);
    this.evaluate(false, due.at);
  }

  /**
   * Evaluate every rule (with a fresh sample of the engine unless `sample` is false), then open,
   * escalate and resolve incidents; `now`: the clock's time, or when the events being evaluated came.
   */
  evaluate(sample = true, now = this.opts.clock.now()): void {
    if (!this.running) return;
    this.settle();
    const stack = this.opts.stack();
    const cfg = stack.config.alerts;
    if (!cfg.enabled) {
      this.alerts = [];
      return this.schedule(now, cfg.evaluate_every, undefined);
    }
    if (sample && this.opts.sample) this.facts.sample(this.opts.sample());
    const rules = this.rulesOf(stack);
    const findings = evaluateRules(rules, this.facts, stack, now);
    let alerts = applyInhibition(this.pending.update(findings, now), rules, stack.config.services);
    const silences = this.liveSilences();
    alerts = alerts.map((a) => {
      const s = silences.find((x) => matches(x, alertLabels(a, stack.config.name)));
      return s ? { ...a, silencedBy: s.id } : a;
    });
    this.alerts = this.updateIncidents(alerts, stack, now);
    this.state.alerts = this.alerts.filter((a) => a.state === 'firing');
    this.persist();
    const wakes = [this.pending.nextDue(findings), ...this.state.incidents.map((i) => nextWake(i, this.policy(stack))), ...silences.map((s) => s.endsAt)];
    this.schedule(now, cfg.evaluate_every, wakes.filter((t): t is number => t !== undefined && t > now));
  }

  private updateIncidents(alerts: Alert[], stack: LoadedStack, now: number): Alert[] {
    const active = new Map<string, Alert[]>();
    for (const a of alerts) if (a.state === 'firing' && !a.inhibitedBy) active.set(a.service, [...(active.get(a.service) ?? []), a]);
    const incidentOf = new Map<string, Incident>();
    for (const [service, list] of active) {
      const gravest = list.reduce((g, a) => (severityRank(a.severity) > severityRank(g.severity) ? a : g));
      let inc = this.state.incidents.find((i) => i.service === service);
      if (!inc) {
        inc = {
          id: `${service}-${shortRandomId(6)}`,
          group: `${stack.config.name}/${service}`,
          service,
          openedAt: now,
          severity: gravest.severity,
          alerts: list.map((a) => a.id),
          summary: gravest.summary,
          level: 0,
          sent: [],
        };
        this.state.incidents.push(inc);
        this.store.append({ kind: 'opened', at: now, incident: inc.id, group: inc.group, service, severity: inc.severity, alerts: inc.alerts, summary: inc.summary });
      }
      inc.alerts = [...new Set([...inc.alerts, ...list.map((a) => a.id)])];
      inc.severity = graver(inc.severity, gravest.severity);
      inc.summary = gravest.summary;
      incidentOf.set(service, inc);
    }
    const withIncident = alerts.map((a) => (a.state === 'firing' && !a.inhibitedBy && incidentOf.has(a.service) ? { ...a, incident: incidentOf.get(a.service)!.id } : a));
    const policy = this.policy(stack);
    const routing = stack.config.alerts.routing;
    for (const inc of [...this.state.incidents]) {
      const list = withIncident.filter((a) => a.incident === inc.id);
      if (!active.has(inc.service)) {
        this.resolve(inc, now, routing.resolved, stack);
        continue;
      }
      const held = list.every((a) => a.silencedBy !== undefined) || isQuiet(routing.quiet_hours, now, inc.severity);
      const d = nextSend(inc, policy, now, held);
      if (!d) continue;
      const channels = [...policy.levels[d.level - 1]!.channels];
      inc.level = d.level;
      inc.sent.push({ level: d.level, at: now, channels });
      inc.lastSentAt = now;
      // Written before sending: a restart never sends it again.
      this.persist();
      this.store.append({ kind: 'sent', at: now, incident: inc.id, level: d.level, channels, repeat: d.repeat });
      this.dispatch(inc, list, d.repeat ? 'repeated' : d.level === 1 ? 'firing' : 'escalated', channels, stack);
    }
    return withIncident;
  }

  private resolve(inc: Incident, now: number, sendResolved: boolean, stack: LoadedStack): void {
    inc.resolvedAt = now;
    this.state.incidents = this.state.incidents.filter((i) => i !== inc);
    const channels = sendResolved && inc.level > 0 && !inc.resolvedSent ? sentChannels(inc) : [];
    inc.resolvedSent = true;
    this.persist();
    this.store.append({ kind: 'resolved', at: now, incident: inc.id });
    this.dispatch(inc, [], 'resolved', channels, stack);
  }

  private dispatch(inc: Incident, alerts: readonly Alert[], phase: AlertPhase, channels: string[], stack: LoadedStack): void {
    this.emit(inc, phase, channels);
    const payload = alertPayload(stack.config.name, inc, alerts, phase);
    // The channels' code (fetch, tls, child processes) is loaded on the first send only: an idle engine never loads it.
    const send =
      this.opts.send ?? ((c: string, p: AlertPayload) => import('./channels/send').then((m) => m.sendToChannel(c, p, { stackDir: stack.dir, channels: stack.config.alerts.channels })));
    for (const channel of channels) {
      const p: Promise<void> = send(channel, payload)
        .catch((e: Error) => {
          this.store.append({ kind: 'failed', at: this.opts.clock.now(), incident: inc.id, channel, error: e.message });
          (this.opts.onError ?? ((err: Error) => process.emitWarning(`opsdeck alert channel: ${err.message}`)))(e);
        })
        .finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  private emit(inc: Incident, phase: AlertPhase, channels: string[]): void {
    const rules = inc.alerts.map((id) => id.split('/')[0]!);
    this.opts.bus.emit({ type: 'alert', at: this.opts.clock.now(), service: inc.service, phase, incident: inc.id, severity: inc.severity, level: inc.level, summary: inc.summary, rules: [...new Set(rules)], channels });
  }

  private policy(stack: LoadedStack): EscalationPolicy {
    const r = stack.config.alerts.routing;
    return { levels: r.levels.map((l) => ({ afterMs: l.after, channels: l.channels })), repeatMs: r.repeat_interval };
  }

  private rulesOf(stack: LoadedStack): ResolvedRule[] {
    if (this.rules?.config !== stack.config) this.rules = { config: stack.config, rules: resolveRules(stack) };
    return this.rules.rules;
  }

  private liveSilences(): Silence[] {
    const now = this.opts.clock.now();
    return this.state.silences.filter((s) => s.endsAt > now);
  }

  private schedule(now: number, everyMs: number, wakes: number[] | undefined): void {
    this.timer?.cancel();
    if (!this.running) return;
    const at = Math.min(now + everyMs, ...(wakes ?? []));
    this.timer = this.opts.clock.setTimeout(() => this.evaluate(), Math.max(0, at - this.opts.clock.now()));
  }

  private persist(force = false): void {
    const now = this.opts.clock.now();
    this.state.silences = this.state.silences.filter((s) => s.endsAt > now);
    const text = JSON.stringify(this.state);
    if (!force && text === this.saved) return;
    this.store.save(this.state);
    this.saved = text;
  }
}
