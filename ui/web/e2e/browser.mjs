// Starts Debian's headless Chromium through playwright-core, with a fresh
// profile and no network features, as the end-to-end and performance
// scripts need it.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// CHROMIUM_ARGS keep the browser off the network and quiet.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// launch starts Chromium ($CHROMIUM or /usr/bin/chromium) with a new
// profile directory and returns {context, page, close}.
export async function launch({ width = 1600, height = 1000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'pipewatch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
    timeout: 60_000,
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push('console error: ' + m.text());
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// waitReady resolves with the timing entry of the next view that becomes
// ready (the app's pipewatch:ready event), or of one already recorded
// after index since.
export function waitReady(page, view, since = 0, timeout = 30_000) {
  return page.waitForFunction(
    ([v, i]) => {
      const t = window.pipewatch && window.pipewatch.timings;
      if (!t) return null;
      for (let k = i; k < t.length; k++) if (t[k].view === v) return t[k];
      return null;
    },
    [view, since],
    { timeout, polling: 50 },
  ).then((h) => h.jsonValue());
}

// timingsCount is how many timing entries the page has recorded.
export function timingsCount(page) {
  return page.evaluate(() => (window.pipewatch && window.pipewatch.timings.length) || 0);
}
