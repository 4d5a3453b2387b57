/**
 * Stands in for zod's `locales/index.js` in the daemon's bundle (scripts/build.mjs): the English
 * messages only, which zod uses by default and the engine never changes. The ~50 other locales
 * are 250 KB of code that V8 would keep in memory for as long as the daemon runs.
 */
export { default as en } from 'zod/v4/locales/en.js';
