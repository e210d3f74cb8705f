/**
 * Who gets one of the agent's connection places (SECURITY.md, "Who may talk to the agent"). Pure: the IPC
 * server asks it when a connection arrives and when a peer says hello, and does what it answers.
 *
 * Every connection is one of:
 * - untrusted: no hello yet, or anonymous (no valid token). Anyone on the machine can make these.
 * - identified: proved a uid with its token. Each uid has a budget (`perUser`); users other than root and
 *   the people logged in at this computer ("privileged" here: logind's local sessions on Linux, the console's
 *   owner on macOS) share a pool that leaves `reserved` places free, so a user allowed by --allow-user (or
 *   anyone holding such a user's token) cannot fill the table.
 *
 * When the table is full, a newcomer takes the place of the oldest connection that has not said hello, and
 * only when there is none, of the oldest anonymous one. Identified non-privileged connections can never fill
 * more than `maxConnections - reserved` places, so the rest are untrusted (and make room) or belong to root
 * and the local users themselves.
 *
 * Why silent ones first: an anonymous peer that was welcomed holds one of the `maxAnonymous` places. Closing
 * it for a newcomer frees that place for the newcomer's own hello, so a peer connecting in a loop cycled the
 * anonymous places through ever new connections (a flood saw 17 anonymous welcomes against a cap of 16,
 * depending on how its connects and hellos interleaved). A silent connection frees no anonymous place.
 */
export interface AdmissionLimits {
  /** All connections, whatever their state. */
  maxConnections: number;
  /** Anonymous peers (said hello without a valid token). */
  maxAnonymous: number;
  /** Connections one uid may hold once identified (root and local users included: their own flood stays theirs). */
  perUser: number;
  /** Places that identified non-privileged users can never take. */
  reserved: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = {
  maxConnections: 64,
  maxAnonymous: 16,
  perUser: 8,
  reserved: 16,
};

/** What the policy needs to know about a connection. */
export interface Seat {
  /** undefined = no hello yet; null = anonymous; a number = the proven uid. */
  readonly uid: number | null | undefined;
  /** Monotonic order of arrival (smaller = older). */
  readonly since: number;
}

export type Decision<S> = { admit: true; evict?: S } | { admit: false; reason: string };

const isUntrusted = (s: Seat) => s.uid === undefined || s.uid === null;

/** A new connection (no hello yet). */
export function admitConnection<S extends Seat>(seats: readonly S[], limits: AdmissionLimits): Decision<S> {
  if (seats.length < limits.maxConnections) return { admit: true };
  const evict = oldest(seats.filter((s) => s.uid === undefined)) ?? oldest(seats.filter(isUntrusted));
  if (evict) return { admit: true, evict };
  return { admit: false, reason: 'the agent has too many connections' };
}

/**
 * A hello on `self` (already seated, uid undefined) proving `uid` (null = anonymous). `privileged(uid)`:
 * root or a person logged in at this computer.
 */
export function admitHello<S extends Seat>(
  seats: readonly S[],
  self: S,
  uid: number | null,
  privileged: (uid: number) => boolean,
  limits: AdmissionLimits,
): Decision<S> {
  const others = seats.filter((s) => s !== self);
  if (uid === null) {
    const anonymous = others.filter((s) => s.uid === null).length;
    return anonymous < limits.maxAnonymous
      ? { admit: true }
      : { admit: false, reason: 'too many connections without a user token; try again later' };
  }
  if (others.filter((s) => s.uid === uid).length >= limits.perUser) {
    return { admit: false, reason: 'this user has too many connections to the agent; close some first' };
  }
  if (privileged(uid)) return { admit: true }; // seated already: admitConnection made room if needed
  const identifiedOthers = others.filter((s) => typeof s.uid === 'number' && !privileged(s.uid));
  return identifiedOthers.length < limits.maxConnections - limits.reserved
    ? { admit: true }
    : { admit: false, reason: 'the agent has too many connections; try again later' };
}

function oldest<S extends Seat>(seats: readonly S[]): S | undefined {
  let found: S | undefined;
  for (const s of seats) if (!found || s.since < found.since) found = s;
  return found;
}
