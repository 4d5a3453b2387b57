/**
 * `opsdeck api info | token show | token rotate`: the control API's TCP listener (`api.listen`
 * in opsdeck.yaml) and its bearer tokens (docs/api.md, "TCP listener and tokens"). Through the
 * running engine when there is one (GET /v1/api, /v1/api/tokens, POST /v1/api/tokens/rotate),
 * else on the stack's files: the listener reads the token file again when it changes.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { OpsError, TOKEN_SCOPES, formatDuration, type ApiAccess, type ApiTokens, type TokenRotation, type TokenScope } from '../core/contract';
import { ensureTokens, listenUrl, loadConfig, readTokens, rotateTokens, tokenFile } from '../core/host';
import { dim } from './format';
import { ownerOf, printJson, stackDir } from './stack-context';

const scopeArg = (all: boolean) => (v: string) => {
  if ((TOKEN_SCOPES as readonly string[]).includes(v) || (all && v === 'all')) return v;
  throw new OpsError('BAD_REQUEST', `--scope ${v} is not a token scope`, `use ${all ? 'full, read or all' : 'full or read'}`);
};

export function registerApi(program: Command): void {
  const api = program
    .command('api')
    .description('the control API: its TCP listener (api.listen) and the bearer tokens it asks for')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck api info                       # socket, TCP listener, token file
  $ opsdeck api token show --scope read    # the read-only token alone (for a Prometheus scrape)
  $ opsdeck api token rotate               # new tokens; the old ones stop working at once

The unix socket .opsdeck/run/engine.sock needs no token (only its user can connect). With
api: { listen: 127.0.0.1:9180 } in opsdeck.yaml the engine also listens on TCP, where every
request needs Authorization: Bearer <token> (docs/api.md).`,
    );

  api
    .command('info')
    .description('where the API listens (socket, TCP listener) and where its tokens are; prints no secret')
    .option('--json', 'print {socket, listen, url, tokenFile, rotatedAt, running} as JSON')
    .addHelpText('after', '\nExamples:\n  $ opsdeck api info\n  $ opsdeck api info --json | jq -r .url')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      const info = owner ? { ...(await owner.client.apiAccess()), running: true } : { ...(await accessWithoutEngine(dir)), running: false };
      if (opts.json) return printJson(info);
      process.stdout.write(formatAccess(info) + '\n');
    });

  const token = api
    .command('token')
    .description('show or rotate the bearer tokens of the TCP listener (full, and read-only for GET)')
    .addHelpText('after', '\nExamples:\n  $ opsdeck api token show\n  $ opsdeck api token rotate --scope read');

  token
    .command('show')
    .description('print the tokens (made first when there are none); with --scope, that token alone')
    .option('--scope <scope>', 'full or read: print only that token, bare (for scripts)', scopeArg(false))
    .option('--json', 'print {full, read, rotatedAt} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck api token show
  $ TOKEN=$(opsdeck api token show --scope read)
  $ curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:9180/metrics`,
    )
    .action(async (opts: { scope?: TokenScope; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const owner = ownerOf(dir);
      const tokens = owner ? await owner.client.apiTokens() : ensureTokens(dir);
      if (opts.json) return printJson(opts.scope ? { [opts.scope]: tokens[opts.scope], rotatedAt: tokens.rotatedAt } : tokens);
      process.stdout.write(opts.scope ? `${tokens[opts.scope]}\n` : formatTokens(tokens) + '\n');
    });

  token
    .command('rotate')
    .description('replace a token (or both) with a new random one; the old one stops working at once')
    .option('--scope <scope>', 'full, read or all (default all)', scopeArg(true))
    .option('--dry-run', 'say which tokens would be replaced and change nothing')
    .option('--json', 'print {dryRun, rotated, tokens?} as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ opsdeck api token rotate --dry-run
  $ opsdeck api token rotate --scope read     # then update the scrape config
  $ opsdeck api token rotate --json

A running engine takes the new tokens at its next request; without one, the file is rewritten
and the next engine uses it.`,
    )
    .action(async (opts: { scope?: TokenScope | 'all'; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const dir = stackDir(cmd);
      const scope = opts.scope ?? 'all';
      const owner = ownerOf(dir);
      const result: TokenRotation = owner
        ? await owner.client.rotateApiTokens(scope, !!opts.dryRun)
        : rotateWithoutEngine(dir, scope === 'all' ? [...TOKEN_SCOPES] : [scope], !!opts.dryRun);
      if (opts.json) return printJson(result);
      const names = result.rotated.length === 1 ? `${result.rotated[0]} token` : 'full and read tokens';
      process.stdout.write(result.dryRun ? `would replace the ${names} (dry run, nothing changed)\n` : `replaced the ${names}; the old ${result.rotated.length === 1 ? 'one no longer works' : 'ones no longer work'}\n${formatTokens(result.tokens!)}\n`);
    });
}

function rotateWithoutEngine(dir: string, rotated: TokenScope[], dryRun: boolean): TokenRotation {
  return dryRun ? { dryRun, rotated } : { dryRun, rotated, tokens: rotateTokens(dir, rotated) };
}

async function accessWithoutEngine(dir: string): Promise<ApiAccess> {
  const listen = (await loadConfig(dir)).config.api.listen ?? null;
  return { socket: join(dir, '.opsdeck', 'run', 'engine.sock'), listen, url: listen ? listenUrl(listen) : null, tokenFile: tokenFile(dir), rotatedAt: readTokens(dir)?.rotatedAt ?? null };
}

function formatAccess(a: ApiAccess & { running: boolean }): string {
  const age = a.rotatedAt === null ? 'none yet: made on the first start with api.listen' : `made ${formatDuration(Date.now() - a.rotatedAt)} ago`;
  return [
    `socket   ${a.socket} ${dim('(owner only, no token)')}`,
    `tcp      ${a.url ?? dim('off (set api.listen in opsdeck.yaml)')}${a.url ? ` ${dim('(bearer token)')}` : ''}`,
    `tokens   ${a.tokenFile} ${dim(`(${age})`)}`,
    a.running ? '' : dim('no engine is running: this is what the next start serves'),
  ]
    .filter(Boolean)
    .join('\n');
}

function formatTokens(t: ApiTokens): string {
  return [`full  ${t.full}`, `read  ${t.read}  ${dim('(GET and HEAD only)')}`].join('\n');
}
