#!/usr/bin/env node
// After every window is closed, nothing is left: no window in the shell, no page attached to the core,
// and no extra Chromium renderer process. Opens and closes each window kind CYCLES times.
import { execFileSync } from 'node:child_process';
import { launchAppLikeChromium, loadHarness } from './load-harness.mjs';

const CYCLES = Number(process.env.CYCLES ?? 5);
// Other Chromiums may run on this machine; this switch (ignored by Chromium) tells ours apart.
const MARKER = `--escrow-bench-run=${process.pid}`;
const KINDS = ['passphrase', 'my-device', 'about', 'logout'];
const { startWebDesktop, FakeAgent, luksNeededStatus } = await loadHarness();
const agent = await FakeAgent.start({ passphrase: 'x', status: luksNeededStatus() });
const desktop = await startWebDesktop({ socketPath: agent.socketPath });
// The app-like Chromium (load-harness.mjs) keeps no idle "spare" renderer, so leftovers are countable.
const browser = await launchAppLikeChromium([MARKER]);

/** Renderer processes of the Chromium this script launched (found by a marker switch, then its process tree). */
function renderers() {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m) => m !== null)
    // All three groups take part in a match.
    .map(([, pid, ppid, args]) => ({ pid, ppid, args: /** @type {string} */ (args) }));
  const ours = new Set(
    rows.filter((r) => r.args.includes(MARKER) && !r.args.includes('--type=')).map((r) => r.pid),
  );
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (!ours.has(r.pid) && ours.has(r.ppid)) {
        ours.add(r.pid);
        grew = true;
      }
    }
  }
  return rows.filter((r) => ours.has(r.pid) && r.args.includes('--type=renderer')).length;
}
const settle = () => new Promise((r) => setTimeout(r, 500));

try {
  const { context } = browser;
  await settle();
  const baseline = renderers();
  let peak = 0;
  for (let c = 0; c < CYCLES; c++) {
    const pages = [];
    for (const kind of KINDS) {
      await desktop.core.handleRequest('my-device', {
        type: 'openWindow',
        kind: kind === 'logout' ? 'about' : kind,
      });
      const page = await context.newPage();
      await page.goto(desktop.windowUrl(kind));
      await page.locator('main:not([aria-busy])').waitFor();
      pages.push(page);
    }
    peak = Math.max(peak, renderers());
    for (const kind of KINDS) desktop.shellEvents.closeByUser(kind);
    for (const page of pages) await page.close();
  }
  // Renderer processes exit asynchronously after their page closes; give them up to 10 s.
  let after = renderers();
  for (let waited = 0; after > baseline && waited < 10_000; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    after = renderers();
  }
  // A closed page's event stream ends when its connection does, a moment later.
  for (let waited = 0; desktop.liveStreams() > 0 && waited < 10_000; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
  }
  const windows = desktop.shellEvents.openWindows().length;
  const streams = desktop.liveStreams();
  console.log(
    `after ${CYCLES} cycles of ${KINDS.length} windows: open windows=${windows}, pages attached to the core=${streams}, renderer processes=${after} (baseline ${baseline}, peak ${peak})`,
  );
  const clean = windows === 0 && streams === 0 && after <= baseline;
  console.log(clean ? 'nothing left after closing: OK' : 'LEFTOVERS after closing');
  process.exitCode = clean ? 0 : 1;
} finally {
  await browser.close();
  await desktop.close();
  await agent.close();
}
