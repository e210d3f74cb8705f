import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LuksIdentity, readLuks2Metadata, readPrimaryLuksHeader } from './luks-header.js';
import { LuksMetadata } from './luks-metadata.js';
import { SecretFifo } from './secret-fifo.js';

/**
 * The one module that runs `cryptsetup`. Secrets (passphrases, recovery keys) reach it only through
 * stdin, never argv, environment or files:
 * - one secret: `--key-file=-`, read raw until EOF (no trailing newline is added);
 * - two secrets (luksAddKey): named pipes in a private 0700 directory (secret-fifo.ts), see addKey().
 * Node's `stdio: 'pipe'` is a UNIX socket, so `/dev/fd/N` key files do not work; stdin and FIFOs do.
 *
 * Never used here: `-q`/`--batch-mode` (luksKillSlot then kills without any passphrase, even the last slot)
 * and luksKillSlot with empty input (which still kills). killSlot() refuses an empty authorising key.
 *
 * Every run dies with the agent: util-linux `setpriv --pdeathsig KILL` arms the kernel's parent-death signal
 * and then execs cryptsetup, so a kill -9 of the agent cannot leave a cryptsetup behind (blocked for ever on
 * a named pipe nobody will write, holding the device open, or finishing a header write after the agent
 * restarted and reconciled without it).
 */

export type CryptsetupFailure =
  | 'missing' // the binary is not installed
  | 'wrong_passphrase'
  | 'not_luks'
  | 'no_device'
  | 'slots_full'
  | 'slot_in_use'
  | 'empty_input'
  | 'concurrent_update' // another process was writing the same header
  | 'invalid_input' // refused before running: an empty key
  | 'timeout'
  | 'failed';

export class CryptsetupError extends Error {
  constructor(
    readonly kind: CryptsetupFailure,
    readonly command: string,
    readonly exitCode: number | null,
    /** cryptsetup's own message; it never echoes secrets. */
    readonly stderr: string,
  ) {
    super(
      `cryptsetup ${command}: ${kind}${exitCode === null ? '' : ` (exit ${exitCode})`} ${firstLine(stderr)}`,
    );
    this.name = 'CryptsetupError';
  }
}

/** KDF for the slot we add. A 256-bit random key gains nothing from a slow KDF (DEFAULT_SLOT_PBKDF, luks-escrow.ts). */
export type SlotPbkdf =
  | { type: 'pbkdf2'; hash: 'sha256' | 'sha512'; iterations: number }
  | { type: 'argon2id' | 'argon2i' }; // cryptsetup benchmarks its own cost parameters

export type CryptsetupOptions = {
  /** Binary to run; default `cryptsetup` looked up on PATH plus /usr/sbin and /sbin. */
  path?: string;
  /** Kill a cryptsetup run after this long. Default argon2 unlocks take 2–17 s; the default leaves room. */
  timeoutMs?: number;
  /** How often to retry a write that hit "concurrent LUKS2 metadata update" (another writer). */
  concurrentUpdateRetries?: number;
  /**
   * Where the private 0700 directories for named pipes are made: the agent's own root-only directory
   * (luks-escrow.ts uses `<state dir>/secret-pipes`), never the shared /tmp. Required by addKey().
   */
  pipeDir?: string;
  /**
   * Run cryptsetup under `setpriv --pdeathsig KILL` (default: yes when setpriv is installed, as util-linux
   * puts it on every Linux with cryptsetup).
   */
  dieWithAgent?: boolean;
};

type RunResult = { code: number; stdout: string; stderr: string };

const DEFAULT_TIMEOUT_MS = 180_000;
const DEFAULT_RETRIES = 5;

export class Cryptsetup {
  private readonly path: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly pipeDir: string | undefined;
  private readonly setpriv: string | null;

  constructor(options: CryptsetupOptions = {}) {
    this.pipeDir = options.pipeDir;
    this.setpriv = options.dieWithAgent === false ? null : findSetpriv();
    this.path = options.path ?? 'cryptsetup';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = options.concurrentUpdateRetries ?? DEFAULT_RETRIES;
  }

  /** `{ major, minor, patch }` of the installed cryptsetup; throws kind 'missing' when absent. */
  async version(): Promise<{ major: number; minor: number; patch: number; text: string }> {
    const r = await this.check('--version', ['--version']);
    const m = /cryptsetup (\d+)\.(\d+)\.(\d+)/.exec(r.stdout);
    if (!m)
      throw new CryptsetupError('failed', '--version', r.code, `unexpected output: ${firstLine(r.stdout)}`);
    return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: m[0] };
  }

  /**
   * The device's LUKS version and UUID, or null when it is not LUKS (a filesystem, zeros, a directory);
   * throws kind 'no_device' when it does not exist or cannot be read. Read from the header in-process
   * (luks-header.ts); only a device without a readable primary header is handed to cryptsetup, which also
   * recognises a LUKS2 disk by its secondary header copy.
   */
  async identify(device: string): Promise<LuksIdentity | null> {
    try {
      const primary = await readPrimaryLuksHeader(device);
      if (primary) return primary;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ENXIO')
        throw new CryptsetupError('no_device', 'identify', null, `${device}: ${code}`);
      if (code !== 'EISDIR') throw e;
      return null;
    }
    const version = (await this.isLuksType(device, ['--type', 'luks2']))
      ? 2
      : (await this.isLuksType(device, []))
        ? 1
        : null;
    if (version === null) return null;
    return { version, uuid: (await this.check('luksUUID', ['luksUUID', device])).stdout.trim() };
  }

  /**
   * The LUKS2 JSON metadata. Read from the header in-process when both copies are intact and agree
   * (luks-header.ts); otherwise, or when the device cannot be read, `cryptsetup luksDump` answers, with its
   * locking, its recovery from the secondary copy and its error messages.
   */
  async dump(device: string): Promise<LuksMetadata> {
    const inProcess = await readLuks2Metadata(device).catch(() => null);
    if (inProcess !== null) return LuksMetadata.parse(inProcess);
    const r = await this.check('luksDump', ['luksDump', '--dump-json-metadata', device]);
    return LuksMetadata.parse(JSON.parse(r.stdout));
  }

  /**
   * Which slot `secret` opens (optionally only `slot`). Throws kind 'wrong_passphrase' when none.
   * External token plugins are disabled: a root process should not load plugins named after header data.
   */
  async testPassphrase(device: string, secret: Uint8Array, slot?: number): Promise<number> {
    const slotArgs = slot === undefined ? [] : ['--key-slot', String(slot)];
    const args = [
      'open',
      '--test-passphrase',
      '-v',
      '--disable-external-tokens',
      '--key-file=-',
      ...slotArgs,
      device,
    ];
    const r = await this.check('open --test-passphrase', args, requireSecret(secret, 'open'));
    return parseSlot(r.stdout, /Key slot (\d+) unlocked/, 'open --test-passphrase');
  }

  /**
   * Add `newKey` in slot `slot`, authorised by `current` (tried against every slot). Both secrets go
   * through named pipes (`--key-file` and `--new-keyfile`). Measured with --debug on 2.6.1: only when
   * NEITHER key comes from stdin does luksAddKey derive the user's (slow, argon2) slot once; with stdin
   * (two lines or `--key-file=-`) or `-v` it first checks the passphrase separately and derives it twice.
   * The price is that cryptsetup does not say which slot the passphrase opened.
   *
   * `ready`: cryptsetup starts only once it resolves (the caller's journal entry is on disk); the pipes are
   * made meanwhile. If it rejects, nothing runs and its error is thrown.
   *
   * `unlockSlot`: try `current` against that slot only (`--key-slot U --new-key-slot N`, measured on
   * 2.6.1: a key of another slot is then refused). A recovery key authorising the new passphrase's slot
   * needs one cheap pbkdf2 derivation instead of one argon2 run per user slot before it.
   */
  async addKey(
    device: string,
    current: Uint8Array,
    newKey: Uint8Array,
    slot: number,
    pbkdf: SlotPbkdf,
    ready: Promise<unknown> = Promise.resolve(),
    unlockSlot?: number,
  ): Promise<void> {
    const readiness = ready.then(
      () => null,
      (e: unknown) => ({ failed: e }),
    );
    requireSecret(current, 'luksAddKey');
    requireSecret(newKey, 'luksAddKey');
    const pipeDir = this.pipeDir;
    if (pipeDir === undefined) {
      await readiness;
      throw new CryptsetupError('invalid_input', 'luksAddKey', null, 'no directory for the secret pipes');
    }
    const fifos = await SecretFifo.create(pipeDir, 2).catch(async (e: unknown) => {
      await readiness; // settle first: the caller's step must not outlive this call
      throw e;
    });
    try {
      const notReady = await readiness;
      if (notReady) throw notReady.failed;
      const [currentPath, newPath] = fifos.paths;
      const slots =
        unlockSlot === undefined
          ? ['--key-slot', String(slot)]
          : ['--key-slot', String(unlockSlot), '--new-key-slot', String(slot)];
      const args = ['luksAddKey', '--disable-external-tokens', ...slots, ...pbkdfArgs(pbkdf)];
      args.push(`--key-file=${currentPath}`, `--new-keyfile=${newPath}`, device);
      await this.write('luksAddKey', args, undefined, () => fifos.serve([current, newKey]));
    } finally {
      await fifos.dispose();
    }
  }

  /** Import a token (no passphrase needed); with `replaceId` the token with that id is replaced in place. */
  async tokenImport(device: string, token: object, replaceId?: number): Promise<number> {
    const replace = replaceId === undefined ? [] : ['--token-id', String(replaceId), '--token-replace'];
    const json = Buffer.from(JSON.stringify(token));
    const r = await this.write(
      'token import',
      ['token', 'import', '-v', '--json-file', '-', ...replace, device],
      json,
    );
    return replaceId ?? parseSlot(r.stdout, /Token (\d+) created/, 'token import');
  }

  async tokenRemove(device: string, tokenId: number): Promise<void> {
    await this.write('token remove', ['token', 'remove', '--token-id', String(tokenId), device]);
  }

  /** Remove the slot that `key` opens (`luksRemoveKey`): the key names its own slot, nothing else can go. */
  async removeKeyWithItsKey(device: string, key: Uint8Array): Promise<void> {
    const args = ['luksRemoveKey', '--disable-external-tokens', '--key-file=-', device];
    await this.write('luksRemoveKey', args, requireSecret(key, 'luksRemoveKey'));
  }

  /**
   * Remove slot `slot`, authorised by a key of ANOTHER slot. Measured on 2.6.1: luksKillSlot only accepts
   * a passphrase of a different slot (the slot's own key is refused unless it is the last slot, which the
   * caller must never remove). The authorising key goes on stdin and must not be empty: empty input would
   * let cryptsetup kill the slot without any check.
   */
  async killSlot(device: string, slot: number, authorizingKey: Uint8Array): Promise<void> {
    const args = ['luksKillSlot', '--disable-external-tokens', '--key-file=-', device, String(slot)];
    await this.write('luksKillSlot', args, requireSecret(authorizingKey, 'luksKillSlot'));
  }

  // ---- running ----

  private async isLuksType(device: string, typeArgs: string[]): Promise<boolean> {
    const r = await this.run(['isLuks', ...typeArgs, device]);
    if (r.code === 0) return true;
    if (/does not exist or access denied/.test(r.stderr)) {
      throw new CryptsetupError('no_device', 'isLuks', r.code, r.stderr);
    }
    return false;
  }

  /** Run a read-only command; any non-zero exit becomes a typed error. */
  private async check(command: string, args: string[], stdin?: Uint8Array): Promise<RunResult> {
    const r = await this.run(args, stdin);
    if (r.code !== 0) throw new CryptsetupError(classify(r), command, r.code, r.stderr);
    return r;
  }

  /**
   * Run a header write. LUKS2 aborts (does not wait) when another process writes the same header at the
   * same moment, so that case is retried with a short randomised backoff; every other failure is final.
   */
  private async write(
    command: string,
    args: string[],
    stdin?: Uint8Array,
    beforeEachRun?: () => { finish: () => Promise<void> },
  ): Promise<RunResult> {
    for (let attempt = 0; ; attempt++) {
      const serving = beforeEachRun?.();
      const r = await this.run(args, stdin).finally(() => serving?.finish());
      if (r.code === 0) return r;
      const kind = classify(r);
      if (kind !== 'concurrent_update' || attempt >= this.retries) {
        throw new CryptsetupError(kind, command, r.code, r.stderr);
      }
      await sleep(50 * 2 ** attempt + Math.random() * 50);
    }
  }

  private run(args: string[], stdin?: Uint8Array): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      // A fixed environment: C locale so the messages we match are English; nothing secret in it.
      const env = { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, LC_ALL: 'C' };
      const [command, argv] = this.setpriv
        ? [this.setpriv, ['--pdeathsig', 'KILL', '--', this.path, ...args]]
        : [this.path, args];
      const child = spawn(command, argv, { env, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      child.stdout?.on('data', (d: Buffer) => out.push(d));
      child.stderr?.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const kind = e.code === 'ENOENT' ? 'missing' : 'failed';
        reject(new CryptsetupError(kind, args[0] ?? '', null, e.message));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        if (timedOut) reject(new CryptsetupError('timeout', args[0] ?? '', null, stderr));
        else resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
      if (stdin && child.stdin) {
        // cryptsetup may exit before reading everything (e.g. bad device): ignore the broken pipe.
        child.stdin.on('error', () => {});
        child.stdin.end(stdin);
      }
    });
  }
}

/** Maps cryptsetup's exit code and message (measured on 2.6.1, see docs) to a failure kind. */
export function classify(r: { code: number; stderr: string }): CryptsetupFailure {
  const s = r.stderr;
  // setpriv could not start cryptsetup (127: not found, 126: not executable)
  if ((r.code === 127 || r.code === 126) && /^setpriv: failed to execute/m.test(s)) return 'missing';
  if (/concurrent LUKS2 metadata update/.test(s)) return 'concurrent_update';
  if (r.code === 2 || /No key available with this passphrase/.test(s)) return 'wrong_passphrase';
  if (/All key slots full/.test(s)) return 'slots_full';
  if (/Key slot \d+ is full/.test(s)) return 'slot_in_use';
  if (/Nothing to read on input/.test(s)) return 'empty_input';
  if (r.code === 4 || /does not exist or access denied/.test(s)) return 'no_device';
  if (/is not a valid LUKS device|is not compatible/.test(s)) return 'not_luks';
  return 'failed';
}

export function pbkdfArgs(p: SlotPbkdf): string[] {
  if (p.type === 'pbkdf2') {
    return ['--pbkdf', 'pbkdf2', '--hash', p.hash, '--pbkdf-force-iterations', String(p.iterations)];
  }
  return ['--pbkdf', p.type];
}

function findSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  return ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;
}

function requireSecret(secret: Uint8Array, command: string): Uint8Array {
  if (secret.length === 0) throw new CryptsetupError('invalid_input', command, null, 'empty key');
  return secret;
}

function parseSlot(stdout: string, pattern: RegExp, command: string): number {
  const m = pattern.exec(stdout);
  if (!m) throw new CryptsetupError('failed', command, 0, `no slot number in output: ${firstLine(stdout)}`);
  return Number(m[1]);
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.slice(0, 300) ?? '';
}
