/**
 * The engine a release operation of the CLI works with: the running owner over its control API,
 * or, when none runs, one started in the background (`opsdeck up --detach`), as `up --detach`
 * would, so that the stack keeps running after the command ends.
 */
import { spawn } from 'node:child_process';
import type { EngineLike } from '../core/contract';
import { OpsError } from '../core/contract';
import type { ReleaseEngineHost } from '../core/host';
import { ownerOf } from './stack-context';
import { installUnits, withRememberedProfile } from '../core/host';
import { OPSDECK_VERSION } from '../core/contract';
import { cliLauncher } from './units/request';

export function cliReleaseHost(dir: string): ReleaseEngineHost {
  return {
    stackDir: dir,
    running: async () => ownerOf(dir)?.engine,
    start: async (services: string[]): Promise<EngineLike> => {
      const owner = ownerOf(dir);
      if (owner) {
        await owner.engine.up(services);
        return owner.engine;
      }
      const args = [...process.execArgv, process.argv[1]!, '--stack', dir, 'up', '--detach', '--json', ...services];
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
        child.once('error', reject);
        child.once('exit', (c) => resolve(c ?? 1));
      });
      const started = ownerOf(dir);
      if (!started) throw new OpsError('ENGINE_UNREACHABLE', `the engine did not start (opsdeck up --detach exited with ${code})`, 'see .opsdeck/logs/engine.log');
      return started.engine;
    },
    installUnits: async (stack) => {
      const done = await installUnits(withRememberedProfile(stack), { launcher: cliLauncher(), version: OPSDECK_VERSION });
      return `boot units: ${[...done.written, ...done.unchanged].join(', ')} in ${done.unitDir}`;
    },
  };
}
