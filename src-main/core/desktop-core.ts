import type { Action, DeviceStatus } from '../../ipc/desktop-agent/device-status.js';
import type { AgentEvent } from '../../ipc/desktop-agent/messages.js';
import {
  RendererRequest,
  type RendererResponse,
  type UiError,
  type UiState,
  type WindowKind,
} from '../../ipc/window-bridge/contract.js';
import type { MenuCommand, ShellEvents, ShellPort } from '../shell/port.js';
import { ActionPrompts } from './action-prompts.js';
import { type AgentConnection, AgentLink, type ConnectAgent } from './agent-link.js';
import { type Clock, NamedTimers, systemClock } from './clock.js';
import { type LogoutEffect, type LogoutEvent, logoutErrorOf, logoutFlow } from './logout-flow.js';
import type { LogoutPort } from './logout-port.js';
import {
  IDLE_PASSPHRASE,
  type PassphraseEffect,
  type PassphraseEvent,
  passphraseFlow,
} from './passphrase-flow.js';
import type { ReconnectDelays } from './reconnect-delay.js';
import {
  IDLE_LINK,
  IDLE_NEW_PASSPHRASE,
  type SetNewPassphraseInput,
  sendNewPassphrase,
  startLink,
  withStep,
} from './reset-and-link.js';
import { mainStrings as s } from './strings.js';
import { trayModelFor } from './tray-model.js';
import { AGENT_UNAVAILABLE, uiErrorOf } from './ui-error.js';

export interface DesktopCoreOptions {
  shell: ShellPort;
  connect: ConnectAgent;
  logout: LogoutPort;
  appVersion: string;
  platform: UiState['app']['platform'];
  reconnect?: ReconnectDelays;
  /** Default: the system's clock and timers. */
  clock?: Clock;
  /**
   * How long a newly requested action must stay requested before the user is interrupted. The agent may
   * report a request that it withdraws a moment later (a server poll racing a finished escrow); a prompt
   * for that would be noise. Default 300 ms.
   */
  actionSettleMs?: number;
}

/** The flows' timers; the prompts keep their own (action-prompts.ts). */
type TimerName = 'logout' | 'cooldown';

type Listener = (state: UiState) => void;

/**
 * The desktop app's logic, free of Electron: it turns what the agent reports into the tray, notifications
 * and windows, and turns the user's clicks into agent requests. Everything it does to the screen goes
 * through the ShellPort, so the same core runs under Electron and in the web harness. What the passphrase
 * dialog and the log-out prompt show is decided by their pure flows (passphrase-flow.ts, logout-flow.ts),
 * and when the user is interrupted by action-prompts.ts; this class feeds them events and carries out the
 * effects they ask for.
 */
export class DesktopCore implements ShellEvents {
  private state: UiState;
  private readonly link: AgentLink;
  private readonly clock: Clock;
  private readonly listeners = new Set<Listener>();
  private lastTray = '';
  private readonly timers: NamedTimers<TimerName>;
  private readonly prompts: ActionPrompts;

  constructor(private readonly opts: DesktopCoreOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = new NamedTimers(this.clock);
    this.prompts = new ActionPrompts(opts.shell, this.clock, opts.actionSettleMs ?? 300, {
      currentAction: () => this.state.status?.action ?? null,
      openPassphraseWindow: () => this.openPassphraseWindow(),
      openWindow: (kind) =>
        kind === 'new-passphrase' ? this.openNewPassphraseWindow() : opts.shell.openWindow(kind),
      promptLogout: () => this.logoutStep({ type: 'prompt', now: this.clock.now() }),
    });
    this.state = {
      app: { version: opts.appVersion, platform: opts.platform },
      connection: { state: 'connecting', message: null },
      status: null,
      passphrase: IDLE_PASSPHRASE,
      logout: null,
      newPassphrase: IDLE_NEW_PASSPHRASE,
      link: IDLE_LINK,
    };
    this.link = new AgentLink(
      opts.connect,
      {
        connected: (conn) => void this.onConnected(conn),
        event: (ev) => this.onAgentEvent(ev),
        disconnected: (reason, state) => this.onDisconnected(reason, state),
      },
      opts.reconnect,
      this.clock,
    );
  }

  start(): void {
    this.publish();
    this.link.start();
  }

  stop(): void {
    this.link.stop();
    this.timers.clearAll();
    this.prompts.stop();
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
      case 'createRecoveryKey':
        return this.createRecoveryKey(Buffer.from(req.passphrase, 'utf8'));
      case 'setNewPassphrase':
        return this.setNewPassphrase(req);
      case 'linkComputer':
        return this.linkComputer();
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
      case 'close': {
        if (from === 'logout') return this.answer(this.logoutStep({ type: 'close_requested' }));
        this.opts.shell.closeWindow(from);
        return this.ok();
      }
    }
  }

  private async createRecoveryKey(secret: Buffer): Promise<RendererResponse> {
    try {
      const conn = this.link.current();
      if (!conn) return fail(AGENT_UNAVAILABLE);
      const now = this.clock.now();
      const action = this.state.status?.action ?? null;
      for (const effect of this.passphraseStep({ type: 'create_requested', now, action })) {
        if (effect.type === 'refuse') return fail(effect.error);
        if (effect.type !== 'create_recovery_key') continue;
        const params = effect.volumeId ? { volumeId: effect.volumeId } : {};
        // request() copies the secret into its frame synchronously, so our copy can be wiped right away.
        const pending = conn.request('recoveryKey.create', params, secret);
        secret.fill(0);
        try {
          this.passphraseStep({ type: 'created', result: await pending });
        } catch (err) {
          this.passphraseStep({ type: 'failed', error: uiErrorOf(err) });
        }
      }
      return this.ok();
    } finally {
      secret.fill(0);
    }
  }

  private async setNewPassphrase(input: SetNewPassphraseInput): Promise<RendererResponse> {
    const conn = this.link.current();
    if (!conn) return fail(AGENT_UNAVAILABLE);
    if (this.state.newPassphrase.phase === 'submitting')
      return fail({ code: 'busy', message: s.errors.busy });
    const action = this.state.status?.action;
    const volumeId = action?.kind === 'luks_new_passphrase' ? action.volumeId : null;
    const done = await sendNewPassphrase(conn, input, volumeId, (flow) =>
      this.update({ newPassphrase: flow }),
    );
    this.update({ newPassphrase: done });
    return this.ok();
  }

  private async linkComputer(): Promise<RendererResponse> {
    const conn = this.link.current();
    if (!conn) return fail(AGENT_UNAVAILABLE);
    this.update({ link: { ...IDLE_LINK, phase: 'opening' } });
    this.update({ link: await startLink(conn, (url) => this.opts.shell.openExternal(url)) });
    return this.ok();
  }

  private async remindLater(): Promise<RendererResponse> {
    const conn = this.link.current();
    if (!conn) return fail(AGENT_UNAVAILABLE);
    try {
      const { remindAt } = await conn.request('luks.remindLater', {});
      this.passphraseStep({ type: 'reminder_set', remindAt });
      this.opts.shell.closeWindow('passphrase');
      this.prompts.remindAt(remindAt);
      return this.ok();
    } catch (err) {
      return fail(uiErrorOf(err));
    }
  }

  private async deferLogout(): Promise<RendererResponse> {
    const conn = this.link.current();
    if (!conn) return fail(AGENT_UNAVAILABLE);
    for (const effect of this.logoutStep({ type: 'defer_requested' })) {
      if (effect.type === 'refuse') return fail(effect.error);
      if (effect.type !== 'defer') continue;
      try {
        const r = await conn.request('logout.defer', {});
        this.applyAction({ kind: 'macos_logout', ...r });
        this.logoutStep({ type: 'deferred' });
      } catch (err) {
        return fail(uiErrorOf(err));
      }
    }
    return this.ok();
  }

  private async logOutNow(): Promise<RendererResponse> {
    for (const effect of this.logoutStep({ type: 'log_out_requested' })) {
      if (effect.type === 'refuse') return fail(effect.error);
      if (effect.type !== 'log_out') continue;
      try {
        await this.opts.logout.logOut();
      } catch (err) {
        const error = logoutErrorOf(err);
        this.logoutStep({ type: 'log_out_failed', error });
        return fail(error);
      }
    }
    return this.ok();
  }

  private openWindowFor(kind: WindowKind): RendererResponse {
    if (kind === 'logout') return this.answer(this.logoutStep({ type: 'open_requested' }));
    if (kind === 'passphrase') this.openPassphraseWindow();
    else if (kind === 'new-passphrase') this.openNewPassphraseWindow();
    else this.opts.shell.openWindow(kind);
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
    else if (command === 'forgot-passphrase') this.openNewPassphraseWindow();
    else if (command === 'log-out') this.openLogoutWindow();
    else if (command === 'my-device') this.opts.shell.openWindow('my-device');
    else this.opts.shell.openWindow('about');
  }

  onWindowClosed(kind: WindowKind): void {
    if (kind === 'logout') this.logoutStep({ type: 'window_closed' });
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
    // One update for both, so the tray and the windows never see a lost agent with a request still running.
    // A lost agent asks for no effects.
    const { state: passphrase } = passphraseFlow(this.state.passphrase, { type: 'agent_lost' });
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
    else if (ev.event === 'progress' && this.state.newPassphrase.phase === 'submitting')
      this.update({ newPassphrase: withStep(this.state.newPassphrase, ev.data.step) });
    else if (ev.event === 'progress') this.passphraseStep({ type: 'progress', step: ev.data.step });
    else if (ev.event === 'escrow_result' && ev.data.outcome === 'escrowed') {
      this.passphraseStep({ type: 'uploaded_later', now: this.clock.now() });
    }
  }

  private applyStatus(status: DeviceStatus): void {
    const before = this.state.status?.action ?? null;
    const now = this.clock.now();
    const logout = logoutFlow(this.state.logout, { type: 'action', action: status.action, now });
    this.update({ status, logout: logout.state });
    this.prompts.changed(before, status.action);
    // After the action notice is withdrawn: the flow closes the prompt once nothing is asked any more.
    this.runLogoutEffects(logout.effects);
  }

  private applyAction(action: Action): void {
    const status = this.state.status;
    if (!status) return;
    this.applyStatus({ ...status, action });
  }

  private openPassphraseWindow(): void {
    const action = this.state.status?.action ?? null;
    this.passphraseStep({ type: 'opening', now: this.clock.now(), action });
    this.opts.shell.openWindow('passphrase');
  }

  /** A fresh dialog each time it is opened, unless a request is still running in it. */
  private openNewPassphraseWindow(): void {
    if (this.state.newPassphrase.phase !== 'submitting') this.update({ newPassphrase: IDLE_NEW_PASSPHRASE });
    this.opts.shell.openWindow('new-passphrase');
  }

  /** From the tray menu or a notice: the prompt as it stands (in front and unclosable once overdue). */
  private openLogoutWindow(): void {
    this.opts.shell.openWindow('logout', { mustAct: this.state.logout?.overdue ?? false });
  }

  // ---- The flows ---------------------------------------------------------------------------------

  /**
   * One step of the passphrase flow: publishes its new state and arms its timer. The effects are returned
   * as well, for the caller that handles the one the flow cannot carry out alone (sending the secret).
   */
  private passphraseStep(event: PassphraseEvent): PassphraseEffect[] {
    const step = passphraseFlow(this.state.passphrase, event);
    if (step.state !== this.state.passphrase) this.update({ passphrase: step.state });
    for (const effect of step.effects) {
      if (effect.type === 'cooldown_timer') {
        this.timers.at('cooldown', effect.at, () => this.passphraseStep({ type: 'cooldown_over' }));
      }
    }
    return step.effects;
  }

  /** One step of the log-out flow, like passphraseStep; the caller handles `refuse`, `defer`, `log_out`. */
  private logoutStep(event: LogoutEvent): LogoutEffect[] {
    const step = logoutFlow(this.state.logout, event);
    if (step.state !== this.state.logout) this.update({ logout: step.state });
    this.runLogoutEffects(step.effects);
    return step.effects;
  }

  private runLogoutEffects(effects: LogoutEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'open_window') this.opts.shell.openWindow('logout', { mustAct: effect.mustAct });
      else if (effect.type === 'close_window') this.opts.shell.closeWindow('logout');
      else if (effect.type === 'notify') {
        const body = effect.overdue ? s.notify.logoutOverdueBody : s.notify.logoutBody;
        this.prompts.announce(effect.key, s.notify.logoutTitle, body, () => this.openLogoutWindow());
      } else if (effect.type === 'recheck_at') {
        if (effect.at === null) this.timers.clear('logout');
        else
          this.timers.at('logout', effect.at, () => {
            const status = this.state.status;
            if (status?.action?.kind === 'macos_logout') this.applyStatus({ ...status });
          });
      }
    }
  }

  /** A renderer request the log-out flow answered with effects alone: refused, or done. */
  private answer(effects: LogoutEffect[]): RendererResponse {
    const refusal = effects.find((e) => e.type === 'refuse');
    return refusal ? fail(refusal.error) : this.ok();
  }

  // ---- State plumbing ----------------------------------------------------------------------------

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
