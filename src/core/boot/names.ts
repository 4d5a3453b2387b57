/** The names of a stack's units, plists and cron files, shared by the writers, status and uninstall. */
export const unitPrefix = (stack: string) => `opsdeck-${stack}`;
export const serviceUnit = (stack: string, service: string) => `${unitPrefix(stack)}-${service}.service`;
export const launchdLabel = (stack: string, service?: string) => `dev.opsdeck.${stack}${service ? `.${service}` : ''}`;
/** Does `file` (a name in a unit folder) look like one of this stack's files? */
export function isStackFileName(stack: string, file: string): boolean {
  return file.startsWith(`${unitPrefix(stack)}.`) || file.startsWith(`${unitPrefix(stack)}-`) || file.startsWith(`${launchdLabel(stack)}.`);
}
