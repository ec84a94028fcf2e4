// Loads one page in headless Debian Chromium, runs axe-core on it and prints the result as JSON.
//
// Usage: node tests/a11y/axe_check.mjs REQUEST.json
// REQUEST: {"url": "http://127.0.0.1:..."} or {"htmlFile": "/tmp/page.html"}, plus optional
//   "tags" (axe tags, default WCAG 2.0/2.1/2.2 A and AA), "screenshot" (a PNG path, full page),
//   "checkFocus" (tab through the page and list the stops whose focus changes no pixel),
//   "chromium" (default /usr/bin/chromium), "timeoutMs" (default 20000).
// Prints {"axeVersion", "url", "violations", "incomplete", "focusStops", "focusNotVisible",
//   "blockedRequests"} on stdout; exit 0 when the check ran (whatever it found), 2 when it could not run.
//
// The browser comes from Debian (no Playwright browser download) and its profile is a fresh
// temporary directory, removed afterwards. Only loopback, file: and data: URLs may be fetched.

import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const DEFAULT_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
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
const MAX_FOCUS_STOPS = 60;

function allowed(rawUrl) {
  const url = new URL(rawUrl);
  if (['data:', 'file:', 'about:', 'blob:'].includes(url.protocol)) return true;
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return false;
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function focusCheck(page) {
  // Keyboard focus as a person moves it: Tab, then compare the pixels around the focused element
  // with and without focus. No change means no visible focus indicator (WCAG 2.4.7).
  const stops = [];
  const invisible = [];
  const seen = new Set();
  await page.mouse.move(0, 0);
  for (let i = 0; i < MAX_FOCUS_STOPS; i += 1) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return null;
      const path = [];
      for (let node = el; node && node.nodeType === 1 && node !== document.documentElement; node = node.parentElement) {
        let part = node.localName;
        if (node.id) {
          path.unshift(`${part}#${CSS.escape(node.id)}`);
          break;
        }
        const same = node.parentElement ? [...node.parentElement.children].filter((c) => c.localName === node.localName) : [];
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(node) + 1})`;
        path.unshift(part);
      }
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = el.getBoundingClientRect();
      return { selector: path.join(' > '), x: r.x, y: r.y, width: r.width, height: r.height };
    });
    if (stop === null || seen.has(stop.selector)) break;
    seen.add(stop.selector);
    stops.push(stop.selector);
    const view = page.viewportSize();
    const pad = 8;
    const x = Math.max(0, stop.x - pad);
    const y = Math.max(0, stop.y - pad);
    const clip = {
      x,
      y,
      width: Math.max(1, Math.min(view.width, stop.x + stop.width + pad) - x),
      height: Math.max(1, Math.min(view.height, stop.y + stop.height + pad) - y),
    };
    const focused = await page.screenshot({ clip, animations: 'disabled' });
    await page.evaluate(() => {
      const el = document.activeElement;
      window.__a11yFocus = el;
      el.blur();
    });
    const blurred = await page.screenshot({ clip, animations: 'disabled' });
    // Back to the same element, so that the next Tab goes on from it (keyboard modality is kept).
    await page.evaluate(() => window.__a11yFocus.focus());
    if (focused.equals(blurred)) invisible.push(stop.selector);
  }
  return { stops, invisible };
}

async function main() {
  const request = JSON.parse(await readFile(process.argv[2], 'utf8'));
  const tags = request.tags ?? DEFAULT_TAGS;
  const timeout = request.timeoutMs ?? 20000;
  const profile = await mkdtemp(join(tmpdir(), 'cynare-a11y-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: request.chromium ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      bypassCSP: true, // axe is injected as a script tag; a page's own CSP must not refuse it
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
      timeout,
    });
    context.setDefaultTimeout(timeout);
    const blocked = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (allowed(url)) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] ?? (await context.newPage());
    if (request.url) {
      const response = await page.goto(request.url, { waitUntil: 'load' });
      if (response && !response.ok()) throw new Error(`${request.url} answered HTTP ${response.status()}`);
    } else {
      await page.setContent(await readFile(request.htmlFile, 'utf8'), { waitUntil: 'load' });
    }
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const results = await page.evaluate(
      (values) => window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations', 'incomplete'] }),
      tags,
    );
    const nodes = (rule) => ({
      id: rule.id,
      impact: rule.impact,
      help: rule.help,
      helpUrl: rule.helpUrl,
      tags: rule.tags,
      nodes: rule.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary ?? '' })),
    });
    const focus = request.checkFocus ? await focusCheck(page) : { stops: [], invisible: [] };
    if (request.screenshot) {
      await page.evaluate(() => document.activeElement?.blur());
      await page.screenshot({ path: request.screenshot, fullPage: true, animations: 'disabled' });
    }
    process.stdout.write(
      JSON.stringify({
        axeVersion: results.testEngine.version,
        url: results.url,
        violations: results.violations.map(nodes),
        incomplete: results.incomplete.map(nodes),
        focusStops: focus.stops,
        focusNotVisible: focus.invisible,
        blockedRequests: blocked,
      }),
    );
  } finally {
    if (context) await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`axe_check: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
