/**
 * One Opsdeck repository operation, as a command: the bench bundles this file with esbuild (like
 * dist/cli.js) and runs it with plain node, so its wall time includes process start-up as
 * restic's does.
 *
 *   node opsdeck-step.cjs init <repo> [--encrypted]
 *   node opsdeck-step.cjs backup <repo> <source-dir>
 *   node opsdeck-step.cjs verify <repo>
 *   node opsdeck-step.cjs restore <repo> <target-dir>
 *
 * The key of an encrypted repository comes from OPSDECK_BACKUP_KEY. Prints one JSON line.
 */
import { initRepository, openRepository } from '../../src/core/backup/repo';

async function main(): Promise<void> {
  const [op, repoDir, arg] = process.argv.slice(2);
  const t0 = performance.now();
  let out: Record<string, unknown> = {};
  if (op === 'init') {
    await initRepository(repoDir!, { encryption: process.argv.includes('--encrypted') });
  } else {
    const repo = await openRepository(repoDir!);
    if (op === 'backup') {
      const r = await repo.backup([{ service: 'data', root: arg! }], { stack: 'bench', profile: 'default', configHash: 'bench', opsdeckVersion: 'bench' });
      out = { summary: r.summary, snapshot: r.snapshot.id };
    } else if (op === 'verify') {
      const v = await repo.verify({ readData: true });
      out = { ok: v.ok, packsRead: v.packsRead, bytesRead: v.bytesRead, problems: v.problems.length };
      if (!v.ok) process.exitCode = 1;
    } else if (op === 'restore') {
      const r = await repo.restore('latest', { target: arg! });
      out = { files: r.files, bytes: r.bytes, verified: r.verified };
    } else {
      throw new Error(`unknown step ${op}`);
    }
  }
  process.stdout.write(JSON.stringify({ op, ms: Math.round(performance.now() - t0), ...out }) + '\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? (e as { format?: () => string }).format?.() ?? e.stack : e);
  process.exit(2);
});
