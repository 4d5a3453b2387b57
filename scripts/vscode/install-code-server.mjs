#!/usr/bin/env node
/**
 * Installs code-server (VS Code's own server and web workbench, from npm) for the VS Code test
 * suites, outside the project's dependencies, in a cache folder:
 *
 *   ${OPSDECK_CODE_SERVER_DIR:-${XDG_CACHE_HOME:-~/.cache}/opsdeck-test/code-server-4.100.3}
 *
 *   node scripts/vscode/install-code-server.mjs          install if missing, then print where it is
 *   node scripts/vscode/install-code-server.mjs --force  reinstall
 *
 * Idempotent: a finished install leaves a marker file, and an installed code-server is only
 * checked (`code-server --version`), not reinstalled. Takes about a minute and 300 MB the first
 * time. Needs the Debian packages of APT_PACKAGES in scripts/setup-system.mjs (native modules:
 * libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config make g++ python3; ripgrep).
 * A failed or interrupted install is removed; the error says why `code-server --version` failed.
 *
 * Why the environment below (see docs/testing.md):
 * - code-server's postinstall runs as root only with npm_config_unsafe_perm=true, and node-pty's
 *   postinstall asks npx for confirmation (npm_config_yes=true);
 * - @vscode/ripgrep downloads ripgrep from GitHub in its postinstall, unless its cache holds
 *   the tarball: we put Debian's /usr/bin/rg there.
 */
import { ensureCodeServer } from './lib.mjs';
import { fileURLToPath } from 'node:url';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  for (const a of args) {
    if (a !== '--force') {
      console.error(`error: unknown option ${a}\nhint: the only option is --force (reinstall)`);
      process.exit(2);
    }
  }
  try {
    const cs = await ensureCodeServer({ force: args.includes('--force'), log: (m) => console.log(m) });
    console.log(`code-server ${cs.version} at ${cs.dir}`);
    console.log(`run it with: node ${cs.entry} --help`);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
