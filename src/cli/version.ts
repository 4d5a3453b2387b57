/** The version of Opsdeck, injected by scripts/build.mjs; unbundled runs (tests, tsx) see a dev marker. */
declare const __OPSDECK_VERSION__: string | undefined;

export const VERSION: string = typeof __OPSDECK_VERSION__ === 'string' ? __OPSDECK_VERSION__ : '0.0.0-dev';
