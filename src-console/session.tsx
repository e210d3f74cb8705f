import { createContext, useContext } from 'react';
import type { MeResponse } from './api/types.js';
import { type Capabilities, capabilitiesOf } from './roles.js';

export interface Session {
  me: MeResponse;
  /** Who is signed in, as the console names them. */
  displayName: string;
  can: Capabilities;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in person; every screen but sign-in renders only inside a session. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}

export function sessionFor(me: MeResponse, signOut: () => void): Session {
  const displayName = me.user ? me.user.name || me.user.email : (me.api_token?.name ?? 'API token');
  return { me, displayName, can: capabilitiesOf(me.permissions), signOut };
}
