/** `opsdeck export compose|kubernetes`: the stack as a Compose file or Kubernetes manifests, and what does not map. */
import type { Command } from 'commander';
import { EXPORT_TARGETS, type ExportResult } from '../core/contract';
import { exportStack } from '../core/host';
import { errorJson, exitCodeOf } from './exit';
import { dim } from './format';
import { displayDir, printJson, stackDir } from './stack-context';

interface ExportCliOptions {
  profile?: string;
  out?: string;
  imageMap?: string;
  baseImage?: string;
  check?: boolean;
  json?: boolean;
  dryRun?: boolean;
}

function printHuman(r: ExportResult): void {
  const out = r.outDir ? displayDir(r.outDir) : '';
  const lines: string[] = [`${r.target} export of ${r.stack}${r.profile ? ` (profile ${r.profile})` : ''}: ${r.services.length} service${r.services.length === 1 ? '' : 's'}`];
  if (r.check) lines.push(`check (${r.check.tool}): ${r.check.ok ? 'ok' : 'FAILED'}`, ...r.check.problems.map((p) => `  ${p}`));
  if (r.check && !r.check.ok) lines.push('nothing written: the output does not validate');
  else {
    lines.push(r.dryRun ? `would write into ${out} (dry run, nothing written):` : `wrote into ${out}:`, ...r.written.map((f) => `  ${f}`));
    lines.push(...r.kept.map((f) => `  ${f} (kept: it exists, fill it in yourself)`));
  }
  const notMapped = r.lines.filter((l) => l.status === 'not-mapped');
  lines.push('', `mapped: ${r.lines.length - notMapped.length} keys (opsdeck export ${r.target} --json lists where each goes)`, `not mapped: ${notMapped.length} keys`);
  for (const l of notMapped) lines.push(`  ${l.key}${l.services ? ` (${l.services.join(', ')})` : ''}: ${l.to}`);
  if (r.notes.length) lines.push('', 'notes:', ...r.notes.map((n) => `  - ${n}`));
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the stack as a Docker Compose file or Kubernetes manifests, with a report of what does not map')
    .argument('<target>', `what to export to: ${EXPORT_TARGETS.join(' or ')}`)
    .option('-p, --profile <name>', 'export this profile (default: the one in use, else active_profile)')
    .option('-o, --out <dir>', 'the folder to write into (default: .opsdeck/export/<target> in the stack folder)')
    .option('--image-map <file>', 'YAML or JSON: service → image, `default:` a base image that runs each service\'s command, `opsdeck:` the image of the backup CronJobs')
    .option('--base-image <image>', 'a base image for every service the image map does not name (runs the service\'s command in /stack)')
    .option('--check', 'validate the output first (docker-compose config -q; the Kubernetes OpenAPI schemas); write nothing when it fails')
    .option('--json', 'print the result as JSON: files, each key\'s mapping, notes, check')
    .option('--dry-run', 'say what would be written, write nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck export compose --base-image node:20-bookworm-slim --check
  $ opsdeck export kubernetes --image-map images.yaml --out deploy/k8s
  $ opsdeck export compose --profile minimal --image-map images.yaml --dry-run
  $ opsdeck export kubernetes --image-map images.yaml --json | jq '.lines[] | select(.status == "not-mapped")'

A service runs a local command, so each needs an image: the export names the services without
one and writes nothing. Secrets are never written: they are referenced (env_file, Secret) and
their templates list the names only. See docs/export.md.
Exit codes: 0 written (or would be), 1 error or failed check (nothing written).`,
    )
    .action(async (target: string, opts: ExportCliOptions, cmd: Command) => {
      try {
        await run(target, opts, cmd);
      } catch (err) {
        if (!opts.json) throw err;
        printJson({ ok: false, error: errorJson(err) });
        process.exitCode = exitCodeOf(err);
      }
    });
}

async function run(target: string, opts: ExportCliOptions, cmd: Command): Promise<void> {
  const result = await exportStack(stackDir(cmd), {
    target,
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...(opts.out !== undefined ? { outDir: opts.out } : {}),
    ...(opts.imageMap !== undefined ? { imageMap: opts.imageMap } : {}),
    ...(opts.baseImage !== undefined ? { baseImage: opts.baseImage } : {}),
    check: !!opts.check,
    dryRun: !!opts.dryRun,
  });
  if (opts.json) printJson(result);
  else printHuman(result);
  if (result.check && !result.check.ok) {
    if (!opts.json) process.stderr.write(dim('error: the export does not validate; nothing was written\n'));
    process.exitCode = 1;
  }
}
