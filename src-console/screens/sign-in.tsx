import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import { ApiError } from '../api/client.js';
import type { MeResponse } from '../api/types.js';
import { SsoSignInButton, useSsoStatus } from '../components/sso-sign-in.js';
import { navigate, useLocation } from '../router.js';
import { safeNext } from '../safe-next.js';

/**
 * Email and password. The page the admin wanted (?next=) is kept through the sign-in and opened after it;
 * only console paths are accepted there (router.safeNext), so this page is no open redirect. Wrong email
 * and wrong password get the same words: the server does not say which, and neither do we.
 */
export function SignInScreen({
  onSignedIn,
  signedIn,
}: {
  onSignedIn: (s: MeResponse) => void;
  signedIn: boolean;
}) {
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState<{ email: boolean; password: boolean }>({
    email: false,
    password: false,
  });
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const ids = { error: useId(), emailErr: useId(), passwordErr: useId() };
  const sso = useSsoStatus();
  const passwordForm = sso?.password_login !== false;

  useEffect(() => {
    document.title = 'Sign in · Escrow admin';
    if (signedIn) navigate(next, { replace: true });
  }, [signedIn, next]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const email = emailRef.current?.value.trim() ?? '';
    const password = passwordRef.current?.value ?? '';
    const m = { email: email === '', password: password === '' };
    setMissing(m);
    if (m.email || m.password) {
      setError(null);
      (m.email ? emailRef : passwordRef).current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = await adminApi.signIn(email, password);
      if (passwordRef.current) passwordRef.current.value = '';
      onSignedIn(s);
      navigate(next, { replace: true });
    } catch (err) {
      setBusy(false);
      setError(
        err instanceof ApiError && err.code === 'bad_credentials'
          ? 'That email and password do not match an account. Check both and try again.'
          : err instanceof Error
            ? err.message
            : String(err),
      );
      if (passwordRef.current) passwordRef.current.value = '';
      passwordRef.current?.focus();
    }
  };

  return (
    <main id="main" className="sign-in">
      <div className="sign-in-card">
        <div className="brand sign-in-brand">
          <img src="/admin/app-icon.png" alt="" width="40" height="40" />
        </div>
        <h1>Sign in to Escrow admin</h1>
        <p className="muted">Recovery keys, hosts and policy for your organisation.</p>
        <div aria-live="assertive" className="live-region">
          {error ? (
            <p id={ids.error} className="notice tone-error">
              {error}
            </p>
          ) : null}
        </div>
        {sso ? <SsoSignInButton status={sso} next={next} /> : null}
        {passwordForm ? (
          <form onSubmit={(e) => void submit(e)} noValidate method="post">
            <label htmlFor="email" className="field-label">
              Email
            </label>
            <input
              ref={emailRef}
              id="email"
              name="email"
              type="email"
              autoComplete="username"
              // biome-ignore lint/a11y/noAutofocus: the page exists to take these two fields.
              autoFocus
              required
              aria-invalid={missing.email || error !== null}
              aria-describedby={
                [missing.email ? ids.emailErr : '', error ? ids.error : ''].join(' ').trim() || undefined
              }
              disabled={busy}
            />
            {missing.email ? (
              <p id={ids.emailErr} className="field-error">
                Enter your email address.
              </p>
            ) : null}
            <label htmlFor="password" className="field-label">
              Password
            </label>
            <input
              ref={passwordRef}
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              aria-invalid={missing.password || error !== null}
              aria-describedby={
                [missing.password ? ids.passwordErr : '', error ? ids.error : ''].join(' ').trim() ||
                undefined
              }
              disabled={busy}
            />
            {missing.password ? (
              <p id={ids.passwordErr} className="field-error">
                Enter your password.
              </p>
            ) : null}
            <div className="actions">
              <button type="submit" className="primary wide-button" disabled={busy}>
                {busy ? 'Signing in…' : 'Sign in'}
              </button>
            </div>
          </form>
        ) : null}
      </div>
    </main>
  );
}
