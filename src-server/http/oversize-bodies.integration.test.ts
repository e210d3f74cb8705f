import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import { type UploadOutcome, uploadThenRead } from '../test-support/raw-http.js';
import { hostIdentity, startTestServer, type TestServer } from '../test-support/server.js';
import { selfSignedCertificate } from '../test-support/tls.js';
import { BODY_LIMIT_BYTES } from './app.js';

/**
 * Issue 18, finding 4: a body over the limit did not always get its 413. Many clients at once, each writing
 * its whole body before reading (as many HTTP libraries do), with and without `Expect: 100-continue`,
 * declared (Content-Length) and streamed (chunked): every one must read the 413, and none may see its
 * upload fail.
 *
 * Checked that it fails without the fix (no checkContinue handler, no lingering close): with Expect, every
 * client is sent 100 Continue before the 413; every 4 MiB upload ends in EPIPE (the server destroyed the
 * socket under it), declared or chunked with Expect alike, so a client that stops at its first write error
 * never reads its 413. At 2 MiB the kernel's buffers absorbed most uploads, hence 4 MiB. The attack suite
 * runs the same with 70 clients each.
 */

const CLIENTS = 20;
const SIZE = 4 * 1024 * 1024;

let certDir: string;
let tls: { certPath: string; keyPath: string };
beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'escrow-tls-'));
  tls = selfSignedCertificate(certDir);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

function tally(outcomes: UploadOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const k = `${o.statuses.join(',') || 'none'}${o.writeError ? ` write:${o.writeError}` : ''}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

describe.each(['http', 'https'] as const)('over %s, every oversize upload reads its 413', (scheme) => {
  it.each([
    ['declared, with Expect: 100-continue (no 100 is sent)', { expect100: true, chunked: false }],
    ['declared, without Expect', { expect100: false, chunked: false }],
    [
      'chunked, with Expect (the 100 is sent, the size is found out while reading)',
      { expect100: true, chunked: true },
    ],
    ['chunked, without Expect', { expect100: false, chunked: true }],
  ])('%s', async (_name, shape) => {
    t = await startTestServer(scheme === 'https' ? { tls } : {});
    const outcomes = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        uploadThenRead(t.url, { path: AGENT_API_PATHS.enroll, size: SIZE, ...shape }),
      ),
    );
    const final = shape.chunked && shape.expect100 ? '100,413' : '413';
    expect(tally(outcomes)).toEqual({ [final]: CLIENTS });
  });
});

describe('bodies within the limit are unaffected', () => {
  it('Expect: 100-continue gets its 100 and then the answer, and the connection stays usable', async () => {
    t = await startTestServer();
    const { openSocket, outcomeOf, statuses } = await import('../test-support/raw-http.js');
    const s = await openSocket(t.url);
    const body = JSON.stringify({ enroll_secret: 'wrong', ...hostIdentity() });
    s.write(
      `POST ${AGENT_API_PATHS.enroll} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    const continued = await new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    s.write(body);
    s.write(`GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const o = await outcomeOf(s, 5_000);
    expect(statuses(o.received)).toEqual([401, 404]);
  });

  it('a body of exactly the limit is read; one byte more is a 413', async () => {
    t = await startTestServer();
    const at = await uploadThenRead(t.url, {
      path: AGENT_API_PATHS.enroll,
      size: BODY_LIMIT_BYTES,
      expect100: true,
    });
    expect(at.statuses).toEqual([100, 400]); // read, and not JSON
    const over = await uploadThenRead(t.url, {
      path: AGENT_API_PATHS.enroll,
      size: BODY_LIMIT_BYTES + 1,
      expect100: true,
    });
    expect(over.statuses).toEqual([413]);
  });

  it('a GET or an unknown path with a declared oversize body is refused too, before anything reads it', async () => {
    t = await startTestServer();
    for (const path of ['/api/latest/fleet/hosts', '/nowhere']) {
      const o = await uploadThenRead(t.url, { path, size: SIZE, expect100: true });
      expect(o.statuses).toEqual([413]);
    }
  });
});
