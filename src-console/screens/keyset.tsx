import { Pager } from '../components/table.js';

/**
 * Keyset paging gives a cursor forward only. "Previous" goes back to the cursor that led here, remembered
 * per list for the browser tab (sessionStorage, so a reload keeps it); when it is unknown (a link opened
 * on a deep page) it goes to the first page, which is still a correct page.
 */
const KEY = 'escrow-admin-cursors';

function load(): Record<string, string> {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

export function rememberCursor(list: string, next: string | null, current: string | undefined): void {
  if (!next) return;
  const all = load();
  all[`${list}:${next}`] = current ?? '';
  // Bounded: a long walk through pages must not grow storage for ever.
  const keys = Object.keys(all);
  for (const k of keys.slice(0, Math.max(0, keys.length - 200))) delete all[k];
  try {
    sessionStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    // Storage full or off: "previous" then goes to the first page.
  }
}

export function previousCursor(list: string, current: string | undefined): string | null {
  if (!current) return null;
  return load()[`${list}:${current}`] || null;
}

export function KeysetPager(props: {
  label: string;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  return (
    <Pager
      label={props.label}
      prev={props.hasPrevious}
      next={props.hasNext}
      onPrev={props.onPrevious}
      onNext={props.onNext}
    />
  );
}
