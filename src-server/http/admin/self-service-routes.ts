import type { FastifyInstance } from 'fastify';
import { IdParams } from '../../../ipc/admin/common.js';
import {
  ImportHostLinksRequest,
  type ImportHostLinksResponse,
  LinkHostRequest,
  MAX_IMPORT_ROWS,
  type SelfServicePolicy,
  type SsoStatusResponse,
  UpdateSelfServiceRequest,
} from '../../../ipc/admin/self-service.js';
import { canSeeTeam } from '../../domain/authorization.js';
import type { HostView } from '../../storage/records.js';
import type { ServerContext } from '../context.js';
import { adminError, notFound, parseAdmin } from './errors.js';
import { actorOf } from './principal.js';
import { adminRoute, loadHost, publicRoute } from './route.js';

const EMAIL = /^[^\s@,;"<>]+@[^\s@,;"<>]+\.[^\s@,;"<>]+$/;

/** Parses `serial,email` lines (a header line and blank lines skipped); problems by line number. */
export function parseLinkCsv(csv: string): {
  rows: { line: number; serial: string; email: string }[];
  problems: { path: string; message: string }[];
} {
  const rows: { line: number; serial: string; email: string }[] = [];
  const problems: { path: string; message: string }[] = [];
  const lines = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (text === '') return;
    const cells = text.split(/[,;\t]/).map((c) =>
      c
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .trim(),
    );
    if (i === 0 && /^(hardware_)?serial$/i.test(cells[0] ?? '') && /^e-?mail$/i.test(cells[1] ?? '')) return;
    const [serial = '', email = '', ...rest] = cells;
    if (rest.some((c) => c !== '') || serial === '' || email === '') {
      problems.push({
        path: `line ${line}`,
        message: 'write one serial number and one email, separated by a comma',
      });
    } else if (!EMAIL.test(email) || email.length > 254) {
      problems.push({ path: `line ${line}`, message: `"${email.slice(0, 80)}" is not an email address` });
    } else rows.push({ line, serial, email: email.toLowerCase() });
  });
  return { rows, problems };
}

/**
 * Single sign-on status for the console's sign-in page, hosts linked to people (one at a time and from
 * CSV), and each team's self-service policy. Every change is an activity.
 */
export function registerSelfServiceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const sc = ctx.selfService;

  publicRoute(
    app,
    'ssoStatus',
    (): SsoStatusResponse => ({
      sso_enabled: Boolean(sc?.oidc),
      sso_login_url: sc?.oidc ? '/sso/login?return_to=%2Fadmin%2F' : null,
      password_login: !sc?.passwordLoginDisabled,
    }),
  );

  const now = () => new Date(ctx.clock()).toISOString();
  const linkJson = (v: HostView) => {
    const l = v.host.linked_user;
    return l ? { email: l.email, name: l.name, linked_at: l.linked_at, linked_via: l.linked_via } : null;
  };

  adminRoute(app, ctx, 'linkHostUser', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const view = await loadHost(ctx, who, p.id, reply);
    if (!view) return;
    const body = parseAdmin(LinkHostRequest, req.body, reply);
    if (!body) return;
    const person = await ctx.store.sso.personByEmail(body.email, now());
    await ctx.store.sso.linkHosts([{ hostId: view.host.id, personId: person.id }], 'admin', now());
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'linked_host',
      host_id: view.host.id,
      team_id: view.host.team_id,
      details: {
        host_id: view.host.id,
        host_display_name: view.host.hostname,
        email: person.email,
        previous_email: view.host.linked_user?.email ?? null,
        via: 'admin',
      },
    });
    await ctx.waiters.notify([view.host.id]);
    const after = await ctx.store.getHostView(view.host.id);
    return { host_id: view.host.id, linked_user: after ? linkJson(after) : null };
  });

  adminRoute(app, ctx, 'unlinkHostUser', async (req, reply, who) => {
    const p = parseAdmin(IdParams, req.params, reply);
    if (!p) return;
    const view = await loadHost(ctx, who, p.id, reply);
    if (!view) return;
    if (!view.host.linked_user) return notFound(reply, 'linked user');
    await ctx.store.sso.linkHosts([{ hostId: view.host.id, personId: null }], 'admin', now());
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'unlinked_host',
      host_id: view.host.id,
      team_id: view.host.team_id,
      details: {
        host_id: view.host.id,
        host_display_name: view.host.hostname,
        email: view.host.linked_user.email,
      },
    });
    await ctx.waiters.notify([view.host.id]);
    return reply.code(204).send();
  });

  adminRoute(app, ctx, 'importHostLinks', async (req, reply, who) => {
    const body = parseAdmin(ImportHostLinksRequest, req.body, reply);
    if (!body) return;
    const { rows, problems } = parseLinkCsv(body.csv);
    if (rows.length > MAX_IMPORT_ROWS)
      problems.push({ path: 'csv', message: `at most ${MAX_IMPORT_ROWS} lines per import` });
    const hosts = await ctx.store.sso.hostsBySerial(rows.map((r) => r.serial));
    const bySerial = new Map<string, { id: number; team_id: number | null }[]>();
    for (const h of hosts) {
      // Hosts the caller may not see do not exist for them.
      if (!canSeeTeam(who, h.team_id)) continue;
      bySerial.set(h.hardware_serial, [...(bySerial.get(h.hardware_serial) ?? []), h]);
    }
    const seen = new Map<string, number>();
    const wanted: { line: number; serial: string; email: string; hostId: number }[] = [];
    for (const r of rows) {
      const found = bySerial.get(r.serial) ?? [];
      if (found.length === 0)
        problems.push({ path: `line ${r.line}`, message: `no host with serial number ${r.serial}` });
      else if (found.length > 1)
        problems.push({
          path: `line ${r.line}`,
          message: `${found.length} hosts have serial number ${r.serial}; link them one by one`,
        });
      else if (seen.has(r.serial))
        problems.push({
          path: `line ${r.line}`,
          message: `serial number ${r.serial} is also on line ${seen.get(r.serial)}`,
        });
      else wanted.push({ ...r, hostId: (found[0] as { id: number }).id });
      seen.set(r.serial, seen.get(r.serial) ?? r.line);
    }
    if (problems.length > 0) {
      return adminError(
        reply,
        400,
        'invalid_request',
        `${problems.length} line(s) cannot be imported; nothing was linked`,
        problems,
      );
    }
    const current = new Map<number, string | null>();
    for (const w of wanted)
      current.set(w.hostId, (await ctx.store.getHostView(w.hostId))?.host.linked_user?.email ?? null);
    const changes = wanted.filter((w) => current.get(w.hostId) !== w.email);
    const answer: ImportHostLinksResponse = {
      dry_run: body.dry_run,
      linked: changes.map((c) => ({ host_id: c.hostId, hardware_serial: c.serial, email: c.email })),
      unchanged: wanted.length - changes.length,
    };
    if (body.dry_run || changes.length === 0) return answer;
    const at = now();
    const links: { hostId: number; personId: number }[] = [];
    for (const c of changes)
      links.push({ hostId: c.hostId, personId: (await ctx.store.sso.personByEmail(c.email, at)).id });
    await ctx.store.sso.linkHosts(links, 'csv_import', at);
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'imported_host_links',
      details: {
        linked: changes.length,
        unchanged: answer.unchanged,
        host_ids: changes.map((c) => c.hostId),
      },
    });
    await ctx.waiters.notify(changes.map((c) => c.hostId));
    return answer;
  });

  const policyJson = (
    teamId: number | null,
    s: { enabled: boolean; reveals_per_day: number },
  ): SelfServicePolicy => ({
    team_id: teamId,
    enabled: s.enabled,
    reveals_per_day: s.reveals_per_day,
  });

  adminRoute(app, ctx, 'listSelfServicePolicies', async (_req, _reply, who) => {
    const teams = (await ctx.store.listTeams()).filter((t) => canSeeTeam(who, t.id));
    const policies: SelfServicePolicy[] = [];
    if (canSeeTeam(who, null)) policies.push(policyJson(null, await ctx.store.sso.selfServicePolicy(null)));
    for (const t of teams) policies.push(policyJson(t.id, await ctx.store.sso.selfServicePolicy(t.id)));
    return { policies };
  });

  adminRoute(app, ctx, 'updateSelfServicePolicy', async (req, reply, who) => {
    const body = parseAdmin(UpdateSelfServiceRequest, req.body, reply);
    if (!body) return;
    if (
      !canSeeTeam(who, body.team_id) ||
      (body.team_id !== null && !(await ctx.store.getTeam(body.team_id)))
    ) {
      return notFound(reply, 'team');
    }
    const before = await ctx.store.sso.selfServicePolicy(body.team_id);
    const next = {
      enabled: body.enabled ?? before.enabled,
      reveals_per_day: body.reveals_per_day ?? before.reveals_per_day,
    };
    await ctx.store.sso.setSelfServicePolicy(body.team_id, next, now());
    await ctx.store.addActivity({
      ...actorOf(who),
      type: 'edited_self_service_policy',
      team_id: body.team_id,
      details: { team_id: body.team_id, ...next },
    });
    return { policy: policyJson(body.team_id, next) };
  });
}
