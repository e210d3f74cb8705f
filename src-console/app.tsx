import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { adminApi } from './api/admin.js';
import { ApiError, onUnauthorized, setCsrfToken } from './api/client.js';
import type { MeResponse } from './api/types.js';
import { Announcer } from './components/announcer.js';
import { Loading, PageHeading } from './components/page.js';
import { type Capabilities, ROLE_NAMES } from './roles.js';
import { BASE, currentUrl, href, Link, navigate, useLocation } from './router.js';
import { ActivitiesScreen } from './screens/activities.js';
import { DashboardScreen } from './screens/dashboard.js';
import { HostScreen } from './screens/host.js';
import { HostsScreen } from './screens/hosts.js';
import { OrganisationScreen } from './screens/organisation.js';
import { PolicyScreen } from './screens/policy.js';
import { SignInScreen } from './screens/sign-in.js';
import { TokensScreen } from './screens/tokens.js';
import { UsersScreen } from './screens/users.js';
import { type Session, SessionContext, sessionFor } from './session.js';

interface NavItem {
  path: string;
  label: string;
  allowed?: (can: Capabilities) => boolean;
}

const NAV: readonly NavItem[] = [
  { path: '/', label: 'Dashboard', allowed: (c) => c.seeDashboard },
  { path: '/hosts', label: 'Hosts' },
  { path: '/activities', label: 'Activities', allowed: (c) => c.seeActivities },
  { path: '/policy', label: 'Policy and teams', allowed: (c) => c.seeTeams },
  { path: '/users', label: 'Users', allowed: (c) => c.manageUsers },
  { path: '/tokens', label: 'API tokens', allowed: (c) => c.manageTokens },
  { path: '/organisation', label: 'Organisation', allowed: (c) => c.seeOrganisation },
];

function screenFor(path: string, session: Session): ReactNode {
  const host = /^\/hosts\/(\d+)$/.exec(path);
  if (host) return <HostScreen id={Number(host[1])} />;
  // The dashboard is home; whoever may not see it (helpdesk) starts at the hosts instead.
  if (path === '/' && !session.can.seeDashboard) return <HostsScreen />;
  const item = NAV.find((n) => n.path === path);
  if (!item) return <NotFound />;
  if (item.allowed && !item.allowed(session.can)) return <NotAllowed />;
  switch (path) {
    case '/':
      return <DashboardScreen />;
    case '/hosts':
      return <HostsScreen />;
    case '/activities':
      return <ActivitiesScreen />;
    case '/policy':
      return <PolicyScreen />;
    case '/users':
      return <UsersScreen />;
    case '/tokens':
      return <TokensScreen />;
    default:
      return <OrganisationScreen />;
  }
}

const signInUrl = () =>
  window.location.pathname.startsWith(`${BASE}/sign-in`)
    ? currentUrl()
    : href('/sign-in', { next: currentUrl() });

export function App() {
  const location = useLocation();
  // undefined while the first probe runs; null when nobody is signed in.
  const [session, setSession] = useState<MeResponse | null | undefined>(undefined);
  const [probeError, setProbeError] = useState<string | null>(null);

  const start = useCallback((s: MeResponse | null) => {
    setCsrfToken(s?.csrf_token ?? null);
    setSession(s);
  }, []);

  useEffect(() => {
    onUnauthorized(() => {
      start(null);
      navigate(signInUrl(), { replace: true });
    });
    adminApi.me().then(
      (s) => start(s),
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) start(null);
        else setProbeError(err instanceof Error ? err.message : String(err));
      },
    );
  }, [start]);

  const signedIn = useMemo(
    () =>
      session
        ? sessionFor(session, () => {
            void adminApi.signOut().finally(() => {
              start(null);
              navigate(href('/sign-in'), { replace: true });
            });
          })
        : null,
    [session, start],
  );

  const onSignInPage = location.path === '/sign-in';
  useEffect(() => {
    if (session === null && !onSignInPage) navigate(signInUrl(), { replace: true });
  }, [session, onSignInPage]);

  if (probeError) {
    return (
      <main id="main" className="narrow-page">
        <PageHeading title="Escrow admin" />
        <div className="notice tone-error" role="alert">
          {probeError}
        </div>
      </main>
    );
  }
  if (session === undefined) {
    return (
      <main id="main" className="narrow-page">
        <Loading />
      </main>
    );
  }
  if (onSignInPage || !signedIn) {
    return (
      <>
        <SignInScreen onSignedIn={start} signedIn={signedIn !== null} />
        <Announcer />
      </>
    );
  }
  return (
    <SessionContext.Provider value={signedIn}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header session={signedIn} path={location.path} />
      <main id="main" className="content" tabIndex={-1}>
        {screenFor(location.path, signedIn)}
      </main>
      <Announcer />
    </SessionContext.Provider>
  );
}

function Header({ session, path }: { session: Session; path: string }) {
  const current = (p: string) => (p === '/' ? path === '/' : path === p || path.startsWith(`${p}/`));
  return (
    <header className="top-bar">
      <div className="brand">
        <img src={`${BASE}/app-icon.png`} alt="" width="24" height="24" />
        <span>Escrow admin</span>
      </div>
      <nav aria-label="Main">
        <ul>
          {NAV.filter((n) => !n.allowed || n.allowed(session.can)).map((n) => (
            <li key={n.path}>
              <Link to={href(n.path)} aria-current={current(n.path) ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="who">
        <span className="who-name">
          {session.displayName}
          <span className="muted"> · {ROLE_NAMES[session.me.role]}</span>
        </span>
        <button type="button" onClick={session.signOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function NotFound() {
  return (
    <>
      <PageHeading title="Page not found" />
      <p>
        There is no such page. <Link to={href('/')}>Go to the dashboard</Link>.
      </p>
    </>
  );
}

function NotAllowed() {
  return (
    <>
      <PageHeading title="Not available to your role" />
      <p>Your role does not include this page. Ask an administrator if you need it.</p>
    </>
  );
}
