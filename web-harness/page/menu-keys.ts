/**
 * The menu pattern (WAI-ARIA APG "menu button") for the simulated tray menu: which item a key moves focus
 * to. Arrows wrap, Home/End jump to the ends, Escape and Tab close (the caller returns focus to the tray).
 * Only items that can be chosen take focus, as in the native tray menus this stands in for.
 */
export type MenuKeyResult = { focus: number } | { close: true } | null;

export function menuKeyResult(key: string, current: number, count: number): MenuKeyResult {
  if (count === 0) return key === 'Escape' || key === 'Tab' ? { close: true } : null;
  switch (key) {
    case 'ArrowDown':
      return { focus: current < 0 ? 0 : (current + 1) % count };
    case 'ArrowUp':
      return { focus: current < 0 ? count - 1 : (current - 1 + count) % count };
    case 'Home':
      return { focus: 0 };
    case 'End':
      return { focus: count - 1 };
    case 'Escape':
    case 'Tab':
      return { close: true };
    default:
      return null;
  }
}
