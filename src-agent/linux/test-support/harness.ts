import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createEscrowCertificate, decryptEnvelope, type EscrowKeyPair } from '../../../node-lib/cms/index.js';
import { createLogger } from '../../../node-lib/logger.js';
import { ServerUnavailableError } from '../../platform-port.js';
import type { LuksUpload } from '../escrow-context.js';
import { LuksEscrow, type LuksEscrowOptions } from '../luks-escrow.js';
import { FAST_KDF } from './luks-image.js';

/**
 * Test support for the escrow flow: an in-memory "server" that stores uploads by escrow_id (as the real
 * server does, so a retried upload is stored once) and can be switched off, a log capture, and helpers to
 * decrypt what the server received and read the header.
 */

export class FakeServer {
  readonly received = new Map<string, LuksUpload>();
  calls = 0;
  reachable = true;
  refuse = false;

  readonly uploader = async (u: LuksUpload): Promise<void> => {
    this.calls++;
    if (!this.reachable) throw new ServerUnavailableError('connect ECONNREFUSED 127.0.0.1');
    if (this.refuse) throw new Error('HTTP 400 bad request');
    this.received.set(u.escrow_id, u);
  };
}

export type Harness = {
  server: FakeServer;
  logs: string[];
  keys: EscrowKeyPair;
  options: (device: string, stateDir: string, extra?: Partial<LuksEscrowOptions>) => LuksEscrowOptions;
};

export async function makeHarness(): Promise<Harness> {
  const keys = await createEscrowCertificate();
  const server = new FakeServer();
  const logs: string[] = [];
  const log = createLogger('luks-test', {
    level: 'debug',
    destination: { write: (s: string) => void logs.push(s) },
  });
  return {
    server,
    logs,
    keys,
    options: (device, stateDir, extra = {}) => ({
      device,
      stateDir,
      uploader: server.uploader,
      escrowCertificate: () => keys.certificatePem,
      log,
      ...extra,
    }),
  };
}

export function luksEscrow(
  h: Harness,
  device: string,
  stateDir: string,
  extra?: Partial<LuksEscrowOptions>,
): LuksEscrow {
  return new LuksEscrow(h.options(device, stateDir, extra));
}

/** What the server would recover: the recovery key inside an upload. */
export async function decryptUpload(h: Harness, u: LuksUpload): Promise<Buffer> {
  return decryptEnvelope(Buffer.from(u.base64_encrypted, 'base64'), [h.keys]);
}

export function headerJson(image: string): {
  keyslots: Record<string, { kdf: { salt: string } }>;
  tokens: Record<string, { type: string; keyslots: string[]; state?: string; escrow_id?: string }>;
} {
  return JSON.parse(
    execFileSync('cryptsetup', ['luksDump', '--dump-json-metadata', image], { encoding: 'utf8' }),
  );
}

export function slotsOf(image: string): number[] {
  return Object.keys(headerJson(image).keyslots)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Every file under `dir`, concatenated as raw bytes (for "no secret on disk" checks). */
export function allBytesUnder(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    parts.push(statSync(p).isDirectory() ? allBytesUnder(p) : readFileSync(p));
  }
  return Buffer.concat(parts);
}

export function formatLuks1(image: string, passphrase: string): void {
  execFileSync('cryptsetup', ['luksFormat', '--type', 'luks1', '-q', ...FAST_KDF, '--key-file=-', image], {
    input: passphrase,
  });
}
