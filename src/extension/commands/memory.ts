/** Search Memory: with a query, the hits (for tests and other commands); without, the search box. */
import type { CommandContext, CommandHandlers } from './context';

export function memoryCommands({ memory }: CommandContext): CommandHandlers {
  return {
    'opsdeck.searchMemory': async (query) => {
      if (typeof query === 'string') return memory.search(query);
      await memory.pick();
      return undefined;
    },
  };
}
