/**
 * Sends one alert payload to one channel of the stack's `alerts.channels` (webhook, email,
 * command) or to the desktop. `vscode` is not sent here: the alert event itself is what the
 * extension shows.
 */
import type { AlertChannelConfig } from '../../config/schema';
import { OpsError } from '../../errors';
import type { AlertPayload } from '../message';
import { runCommandChannel } from './command';
import { notifyDesktop } from './desktop';
import { readSecret } from './secrets';
import { sendMail } from './smtp';
import { sendWebhook, webhookBody } from './webhook';

export interface ChannelContext {
  stackDir: string;
  channels: Readonly<Record<string, AlertChannelConfig>>;
  env?: NodeJS.ProcessEnv;
}

export async function sendToChannel(name: string, payload: AlertPayload, ctx: ChannelContext): Promise<void> {
  if (name === 'vscode') return;
  if (name === 'desktop') {
    await notifyDesktop(payload.title, payload.text, payload.severity === 'critical' && payload.phase !== 'resolved');
    return;
  }
  const c = ctx.channels[name];
  if (!c) throw new OpsError('ALERT_CHANNEL_FAILED', `no channel named ${name}`, 'declare it under alerts.channels');
  switch (c.type) {
    case 'webhook': {
      const url = readSecret(name, 'webhook URL', { env: c.url_env, file: c.url_file }, ctx.stackDir, ctx.env)!;
      await sendWebhook(name, url, webhookBody(payload, c.format, c.topic), c.timeout);
      return;
    }
    case 'email': {
      const password = readSecret(name, 'SMTP password', { env: c.password_env, file: c.password_file }, ctx.stackDir, ctx.env);
      await sendMail({ host: c.host, port: c.port, tls: c.tls, user: c.user, password, from: c.from, to: c.to, subject: payload.title, text: payload.text, timeoutMs: c.timeout });
      return;
    }
    case 'command':
      await runCommandChannel(name, c.argv, payload, ctx.stackDir, c.timeout);
      return;
  }
}
