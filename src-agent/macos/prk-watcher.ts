import { createHash } from 'node:crypto';
import type { FSWatcher } from 'node:fs';
import { watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { isWellFormedEnvelope } from '../../node-lib/cms/envelope-parse.js';
import { errorMessage } from '../../node-lib/error-message.js';
import type { Logger } from '../../node-lib/logger.js';
import { JsonStateFile } from '../durable-file.js';

export const DEFAULT_PRK_PATH = '/var/db/FileVaultPRK.dat';

/** The agent's port to `POST /api/fleet/orbit/filevault_prk` (HTTP is the agent-service's job). */
export type PrkUploader = (u: { base64_encrypted: string; client_error: string }) => Promise<void>;

export interface PrkWatcherOptions {
  prkPath: string;
  stateDir: string;
  uploader: PrkUploader;
  log: Logger;
  /** Safety-net poll while fs.watch works: catches an event the kernel dropped. */
  idlePollMs?: number;
  /** Poll used when fs.watch cannot watch the directory: then it is our only way to notice a new file. */
  degradedPollMs?: number;
  /** Coalesces the burst of events one atomic replace produces (create temp, write, rename). */
  debounceMs?: number;
  /** A file that is not a CMS envelope is re-read once after this long before being reported. */
  malformedRecheckMs?: number;
}

/** 'seen': a new, well-formed PRK file is on disk (upload under way); 'sent': it reached the server. */
export type PrkEvent = 'seen' | 'sent';

export interface PrkWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Look at the file now (also what every watch event and poll tick ends in); resolves when done. */
  checkNow(): Promise<void>;
  onEvent(cb: (e: PrkEvent) => void): () => void;
}

const SENT_FILE = 'filevault-prk-sent.json';
/** Hashes of PRK files already sent; anything in the file that is not a string is ignored. */
const SentHashes = z.array(z.unknown()).transform((a) => a.filter((h): h is string => typeof h === 'string'));
// Hashes of ciphertexts are not secret; we keep the recent ones so a restart never re-sends a file.
const MAX_REMEMBERED = 64;
const MAX_RETRY_MS = 60_000;

/**
 * Watches the directory, not the file: macOS replaces FileVaultPRK.dat atomically (new inode), and a
 * watch on the old inode would go silent after the first replace.
 *
 * Polling trade-off: with fs.watch healthy we stat only every `idlePollMs` (5 s default), so an idle agent
 * wakes up at most every 5 s for this; a dropped event then costs up to 5 s of latency instead of the
 * sub-second path. If fs.watch fails, sub-second escrow matters more than idle wake-ups, so we stat every
 * `degradedPollMs` (1 s default).
 */
export function createPrkWatcher(opts: PrkWatcherOptions): PrkWatcher {
  const idlePollMs = opts.idlePollMs ?? 5_000;
  const degradedPollMs = opts.degradedPollMs ?? 1_000;
  const debounceMs = opts.debounceMs ?? 20;
  const malformedRecheckMs = opts.malformedRecheckMs ?? 250;
  const dir = dirname(opts.prkPath);
  const name = basename(opts.prkPath);
  const sentFile = new JsonStateFile(join(opts.stateDir, SENT_FILE), SentHashes);
  const listeners = new Set<(e: PrkEvent) => void>();

  let sent: string[] = [];
  let reportedMalformed: string | undefined;
  let watcher: FSWatcher | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = 1_000;
  let lastStat = '';
  let running = false;
  // One check at a time; a request during a check runs one more check afterwards.
  let current: Promise<void> | undefined;
  let again = false;

  const emit = (e: PrkEvent) => {
    for (const cb of listeners) cb(e);
  };

  async function loadSent() {
    sent = (await sentFile.load()) ?? [];
  }

  async function rememberSent(hash: string) {
    sent = [...sent.filter((h) => h !== hash), hash].slice(-MAX_REMEMBERED);
    await sentFile.save(sent);
  }

  async function readPrk(): Promise<Buffer | undefined> {
    try {
      return await readFile(opts.prkPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async function checkOnce() {
    let bytes = await readPrk();
    if (!bytes) return;
    let hash = sha256(bytes);
    if (sent.includes(hash)) return;

    if (!isWellFormedEnvelope(bytes)) {
      // A writer that does not replace atomically can be caught mid-write: look once more before blaming.
      await delay(malformedRecheckMs);
      bytes = await readPrk();
      if (!bytes) return;
      hash = sha256(bytes);
      if (sent.includes(hash)) return;
      if (!isWellFormedEnvelope(bytes)) {
        if (reportedMalformed === hash) return;
        const client_error = `${opts.prkPath} is not a well-formed CMS envelope (${bytes.length} bytes); not sent`;
        opts.log.warn({ bytes: bytes.length }, 'FileVault PRK file is not a CMS envelope');
        await opts.uploader({ base64_encrypted: '', client_error });
        reportedMalformed = hash;
        return;
      }
    }

    emit('seen');
    await opts.uploader({ base64_encrypted: bytes.toString('base64'), client_error: '' });
    await rememberSent(hash);
    opts.log.info({ bytes: bytes.length }, 'FileVault PRK escrowed');
    emit('sent');
  }

  function checkNow(): Promise<void> {
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      do {
        again = false;
        try {
          await checkOnce();
          retryDelay = 1_000;
        } catch (e) {
          opts.log.warn({ err: errorMessage(e) }, 'FileVault PRK check failed; will retry');
          scheduleRetry();
        }
      } while (again && running);
    })().finally(() => {
      current = undefined;
    });
    return current;
  }

  function scheduleRetry() {
    if (!running || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void checkNow();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
  }

  function onWatchEvent(_event: string, filename: string | Buffer | null) {
    // Some platforms omit the name; then any change in the directory might be ours.
    if (filename !== null && filename.toString() !== name) return;
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => void checkNow(), debounceMs);
  }

  async function pollTick() {
    const s = await stat(opts.prkPath).catch(() => undefined);
    const fingerprint = s ? `${s.ino}:${s.size}:${s.mtimeMs}` : 'absent';
    if (fingerprint !== lastStat) {
      lastStat = fingerprint;
      await checkNow();
    }
  }

  function startPolling(intervalMs: number) {
    clearInterval(pollTimer);
    pollTimer = setInterval(() => void pollTick(), intervalMs);
  }

  function startWatching(): boolean {
    try {
      watcher = watch(dir, { persistent: false }, onWatchEvent);
      watcher.on('error', (e) => {
        opts.log.warn({ err: e.message }, 'fs.watch on the PRK directory failed; polling instead');
        watcher?.close();
        watcher = undefined;
        if (running) startPolling(degradedPollMs);
      });
      return true;
    } catch (e) {
      opts.log.warn({ err: errorMessage(e) }, 'cannot fs.watch the PRK directory; polling instead');
      return false;
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      await loadSent();
      startPolling(startWatching() ? idlePollMs : degradedPollMs);
      // A file written while the agent was down is sent now, not at the next change.
      await pollTick();
    },
    async stop() {
      running = false;
      watcher?.close();
      watcher = undefined;
      clearInterval(pollTimer);
      clearTimeout(debounceTimer);
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await current;
    },
    checkNow,
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
