/**
 * One uPlot chart in a section of the view: coloured from the theme palette, sized to its
 * container, described in words for screen readers (the container is `role="img"` with the
 * summary as its label; the canvas and legend are hidden from them). Its height follows its
 * width (a wide sidebar gets taller charts). A theme change or a new set of series rebuilds the
 * chart; new data only calls setData.
 */
import uPlot from 'uplot';
import { clockMinutes, formatNumber } from './format';
import { chartHeight, niceMax, type ChartData } from './series';
import type { Palette } from './theme';

export interface ChartSpec {
  /** A fixed y range (the IPC score is 0 to 100). */
  yRange?: [number, number];
  /** Rows of a timeline instead of a value axis: points only, one row per name. */
  rows?: boolean;
  /** The colour of y column `i` (0-based) given its service's index. */
  color: (palette: Palette, i: number, meta: { service: string; serviceIndex: number }) => string;
}

export interface ChartInput {
  chart: ChartData;
  /** The x range in ms: [since, until]. */
  range: [number, number];
  summary: string;
  /** All services in display order, for stable colours. */
  services: readonly string[];
  /** Row names of a timeline. */
  rows?: readonly string[];
}

export class Chart {
  private plot: uPlot | undefined;
  private signature = '';
  private rowCount = 1;
  private xRange: [number, number] = [0, 1];
  private readonly resize: ResizeObserver;
  private readonly canvasHost: HTMLElement;

  constructor(
    private readonly container: HTMLElement,
    private readonly spec: ChartSpec,
    private palette: Palette,
  ) {
    container.classList.add('chart');
    container.setAttribute('role', 'img');
    this.canvasHost = document.createElement('div');
    this.canvasHost.setAttribute('aria-hidden', 'true');
    container.append(this.canvasHost);
    this.resize = new ResizeObserver(() => {
      const width = this.width();
      if (this.plot && width > 0 && width !== this.plot.width) this.plot.setSize({ width, height: this.height(width) });
    });
    this.resize.observe(container);
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.signature = '';
  }

  update(input: ChartInput): void {
    this.container.setAttribute('aria-label', input.summary);
    this.xRange = [input.range[0] / 1000, input.range[1] / 1000];
    const width = this.width();
    if (width <= 0) return;
    this.rowCount = input.rows?.length ?? 1;
    const signature = JSON.stringify([input.chart.series, input.rows ?? [], input.services]);
    const data = input.chart.data as uPlot.AlignedData;
    if (this.plot && signature === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.signature = signature;
    this.plot = new uPlot(this.options(input, width), data, this.canvasHost);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
    this.signature = '';
  }

  private width(): number {
    return Math.floor(this.container.clientWidth);
  }

  /** A timeline grows with its rows; a chart with its width (about 2:5, 90 to 300 px). */
  private height(width: number): number {
    return this.spec.rows ? 40 + 22 * Math.max(1, this.rowCount) : chartHeight(width);
  }

  private options(input: ChartInput, width: number): uPlot.Options {
    const p = this.palette;
    const lineWidth = p.highContrast ? 2 : 1.5;
    const rows = input.rows ?? [];
    const axis = (extra: Partial<uPlot.Axis>): uPlot.Axis => ({
      stroke: p.text,
      font: p.font,
      grid: { stroke: p.grid, width: 1 },
      ticks: { stroke: p.grid, width: 1, size: 4 },
      ...extra,
    });
    const series: uPlot.Series[] = [
      {},
      ...input.chart.series.map((s, i): uPlot.Series => {
        const color = this.spec.color(p, i, { service: s.service, serviceIndex: Math.max(0, input.services.indexOf(s.service)) });
        return this.spec.rows
          ? { label: s.label, stroke: color, fill: color, paths: () => null, points: { show: true, size: 9, width: 1, stroke: color, fill: color } }
          : { label: s.label, stroke: color, width: lineWidth, ...(s.dashed ? { dash: [4, 4] } : {}), points: { show: false }, spanGaps: false };
      }),
    ];
    return {
      width,
      height: this.height(width),
      pxAlign: false,
      // A timeline's rows are named on its axis: no legend.
      legend: { show: !this.spec.rows, live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: true, range: () => this.xRange },
        y: this.spec.rows
          ? { range: () => [-0.5, Math.max(0.5, rows.length - 0.5)] }
          : this.spec.yRange
            ? { range: () => this.spec.yRange! }
            : { range: (_u, _min, max) => [0, niceMax(max)] },
      },
      axes: [
        axis({ space: 60, values: (_u, splits) => splits.map((v) => clockMinutes(v * 1000)) }),
        this.spec.rows
          ? axis({ size: 70, splits: () => rows.map((_, i) => i), values: (_u, splits) => splits.map((v) => rows[v] ?? ''), grid: { show: false } })
          : axis({ size: 40, values: (_u, splits) => splits.map((v) => formatNumber(v)) }),
      ],
      series,
    };
  }
}
