/**
 * A seeded fuzzer of the agent's socket protocol, run as another local account (bundled by
 * bundleForNobody). Arguments: socket path, number of cases, seed, how many at once, deadline per case in
 * ms. Each case opens a connection and sends what the generator makes (garbage, broken or oversized frames,
 * wrong hellos, requests before hello, secret frames where none belongs, pipelined floods, deep JSON); the agent must answer it or close it before the deadline. Prints one JSON line:
 * the count per outcome and per kind.
 */
export const SOCKET_FUZZ_CLIENT = `
import net from 'node:net';
import { encodeJsonFrame, encodeSecretFrame, FrameDecoder } from '../../../node-lib/agent-socket/frame-codec.ts';
const [socketPath, countText, seedText, parallelText, deadlineText] = process.argv.slice(2);
const count = Number(countText);
const parallel = Number(parallelText);
const deadlineMs = Number(deadlineText);
let a = Number(seedText) >>> 0;
const random = () => {
  a = (a + 0x6d2b79f5) >>> 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(random() * n);
const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
const frame = (kind, payload) => {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(payload.length, 0);
  h[4] = kind;
  return Buffer.concat([h, payload]);
};
const hello = (extra = {}) => encodeJsonFrame({ type: 'hello', protocol: 1, client: { name: 'escrowctl', version: 'fuzz' }, ...extra });
const request = (id, method, params = {}) => encodeJsonFrame({ type: 'request', id, method, params });
const deep = (n) => '['.repeat(n) + ']'.repeat(n);
const METHODS = ['status.get', 'recoveryKey.create', 'luks.remindLater', 'logout.defer', 'nope', '__proto__', 'constructor', ''];
const KINDS = {
  garbage: () => [bytes(1 + int(64))],
  huge_length: () => [Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 0x7b])],
  unknown_kind: () => [frame(3 + int(250), bytes(int(32)))],
  bad_json: () => [frame(1, Buffer.from('{"type": "hello", ' + bytes(8).toString('latin1')))],
  not_a_message: () => [encodeJsonFrame([int(10), 'x', null])],
  wrong_protocol: () => [hello({ protocol: int(1000) + 2 })],
  odd_token: () => [hello({ token: ['', 'a'.repeat(int(5000)), '\\ud800', '../../etc/passwd', 0, null][int(6)] })],
  request_before_hello: () => [request(1, METHODS[int(METHODS.length)])],
  secret_before_hello: () => [encodeSecretFrame(bytes(1 + int(100)))],
  oversized_secret: () => [hello(), frame(2, bytes(9000))],
  escrow_without_rights: () => [hello(), encodeSecretFrame(Buffer.from('pw')), request(1, 'recoveryKey.create')],
  secret_then_wrong_method: () => [hello(), encodeSecretFrame(Buffer.from('pw')), request(1, 'status.get')],
  bad_params: () => [hello(), request(int(3) === 0 ? -1 : 1 + int(1e6), METHODS[int(METHODS.length)], [null, 'x', { a: deep(10) }, 5][int(4)])],
  deep_json: () => [hello(), frame(1, Buffer.from(deep(100 + int(1000))))],
  pipelined_flood: () => [hello(), Buffer.concat(Array.from({ length: 200 + int(800) }, (_, i) => request(i + 1, 'status.get')))],
  hello_twice: () => [hello(), hello()],
  split_bytes: () => { const f = Buffer.concat([hello(), request(1, 'status.get')]); return Array.from(f, (b) => Buffer.from([b])); },
  truncated: () => { const f = hello(); return [f.subarray(0, 1 + int(f.length - 1))]; },
  bit_flip: () => { const f = Buffer.concat([hello(), request(1, 'status.get')]); f[int(f.length)] ^= 1 << int(8); return [f]; },
};
const names = Object.keys(KINDS);
const tally = { answered: 0, closed: 0, hung: 0, connectErrors: 0 };
const byKind = {};
const hungKinds = {};
async function one() {
  const kind = names[int(names.length)];
  byKind[kind] = (byKind[kind] ?? 0) + 1;
  const chunks = KINDS[kind]();
  await new Promise((resolve) => {
    const s = net.connect(socketPath);
    const decoder = new FrameDecoder();
    let done = false;
    const finish = (what) => {
      if (done) return;
      done = true;
      tally[what]++;
      if (what === 'hung') hungKinds[kind] = (hungKinds[kind] ?? 0) + 1;
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(() => finish('hung'), deadlineMs);
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
    });
    s.on('data', (d) => {
      try { if (decoder.push(d).length > 0) finish('answered'); } catch { finish('answered'); }
    });
    s.on('error', (e) => finish(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'connectErrors' : 'closed'));
    s.on('close', () => finish('closed'));
  });
}
let next = 0;
await Promise.all(Array.from({ length: parallel }, async () => { while (next++ < count) await one(); }));
console.log(JSON.stringify({ cases: count, ...tally, byKind, hungKinds }));
process.exit(0);
`;
