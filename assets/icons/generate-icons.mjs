#!/usr/bin/env node
// Draws every icon the app ships (tray states, macOS template images, Windows .ico, app icon) from a few
// signed shapes, so the artwork is reviewable code and needs no design tool. Run: node assets/icons/generate-icons.mjs
// Output is committed; re-run after changing a shape.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUPERSAMPLE = 4;

// ---- Shapes: functions of a point in the unit square (0..1, y down) returning true when inside. ----
/**
 * @typedef {(x: number, y: number) => boolean} Shape
 * @typedef {[r: number, g: number, b: number]} Colour
 * @typedef {{ shape: Shape, colour: Colour }} Layer
 */

/** @type {(cx: number, cy: number, r: number) => Shape} */
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
/** @type {(x0: number, y0: number, x1: number, y1: number) => Shape} */
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
/** @type {(x0: number, y0: number, x1: number, y1: number, r: number) => Shape} */
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
};
/** @type {(ax: number, ay: number, bx: number, by: number, halfWidth: number) => Shape} */
const segment = (ax, ay, bx, by, halfWidth) => (x, y) => {
  const vx = bx - ax;
  const vy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  return (x - ax - t * vx) ** 2 + (y - ay - t * vy) ** 2 <= halfWidth * halfWidth;
};
/** @type {(...s: Shape[]) => Shape} */
const union =
  (...s) =>
  (x, y) =>
    s.some((f) => f(x, y));
/** @type {(a: Shape, ...b: Shape[]) => Shape} */
const minus =
  (a, ...b) =>
  (x, y) =>
    a(x, y) && !b.some((f) => f(x, y));
/** @type {(shape: Shape, cx: number, cy: number, k: number) => Shape} */
const scaled = (shape, cx, cy, k) => (x, y) => shape(cx + (x - cx) / k, cy + (y - cy) / k);

// A padlock: body with a keyhole, and a shackle (the upper half of a ring).
/** @type {Shape} */
const shackle = (x, y) => {
  const d = Math.hypot(x - 0.5, y - 0.42);
  return y <= 0.46 && Math.abs(d - 0.19) <= 0.055;
};
const body = roundRect(0.17, 0.42, 0.83, 0.93, 0.1);
const keyhole = union(circle(0.5, 0.62, 0.07), rect(0.47, 0.62, 0.53, 0.79));
const lock = union(shackle, minus(body, keyhole));

// Badges in the lower right corner, cut out of the lock with a clear ring so they read at 16 px.
const BX = 0.76;
const BY = 0.76;
const badgeDisc = circle(BX, BY, 0.22);
const badgeGap = circle(BX, BY, 0.3);
const glyphs = {
  action_needed: union(rect(BX - 0.028, BY - 0.13, BX + 0.028, BY + 0.03), circle(BX, BY + 0.1, 0.034)),
  working: union(circle(BX - 0.1, BY, 0.035), circle(BX, BY, 0.035), circle(BX + 0.1, BY, 0.035)),
  server_unreachable: union(
    segment(BX - 0.08, BY - 0.08, BX + 0.08, BY + 0.08, 0.03),
    segment(BX - 0.08, BY + 0.08, BX + 0.08, BY - 0.08, 0.03),
  ),
};
/** @param {Shape} glyph */
const withBadge = (glyph) => union(minus(lock, badgeGap), minus(badgeDisc, glyph));
const slash = segment(0.1, 0.1, 0.9, 0.9, 0.05);
const slashGap = segment(0.1, 0.1, 0.9, 0.9, 0.11);

/** Each state is one silhouette: the shape alone must say the state (macOS template images are one colour). */
const trayShapes = {
  escrowed: lock,
  action_needed: withBadge(glyphs.action_needed),
  working: withBadge(glyphs.working),
  server_unreachable: withBadge(glyphs.server_unreachable),
  agent_unavailable: union(minus(lock, slashGap), slash),
};
/**
 * Colour versions for Linux panels and the Windows notification area (mid tones that read on dark and light).
 * @type {Record<keyof typeof trayShapes, Colour>}
 */
const trayColours = {
  escrowed: [46, 160, 67],
  action_needed: [219, 138, 0],
  working: [56, 132, 244],
  server_unreachable: [207, 72, 58],
  agent_unavailable: [128, 128, 136],
};

// ---- Rasterising and PNG/ICO encoding ----
/**
 * @param {number} size
 * @param {Layer[]} layers
 */
function render(size, layers) {
  const rgba = Buffer.alloc(size * size * 4);
  const n = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const { shape, colour } of layers) {
        let hits = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) {
          for (let sx = 0; sx < SUPERSAMPLE; sx++) {
            if (shape((px + (sx + 0.5) / SUPERSAMPLE) / size, (py + (sy + 0.5) / SUPERSAMPLE) / size)) hits++;
          }
        }
        const la = hits / n;
        // "over" compositing, premultiplied
        r = colour[0] * la + r * (1 - la);
        g = colour[1] * la + g * (1 - la);
        b = colour[2] * la + b * (1 - la);
        a = la + a * (1 - la);
      }
      const i = (py * size + px) * 4;
      rgba[i] = a > 0 ? Math.round(r / a) : 0;
      rgba[i + 1] = a > 0 ? Math.round(g / a) : 0;
      rgba[i + 2] = a > 0 ? Math.round(b / a) : 0;
      rgba[i + 3] = Math.round(a * 255);
    }
  }
  return rgba;
}

/**
 * @param {string} type
 * @param {Buffer} data
 */
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * @param {number} size
 * @param {Buffer} rgba
 */
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(6, 9); // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * An .ico whose images are PNGs (supported since Windows Vista).
 * @param {{ size: number, data: Buffer }[]} images
 */
function ico(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e);
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.data)]);
}

/**
 * @param {string} name
 * @param {Buffer} data
 */
const out = (name, data) => writeFileSync(path.join(here, name), data);
/** @type {Colour} */
const black = [0, 0, 0];

for (const [state, shape] of Object.entries(trayShapes)) {
  // Object.entries widens the keys to string; they are trayShapes' own keys.
  const colour = trayColours[/** @type {keyof typeof trayShapes} */ (state)];
  out(`tray-${state}Template.png`, png(16, render(16, [{ shape, colour: black }])));
  out(`tray-${state}Template@2x.png`, png(32, render(32, [{ shape, colour: black }])));
  out(`tray-${state}.png`, png(16, render(16, [{ shape, colour }])));
  out(`tray-${state}@2x.png`, png(32, render(32, [{ shape, colour }])));
  out(
    `tray-${state}.ico`,
    ico([16, 24, 32].map((size) => ({ size, data: png(size, render(size, [{ shape, colour }])) }))),
  );
}

// App icon: a white padlock on a blue rounded square.
/** @type {Layer[]} */
const appLayers = [
  { shape: roundRect(0.06, 0.06, 0.94, 0.94, 0.2), colour: [22, 94, 204] },
  { shape: scaled(lock, 0.5, 0.52, 0.62), colour: [255, 255, 255] },
];
/** @param {number} size */
const appPng = (size) => png(size, render(size, appLayers));
out('app-icon.png', appPng(512));
out('app.ico', ico([16, 24, 32, 48, 64, 256].map((size) => ({ size, data: appPng(size) }))));
const publicDir = path.join(here, '..', '..', 'src-renderer', 'public');
mkdirSync(publicDir, { recursive: true });
writeFileSync(path.join(publicDir, 'app-icon.png'), appPng(128));
console.log('icons written to', here);
