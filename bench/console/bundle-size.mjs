#!/usr/bin/env node
// The admin console's JavaScript as a browser downloads it (every script and module preload index.html
// names), gzip-compressed. Budget: 200 KB. Run after `npm run build`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 200;
const root = path.resolve(import.meta.dirname, '../..');
const dir = path.join(root, 'dist/console');
const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
// Lazily loaded chunks count too: a screen the admin opens later is still JavaScript the console ships.
const fromHtml = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/admin\/([^"]+\.js)"/g)].map(
  (m) => /** @type {string} the pattern's one group always takes part */ (m[1]),
);
const all = readdirSync(path.join(dir, 'assets'))
  .filter((f) => f.endsWith('.js'))
  .map((f) => `assets/${f}`);
const scripts = [...new Set([...fromHtml, ...all])];
let raw = 0;
let gz = 0;
for (const s of scripts) {
  const buf = readFileSync(path.join(dir, s));
  const z = gzipSync(buf, { level: 9 }).length;
  raw += buf.length;
  gz += z;
  console.log(`  ${s}: ${(buf.length / 1024).toFixed(1)} KB raw, ${(z / 1024).toFixed(1)} KB gzip`);
}
const kb = gz / 1024;
console.log(
  `console JS: ${scripts.length} file(s), ${(raw / 1024).toFixed(1)} KB raw, ${kb.toFixed(1)} KB gzip (budget ${BUDGET_KB} KB) ${kb <= BUDGET_KB ? 'OK' : 'OVER BUDGET'}`,
);
process.exit(kb <= BUDGET_KB ? 0 : 1);
