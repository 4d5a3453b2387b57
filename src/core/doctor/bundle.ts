/**
 * The doctor's support bundle: one .tar.gz to attach to a bug report, with secrets redacted
 * (src/core/redact.ts) — the stack's opsdeck.yaml, the doctor's report, the engine's status (when
 * one runs), the versions, the last events and the last lines of each service's log — and a
 * MANIFEST.txt saying what it holds. Written owner-only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import type { DoctorReport } from '../contract/doctor';
import { tailLog } from '../logs/read-log';
import type { LoadedStack } from '../config/load';
import { OpsError } from '../errors';
import { redactDeep, redactSecrets } from '../redact';
import { OPSDECK_VERSION } from '../version';
import { tarGz, type TarEntry } from './tar-gz';
import { join } from 'node:path';

export interface BundleInput {
  stack: LoadedStack;
  report: DoctorReport;
  /** The running engine's status, if one runs. */
  status?: unknown;
  /** The last events (from the memory), newest last. */
  events?: unknown[];
  /** Log lines per service (default 500). */
  logLines?: number;
}

export interface BundleEntry {
  name: string;
  bytes: number;
  what: string;
}

export function assertBundleName(file: string): void {
  if (!/\.(tar\.gz|tgz)$/.test(file)) {
    throw new OpsError('BAD_REQUEST', `--bundle ${file}: a support bundle is a .tar.gz`, 'name it like opsdeck-support.tar.gz');
  }
}

/** Write the bundle to `file`; returns what it holds. */
export function writeBundle(file: string, input: BundleInput): BundleEntry[] {
  assertBundleName(file);
  const { stack, report } = input;
  const files: { name: string; what: string; text: string }[] = [];
  const json = (v: unknown) => JSON.stringify(redactDeep(v), null, 2) + '\n';
  files.push({ name: 'opsdeck.yaml', what: 'the stack file, secrets redacted', text: redactSecrets(readFileSync(stack.file, 'utf8')) });
  files.push({ name: 'doctor.json', what: 'the doctor\'s report (every check, its data)', text: json(report) });
  files.push({ name: 'status.json', what: input.status ? 'the running engine\'s status' : 'no engine was running', text: json(input.status ?? { running: false }) });
  files.push({
    name: 'versions.json',
    what: 'Opsdeck, Node, the OS',
    text: json({ opsdeck: OPSDECK_VERSION, node: process.versions.node, v8: process.versions.v8, os: `${platform()} ${release()} ${arch()}` }),
  });
  files.push({ name: 'events.json', what: `the last ${input.events?.length ?? 0} events of the memory`, text: json(input.events ?? []) });
  const logDir = join(stack.dir, '.opsdeck', 'logs');
  for (const service of Object.keys(stack.config.services)) {
    const lines = tailLog(logDir, service, { lines: input.logLines ?? 500, keep: stack.config.logs.keep });
    if (!lines.length) continue;
    const text = lines.map((l) => `${new Date(l.at).toISOString()} ${l.stream.padEnd(7)}${redactSecrets(l.line)}`).join('\n') + '\n';
    files.push({ name: `logs/${service}.log`, what: `the last ${lines.length} lines of ${service}'s log`, text });
  }
  const entries: BundleEntry[] = files.map((f) => ({ name: f.name, bytes: Buffer.byteLength(f.text), what: f.what }));
  const manifest = `Opsdeck support bundle of stack ${stack.config.name}, ${new Date(report.at).toISOString()}\nSecrets were redacted (passwords, tokens, keys, URL credentials).\n\n${entries.map((e) => `${e.name}  (${e.bytes} bytes)  ${e.what}`).join('\n')}\n`;
  const tarEntries: TarEntry[] = [{ name: 'MANIFEST.txt', data: Buffer.from(manifest) }, ...files.map((f) => ({ name: f.name, data: Buffer.from(f.text) }))];
  writeFileSync(file, tarGz(tarEntries, report.at), { mode: 0o600 });
  return [{ name: 'MANIFEST.txt', bytes: Buffer.byteLength(manifest), what: 'this list' }, ...entries];
}
