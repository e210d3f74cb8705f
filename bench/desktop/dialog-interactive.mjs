#!/usr/bin/env node
// Time from "open the passphrase dialog" to a dialog the user can type into (field enabled and focused,
// state from the agent shown), through the web harness in Chromium with the real desktop core and a
// scripted agent on a real socket. Each run opens a fresh page with its own new renderer process, as
// Electron creates a fresh window. The clock runs from the menu click in Node to the first frame in which
// the page itself sees the field ready (both on wall-clock time; see reportInteractive). How Chromium is
// set up, and why each setting matches an Electron app window, is in load-harness.mjs.
// Goal: <= 300 ms. Run after `npm run build`. RUNS=n to change the sample size.
import os from 'node:os';
import { interactiveAt, percentile, startDialogRig, wallNow } from './load-harness.mjs';

const RUNS = Number(process.env.RUNS ?? 30);
const rig = await startDialogRig();
const { context } = rig;
try {
  const times = [];
  const inPage = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const { page, clickedAt, readyAt } = await rig.openDialog();
    const navStart = await page.evaluate(() => performance.timeOrigin);
    // The first runs warm Chromium's caches, as an app's first window does.
    if (i >= 3) {
      times.push(readyAt - clickedAt);
      inPage.push(readyAt - navStart);
    }
    await rig.closeDialog(page);
  }
  // The same steps for an empty page: what this machine and Chromium cost before any of our code runs.
  const empty = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = wallNow();
    const page = await context.newPage();
    const ready = interactiveAt(page);
    await page.goto('data:text/html,<!doctype html><title>x</title><input autofocus id=f>', {
      waitUntil: 'commit',
    });
    empty.push((await ready) - t0);
    await page.close();
  }
  empty.sort((a, b) => a - b);
  console.log(
    `  baseline, an empty page with one focused field: p50=${percentile(empty, 50).toFixed(0)} ms p95=${percentile(empty, 95).toFixed(0)} ms`,
  );
  times.sort((a, b) => a - b);
  inPage.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p95 = percentile(times, 95);
  console.log(
    `  of which navigation start → interactive: p50=${percentile(inPage, 50).toFixed(0)} ms p95=${percentile(inPage, 95).toFixed(0)} ms (the rest is Chromium creating the page)`,
  );
  console.log(
    `  our own cost over the empty page: p50=${(p50 - percentile(empty, 50)).toFixed(0)} ms p95=${(p95 - percentile(empty, 95)).toFixed(0)} ms`,
  );
  console.log(
    `  load average while measuring: ${/** @type {number} loadavg() has three */ (os.loadavg()[0]).toFixed(1)} on ${os.cpus().length} CPUs`,
  );
  console.log(
    `dialog interactive after request: n=${times.length} p50=${p50.toFixed(0)} ms p95=${p95.toFixed(0)} ms max=${/** @type {number} not empty: RUNS ≥ 1 */ (times.at(-1)).toFixed(0)} ms (goal 300 ms) ${p95 <= 300 ? 'OK' : 'SLOW'}`,
  );
} finally {
  await rig.close();
}
