/** Declares the backup commands' table to commander: `backup`, `backups …` and `restore`. */
import { Option, type Command } from 'commander';
import type { BackupCommand } from './command-spec';
import { backupCommand, backupsGroup } from './commands';
import { restoreCommand } from './restore-command';

/** `opsdeck backup` and `opsdeck backups init|list|show|diff|forget|prune|verify|drill|status`. */
export function registerBackup(program: Command): void {
  declare(program, backupCommand);
  const group = program.command(backupsGroup.name).description(backupsGroup.description).addHelpText('after', backupsGroup.help);
  for (const sub of backupsGroup.commands) declare(group, sub);
}

/** `opsdeck restore ID`. */
export function registerRestore(program: Command): void {
  declare(program, restoreCommand);
}

function declare(parent: Command, c: BackupCommand): void {
  const cmd = parent.command(c.name).description(c.description);
  for (const a of c.arguments) cmd.argument(a.name, a.description);
  for (const o of c.options) {
    if (o.defaultLabel) {
      const option = new Option(o.flags, o.description).default(o.default, o.defaultLabel);
      cmd.addOption(o.parse ? option.argParser(o.parse as (value: string, previous: unknown) => unknown) : option);
    } else if (o.parse) cmd.option(o.flags, o.description, o.parse as (value: string, previous: unknown) => unknown, o.default);
    else cmd.option(o.flags, o.description, o.default as string | boolean | string[] | undefined);
  }
  cmd.addHelpText('after', c.help).action(c.action);
}
