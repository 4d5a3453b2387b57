/**
 * The colours of the charts, read from the theme's `--vscode-*` CSS variables (canvas drawing
 * cannot use CSS variables directly), and a watch for theme changes: VS Code swaps the body's
 * class (vscode-dark, vscode-light, vscode-high-contrast, …) and rewrites the variables on
 * <html>, so both are observed.
 */

export interface Palette {
  /** One colour per service, in order (cycled). */
  series: string[];
  /** Axis labels. */
  text: string;
  /** Grid lines and ticks. */
  grid: string;
  /** The IPC score line. */
  accent: string;
  warn: string;
  critical: string;
  /** Canvas font shorthand, e.g. `11px "Segoe UI"`. */
  font: string;
  /** High Contrast themes: thicker lines. */
  highContrast: boolean;
}

const SERIES_VARS = ['--vscode-charts-blue', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-orange', '--vscode-charts-yellow', '--vscode-charts-red'];

/** The theme's colours now. Every fallback is another theme variable. */
export function readPalette(el: HTMLElement = document.body): Palette {
  const style = getComputedStyle(el);
  const v = (...names: string[]) => {
    for (const n of names) {
      const value = style.getPropertyValue(n).trim();
      if (value) return value;
    }
    return '';
  };
  const foreground = v('--vscode-foreground', '--vscode-editor-foreground') || 'CanvasText';
  const size = Number.parseFloat(v('--vscode-font-size')) || 13;
  const family = v('--vscode-font-family') || 'sans-serif';
  return {
    series: SERIES_VARS.map((n) => v(n, '--vscode-foreground') || foreground),
    text: v('--vscode-descriptionForeground', '--vscode-charts-foreground') || foreground,
    grid: v('--vscode-charts-lines', '--vscode-widget-border', '--vscode-panel-border') || foreground,
    accent: v('--vscode-charts-blue', '--vscode-focusBorder') || foreground,
    warn: v('--vscode-charts-yellow', '--vscode-editorWarning-foreground') || foreground,
    critical: v('--vscode-charts-red', '--vscode-errorForeground') || foreground,
    font: `${Math.max(9, Math.round(size * 0.85))}px ${family}`,
    highContrast: document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
  };
}

/** Call `fn` (once per frame at most) whenever the theme changes; returns the way to stop. */
export function onThemeChange(fn: () => void): () => void {
  let frame = 0;
  const fire = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      fn();
    });
  };
  const observer = new MutationObserver(fire);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind', 'data-vscode-theme-id'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => {
    observer.disconnect();
    if (frame) cancelAnimationFrame(frame);
  };
}
