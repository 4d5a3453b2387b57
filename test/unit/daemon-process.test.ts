import assert from 'node:assert/strict';
import { DAEMON_GLIBC_TUNABLES, daemonEnv, restoreServiceEnv } from '../../src/daemon/daemon-process';

describe('the daemon process environment', () => {
  it('adds the malloc settings on Linux (only), and the daemon takes them out again for its services', () => {
    const user = { PATH: '/usr/bin', HOME: '/root' };
    const env = daemonEnv(user);
    assert.equal(env.GLIBC_TUNABLES, process.platform === 'linux' ? DAEMON_GLIBC_TUNABLES : undefined);
    assert.deepEqual(user, { PATH: '/usr/bin', HOME: '/root' }, 'the caller\'s environment is not changed');
    restoreServiceEnv(env);
    assert.deepEqual(env, user, 'what the services get is the user\'s environment');
  });

  it('leaves a GLIBC_TUNABLES the user set alone, in the daemon and for its services', () => {
    const user = { PATH: '/usr/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' };
    const env = daemonEnv(user);
    assert.deepEqual(env, user);
    restoreServiceEnv(env);
    assert.equal(env.GLIBC_TUNABLES, 'glibc.malloc.arena_max=2');
  });
});
