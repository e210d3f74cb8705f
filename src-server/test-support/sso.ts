import {
  AGENT_API_PATHS,
  type ConfigResponse,
  type LinkCodeResponse,
} from '../../ipc/agent-server/orbit-api.js';
import type { StartServerOptions } from '../server.js';
import { parseRoleMap } from '../sso/role-map.js';
import { Browser, startTestIdp, type TestIdp } from './oidc-idp.js';
import { startTestServer, type TestServer } from './server.js';

/** An escrow server with single sign-on against an in-process identity provider, and a clock tests move. */
export interface SsoRig {
  t: TestServer;
  idp: TestIdp;
  /** Real time plus an offset that tests move (the identity provider's auth_time is real time). */
  clock: { offset: number; advance(ms: number): void };
  browser(): Browser;
  close(): Promise<void>;
}

export const ROLE_MAP = 'it-admins=admin,servicedesk=helpdesk,hd-berlin=helpdesk@Berlin';

export async function startSsoRig(opts: Partial<StartServerOptions> = {}): Promise<SsoRig> {
  const idp = await startTestIdp();
  const clock = {
    offset: 0,
    advance(ms: number) {
      clock.offset += ms;
    },
  };
  const t = await startTestServer({
    clock: () => Date.now() + clock.offset,
    sso: {
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      roleMap: parseRoleMap(ROLE_MAP),
      scopes: 'email profile groups',
    },
    ...opts,
  });
  await idp.setRedirectUri(`${t.url}/sso/callback`);
  idp.accounts.set('alice', {
    email: 'alice@example.com',
    name: 'Alice Admin',
    groups: ['it-admins', 'staff'],
  });
  idp.accounts.set('bob', { email: 'bob@example.com', name: 'Bob Berlin', groups: ['hd-berlin'] });
  idp.accounts.set('carol', { email: 'carol@example.com', name: 'Carol Owner', groups: ['staff'] });
  idp.accounts.set('dave', { email: 'dave@example.com', name: 'Dave Other', groups: ['staff'] });
  return {
    t,
    idp,
    clock,
    browser: () => new Browser(),
    close: async () => {
      await t.close();
      await idp.close();
    },
  };
}

export async function linkCode(t: TestServer, nodeKey: string): Promise<Response> {
  return t.post(AGENT_API_PATHS.linkCode, { orbit_node_key: nodeKey });
}

export async function newLinkCode(t: TestServer, nodeKey: string): Promise<LinkCodeResponse> {
  const res = await linkCode(t, nodeKey);
  if (res.status !== 200) throw new Error(`link_code: ${res.status} ${await res.text()}`);
  return (await res.json()) as LinkCodeResponse;
}

export async function agentConfig(t: TestServer, nodeKey: string): Promise<ConfigResponse> {
  const res = await t.post(AGENT_API_PATHS.config, { orbit_node_key: nodeKey });
  return (await res.json()) as ConfigResponse;
}

/** The hidden CSRF field of a page's form. */
export const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** Links the host to `login` through the link page, as the person would. */
export async function linkThroughPage(
  rig: SsoRig,
  b: Browser,
  nodeKey: string,
  login: string,
): Promise<string> {
  const code = await newLinkCode(rig.t, nodeKey);
  const page = await b.signIn(`${rig.t.url}${code.link_path}`, login);
  const done = await b.go(`${rig.t.url}/link`, { form: { csrf: csrfOf(page.text), code: code.code } });
  return done.text;
}
