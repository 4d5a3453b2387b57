/** Where a program is on the PATH, as a shell would find it (the first folder that has it). */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findOnPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  return path.split(delimiter).filter(Boolean).map((d) => join(d, program)).find((p) => existsSync(p));
}
