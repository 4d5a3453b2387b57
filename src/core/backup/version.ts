/** The version of Opsdeck recorded in snapshot manifests (injected by scripts/build.mjs, like src/cli/version.ts). */
declare const __OPSDECK_VERSION__: string | undefined;

export const OPSDECK_VERSION: string = typeof __OPSDECK_VERSION__ === 'string' ? __OPSDECK_VERSION__ : '0.0.0-dev';
