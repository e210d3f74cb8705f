import { describe, expect, it } from 'vitest';
import { menuKeyResult } from './menu-keys.js';

describe('tray menu keys (menu pattern)', () => {
  it('arrows move and wrap at both ends', () => {
    expect(menuKeyResult('ArrowDown', 0, 3)).toEqual({ focus: 1 });
    expect(menuKeyResult('ArrowDown', 2, 3)).toEqual({ focus: 0 });
    expect(menuKeyResult('ArrowUp', 0, 3)).toEqual({ focus: 2 });
    expect(menuKeyResult('ArrowUp', 2, 3)).toEqual({ focus: 1 });
  });

  it('from outside the menu (the tray button), down goes to the first item and up to the last', () => {
    expect(menuKeyResult('ArrowDown', -1, 3)).toEqual({ focus: 0 });
    expect(menuKeyResult('ArrowUp', -1, 3)).toEqual({ focus: 2 });
  });

  it('Home and End jump to the ends; Escape and Tab close; other keys are left alone', () => {
    expect(menuKeyResult('Home', 2, 3)).toEqual({ focus: 0 });
    expect(menuKeyResult('End', 0, 3)).toEqual({ focus: 2 });
    expect(menuKeyResult('Escape', 1, 3)).toEqual({ close: true });
    expect(menuKeyResult('Tab', 1, 3)).toEqual({ close: true });
    expect(menuKeyResult('a', 1, 3)).toBeNull();
    expect(menuKeyResult('ArrowDown', -1, 0)).toBeNull();
  });
});
