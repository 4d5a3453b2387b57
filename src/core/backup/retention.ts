/**
 * Retention rules: which snapshots `forget` keeps, from a request's --keep-* options or from
 * opsdeck.yaml's `backup.retention`, as the repository's policy (restic's rules and forms).
 */
import type { RetentionConfig } from '../config/schema';
import { resticWithin } from '../duration';
import { OpsError } from '../errors';
import type { RetentionPolicy } from './repo';
import type { ForgetRequest } from '../contract/backups';

/** The rules that keep a number of snapshots (the last N, one per hour, day, …), in the order a policy lists them. */
const COUNT_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
type CountRule = (typeof COUNT_RULES)[number];

/** The count rules `count` gives a number for. */
function countRules(count: (rule: CountRule) => number | undefined): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const rule of COUNT_RULES) {
    const n = count(rule);
    if (n !== undefined) policy[rule] = n;
  }
  return policy;
}

/** A request's option of a count rule: `keepLast`, `keepHourly`, … */
const requestKey = (rule: CountRule) => `keep${rule[0]!.toUpperCase()}${rule.slice(1)}` as `keep${Capitalize<CountRule>}`;

/** The retention rules of a request, else of opsdeck.yaml (`cfg`); BAD_REQUEST when there are none. */
export function retentionPolicy(req: ForgetRequest, cfg: RetentionConfig | undefined): RetentionPolicy {
  const fromReq: RetentionPolicy = {
    ...countRules((rule) => req[requestKey(rule)]),
    ...(req.keepWithin !== undefined ? { within: req.keepWithin } : {}),
    ...(req.keepTags?.length ? { tags: req.keepTags } : {}),
  };
  if (Object.keys(fromReq).length) return fromReq;
  if (cfg) {
    const p = retentionFromConfig(cfg);
    if (Object.keys(p).length) return p;
  }
  throw new OpsError('BAD_REQUEST', 'no retention rule given, and opsdeck.yaml sets none', 'give at least one --keep-* option (e.g. --keep-daily 7), or set backup.retention in opsdeck.yaml');
}

/** opsdeck.yaml's retention (keep_within in ms) as the repository's policy (restic's `XdYh` form). */
export function retentionFromConfig(cfg: RetentionConfig): RetentionPolicy {
  const within = cfg.keep_within === undefined ? undefined : resticWithin(cfg.keep_within);
  return {
    ...countRules((rule) => cfg[`keep_${rule}`]),
    ...(within ? { within } : {}),
  };
}


