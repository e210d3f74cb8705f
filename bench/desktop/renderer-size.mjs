#!/usr/bin/env node
// Renderer JavaScript the app ships (what index.html loads: React + our screens), gzip-compressed.
// Budget: 150 KB. Run after `npm run build`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { root } from './load-harness.mjs';

const BUDGET_KB = 150;
const dir = path.join(root, 'dist/renderer');
const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\.\/([^"]+\.js)"/g)].map(
  (m) => /** @type {string} the pattern's one group always takes part */ (m[1]),
);
let raw = 0;
let gz = 0;
for (const s of scripts) {
  const buf = readFileSync(path.join(dir, s));
  raw += buf.length;
  gz += gzipSync(buf, { level: 9 }).length;
  console.log(
    `  ${s}: ${(buf.length / 1024).toFixed(1)} KB raw, ${(gzipSync(buf, { level: 9 }).length / 1024).toFixed(1)} KB gzip`,
  );
}
const kb = gz / 1024;
console.log(
  `renderer JS: ${scripts.length} file(s), ${(raw / 1024).toFixed(1)} KB raw, ${kb.toFixed(1)} KB gzip (budget ${BUDGET_KB} KB) ${kb <= BUDGET_KB ? 'OK' : 'OVER BUDGET'}`,
);
process.exit(kb <= BUDGET_KB ? 0 : 1);
