import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_API_PATHS } from '../../ipc/agent-server/orbit-api.js';
import {
  enroll,
  envelopeFor,
  FILEVAULT_PRK,
  luksKey,
  startTestServer,
  type TestServer,
} from '../test-support/server.js';
import { loadEscrowKeys } from './key-files.js';

/** openssl 3's own CMS code: a tool we did not write. Plaintext goes through stdin, never argv. */
function opensslEncrypt(plaintext: string, certPath: string): Buffer {
  return execFileSync('openssl', ['cms', '-encrypt', '-binary', '-outform', 'DER', '-recip', certPath], {
    input: plaintext,
  });
}

let t: TestServer;
let scratch: string;
beforeEach(async () => {
  t = await startTestServer();
  scratch = mkdtempSync(join(tmpdir(), 'escrow-interop-'));
  await t.post(
    '/api/latest/fleet/disk_encryption',
    { team_id: null, enable_disk_encryption: true },
    t.init.admin_token,
  );
});
afterEach(async () => {
  await t.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('interop with openssl cms', () => {
  it('a PRK encrypted by `openssl cms -encrypt` (PKCS#1 v1.5, as macOS does) decrypts on the server', async () => {
    const { nodeKey, hostId } = await enroll(t, 'darwin');
    const der = opensslEncrypt(FILEVAULT_PRK, t.init.escrow_certificate_path);
    const res = await t.post(AGENT_API_PATHS.filevaultPrk, {
      orbit_node_key: nodeKey,
      base64_encrypted: der.toString('base64'),
      client_error: '',
    });
    expect(res.status).toBe(204);
    const read = (await (
      await t.get(
        `/api/latest/fleet/hosts/${hostId}/encryption_key?reason=support%20call`,
        t.init.admin_token,
      )
    ).json()) as {
      encryption_key: { key: string };
    };
    expect(read.encryption_key.key).toBe(FILEVAULT_PRK);
  });

  it('an envelope this project produces decrypts with `openssl cms -decrypt` and the escrow private key', async () => {
    const { nodeKey } = await enroll(t);
    const key = luksKey(11);
    const envelope = Buffer.from(await envelopeFor(t, nodeKey, key), 'base64');
    const file = join(scratch, 'envelope.der');
    writeFileSync(file, envelope);
    const current = (await loadEscrowKeys(t.dataDir)).current;
    const keyFile = current.certificatePath.replace('.cert.pem', '.key.pem');
    const out = execFileSync('openssl', [
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      file,
      '-recip',
      current.certificatePath,
      '-inkey',
      keyFile,
    ]);
    expect(out.toString('latin1')).toBe(key);
  });
});
