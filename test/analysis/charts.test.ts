import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineChartSpec, renderSvg, svgToPng, writeChart, type ChartRow } from '../../analysis/charts.ts';

const tmp = mkdtempSync(join(tmpdir(), 'medsim-charts-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rows: ChartRow[] = [];
for (let z = 0; z <= 6; z++) {
  rows.push({ series: 'exact', style: 'line', x: z, y: Math.pow(0.2, z) });
  rows.push({ series: 'simulated', style: 'interval', x: z, y: Math.pow(0.2, z) * 1.05, low: Math.pow(0.2, z) * 0.9, high: Math.pow(0.2, z) * 1.2, n: 1000 });
  rows.push({ series: 'paper', style: 'paper', x: z, y: Math.pow(0.2, z) });
}
const options = { title: 'Test chart', xTitle: 'confirmations z (blocks)', yTitle: 'probability (log scale)', yLog: true };

describe('charts', () => {
  it('renders a non-empty SVG with the axis titles, title and legend', async () => {
    const svg = await renderSvg(lineChartSpec(options, { values: rows }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('confirmations z (blocks)');
    expect(svg).toContain('probability (log scale)');
    expect(svg).toContain('Test chart');
    expect(svg).toContain('simulated');
    expect(svg).toMatch(/<path/);
  });
  it('renders a PNG (with text: glyph pixels present) and writes spec + CSV + SVG + PNG', async () => {
    const out = await writeChart(tmp, 'test', options, rows);
    const png = readFileSync(out.png);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(10_000);
    // Text renders: the same chart without any text would be much smaller.
    const noText = svgToPng(readFileSync(out.svg, 'utf8').replace(/<text[^>]*>[^<]*<\/text>/g, ''));
    expect(png.length).toBeGreaterThan(noText.length * 1.1);
    const spec = JSON.parse(readFileSync(out.spec, 'utf8'));
    expect(spec.data).toMatchObject({ url: 'test.chart.csv' });
    expect(readFileSync(out.csv, 'utf8').split('\n')[0]).toBe('panel,group,series,style,x,y,low,high,n');
    expect(readFileSync(out.svg, 'utf8')).toContain('confirmations z (blocks)');
  });
  it('a chart named like its figure\'s rows table does not overwrite the rows CSV', async () => {
    writeFileSync(join(tmp, 'figure.csv'), 'q,z,rows\n');
    await writeChart(tmp, 'figure', options, rows);
    expect(readFileSync(join(tmp, 'figure.csv'), 'utf8')).toBe('q,z,rows\n');
    expect(readFileSync(join(tmp, 'figure.chart.csv'), 'utf8').split('\n')[0]).toBe('panel,group,series,style,x,y,low,high,n');
  });
  it('labels given x values (key sizes), keeps edge markers inside the panel, and shows each series’ own symbol in the legend', async () => {
    const keyRows: ChartRow[] = [];
    for (const bits of [1024, 2048, 4096]) {
      keyRows.push({ panel: 'op', series: 'paper', style: 'paper', x: bits, y: bits / 10 });
      keyRows.push({ panel: 'op', series: 'ours (measured)', style: 'line', x: bits, y: bits / 20 });
      keyRows.push({ panel: 'op', series: 'simulated', style: 'interval', x: bits, y: bits / 15, low: bits / 16, high: bits / 14 });
    }
    const spec = lineChartSpec({ title: 'k', xTitle: 'key size (bits, log scale)', yTitle: 'time (ms, log scale)', xLog: true, yLog: true, xValues: [1024, 2048, 4096] }, { values: keyRows }) as any;
    const layers = spec.spec.layer;
    expect(layers[0].encoding.x.scale.padding).toBeGreaterThanOrEqual(10);
    expect(layers[0].encoding.x.axis.values).toEqual([1024, 2048, 4096]);
    const shape = layers[3].encoding.shape.scale;
    expect(Object.fromEntries(shape.domain.map((d: string, i: number) => [d, shape.range[i]]))).toEqual({ paper: 'diamond', 'ours (measured)': 'stroke', simulated: 'circle' });
    const svg = await renderSvg(spec);
    for (const label of ['1024', '2048', '4096']) expect(svg).toContain(`>${label}</text>`);
    expect(svg).not.toMatch(/>1,200<|>1,600<|>3,000</);
  });
});

