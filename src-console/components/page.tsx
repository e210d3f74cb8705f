import { type ReactNode, useEffect, useRef } from 'react';
import { navigationCount } from '../router.js';

/**
 * Every screen's heading. It names the page in the tab's title and, after a move inside the console, takes
 * the focus (without a ring: it is not a control), so a screen-reader user hears where they arrived and Tab
 * continues from the top of the new page. On the first page the browser loads, the focus stays put, so Tab
 * reaches the skip link first.
 */
export function PageHeading({ title, children }: { title: string; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Escrow admin`;
    if (navigationCount() > 0) ref.current?.focus({ preventScroll: false });
  }, [title]);
  return (
    <div className="page-head">
      <h1 ref={ref} tabIndex={-1}>
        {title}
      </h1>
      {children ? <div className="page-head-extra">{children}</div> : null}
    </div>
  );
}

/** A load failed: the server's words, and a way to try again. */
export function LoadError({ message, retry }: { message: string; retry?: () => void }) {
  return (
    <div className="notice tone-error" role="alert">
      <p>{message}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p className="muted loading" aria-busy="true">
      <span className="spinner" aria-hidden="true" /> {what}
    </p>
  );
}
