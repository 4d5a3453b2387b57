/**
 * Runs before any schema is built (it is main.ts's first import): zod must not probe for
 * `new Function`, which the webview's CSP (no 'unsafe-eval') forbids and would report.
 */
import * as z from 'zod';

z.config({ jitless: true });
