import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EscrowResult } from '../../ipc/desktop-agent/messages.js';
import { createLogger } from '../../node-lib/logger.js';
import type { AgentApiClient } from '../server-client/agent-api-client.js';
import { serverConfig, wishes } from '../test-support/server-wishes.js';
import { createLinuxPlatform } from './linux-platform.js';
import { type Harness, headerJson, luksEscrow, makeHarness, slotsOf } from './test-support/harness.js';
import { makeLuks2Image, type TestImage } from './test-support/luks-image.js';

/**
 * "Create recovery key" decides between a first key and a rotation itself, under the device lock, and
 * answers at the server's ack while the header token and the journal are finished behind the answer.
 * Real cryptsetup on image files; the replacing token write is slowed down so the order is certain.
 */
const USER = 'correct horse battery staple';
const pw = (s: string) => Buffer.from(s, 'utf8');

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  h.server.received.clear();
  h.server.reachable = true;
});

function setup(): { img: TestImage; state: string } {
  const img = makeLuks2Image(USER, 0);
  cleanups.push(img.cleanup);
  return { img, state: join(img.dir, 'state') };
}

/** The real cryptsetup, resolved before any test puts its wrapper first on PATH. */
const CRYPTSETUP = execFileSync('sh', ['-c', 'command -v cryptsetup'], {
  encoding: 'utf8',
  env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
}).trim();

/** A `cryptsetup` (in a directory of its own) that waits 1 s before the token write marking a key escrowed. */
function slowEscrowedTokenWrite(img: TestImage): string {
  const dir = join(img.dir, 'slow-bin');
  mkdirSync(dir);
  const wrapper = join(dir, 'cryptsetup');
  writeFileSync(
    wrapper,
    `#!/bin/sh\ncase "$*" in *--token-replace*) sleep 1;; esac\nexec '${CRYPTSETUP}' "$@"\n`,
  );
  chmodSync(wrapper, 0o700);
  return wrapper;
}

const tokenStates = (image: string) => Object.values(headerJson(image).tokens).map((t) => t.state);
const journalFiles = (state: string) => readdirSync(join(state, 'luks-journal'));

describe('createRecoveryKey decides first key or rotation from the header it reads under the lock', () => {
  it('without a key of ours it adds a first key, rotation requested or not', async () => {
    const { img, state } = setup();
    const result = await luksEscrow(h, img.path, state).createRecoveryKey(pw(USER), {
      rotationRequested: true,
    });
    expect(result).toMatchObject({ outcome: 'escrowed', keySlot: 1 });
    expect(slotsOf(img.path)).toEqual([0, 1]);
  });

  it('a key waiting for its upload is never replaced, even when the server asks', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state);
    h.server.reachable = false;
    expect((await api.createRecoveryKey(pw(USER))).outcome).toBe('queued');
    await expect(api.createRecoveryKey(pw(USER), { rotationRequested: true })).rejects.toMatchObject({
      code: 'not_needed',
    });
    expect(slotsOf(img.path)).toEqual([0, 1]);
  });

  it('answers at the ack; the escrowed token and the journal removal follow, and the call resolves after them', async () => {
    const { img, state } = setup();
    const api = luksEscrow(h, img.path, state, { cryptsetup: { path: slowEscrowedTokenWrite(img) } });
    let atAnswer: { tokens: (string | undefined)[]; journal: string[] } | null = null;
    const result = await api.createRecoveryKey(pw(USER), {
      onAcknowledged: () => {
        atAnswer = { tokens: tokenStates(img.path), journal: journalFiles(state) };
      },
    });
    expect(h.server.received.size).toBe(1);
    // At the answer the server holds the key and the journal says so; the header is not marked yet.
    expect(atAnswer).toEqual({ tokens: ['pending'], journal: [expect.stringMatching(/\.json$/)] });
    expect(result.outcome).toBe('escrowed');
    expect(tokenStates(img.path)).toEqual(['escrowed']);
    expect(journalFiles(state)).toEqual([]);
  });
});

describe('the Linux platform answers the desktop at the ack', () => {
  it('createRecoveryKey resolves before the bookkeeping; state() waits for it and reports escrowed', async () => {
    const { img, state } = setup();
    const wrapper = slowEscrowedTokenWrite(img);
    const path = process.env.PATH;
    process.env.PATH = `${join(wrapper, '..')}:${path}`;
    cleanups.push(() => {
      process.env.PATH = path;
    });
    const sent: unknown[] = [];
    const api = { sendLuksData: async (body: unknown) => void sent.push(body) } as unknown as AgentApiClient;
    let acks = 0;
    const platform = createLinuxPlatform({
      device: img.path,
      stateDir: state,
      api,
      log: createLogger('platform-test', { level: 'silent' }),
      onKeyAcknowledged: () => acks++,
    });
    const config = { ...serverConfig({ escrow: true }), escrow_certificate: h.keys.certificatePem };

    const t0 = performance.now();
    const result: EscrowResult = await platform.createRecoveryKey(pw(USER), wishes(config), () => {});
    const answeredAfter = performance.now() - t0;
    expect(result).toMatchObject({ outcome: 'escrowed', keySlot: 1 });
    expect(sent).toHaveLength(1);
    expect(acks).toBe(1);
    expect(tokenStates(img.path)).toEqual(['pending']); // the slowed token write is still running

    // As the service judges it after the ack: this config's request is met.
    const after = await platform.state(wishes(config, config.config_version));
    expect(performance.now() - t0).toBeGreaterThan(answeredAfter + 500);
    expect(after.volumes[0]?.escrow).toMatchObject({ state: 'escrowed', keySlot: 1 });
    expect(tokenStates(img.path)).toEqual(['escrowed']);
    expect(journalFiles(state)).toEqual([]);
    await platform.close();
  });
});
