/** The bytes and files under a path (a file, or a folder walked without following links); 0 when it does not exist. */
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function treeSize(p: string): { bytes: number; files: number } {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return { bytes: 0, files: 0 };
  }
  if (!st.isDirectory()) return { bytes: st.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const name of readdirSync(p)) {
    const t = treeSize(path.join(p, name));
    bytes += t.bytes;
    files += t.files;
  }
  return { bytes, files };
}
