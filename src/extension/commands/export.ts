/**
 * "Opsdeck: Export Stack…" (opsdeck.exportStack): pick the target (Docker Compose or
 * Kubernetes), the images and the folder, then `opsdeck export` writes the files and the main one
 * opens. Called with `{ target, out, imageMap | baseImage, profile?, check? }` it asks nothing
 * (tests, other commands).
 */
import * as vscode from 'vscode';
import type { ExportResult, ExportTarget } from '../../core/contract';
import type { CommandContext, CommandHandlers } from './context';
import { pickValue } from './pick-value';
import { withProgress } from './progress';

interface ExportArgs {
  target?: ExportTarget;
  out?: string;
  imageMap?: string;
  baseImage?: string;
  profile?: string;
  check?: boolean;
}

const required = <T>(v: T | undefined): T => {
  if (v === undefined) throw new vscode.CancellationError();
  return v;
};

/** The image flags: an image map file, or one base image for every service. */
async function imageFlags(a: ExportArgs): Promise<string[]> {
  if (a.imageMap) return ['--image-map', a.imageMap];
  if (a.baseImage) return ['--base-image', a.baseImage];
  const how = await pickValue(
    [
      { value: 'base' as const, label: 'One base image', detail: 'every service runs its own command in it, the stack folder at /stack (e.g. node:20-bookworm-slim)' },
      { value: 'map' as const, label: 'Image map file…', detail: 'YAML or JSON: service → image, default, opsdeck (docs/export.md#images)' },
    ],
    'Which images do the services run in?',
  );
  if (how === 'base') return ['--base-image', required(await vscode.window.showInputBox({ prompt: 'Base image for every service', value: 'node:20-bookworm-slim', ignoreFocusOut: true }))];
  const file = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this image map', filters: { 'YAML or JSON': ['yaml', 'yml', 'json'] } });
  return ['--image-map', required(file?.[0]).fsPath];
}

export function exportCommands(ctx: CommandContext): CommandHandlers {
  return {
    'opsdeck.exportStack': async (arg) => {
      const a = (arg && typeof arg === 'object' ? arg : {}) as ExportArgs;
      const target =
        a.target ??
        (await pickValue<ExportTarget>(
          [
            { value: 'compose', label: 'Docker Compose', detail: 'compose.yaml: services, healthchecks, depends_on conditions, volumes, profiles' },
            { value: 'kubernetes', label: 'Kubernetes', detail: 'Deployments / StatefulSets, Services, probes, claims, backup CronJobs' },
          ],
          'Export the stack to…',
        ));
      const images = await imageFlags(a);
      const out = a.out ?? required((await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Export here' }))?.[0]).fsPath;
      const flags = ['export', target, '--out', out, ...images, ...(a.profile ? ['--profile', a.profile] : []), ...(a.check ? ['--check'] : [])];
      const result = await withProgress(`exporting to ${target}…`, () => ctx.bootUnits.runCli<ExportResult>(flags));
      if (result.check && !result.check.ok) throw new Error(`the export does not validate (${result.check.tool}): ${result.check.problems.slice(0, 3).join('; ')}`);
      const main = target === 'compose' ? 'compose.yaml' : 'kustomization.yaml';
      await vscode.window.showTextDocument(vscode.Uri.joinPath(vscode.Uri.file(out), main), { preview: false });
      const notMapped = result.lines.filter((l) => l.status === 'not-mapped').length;
      void vscode.window.showInformationMessage(`Opsdeck: exported ${result.stack} to ${target} (${result.written.length} files in ${out}); ${notMapped} keys do not map: \`opsdeck export ${target} --dry-run\` lists them (docs/export.md).`);
      return result;
    },
  };
}
