/** What one http probe request came to: a status, an error, or no status in time. */
export type HttpAttempt = { status: number } | { error: NodeJS.ErrnoException; reusedSocket: boolean } | { timedOut: true };
