import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ProcFiles } from '../../src/core/os/proc-files';
import { parseProcStat } from '../../src/core/os/process-info';

/** CPU ticks (utime + stime) in a /proc/<pid>/stat line. */
const ticks = (line: string) => {
  const stat = parseProcStat(line);
  return Number(stat.field(14)) + Number(stat.field(15));
};

describe('ProcFiles: /proc files kept open and read again (real /proc, Linux)', () => {
  it('each read gives the content of now, from one descriptor kept open', () => {
    const files = new ProcFiles();
    const path = `/proc/${process.pid}/stat`;
    const first = files.read(path)!;
    assert.match(first, new RegExp(`^${process.pid} \\(`));
    const until = ticks(first) + 2;
    let now = first;
    // Burn CPU until the kernel has counted 2 more ticks of it: the same descriptor shows them.
    for (let i = 0; ticks(now) < until && i < 1e7; i++) now = files.read(path)!;
    assert.ok(ticks(now) >= until, `ticks ${ticks(first)} → ${ticks(now)}`);
    assert.equal(files.openCount, 1);
    files.closeAll();
    assert.equal(files.openCount, 0);
  });

  it('a process that has exited reads as undefined and its descriptor is closed; a children file lists a new child', async () => {
    const files = new ProcFiles();
    const children = `/proc/${process.pid}/task/${process.pid}/children`;
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    assert.ok(files.read(children)!.split(' ').includes(String(child.pid)), 'the child is listed');
    const path = `/proc/${child.pid}/stat`;
    assert.match(files.read(path)!, /^\d+ \(sleep\) [RS] /);
    child.kill('SIGKILL');
    await once(child, 'exit');
    // Reaped: the pid's files are gone.
    assert.equal(files.read(path), undefined);
    assert.equal(files.openCount, 1, 'only the children file stays open');
    assert.ok(!files.read(children)!.split(' ').includes(String(child.pid)), 'no longer listed');
    files.closeAll();
  });

  it('sweep() closes what was not read since the last sweep; no more than maxOpen stay open', () => {
    const files = new ProcFiles(2);
    const paths = ['stat', 'status', 'statm'].map((f) => `/proc/${process.pid}/${f}`);
    for (const p of paths) assert.ok(files.read(p), p);
    assert.equal(files.openCount, 2, 'the third file was read and closed');
    assert.ok(files.read(paths[2]!), 'and reads again all the same');
    files.sweep();
    files.read(paths[0]!);
    files.sweep();
    assert.equal(files.openCount, 1, 'only the file read since the last sweep');
    assert.equal(files.read('/proc/no-such-file'), undefined);
    files.closeAll();
  });
});
