/**
 * ConfigIssue: one problem in opsdeck.yaml, located at file:line:column, with the dotted key
 * path, what is wrong and a hint. This file turns YAML errors and zod issues into ConfigIssues
 * (choosing where each one points and which hint it gets) and prints them.
 */
import path from 'node:path';
import type { YAMLError } from 'yaml';
import type { z } from 'zod';
import { configSchemas } from './schema';
import type { KeyPath, Position, SourcePositions } from './positions';
import { closest, didYouMean, isDurationAt, knownKeys } from './suggest';

export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted key path, e.g. `services.api.health.readiness.interval`; empty for the whole file. */
  path: string;
  message: string;
  hint: string;
}

/** What turning a problem into a ConfigIssue needs to know about the file. */
export interface IssueContext {
  file: string;
  positions: SourcePositions;
  /** The file's content as plain data (what zod validated). */
  data: unknown;
}

const DURATION_HINT = 'write a number followed by ms, s, m, h or d, e.g. 500ms';
const ARGV_HINT = 'give the program and its arguments as a list, e.g. [node, server.js]';
const NAME_RULE = 'use 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit';

const dotted = (keyPath: KeyPath) => keyPath.map(String).join('.');

export function makeIssue(file: string, where: Position, keyPath: KeyPath, message: string, hint: string): ConfigIssue {
  return { file, line: where.line, column: where.column, path: dotted(keyPath), message, hint };
}

/** Issues in file order (stable for issues at the same place). */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** One block per issue: `file:line:col  path: message` then an indented `hint:` line. */
export function formatIssues(issues: ConfigIssue[]): string {
  return issues
    .map((i) => `${displayPath(i.file)}:${i.line}:${i.column}  ${i.path ? `${i.path}: ` : ''}${i.message}\n  hint: ${i.hint}`)
    .join('\n');
}

/** A file path as the user wants to read it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

// ---------------------------------------------------------------- YAML errors

const YAML_HINTS: Partial<Record<YAMLError['code'], string>> = {
  BAD_INDENT: 'indent with spaces so that the keys of one mapping start in the same column',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  MISSING_CHAR: 'close the quote or bracket that was opened before this point',
  BLOCK_AS_IMPLICIT_KEY: 'put a nested mapping on its own indented lines, or quote a value that contains ": "',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line; check for a missing ":" or an unclosed quote above',
  MULTIPLE_DOCS: 'opsdeck.yaml holds one document: remove the "---" separator and what follows it',
  UNEXPECTED_TOKEN: 'check the punctuation here: a stray character, a missing ":" or an unclosed bracket',
  BAD_SCALAR_START: 'quote values that start with a special character such as @, ` or %',
  BAD_DQ_ESCAPE: 'in double quotes, write a backslash as \\\\ or use single quotes',
};

export function fromYamlError(error: YAMLError, ctx: IssueContext): ConfigIssue {
  const offset = error.pos[0];
  const keyPath = ctx.positions.pathAt(offset);
  const where = ctx.positions.at(offset);
  if (error.code === 'DUPLICATE_KEY') {
    return makeIssue(ctx.file, where, keyPath, `duplicate key "${keyPath.at(-1) ?? ''}"`, 'a key may appear only once in a mapping: merge the two entries or remove one');
  }
  const detail = error.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document' : error.message.charAt(0).toLowerCase() + error.message.slice(1);
  const message = `YAML syntax error: ${detail}`;
  return makeIssue(ctx.file, where, keyPath, message, YAML_HINTS[error.code] ?? 'fix the YAML syntax here (indentation, quotes, brackets)');
}

// ---------------------------------------------------------------- zod issues

/** Messages in the style of the schema's own, for the checks that do not set one. */
export const plainMessages: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return TYPE_MESSAGES[iss.expected] ?? `must be a ${iss.expected}`;
    case 'too_small':
      if (iss.origin === 'number') return iss.inclusive ? `must be at least ${iss.minimum}` : `must be greater than ${iss.minimum}`;
      if (iss.origin === 'string') return Number(iss.minimum) === 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
      return `must have at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}`;
    case 'too_big':
      if (iss.origin === 'number') return iss.inclusive ? `must be at most ${iss.maximum}` : `must be less than ${iss.maximum}`;
      if (iss.origin === 'string') return `must be at most ${iss.maximum} characters`;
      return `must have at most ${iss.maximum} items`;
    case 'invalid_value':
      return iss.values.length === 1 ? `must be ${String(iss.values[0])}` : `must be one of ${iss.values.map(String).join(', ')}`;
    case 'invalid_format':
      return iss.format === 'url' ? 'must be a URL' : 'is not in the expected format';
    case 'invalid_union':
      return 'is not one of the accepted forms';
    default:
      return undefined;
  }
};

const TYPE_MESSAGES: Record<string, string> = {
  number: 'must be a number',
  int: 'must be a whole number',
  string: 'must be a string',
  boolean: 'must be true or false',
  object: 'must be a mapping (key: value)',
  record: 'must be a mapping (key: value)',
  array: 'must be a list',
};

export function fromZodIssues(issues: z.core.$ZodIssue[], ctx: IssueContext, prefix: KeyPath = []): ConfigIssue[] {
  return issues.flatMap((iss) => fromZodIssue(iss, ctx, prefix));
}

function fromZodIssue(iss: z.core.$ZodIssue, ctx: IssueContext, prefix: KeyPath): ConfigIssue[] {
  const at = [...prefix, ...iss.path];
  switch (iss.code) {
    case 'unrecognized_keys':
      return iss.keys.map((key) => {
        const known = knownKeys(configSchemas().stackSchema, at);
        const hint = didYouMean(key, known) ?? `the keys allowed here are ${known.join(', ')}`;
        return makeIssue(ctx.file, ctx.positions.keyOf([...at, key]), [...at, key], `unknown key "${key}"`, hint);
      });
    case 'invalid_union': {
      const branch = matchingBranch(iss.errors);
      if (branch) return fromZodIssues(branch, ctx, at);
      break;
    }
    case 'invalid_key': {
      const inner = iss.issues[0];
      const hint = at.at(-2) === 'env' ? 'use letters, digits and "_", not starting with a digit, e.g. API_PORT' : nameHint(String(at.at(-1)));
      return [makeIssue(ctx.file, ctx.positions.keyOf(at), at, inner?.message ?? iss.message, hint)];
    }
  }
  if (isMissing(ctx.data, at)) {
    return [makeIssue(ctx.file, ctx.positions.keyOf(at), at, 'is required', missingHint(at))];
  }
  const value = valueAt(ctx.data, at);
  const message = value === null && (iss.code === 'invalid_type' || iss.code === 'invalid_union') ? 'has no value' : iss.message;
  return [makeIssue(ctx.file, ctx.positions.valueOf(at), at, message, hintFor(iss, at, value))];
}

/** The one union branch whose issues are about the content rather than the kind of value, if any. */
function matchingBranch(branches: z.core.$ZodIssue[][]): z.core.$ZodIssue[] | undefined {
  const matching = branches.filter((b) => !b.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
  return matching.length === 1 ? matching[0] : undefined;
}

// ---------------------------------------------------------------- hints

/** Hints for the schema's own checks, by the start of their message. */
const CHECK_HINTS: [prefix: string, hint: string][] = [
  ['a probe needs one of', 'add one kind of probe: http: { url: ... }, tcp: { port: ... }, exec: [program, args] or log: "pattern"'],
  ['a probe has exactly one kind', 'keep one kind in this probe and remove the others'],
  ['is a string but shell is false', `${ARGV_HINT}, or add \`shell: true\` to run the string through a shell`],
  ['a log probe can only be a readiness probe', 'move the log probe to health.readiness; a liveness probe can be http, tcp or exec'],
  ['is not a valid regular expression', 'fix the pattern, or escape special characters such as ( [ . * + ? with a backslash'],
  ['warn must not be above critical', 'set warn to a value at or below critical, e.g. { warn: 70, critical: 90 }'],
  ['is a secret', 'remove it; give the variable of the engine\'s environment that holds it (e.g. url_env: OPSDECK_SLACK_URL) or a file of mode 0600 (e.g. url_file: .opsdeck/secrets/slack.url); docs/alerts.md'],
  ['unknown channel', 'declare it under alerts.channels, or use a built-in channel (vscode, desktop)'],
  ['give exactly one of above or below', 'e.g. above: 800 (fires when the metric is over 800) or below: 5'],
  ['must declare at least one service', 'add a service, e.g. api: { command: [node, server.js] }'],
];

/** Hints for a key whatever went wrong with its value. */
const KEY_HINTS: Record<string, string> = {
  command: ARGV_HINT,
  exec: 'give the program and its arguments as a list, e.g. [node, check.js]',
  log: 'give a regular expression that a log line matches when the service is ready, e.g. "listening on"',
  depends_on: 'list the services, e.g. [storage], or map each one to started, healthy or completed, e.g. { storage: healthy }',
  url: 'write a full http:// or https:// URL, e.g. http://127.0.0.1:8080/health',
  port: 'use a port number between 1 and 65535',
  status: 'write an HTTP status code such as 200, or a list such as [200, 204]',
  jitter: 'a fraction of the delay between 0 and 1, e.g. 0.1 for ±10%',
  factor: 'the delay is multiplied by this after each restart: 1 or more, e.g. 2',
  env: 'write each variable as NAME: value, quoting values with special characters, e.g. PORT: "7101"',
};

/** Example values shown when a required key is missing. */
const MISSING_EXAMPLES: Record<string, string> = {
  version: 'version: 1',
  name: 'name: my-stack',
  services: 'services: { api: { command: [node, server.js] } }',
  command: 'command: [node, server.js]',
  url: 'url: http://127.0.0.1:8080/health',
  port: 'port: 5432',
  exec: 'exec: [node, check.js]',
  pattern: 'pattern: "ready"',
};

function missingHint(at: KeyPath): string {
  const key = String(at.at(-1));
  const parent = at.slice(0, -1);
  const where = parent.length ? `under ${dotted(parent)}` : 'at the top level';
  const example = MISSING_EXAMPLES[key];
  return `add \`${key}:\` ${where}${example ? `, e.g. ${example}` : ''}`;
}

function hintFor(iss: z.core.$ZodIssue, at: KeyPath, value: unknown): string {
  if (iss.code === 'custom') {
    const found = CHECK_HINTS.find(([prefix]) => iss.message.startsWith(prefix));
    if (found) return found[1];
  }
  if (isDurationAt(configSchemas().stackSchema, at)) {
    if (iss.code === 'too_small') return 'use a duration greater than 0, e.g. 1s';
    const range = / is out of range \((.+)\u2013(.+)\)$/.exec(iss.message);
    if (range) return `use a duration between ${range[1]} and ${range[2]}`;
    return typeof value === 'number' ? `add a unit: ${DURATION_HINT}` : DURATION_HINT;
  }
  if (iss.code === 'invalid_value') return enumHint(String(at.at(-1)), iss.values, value);
  if (iss.code === 'invalid_format' && iss.format === 'regex') return nameHint(typeof value === 'string' ? value : '');
  if (iss.code === 'invalid_type' && iss.expected === 'number' && isNumeric(value)) return `remove the quotes: write ${String(value).trim()}`;
  const keyHint = KEY_HINTS[at.at(-2) === 'env' ? 'env' : String(nearestKey(at))];
  if (keyHint) return keyHint;
  switch (iss.code) {
    case 'invalid_type':
      return typeHint(iss.expected, at);
    case 'too_small':
      if (iss.origin === 'number') return iss.inclusive ? `use ${iss.minimum} or more` : `use a number greater than ${iss.minimum}`;
      return iss.origin === 'string' ? 'give a non-empty value' : `give at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}`;
    case 'too_big':
      return iss.origin === 'number' ? (iss.inclusive ? `use ${iss.maximum} or less` : `use a number less than ${iss.maximum}`) : `shorten it to at most ${iss.maximum}`;
    default:
      return 'see docs/config.md for the values this key accepts';
  }
}

/** The last key of a path that is not a list index. */
const nearestKey = (at: KeyPath) => [...at].reverse().find((s) => typeof s === 'string');
const isNumeric = (value: unknown) => typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value));

function typeHint(expected: string, at: KeyPath): string {
  switch (expected) {
    case 'number':
      return 'write a number, e.g. 3';
    case 'int':
      return 'write a whole number, e.g. 3';
    case 'boolean':
      return 'write true or false, without quotes';
    case 'string':
      return 'write a text value, in quotes if it contains special characters';
    case 'array':
      return 'write a list, e.g. [a, b]';
    case 'object':
    case 'record': {
      const keys = knownKeys(configSchemas().stackSchema, at);
      return keys.length ? `write a mapping with keys such as ${keys.join(', ')}` : 'write a mapping of names to values';
    }
    default:
      return `write a ${expected}`;
  }
}

function enumHint(key: string, values: readonly unknown[], value: unknown): string {
  const allowed = values.map(String);
  if (allowed.length === 1) return `write \`${key}: ${allowed[0]}\``;
  const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
  return guess ? `did you mean \`${guess}\`? (allowed: ${allowed.join(', ')})` : `use one of ${allowed.join(', ')}`;
}

function nameHint(current: string): string {
  const fixed = current.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+|-+$/g, '').slice(0, 63);
  return fixed ? `${NAME_RULE}, e.g. ${fixed}` : NAME_RULE;
}

// ---------------------------------------------------------------- the data behind an issue

function valueAt(data: unknown, at: KeyPath): unknown {
  let current = data;
  for (const segment of at) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** True when `at` names a key absent from a mapping that exists. */
function isMissing(data: unknown, at: KeyPath): boolean {
  if (at.length === 0) return false;
  const parent = valueAt(data, at.slice(0, -1));
  return parent !== null && typeof parent === 'object' && !Array.isArray(parent) && !Object.hasOwn(parent, at.at(-1)!);
}
