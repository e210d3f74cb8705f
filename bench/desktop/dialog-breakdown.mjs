#!/usr/bin/env node
/// <reference lib="dom" />
// Where the dialog's time goes, step by step, on one clock (ms since the menu click). Same harness and
// steps as dialog-interactive.mjs; this one only explains that figure. Run after `npm run build`.
// RUNS=n to change the sample size; ARGS="--flag --flag" adds Chromium switches to compare their cost.
import os from 'node:os';
import { percentile, startDialogRig } from './load-harness.mjs';

const RUNS = Number(process.env.RUNS ?? 20);
const extra = (process.env.ARGS ?? '').split(/\s+/).filter(Boolean);
// Node's and the page's clocks are both wall time since their time origin, so both share one axis.
const rig = await startDialogRig(extra);
const { context } = rig;
/** @type {Record<string, number[]>} step → times (ms) */
const steps = {};
/**
 * @param {string} name
 * @param {number} ms
 */
const add = (name, ms) => {
  steps[name] ??= [];
  /** @type {number[]} set just above */ (steps[name]).push(ms);
};
try {
  // Marks for the steps the page cannot time by itself: the first pushed state, React's first DOM.
  await context.addInitScript(() => {
    const add = EventSource.prototype.addEventListener;
    // The page adds function listeners only, so this stand-in takes functions, typed as the method it replaces.
    EventSource.prototype.addEventListener = /** @type {EventSource['addEventListener']} */ (
      /**
       * @this {EventSource}
       * @param {string} type
       * @param {(this: EventSource, e: Event) => void} fn
       * @param {boolean | AddEventListenerOptions} [opts]
       */
      function (type, fn, opts) {
        /** @param {Event} e */
        const wrapped = (e) => {
          if (!performance.getEntriesByName('bench:first-state').length)
            performance.mark('bench:first-state');
          fn.call(this, e);
        };
        return add.call(this, type, type === 'state' ? wrapped : fn, opts);
      }
    );
    new MutationObserver((_, obs) => {
      const root = document.getElementById('root');
      if (root?.firstChild) {
        performance.mark('bench:first-dom');
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  for (let i = 0; i < RUNS + 3; i++) {
    const { page, clickedAt: t0, pageAt: tPage, readyAt: tReady } = await rig.openDialog();
    const t = await page.evaluate(() => {
      const o = performance.timeOrigin;
      // The page has loaded, so it has its navigation entry; these entry types are these classes.
      const nav = /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType('navigation')[0]);
      const res = /** @type {PerformanceResourceTiming[]} */ (performance.getEntriesByType('resource'));
      /** @param {RegExp} re */
      const find = (re) => res.find((r) => re.test(r.name));
      const js = find(/\/assets\/index-.*\.js$/);
      const bridge = find(/\/web\/bridge-[\w-]+\.js$/);
      const css = find(/\/assets\/index-.*\.css$/);
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      /** @param {string} name */
      const mark = (name) => {
        const m = performance.getEntriesByName(name)[0];
        return m ? o + m.startTime : null;
      };
      return {
        navStart: o,
        htmlStart: o + nav.requestStart,
        htmlEnd: o + nav.responseEnd,
        jsStart: js ? o + js.startTime : null,
        jsEnd: js ? o + js.responseEnd : null,
        jsCached: js ? js.transferSize === 0 : null,
        bridgeEnd: bridge ? o + bridge.responseEnd : null,
        cssEnd: css ? o + css.responseEnd : null,
        firstState: mark('bench:first-state'),
        firstDom: mark('bench:first-dom'),
        dcl: o + nav.domContentLoadedEventEnd,
        fcp: fcp ? o + fcp.startTime : null,
      };
    });
    if (i >= 3) {
      add('1 newPage (Chromium makes the page + renderer; Playwright attaches)', tPage - t0);
      add('2 newPage → navigation start', t.navStart - tPage);
      add('3 navigation start → HTML request sent', t.htmlStart - t.navStart);
      add('4 HTML request → HTML received', t.htmlEnd - t.htmlStart);
      // jsStart and jsEnd are set together (both from the app JS's resource entry).
      const jsStart = /** @type {number} */ (t.jsStart);
      if (t.jsEnd) add('5 HTML received → app JS requested', jsStart - t.htmlEnd);
      if (t.jsEnd)
        add(`5 app JS requested → received (${t.jsCached ? 'HTTP cache' : 'network'})`, t.jsEnd - jsStart);
      if (t.jsEnd) add('5 app JS received (since nav start)', t.jsEnd - t.navStart);
      if (t.cssEnd) add('5 stylesheet received (since nav start)', t.cssEnd - t.navStart);
      if (t.bridgeEnd) add('5 harness bridge script received (since nav start)', t.bridgeEnd - t.navStart);
      if (t.firstState) add('6 first state reaches the page (since nav start)', t.firstState - t.navStart);
      if (t.firstDom) add('7 React puts the first DOM in #root (since nav start)', t.firstDom - t.navStart);
      add('8 DOMContentLoaded end (scripts ran; since nav start)', t.dcl - t.navStart);
      if (t.fcp) add('9 first contentful paint (since nav start)', t.fcp - t.navStart);
      add('A interactive (since nav start)', tReady - t.navStart);
      add('B total: click → interactive', tReady - t0);
    }
    await rig.closeDialog(page);
  }
  for (const [name, xs] of Object.entries(steps).sort()) {
    xs.sort((a, b) => a - b);
    console.log(
      `  ${name.slice(2).padEnd(62)} p50=${percentile(xs, 50).toFixed(0).padStart(4)} ms p95=${percentile(xs, 95).toFixed(0).padStart(4)} ms`,
    );
  }
  console.log(
    `  extra Chromium switches: ${extra.join(' ') || '(none)'}; load average ${/** @type {number} loadavg() has three */ (os.loadavg()[0]).toFixed(1)} on ${os.cpus().length} CPUs`,
  );
} finally {
  await rig.close();
}
