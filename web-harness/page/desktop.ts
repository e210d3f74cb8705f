import type { ShellSnapshot } from '../shell-snapshot.js';
import './desktop.css';

/**
 * A stand-in for the OS around the app, for `npm start -- --web` and the browser tests: the tray icon
 * and its menu, notifications, and each open window as a frame. It shows exactly what the desktop core
 * asked the shell to show, nothing more.
 */
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const trayButton = $<HTMLButtonElement>('tray');
const trayIcon = $<HTMLImageElement>('tray-icon');
const trayLabel = $<HTMLSpanElement>('tray-label');
const menu = $<HTMLDivElement>('tray-menu');
const notifications = $<HTMLElement>('notifications');
const windows = $<HTMLElement>('windows');
const frames = new Map<string, HTMLElement>();

function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function setMenuOpen(open: boolean): void {
  menu.hidden = !open;
  trayButton.setAttribute('aria-expanded', String(open));
  if (open) menu.querySelector<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])')?.focus();
}

trayButton.addEventListener('click', () => setMenuOpen(trayButton.getAttribute('aria-expanded') !== 'true'));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && trayButton.getAttribute('aria-expanded') === 'true') {
    setMenuOpen(false);
    trayButton.focus();
  }
});

function render(snap: ShellSnapshot): void {
  if (snap.tray) {
    trayButton.dataset.state = snap.tray.icon;
    trayIcon.src = `/icons/tray-${snap.tray.icon}@2x.png`;
    trayLabel.textContent = snap.tray.tooltip;
    menu.replaceChildren(
      ...snap.tray.menu.map((item) => {
        const li = document.createElement('div');
        if (item.kind === 'separator') {
          li.setAttribute('role', 'separator');
          return li;
        }
        li.setAttribute('role', 'menuitem');
        li.textContent = item.label;
        if (item.kind === 'command') {
          li.tabIndex = 0;
          li.dataset.command = item.command;
          const run = () => {
            setMenuOpen(false);
            void post('/api/shell/menu', { command: item.command });
          };
          li.addEventListener('click', run);
          li.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              run();
            }
          });
        } else {
          li.setAttribute('aria-disabled', 'true');
        }
        return li;
      }),
    );
  }

  notifications.replaceChildren(
    ...snap.notifications.map((n) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'notification';
      b.dataset.id = String(n.id);
      const title = document.createElement('strong');
      title.textContent = n.title;
      const body = document.createElement('span');
      body.textContent = n.body;
      b.append(title, body);
      b.addEventListener('click', () => void post('/api/shell/notification', { id: n.id }));
      return b;
    }),
  );

  const open = new Set(snap.windows.map((w) => w.kind));
  for (const [kind, el] of frames) {
    if (!open.has(kind as ShellSnapshot['windows'][number]['kind'])) {
      el.remove();
      frames.delete(kind);
    }
  }
  for (const w of snap.windows) {
    let el = frames.get(w.kind);
    if (!el) {
      el = document.createElement('section');
      el.className = 'sim-window';
      el.dataset.window = w.kind;
      const bar = document.createElement('div');
      bar.className = 'titlebar';
      const close = document.createElement('button');
      close.type = 'button';
      close.className = 'close';
      close.textContent = '×';
      close.setAttribute('aria-label', `Close ${w.kind} window`);
      close.addEventListener('click', () => void post('/api/shell/window-closed', { kind: w.kind }));
      const label = document.createElement('span');
      label.textContent = w.kind;
      bar.append(close, label);
      const frame = document.createElement('iframe');
      frame.title = `${w.kind} window`;
      frame.src = `/index.html#${w.kind}`;
      el.append(bar, frame);
      windows.append(el);
      frames.set(w.kind, el);
      frame.addEventListener('load', () => frame.contentWindow?.focus());
    }
    el.classList.toggle('must-act', w.mustAct);
    (el.querySelector('.close') as HTMLButtonElement).hidden = w.mustAct;
  }
}

const source = new EventSource('/api/shell/events');
source.addEventListener('shell', (e) =>
  render(JSON.parse((e as MessageEvent<string>).data) as ShellSnapshot),
);
