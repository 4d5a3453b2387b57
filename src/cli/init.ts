/** `opsdeck init [dir]`: write a commented opsdeck.yaml to start from. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OpsError } from '../core/contract';
import { CONFIG_FILE, parseConfig } from '../core/host';
import { displayDir, printJson } from './stack-context';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(`write a commented ${CONFIG_FILE} to start a stack from`)
    .argument('[dir]', 'the stack folder (default: the current folder)')
    .option('--name <name>', 'stack name (default: the folder name)')
    .option('--force', `overwrite an existing ${CONFIG_FILE}`)
    .option('--dry-run', 'print the file instead of writing it')
    .option('--json', 'print {file, written} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck init                     # ./opsdeck.yaml for a stack named after the folder
  $ opsdeck init stacks/shop --name shop
  $ opsdeck init --dry-run           # show what would be written`,
    )
    .action((dir: string | undefined, opts: { name?: string; force?: boolean; dryRun?: boolean; json?: boolean }) => {
      const folder = path.resolve(dir ?? process.cwd());
      const file = path.join(folder, CONFIG_FILE);
      const name = opts.name ?? (path.basename(folder).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '') || 'stack');
      const text = template(name);
      parseConfig(text, file); // the template must always be valid
      if (opts.dryRun) {
        if (opts.json) printJson({ file, written: false, content: text });
        else process.stdout.write(text);
        return;
      }
      if (existsSync(file) && !opts.force) {
        throw new OpsError('BAD_REQUEST', `${displayDir(file)} already exists`, 'use --force to overwrite it, or edit it');
      }
      mkdirSync(folder, { recursive: true });
      writeFileSync(file, text);
      if (opts.json) printJson({ file, written: true });
      else process.stdout.write(`wrote ${displayDir(file)}\nnext: edit it, then \`opsdeck validate\` and \`opsdeck up\`\n`);
    });
}

function template(name: string): string {
  return `# Opsdeck stack: services, how they depend on each other, how to check them.
# Reference: docs/config.md. Editors validate this file with docs/opsdeck.schema.json.
version: 1
name: ${name}

# Profiles choose which services run, with which environment. \`opsdeck profile use NAME\`.
profiles:
  dev:
    services: [db, web]
    ipc: { warn: 70, critical: 90 }   # IPC pressure thresholds for notifications
  minimal:
    services: [db]
active_profile: dev

services:
  db:
    tier: storage                     # storage, then messaging, then server, then worker
    command: [node, services/db.js]   # argv list; no shell unless shell: true
    env: { PORT: "7001" }
    health:
      readiness: { tcp: { port: 7001 }, interval: 1s }
      liveness:  { tcp: { port: 7001 }, interval: 5s, failure_threshold: 3 }
    restart:
      policy: on-failure              # never | on-failure | always
      backoff: { factor: 2, max: 30s, jitter: 0.1, reset_after: 60s }   # first restart at once, then 500ms, 1s, 2s…; initial: 1s delays every restart
      max_retries: 5                  # within window, then the service is failed
      window: 10m
    limits: { memory_mb: 512 }

  web:
    tier: server
    command: [node, services/web.js]
    env: { PORT: "7002", DB_PORT: "7001" }
    depends_on: [db]                  # waits until db is healthy; degraded while db is down
    health:
      readiness: { http: { url: "http://127.0.0.1:7002/health" } }
      check: { exec: [node, checks/web.js] }   # full-functionality check: exits 0 when all works
    stop_grace: 10s
`;
}
