import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CpuMeter } from '../../src/core/metrics/cpu';
import { openFds, treeOpenFds } from '../../src/core/metrics/open-fds';
import { percentile, percentiles } from '../../src/core/metrics/percentile';
import { ColumnRing, DEFAULT_HISTORY_CAPACITY, RingBuffer } from '../../src/core/metrics/ring-buffer';
import { FULL_SCAN_EVERY, ProcessReader, parseCpuTime, processTree, readProcessTable, type ProcInfo } from '../../src/core/supervisor/process-table';

describe('metrics building blocks', () => {
  describe('RingBuffer', () => {
    it('holds an hour at 5 s by default', () => {
      assert.equal(DEFAULT_HISTORY_CAPACITY, 720);
      assert.equal(new RingBuffer().capacity, 720);
    });

    it('is empty at first', () => {
      const r = new RingBuffer(3);
      assert.deepEqual([r.size, r.latest, r.values()], [0, undefined, []]);
    });

    it('keeps samples oldest first until full', () => {
      const r = new RingBuffer(3);
      r.push(1000, 1);
      r.push(2000, 2);
      assert.deepEqual(r.values(), [{ at: 1000, value: 1 }, { at: 2000, value: 2 }]);
      assert.deepEqual(r.latest, { at: 2000, value: 2 });
      assert.equal(r.size, 2);
    });

    it('wraps: overwrites the oldest, order stays oldest first', () => {
      const r = new RingBuffer(3);
      for (let i = 1; i <= 7; i++) r.push(i * 1000, i * 10);
      assert.equal(r.size, 3);
      assert.deepEqual(r.values(), [{ at: 5000, value: 50 }, { at: 6000, value: 60 }, { at: 7000, value: 70 }]);
      assert.deepEqual(r.latest, { at: 7000, value: 70 });
    });

    it('wraps a full hour at 5 s: 721 pushes keep the last 720', () => {
      const r = new RingBuffer();
      for (let i = 0; i <= 720; i++) r.push(i * 5000, i);
      const v = r.values();
      assert.equal(v.length, 720);
      assert.deepEqual([v[0], v[719]], [{ at: 5000, value: 1 }, { at: 3_600_000, value: 720 }]);
    });

    it('values(sinceMs) keeps samples at or after the timestamp', () => {
      const r = new RingBuffer(4);
      for (let i = 1; i <= 6; i++) r.push(i * 1000, i);
      assert.deepEqual(r.values(5000).map((s) => s.value), [5, 6]);
      assert.deepEqual(r.values(0).map((s) => s.value), [3, 4, 5, 6]);
      assert.deepEqual(r.values(7000), []);
    });

    it('clear empties it; a bad capacity is refused', () => {
      const r = new RingBuffer(2);
      r.push(1, 1);
      r.clear();
      assert.deepEqual([r.size, r.latest], [0, undefined]);
      for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => new RingBuffer(bad), RangeError);
    });
  });

  describe('ColumnRing', () => {
    it('keeps several columns under one timestamp each, oldest first, and leaves out missing values', () => {
      const r = new ColumnRing(3, 4);
      assert.deepEqual([r.size, r.capacity, r.values(0)], [0, 4, []]);
      r.push(1000, [1, undefined, 100]);
      r.push(2000, [2, 20, undefined]);
      assert.equal(r.size, 2);
      assert.deepEqual(r.values(0), [{ at: 1000, value: 1 }, { at: 2000, value: 2 }]);
      assert.deepEqual(r.values(1), [{ at: 2000, value: 20 }]);
      assert.deepEqual(r.values(2), [{ at: 1000, value: 100 }]);
    });

    it('gives back the values pushed, to 7 significant digits (stored as 32-bit floats)', () => {
      const r = new ColumnRing(1, 8);
      const values = [12.34, 0.1, 0.9234567, 1234.56, 3_600_000, 0, 100];
      values.forEach((v, i) => r.push(i * 5000, [v]));
      assert.deepEqual(r.values(0).map((s) => s.value), values);
      assert.notEqual(Math.fround(0.1), 0.1, 'a 32-bit float alone would not give 0.1 back');
    });

    it('wraps: a full hour at 5 s keeps the last 720 samples of every column, and sinceMs filters', () => {
      const r = new ColumnRing(2);
      for (let i = 0; i <= 720; i++) r.push(i * 5000, [i, -i]);
      const a = r.values(0);
      const b = r.values(1);
      assert.equal(a.length, 720);
      assert.deepEqual([a[0], a[719], b[0], b[719]], [{ at: 5000, value: 1 }, { at: 3_600_000, value: 720 }, { at: 5000, value: -1 }, { at: 3_600_000, value: -720 }]);
      assert.deepEqual(r.values(0, 3_595_000).map((s) => s.value), [719, 720]);
    });

    it('refuses a bad capacity or column count', () => {
      for (const bad of [0, -1, 1.5, NaN]) {
        assert.throws(() => new ColumnRing(1, bad), RangeError);
        assert.throws(() => new ColumnRing(bad), RangeError);
      }
    });
  });

  describe('percentile (nearest rank)', () => {
    const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const cases: { values: number[]; p: number; want: number | undefined }[] = [
      { values: [], p: 50, want: undefined },
      { values: [7], p: 50, want: 7 },
      { values: [7], p: 95, want: 7 },
      { values: oneTo(20), p: 50, want: 10 },
      { values: oneTo(20), p: 95, want: 19 },
      { values: oneTo(100), p: 95, want: 95 },
      { values: oneTo(10), p: 95, want: 10 },
      { values: [1, 2, 3, 4], p: 50, want: 2 },
      { values: [5, 1, 4, 2, 3], p: 50, want: 3 },
      { values: [5, 1, 4, 2, 3], p: 0, want: 1 },
      { values: [5, 1, 4, 2, 3], p: 100, want: 5 },
      { values: [NaN, 3, Infinity, 1], p: 100, want: 3 },
    ];
    for (const c of cases) it(`p${c.p} of [${c.values.join(', ')}] = ${c.want}`, () => assert.equal(percentile(c.values, c.p), c.want));

    it('several at once, without touching the input', () => {
      const input = [30, 10, 20];
      assert.deepEqual(percentiles(input, [50, 95]), [20, 30]);
      assert.deepEqual(input, [30, 10, 20]);
      assert.deepEqual(percentiles([], [50, 95]), [undefined, undefined]);
    });

    it('refuses a percentile outside 0-100', () => {
      for (const p of [-1, 101, NaN]) assert.throws(() => percentile([1], p), RangeError);
    });
  });

  describe('CPU % from two process tables', () => {
    const proc = (pid: number, ppid: number, cpuMs?: number): ProcInfo => ({ pid, ppid, pgid: pid === 99 ? 99 : 10, rssKb: 1024, ...(cpuMs !== undefined ? { cpuMs } : {}) });

    it('is unknown after one reading, then CPU time over wall time', () => {
      const m = new CpuMeter();
      const t1 = [proc(10, 1, 1000), proc(11, 10, 200), proc(99, 1, 50_000)];
      m.observe(t1, 0);
      assert.equal(m.percent(processTree(t1, 10)), undefined);
      const t2 = [proc(10, 1, 1400), proc(11, 10, 300), proc(99, 1, 60_000)];
      m.observe(t2, 5000);
      assert.equal(m.percent(processTree(t2, 10)), 10); // (400 + 100) / 5000
      assert.equal(m.percent(processTree(t2, 99)), 200); // two cores
    });

    it('a process new since the last reading counts all its time; one that left counts nothing', () => {
      const m = new CpuMeter();
      m.observe([proc(10, 1, 1000), proc(11, 10, 200)], 0);
      const t2 = [proc(10, 1, 1000), proc(12, 10, 250)];
      m.observe(t2, 5000);
      assert.equal(m.percent(processTree(t2, 10)), 5);
    });

    it('a reused pid (time going back) counts 0; an empty table is ignored; no CPU times means unknown', () => {
      const m = new CpuMeter();
      m.observe([proc(10, 1, 5000)], 0);
      m.observe([], 2500);
      const t2 = [proc(10, 1, 100)];
      m.observe(t2, 5000);
      assert.equal(m.percent(t2), 0);
      const n = new CpuMeter();
      n.observe([proc(10, 1)], 0);
      n.observe([proc(10, 1)], 5000);
      assert.equal(n.percent([proc(10, 1)]), undefined);
      assert.equal(m.percent([]), undefined);
    });
  });

  describe('process table additions', () => {
    const cases: [string, number | undefined][] = [
      ['00:00:04', 4000],
      ['01:02:03', 3_723_000],
      ['1-02:03:04', 93_784_000],
      ['0:01.23', 1230],
      ['12:34.50', 754_500],
      ['  00:00:00 ', 0],
      ['-', undefined],
      ['', undefined],
      ['4', undefined],
    ];
    for (const [text, want] of cases) it(`parses ps time "${text}"`, () => assert.equal(parseCpuTime(text), want));

    it('reads CPU time of this process, growing as it works', async function () {
      const before = (await readProcessTable()).find((p) => p.pid === process.pid);
      assert.ok(before, 'this process is in the table');
      if (before.cpuMs === undefined) this.skip();
      const end = Date.now() + 60;
      while (Date.now() < end) Math.sqrt(Math.random());
      const after = (await readProcessTable()).find((p) => p.pid === process.pid)!;
      assert.ok(after.cpuMs! > before.cpuMs, `${after.cpuMs} > ${before.cpuMs}`);
      assert.ok(after.rssKb > 0);
    });

    it('counts open file descriptors (Linux)', async function () {
      if (process.platform !== 'linux') this.skip();
      const own = await openFds(process.pid);
      assert.ok(own !== undefined && own >= 3, `fds ${own}`);
      assert.equal(await openFds(2 ** 22 + 12345), undefined, 'no such process');
      assert.equal(await treeOpenFds([process.pid, process.pid], async () => 4), 8);
      assert.equal(await treeOpenFds([1, 2], async () => undefined), undefined);
      assert.equal(await treeOpenFds([]), undefined);
    });
  });

  describe('ProcessReader: the supervised trees only', () => {
    const pidsOf = (table: ProcInfo[], root: number) => processTree(table, root).map((p) => p.pid).sort((a, b) => a - b);

    it('finds the trees the whole table shows, a stray of the group included, reading only them between full reads', async function () {
      if (process.platform !== 'linux') this.skip();
      this.timeout(20_000);
      // A group leader with a child, a child with its own child, and a stray: a member of the
      // group whose parent exited (re-parented away, so not a descendant of the leader any more).
      const leader = spawn('/bin/sh', ['-c', '(sleep 60 &); sleep 60 & sh -c "sleep 60; true" & wait'], { detached: true, stdio: 'ignore' });
      const root = leader.pid!;
      try {
        let whole: ProcInfo[] = [];
        for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
          whole = await readProcessTable();
          if (processTree(whole, root).length === 5) break;
        }
        const want = pidsOf(whole, root);
        assert.equal(want.length, 5, 'leader, sleep, sh, its sleep, and the stray');
        const stray = processTree(whole, root).find((p) => p.pid !== root && p.ppid !== root && !want.includes(p.ppid));
        assert.ok(stray, 'one member of the group has a parent outside it');

        let now = 0;
        const reader = new ProcessReader(() => now, true);
        const first = await reader.read([root]);
        assert.ok(first.some((p) => p.pid === process.pid), 'the first read is a whole table');
        assert.deepEqual(pidsOf(first, root), want);
        for (let i = 1; i < FULL_SCAN_EVERY; i++) {
          now += 1000;
          const walked = await reader.read([root]);
          assert.equal(walked.some((p) => p.pid === process.pid), false, 'later reads walk the trees only');
          assert.deepEqual(pidsOf(walked, root), want, 'with the stray');
          assert.ok(walked.every((p) => p.rssKb > 0 && p.cpuMs !== undefined));
        }
        now += 1000;
        assert.ok((await reader.read([root])).some((p) => p.pid === process.pid), `read ${FULL_SCAN_EVERY + 1} is a whole table again`);
      } finally {
        process.kill(-root, 'SIGKILL');
      }
    });

    it('a walk finds the child a multi-threaded process started since the last walk (thread lists kept between walks)', async function () {
      this.timeout(20_000);
      // A node process (several threads) that starts `sleep` when told to, on its main thread.
      const parent = spawn(process.execPath, ['-e', `process.stdin.on('data', () => require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' }))`], { stdio: ['pipe', 'ignore', 'ignore'] });
      const root = parent.pid!;
      try {
        let now = 0;
        const reader = new ProcessReader(() => now, true);
        await reader.read([root]); // a whole table
        let walked: ProcInfo[] = [];
        for (const end = Date.now() + 10_000; Date.now() < end && walked.length !== 1; await new Promise((r) => setTimeout(r, 50))) {
          now += 1000;
          walked = await reader.read([root]);
        }
        assert.deepEqual(walked.map((p) => p.pid), [root], 'the parent alone');
        parent.stdin!.write('go\n');
        for (const end = Date.now() + 10_000; Date.now() < end && pidsOf(walked, root).length < 2; await new Promise((r) => setTimeout(r, 50))) {
          now += 1000;
          walked = await reader.read([root]);
        }
        assert.equal(pidsOf(walked, root).length, 2, 'the new sleep is found');
        assert.equal(walked.some((p) => p.pid === process.pid), false, 'by a walk');
        reader.close();
      } finally {
        for (const p of (await readProcessTable()).filter((p) => p.ppid === root)) process.kill(p.pid, 'SIGKILL');
        parent.kill('SIGKILL');
      }
    });

    it('shares a read in progress, and one at most maxAgeMs old of the same roots', async () => {
      let now = 0;
      const reader = new ProcessReader(() => now, false);
      const a = reader.read([process.pid]);
      assert.equal(reader.read([process.pid]), a, 'in progress: shared');
      await a;
      now = 400;
      assert.equal(reader.read([process.pid], 500), a, 'recent enough');
      assert.notEqual(reader.read([process.pid]), a, 'maxAgeMs 0: a new read');
      await reader.read([process.pid]);
      const b = reader.read([process.pid]);
      await b;
      now = 2000;
      assert.notEqual(reader.read([process.pid], 500), b, 'too old');
      assert.notEqual(reader.read([process.pid, 1], 5000), reader.read([process.pid], 5000), 'other roots: not shared');
    });
  });
});
