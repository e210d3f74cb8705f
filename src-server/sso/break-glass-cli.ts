import { digest, newSecret } from '../http/secrets.js';
import { openStore } from '../storage/open.js';
import { unusablePasswordHash } from './sessions.js';

/** How long a break-glass link works. */
export const BREAK_GLASS_TTL_MS = 10 * 60_000;

export class BreakGlassError extends Error {}

/**
 * `escrow-server break-glass`: a one-time link into the console as an admin, made on the server itself
 * (whoever runs it can read the database anyway). It works with password sign-in switched off and with the
 * identity provider down. The admin account is made if missing (unlimited admin, no usable password);
 * an existing account must be an enabled, unlimited admin.
 */
export async function breakGlass(opts: {
  dataDir: string;
  databaseUrl?: string;
  email: string;
  url: string;
  now?: number;
}): Promise<{ link: string; expiresAt: string; created: boolean }> {
  const email = opts.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new BreakGlassError('--email must be an email address');
  const store = await openStore(opts);
  try {
    let user = await store.findUserByEmail(email);
    let created = false;
    if (!user) {
      user = await store.createUser({
        email,
        name: 'break-glass admin',
        role: 'admin',
        teams: null,
        password_hash: await unusablePasswordHash(),
      });
      if (!user) throw new BreakGlassError(`could not make ${email}`);
      created = true;
      await store.addActivity({
        actor: 'cli',
        actor_kind: 'system',
        type: 'created_user',
        details: { user_id: user.id, email, role: 'admin', teams: null, via: 'break-glass' },
      });
    } else if (user.disabled || user.role !== 'admin' || user.teams !== null) {
      throw new BreakGlassError(`${email} is not an enabled admin for every team; name another email`);
    }
    const code = newSecret();
    const now = opts.now ?? Date.now();
    const expiresAt = new Date(now + BREAK_GLASS_TTL_MS).toISOString();
    await store.sso.createBreakGlassCode(user.id, digest(code), new Date(now).toISOString(), expiresAt);
    return { link: `${opts.url.replace(/\/+$/, '')}/sso/break-glass?code=${code}`, expiresAt, created };
  } finally {
    await store.close();
  }
}
