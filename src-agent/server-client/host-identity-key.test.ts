import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostIdentityProofMessage } from '../../ipc/agent-server/host-identity-proof.js';
import { HostIdentityClaim } from '../../ipc/agent-server/orbit-api.js';
import { HostIdentityKey } from './host-identity-key.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function stateDir() {
  const d = await mkdtemp(path.join(tmpdir(), 'identity-key-'));
  dirs.push(d);
  return d;
}

describe('HostIdentityKey', () => {
  it('makes an Ed25519 key once (0600), keeps it across restarts and signs what the server checks', async () => {
    const dir = await stateDir();
    const first = await new HostIdentityKey(dir).claim('uuid-1', new Date('2026-12-08T00:00:00Z'));
    const file = path.join(dir, 'host-identity-key.pem');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = await new HostIdentityKey(dir).claim('uuid-1', new Date('2026-12-08T00:01:00Z'));
    expect(again.public_key).toBe(first.public_key);
    expect(HostIdentityClaim.parse(again)).toEqual(again);
    const key = createPublicKey({
      key: Buffer.from(again.public_key, 'base64'),
      format: 'der',
      type: 'spki',
    });
    expect(key.asymmetricKeyType).toBe('ed25519');
    const message = Buffer.from(hostIdentityProofMessage({ hardware_uuid: 'uuid-1', ...again }));
    expect(verify(null, message, key, Buffer.from(again.signature, 'base64'))).toBe(true);
    // The signature is bound to the hardware UUID: it does not prove another one.
    const other = Buffer.from(hostIdentityProofMessage({ hardware_uuid: 'uuid-2', ...again }));
    expect(verify(null, other, key, Buffer.from(again.signature, 'base64'))).toBe(false);
  });

  it('another state dir (a reinstall) is another identity', async () => {
    const a = await new HostIdentityKey(await stateDir()).claim('uuid-1');
    const b = await new HostIdentityKey(await stateDir()).claim('uuid-1');
    expect(a.public_key).not.toBe(b.public_key);
  });
});
