import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../../ipc/agent-server/orbit-api.js';
import { recoveryKeyUsed } from '../domain/self-service.js';
import { diskEncryptionStatus } from '../domain/status.js';
import { openEscrowedKey } from '../escrow/key-check.js';
import { KEY_KIND } from '../http/admin/host-json.js';
import type { ServerContext } from '../http/context.js';
import { formBody, LOGIN_PATH, type SelfServiceContext } from '../sso/context.js';
import { sendPage, sendProblem } from '../sso/pages.js';
import { formCsrfOk, type PortalVisitor, portalVisitor } from '../sso/sessions.js';
import type { HostView } from '../storage/records.js';
import { type Html, html, STYLESHEET, STYLESHEET_PATH } from './html.js';
import { keyLayout } from './key-format.js';

export const PORTAL_PATH = '/my-device/';

const PLATFORM: Record<Platform, string> = { linux: 'Linux', darwin: 'Mac', windows: 'Windows' };

/** Why a person needs their key, as they would say it; the activity keeps the code and the words. */
export const REVEAL_REASONS = {
  forgot_passphrase: 'I forgot my disk passphrase or password',
  recovery_prompt: 'The computer asks for a recovery key (after an update or a repair)',
  other: 'Something else',
} as const;
type ReasonCode = keyof typeof REVEAL_REASONS;

function personStatus(v: HostView): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  const { status } = diskEncryptionStatus(v);
  switch (status) {
    case 'verified':
      return { text: 'Protected: a working recovery key is held', tone: 'ok' };
    case 'verifying':
      return { text: 'Protected: the recovery key is being checked', tone: 'ok' };
    case 'action_required':
      return { text: 'Needs you: open Escrow Desktop on this computer', tone: 'warn' };
    case 'enforcing':
      return { text: 'Being set up', tone: 'warn' };
    case 'failed':
      return { text: 'Problem: your IT team can see it', tone: 'bad' };
    default:
      return { text: 'Not managed by your IT team', tone: 'warn' };
  }
}

const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * The self-service portal: the person's own computers (linked to them), their status, and their recovery
 * keys behind a fresh sign-in, a confirmation of which computer and why, the team's policy and a daily
 * limit. Another person's computer answers exactly like one that does not exist (404).
 */
export function registerPortalRoutes(app: FastifyInstance, ctx: ServerContext, sc: SelfServiceContext): void {
  app.get(STYLESHEET_PATH, (_req, reply) =>
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(STYLESHEET),
  );
  app.get(PORTAL_PATH.slice(0, -1), (_req, reply) => reply.redirect(PORTAL_PATH, 301));

  const who = (v: PortalVisitor) => ({ email: v.person.email, csrf: v.csrf });

  function signInPage(reply: FastifyReply, returnTo: string) {
    if (!sc.oidc) {
      return sendProblem(
        ctx,
        reply,
        404,
        'My devices is not set up',
        'Your IT team has not set up single sign-on on this server yet, so My devices is not available.',
        null,
      );
    }
    return sendPage(
      ctx,
      reply,
      200,
      'My devices',
      html`<h1>My devices</h1>
<p>See the computers linked to you and, if one of them is locked, get its recovery key.</p>
<p><a class="button" href="${`${LOGIN_PATH}?return_to=${encodeURIComponent(returnTo)}`}">Sign in with your work account</a></p>
<p class="muted">You sign in on your organisation’s own sign-in page. This site never sees your password.</p>`,
    );
  }

  /** The visitor's host with this id, or a 404 page (another person's host looks exactly like none). */
  async function ownHost(v: PortalVisitor, idText: string, reply: FastifyReply): Promise<HostView | null> {
    const id = /^\d{1,9}$/.test(idText) ? Number(idText) : null;
    const view = id === null ? null : await ctx.store.getHostView(id);
    if (!view || view.host.linked_user?.person_id !== v.person.id) {
      sendProblem(
        ctx,
        reply,
        404,
        'Computer not found',
        'There is no computer linked to you at this address.',
      );
      return null;
    }
    return view;
  }

  app.get(PORTAL_PATH, async (req, reply) => {
    const v = await portalVisitor(ctx, req);
    if (!v) return signInPage(reply, PORTAL_PATH);
    const hosts = await ctx.store.sso.hostsOfPerson(v.person.id);
    const items = hosts.map((h) => {
      const s = personStatus(h);
      return html`<li class="card">
<h2 class="device-name"><a href="${`${PORTAL_PATH}hosts/${h.host.id}`}">${h.host.hostname}</a></h2>
<dl class="facts">
<dt>Kind</dt><dd>${PLATFORM[h.host.platform]} · ${h.host.os_version}</dd>
<dt>Serial number</dt><dd>${h.host.hardware_serial || '—'}</dd>
<dt>Status</dt><dd class="${`status status-${s.tone}`}">${s.text}</dd>
<dt>Last seen</dt><dd>${when(h.host.last_seen_at)}</dd>
</dl>
<a class="button secondary" href="${`${PORTAL_PATH}hosts/${h.host.id}`}">Details and recovery key<span class="sr-only"> for ${h.host.hostname}</span></a>
</li>`;
    });
    return sendPage(
      ctx,
      reply,
      200,
      'My devices',
      html`<h1>My devices</h1>
${
  hosts.length === 0
    ? html`<div class="notice"><p>No computer is linked to you yet.</p>
<p>To link one: on that computer, open <strong>Escrow Desktop</strong> and choose <strong>Link to me</strong>. Your IT team can also link it for you.</p></div>`
    : html`<ul class="devices">${items}</ul>`
}`,
      who(v),
    );
  });

  app.get(`${PORTAL_PATH}hosts/:id`, async (req, reply) => {
    const v = await portalVisitor(ctx, req);
    if (!v) return signInPage(reply, req.url);
    const view = await ownHost(v, (req.params as { id: string }).id, reply);
    if (!view) return;
    const s = personStatus(view);
    const policy = await ctx.store.sso.selfServicePolicy(view.host.team_id);
    const used = recoveryKeyUsed(view);
    const hasKey = Boolean(view.key?.base64_encrypted) && view.key?.decryptable !== false;
    let keySection: Html;
    if (!hasKey)
      keySection = html`<p>No recovery key is held for this computer yet, so none can be shown. ${contact()}</p>`;
    else if (!policy.enabled)
      keySection = html`<p>Your IT team has turned off getting recovery keys here for this computer. ${contact()}</p>`;
    else
      keySection = html`<p>If this computer is locked and asks for its recovery key, you can see the key here. If you signed in more than ten minutes ago, you will be asked to sign in again first.</p>
<p><a class="button" href="${`${PORTAL_PATH}hosts/${view.host.id}/reveal`}">Get the recovery key</a></p>`;
    return sendPage(
      ctx,
      reply,
      200,
      view.host.hostname,
      html`<p><a href="${PORTAL_PATH}">← My devices</a></p>
<h1>${view.host.hostname}</h1>
<dl class="facts card">
<dt>Kind</dt><dd>${PLATFORM[view.host.platform]} · ${view.host.os_version}</dd>
<dt>Serial number</dt><dd>${view.host.hardware_serial || '—'}</dd>
<dt>Status</dt><dd class="${`status status-${s.tone}`}">${s.text}</dd>
<dt>Last seen</dt><dd>${when(view.host.last_seen_at)}</dd>
<dt>Linked to you</dt><dd>${view.host.linked_user ? when(view.host.linked_user.linked_at) : ''}</dd>
</dl>
${used ? html`<div class="notice"><p>The recovery key was shown on ${when(used.used_at)}. This computer gets a new one the next time it is online; until then the shown key still works.</p></div>` : ''}
<h2>Recovery key</h2>
${keySection}`,
      who(v),
    );
  });

  function contact(): Html {
    const o = ctx.org();
    const c = o.contact_email || o.contact_url || o.contact_phone;
    return c ? html`Contact your IT team: ${c}.` : html`Contact your IT team.`;
  }

  /** Asks for a fresh sign-in: a link (never a form that redirects off-site, which the policy forbids). */
  function freshSignInPage(reply: FastifyReply, v: PortalVisitor, view: HostView) {
    const back = `${PORTAL_PATH}hosts/${view.host.id}/reveal`;
    return sendPage(
      ctx,
      reply,
      200,
      'Confirm it is you',
      html`<p><a href="${`${PORTAL_PATH}hosts/${view.host.id}`}">← ${view.host.hostname}</a></p>
<h1>Confirm it is you</h1>
<p>A recovery key unlocks the whole disk, so you need to sign in again right before it is shown.</p>
<p><a class="button" href="${`${LOGIN_PATH}?fresh=1&return_to=${encodeURIComponent(back)}`}">Sign in again</a></p>`,
      who(v),
    );
  }

  app.get(`${PORTAL_PATH}hosts/:id/reveal`, async (req, reply) => {
    const v = await portalVisitor(ctx, req);
    if (!v) return signInPage(reply, req.url);
    const view = await ownHost(v, (req.params as { id: string }).id, reply);
    if (!view) return;
    if (!v.fresh) return freshSignInPage(reply, v, view);
    return sendPage(ctx, reply, 200, 'Get the recovery key', confirmForm(view, v), who(v));
  });

  function confirmForm(view: HostView, v: PortalVisitor, problem?: string): Html {
    return html`<p><a href="${`${PORTAL_PATH}hosts/${view.host.id}`}">← ${view.host.hostname}</a></p>
<h1>Get the recovery key</h1>
${problem ? html`<div class="notice error" role="alert"><p>${problem}</p></div>` : ''}
<form method="post" action="${`${PORTAL_PATH}hosts/${view.host.id}/reveal`}" class="card">
<input type="hidden" name="csrf" value="${v.csrf}">
<fieldset class="plain">
<legend><strong>Which computer is locked?</strong></legend>
<label class="check"><input type="checkbox" name="confirm_host" value="${String(view.host.id)}" required>
<span>The locked computer is <strong>${view.host.hostname}</strong> (${PLATFORM[view.host.platform]}, serial number ${view.host.hardware_serial || 'unknown'}).</span></label>
</fieldset>
<label for="reason">Why do you need the key?</label>
<select id="reason" name="reason" required>
<option value="">Choose one</option>
${Object.entries(REVEAL_REASONS).map(([k, t]) => html`<option value="${k}">${t}</option>`)}
</select>
<label for="details">Anything to add? <span class="hint">Optional. Your IT team sees this.</span></label>
<textarea id="details" name="details" rows="2" maxlength="500"></textarea>
<p class="muted">Your IT team is told each time a key is shown. Afterwards the computer replaces the key with a new one.</p>
<div class="actions"><button type="submit">Show the recovery key</button>
<a class="button secondary" href="${`${PORTAL_PATH}hosts/${view.host.id}`}">Cancel</a></div>
</form>`;
  }

  app.post(`${PORTAL_PATH}hosts/:id/reveal`, async (req: FastifyRequest, reply: FastifyReply) => {
    const v = await portalVisitor(ctx, req);
    if (!v) return signInPage(reply, PORTAL_PATH);
    const form = formBody(req);
    if (!formCsrfOk(req, v.csrf, form.csrf)) {
      return sendProblem(
        ctx,
        reply,
        403,
        'Please try again',
        'This form has expired. Go back, reload the page and try again.',
      );
    }
    const view = await ownHost(v, (req.params as { id: string }).id, reply);
    if (!view) return;
    if (!v.fresh) return freshSignInPage(reply, v, view);
    const reason = form.reason as ReasonCode | undefined;
    if (form.confirm_host !== String(view.host.id) || !reason || !(reason in REVEAL_REASONS)) {
      return sendPage(
        ctx,
        reply,
        400,
        'Get the recovery key',
        confirmForm(
          view,
          v,
          'Tick the box to confirm which computer is locked, and choose why you need the key.',
        ),
        who(v),
      );
    }
    const details = (form.details ?? '').trim().slice(0, 500);
    const policy = await ctx.store.sso.selfServicePolicy(view.host.team_id);
    if (!policy.enabled) {
      return sendProblem(
        ctx,
        reply,
        403,
        'Not available',
        'Your IT team has turned off getting recovery keys here for this computer.',
      );
    }
    const now = ctx.clock();
    const since = new Date(now - 86_400_000).toISOString();
    if (
      !sc.limits.reveal.take(`person:${v.person.id}`, now) ||
      (await ctx.store.sso.countSelfServiceReveals(v.person.id, since)) >= policy.reveals_per_day
    ) {
      void reply.header('retry-after', 3600);
      return sendProblem(
        ctx,
        reply,
        429,
        'Limit reached',
        `Recovery keys can be shown ${policy.reveals_per_day} time(s) a day. Contact your IT team if you are still locked out.`,
      );
    }
    const key = view.key;
    const recovered =
      key?.base64_encrypted && key.decryptable !== false
        ? await openEscrowedKey(key.base64_encrypted, view.host.platform, ctx.escrowKeys().all)
        : null;
    if (recovered === null) {
      return sendProblem(
        ctx,
        reply,
        404,
        'No recovery key',
        'No working recovery key is held for this computer. Contact your IT team.',
      );
    }
    const reasonText = `${REVEAL_REASONS[reason]}${details ? `: ${details}` : ''}`;
    await ctx.store.sso.addSelfServiceReveal(
      v.person.id,
      view.host.id,
      reasonText,
      new Date(now).toISOString(),
    );
    await ctx.store.addActivity({
      actor: v.person.email,
      actor_kind: 'user',
      type: 'self_service_read_disk_encryption_key',
      host_id: view.host.id,
      team_id: view.host.team_id,
      details: {
        host_id: view.host.id,
        host_display_name: view.host.hostname,
        reason: reasonText,
        reason_code: reason,
        self_service: true,
        ip: req.ip,
      },
    });
    await ctx.store.sso.markRecoveryKeyUsed(view.host.id, 'owner');
    await ctx.waiters.notify([view.host.id]);
    ctx.log.info(
      { host_id: view.host.id, person_id: v.person.id },
      'self-service: recovery key shown to its owner',
    );
    const layout = keyLayout(KEY_KIND[view.host.platform], recovered);
    return sendPage(
      ctx,
      reply,
      200,
      'Recovery key',
      html`<p><a href="${`${PORTAL_PATH}hosts/${view.host.id}`}">← ${view.host.hostname}</a></p>
<h1>Recovery key for ${view.host.hostname}</h1>
<section class="reveal" aria-labelledby="key-title">
<h2 id="key-title">Type these ${String(layout.groups.length)} groups in order</h2>
<ol class="key" aria-label="Recovery key, group by group">
${layout.groups.map((g, i) => html`<li><span class="n">Group ${String(i + 1)}</span><span class="g">${g}</span></li>`)}
</ol>
<p>All in one line:<span class="key-line">${layout.typed}</span></p>
<h2>How to type it</h2>
<ol class="steps">${layout.howTo.map((s) => html`<li>${s}</li>`)}</ol>
</section>
<div class="notice"><p>This key was shown to you and recorded. Once the computer is unlocked and online, it replaces the key with a new one, and Escrow Desktop helps you set a new disk passphrase if you need one.</p></div>
<p class="muted">The key disappears from this page after ten minutes. Do not save it or send it to anyone.</p>
<p><a class="button secondary" href="${PORTAL_PATH}">Done</a></p>`,
      who(v),
    );
  });
}
