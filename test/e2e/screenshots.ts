/**
 * The pictures of docs/images/ that the e2e run writes (test/e2e/workbench.test.ts), so the docs
 * that show them (docs/install.md, docs/guides/extension.md, docs/sidebar.md) and the link check
 * (test/unit/docs-links.test.ts) name one list. A screenshot comes from the e2e run of the same
 * commit; the link check accepts one of these before that run has written it.
 */
export const E2E_SCREENSHOTS = {
  /** Developer: Show Running Extensions, with opsdeck.opsdeck activated (the extension as installed). */
  extensionInstalled: 'extension-installed.png',
  /** The Get Started walkthrough, open by itself on the first activation. */
  walkthrough: 'walkthrough.png',
  /** The whole window with the stack running: status bar items and the Services tree. */
  firstStack: 'first-stack.png',
  /** The command palette filtered to Opsdeck's commands. */
  commandPalette: 'command-palette.png',
  /** The sidebar at three widths and in three themes. */
  sidebar180: 'sidebar-180.png',
  sidebar300: 'sidebar-300.png',
  sidebar600: 'sidebar-600.png',
  sidebarDark: 'sidebar-dark.png',
  sidebarLight: 'sidebar-light.png',
  sidebarHc: 'sidebar-hc.png',
} as const;
