import { useEffect, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { SsoStatusResponse } from '../api/types.js';

/**
 * What the server offers for signing in (`GET /sso`): null while it is asked, and when it cannot be asked
 * (an older server, or a network error): the email + password form then stays, as before single sign-on.
 */
export function useSsoStatus(): SsoStatusResponse | null {
  const [status, setStatus] = useState<SsoStatusResponse | null>(null);
  useEffect(() => {
    let live = true;
    adminApi.ssoStatus().then(
      (s) => live && setStatus(s),
      () => {},
    );
    return () => {
      live = false;
    };
  }, []);
  return status;
}

/**
 * The sign-in page of a server with single sign-on: a link (a page load, not a fetch: the identity
 * provider's page takes over the tab) to the server's `/sso/login`, which comes back to `next`. `next` is
 * already a console path (safe-next.ts), and the server checks return_to again.
 */
export function SsoSignInButton({ status, next }: { status: SsoStatusResponse; next: string }) {
  if (!status.sso_enabled || !status.sso_login_url) return null;
  const url = new URL(status.sso_login_url, window.location.origin);
  url.searchParams.set('return_to', next);
  return (
    <div className="sso-sign-in">
      <a className="button-link primary wide-button" href={`${url.pathname}${url.search}`}>
        Sign in with single sign-on
      </a>
      {status.password_login ? (
        <p className="muted sso-or" aria-hidden="true">
          or with your email and password
        </p>
      ) : (
        <p className="muted">Your organisation signs in with its own sign-in service only.</p>
      )}
    </div>
  );
}
