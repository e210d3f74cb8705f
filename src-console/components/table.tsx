import type { ReactNode } from 'react';

/**
 * A wide table inside a box that scrolls sideways at narrow widths. The box is focusable and named, so
 * keyboard users can scroll it too (axe: scrollable-region-focusable).
 */
export function ScrollTable({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll.
    <section className="table-scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

export type SortDirection = 'asc' | 'desc';

/** A column header that sorts: a button inside the <th>, whose aria-sort says the current order. */
export function SortHeader({
  label,
  active,
  direction,
  onSort,
  className,
}: {
  label: string;
  active: boolean;
  direction: SortDirection;
  onSort: (direction: SortDirection) => void;
  className?: string;
}) {
  const ariaSort = active ? (direction === 'asc' ? 'ascending' : 'descending') : 'none';
  return (
    <th scope="col" aria-sort={ariaSort} className={className}>
      <button
        type="button"
        className="sort-button"
        onClick={() => onSort(active && direction === 'asc' ? 'desc' : 'asc')}
      >
        {label}
        <svg
          width="10"
          height="12"
          viewBox="0 0 10 12"
          fill="currentColor"
          aria-hidden="true"
          className={active ? 'sort-on' : 'sort-off'}
        >
          {!active || direction === 'asc' ? <path d="M5 1l4 4H1z" /> : null}
          {!active || direction === 'desc' ? <path d="M5 11l4-4H1z" /> : null}
        </svg>
      </button>
    </th>
  );
}

/** Keyset paging: only "previous" and "next", because a page number means nothing while hosts come and go. */
export function Pager({
  label,
  prev,
  next,
  onPrev,
  onNext,
  status,
}: {
  label: string;
  prev: boolean;
  next: boolean;
  onPrev: () => void;
  onNext: () => void;
  status?: ReactNode;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={!prev} onClick={onPrev}>
        ← Previous
      </button>
      {status ? <span className="muted small">{status}</span> : null}
      <button type="button" disabled={!next} onClick={onNext}>
        Next →
      </button>
    </nav>
  );
}
