/** `opsdeck units generate --out DIR`: the files written into a folder, never over someone else's. */
import { OpsError } from '../../core/contract';
import { onDisk, type UnitFile, type UnitSet, writeUnitFile } from '../../core/host';

export function writeGenerated(files: UnitFile[], dir: string, set: Pick<UnitSet, 'stack' | 'stackDir'>, dryRun: boolean): string[] {
  const foreign = files.filter((f) => onDisk(dir, f.name, set).state === 'foreign').map((f) => f.name);
  if (foreign.length) throw new OpsError('UNITS_FOREIGN_FILE', `not overwriting ${foreign.join(', ')} in ${dir}: Opsdeck did not write them for this stack`, 'choose an empty folder with --out');
  if (!dryRun) for (const f of files) writeUnitFile(dir, f);
  return files.map((f) => f.name);
}
