import { open } from 'node:fs/promises';
import { ServerRejectedError } from './errors.js';

/**
 * Reads the enroll secret IT deployed, or says in one sentence what is wrong with the file and how to fix it
 * (a ServerRejectedError: retrying will not help until someone changes the file; the follower backs off).
 * A file every account can read is refused: the secret enrolls any machine into the organisation.
 */
export async function readEnrollSecret(file: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist: deploy it (the enroll secret escrow-server init printed; owner root, mode 0600)'
        : code === 'EACCES'
          ? 'cannot be read by the agent (permission denied): it must be owned by root, mode 0600'
          : `cannot be opened (${code ?? String(err)})`;
    throw new ServerRejectedError(0, `the enroll secret file ${file} ${why}`);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory())
      throw new ServerRejectedError(0, `the enroll secret file ${file} is a directory, not a file`);
    if ((info.mode & 0o004) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new ServerRejectedError(
        0,
        `the enroll secret file ${file} is readable by every account (mode ${mode}); run chmod 600 ${file}`,
      );
    }
    const secret = (await handle.readFile('utf8')).trim();
    if (!secret) throw new ServerRejectedError(0, `the enroll secret file ${file} is empty`);
    return secret;
  } finally {
    await handle.close();
  }
}
