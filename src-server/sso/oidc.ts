import * as client from 'openid-client';

/**
 * The relying party (openid-client, certified): discovery, the authorization code flow with PKCE (S256),
 * state and nonce, and the ID token's validation (signature, issuer, audience, expiry, nonce, and auth_time
 * against max_age when one was asked for). Plain HTTP is accepted only for an issuer on loopback (tests).
 */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated; `openid` is always included. */
  scopes: string;
  /** This server's callback, as registered at the identity provider (known once the server listens). */
  redirectUri: () => string;
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface SignInClaims {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean | null;
  name: string;
  /** Every claim of the ID token and, when there is one, of userinfo (the ID token's win). */
  claims: Record<string, unknown>;
  /** When the person authenticated at the identity provider (seconds since the epoch), if it said. */
  authTime: number | null;
}

/** The identity provider refused or its answer failed a check; `reason` is for the log, not for people. */
export class SignInFailed extends Error {
  constructor(
    readonly reason: string,
    readonly userMessage: string,
  ) {
    super(reason);
  }
}

const isLoopbackHost = (h: string) => h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);

export class OidcClient {
  private config: Promise<client.Configuration> | null = null;

  constructor(private readonly settings: OidcSettings) {}

  /** Discovery once, retried on the next sign-in if it failed (the identity provider may be down). */
  private configuration(): Promise<client.Configuration> {
    if (!this.config) {
      const issuer = new URL(this.settings.issuer);
      const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname.replace(/^\[|\]$/g, ''));
      this.config = client
        .discovery(
          issuer,
          this.settings.clientId,
          { redirect_uris: [this.settings.redirectUri()], response_types: ['code'] },
          client.ClientSecretBasic(this.settings.clientSecret),
          insecure ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
        )
        .catch((err: unknown) => {
          this.config = null;
          throw err;
        });
    }
    return this.config;
  }

  async authorizationRequest(opts: { maxAge: number | null }): Promise<AuthorizationRequest> {
    const config = await this.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const scopes = new Set(['openid', ...this.settings.scopes.split(/\s+/).filter(Boolean)]);
    const params: Record<string, string> = {
      redirect_uri: this.settings.redirectUri(),
      response_type: 'code',
      scope: [...scopes].join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (opts.maxAge !== null) params.max_age = String(opts.maxAge);
    return { url: client.buildAuthorizationUrl(config, params), state, nonce, codeVerifier };
  }

  /** Exchanges the code and validates the answer; throws SignInFailed with plain words. */
  async complete(
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string; maxAge: number | null },
  ): Promise<SignInClaims> {
    const idpError = callbackUrl.searchParams.get('error');
    if (idpError) {
      throw new SignInFailed(
        `identity provider answered ${idpError}`,
        idpError === 'access_denied'
          ? 'The sign-in was cancelled or refused by your organisation’s sign-in service.'
          : 'Your organisation’s sign-in service could not sign you in.',
      );
    }
    const config = await this.configuration();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
        ...(checks.maxAge === null ? {} : { maxAge: checks.maxAge }),
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new SignInFailed(
        `${e.code ?? 'error'}: ${e.message ?? String(err)}`,
        'The answer from your organisation’s sign-in service did not pass the server’s checks.',
      );
    }
    const idClaims = tokens.claims();
    if (!idClaims)
      throw new SignInFailed('no ID token', 'Your organisation’s sign-in service sent no identity.');
    let claims: Record<string, unknown> = { ...idClaims };
    const meta = config.serverMetadata();
    if (meta.userinfo_endpoint && tokens.access_token) {
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      } catch (err) {
        // The ID token alone may still carry what we need; say so in the log.
        claims = { ...idClaims, __userinfo_error: (err as Error).message };
      }
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return {
      issuer: idClaims.iss,
      subject: idClaims.sub,
      email: str(claims.email)?.trim().toLowerCase() ?? null,
      emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
      name: (str(claims.name) ?? str(claims.preferred_username) ?? '').slice(0, 255),
      claims,
      authTime: typeof idClaims.auth_time === 'number' ? idClaims.auth_time : null,
    };
  }
}
