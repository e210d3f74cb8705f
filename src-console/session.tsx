import { createContext, useContext } from 'react';
import type { SessionUser } from './api/types.js';
import { type Capabilities, capabilitiesOf } from './roles.js';

export interface Session {
  user: SessionUser;
  can: Capabilities;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in admin; every screen but sign-in renders only inside a session. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}

export function sessionFor(user: SessionUser, signOut: () => void): Session {
  return { user, can: capabilitiesOf(user.role), signOut };
}
