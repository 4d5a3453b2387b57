/**
 * What the extension says of snapshot manifests that cannot be read, in the Restore from Backup
 * picker and in the Metrics view's Backups section alike: `2 snapshot manifests cannot be read
 * (abababab, cdcdcdcd): run Opsdeck: Verify Backups`. No DOM, no vscode: the webview bundles it too.
 */

/** `ids`: the manifests named (their full ids); `total`: how many there are, when more than those named. */
export function unreadableSummary(ids: readonly string[], total = ids.length): string {
  const named = `${ids.map((id) => id.slice(0, 8)).join(', ')}${total > ids.length ? ', …' : ''}`;
  return `${total} snapshot manifest${total === 1 ? '' : 's'} cannot be read (${named}): run Opsdeck: Verify Backups`;
}
