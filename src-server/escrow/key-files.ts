import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEscrowCertificate, type EscrowKeyPair } from '../../node-lib/cms/index.js';

/**
 * Escrow certificates live in DATA_DIR/escrow-keys/ as numbered generations: 0001.cert.pem and
 * 0001.key.pem (mode 0600). The highest number is current: agents encrypt new keys to it. Older generations
 * are kept forever, because CMS names its recipient by issuer and serial and an old key must still decrypt
 * (Fleet #37130). Files are created with O_EXCL ('wx'), so nothing ever overwrites a private key.
 */
export const ESCROW_KEYS_DIR = 'escrow-keys';

export interface EscrowKeyGeneration extends EscrowKeyPair {
  generation: number;
  certificatePath: string;
}

export interface EscrowKeySet {
  current: EscrowKeyGeneration;
  /** Every generation, newest first. */
  all: readonly EscrowKeyGeneration[];
}

const CERT_FILE = /^(\d{4,})\.cert\.pem$/;

function paths(dataDir: string, generation: number) {
  const base = join(dataDir, ESCROW_KEYS_DIR, String(generation).padStart(4, '0'));
  return { cert: `${base}.cert.pem`, key: `${base}.key.pem` };
}

async function generations(dataDir: string): Promise<number[]> {
  const names = await readdir(join(dataDir, ESCROW_KEYS_DIR)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names
    .map((n) => CERT_FILE.exec(n)?.[1])
    .filter((g): g is string => g !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
}

/** Loads every generation. Throws when there is none (run `escrow-server init` first). */
export async function loadEscrowKeys(dataDir: string): Promise<EscrowKeySet> {
  const all: EscrowKeyGeneration[] = [];
  for (const generation of await generations(dataDir)) {
    const p = paths(dataDir, generation);
    all.push({
      generation,
      certificatePath: p.cert,
      certificatePem: await readFile(p.cert, 'utf8'),
      privateKeyPem: await readFile(p.key, 'utf8'),
    });
  }
  const current = all[0];
  if (!current)
    throw new Error(`no escrow certificate in ${join(dataDir, ESCROW_KEYS_DIR)}; run escrow-server init`);
  return { current, all };
}

/** Creates the next generation (the first one on init). Never touches existing files. */
export async function addEscrowKeyGeneration(
  dataDir: string,
  commonName?: string,
): Promise<EscrowKeyGeneration> {
  await mkdir(join(dataDir, ESCROW_KEYS_DIR), { recursive: true, mode: 0o700 });
  const generation = ((await generations(dataDir))[0] ?? 0) + 1;
  const pair = await createEscrowCertificate(commonName ? { commonName } : undefined);
  const p = paths(dataDir, generation);
  // Key first: a certificate file without its key would be a broken "current" generation.
  await writeFile(p.key, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(p.cert, pair.certificatePem, { mode: 0o644, flag: 'wx' });
  return { ...pair, generation, certificatePath: p.cert };
}

/** Whether init already created an escrow certificate. */
export async function hasEscrowKeys(dataDir: string): Promise<boolean> {
  return (await generations(dataDir)).length > 0;
}
