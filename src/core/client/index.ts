/**
 * The client's door: how a surface talks to the engine that owns a stack over its control API —
 * ApiClient (the typed wire client), RemoteEngine (the contract's EngineLike over it), ReadClient
 * (status, health and profiles over plain node:http, for a CLI that asks once) and the unix-socket
 * transport. Surfaces import from here, src/core/contract or src/core/host only.
 */
export { ApiClient, createRpc, type ApiClientOptions, type ApiRpc, type LogsOptions, type MemorySearch, type MetricsHistoryOptions, type StackCommandOptions, type StreamOptions, type TimeArg } from './api-client';
export { RemoteEngine } from './remote-engine';
export { ReadClient } from './read-client';
export { unixFetch, type FetchLike } from './unix-fetch';
export { tcpFetch } from './tcp-fetch';
