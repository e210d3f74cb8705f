import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_API_BASE } from '../../ipc/admin/common.js';
import { ADMIN_ROUTES } from '../../ipc/admin/paths.js';
import { adminError } from '../http/admin/errors.js';
import { readCookie } from '../http/admin/principal.js';
import type { ServerContext } from '../http/context.js';
import { digest, newSecret } from '../http/secrets.js';
import { html } from '../portal/html.js';
import type { PersonRecord, SsoPurpose } from '../storage/records.js';
import {
  CALLBACK_PATH,
  FRESH_SIGN_IN_SECONDS,
  formBody,
  LOGIN_PATH,
  LOGIN_TTL_MS,
  loginCookieName,
  portalCookieName,
  type SelfServiceContext,
  safeReturnTo,
  setCookie,
} from './context.js';
import { SignInFailed } from './oidc.js';
import { sendContinue, sendPage, sendProblem } from './pages.js';
import { accessFor, groupsOf } from './role-map.js';
import {
  formCsrfOk,
  portalVisitor,
  startConsoleSession,
  startPortalSession,
  unusablePasswordHash,
} from './sessions.js';

const SSO_ACTOR = { actor: 'single sign-on', actor_kind: 'system' as const };

/**
 * Single sign-on for the console and the portal: `GET /sso/login` starts the authorization code flow
 * (PKCE, state, nonce; `max_age=0` when a fresh sign-in is needed), `GET /sso/callback` finishes it once,
 * `POST /sso/logout` ends the portal session, `/sso/break-glass` turns a code from the CLI into a console
 * session. With `--disable-password-login`, `POST /sessions` answers 403.
 */
export function registerSsoRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  sc: SelfServiceContext,
  part: 'hooks' | 'routes',
): void {
  const secure = ctx.sessions.secureCookie;

  if (part === 'hooks') {
    if (sc.passwordLoginDisabled) registerPasswordSwitch(app);
    return;
  }

  function registerPasswordSwitch(app: FastifyInstance) {
    const signIn = `${ADMIN_API_BASE}${ADMIN_ROUTES.signIn.path}`;
    app.addHook('onRequest', (req, reply, done) => {
      if (req.method === 'POST' && req.url.split('?', 1)[0] === signIn) {
        adminError(
          reply,
          403,
          'password_login_disabled',
          'this server signs people in with single sign-on only (GET /sso says where)',
        );
        return;
      }
      done();
    });
  }

  app.get(LOGIN_PATH, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    if (!sc.oidc)
      return sendProblem(
        ctx,
        reply,
        404,
        'Single sign-on is not set up',
        'This server has no single sign-on configured. Ask your IT team.',
        null,
      );
    if (!sc.limits.signInStart.take(`ip:${req.ip}`)) {
      void reply.header('retry-after', sc.limits.signInStart.retryAfterSeconds());
      return sendProblem(
        ctx,
        reply,
        429,
        'Too many sign-ins',
        'Too many sign-ins were started from here. Wait a minute and try again.',
        null,
      );
    }
    const returnTo = safeReturnTo(q.return_to);
    const purpose: SsoPurpose = returnTo.startsWith('/admin') ? 'console' : 'portal';
    // Portal sign-ins carry max_age so the ID token says when the person authenticated (auth_time): a key
    // may then be shown without another sign-in for FRESH_SIGN_IN_SECONDS. `fresh=1` forces a new one.
    const maxAge = q.fresh === '1' ? 0 : purpose === 'portal' ? FRESH_SIGN_IN_SECONDS : null;
    let request: Awaited<ReturnType<NonNullable<SelfServiceContext['oidc']>['authorizationRequest']>>;
    try {
      request = await sc.oidc.authorizationRequest({ maxAge });
    } catch (err) {
      ctx.log.error(
        { err: (err as Error).message },
        'single sign-on: the identity provider cannot be reached',
      );
      return sendProblem(
        ctx,
        reply,
        503,
        'Sign-in is unavailable',
        'Your organisation’s sign-in service cannot be reached right now. Try again in a few minutes.',
        null,
      );
    }
    const secret = newSecret();
    const t = ctx.clock();
    await ctx.store.sso.deleteExpiredLogins(new Date(t).toISOString());
    await ctx.store.sso.createLogin({
      id_hash: digest(secret),
      state: request.state,
      nonce: request.nonce,
      code_verifier: request.codeVerifier,
      purpose,
      return_to: returnTo,
      max_age: maxAge,
      created_at: new Date(t).toISOString(),
      expires_at: new Date(t + LOGIN_TTL_MS).toISOString(),
    });
    // Lax, not Strict: the browser comes back from the identity provider, another site, with a top-level GET.
    setCookie(reply, loginCookieName(secure), secret, {
      maxAgeSeconds: LOGIN_TTL_MS / 1000,
      secure,
      sameSite: 'Lax',
    });
    return reply.redirect(request.url.href, 302);
  });

  app.get(CALLBACK_PATH, async (req, reply) => {
    if (!sc.oidc)
      return sendProblem(
        ctx,
        reply,
        404,
        'Single sign-on is not set up',
        'This server has no single sign-on configured.',
        null,
      );
    const secret = readCookie(req, loginCookieName(secure));
    const callbackUrl = new URL(req.url, sc.publicUrl());
    const state = callbackUrl.searchParams.get('state');
    // The sign-in this browser started, once: a replayed or forged callback finds nothing.
    const login = secret
      ? await ctx.store.sso.takeLogin(digest(secret), new Date(ctx.clock()).toISOString())
      : null;
    setCookie(reply, loginCookieName(secure), '', { maxAgeSeconds: 0, secure, sameSite: 'Lax' });
    if (!login || state === null || login.state !== state) {
      ctx.log.warn(
        { ip: req.ip, had_cookie: Boolean(secret), found: Boolean(login) },
        'single sign-on: callback without a matching sign-in',
      );
      return sendProblem(
        ctx,
        reply,
        400,
        'Sign-in expired',
        'This sign-in was already used, has expired, or was started in another browser. Please start again.',
        { href: `${LOGIN_PATH}?return_to=${encodeURIComponent('/my-device/')}`, label: 'Sign in again' },
      );
    }
    let signedIn: Awaited<ReturnType<NonNullable<SelfServiceContext['oidc']>['complete']>>;
    try {
      signedIn = await sc.oidc.complete(callbackUrl, {
        state: login.state,
        nonce: login.nonce,
        codeVerifier: login.code_verifier,
        // A reveal's sign-in (max_age=0) must prove a new authentication: openid-client then requires
        // auth_time and checks it. An ordinary portal sign-in only asks for max_age (so auth_time comes back
        // where the provider supports it); a provider that ignores it still signs the person in, and a
        // missing auth_time just means "not fresh" (the reveal asks for the max_age=0 sign-in).
        maxAge: login.max_age === 0 ? 0 : null,
      });
    } catch (err) {
      const failed =
        err instanceof SignInFailed ? err : new SignInFailed((err as Error).message, 'Sign-in failed.');
      ctx.log.warn({ ip: req.ip, reason: failed.reason }, 'single sign-on: sign-in refused');
      return sendProblem(
        ctx,
        reply,
        400,
        'Sign-in failed',
        `${failed.userMessage} Please try again; if it keeps happening, tell your IT team.`,
        { href: `${LOGIN_PATH}?return_to=${encodeURIComponent(login.return_to)}`, label: 'Try again' },
      );
    }
    if (!signedIn.email || signedIn.emailVerified === false) {
      ctx.log.warn({ subject: signedIn.subject }, 'single sign-on: no verified email in the answer');
      return sendProblem(
        ctx,
        reply,
        403,
        'Sign-in failed',
        'Your organisation’s sign-in service did not give a verified email address for you, so this server cannot tell which computers are yours.',
        null,
      );
    }
    const person = await ctx.store.sso.personSignedIn({
      issuer: signedIn.issuer,
      subject: signedIn.subject,
      email: signedIn.email,
      name: signedIn.name,
      groups: groupsOf(signedIn.claims[sc.options?.groupsClaim ?? 'groups']),
      at: new Date(ctx.clock()).toISOString(),
    });
    if (!person) {
      ctx.log.warn({ email: signedIn.email }, 'single sign-on: the email belongs to another identity');
      return sendProblem(
        ctx,
        reply,
        409,
        'Sign-in failed',
        'Another account already uses this email address here. Ask your IT team to sort it out.',
        null,
      );
    }
    if (login.purpose === 'console') return consoleSignIn(req, reply, person, login.return_to);
    await startPortalSession(ctx, reply, person, signedIn.authTime);
    await ctx.store.addActivity({
      actor: person.email,
      actor_kind: 'user',
      type: 'signed_in',
      details: { ip: req.ip, method: 'sso', to: 'my_device' },
    });
    return sendContinue(ctx, reply, login.return_to);
  });

  /**
   * The console account follows the groups: made on the first sign-in with a mapped group, its role and
   * teams brought up to date on each, disabled (and every session ended) on the first sign-in without one.
   */
  async function consoleSignIn(
    req: FastifyRequest,
    reply: FastifyReply,
    person: PersonRecord,
    returnTo: string,
  ) {
    const teams = await ctx.store.listTeams();
    const access = accessFor(
      person.groups,
      sc.options?.roleMap ?? [],
      (t) =>
        t.startsWith('#')
          ? (teams.find((x) => x.id === Number(t.slice(1)))?.id ?? null)
          : (teams.find((x) => x.name === t)?.id ?? null),
      (t) => ctx.log.warn({ team: t }, 'single sign-on: --oidc-role-map names a team that does not exist'),
    );
    let user = person.user_id !== null ? await ctx.store.getUser(person.user_id) : null;
    user ??= await ctx.store.findUserByEmail(person.email);
    const managed = user !== null && person.user_id === user.id;
    if (!access) {
      if (user && managed && !user.disabled) {
        await ctx.store.updateUser(user.id, { disabled: true });
        const ended = await ctx.store.revokeUserSessions(user.id, 'no longer in a single sign-on group');
        await ctx.store.sso.setPersonUser(person.id, user.id, true);
        await ctx.store.addActivity({
          ...SSO_ACTOR,
          type: 'edited_user',
          details: {
            user_id: user.id,
            email: user.email,
            changes: { disabled: true },
            reason: 'no group gives a console role any more',
            sessions_ended: ended,
          },
        });
        ctx.log.info({ user_id: user.id }, 'single sign-on: console access removed (groups)');
      }
      return sendProblem(
        ctx,
        reply,
        403,
        'No access to the admin console',
        'Your account is not in a group that may use the admin console. You can still see your own computers.',
        { href: '/my-device/', label: 'Go to My devices' },
      );
    }
    if (!user) {
      user = await ctx.store.createUser({
        email: person.email,
        name: person.name,
        role: access.role,
        teams: access.teams,
        password_hash: await unusablePasswordHash(),
      });
      if (!user)
        return sendProblem(
          ctx,
          reply,
          409,
          'Sign-in failed',
          'An account with this email was made at the same moment. Try again.',
          null,
        );
      await ctx.store.addActivity({
        ...SSO_ACTOR,
        type: 'created_user',
        details: { user_id: user.id, email: user.email, role: user.role, teams: user.teams, via: 'sso' },
      });
    } else {
      if (user.disabled && !(managed && person.sso_disabled)) {
        return sendProblem(
          ctx,
          reply,
          403,
          'Account disabled',
          'An administrator disabled your admin console account.',
          { href: '/my-device/', label: 'Go to My devices' },
        );
      }
      const changes = {
        ...(user.role !== access.role ? { role: access.role } : {}),
        ...(JSON.stringify(user.teams) !== JSON.stringify(access.teams) ? { teams: access.teams } : {}),
        ...(user.disabled ? { disabled: false } : {}),
      };
      if (Object.keys(changes).length > 0) {
        user = (await ctx.store.updateUser(user.id, changes)) ?? user;
        await ctx.store.addActivity({
          ...SSO_ACTOR,
          type: 'edited_user',
          details: { user_id: user.id, email: user.email, changes, reason: 'single sign-on groups' },
        });
      }
    }
    await ctx.store.sso.setPersonUser(person.id, user.id, false);
    await startConsoleSession(ctx, req, reply, user);
    await ctx.store.addActivity({
      actor: user.email,
      actor_kind: 'user',
      type: 'signed_in',
      details: { ip: req.ip, method: 'sso' },
    });
    return sendContinue(ctx, reply, returnTo);
  }

  app.post('/sso/logout', async (req, reply) => {
    const visitor = await portalVisitor(ctx, req);
    if (visitor && formCsrfOk(req, visitor.csrf, formBody(req).csrf)) {
      await ctx.store.sso.revokePortalSession(visitor.session.id_hash, new Date(ctx.clock()).toISOString());
    }
    setCookie(reply, portalCookieName(secure), '', { maxAgeSeconds: 0, secure, sameSite: 'Strict' });
    return reply.redirect('/my-device/', 303);
  });

  // Break-glass: `escrow-server break-glass` prints /sso/break-glass?code=…; the page asks for a click (so
  // a link preview cannot use the code up), the POST turns the code into a console session, once.
  app.get('/sso/break-glass', async (req, reply) => {
    const code = String((req.query as Record<string, unknown>).code ?? '');
    return sendPage(
      ctx,
      reply,
      200,
      'Emergency sign-in',
      html`<h1>Emergency sign-in to the admin console</h1>
<p>This one-time link was made on the server with <code>escrow-server break-glass</code>. It works once, for ten minutes, and is recorded in the activity log.</p>
<form method="post" action="/sso/break-glass">
<input type="hidden" name="code" value="${code}">
<div class="actions"><button type="submit">Sign in to the admin console</button></div>
</form>`,
    );
  });

  app.post('/sso/break-glass', async (req, reply) => {
    const code = formBody(req).code ?? '';
    const userId = /^[A-Za-z0-9_-]{43}$/.test(code)
      ? await ctx.store.sso.redeemBreakGlassCode(digest(code), new Date(ctx.clock()).toISOString())
      : null;
    const user = userId === null ? null : await ctx.store.getUser(userId);
    if (!user || user.disabled) {
      ctx.log.warn({ ip: req.ip }, 'break-glass sign-in refused');
      return sendProblem(
        ctx,
        reply,
        400,
        'Link not valid',
        'This emergency sign-in link was already used or has expired. Make a new one on the server.',
        null,
      );
    }
    await startConsoleSession(ctx, req, reply, user);
    await ctx.store.addActivity({
      actor: user.email,
      actor_kind: 'user',
      type: 'signed_in_break_glass',
      details: { ip: req.ip },
    });
    ctx.log.warn({ user_id: user.id }, 'break-glass sign-in');
    return reply.redirect('/admin/', 303);
  });
}
