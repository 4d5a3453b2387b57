import assert from 'node:assert/strict';
import type { MetricsMark } from '../../src/core/contract/metrics-store';
import { profileSeconds } from '../../src/core/report/build-report';
import { NO_PROFILE, profileMark } from '../../src/core/metrics/store/stack-marks';

/** The report's time per profile, from the `profile` marks an engine writes at its start and on each switch. */
describe('report: time per profile', () => {
  const H = 3_600_000;
  const other = (at: number): MetricsMark => ({ at, kind: 'engine', service: 'stack', data: { version: 'x', pid: 1 } });

  it('splits the period at each switch, starting from the profile selected before it', () => {
    const marks = [profileMark('dev', -5 * H), other(1 * H), profileMark('minimal', 2 * H), profileMark('dev', 7 * H), profileMark(undefined, 9 * H)];
    assert.deepEqual(profileSeconds(marks, 0, 10 * H), { timeRecorded: true, seconds: { dev: (2 + 2) * 3600, minimal: 5 * 3600, [NO_PROFILE]: 3600 } });
  });

  it('says "not recorded" when the store has no profile mark up to the end', () => {
    assert.deepEqual(profileSeconds([other(1 * H)], 0, 10 * H), { timeRecorded: false });
    assert.deepEqual(profileSeconds([profileMark('dev', 11 * H)], 0, 10 * H), { timeRecorded: false });
  });

  it('counts from the first mark inside the period when none came before (the time before it is unknown)', () => {
    assert.deepEqual(profileSeconds([profileMark('dev', 4 * H)], 0, 10 * H), { timeRecorded: true, seconds: { dev: 6 * 3600 } });
  });
});
