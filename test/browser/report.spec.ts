/**
 * Issue 14, item 4: the reports and figures are checked in a real browser, not by eye. Debian's
 * chromium (/usr/bin/chromium, or $CHROMIUM) driven by playwright-core opens generated reports —
 * a sweep, a single run and a reproduced figure — and asserts that every chart rendered (SVG
 * marks with a non-empty box), that nothing was logged as an error or fetched from the network,
 * that the axis labels the figures promise are there, and that no marker is clipped at a panel's
 * edge. Screenshots go to results/test-artifacts/browser/ (CI keeps them as artefacts).
 *
 * Run with `npm run test:browser` (not part of `npm test`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSvg } from '../../analysis/charts.ts';
import { paillierTableFigure } from '../../analysis/reproduce/paillier-table.ts';
import { writeSmallDoubleSpend } from '../fixtures/double-spend.ts';
import { writeReport } from '../../analysis/report.ts';
import { runSweep } from '../../analysis/sweep.ts';
import { main } from '../../sim/cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, 'results', 'test-artifacts', 'browser');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const tmp = mkdtempSync(join(tmpdir(), 'medsim-browser-'));
let context: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium); .ci/run does this`);
  mkdirSync(ARTIFACTS, { recursive: true });
  // A fresh profile for every run; no network, no background services.
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1500, height: 1000 },
  });
});
afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A chart's CSV back into rows (numbers parsed). */
function readCsv(file: string): Record<string, unknown>[] {
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v === '' ? null : Number.isNaN(Number(v)) ? v : Number(v)])));
}

/** What the page scripts read from SVG elements (the project's TypeScript has no DOM library). */
type Box = { left: number; right: number; top: number; bottom: number; width: number };
type SvgShape = { getBBox(): { width: number; height: number }; getBoundingClientRect(): Box };

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

/** Opens a report; records console errors, page errors and any request that is not the file itself. */
async function open(file: string, shot: string): Promise<Opened> {
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === pathToFileURL(file).href) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForLoadState('load');
  await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`), fullPage: true });
  return { page, errors, requests };
}

/** Per chart: how many marks of each kind drew something visible. */
async function chartMarks(page: Page) {
  return page.$$eval('figure.chart svg', (svgs) =>
    svgs.map((svg) => {
      const visible = (sel: string) =>
        [...svg.querySelectorAll(sel)].filter((el) => {
          const b = (el as unknown as SvgShape).getBBox();
          return (b.width > 0 || b.height > 0) && (el.getAttribute('d') ?? 'x') !== '';
        }).length;
      const r = svg.getBoundingClientRect();
      return {
        title: [...svg.querySelectorAll('.role-title-text')].map((t) => t.textContent ?? '').join(' | '),
        width: r.width,
        height: r.height,
        symbols: visible('.mark-symbol path'),
        lines: visible('.mark-line path'),
        areas: visible('.mark-area path'),
        rules: visible('.mark-rule line'),
        text: [...svg.querySelectorAll('text')].map((t) => t.textContent ?? ''),
      };
    }),
  );
}

/** Symbols lying (partly) outside the plot area of their panel: the clipping the issue saw at the edges. */
async function clippedSymbols(page: Page): Promise<number> {
  return page.$$eval('figure.chart svg', (svgs) => {
    let clipped = 0;
    for (const svg of svgs) {
      // Each item of a scope group (a panel, or the single plot) has its own background path.
      for (const item of svg.querySelectorAll('g.mark-group.role-scope > g')) {
        if (item.closest('.role-legend')) continue;
        const bg = item.querySelector(':scope > path.background') as unknown as SvgShape | null;
        if (!bg) continue;
        const a = bg.getBoundingClientRect();
        for (const sym of item.querySelectorAll(':scope > g .mark-symbol path')) {
          const b = (sym as unknown as SvgShape).getBoundingClientRect();
          if (b.width === 0) continue;
          if (b.left < a.left - 0.5 || b.right > a.right + 0.5 || b.top < a.top - 0.5 || b.bottom > a.bottom + 0.5) clipped++;
        }
      }
    }
    return clipped;
  });
}

describe('reports in a real browser', () => {
  it('a sweep report charts the headline outcome with bands and the closed form, lists violations with replays', async () => {
    const file = join(tmp, 'ds-sweep.yaml');
    writeSmallDoubleSpend(file, {
      name: 'browser-ds-sweep', description: 'Double spend vs hash share (browser test)', seed: 4, hashShare: 0.3, confirmations: 1, confirmedDepth: 1,
      extra: 'sweep:\n  trials: 4\n  parameters:\n    - path: protocol.attack.hashShare\n      values: [0.2, 0.35, 0.45]\n    - path: protocol.attack.confirmations\n      values: [1, 2]\n',
    });
    const o = await runSweep({ scenario: file, workers: 0, out: join(tmp, 'sweep') });
    const { page, errors, requests } = await open(await writeReport(o.resultsDir), 'sweep-report');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const charts = await chartMarks(page);
    const ds = charts.find((c) => c.title.includes('double-spend outcome vs protocol.attack.hashShare'))!;
    expect(ds, charts.map((c) => c.title).join(' | ')).toBeDefined();
    expect(ds.symbols).toBeGreaterThanOrEqual(6); // one dot per point
    expect(ds.areas).toBeGreaterThanOrEqual(1); // the 95 % bands
    expect(ds.lines).toBeGreaterThanOrEqual(1); // the closed form
    expect(ds.text.join(' ')).toContain('P(success): share of trials (fraction)');
    for (const c of charts) expect(c.width * c.height, c.title).toBeGreaterThan(10_000);
    const html = await page.content();
    expect(html).toContain('violated an invariant');
    expect(html).toMatch(/npx medsim run \S+replay\/point-\d\.yaml --seed \d+/);
    expect(html).not.toMatch(/<h2>\.<\/h2>/);
    await page.close();
  });

  it('a run report draws the timeline (blocks and attack phases) and the metrics with units', async () => {
    const file = join(tmp, 'ds-run.yaml');
    writeSmallDoubleSpend(file, { name: 'browser-ds-run', description: 'One double spend (browser test)', seed: 12, hashShare: 0.45, confirmations: 2, confirmedDepth: 1000 });
    const out = join(tmp, 'run');
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await main(['run', file, '--out', out]);
    } finally {
      process.stdout.write = write;
      process.exitCode = undefined;
    }
    const { page, errors, requests } = await open(await writeReport(out), 'run-report');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const [timeline] = await chartMarks(page);
    expect(timeline.title).toContain('progress over virtual time');
    expect(timeline.lines).toBeGreaterThanOrEqual(1);
    expect(timeline.symbols).toBeGreaterThanOrEqual(3); // payment, acceptance or give-up, …
    expect(timeline.text.join(' ')).toMatch(/virtual time \((s|min|h|d)\)/);
    expect(timeline.text.join(' ')).toContain('payment broadcast; secret chain starts');
    const html = await page.content();
    expect(html).toContain('Headline outcomes');
    expect(html).toContain('double-spend outcome');
    await page.close();
  });

  it('a reproduced figure (paillier-table): key sizes on the axis, no marker clipped, legend symbols as drawn', async () => {
    const dir = join(tmp, 'reproduce', 'paillier-table');
    mkdirSync(dir, { recursive: true });
    const row = (bits: number, k: number) => ({ bits, reps: 3, feeEncryptProveMs: { wallMs: 20 * k }, rangeVerifyMs: { wallMs: 15 * k }, record4kEncryptProveMs: { wallMs: 150 * k } });
    // The figure's own chart code, fed with fixed timings (the benchmark itself is medsim bench crypto).
    await paillierTableFigure.run({ quick: false, dir, seed: 1, log: () => {} }, { benchPaillier: () => ({ rows: [row(1024, 1), row(2048, 2.6), row(4096, 11)] }) });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ figure: 'paillier-table', title: paillierTableFigure.title, source: paillierTableFigure.source, published: paillierTableFigure.published }));
    const { page, errors, requests } = await open(await writeReport(dir), 'paillier-table');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const [chart] = await chartMarks(page);
    for (const bits of ['1024', '2048', '4096']) expect(chart.text).toContain(bits);
    expect(chart.symbols).toBeGreaterThanOrEqual(9); // 9 published diamonds (and legend symbols)
    expect(await clippedSymbols(page)).toBe(0);
    // Control: the same chart without the x padding does clip its edge markers, and the check sees it.
    const spec = JSON.parse(readFileSync(join(dir, 'paillier-table.vl.json'), 'utf8'));
    spec.data = { values: readCsv(join(dir, 'paillier-table.chart.csv')) };
    for (const layer of spec.spec.layer) layer.encoding.x.scale.padding = 0;
    writeFileSync(join(tmp, 'unpadded.html'), `<!doctype html><meta charset="utf-8"><figure class="chart">${await renderSvg(spec)}</figure>`);
    const control = await open(join(tmp, 'unpadded.html'), 'paillier-table-unpadded');
    expect(await clippedSymbols(control.page)).toBeGreaterThan(0);
    await control.page.close();
    // Legend: a diamond for the published values, a stroke for our measured line.
    const legend = await page.$$eval('figure.chart svg .role-legend-symbol path', (ps) => ps.map((p) => p.getAttribute('d') ?? ''));
    expect(legend.length).toBe(2);
    expect(legend.some((d) => /^M-?[\d.]+,0L0,-?[\d.]+L-?[\d.]+,0L0,-?[\d.]+Z$/.test(d.replace(/\s/g, '')))).toBe(true); // diamond
    expect(legend.some((d) => /^M-?[\d.]+,0L-?[\d.]+,0$|^M-?[\d.]+,0H-?[\d.]+$/.test(d.replace(/\s/g, '')) || /L[\d.]+,0$/.test(d))).toBe(true); // stroke
    await page.close();
  });
});
