import { parentPort } from 'node:worker_threads';
import type { EscrowKeyPair } from '../../src-shared/cms/index.js';
import type { Platform } from '../api/agent-api.js';
import { isDecryptable } from '../escrow/key-check.js';

/** One decryptability check per message, off the HTTP thread (an RSA-3072 private operation per key). */
export interface CheckTask {
  id: number;
  base64Encrypted: string;
  platform: Platform;
  keys: readonly EscrowKeyPair[];
}

parentPort?.on('message', (task: CheckTask) => {
  void isDecryptable(task.base64Encrypted, task.platform, task.keys).then((ok) =>
    parentPort?.postMessage({ id: task.id, ok }),
  );
});
