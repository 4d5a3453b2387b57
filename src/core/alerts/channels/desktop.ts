/**
 * The desktop channel: `notify-send` (Linux) or `osascript` (macOS), when the machine has it;
 * otherwise nothing (not an error: a server has no desktop). Title and text are passed as
 * arguments, never through a shell or a script's text.
 */
import { execFile } from 'node:child_process';
import { findOnPath } from '../../os/find-on-path';

export function desktopCommand(title: string, text: string, critical: boolean, platform = process.platform): string[] | undefined {
  if (platform === 'darwin') {
    const osa = findOnPath('osascript');
    return osa ? [osa, '-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run', title, text] : undefined;
  }
  const send = findOnPath('notify-send');
  return send ? [send, '-a', 'Opsdeck', '-u', critical ? 'critical' : 'normal', title, text] : undefined;
}

/** Show it; false when there is no desktop notifier. */
export function notifyDesktop(title: string, text: string, critical: boolean): Promise<boolean> {
  const argv = desktopCommand(title, text, critical);
  if (!argv) return Promise.resolve(false);
  return new Promise((resolve) => execFile(argv[0]!, argv.slice(1), { timeout: 10_000 }, (err) => resolve(!err)));
}
