import type { ShellSnapshot } from '../shell-snapshot.js';
import './desktop.css';
import { menuKeyResult } from './menu-keys.js';

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

/** The items that can be chosen, in order: the ones the arrow keys move between. */
function menuItems(): HTMLElement[] {
  return [...menu.querySelectorAll<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])')];
}

function setMenuOpen(open: boolean, focus: 'first' | 'last' = 'first'): void {
  menu.hidden = !open;
  trayButton.setAttribute('aria-expanded', String(open));
  if (open) {
    const items = menuItems();
    items[focus === 'first' ? 0 : items.length - 1]?.focus();
  }
}

function closeMenu(): void {
  setMenuOpen(false);
  trayButton.focus();
}

trayButton.addEventListener('click', () => setMenuOpen(trayButton.getAttribute('aria-expanded') !== 'true'));
trayButton.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  e.preventDefault();
  setMenuOpen(true, e.key === 'ArrowDown' ? 'first' : 'last');
});
menu.addEventListener('keydown', (e) => {
  const items = menuItems();
  const result = menuKeyResult(e.key, items.indexOf(document.activeElement as HTMLElement), items.length);
  if (!result) return;
  e.preventDefault();
  if ('close' in result) closeMenu();
  else items[result.focus]?.focus();
});
// A click elsewhere closes the menu, as a native one does.
document.addEventListener('pointerdown', (e) => {
  const target = e.target as Node;
  if (!menu.hidden && !menu.contains(target) && !trayButton.contains(target)) setMenuOpen(false);
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
          // Roving focus: the arrow keys move it; Tab leaves the menu (and closes it).
          li.tabIndex = -1;
          li.dataset.command = item.command;
          const run = () => {
            closeMenu();
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
      // The space keeps the accessible name "Title Body", not "TitleBody".
      b.append(title, ' ', body);
      b.addEventListener('click', () => void post('/api/shell/notification', { id: n.id }));
      return b;
    }),
  );

  const open = new Set(snap.windows.map((w) => w.kind));
  for (const [kind, el] of frames) {
    if (!open.has(kind as ShellSnapshot['windows'][number]['kind'])) {
      // A closed window that had focus hands it back to the tray, where it came from, not to <body>.
      const hadFocus = el.contains(document.activeElement);
      el.remove();
      if (hadFocus) trayButton.focus();
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
      label.className = 'window-title';
      bar.append(close, label);
      const frame = document.createElement('iframe');
      frame.src = `/index.html#${w.kind}`;
      el.append(bar, frame);
      windows.append(el);
      frames.set(w.kind, el);
      frame.addEventListener('load', () => {
        frame.contentWindow?.focus();
        followTitleAndHeight(frame, label, close);
      });
    }
    el.classList.toggle('must-act', w.mustAct);
    (el.querySelector('.close') as HTMLButtonElement).hidden = w.mustAct;
  }
}

/**
 * As a real window: the title bar shows the page's own title (the human one the app sets, not an internal
 * id), and the frame is as tall as its content (up to the screen), with no empty lower half.
 */
function followTitleAndHeight(frame: HTMLIFrameElement, label: HTMLElement, close: HTMLButtonElement): void {
  const doc = frame.contentDocument;
  if (!doc) return;
  const sync = () => {
    label.textContent = doc.title;
    frame.title = doc.title;
    close.setAttribute('aria-label', `Close “${doc.title}”`);
    // The body's height, not the root's scrollHeight (never less than the frame: it could only grow).
    frame.style.height = `${Math.ceil(doc.body.getBoundingClientRect().height)}px`;
  };
  sync();
  new ResizeObserver(sync).observe(doc.body);
  new MutationObserver(sync).observe(doc.head, { subtree: true, childList: true, characterData: true });
}

const source = new EventSource('/api/shell/events');
source.addEventListener('shell', (e) =>
  render(JSON.parse((e as MessageEvent<string>).data) as ShellSnapshot),
);
