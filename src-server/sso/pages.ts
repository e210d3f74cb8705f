import type { FastifyReply } from 'fastify';
import type { ServerContext } from '../http/context.js';
import { type Html, html, PAGE_CSP, page } from '../portal/html.js';

/** Sends a server-rendered page with the pages' policy; never cached (the default header). */
export function sendPage(
  ctx: ServerContext,
  reply: FastifyReply,
  status: number,
  title: string,
  body: Html,
  who?: { email: string; csrf: string } | null,
): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .send(
      page({
        title,
        org: ctx.org().org_name || 'Disk recovery',
        body,
        signedInAs: who?.email ?? null,
        ...(who ? { csrf: who.csrf } : {}),
      }),
    );
}

/** A page that says what went wrong and what to do next. */
export function sendProblem(
  ctx: ServerContext,
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
  next: { href: string; label: string } | null = { href: '/my-device/', label: 'Go to My devices' },
): FastifyReply {
  const o = ctx.org();
  const contact = o.contact_email
    ? html`<a href="${`mailto:${o.contact_email}`}">${o.contact_email}</a>`
    : /^https:\/\//.test(o.contact_url)
      ? html`<a href="${o.contact_url}">${o.contact_url}</a>`
      : o.contact_phone;
  return sendPage(
    ctx,
    reply,
    status,
    title,
    html`<h1>${title}</h1>
<div class="notice error" role="alert"><p>${message}</p></div>
${next ? html`<p><a class="button" href="${next.href}">${next.label}</a></p>` : ''}
${contact ? html`<p class="muted">Need help? Contact your IT team: ${contact}</p>` : ''}`,
  );
}

/**
 * Answers a completed sign-in with a page that moves on by itself (meta refresh) rather than a redirect:
 * the browser arrived here from the identity provider (another site), and a SameSite=Strict session
 * cookie is sent only on a navigation that starts on this site.
 */
export function sendContinue(ctx: ServerContext, reply: FastifyReply, to: string): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('refresh', `0;url=${to}`)
    .send(
      page({
        title: 'Signed in',
        org: ctx.org().org_name || 'Disk recovery',
        body: html`<h1>Signed in</h1><p><a class="button" href="${to}">Continue</a></p>`,
      }),
    );
}
