/**
 * A worker thread's entry when Opsdeck runs from its TypeScript sources (tests, development; see
 * worker-file.ts): registers tsx in this thread, then loads the entry named last on its command line.
 */
import { register } from 'tsx/esm/api';

register();
await import(process.argv.at(-1));
