/**
 * The public entry `opsdeck/client` (package.json `exports`; built to dist/client.js, its types
 * to dist/types/): the typed client of the control API for programs outside Opsdeck, over the
 * stack's unix socket or the TCP listener with a bearer token (docs/api.md, "Clients"), with the
 * error type it throws and the contract's types of what it answers.
 */
export { ApiClient, type ApiClientOptions, type LogsOptions, type MemorySearch, type MetricsHistoryOptions, type StackCommandOptions, type StreamOptions, type TimeArg, type UnitsQuery } from './api-client';
export { unixFetch, type FetchLike } from './unix-fetch';
export { tcpFetch } from './tcp-fetch';
export { OpsError, isOpsError, type OpsErrorCode } from '../errors';
export type * from '../contract';
