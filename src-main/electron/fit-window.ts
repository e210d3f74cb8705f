/**
 * Windows sized to their content: each window opens at the height its page needs (up to its kind's
 * maximum), not at a fixed size that left the lower half empty. Electron cannot know that height before
 * the page has rendered its state, so main asks the page once, just before showing the window.
 */

/**
 * Page-side: waits until the screen has its state (the loading placeholder is `main[aria-busy]`), then
 * answers the content's height in CSS pixels: the body's, since the root's scrollHeight is never less than
 * the window and could only grow one. A constant string run with executeJavaScript in the page's own world;
 * nothing the page answers is trusted beyond a number.
 */
export const CONTENT_HEIGHT_SCRIPT = `new Promise((resolve) => {
  const measure = () =>
    document.querySelector('main:not([aria-busy])')
      ? resolve(document.body.getBoundingClientRect().height)
      : requestAnimationFrame(measure);
  measure();
})`;

/** The part of a BrowserWindow this needs (a port, so the unit test needs no Electron). */
export interface FittableWindow {
  isDestroyed(): boolean;
  setContentSize(width: number, height: number): void;
  webContents: { executeJavaScript(code: string, userGesture?: boolean): Promise<unknown> };
}

/** Smallest height worth setting: below it the answer is not a rendered screen. */
const MIN_HEIGHT = 120;

/**
 * Sets the window's content height to the page's, capped at `max.height`. Never throws and never waits
 * longer than `timeoutMs`: if the page does not answer in time the window keeps its size and is shown.
 */
export async function fitToContent(
  win: FittableWindow,
  max: { width: number; height: number },
  timeoutMs = 1500,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    const height = await Promise.race([
      win.webContents.executeJavaScript(CONTENT_HEIGHT_SCRIPT, false).catch(() => null),
      timeout,
    ]);
    if (win.isDestroyed() || typeof height !== 'number' || !Number.isFinite(height)) return;
    if (height < MIN_HEIGHT) return;
    win.setContentSize(max.width, Math.min(Math.ceil(height), max.height));
  } finally {
    clearTimeout(timer);
  }
}
