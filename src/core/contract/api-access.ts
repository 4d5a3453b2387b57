/**
 * The words of the control API's own access (docs/api.md, "TCP listener and tokens"): the two
 * token scopes, the tokens, where the API listens, and what a rotation did. Answered by
 * `opsdeck api` and the API's /v1/api routes. Part of the contract.
 */

/** `full`: every route; `read`: GET and HEAD only (status, health, metrics, a Prometheus scrape). */
export type TokenScope = 'full' | 'read';
export const TOKEN_SCOPES: readonly TokenScope[] = ['full', 'read'];

/** The stack's tokens, as `.opsdeck/api-tokens.json` holds them. */
export interface ApiTokens {
  full: string;
  read: string;
  /** When they were made or last rotated (epoch ms). */
  rotatedAt: number;
}

/** Where the API answers and how to get in; no secrets. */
export interface ApiAccess {
  /** The unix socket (owner-only, no token). */
  socket: string;
  /** `api.listen` of opsdeck.yaml as the engine started with it, or null: no TCP listener. */
  listen: string | null;
  /** The listener's base URL (`http://127.0.0.1:9180`), or null. */
  url: string | null;
  /** The token file (mode 0600). */
  tokenFile: string;
  /** When the tokens were made or last rotated, or null when none exist yet. */
  rotatedAt: number | null;
}

/** What `opsdeck api token rotate` / POST /v1/api/tokens/rotate did (or, dry, would do). */
export interface TokenRotation {
  dryRun: boolean;
  rotated: TokenScope[];
  /** The new tokens (absent on a dry run). */
  tokens?: ApiTokens;
}
