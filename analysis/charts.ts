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
  /** Ticks at exactly these x values (e.g. key sizes 1024, 2048, 4096), labelled as integers. */
  xValues?: number[];
  /** Labels for x values that stand for words (a swept parameter whose values are not numbers). */
  xLabels?: Record<number, string>;
  /** d3 format of the y axis labels (default: ".0e" on log axes spanning below 1e-3, "~s"-free plain numbers otherwise). */
  yFormat?: string;
}

/** Legend symbol of each style, so the legend shows what the plot draws. */
const STYLE_SHAPE: Record<SeriesStyle, string> = { line: 'stroke', interval: 'circle', paper: 'diamond' };

/** Builds the Vega-Lite spec (data by URL to the CSV next to it, or inline values). */
export function lineChartSpec(options: ChartOptions, data: { url: string; styles?: Record<string, SeriesStyle> } | { values: ChartRow[] }): TopLevelSpec {
  // Pixel padding keeps markers at the first and last x inside the panel (they were clipped).
  const xScale = options.xLog ? { type: 'log' as const, nice: false, padding: 14 } : { zero: false, nice: false, padding: 14 };
  const yScale = options.yLog ? { type: 'log' as const } : { zero: false };
  const labelExpr = options.xLabels ? `${JSON.stringify(Object.fromEntries(Object.entries(options.xLabels).map(([k, v]) => [String(k), v])))}[toString(datum.value)] || ''` : undefined;
  const xAxis = {
    ...(options.xValues || options.xLabels ? { values: options.xValues ?? Object.keys(options.xLabels!).map(Number), format: 'd' } : {}),
    ...(labelExpr ? { labelExpr } : {}),
  };
  const x = { field: 'x', type: 'quantitative' as const, title: options.xTitle, scale: xScale, axis: xAxis };
  const values = 'values' in data ? data.values : undefined;
  const smallest = values ? Math.min(...values.filter((r) => typeof r.y === 'number' && r.y > 0).map((r) => r.y as number)) : 0;
  const yFormat = options.yFormat ?? (options.yLog ? (smallest >= 1e-3 ? ',' : '.0e') : undefined);
  const y = { field: 'y', type: 'quantitative' as const, title: options.yTitle, scale: yScale, axis: yFormat ? { format: yFormat } : {} };
  const byGroup = options.colorBy === 'group';
  const legend = { orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 400, symbolOpacity: 1, symbolStrokeWidth: 2 };
  // Colour and legend symbol by series: the legend shows a stroke for a line, a dot for a
  // simulated value with its band, a diamond for a published value — as the plot draws them.
  const styles: Record<string, SeriesStyle> = values ? Object.fromEntries(values.map((r) => [r.series, r.style])) : ('styles' in data && data.styles ? data.styles : {});
  const domain = Object.keys(styles);
  const color = { field: byGroup ? 'group' : 'series', type: 'nominal' as const, title: byGroup ? (options.groupTitle ?? null) : null, sort: null, ...(byGroup || !domain.length ? {} : { scale: { domain } }), legend };
  const shape = byGroup || !domain.length ? undefined : { field: 'series', type: 'nominal' as const, title: null, sort: null, scale: { domain, range: domain.map((k) => STYLE_SHAPE[styles[k]]) }, legend };
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
      encoding: { x, y, color, ...(shape ? { shape } : {}), tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'y' }, { field: 'low' }, { field: 'high' }, { field: 'n' }] },
    },
    {
      transform: [{ filter: "datum.style === 'paper'" }, ...positive],
      mark: { type: 'point' as const, shape: 'diamond', filled: true, size: 90, strokeWidth: 1.5, stroke: 'black' },
      encoding: { x, y, color, ...(shape ? { shape } : {}) },
    },
  ];
  const dataSpec = 'url' in data ? { url: data.url, format: { type: 'csv' as const, parse: { x: 'number', y: 'number', low: 'number', high: 'number', n: 'number' } } } : { values: data.values };
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) },
    data: dataSpec,
    config: { font: CHART_FONT, legend: { labelFontSize: 11, symbolOpacity: 1, labelLimit: 600, titleLimit: 600 }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14, subtitleFontSize: 11 } },
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

function rowsHavePanels(data: { url: string; styles?: Record<string, SeriesStyle> } | { values: ChartRow[] }): boolean {
  if ('values' in data) return data.values.some((r) => r.panel !== undefined && r.panel !== '');
  return (data as { panels?: boolean }).panels === true;
}

/** One row of a run's timeline (timeline.csv): a progress series reaching `value`, or an event. */
export interface TimelineRow {
  timeUs: number;
  series?: string;
  value?: number;
  event?: string;
}

/** The time unit a timeline of this length reads best in. */
export function timelineUnit(endUs: number): { unit: string; us: number } {
  if (endUs <= 120e6) return { unit: 's', us: 1e6 };
  if (endUs <= 2 * 3600e6) return { unit: 'min', us: 60e6 };
  if (endUs <= 4 * 86_400e6) return { unit: 'h', us: 3600e6 };
  return { unit: 'd', us: 86_400e6 };
}

/**
 * A single run over virtual time: each progress series (blocks, commits, views) as a step line in
 * its own row (independent y), and the events (attack phases, violations) as labelled markers in a
 * strip below, on the same time axis.
 */
export function timelineSpec(rows: readonly TimelineRow[], options: { title: string; subtitle?: string; endUs: number; width?: number }): TopLevelSpec {
  const { unit, us } = timelineUnit(options.endUs);
  const width = options.width ?? 640;
  const series = rows.filter((r) => r.series !== undefined && r.value !== undefined).map((r) => ({ t: r.timeUs / us, series: r.series!, value: r.value! }));
  const events = rows.filter((r) => r.event).map((r) => ({ t: r.timeUs / us, event: r.event! }));
  const x = { field: 't', type: 'quantitative' as const, title: `virtual time (${unit})`, scale: { domain: [0, options.endUs / us], nice: false } };
  const parts: unknown[] = [];
  if (series.length) {
    parts.push({
      data: { values: series },
      facet: { row: { field: 'series', type: 'nominal', title: null, sort: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelFontSize: 12 } } },
      spec: {
        width,
        height: 90,
        layer: [
          { mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 }, encoding: { x, y: { field: 'value', type: 'quantitative', title: 'value (see row)', scale: { zero: true } } } },
          { mark: { type: 'point', filled: true, size: 14 }, encoding: { x, y: { field: 'value', type: 'quantitative' }, tooltip: [{ field: 'series' }, { field: 't', title: `time (${unit})` }, { field: 'value' }] } },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    });
  }
  if (events.length) {
    parts.push({
      data: { values: events },
      width,
      height: Math.max(40, 22 * new Set(events.map((e) => e.event)).size),
      layer: [
        { mark: { type: 'rule', strokeDash: [3, 3], color: '#999' }, encoding: { x } },
        { mark: { type: 'point', shape: 'triangle-down', filled: true, size: 90, color: '#c0392b' }, encoding: { x, y: { field: 'event', type: 'nominal', title: null, sort: null, axis: { labelLimit: 420 } }, tooltip: [{ field: 'event' }, { field: 't', title: `time (${unit})` }] } },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, ...(options.subtitle ? { subtitle: options.subtitle } : {}) },
    config: { font: CHART_FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14, subtitleFontSize: 11 } },
    vconcat: parts,
    resolve: { scale: { x: 'shared' } },
  } as unknown as TopLevelSpec;
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
  const urlData = { url: `${name}.chart.csv`, panels: rows.some((r) => r.panel !== undefined && r.panel !== ''), styles: Object.fromEntries(rows.map((r) => [r.series, r.style])) };
  writeJsonAtomic(paths.spec, lineChartSpec(options, urlData));
  const svg = await renderSvg(lineChartSpec(options, { values: rows }));
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, svgToPng(svg));
  return paths;
}
