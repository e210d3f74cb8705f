import type { Action } from '../../ipc/desktop-agent/device-status.js';
import type { ShellPort } from '../shell/port.js';
import { type Clock, NamedTimers } from './clock.js';
import { mainStrings as s } from './strings.js';

/** What the prompts need from the core: the request as it stands now, and the windows it opens. */
export interface PromptTargets {
  currentAction(): Action | null;
  openPassphraseWindow(): void;
  openWindow(kind: 'my-device' | 'new-passphrase'): void;
  /** A log-out request is prompted by its own flow (logout-flow.ts). */
  promptLogout(): void;
}

/**
 * When and how the user is interrupted about what the agent asks: once the request has settled, once per
 * distinct request, again when a "Not now" reminder comes due, and, where no tray can be seen, with the
 * window itself instead of a notification alone.
 */
export class ActionPrompts {
  /** Which request we last told the user about, so a status refresh does not notify twice. */
  private notifiedFor = '';
  private readonly timers: NamedTimers<'settle' | 'remind'>;

  constructor(
    private readonly shell: ShellPort,
    private readonly clock: Clock,
    /** How long a new request must stay before anyone is interrupted (DesktopCoreOptions). */
    private readonly settleMs: number,
    private readonly targets: PromptTargets,
  ) {
    this.timers = new NamedTimers(clock);
  }

  /** The agent's requested action appeared, changed or went away. */
  changed(before: Action | null, action: Action | null): void {
    if (!action) {
      this.notifiedFor = '';
      this.shell.withdraw('action');
      this.timers.clear('settle');
      this.timers.clear('remind');
      return;
    }
    if (this.timers.has('settle')) return; // the pending settle check will look at the latest action
    if (before === null && this.settleMs > 0) {
      this.timers.at('settle', this.clock.now() + this.settleMs, () => {
        const current = this.targets.currentAction();
        if (current) this.promptFor(current);
      });
      return;
    }
    this.promptFor(action);
  }

  /** Ask again at `remindAt` (the agent's answer to "Not now"), if the passphrase is still wanted then. */
  remindAt(remindAt: string): void {
    this.timers.at('remind', Date.parse(remindAt), () => {
      const action = this.targets.currentAction();
      if (action?.kind !== 'luks_passphrase') return;
      this.notifiedFor = '';
      this.announce(`luks:${action.volumeId}:${remindAt}`, s.notify.luksTitle, s.notify.luksBody, () =>
        this.targets.openPassphraseWindow(),
      );
    });
  }

  /** Notify once per distinct request; without a tray a notification alone may go unseen, so also open. */
  announce(key: string, title: string, body: string, open: () => void): void {
    if (this.notifiedFor === key) return;
    this.notifiedFor = key;
    this.shell.notify({ tag: 'action', title, body, onClick: open });
    if (!this.shell.hasTray) open();
  }

  stop(): void {
    this.timers.clearAll();
  }

  private promptFor(action: Action): void {
    if (action.kind === 'luks_passphrase') {
      const remindAt = action.remindAt ? Date.parse(action.remindAt) : null;
      if (remindAt !== null && remindAt > this.clock.now()) this.remindAt(action.remindAt as string);
      else
        this.announce(
          `luks:${action.volumeId}:${action.remindAt ?? ''}`,
          s.notify.luksTitle,
          s.notify.luksBody,
          () => this.targets.openPassphraseWindow(),
        );
    } else if (action.kind === 'luks_new_passphrase') {
      this.announce(
        `reset:${action.volumeId}:${action.reason}`,
        s.notify.resetTitle,
        s.notify.resetBody,
        () => this.targets.openWindow('new-passphrase'),
      );
    } else if (action.kind === 'macos_logout') {
      this.targets.promptLogout();
    } else {
      this.announce(`bitlocker:${action.message}`, s.notify.bitlockerTitle, action.message, () =>
        this.targets.openWindow('my-device'),
      );
    }
  }
}
