/**
 * Driving VS Code's web workbench (code-server) with playwright-core: the command palette,
 * quick picks, status bar items, the sidebar's panes, webview views (iframes) and notifications.
 * Selectors are VS Code 1.100's own DOM (code-server 4.100.3).
 */
import type { Frame, Locator, Page } from 'playwright-core';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; fails with `what` and the last value seen. */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e instanceof Error ? e.message.split('\n')[0] : e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}; last: ${typeof last === 'string' ? last : JSON.stringify(last)}`);
    await sleep(everyMs);
  }
}

/** The three built-in themes the sidebar is checked in, and the class VS Code puts on the workbench. */
export const THEMES = {
  dark: { setting: 'Default Dark Modern', label: 'Dark Modern', workbenchClass: 'vs-dark' },
  light: { setting: 'Default Light Modern', label: 'Light Modern', workbenchClass: 'vs' },
  hc: { setting: 'Default High Contrast', label: 'Dark High Contrast', workbenchClass: 'hc-black' },
} as const;
export type ThemeName = keyof typeof THEMES;

export class Workbench {
  constructor(readonly page: Page) {}

  async waitReady(timeoutMs = 90_000): Promise<void> {
    await this.page.waitForSelector('.monaco-workbench .statusbar', { timeout: timeoutMs });
    await this.page.waitForSelector('.monaco-workbench .activitybar', { timeout: timeoutMs });
  }

  /** A status bar item by the id the extension gave it (VS Code prefixes it with the extension id). */
  statusItem(id: string): Locator {
    return this.page.locator(`.statusbar-item[id$="${id}"]`).first();
  }

  /** Text, codicons (`$(name)`) and kind (warning, error, ...) of a status bar item, or undefined. */
  async readStatusItem(id: string): Promise<{ text: string; icons: string[]; classes: string } | undefined> {
    const item = this.statusItem(id);
    if ((await item.count()) === 0) return undefined;
    const text = (await item.innerText()).replace(/\s+/g, ' ').trim();
    const classes = (await item.getAttribute('class')) ?? '';
    const iconClasses = await item.locator('.codicon').evaluateAll((els) => els.map((e) => (e as unknown as { className: string }).className));
    const icons = iconClasses.flatMap((c) => c.split(/\s+/).filter((x) => x.startsWith('codicon-')).map((x) => x.slice('codicon-'.length)));
    return { text, icons, classes };
  }

  async waitForStatus(id: string, what: string, pred: (s: { text: string; icons: string[]; classes: string }) => boolean, timeoutMs = 30_000) {
    let last: unknown;
    return until(
      `status bar ${id}: ${what}`,
      async () => {
        const s = await this.readStatusItem(id);
        last = s;
        return s && pred(s) ? s : undefined;
      },
      timeoutMs,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (item: ${JSON.stringify(last)})`);
    });
  }

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Rows of the open quick input: their aria-labels. */
  async quickRows(): Promise<string[]> {
    const rows = this.quickInput.locator('.quick-input-list .monaco-list-row');
    return (await rows.evaluateAll((els) => els.map((e) => (e as unknown as { getAttribute(n: string): string | null }).getAttribute('aria-label') ?? ''))).map(String);
  }

  /**
   * Types `text` into the open quick input and picks the row whose label is `label` (aria-labels
   * are "label, detail/keybinding"): picked by click, not by Enter on whatever is first.
   */
  async pick(label: string, text = label, timeoutMs = 15_000): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(text);
    const matches = (l: string) => l === label || l.startsWith(`${label},`) || l.startsWith(`${label} `);
    const index = await until(
      `"${label}" in the quick pick`,
      async () => {
        const i = (await this.quickRows()).findIndex(matches);
        return i >= 0 ? i + 1 : undefined;
      },
      timeoutMs,
    ).catch(async (e: Error) => {
      const rows = await this.quickRows().catch(() => []);
      await this.page.keyboard.press('Escape');
      throw new Error(`${e.message} (rows: ${JSON.stringify(rows)})`);
    });
    await this.quickInput.locator('.quick-input-list .monaco-list-row').nth(index - 1).click();
  }

  /** F1, then the command by its palette title (`Category: Title`). */
  async runCommand(title: string): Promise<void> {
    await this.closeQuickInput();
    await this.page.keyboard.press('F1');
    await this.pick(title, `>${title}`);
  }

  async closeQuickInput(): Promise<void> {
    if (await this.quickInput.isVisible().catch(() => false)) await this.page.keyboard.press('Escape');
  }

  /** Opens the Opsdeck activity bar container (its icon, else the Services view's focus command). */
  async openOpsdeckSidebar(): Promise<Locator> {
    const icon = this.page.locator('.activitybar .action-item a[aria-label^="Opsdeck"]').first();
    if ((await icon.count()) > 0) {
      const checked = ((await icon.locator('xpath=..').getAttribute('class')) ?? '').includes('checked');
      if (!checked) await icon.click();
    } else {
      await this.runCommand('Opsdeck: Focus on Services View');
    }
    const services = this.pane('Services');
    await services.waitFor({ state: 'visible', timeout: 20_000 });
    return this.page.locator('.part.sidebar');
  }

  /** A pane of the sidebar by its title (the header's aria-label is "<Title> Section"). */
  pane(title: string): Locator {
    return this.page.locator(`.part.sidebar .pane:has(.pane-header[aria-label^="${title} Section"])`).first();
  }

  /** Expands a pane if it is collapsed. */
  async expandPane(title: string): Promise<void> {
    const header = this.page.locator(`.part.sidebar .pane-header[aria-label^="${title} Section"]`).first();
    await header.waitFor({ state: 'visible', timeout: 20_000 });
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  }

  /** Text of the tree rows of a pane, one string per row. */
  async treeRows(title: string): Promise<string[]> {
    const rows = this.pane(title).locator('.monaco-list-row');
    return (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /**
   * The content frame of an extension's webview view: VS Code puts each webview in an iframe
   * (`extensionId=` in its URL) holding the extension's document in a child iframe.
   */
  webviewFrame(extensionId: string, purpose = 'webviewView'): Frame | undefined {
    for (const f of this.page.frames()) {
      const url = f.url();
      if (!url.includes(`extensionId=${encodeURIComponent(extensionId)}`) && !url.includes(`extensionId=${extensionId}`)) continue;
      if (purpose && !url.includes(`purpose=${purpose}`)) continue;
      const inner = f.childFrames()[0];
      if (inner) return inner;
    }
    return undefined;
  }

  /**
   * The webview's content frame as it is now. VS Code may replace a webview's iframes (when the
   * sidebar's panes are laid out again), and a frame held from before is then detached: polls
   * look the frame up on every try through this.
   */
  async liveWebviewFrame(extensionId: string, timeoutMs = 30_000): Promise<Frame> {
    return until('the webview frame of ' + extensionId, () => {
      const f = this.webviewFrame(extensionId);
      return f && !f.isDetached() ? f : undefined;
    }, timeoutMs);
  }

  async frameText(frame: Frame): Promise<string> {
    return (await frame.locator('body').innerText()).replace(/\s+/g, ' ').trim();
  }

  /** Clicks the button `label` of the modal dialog on screen (waits for it). */
  async answerDialog(label: string, timeoutMs = 15_000): Promise<void> {
    const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const button = this.page.locator('.monaco-dialog-box .dialog-buttons .monaco-button', { hasText: exact }).first();
    await button.waitFor({ state: 'visible', timeout: timeoutMs });
    await button.click();
  }

  /** Texts of the notification toasts on screen and of the notification center's list. */
  async notifications(): Promise<string[]> {
    const toasts = await this.page.locator('.notifications-toasts .notification-list-item').allInnerTexts();
    const center = await this.page.locator('.notifications-center .notification-list-item').allInnerTexts();
    return [...toasts, ...center].map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** Switches the color theme through "Preferences: Color Theme" and waits for the workbench to show it. */
  async setTheme(name: ThemeName): Promise<void> {
    const theme = THEMES[name];
    if (await this.hasTheme(name)) return;
    await this.runCommand('Preferences: Color Theme');
    await this.pick(theme.label);
    await until(`the ${theme.label} theme`, () => this.hasTheme(name), 15_000);
  }

  async hasTheme(name: ThemeName): Promise<boolean> {
    const classes = ((await this.page.locator('.monaco-workbench').first().getAttribute('class')) ?? '').split(/\s+/);
    return classes.includes(THEMES[name].workbenchClass);
  }
}

/** Drags the sash on the sidebar's right edge until the sidebar is `width` px wide (± 2). */
export async function setSidebarWidth(page: Page, width: number): Promise<number> {
  const sidebar = page.locator('.part.sidebar').first();
  for (let attempt = 0; attempt < 3; attempt++) {
    const box = await sidebar.boundingBox();
    if (!box) throw new Error('no sidebar on screen');
    if (Math.abs(box.width - width) <= 2) return box.width;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width + (width - box.width) / 2, y, { steps: 4 });
    await page.mouse.move(box.x + width, y, { steps: 4 });
    await page.mouse.up();
    await sleep(300);
  }
  return (await sidebar.boundingBox())?.width ?? 0;
}

/** A text of the page whose colour does not stand out enough from its background. */
export interface ContrastProblem {
  text: string;
  color: string;
  background: string;
  ratio: number;
}

/**
 * The contrast of every visible text of a frame (shadow roots included) against the background
 * it is drawn on, computed in the page: getComputedStyle colours, the first opaque background up
 * the (flat) tree, WCAG relative luminance. Disabled controls are left out (WCAG exempts them).
 * Answers the lowest ratio found and every text below `min`.
 */
export async function textContrast(frame: Frame, min = 4.5): Promise<{ checked: number; lowest: number; problems: ContrastProblem[] }> {
  return frame.evaluate(`((min) => {
    const parse = (c) => {
      const m = /rgba?\\(([^)]+)\\)/.exec(c);
      if (!m) return undefined;
      const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const over = (fg, bg) => ({ r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a), a: 1 });
    const lum = (c) => {
      const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
      return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
    };
    const up = (el) => el.assignedSlot || el.parentElement || (el.getRootNode() && el.getRootNode().host) || null;
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = up(e)) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
      }
      let bg = parse(getComputedStyle(document.body).backgroundColor);
      if (!bg || bg.a < 1) bg = parse(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 };
      if (bg.a < 1) bg = { ...bg, a: 1 };
      for (const l of layers.reverse()) bg = over(l, bg);
      return bg;
    };
    const hidden = (el) => {
      for (let e = el; e; e = up(e)) {
        if (e.hasAttribute && (e.hasAttribute('disabled') || e.getAttribute('aria-disabled') === 'true' || e.hasAttribute('hidden'))) return true;
        const s = getComputedStyle(e);
        if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return true;
      }
      return false;
    };
    const problems = [];
    let checked = 0;
    let lowest = 21;
    const visit = (root) => {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
      for (let el = walker.currentNode; el; el = walker.nextNode()) {
        if (el.shadowRoot) visit(el.shadowRoot);
        if (!(el instanceof Element) || ['SCRIPT', 'STYLE', 'TITLE'].includes(el.tagName)) continue;
        const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(' ');
        if (!own) continue;
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 || rect.height === 0 || hidden(el)) continue;
        const fg = parse(getComputedStyle(el).color);
        if (!fg) continue;
        const bg = background(el);
        const text = over(fg, bg);
        const [a, b] = [lum(text), lum(bg)].sort((x, y) => y - x);
        const ratio = (a + 0.05) / (b + 0.05);
        checked++;
        lowest = Math.min(lowest, ratio);
        if (ratio < min) problems.push({ text: own.slice(0, 60), color: getComputedStyle(el).color, background: 'rgb(' + [bg.r, bg.g, bg.b].map(Math.round).join(', ') + ')', ratio: Math.round(ratio * 100) / 100 });
      }
    };
    visit(document.body);
    return { checked, lowest: Math.round(lowest * 100) / 100, problems };
  })(${min})`);
}

/** The Metrics view's header numbers (its data attributes) and the snapshot seq it shows. */
export async function webviewHeader(frame: Frame): Promise<{ ready?: number; total?: number; seq: number; text: string } | undefined> {
  return frame.evaluate(`(() => {
    const s = document.getElementById('summary');
    if (!s) return undefined;
    const n = (v) => (v === undefined ? undefined : Number(v));
    return { ready: n(s.dataset.ready), total: n(s.dataset.total), seq: Number(s.dataset.seq), text: s.innerText.replace(/\\s+/g, ' ').trim() };
  })()`);
}
