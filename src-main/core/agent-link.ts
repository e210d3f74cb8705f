import type {
  AgentEvent,
  MethodName,
  ParamsOf,
  ResultOf,
  Welcome,
} from '../../ipc/desktop-agent/messages.js';
import { type Clock, systemClock } from './clock.js';
import { DEFAULT_RECONNECT_DELAYS, type ReconnectDelays, reconnectDelay } from './reconnect-delay.js';

/** The part of ipc/client.ts's AgentClient the desktop uses; tests pass a fake with the same shape. */
export interface AgentConnection {
  readonly welcome: Welcome;
  request<M extends MethodName>(method: M, params: ParamsOf<M>, secret?: Buffer): Promise<ResultOf<M>>;
  on(event: 'event', listener: (ev: AgentEvent) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  close(): void;
}

export type ConnectAgent = () => Promise<AgentConnection>;

export interface AgentLinkListener {
  connected(conn: AgentConnection): void;
  event(ev: AgentEvent): void;
  /** `everConnected` tells a lost connection (try again at once) from an agent that is not there at all. */
  disconnected(reason: string, state: 'connecting' | 'agent_unavailable'): void;
}

/**
 * Keeps one connection to the agent alive: connects, and after a failure or a lost connection retries with
 * reconnect for as long as the app runs. The agent is a system service that may restart under us (package
 * upgrade) or be missing (not installed); both are normal states the user is told about, not crashes.
 */
export class AgentLink {
  private conn: AgentConnection | null = null;
  private failures = 0;
  /** Cancels the pending reconnect, if one is pending. */
  private cancelRetry: (() => void) | null = null;
  private stopped = true;

  constructor(
    private readonly connect: ConnectAgent,
    private readonly listener: AgentLinkListener,
    private readonly reconnect: ReconnectDelays = DEFAULT_RECONNECT_DELAYS,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry?.();
    this.cancelRetry = null;
    const conn = this.conn;
    this.conn = null;
    conn?.close();
  }

  current(): AgentConnection | null {
    return this.conn;
  }

  private async attempt(): Promise<void> {
    this.cancelRetry = null;
    let conn: AgentConnection;
    try {
      conn = await this.connect();
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      this.listener.disconnected(reasonOf(err), 'agent_unavailable');
      this.schedule();
      return;
    }
    if (this.stopped) {
      conn.close();
      return;
    }
    this.failures = 0;
    this.conn = conn;
    conn.on('event', (ev) => {
      if (this.conn === conn) this.listener.event(ev);
    });
    conn.on('close', () => {
      if (this.conn !== conn) return;
      this.conn = null;
      if (this.stopped) return;
      this.listener.disconnected('the connection to the escrow agent was lost', 'connecting');
      this.failures = 1;
      this.schedule();
    });
    this.listener.connected(conn);
  }

  private schedule(): void {
    const delay = reconnectDelay(this.failures, this.reconnect);
    this.cancelRetry = this.clock.timeout(delay, () => void this.attempt());
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : 'cannot reach the escrow agent';
}
