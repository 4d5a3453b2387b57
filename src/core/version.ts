/** The version of Opsdeck (CLI --version, snapshot manifests), injected by scripts/build.mjs; unbundled runs (tests, tsx) see a dev marker. */
declare const __OPSDECK_VERSION__: string | undefined;

export const OPSDECK_VERSION: string = typeof __OPSDECK_VERSION__ === 'string' ? __OPSDECK_VERSION__ : '0.0.0-dev';
