import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium: test tools cannot download their own browsers here (scripts/ensure-chromium.sh installs it). */
export const CHROMIUM = process.env.MLOPS_CHROMIUM ?? '/usr/bin/chromium';

/** Headless and quiet on the network: without these flags Chromium keeps calling Google's hosts, which this machine refuses. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the browser tests need the system Chromium; install the 'chromium' package (e.g. apt-get install chromium) or set MLOPS_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface ChartSummary {
  datasets: number;
  points: number;
  /** Canvas pixels that are not transparent: the chart was drawn. */
  drawnPixels: number;
}

/** The little of the DOM the page functions touch (the project compiles without the DOM library). */
export interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
export interface BrowserGlobals {
  document: { getElementById(id: string): unknown; body: { dataset: Record<string, string | undefined> } };
  Chart: { getChart(canvas: unknown): { data: { datasets: { data: unknown[] }[] } } | undefined };
}

/** The Chart.js instance on a canvas and how much of the canvas it painted. */
export function chartSummary(page: Page, canvasId: string): Promise<ChartSummary> {
  return page.evaluate((id) => {
    const g = globalThis as unknown as BrowserGlobals;
    const canvas = g.document.getElementById(id) as CanvasLike;
    const chart = g.Chart.getChart(canvas);
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) drawn++;
    return { datasets: chart?.data.datasets.length ?? 0, points: chart?.data.datasets.reduce((s, d) => s + d.data.filter((p) => p !== null).length, 0) ?? 0, drawnPixels: drawn };
  }, canvasId);
}

/** Waits until the page finished its `n`-th load of the API (the page counts them on <body>). */
export async function loaded(page: Page, n: number): Promise<void> {
  await page.waitForFunction((k) => Number((globalThis as unknown as BrowserGlobals).document.body.dataset.loads ?? 0) >= k, n, { timeout: 30_000 });
}
