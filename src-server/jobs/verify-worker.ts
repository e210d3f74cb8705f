import { parentPort } from 'node:worker_threads';
import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import type { EscrowKeyPair } from '../../node-lib/cms/index.js';
import { isDecryptable } from '../escrow/key-check.js';

/**
 * One decryptability check per message, off the HTTP thread (an RSA-3072 private operation per key). The
 * escrow keys ride along only when they differ from the ones this worker already holds: copying every PEM
 * into every task cost the main thread as much as a tenth of the RSA work.
 */
export interface CheckTask {
  id: number;
  base64Encrypted: string;
  platform: Platform;
  keys?: readonly EscrowKeyPair[];
}

let keys: readonly EscrowKeyPair[] = [];

parentPort?.on('message', (task: CheckTask) => {
  if (task.keys) keys = task.keys;
  void isDecryptable(task.base64Encrypted, task.platform, keys).then((ok) =>
    parentPort?.postMessage({ id: task.id, ok }),
  );
});
