import { describe, expect, it, vi } from 'vitest';
import { type FittableWindow, fitToContent } from './fit-window.js';

function fakeWindow(answer: () => Promise<unknown>) {
  const setContentSize = vi.fn<(width: number, height: number) => void>();
  const win: FittableWindow = {
    isDestroyed: () => false,
    setContentSize,
    webContents: { executeJavaScript: vi.fn(answer) },
  };
  return { ...win, setContentSize };
}

const MAX = { width: 560, height: 520 };

describe('fitToContent', () => {
  it('sets the content height to the page height, rounded up', async () => {
    const win = fakeWindow(async () => 301.4);
    await fitToContent(win, MAX);
    expect(win.setContentSize).toHaveBeenCalledWith(560, 302);
  });

  it('caps a tall page at the maximum (the page scrolls inside)', async () => {
    const win = fakeWindow(async () => 4000);
    await fitToContent(win, MAX);
    expect(win.setContentSize).toHaveBeenCalledWith(560, 520);
  });

  it('keeps the size when the page answers nonsense, fails, or is too slow', async () => {
    for (const answer of [
      async () => 'tall',
      async () => Number.NaN,
      async () => 3,
      async () => {
        throw new Error('gone');
      },
      () => new Promise(() => {}),
    ]) {
      const win = fakeWindow(answer);
      await fitToContent(win, MAX, 20);
      expect(win.setContentSize).not.toHaveBeenCalled();
    }
  });

  it('leaves a window alone that was closed while it was measured', async () => {
    const win = { ...fakeWindow(async () => 300), isDestroyed: () => true };
    await fitToContent(win, MAX);
    expect(win.setContentSize).not.toHaveBeenCalled();
  });
});
