/**
 * The git commit checked out in the stack folder, recorded in each snapshot. Read from git's own
 * files where they are plain (a `.git` folder or a worktree's `.git` file, HEAD, a loose ref or
 * packed-refs): starting `git rev-parse HEAD` cost every backup a process, ~25 ms of this
 * thread's time for a one-shot `opsdeck backup` (bench/README.md, "Seventh round"). Anything
 * else (git's environment variables, the reftable format, a HEAD not understood) asks git as
 * before. The one difference: git declines a repository another user owns (`safe.directory`)
 * and then no commit is recorded; reading the files records it.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

/** What reading git's files gave: the commit, none (no work tree, no commit yet), or ask git. */
type HeadRead = { commit: string } | 'none' | 'ask-git';

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** The environment that changes where git looks: with any of it set, git answers. */
const GIT_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'];

/** The commit checked out in `dir` (`git rev-parse HEAD`), if it is a git work tree. */
export async function gitCommit(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ gitCommit?: string }> {
  const read = headFromFiles(dir, env);
  if (read === 'none') return {};
  if (read !== 'ask-git') return { gitCommit: read.commit };
  const r = await execa('git', ['rev-parse', 'HEAD'], { cwd: dir, reject: false, stdin: 'ignore' }).catch(() => undefined);
  const out = r?.exitCode === 0 ? String(r.stdout).trim() : '';
  return COMMIT.test(out) ? { gitCommit: out } : {};
}

/** HEAD's commit from git's files, as `git rev-parse HEAD` run in `dir` finds it. */
export function headFromFiles(dir: string, env: NodeJS.ProcessEnv = process.env): HeadRead {
  if (GIT_ENV.some((k) => env[k] !== undefined)) return 'ask-git';
  try {
    const gitDir = findGitDir(path.resolve(dir));
    if (gitDir === undefined) return 'none';
    if (gitDir === 'ask-git') return gitDir;
    const common = commonDir(gitDir);
    if (exists(path.join(common, 'reftable'))) return 'ask-git';
    let value = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    // a symbolic ref names a ref, which may itself be symbolic (git follows up to 5)
    for (let depth = 0; depth < 5; depth++) {
      if (COMMIT.test(value)) return { commit: value };
      if (!value.startsWith('ref: ')) return 'ask-git';
      const ref = value.slice(5).trim();
      if (!/^refs\/[^\0\s]+$/.test(ref) || ref.split('/').includes('..')) return 'ask-git';
      const loose = readOrNone(path.join(perWorktree(ref) ? gitDir : common, ref));
      if (loose === undefined) return packedRef(common, ref);
      value = loose.trim();
    }
    return 'ask-git';
  } catch {
    return 'ask-git';
  }
}

/** The git folder for `dir`: `.git` in it or the nearest folder above, within one file system. */
function findGitDir(start: string): string | 'ask-git' | undefined {
  const device = statSync(start, { throwIfNoEntry: false })?.dev;
  if (device === undefined) return undefined; // no such folder: no work tree
  for (let d = start; ; ) {
    const dot = path.join(d, '.git');
    const st = lstatSync(dot, { throwIfNoEntry: false });
    if (st?.isDirectory()) return dot;
    if (st?.isFile()) {
      const m = /^gitdir: (.+)$/m.exec(readFileSync(dot, 'utf8'));
      return m ? path.resolve(d, m[1]!.trim()) : 'ask-git';
    }
    if (st) return 'ask-git'; // a symlink or something else: git knows what it means
    const up = path.dirname(d);
    if (up === d || statSync(up).dev !== device) return undefined;
    d = up;
  }
}

/** Where a worktree's shared refs live (its `commondir`), or the git folder itself. */
function commonDir(gitDir: string): string {
  const common = readOrNone(path.join(gitDir, 'commondir'));
  return common === undefined ? gitDir : path.resolve(gitDir, common.trim());
}

/** The refs each worktree has of its own, kept in its git folder rather than the common one. */
function perWorktree(ref: string): boolean {
  return /^refs\/(bisect|worktree|rewritten)\//.test(ref);
}

/** A ref from packed-refs; none when it is not there (a branch without a commit yet). */
function packedRef(common: string, ref: string): HeadRead {
  const packed = readOrNone(path.join(common, 'packed-refs'));
  for (const line of packed?.split('\n') ?? []) {
    const [hash, name] = line.trim().split(' ');
    if (name === ref) return hash && COMMIT.test(hash) ? { commit: hash } : 'ask-git';
  }
  return 'none';
}

function readOrNone(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function exists(file: string): boolean {
  return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}
