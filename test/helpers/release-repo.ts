/**
 * The "notes" releases of examples/real-servers/releases as a local git repository, one tag per
 * version (v1, v2, and whatever a test adds), on free ports: what `opsdeck deploy --from` is given
 * in the release tests and the bench. No network: the repository is a folder.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { EXAMPLES } from './servers';
import { freePort } from './stack';

const STACK = join(EXAMPLES, 'real-servers');
const RELEASES = join(STACK, 'releases');
const PG_PORT = 55432;
const APP_PORT = 58081;

export interface ReleaseRepo {
  /** A 0755 temp folder holding the repository and the deployment folder. */
  root: string;
  repo: string;
  /** The deployment folder (not created: deploy creates it). */
  deployDir: string;
  pgPort: number;
  appPort: number;
  /** Lay out release `base` of the example again, let `edit` change it, commit and tag it v<version>. */
  tag(version: string, base: '1' | '2', edit: (worktree: string) => void): void;
  cleanup(): void;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=opsdeck-test', '-c', 'user.email=test@opsdeck.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Replace a file's text with `fn(text)`. */
export function editFile(file: string, fn: (text: string) => string): void {
  writeFileSync(file, fn(readFileSync(file, 'utf8')));
}

/** The repository with v1 and v2 tagged. */
export async function makeReleaseRepo(): Promise<ReleaseRepo> {
  const root = mkdtempSync(join(tmpdir(), 'opsdeck-releases-'));
  chmodSync(root, 0o755); // PostgreSQL runs as `postgres` when we are root: it must reach shared/data
  const repo = join(root, 'notes.git');
  mkdirSync(repo);
  git(repo, 'init', '--quiet');
  const pgPort = await freePort();
  let appPort = await freePort();
  while (appPort === pgPort) appPort = await freePort();
  const ports = (text: string) => text.replaceAll(String(PG_PORT), String(pgPort)).replaceAll(String(APP_PORT), String(appPort));

  const commit = (version: string) => {
    git(repo, 'add', '-A');
    git(repo, 'commit', '--quiet', '--allow-empty', '-m', `notes ${version}`);
    git(repo, 'tag', `v${version}`);
  };
  const lay = (version: string) => {
    for (const n of readdirSync(repo)) if (n !== '.git') rmSync(join(repo, n), { recursive: true, force: true });
    cpSync(join(STACK, 'bin'), join(repo, 'bin'), { recursive: true });
    mkdirSync(join(repo, 'checks'));
    cpSync(join(STACK, 'checks', 'postgres.sh'), join(repo, 'checks', 'postgres.sh'));
    cpSync(join(RELEASES, 'common'), repo, { recursive: true });
    cpSync(join(RELEASES, `v${version}`), repo, { recursive: true });
    editFile(join(repo, 'opsdeck.yaml'), ports);
  };
  lay('1');
  commit('1');
  lay('2');
  commit('2');
  return {
    root,
    repo,
    deployDir: join(root, 'deploy'),
    pgPort,
    appPort,
    tag(version, base, edit) {
      lay(base);
      edit(repo);
      commit(version);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
