import type { z } from 'zod';
import type {
  AgentEvent,
  MethodName,
  Methods,
  ProgressStep,
  ResultOf,
} from '../../ipc/desktop-agent/messages.js';

/** Who is on the other end of a connection, as established in the handshake (see peer-tokens.ts). */
export interface PeerIdentity {
  /** null = anonymous: no valid token, so the agent does not know the uid. */
  uid: number | null;
  name: string;
}

export interface RequestContext {
  peer: PeerIdentity;
  /** The secret frame sent with this request (takesSecret methods only). Wiped by the IPC server afterwards. */
  secret: Buffer | null;
  requestId: number;
  /** Sends a progress event to this request's connection only. */
  progress(step: ProgressStep): void;
}

export type MethodHandlers = {
  [M in MethodName]: (
    params: z.infer<(typeof Methods)[M]['params']>,
    ctx: RequestContext,
  ) => Promise<ResultOf<M>>;
};

/** Methods an anonymous or not-allowed peer may call: reading status reveals no secret. */
export const OPEN_METHODS: ReadonlySet<MethodName> = new Set(['status.get']);

export type EventSink = (event: AgentEvent) => void;
