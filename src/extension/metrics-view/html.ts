/**
 * The Metrics webview's HTML shell and its Content Security Policy (pure, no vscode): a CSP meta
 * tag that allows only this load's nonce for scripts and the webview's own resource origin for
 * styles and fonts, our stylesheets, an empty app root, and the nonce'd module script.
 */
import { randomBytes } from 'node:crypto';

/** A fresh nonce for each load of the webview: 128 random bits. */
export const createNonce = () => randomBytes(16).toString('hex');

/** The policy: nothing by default; our own scripts by nonce; styles, fonts and images from the webview's resource origin. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

export interface ShellAssets {
  cspSource: string;
  nonce: string;
  script: string;
  styles: string[];
  codicons: string;
}

/** The page: a CSP meta tag, our stylesheets, an empty app root and the nonce'd module script. */
export function webviewHtml(a: ShellAssets): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(a.cspSource, a.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" id="vscode-codicon-stylesheet" href="${attr(a.codicons)}" nonce="${attr(a.nonce)}">
${a.styles.map((s) => `  <link rel="stylesheet" href="${attr(s)}" nonce="${attr(a.nonce)}">`).join('\n')}
  <title>Opsdeck Metrics</title>
</head>
<body>
  <main id="app" aria-busy="true"><p class="loading">Loading metrics…</p></main>
  <script type="module" nonce="${attr(a.nonce)}" src="${attr(a.script)}"></script>
</body>
</html>`;
}
