/**
 * The Node flags the `opsdeck` command runs with: dist/cli.js's first line (`#!/usr/bin/env -S
 * node …`, written by scripts/build.mjs), and what the headless scripts (scripts/ops/) pass when
 * they start dist/cli.js with Node themselves.
 *
 * `--max-semi-space-size=1`: V8's young generation at 1 MiB a semi-space instead of growing to
 * 16 MiB. A one-shot backup, verify or restore loads manifests, chunk lists and the index on the
 * main thread, and the young generation grew to 32 MiB of resident memory; with it the peak of
 * each is 20-40 MiB lower (bench/README.md, "Sixth round"), at no measured cost in time (the
 * heavy work runs on worker threads, whose young generation src/core/backup/repo/worker.ts
 * sizes). The daemon runs with the same flag (src/daemon/daemon-process.ts). It is one of the V8
 * options Node documents and takes in NODE_OPTIONS.
 */
export const CLI_NODE_FLAGS = ['--max-semi-space-size=1'];
