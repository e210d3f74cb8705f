import { createSign, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID Provider (oidc-provider, certified) in process on a loopback port, for tests. Its
 * development login form accepts any user name; `accounts` says what each one's claims are (tests change
 * them, e.g. to take someone out of a group). Consent is granted by itself (a first-party client).
 *
 * `tamper` rewrites the next ID token the token endpoint sends, re-signed with the provider's own key, so
 * the relying party's checks (audience, expiry, nonce) are tested against tokens that only differ there.
 */
export interface TestAccount {
  email: string;
  name: string;
  groups: string[];
  email_verified?: boolean;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, TestAccount>;
  /** Set to change the claims of the next ID token (then cleared). */
  tamper: ((claims: Record<string, unknown>) => Record<string, unknown>) | null;
  /** Tells the provider where the relying party's callback is (known once the escrow server listens). */
  setRedirectUri(uri: string): Promise<void>;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function startTestIdp(): Promise<TestIdp> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...(privateKey.export({ format: 'jwk' }) as JsonWebKey),
    kid: 'test-key',
    alg: 'RS256',
    use: 'sig',
  };
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, TestAccount>();

  const idp: TestIdp = {
    issuer,
    clientId: 'escrow-server',
    clientSecret: 'a-test-client-secret-of-some-length',
    accounts,
    tamper: null,
    async setRedirectUri(uri: string) {
      const configuration: Configuration = {
        clients: [
          {
            client_id: idp.clientId,
            client_secret: idp.clientSecret,
            redirect_uris: [uri],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        jwks: { keys: [jwk as never] },
        cookies: { keys: ['a-test-cookie-signing-key'] },
        scopes: ['openid', 'email', 'profile', 'groups'],
        claims: { email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
        features: { devInteractions: { enabled: true } },
        pkce: { required: () => true },
        ttl: {
          Grant: 3600,
          Session: 3600,
          AccessToken: 600,
          IdToken: 600,
          Interaction: 600,
          AuthorizationCode: 60,
        },
        findAccount: (_ctx: KoaContextWithOIDC, id: string) => {
          const a = accounts.get(id);
          if (!a) return undefined;
          return {
            accountId: id,
            claims: () => ({
              sub: id,
              email: a.email,
              email_verified: a.email_verified ?? true,
              name: a.name,
              groups: a.groups,
            }),
          };
        },
        // First party: no consent screen.
        loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
          const session = ctx.oidc.session;
          const client = ctx.oidc.client;
          if (!session?.accountId || !client) return undefined;
          const grant = new ctx.oidc.provider.Grant({
            clientId: client.clientId,
            accountId: session.accountId,
          });
          grant.addOIDCScope('openid email profile groups');
          await grant.save();
          return grant;
        },
        renderError: (ctx: KoaContextWithOIDC, out: object) => {
          ctx.type = 'json';
          ctx.body = out;
        },
      };
      const provider = new Provider(issuer, configuration);
      provider.use(async (ctx, next) => {
        await next();
        const body = ctx.body as { id_token?: string } | undefined;
        if (ctx.path === '/token' && idp.tamper && body?.id_token) {
          const [, payload] = body.id_token.split('.');
          const claims = idp.tamper(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()));
          idp.tamper = null;
          const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: jwk.kid }));
          const signed = `${head}.${b64url(JSON.stringify(claims))}`;
          const sig = createSign('RSA-SHA256').update(signed).sign(privateKey);
          ctx.body = { ...body, id_token: `${signed}.${b64url(sig)}` };
        }
      });
      handler = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return idp;
}

/**
 * A browser without JavaScript, enough for the sign-in dance: a cookie jar per host (cookies do not care
 * about ports), redirects followed by hand, forms posted as a browser posts them.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Every URL visited, in order (tests look at the authorization request). */
  readonly visited: string[] = [];

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).hostname)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).hostname;
    const jar = this.jar.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.jar.set(host, jar);
  }

  /** One request, no redirects followed. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const u = new URL(url);
    const cookies = [...(this.jar.get(u.hostname) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
    this.visited.push(url);
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...(cookies ? { cookie: cookies } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded', origin: u.origin } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired =
        attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) ||
        attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
      const jar = this.jar.get(u.hostname) ?? new Map<string, string>();
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
      this.jar.set(u.hostname, jar);
    }
    return res;
  }

  /** Follows redirects (and a Refresh header) until a page answers; returns it and its URL. */
  async go(
    url: string,
    init: { form?: Record<string, string> } = {},
  ): Promise<{ res: Response; url: string; text: string }> {
    let res = await this.request(url, init);
    let at = url;
    for (let hops = 0; hops < 20; hops++) {
      const loc = res.headers.get('location');
      const refresh = res.headers.get('refresh');
      if (res.status >= 300 && res.status < 400 && loc) at = new URL(loc, at).href;
      else if (res.status === 200 && refresh) at = new URL(refresh.replace(/^\d+;\s*url=/i, ''), at).href;
      else break;
      await res.arrayBuffer();
      res = await this.request(at);
    }
    return { res, url: at, text: await res.text() };
  }

  /**
   * From a page of ours with a sign-in link: through the provider's login form as `login`, back to us.
   * Returns where the dance ended.
   */
  async signIn(startUrl: string, login: string): Promise<{ res: Response; url: string; text: string }> {
    let page = await this.go(startUrl);
    let followedSignIn = startUrl.includes('/sso/login');
    for (let step = 0; step < 4; step++) {
      if (/name="login"/.test(page.text)) {
        const action = /<form[^>]*action="([^"]+)"/.exec(page.text)?.[1];
        if (!action) throw new Error(`no login form at ${page.url}`);
        page = await this.go(new URL(action.replace(/&amp;/g, '&'), page.url).href, {
          form: { prompt: 'login', login, password: 'any' },
        });
        continue;
      }
      const link = /href="(\/sso\/login[^"]*)"/.exec(page.text)?.[1];
      if (link && !followedSignIn) {
        followedSignIn = true;
        page = await this.go(new URL(link.replace(/&amp;/g, '&'), page.url).href);
        continue;
      }
      break;
    }
    return page;
  }
}
