/**
 * The extension's user guide (docs/guides/extension.md) covers every command and every view the
 * extension contributes (package.json `contributes`): a new command without its line in the
 * guide fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string; title: string }[]; views: Record<string, { id: string; name: string }[]> };
};
const guide = readFileSync(join(ROOT, 'docs/guides/extension.md'), 'utf8');

describe('docs/guides/extension.md: every contributed command and view', () => {
  it('names every command of package.json by its id (in backticks) and its title', () => {
    const commands = manifest.contributes.commands;
    assert.ok(commands.length >= 20, `commands: ${commands.length}`);
    const missing = commands.filter((c) => !guide.includes(`\`${c.command}\``) || !guide.includes(c.title)).map((c) => `${c.command} (${c.title})`);
    assert.deepEqual(missing, [], 'commands the guide does not mention (add a row to its Commands tables)');
  });

  it('has a section for every view of the Opsdeck sidebar', () => {
    const views = Object.values(manifest.contributes.views).flat();
    assert.ok(views.length >= 4, `views: ${views.length}`);
    const missing = views.filter((v) => !new RegExp(`^### ${v.name}$`, 'm').test(guide)).map((v) => `${v.id} (${v.name})`);
    assert.deepEqual(missing, [], 'views without a "### Name" section in the guide');
  });
});
