import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  AGENT_API_PATHS,
  CAPABILITIES_HEADER,
  LINK_CODE_TTL_SECONDS,
  LinkCodeRequest,
  type LinkCodeResponse,
  type Platform,
  SERVER_CAPABILITIES,
} from '../../ipc/agent-server/orbit-api.js';
import type { ServerContext } from '../http/context.js';
import { digest, newSecret } from '../http/secrets.js';
import { parseOr400, sendError } from '../http/validate.js';
import { formBody, LOGIN_PATH, type SelfServiceContext } from '../sso/context.js';
import { sendPage, sendProblem } from '../sso/pages.js';
import { formCsrfOk, type PortalVisitor, portalVisitor } from '../sso/sessions.js';
import { html } from './html.js';
import { PORTAL_PATH } from './routes.js';

export const LINK_PATH = '/link';
const CODE = /^[A-Za-z0-9_-]{43}$/;
const PLATFORM: Record<Platform, string> = { linux: 'Linux', darwin: 'Mac', windows: 'Windows' };

/**
 * Linking a computer to its person. The agent asks for a one-time code (orbit, node key); the desktop app
 * opens the browser at /link?code=…; the person signs in with single sign-on, sees the computer's name and
 * confirms; the code is used up and the host linked. Codes live 10 minutes, work once, are stored hashed,
 * and cannot take a computer that is linked to someone else (an admin unlinks it first).
 */
export function registerLinkRoutes(app: FastifyInstance, ctx: ServerContext, sc: SelfServiceContext): void {
  const capabilities = SERVER_CAPABILITIES.join(',');

  app.post(AGENT_API_PATHS.linkCode, async (req, reply) => {
    void reply.header(CAPABILITIES_HEADER, capabilities);
    const body = parseOr400(LinkCodeRequest, req.body, reply);
    if (!body) return;
    const view = await ctx.store.findHostByNodeKeyHash(digest(body.orbit_node_key));
    if (!view) return sendError(reply, 401, 'unknown node key');
    if (!sc.oidc)
      return sendError(reply, 404, 'this server has no single sign-on, so computers cannot be linked');
    if (view.host.linked_user) {
      return sendError(reply, 409, `this computer is already linked to ${view.host.linked_user.email}`);
    }
    if (!sc.limits.linkCode.take(`host:${view.host.id}`)) {
      void reply.header('retry-after', sc.limits.linkCode.retryAfterSeconds());
      return sendError(reply, 429, 'too many link codes for this computer; retry later');
    }
    const code = newSecret();
    const now = ctx.clock();
    const expiresAt = new Date(now + LINK_CODE_TTL_SECONDS * 1000).toISOString();
    await ctx.store.sso.createLinkCode(view.host.id, digest(code), new Date(now).toISOString(), expiresAt);
    ctx.log.info({ host_id: view.host.id }, 'link code issued');
    const answer: LinkCodeResponse = {
      code,
      link_path: `${LINK_PATH}?code=${code}`,
      expires_at: expiresAt,
      expires_in_seconds: LINK_CODE_TTL_SECONDS,
    };
    return answer;
  });

  const expired = (reply: FastifyReply) =>
    sendProblem(
      ctx,
      reply,
      410,
      'This link no longer works',
      'Link codes work once and only for ten minutes. On the computer, open Escrow Desktop and choose “Link to me” again.',
    );

  /** The code's host while the code is usable; otherwise answered already. */
  async function usableCode(code: string, reply: FastifyReply) {
    const rec = CODE.test(code) ? await ctx.store.sso.findLinkCode(digest(code)) : null;
    if (!rec || rec.used_at !== null || Date.parse(rec.expires_at) <= ctx.clock()) {
      expired(reply);
      return null;
    }
    const view = await ctx.store.getHostView(rec.host_id);
    if (!view) {
      expired(reply);
      return null;
    }
    return view;
  }

  const who = (v: PortalVisitor) => ({ email: v.person.email, csrf: v.csrf });

  app.get(LINK_PATH, async (req, reply) => {
    const code = String((req.query as Record<string, unknown>).code ?? '');
    if (!sc.oidc) {
      return sendProblem(
        ctx,
        reply,
        404,
        'Linking is not set up',
        'Your IT team has not set up single sign-on on this server yet.',
        null,
      );
    }
    const view = await usableCode(code, reply);
    if (!view) return;
    const v = await portalVisitor(ctx, req);
    if (!v) {
      const back = `${LINK_PATH}?code=${code}`;
      return sendPage(
        ctx,
        reply,
        200,
        'Link this computer to you',
        html`<h1>Link this computer to you</h1>
<p>Sign in with your work account to link the computer you came from to you. Then you can see it, and get its recovery key if it is ever locked, at My devices.</p>
<p><a class="button" href="${`${LOGIN_PATH}?return_to=${encodeURIComponent(back)}`}">Sign in with your work account</a></p>
<p class="muted">You sign in on your organisation’s own sign-in page. Neither this site nor the app sees your password.</p>`,
      );
    }
    const linked = view.host.linked_user;
    if (linked && linked.person_id === v.person.id) {
      return sendPage(
        ctx,
        reply,
        200,
        'Already linked',
        html`<h1>Already linked</h1><p><strong>${view.host.hostname}</strong> is already linked to you.</p><p><a class="button" href="${PORTAL_PATH}">Go to My devices</a></p>`,
        who(v),
      );
    }
    if (linked) {
      return sendProblem(
        ctx,
        reply,
        409,
        'Linked to someone else',
        'This computer is linked to another person. If it is yours now, ask your IT team to unlink it first.',
      );
    }
    return sendPage(
      ctx,
      reply,
      200,
      'Link this computer to you',
      html`<h1>Is this your computer?</h1>
<dl class="facts card">
<dt>Name</dt><dd><strong>${view.host.hostname}</strong></dd>
<dt>Kind</dt><dd>${PLATFORM[view.host.platform]} · ${view.host.os_version}</dd>
<dt>Serial number</dt><dd>${view.host.hardware_serial || '—'}</dd>
</dl>
<p>Check that this is the name shown in Escrow Desktop on the computer in front of you. Once linked, you (${v.person.email}) can get its recovery key if it is ever locked.</p>
<form method="post" action="${LINK_PATH}">
<input type="hidden" name="csrf" value="${v.csrf}">
<input type="hidden" name="code" value="${code}">
<div class="actions"><button type="submit">Yes, link ${view.host.hostname} to me</button>
<a class="button secondary" href="${PORTAL_PATH}">No, this is not my computer</a></div>
</form>`,
      who(v),
    );
  });

  app.post(LINK_PATH, async (req, reply) => {
    const form = formBody(req);
    const v = await portalVisitor(ctx, req);
    if (!v) return expired(reply);
    if (!formCsrfOk(req, v.csrf, form.csrf)) {
      return sendProblem(
        ctx,
        reply,
        403,
        'Please try again',
        'This form has expired. Open the link from Escrow Desktop again.',
      );
    }
    const code = form.code ?? '';
    const hostId = CODE.test(code)
      ? await ctx.store.sso.redeemLinkCode(digest(code), v.person.id, new Date(ctx.clock()).toISOString())
      : null;
    if (hostId === null) return expired(reply);
    const view = await ctx.store.getHostView(hostId);
    await ctx.store.addActivity({
      actor: v.person.email,
      actor_kind: 'user',
      type: 'linked_host',
      host_id: hostId,
      team_id: view?.host.team_id ?? null,
      details: {
        host_id: hostId,
        host_display_name: view?.host.hostname ?? '',
        email: v.person.email,
        via: 'link_code',
      },
    });
    await ctx.waiters.notify([hostId]);
    ctx.log.info({ host_id: hostId, person_id: v.person.id }, 'host linked by its person');
    return sendPage(
      ctx,
      reply,
      200,
      'Linked',
      html`<h1>Linked</h1>
<div class="notice"><p><strong>${view?.host.hostname ?? 'The computer'}</strong> is now linked to you. Escrow Desktop on it shows your email within a few seconds.</p></div>
<p>You can close this window, or see your computers:</p>
<p><a class="button" href="${PORTAL_PATH}">Go to My devices</a></p>`,
      who(v),
    );
  });
}
