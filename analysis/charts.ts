/**
 * Charts: Vega-Lite specs next to their data (`<name>.vl.json` + `<name>.csv`), rendered
 * headless to SVG with vega (renderer "none" + `toSVG`) and to PNG with @resvg/resvg-js.
 *
 * One chart kind covers the figures: series over x, drawn as lines (closed forms, measured
 * curves), as points with 95 % confidence bands (Monte-Carlo and measured values with
 * intervals) or as hollow diamonds (the paper's published values), optionally faceted into
 * panels. Data are "long": one row per (panel, series, x) with y and optional low/high.
 *
 * Text: the spec sets DejaVu Sans (installed with fontconfig on Debian/Ubuntu; `fc-list`), and
 * resvg loads the system fonts with the same default family, so PNG text renders.
 */
import { Resvg } from '@resvg/resvg-js';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic, writeJsonAtomic } from '../sim/results.ts';
import { toCsv } from './io.ts';

export const CHART_FONT = 'DejaVu Sans';

/** How a series is drawn. */
export type SeriesStyle = 'line' | 'interval' | 'paper';

/** One data row of a chart. */
export interface ChartRow {
  series: string;
  style: SeriesStyle;
  x: number;
  y: number | null;
  low?: number | null;
  high?: number | null;
  /** Panel (facet) label, when the chart has panels. */
  panel?: string;
  /** Colour group when `colorBy: 'group'` (e.g. one colour per Byzantine share, line = analytic, dots = simulated). */
  group?: string;
  /** Sample size behind y (trials), shown in tooltips and kept in the CSV. */
  n?: number | null;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  xLog?: boolean;
  yLog?: boolean;
  /** Panel header title (e.g. "attacker share q"). */
  panelTitle?: string;
  width?: number;
  height?: number;
  /** Independent x scales per panel. */
  independentX?: boolean;
  /** Independent y scales (and axes) per panel, for panels of different metrics. */
  independentY?: boolean;
  /** Colour by series name (default) or by `group` (then the legend title is `groupTitle`). */
  colorBy?: 'series' | 'group';
  groupTitle?: string;
}

/** Builds the Vega-Lite spec (data by URL to the CSV next to it, or inline values). */
export function lineChartSpec(options: ChartOptions, data: { url: string } | { values: ChartRow[] }): TopLevelSpec {
  const xScale = options.xLog ? { type: 'log' as const, nice: false } : { zero: false, nice: false };
  const yScale = options.yLog ? { type: 'log' as const } : { zero: false };
  const x = { field: 'x', type: 'quantitative' as const, title: options.xTitle, scale: xScale };
  const y = { field: 'y', type: 'quantitative' as const, title: options.yTitle, scale: yScale, axis: options.yLog ? { format: '.0e' } : {} };
  const byGroup = options.colorBy === 'group';
  const color = { field: byGroup ? 'group' : 'series', type: 'nominal' as const, title: byGroup ? (options.groupTitle ?? null) : null, sort: null, legend: { orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 400, symbolOpacity: 1, symbolStrokeWidth: 2 } };
  const positive = options.yLog ? [{ filter: 'isValid(datum.y) && datum.y > 0' }] : [{ filter: 'isValid(datum.y)' }];
  const layers = [
    {
      transform: [{ filter: "datum.style === 'interval' && isValid(datum.low) && isValid(datum.high)" }, ...(options.yLog ? [{ calculate: 'max(datum.low, 1e-12)', as: 'low' }] : [])],
      mark: { type: 'area' as const, opacity: 0.18 },
      encoding: { x, y: { field: 'low', type: 'quantitative' as const, scale: yScale, title: options.yTitle }, y2: { field: 'high' }, color },
    },
    {
      transform: [{ filter: "datum.style === 'line'" }, ...positive],
      mark: { type: 'line' as const, strokeWidth: 2 },
      encoding: { x, y, color, ...(byGroup ? {} : { strokeDash: { field: 'series', type: 'nominal' as const, legend: null } }) },
    },
    {
      transform: [{ filter: "datum.style === 'interval'" }, ...positive],
      mark: { type: 'point' as const, filled: true, size: 40 },
      encoding: { x, y, color, tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y' }, { field: 'low' }, { field: 'high' }, { field: 'n' }] },
    },
    {
      transform: [{ filter: "datum.style === 'paper'" }, ...positive],
      mark: { type: 'point' as const, shape: 'diamond', filled: false, size: 110, strokeWidth: 2 },
      encoding: { x, y, color },
    },
  ];
  const dataSpec = 'url' in data ? { url: data.url, format: { type: 'csv' as const, parse: { x: 'number', y: 'number', low: 'number', high: 'number', n: 'number' } } } : { values: data.values };
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) },
    data: dataSpec,
    config: { font: CHART_FONT, legend: { labelFontSize: 11, symbolOpacity: 1 }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14, subtitleFontSize: 11 } },
  };
  const inner = { width: options.width ?? 360, height: options.height ?? 260, layer: layers };
  if (rowsHavePanels(data)) {
    return {
      ...base,
      facet: { column: { field: 'panel', type: 'nominal', title: options.panelTitle ?? null, sort: null } },
      spec: inner,
      resolve: { scale: { x: options.independentX ? 'independent' : 'shared', y: options.independentY ? 'independent' : 'shared' } },
    } as unknown as TopLevelSpec;
  }
  return { ...base, ...inner } as unknown as TopLevelSpec;
}

function rowsHavePanels(data: { url: string } | { values: ChartRow[] }): boolean {
  if ('values' in data) return data.values.some((r) => r.panel !== undefined && r.panel !== '');
  return (data as { panels?: boolean }).panels === true;
}

/** Renders a Vega-Lite spec (inline data) to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec, { logger: vega.logger(vega.None) }).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logLevel: vega.None });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Rasterises SVG to PNG (2× scale) with system fonts. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const r = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  return r.render().asPng();
}

export const CHART_COLUMNS = ['panel', 'group', 'series', 'style', 'x', 'y', 'low', 'high', 'n'] as const;

export interface WrittenChart {
  spec: string;
  csv: string;
  svg: string;
  png: string;
}

/**
 * Writes `<dir>/<name>.csv`, `<name>.vl.json` (data by URL, so the spec opens in the Vega
 * editor beside its CSV), `<name>.svg` and `<name>.png`.
 */
export async function writeChart(dir: string, name: string, options: ChartOptions, rows: ChartRow[]): Promise<WrittenChart> {
  // The chart's own data is `<name>.chart.csv`, so a figure may name its chart like its rows
  // table (`<name>.csv`) without the chart data overwriting the rows.
  const paths = { spec: join(dir, `${name}.vl.json`), csv: join(dir, `${name}.chart.csv`), svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  writeFileAtomic(paths.csv, toCsv(rows as unknown as Record<string, unknown>[], CHART_COLUMNS));
  const urlData = { url: `${name}.chart.csv`, panels: rows.some((r) => r.panel !== undefined && r.panel !== '') };
  writeJsonAtomic(paths.spec, lineChartSpec(options, urlData));
  const svg = await renderSvg(lineChartSpec(options, { values: rows }));
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, svgToPng(svg));
  return paths;
}

/** One bar of a grouped bar chart: `value` of `series` for `category`. */
export interface BarRow {
  category: string;
  series: string;
  value: number;
}

export interface BarChartOptions {
  title: string;
  subtitle?: string;
  /** Axis title of the categories (left). */
  categoryTitle: string;
  /** Axis title of the values (bottom). */
  valueTitle: string;
  valueLog?: boolean;
  width?: number;
  /** Height of one category's band, in px. */
  bandHeight?: number;
}

export const BAR_COLUMNS = ['category', 'series', 'value'] as const;

/** A horizontal grouped bar chart spec: one band per category (in row order), one bar per series. */
export function barChartSpec(options: BarChartOptions, data: { url: string } | { values: BarRow[] }, categories: readonly string[], seriesCount: number): TopLevelSpec {
  const dataSpec = 'url' in data ? { url: data.url, format: { type: 'csv' as const, parse: { value: 'number' } } } : { values: data.values };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) },
    data: dataSpec,
    config: { font: CHART_FONT, legend: { labelFontSize: 11 }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14, subtitleFontSize: 11 } },
    width: options.width ?? 420,
    height: { step: Math.max(4, Math.floor((options.bandHeight ?? 26) / Math.max(1, seriesCount))) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'category', type: 'nominal', title: options.categoryTitle, sort: [...categories], axis: { labelLimit: 420 } },
      yOffset: { field: 'series', type: 'nominal', sort: null },
      // No stacking: on a log scale a stacked bar would start at 0 (log 0 = −∞).
      x: { field: 'value', type: 'quantitative', title: options.valueTitle, stack: null, scale: options.valueLog ? { type: 'log' } : { zero: true } },
      color: { field: 'series', type: 'nominal', title: null, sort: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 400 } },
      tooltip: [{ field: 'category' }, { field: 'series' }, { field: 'value', format: ',' }],
    },
  } as unknown as TopLevelSpec;
}

/** Writes a grouped bar chart as `<name>.chart.csv`, `<name>.vl.json`, `<name>.svg` and `<name>.png` (as writeChart does). */
export async function writeBarChart(dir: string, name: string, options: BarChartOptions, rows: BarRow[]): Promise<WrittenChart> {
  const paths = { spec: join(dir, `${name}.vl.json`), csv: join(dir, `${name}.chart.csv`), svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  const categories = [...new Set(rows.map((r) => r.category))];
  const seriesCount = new Set(rows.map((r) => r.series)).size;
  writeFileAtomic(paths.csv, toCsv(rows as unknown as Record<string, unknown>[], BAR_COLUMNS));
  writeJsonAtomic(paths.spec, barChartSpec(options, { url: `${name}.chart.csv` }, categories, seriesCount));
  const svg = await renderSvg(barChartSpec(options, { values: rows }, categories, seriesCount));
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, svgToPng(svg));
  return paths;
}
