import type { Action, DeviceStatus } from '../../ipc/desktop-agent/device-status.js';
import type { AgentEvent } from '../../ipc/desktop-agent/messages.js';
import {
  type PassphraseFlow,
  RendererRequest,
  type RendererResponse,
  UiError,
  type UiState,
  type WindowKind,
} from '../../ipc/window-bridge/contract.js';
import type { MenuCommand, ShellEvents, ShellPort } from '../shell/port.js';
import { type AgentConnection, AgentLink, type ConnectAgent } from './agent-link.js';
import { logoutPlan } from './logout-plan.js';
import { LogoutError, type LogoutPort } from './logout-port.js';
import type { ReconnectDelays } from './reconnect-delay.js';
import { mainStrings as s } from './strings.js';
import { trayModelFor } from './tray-model.js';

export interface DesktopCoreOptions {
  shell: ShellPort;
  connect: ConnectAgent;
  logout: LogoutPort;
  appVersion: string;
  platform: UiState['app']['platform'];
  reconnect?: ReconnectDelays;
  /**
   * How long a newly requested action must stay requested before the user is interrupted. The agent may
   * report a request that it withdraws a moment later (a server poll racing a finished escrow); a prompt
   * for that would be noise. Default 300 ms.
   */
  actionSettleMs?: number;
}

type TimerName = 'remind' | 'logout' | 'cooldown' | 'settle';

const IDLE_PASSPHRASE: PassphraseFlow = {
  phase: 'idle',
  step: null,
  error: null,
  cooldownUntil: null,
  result: null,
  remindAt: null,
};

type Listener = (state: UiState) => void;

/**
 * The desktop app's logic, free of Electron: it turns what the agent reports into the tray, notifications
 * and windows, and turns the user's clicks into agent requests. Everything it does to the screen goes
 * through the ShellPort, so the same core runs under Electron and in the web harness.
 */
export class DesktopCore implements ShellEvents {
  private state: UiState;
  private readonly link: AgentLink;
  private readonly listeners = new Set<Listener>();
  private lastTray = '';
  /** Which action we last told the user about, so a status refresh does not notify twice. */
  private notifiedFor = '';
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();

  constructor(private readonly opts: DesktopCoreOptions) {
    this.state = {
      app: { version: opts.appVersion, platform: opts.platform },
      connection: { state: 'connecting', message: null },
      status: null,
      passphrase: IDLE_PASSPHRASE,
      logout: null,
    };
    this.link = new AgentLink(
      opts.connect,
      {
        connected: (conn) => void this.onConnected(conn),
        event: (ev) => this.onAgentEvent(ev),
        disconnected: (reason, state) => this.onDisconnected(reason, state),
      },
      opts.reconnect,
    );
  }

  start(): void {
    this.publish();
    this.link.start();
  }

  stop(): void {
    this.link.stop();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
  }

  getState(): UiState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- Renderer requests -------------------------------------------------------------------------

  /**
   * One entry for every renderer request, from Electron IPC or the web harness. `raw` is untrusted: it is
   * parsed here, and the answer never echoes it (it may hold a passphrase).
   */
  async handleRequest(from: WindowKind, raw: unknown): Promise<RendererResponse> {
    const parsed = RendererRequest.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => i.path.join('.') || '(request)').join(', ');
      return fail({ code: 'invalid_request', message: `The request was not understood (${where}).` });
    }
    const req = parsed.data;
    switch (req.type) {
      case 'getState':
        return this.ok();
      case 'submitPassphrase':
        return this.submitPassphrase(Buffer.from(req.passphrase, 'utf8'));
      case 'remindLater':
        return this.remindLater();
      case 'deferLogout':
        return this.deferLogout();
      case 'logOutNow':
        return this.logOutNow();
      case 'openWindow':
        return this.openWindowFor(req.kind);
      case 'openContact':
        return this.openContact();
      case 'close':
        if (from === 'logout' && this.state.logout?.overdue) {
          return fail({ code: 'not_allowed_now', message: s.errors.notNow });
        }
        this.opts.shell.closeWindow(from);
        return this.ok();
    }
  }

  private async submitPassphrase(secret: Buffer): Promise<RendererResponse> {
    try {
      const conn = this.link.current();
      if (!conn) return fail({ code: 'agent_unavailable', message: s.errors.agentUnavailable });
      const flow = this.state.passphrase;
      if (flow.phase === 'submitting') return fail({ code: 'busy', message: s.errors.busy });
      if (flow.cooldownUntil && Date.parse(flow.cooldownUntil) > Date.now()) {
        return fail({
          code: 'cooldown',
          message: flow.error?.message ?? s.errors.notNow,
          until: flow.cooldownUntil,
        });
      }
      const action = this.state.status?.action;
      const volumeId = action?.kind === 'luks_passphrase' ? action.volumeId : undefined;
      this.setPassphrase({
        ...flow,
        phase: 'submitting',
        step: 'checking_passphrase',
        error: null,
        result: null,
      });
      // request() copies the secret into its frame synchronously, so our copy can be wiped right away.
      const pending = conn.request('recoveryKey.create', volumeId ? { volumeId } : {}, secret);
      secret.fill(0);
      try {
        const result = await pending;
        this.setPassphrase({ ...IDLE_PASSPHRASE, phase: 'success', result });
      } catch (err) {
        const error = uiErrorOf(err);
        if (error.code === 'cooldown' && error.until) {
          this.setPassphrase({ ...IDLE_PASSPHRASE, phase: 'cooldown', error, cooldownUntil: error.until });
          this.at('cooldown', Date.parse(error.until), () => {
            if (this.state.passphrase.phase === 'cooldown') this.setPassphrase(IDLE_PASSPHRASE);
          });
        } else {
          this.setPassphrase({ ...IDLE_PASSPHRASE, phase: 'error', error });
        }
      }
      return this.ok();
    } finally {
      secret.fill(0);
    }
  }

  private async remindLater(): Promise<RendererResponse> {
    const conn = this.link.current();
    if (!conn) return fail({ code: 'agent_unavailable', message: s.errors.agentUnavailable });
    try {
      const { remindAt } = await conn.request('luks.remindLater', {});
      this.setPassphrase({ ...this.state.passphrase, remindAt });
      this.opts.shell.closeWindow('passphrase');
      this.scheduleReminder(remindAt);
      return this.ok();
    } catch (err) {
      return fail(uiErrorOf(err));
    }
  }

  private async deferLogout(): Promise<RendererResponse> {
    const conn = this.link.current();
    if (!conn) return fail({ code: 'agent_unavailable', message: s.errors.agentUnavailable });
    if (!this.state.logout?.canDefer) return fail({ code: 'not_allowed_now', message: s.errors.notNow });
    try {
      const r = await conn.request('logout.defer', {});
      this.applyAction({ kind: 'macos_logout', ...r });
      this.opts.shell.closeWindow('logout');
      return this.ok();
    } catch (err) {
      return fail(uiErrorOf(err));
    }
  }

  private async logOutNow(): Promise<RendererResponse> {
    const logout = this.state.logout;
    if (!logout) return fail({ code: 'not_allowed_now', message: s.errors.notNow });
    this.update({ logout: { ...logout, phase: 'logging_out', error: null } });
    try {
      await this.opts.logout.logOut();
      return this.ok();
    } catch (err) {
      const error: UiError =
        err instanceof LogoutError
          ? { code: err.code, message: err.message }
          : { code: 'logout_failed', message: s.errors.logoutFailed };
      const current = this.state.logout;
      if (current) this.update({ logout: { ...current, phase: 'error', error } });
      return fail(error);
    }
  }

  private openWindowFor(kind: WindowKind): RendererResponse {
    if (kind === 'passphrase') this.openPassphraseWindow();
    else if (kind === 'logout') {
      if (!this.state.logout) return fail({ code: 'not_allowed_now', message: s.errors.notNow });
      this.openLogoutWindow();
    } else this.opts.shell.openWindow(kind);
    return this.ok();
  }

  private openContact(): RendererResponse {
    const url = this.state.status?.organization?.contactUrl ?? '';
    // Only links that open a browser or a mail client; the URL came from the server, not from the renderer.
    if (!/^(https:\/\/|mailto:)/i.test(url))
      return fail({ code: 'not_allowed_now', message: s.errors.noContact });
    this.opts.shell.openExternal(url);
    return this.ok();
  }

  // ---- Shell events ------------------------------------------------------------------------------

  onMenuCommand(command: MenuCommand): void {
    if (command === 'create-recovery-key') this.openPassphraseWindow();
    else if (command === 'log-out') this.openLogoutWindow();
    else if (command === 'my-device') this.opts.shell.openWindow('my-device');
    else this.opts.shell.openWindow('about');
  }

  onWindowClosed(kind: WindowKind): void {
    // Past the deadline the prompt comes straight back: it stays until the user logs out.
    if (kind === 'logout' && this.state.logout?.overdue && this.state.logout.phase !== 'logging_out') {
      this.openLogoutWindow();
    }
  }

  // ---- Agent -------------------------------------------------------------------------------------

  private async onConnected(conn: AgentConnection): Promise<void> {
    try {
      const status = await conn.request('status.get', {});
      if (this.link.current() !== conn) return;
      this.update({ connection: { state: 'connected', message: null } });
      this.opts.shell.withdraw('agent');
      this.applyStatus(status);
    } catch {
      // The link notices the lost connection itself and retries.
    }
  }

  private onDisconnected(reason: string, state: 'connecting' | 'agent_unavailable'): void {
    const wasConnected = this.state.connection.state === 'connected';
    const passphrase =
      this.state.passphrase.phase === 'submitting'
        ? {
            ...IDLE_PASSPHRASE,
            phase: 'error' as const,
            error: { code: 'agent_unavailable' as const, message: s.errors.agentUnavailable },
          }
        : this.state.passphrase;
    this.update({ connection: { state, message: reason }, passphrase });
    if (state === 'agent_unavailable' && wasConnected) {
      this.opts.shell.notify({
        tag: 'agent',
        title: s.notify.agentDownTitle,
        body: s.notify.agentDownBody,
        onClick: () => this.opts.shell.openWindow('my-device'),
      });
    }
  }

  private onAgentEvent(ev: AgentEvent): void {
    if (ev.event === 'status') this.applyStatus(ev.data);
    else if (ev.event === 'action_required') this.applyAction(ev.data);
    else if (ev.event === 'progress') {
      if (this.state.passphrase.phase === 'submitting')
        this.setPassphrase({ ...this.state.passphrase, step: ev.data.step });
    } else if (ev.event === 'escrow_result') {
      const flow = this.state.passphrase;
      // A key that was queued (server down) reached the server later: the success screen says so.
      if (flow.phase === 'success' && flow.result?.outcome === 'queued' && ev.data.outcome === 'escrowed') {
        this.setPassphrase({
          ...flow,
          result: { ...flow.result, outcome: 'escrowed', escrowedAt: new Date().toISOString() },
        });
      }
    }
  }

  private applyStatus(status: DeviceStatus): void {
    const before = this.state.status?.action ?? null;
    this.update({ status, logout: logoutFlowFor(status.action, this.state.logout) });
    this.reactToAction(before, status.action);
  }

  private applyAction(action: Action): void {
    const status = this.state.status;
    if (!status) return;
    this.applyStatus({ ...status, action });
  }

  /** Decide what the user sees when the agent's requested action appears, changes or goes away. */
  private reactToAction(before: Action | null, action: Action | null): void {
    if (!action) {
      this.notifiedFor = '';
      this.opts.shell.withdraw('action');
      this.clearTimer('settle');
      this.clearTimer('remind');
      this.clearTimer('logout');
      if (before?.kind === 'macos_logout') this.opts.shell.closeWindow('logout');
      return;
    }
    if (this.timers.has('settle')) return; // the pending settle check will look at the latest action
    const settleMs = this.opts.actionSettleMs ?? 300;
    if (before === null && settleMs > 0) {
      this.at('settle', Date.now() + settleMs, () => {
        const current = this.state.status?.action;
        if (current) this.promptFor(current);
      });
      return;
    }
    this.promptFor(action);
  }

  private promptFor(action: Action): void {
    if (action.kind === 'luks_passphrase') {
      const remindAt = action.remindAt ? Date.parse(action.remindAt) : null;
      if (remindAt !== null && remindAt > Date.now()) this.scheduleReminder(action.remindAt as string);
      else
        this.announce(
          `luks:${action.volumeId}:${action.remindAt ?? ''}`,
          s.notify.luksTitle,
          s.notify.luksBody,
          () => this.openPassphraseWindow(),
        );
    } else if (action.kind === 'macos_logout') {
      const plan = logoutPlan(action, Date.now());
      this.clearTimer('logout');
      if (plan.recheckAt !== null) {
        this.at('logout', plan.recheckAt, () => {
          const current = this.state.status?.action;
          if (current?.kind === 'macos_logout') this.applyStatus({ ...(this.state.status as DeviceStatus) });
        });
      }
      if (plan.promptNow) {
        const body = plan.overdue ? s.notify.logoutOverdueBody : s.notify.logoutBody;
        this.announce(`logout:${action.nextPromptAt ?? ''}:${plan.overdue}`, s.notify.logoutTitle, body, () =>
          this.openLogoutWindow(),
        );
        // A log-out prompt is a window, not only a notification: the user must answer it.
        this.openLogoutWindow();
      }
    } else {
      this.announce(`bitlocker:${action.message}`, s.notify.bitlockerTitle, action.message, () =>
        this.opts.shell.openWindow('my-device'),
      );
    }
  }

  /** Notify once per distinct request; without a tray a notification alone may go unseen, so also open. */
  private announce(key: string, title: string, body: string, open: () => void): void {
    if (this.notifiedFor === key) return;
    this.notifiedFor = key;
    this.opts.shell.notify({ tag: 'action', title, body, onClick: open });
    if (!this.opts.shell.hasTray) open();
  }

  private scheduleReminder(remindAt: string): void {
    this.at('remind', Date.parse(remindAt), () => {
      const action = this.state.status?.action;
      if (action?.kind !== 'luks_passphrase') return;
      this.notifiedFor = '';
      this.announce(`luks:${action.volumeId}:${remindAt}`, s.notify.luksTitle, s.notify.luksBody, () =>
        this.openPassphraseWindow(),
      );
    });
  }

  private openPassphraseWindow(): void {
    const flow = this.state.passphrase;
    if (flow.phase !== 'submitting' && flow.phase !== 'cooldown') {
      // A stale error or an old success must not greet a fresh attempt; a cool-down the agent still
      // enforces (say, from before this app restarted) must.
      const action = this.state.status?.action;
      const until = action?.kind === 'luks_passphrase' ? action.cooldownUntil : null;
      if (until && Date.parse(until) > Date.now()) {
        this.setPassphrase({
          ...IDLE_PASSPHRASE,
          phase: 'cooldown',
          cooldownUntil: until,
          remindAt: flow.remindAt,
        });
        this.at('cooldown', Date.parse(until), () => {
          if (this.state.passphrase.phase === 'cooldown') this.setPassphrase(IDLE_PASSPHRASE);
        });
      } else if (flow.phase !== 'idle') {
        this.setPassphrase({ ...IDLE_PASSPHRASE, remindAt: flow.remindAt });
      }
    }
    this.opts.shell.openWindow('passphrase');
  }

  private openLogoutWindow(): void {
    this.opts.shell.openWindow('logout', { mustAct: this.state.logout?.overdue ?? false });
  }

  // ---- State plumbing ----------------------------------------------------------------------------

  private at(name: TimerName, when: number, fn: () => void): void {
    this.clearTimer(name);
    // setTimeout holds at most ~24.8 days; a later reminder re-arms when the agent re-sends its status.
    const delay = Math.min(Math.max(0, when - Date.now()), 2 ** 31 - 1);
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        fn();
      }, delay),
    );
  }

  private clearTimer(name: TimerName): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
  }

  private setPassphrase(passphrase: PassphraseFlow): void {
    this.update({ passphrase });
  }

  private update(patch: Partial<UiState>): void {
    this.state = { ...this.state, ...patch };
    this.publish();
  }

  private publish(): void {
    const tray = trayModelFor(this.state);
    const key = JSON.stringify(tray);
    if (key !== this.lastTray) {
      this.lastTray = key;
      this.opts.shell.setTray(tray);
    }
    for (const l of this.listeners) l(this.state);
  }

  private ok(): RendererResponse {
    return { ok: true, state: this.state };
  }
}

function fail(error: UiError): RendererResponse {
  return { ok: false, error };
}

function logoutFlowFor(action: Action | null, previous: UiState['logout']): UiState['logout'] {
  if (action?.kind !== 'macos_logout') return null;
  const plan = logoutPlan(action, Date.now());
  return {
    deadline: action.deadline,
    deferralsLeft: action.deferralsLeft,
    nextPromptAt: action.nextPromptAt,
    overdue: plan.overdue,
    canDefer: plan.canDefer,
    phase: previous?.phase ?? 'idle',
    error: previous?.error ?? null,
  };
}

/** Agent errors carry a code and a plain-words message written for people; keep both, add the details. */
function uiErrorOf(err: unknown): UiError {
  const e = err as { code?: unknown; message?: unknown; details?: { attemptsLeft?: number; until?: string } };
  const parsed = UiError.shape.code.safeParse(e?.code);
  const error: UiError = {
    code: parsed.success ? parsed.data : 'internal',
    message: typeof e?.message === 'string' ? e.message.slice(0, 1000) : 'Something went wrong.',
  };
  if (e?.details?.attemptsLeft !== undefined) error.attemptsLeft = e.details.attemptsLeft;
  if (e?.details?.until !== undefined) error.until = e.details.until;
  return error;
}
