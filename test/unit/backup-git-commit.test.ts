import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitCommit, headFromFiles } from '../../src/core/backup/git-commit';

/**
 * The commit a snapshot records, read from git's files (src/core/backup/git-commit.ts), against
 * what real git says (`git rev-parse HEAD`) in real repositories: a branch, packed refs, a
 * detached HEAD, a worktree, a branch without commits, no repository at all.
 */
describe('backup: the stack folder’s git commit, from git’s files (src/core/backup/git-commit.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: os.tmpdir() };
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'safe.directory=*', ...args], { cwd, env: ENV, encoding: 'utf8' }).trim();
  const commit = (repo: string, n: number) => {
    writeFileSync(path.join(repo, 'f.txt'), `change ${n}\n`);
    git(repo, 'add', 'f.txt');
    git(repo, 'commit', '-q', '-m', `c${n}`);
    return git(repo, 'rev-parse', 'HEAD');
  };
  /** headFromFiles must read the commit itself (no git) and agree with git. */
  const readsAs = async (at: string, expected: string) => {
    assert.deepEqual(headFromFiles(at, {}), { commit: expected });
    assert.deepEqual(await gitCommit(at, {}), { gitCommit: expected });
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-git-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a branch with commits, from the work tree and from a folder below it; then with its refs packed', async () => {
    const repo = path.join(dir, 'repo');
    mkdirSync(path.join(repo, 'stack', 'sub'), { recursive: true });
    git(repo, 'init', '-q');
    commit(repo, 1);
    const second = commit(repo, 2);
    await readsAs(repo, second);
    await readsAs(path.join(repo, 'stack', 'sub'), second);
    git(repo, 'pack-refs', '--all');
    assert.equal(git(repo, 'rev-parse', 'HEAD'), second);
    await readsAs(path.join(repo, 'stack'), second);
  });

  it('a detached HEAD, and a worktree (a .git file naming its folder; branches in the common one)', async () => {
    const repo = path.join(dir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    const first = commit(repo, 1);
    const second = commit(repo, 2);
    git(repo, 'checkout', '-q', '--detach', first);
    await readsAs(repo, first);
    git(repo, 'checkout', '-q', 'main');
    const wt = path.join(dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', wt, first);
    await readsAs(wt, first);
    git(repo, 'pack-refs', '--all');
    await readsAs(wt, first);
    await readsAs(repo, second);
  });

  it('no commit yet, or no repository: nothing recorded, and git is not asked', async () => {
    const repo = path.join(dir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    assert.equal(headFromFiles(repo, {}), 'none');
    assert.deepEqual(await gitCommit(repo, {}), {});
    const plain = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-nogit-'));
    try {
      assert.equal(headFromFiles(plain, {}), 'none');
      assert.deepEqual(await gitCommit(plain, {}), {});
      assert.equal(headFromFiles(path.join(plain, 'missing'), {}), 'none');
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('what it does not read itself, git answers: git’s environment, a HEAD it does not understand', async () => {
    const repo = path.join(dir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    const first = commit(repo, 1);
    assert.equal(headFromFiles(repo, { GIT_DIR: path.join(repo, '.git') }), 'ask-git');
    assert.deepEqual(await gitCommit(repo, { GIT_DIR: path.join(repo, '.git') }), { gitCommit: first });
    writeFileSync(path.join(repo, '.git', 'HEAD'), 'something else\n');
    assert.equal(headFromFiles(repo, {}), 'ask-git');
    writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/../../outside\n');
    assert.equal(headFromFiles(repo, {}), 'ask-git', 'a ref that leaves the refs folder is not followed');
  });
});
