/**
 * The webhook channel: one POST of JSON that Slack and Mattermost (`{text}`), ntfy (`{topic,
 * title, message, priority, tags}`, posted to the server's root URL) or any receiver (`json`: the
 * whole payload) accept. A status other than 2xx is a failure.
 */
import { OpsError } from '../../errors';
import type { AlertPayload } from '../message';

export type WebhookFormat = 'slack' | 'mattermost' | 'ntfy' | 'json';

export function webhookBody(p: AlertPayload, format: WebhookFormat, topic?: string): unknown {
  switch (format) {
    case 'slack':
    case 'mattermost':
      return { text: `*${p.title}*\n${p.text}` };
    case 'ntfy':
      return { topic, title: p.title, message: p.text, priority: p.phase === 'resolved' ? 3 : p.severity === 'critical' ? 5 : p.severity === 'warning' ? 4 : 3, tags: [p.phase === 'resolved' ? 'white_check_mark' : p.severity] };
    case 'json':
      return p;
  }
}

export async function sendWebhook(channel: string, url: string, body: unknown, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new OpsError('ALERT_CHANNEL_FAILED', `channel ${channel}: the webhook could not be reached: ${(e as Error).message}`, 'check the URL and the network');
  }
  await res.body?.cancel().catch(() => undefined);
  if (!res.ok) throw new OpsError('ALERT_CHANNEL_FAILED', `channel ${channel}: the webhook answered ${res.status} ${res.statusText}`, 'check the URL (a revoked token answers 403/404)');
}
