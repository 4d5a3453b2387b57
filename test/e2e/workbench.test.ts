/**
 * UI end to end: the extension under development loaded into code-server's workbench (VS Code
 * 1.100.3) on a copy of examples/default with free ports, driven with playwright-core and
 * Debian's chromium, as a user sees it: status bar, command palette, the Services tree, the
 * Metrics webview, a crash notification; the status bar, the tree and the webview's header
 * agreeing after a stop and a start; the sidebar at 180, 300 and 600 px (screenshots
 * docs/images/sidebar-{180,300,600}.png) and in three themes (docs/images/sidebar-{dark,light,hc}.png),
 * each checked for its texts in the DOM and for the contrast of the webview's texts. The pictures
 * the guides show (docs/install.md, docs/guides/extension.md) are taken on the way, each after
 * its texts are checked: the extension in the Extensions view, the walkthrough, the first stack
 * running, the command palette (the list is test/e2e/screenshots.ts).
 *
 * Everything started here is stopped in `after`, also on failure: chromium, code-server, the
 * stack (through the engine's API, then by killing whatever still works in the temp folder).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  buildExtension,
  ensureCodeServer,
  killProcessesUsing,
  launchChromium,
  prepareWorkspace,
  processesUsing,
  ROOT,
  startCodeServer,
  tail,
  workbenchUrl,
  writeUserSettings,
  type RunningCodeServer,
  type Workspace,
} from '../../scripts/vscode/lib.mjs';
import { ApiClient } from '../../src/core/client/api-client';
import { E2E_SCREENSHOTS } from './screenshots';
import { setSidebarWidth, textContrast, THEMES, until, webviewHeader, Workbench, type ThemeName } from './workbench';

const EXTENSION_ID = 'opsdeck.opsdeck';
const manifestVersion = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const SERVICES = ['storage', 'messaging', 'api'];
const IMAGES = path.join(ROOT, 'docs', 'images');

/** Saves a screenshot of the page (or of one part of it) as docs/images/<name> and checks it is a real picture. */
async function screenshot(target: Page | Locator, name: (typeof E2E_SCREENSHOTS)[keyof typeof E2E_SCREENSHOTS]): Promise<void> {
  mkdirSync(IMAGES, { recursive: true });
  const file = path.join(IMAGES, name);
  await target.screenshot({ path: file });
  assert.ok(statSync(file).size > 1000, `${file} is a real picture`);
}

describe('e2e: the extension in code-server, driven by chromium', function () {
  this.timeout(120_000);
  let run = '';
  let workspace: Workspace | undefined;
  let codeServer: RunningCodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let wb: Workbench;
  let client: ApiClient;

  const engineStatus = async () => client.status();
  const pidOf = async (service: string) => {
    const pid = (await engineStatus()).services.find((s) => s.name === service)?.pid;
    assert.ok(pid, `${service} has a pid`);
    return pid;
  };
  const allReady = async () => (await engineStatus()).services.every((s) => s.state === 'ready');
  /** Each test after the first starts from a running stack, whatever the one before left. */
  const ensureAllReady = async () => {
    if ((await engineStatus().catch(() => undefined))?.profile !== 'dev') await client.useProfile('dev').catch(() => undefined);
    if (await allReady().catch(() => false)) return;
    await client.up();
    await until('every service ready', allReady, 60_000, 250);
  };
  const waitStatusReady = () => wb.waitForStatus('opsdeck.status', '$(pulse) 3/3', (s) => s.icons.includes('pulse') && /\b3\/3\b/.test(s.text), 60_000);

  before(async function () {
    this.timeout(600_000); // the first run installs code-server (about a minute)
    const cs = await ensureCodeServer({ log: (m) => console.log(`      ${m}`) });
    buildExtension();
    run = mkdtempSync(path.join(os.tmpdir(), 'opsdeck-e2e-'));
    workspace = await prepareWorkspace({ parent: run });
    client = new ApiClient(workspace.socket, { timeoutMs: 30_000 });
    const userData = path.join(run, 'user-data');
    writeUserSettings(userData, { 'workbench.colorTheme': THEMES.dark.setting });
    codeServer = await startCodeServer({
      codeServer: cs,
      folder: workspace.dir,
      userDataDir: userData,
      extensionsDir: path.join(run, 'extensions'),
      logFile: path.join(run, 'code-server.log'),
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    wb = new Workbench(page);
    await page.goto(workbenchUrl(codeServer.port, { folder: workspace.dir, extensionDevelopmentPath: ROOT }), { waitUntil: 'domcontentloaded' });
    await wb.waitReady();
  });

  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    const problems: string[] = [];
    if (failed || process.env.OPSDECK_E2E_DEBUG) {
      await page?.screenshot({ path: path.join(run, 'failure.png') }).catch(() => undefined);
      console.log(`      code-server.log:\n${tail(path.join(run, 'code-server.log'), 20)}`);
    }
    await browser?.close().catch(() => undefined);
    if (workspace && existsSync(workspace.socket)) await client.down().catch(() => undefined);
    await codeServer?.stop().catch(() => undefined);
    if (run) {
      const left = await killProcessesUsing([run]);
      if (left.length) console.log(`      killed leftovers: ${left.map((p) => `${p.pid} ${p.cmd.slice(0, 120)}`).join('; ')}`);
      const still = processesUsing([run]);
      if (still.length) problems.push(`processes left running: ${still.map((p) => p.pid).join(', ')}`);
      if (process.env.OPSDECK_E2E_KEEP || process.env.OPSDECK_E2E_DEBUG) console.log(`      kept ${run}`);
      else rmSync(run, { recursive: true, force: true });
    }
    assert.deepEqual(problems, []);
  });

  it('the Get Started walkthrough opens by itself on the first activation in a new workspace', async () => {
    const walkthrough = page.getByText('Get started with Opsdeck').first();
    await walkthrough.waitFor({ state: 'visible', timeout: 60_000 });
    assert.ok(await walkthrough.isVisible(), 'the walkthrough is shown');
    // Its steps, then the picture of docs/install.md and docs/guides/extension.md.
    await until('the walkthrough\'s steps', async () => {
      const t = (await page.locator('.part.editor').innerText()).replace(/\s+/g, ' ');
      return ['Create a stack', 'Start it', 'Open the sidebar', 'Take a backup'].every((step) => t.includes(step)) ? t : undefined;
    }, 30_000);
    await screenshot(page, E2E_SCREENSHOTS.walkthrough);
    // Close it (it takes the focus): the next tests drive the palette. Its tab's close button does
    // not depend on where the focus is while the page still renders.
    await until('the walkthrough closed', async () => {
      await page.locator('.tabs-container .tab.active .codicon-close').first().click({ timeout: 2000 }).catch(() => undefined);
      return (await walkthrough.isVisible()) ? undefined : true;
    }, 30_000, 500);
  });

  it('the status bar shows the profile, then status and IPC once the stack is started from the palette', async () => {
    await wb.waitForStatus('opsdeck.profile', '$(layers) dev', (s) => s.icons.includes('layers') && s.text === 'dev', 60_000);
    await wb.runCommand('Opsdeck: Start Stack');
    await waitStatusReady();
    await wb.waitForStatus('opsdeck.ipc', 'IPC n', (s) => /^IPC \d+$/.test(s.text));
    assert.ok(await allReady(), 'the engine says every service is ready');
  });

  it('the first stack running: status bar and Services tree, every service ready (docs/images/first-stack.png)', async () => {
    await ensureAllReady();
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await wb.openOpsdeckSidebar();
    await wb.expandPane('Services');
    await wb.expandPane('Metrics');
    await until('the Metrics webview with every service and 3/3', async () => {
      const t = await wb.frameText(await wb.liveWebviewFrame(EXTENSION_ID));
      return SERVICES.every((s) => t.includes(s)) && t.includes('3/3') ? t : undefined;
    }, 30_000);
    await until('three ready rows in the Services tree', async () => {
      const rows = await wb.treeRows('Services');
      return SERVICES.every((s) => rows.some((r) => r.includes(s) && /ready/.test(r))) ? rows : undefined;
    }, 30_000);
    await waitStatusReady();
    await page.mouse.click(1000, 450);
    await page.waitForTimeout(300);
    await screenshot(page, E2E_SCREENSHOTS.firstStack);
  });

  it('the command palette lists Opsdeck\'s commands (docs/images/command-palette.png)', async () => {
    await wb.closeQuickInput();
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('>Opsdeck: ');
    let seen: string[] = [];
    const rows = await until('Opsdeck commands in the palette', async () => {
      seen = await wb.quickRows();
      // The list is virtual: only the first rows (alphabetical) are in the DOM.
      return seen.length >= 10 && ['Opsdeck: Apply opsdeck.yaml Changes', 'Opsdeck: Backup Now', 'Opsdeck: Clean Up…'].every((t) => seen.some((row) => row.startsWith(t))) ? seen : undefined;
    }, 15_000).catch((e: Error) => {
      throw new Error(`${e.message} (rows: ${JSON.stringify(seen)})`);
    });
    assert.ok(rows.every((r) => r.startsWith('Opsdeck: ')), `only Opsdeck commands: ${JSON.stringify(rows)}`);
    await screenshot(page, E2E_SCREENSHOTS.commandPalette);
    await page.keyboard.press('Escape');
  });

  it('Developer: Show Running Extensions lists Opsdeck, activated (docs/images/extension-installed.png)', async () => {
    // The extension under test is loaded from its folder (extensionDevelopmentPath), which the
    // Extensions view does not list; the running extensions do, as they do an installed VSIX.
    await wb.runCommand('Developer: Show Running Extensions');
    const text = await until('Opsdeck among the running extensions', async () => {
      const t = (await page.locator('.part.editor').innerText().catch(() => '')).replace(/\s+/g, ' ');
      return t.includes(EXTENSION_ID) ? t : undefined;
    }, 30_000);
    assert.match(text, new RegExp(`${EXTENSION_ID.replace('.', '\\.')} ${manifestVersion.replace(/\./g, '\\.')}`), 'the id and version of the extension');
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    await page.mouse.click(1000, 850);
    await page.waitForTimeout(300);
    await screenshot(page, E2E_SCREENSHOTS.extensionInstalled);
    await wb.runCommand('View: Close All Editors').catch(() => undefined);
  });

  it('Switch Profile from the command palette (pick minimal) changes the status bar; back to dev', async () => {
    await ensureAllReady();
    await wb.runCommand('Opsdeck: Switch Profile');
    await wb.pick('minimal');
    // It stops messaging and api: the question first.
    await wb.answerDialog('Switch');
    await wb.waitForStatus('opsdeck.profile', '$(layers) minimal', (s) => s.text === 'minimal');
    await until('the engine on profile minimal', async () => (await engineStatus()).profile === 'minimal');
    await wb.waitForStatus('opsdeck.status', 'not 3/3 any more', (s) => !/\b3\/3\b/.test(s.text));

    await wb.runCommand('Opsdeck: Switch Profile');
    await wb.pick('dev');
    await wb.waitForStatus('opsdeck.profile', '$(layers) dev', (s) => s.text === 'dev');
    await until('the engine on profile dev', async () => (await engineStatus()).profile === 'dev');
    await waitStatusReady();
  });

  it('the Services tree lists every service and follows its state live', async () => {
    await ensureAllReady();
    await wb.openOpsdeckSidebar();
    await wb.expandPane('Services');
    const row = (name: string, list: string[]) => list.find((r) => r.includes(name)) ?? '';
    // The tree follows the engine: after the profile switches of the test before, its rows may
    // still be catching up, so wait for every service's row to say ready.
    let rows: string[] = [];
    await until('three service rows, messaging ready', async () => {
      rows = await wb.treeRows('Services');
      return SERVICES.every((s) => rows.some((r) => r.includes(s))) && /ready/i.test(row('messaging', rows)) ? rows : undefined;
    }, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(rows)}`);
    });
    // A change made outside the UI (through the engine's API) shows up in the tree.
    await client.stop('messaging');
    try {
      await until('the messaging row to say stopped', async () => /stopped/i.test(row('messaging', await wb.treeRows('Services'))), 20_000);
    } finally {
      await client.start('messaging');
    }
    await until('the messaging row to say ready again', async () => /ready/i.test(row('messaging', await wb.treeRows('Services'))), 30_000);
    await waitStatusReady();
  });

  it('the Metrics webview renders the services and the IPC score, and updates live', async () => {
    await ensureAllReady();
    await wb.openOpsdeckSidebar();
    await wb.expandPane('Metrics');
    await until('service names and IPC in the Metrics webview', async () => {
      const t = await wb.frameText(await wb.liveWebviewFrame(EXTENSION_ID));
      return SERVICES.every((s) => t.includes(s)) && /IPC/i.test(t) ? t : undefined;
    }, 30_000);
    // Live: every metrics sample is a new snapshot of the store, with a higher seq.
    const first = (await webviewHeader(await wb.liveWebviewFrame(EXTENSION_ID)))?.seq ?? -1;
    await until('a newer snapshot in the Metrics webview (live samples)', async () => ((await webviewHeader(await wb.liveWebviewFrame(EXTENSION_ID)))?.seq ?? -1) > first, 30_000, 500);
  });

  it('after a stop and a start from the palette, the status bar, the Services tree and the Metrics header agree', async () => {
    await ensureAllReady();
    await wb.openOpsdeckSidebar();
    await wb.expandPane('Services');
    await wb.expandPane('Metrics');
    const read = async () => {
      const bar = /(\d+)\/(\d+)/.exec((await wb.readStatusItem('opsdeck.status'))?.text ?? '');
      const rows = (await wb.treeRows('Services')).filter((r) => SERVICES.some((s) => r.includes(s)));
      const frame = await wb.liveWebviewFrame(EXTENSION_ID);
      const header = await webviewHeader(frame);
      const buttons = (await frame.evaluate(`(() => {
        const b = (id) => document.getElementById(id);
        return { stopPrimary: !b('stop').secondary, startPrimary: !b('start').secondary,
          actions: [...document.querySelectorAll('.service-row')].map((r) => r.querySelector('vscode-toolbar-button').label) };
      })()`)) as { stopPrimary: boolean; startPrimary: boolean; actions: string[] };
      return {
        bar: bar ? [Number(bar[1]), Number(bar[2])] : undefined,
        // A row's text is its label and description run together ("storageready · up 2m …").
        tree: [rows.filter((r) => /ready/.test(r)).length, rows.length],
        webview: [header?.ready, header?.total],
        ...buttons,
      };
    };
    const agree = async (ready: number) => {
      let last: unknown;
      return until(`status bar, tree and webview header all at ${ready}/3`, async () => {
        const r = await read();
        last = r;
        const same = [r.bar, r.tree, r.webview].every((x) => JSON.stringify(x) === JSON.stringify([ready, 3]));
        return same ? r : undefined;
      }, 60_000, 200).catch((e: Error) => {
        throw new Error(`${e.message} (last: ${JSON.stringify(last)})`);
      });
    };
    const running = await agree(3);
    assert.ok(running.stopPrimary && !running.startPrimary, `Stop is the primary button while running: ${JSON.stringify(running)}`);
    assert.deepEqual(running.actions, SERVICES.map((s) => `Restart ${s}`));

    await wb.runCommand('Opsdeck: Stop Stack');
    const stopped = await agree(0);
    assert.ok(stopped.startPrimary && !stopped.stopPrimary, `Start is the primary button while stopped: ${JSON.stringify(stopped)}`);
    assert.deepEqual(stopped.actions, SERVICES.map((s) => `Start ${s}`), 'a stopped service\'s action reads Start, as in the tree');

    await wb.runCommand('Opsdeck: Start Stack');
    await agree(3);
    await waitStatusReady();
  });

  it('the sidebar at 180, 300 and 600 px: nothing cut off or scrolled sideways, charts taller when wider (docs/images/sidebar-<width>.png)', async () => {
    await ensureAllReady();
    await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
    const sidebar = await wb.openOpsdeckSidebar();
    await wb.expandPane('Services');
    await wb.expandPane('Metrics');
    await until('the Metrics webview with every service', async () => {
      const t = await wb.frameText(await wb.liveWebviewFrame(EXTENSION_ID));
      return SERVICES.every((s) => t.includes(s)) ? t : undefined;
    }, 30_000);
    const heights: Record<number, number> = {};
    for (const width of [180, 300, 600]) {
      const got = await setSidebarWidth(page, width);
      assert.ok(Math.abs(got - width) <= 2, `the sidebar is ${got} px wide, wanted ${width}`);
      const layout = await until(`the Metrics webview laid out at ${width} px`, async () => {
        const l = (await (await wb.liveWebviewFrame(EXTENSION_ID)).evaluate(`(() => {
          const doc = document.documentElement;
          const chart = document.querySelector('#chart-cpu');
          const wrap = chart && chart.querySelector('.u-wrap');
          const lines = (e) => { const r = document.createRange(); r.selectNodeContents(e); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; };
          // Cut off, pushed off the side, or a name broken over lines ("C… M… Ac…", "stora/ge").
          const cut = [...document.querySelectorAll('.service-name, .backup-name, .header-item, vscode-button')]
            .filter((e) => e.getBoundingClientRect().width > 0 && (e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > doc.clientWidth + 1 || (e.matches('.service-name') && lines(e) > 1)))
            .map((e) => e.textContent.trim());
          return { width: doc.clientWidth, scrollWidth: doc.scrollWidth, chartWidth: chart ? chart.clientWidth : 0,
            plotWidth: wrap ? wrap.getBoundingClientRect().width : 0, plotHeight: wrap ? wrap.getBoundingClientRect().height : 0,
            names: [...document.querySelectorAll('.service-name')].map((e) => e.textContent), cut };
        })()`)) as { width: number; scrollWidth: number; chartWidth: number; plotWidth: number; plotHeight: number; names: string[]; cut: string[] };
        return l.plotHeight > 0 && Math.abs(l.plotWidth - l.chartWidth) <= 1 && l.width > width - 60 && SERVICES.every((s) => l.names.includes(s)) ? l : undefined;
      }, 20_000, 200);
      assert.ok(layout.scrollWidth <= layout.width + 1, `no sideways scrolling at ${width} px: ${JSON.stringify(layout)}`);
      assert.deepEqual(layout.cut, [], `nothing cut off at ${width} px`);
      heights[width] = layout.plotHeight;
      await page.mouse.click(1000, 450);
      await page.waitForTimeout(300);
      await screenshot(sidebar, E2E_SCREENSHOTS[`sidebar${width as 180 | 300 | 600}`]);
    }
    assert.ok(heights[600]! > heights[300]! && heights[300]! >= heights[180]!, `chart heights grow with the width: ${JSON.stringify(heights)}`);
    await setSidebarWidth(page, 300);
  });

  it('kill -9 of a service turns the status bar to warning and raises a notification', async () => {
    await ensureAllReady();
    // Record every class the status item takes: the warning lasts only until storage is back.
    await page.evaluate(`(() => {
      window.__opsdeckKinds = [];
      const read = () => document.querySelector('.statusbar-item[id$="opsdeck.status"]')?.className ?? '';
      window.__opsdeckKinds.push(read());
      window.__opsdeckObserver = new MutationObserver(() => window.__opsdeckKinds.push(read()));
      window.__opsdeckObserver.observe(document.querySelector('.statusbar'), { attributes: true, childList: true, subtree: true });
    })()`);
    const pid = await pidOf('storage');
    process.kill(pid, 'SIGKILL');
    try {
      await until('a warning (or error) status bar item', async () => {
        const kinds = (await page.evaluate('window.__opsdeckKinds')) as string[];
        return kinds.some((k) => /\b(warning|error)-kind\b/.test(k));
      }, 20_000, 50);
      const note = await until('a notification about storage', async () => (await wb.notifications()).find((n) => n.includes('storage')), 30_000, 100);
      assert.ok(note);
    } finally {
      await page.evaluate('window.__opsdeckObserver?.disconnect()');
    }
    await until('storage restarted (new pid) and every service ready', async () => (await pidOf('storage')) !== pid && (await allReady()), 30_000);
    await waitStatusReady();
  });

  const SIDEBAR_SHOT = { dark: 'sidebarDark', light: 'sidebarLight', hc: 'sidebarHc' } as const;
  for (const theme of ['dark', 'light', 'hc'] as ThemeName[]) {
    it(`sidebar screenshot in ${THEMES[theme].label}: docs/images/sidebar-${theme}.png, with its texts`, async () => {
      await ensureAllReady();
      await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
      await wb.setTheme(theme);
      const sidebar = await wb.openOpsdeckSidebar();
      await wb.expandPane('Services');
      await wb.expandPane('Metrics');
      await waitStatusReady();
      // The DOM text of the view (not pixels): headers and every service in the tree...
      const text = await until('the sidebar with every service', async () => {
        const t = (await sidebar.innerText()).replace(/\s+/g, ' ');
        return /services/i.test(t) && /metrics/i.test(t) && SERVICES.every((s) => t.includes(s)) ? t : undefined;
      }, 30_000);
      assert.ok(text);
      // ...and in the webview.
      await until('the Metrics webview with every service, 3/3 and the IPC score', async () => {
        const t = await wb.frameText(await wb.liveWebviewFrame(EXTENSION_ID));
        return SERVICES.every((s) => t.includes(s)) && t.includes('3/3') && /IPC/.test(t) ? t : undefined;
      }, 30_000);
      // No focus outline or hover highlight in the picture: focus the (empty) editor area.
      await page.mouse.click(1000, 450);
      await page.waitForTimeout(500); // let the theme's colours settle in the webview
      await screenshot(sidebar, E2E_SCREENSHOTS[SIDEBAR_SHOT[theme]]);
      // Every text of the webview against its background, computed from the page: WCAG AA.
      const contrast = await textContrast(await wb.liveWebviewFrame(EXTENSION_ID), 4.5);
      assert.ok(contrast.checked >= 10, `texts checked: ${contrast.checked}`);
      assert.deepEqual(contrast.problems, [], `texts under 4.5:1 in ${THEMES[theme].label} (lowest ${contrast.lowest})`);
    });
  }

  it('a snapshot manifest that cannot be read is named in the Metrics webview\'s Backups section, and the warning goes once it is removed', async () => {
    await ensureAllReady();
    await wb.openOpsdeckSidebar();
    await wb.expandPane('Metrics');
    const warning = async () => ((await (await wb.liveWebviewFrame(EXTENSION_ID)).evaluate(`document.querySelector('.backup-unreadable')?.textContent ?? ''`)) as string).replace(/\s+/g, ' ').trim();
    await client.backup({}); // the repository and a good snapshot
    const damaged = path.join(workspace!.dir, '.opsdeck', 'backups', 'snapshots', 'ab'.repeat(32));
    writeFileSync(damaged, 'this is not a manifest\n');
    try {
      await client.backup({}); // its events make the extension read the backup status again
      const text = await until('the warning in the Backups section', async () => ((await warning()).includes('cannot be read') ? warning() : undefined), 30_000, 300);
      assert.equal(text, '1 snapshot manifest cannot be read (abababab): run Opsdeck: Verify Backups.');
    } finally {
      rmSync(damaged, { force: true });
    }
    await client.backup({});
    await until('the warning gone', async () => ((await warning()) === '' ? true : undefined), 30_000, 300);
  });
});
