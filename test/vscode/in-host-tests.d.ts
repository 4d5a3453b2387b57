/**
 * The virtual module scripts/vscode/lib.mjs (bundleInHostTests) generates while bundling the
 * in-host suite: every test/vscode/**\/*.test.ts, each loaded on demand.
 */
declare module 'opsdeck:in-host-tests' {
  export const testFiles: ReadonlyArray<{ file: string; load(): unknown }>;
}
