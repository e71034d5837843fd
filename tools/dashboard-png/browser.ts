// Turns the page into a PNG with Debian's Chromium, driven by playwright-core (the registry's
// browser downloads do not work here). A fresh profile per run, nothing fetched from the network:
// the page carries uPlot, its data and its script inline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PageReport {
  /** Problems the page met while drawing (e.g. a colour it does not know), one per line. */
  problems: string[];
  /** The placeholders in the picture, each as "panel title: its label". */
  placeholders: string[];
}

/** Loads `html`, waits for the page's `window.__renderDone`, screenshots the whole page to `out`. */
export async function screenshot(html: string, out: string, width: number): Promise<PageReport> {
  const profile = mkdtempSync(path.join(tmpdir(), 'dashboard-png-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height: 900 },
    deviceScaleFactor: 1,
    timezoneId: 'UTC',
    locale: 'en-GB',
    offline: true,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { __renderDone?: boolean }).__renderDone === true, undefined, {
      timeout: 30_000,
    });
    if (errors.length) throw new Error(`the dashboard page failed:\n${errors.join('\n')}`);
    const problems = await page.evaluate(() => (window as unknown as { __problems: string[] }).__problems);
    const placeholders = await page.locator('.panel-unsupported').evaluateAll((boxes) => boxes.map((box) =>
      `${box.querySelector('.panel-title')?.textContent ?? ''}: ${box.querySelector('.panel-message')?.textContent ?? ''}`));
    await page.screenshot({ path: out, fullPage: true, type: 'png' });
    return { problems, placeholders };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
