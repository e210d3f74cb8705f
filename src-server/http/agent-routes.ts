import type { FastifyInstance, FastifyReply, RouteShorthandOptions } from 'fastify';
import {
  AGENT_API_PATHS,
  CAPABILITIES_HEADER,
  ConfigRequest,
  DiskEncryptionKeyRequest,
  DiskEncryptionStatusRequest,
  EnrollRequest,
  type EnrollResponse,
  FileVaultPrkRequest,
  LuksDataRequest,
  type Platform,
  SERVER_CAPABILITIES,
} from '../../ipc/agent-server/orbit-api.js';
import { luksKeyIsStale, reportedStatus } from '../domain/status.js';
import type { HostView } from '../storage/port.js';
import { addressKey } from './client-address.js';
import type { ServerContext } from './context.js';
import { hostEvent, keyKindName } from './host-events.js';
import { checkHostClaim } from './host-identity-check.js';
import type { PreparedConfig } from './prepared-configs.js';
import { type RateLimiter, takeAll } from './rate-limit.js';
import { digest, matchesDigest, newSecret } from './secrets.js';
import { parseOr400, sendError } from './validate.js';

/** last_seen_at is written at most this often per host, so check-ins stay reads. */
const TOUCH_EVERY_MS = 60_000;

const PLATFORM_NAME: Record<Platform, string> = { linux: 'Linux', darwin: 'macOS', windows: 'Windows' };

/** The config's JSON, serialized once per config version (PreparedConfigs), sent as is. */
function sendConfig(reply: FastifyReply, prepared: PreparedConfig): FastifyReply {
  return reply.header('content-type', 'application/json; charset=utf-8').send(prepared.body);
}

/** Every orbit answer says what this server supports, as Fleet's server does. */
const CAPABILITIES = SERVER_CAPABILITIES.join(',');
const orbit: RouteShorthandOptions = {
  onRequest: (_req, reply, done) => {
    void reply.header(CAPABILITIES_HEADER, CAPABILITIES);
    done();
  },
};

/** 429 with the limiter's Retry-After. */
function tooMany(reply: FastifyReply, limiter: RateLimiter, message: string): void {
  void reply.header('retry-after', limiter.retryAfterSeconds());
  sendError(reply, 429, message);
}

export function registerAgentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /**
   * The bucket key of the enroll secret a host enrolled with. There is one secret today, so every host
   * shares it; with several, this becomes the host's own (stored at enroll).
   */
  const secretKeyValue = `secret:${ctx.enrollSecretDigest.slice(0, 16)}`;
  const secretKey = () => secretKeyValue;

  /** Resolves the node key in the body; answers 401 (the agent then re-enrolls) when it is unknown. */
  async function authenticate(nodeKey: string, reply: FastifyReply): Promise<HostView | null> {
    const view = await ctx.store.findHostByNodeKeyHash(digest(nodeKey));
    if (!view) sendError(reply, 401, 'unknown node key');
    return view;
  }

  app.post(AGENT_API_PATHS.enroll, orbit, async (req, reply) => {
    // Per address and all together, before the secret is checked: guesses from many addresses are
    // bounded too, and so is the work (and the log) they cause.
    const address = addressKey(req.ip);
    const busy = takeAll([
      [ctx.limits.enroll, `ip:${address}`],
      [ctx.limits.enrollGlobal, 'all'],
    ]);
    if (busy) return tooMany(reply, busy, 'too many enroll requests; retry later');
    const body = parseOr400(EnrollRequest, req.body, reply);
    if (!body) return;
    if (!matchesDigest(body.enroll_secret, ctx.enrollSecretDigest)) {
      ctx.enrollRefusals.note(address, { ip: req.ip });
      return sendError(reply, 401, 'invalid enroll secret');
    }
    const claim = checkHostClaim(body);
    if (claim && 'refused' in claim) return sendError(reply, 400, claim.refused);
    // The host table grows only as fast as new hosts may enroll with this secret (pending ones included);
    // a proven re-enroll gives its token back.
    const secret = secretKey();
    if (!ctx.limits.newHostsPerSecret.take(secret)) {
      return tooMany(reply, ctx.limits.newHostsPerSecret, 'too many new hosts are enrolling; retry later');
    }
    const nodeKey = newSecret();
    const { enroll_secret: _secret, host_identity: _claim, ...identity } = body;
    const nodeKeyHash = digest(nodeKey);
    // Two first enrolls of the same hardware at once both find no row and both insert; the database's
    // UNIQUE index refuses the second, which then finds the row the first one made.
    const { hostId, reenrolled, claimsHostId } = await ctx.store
      .enrollHost(identity, nodeKeyHash, claim)
      .catch(() => ctx.store.enrollHost(identity, nodeKeyHash, claim));
    if (reenrolled) ctx.limits.newHostsPerSecret.refund(secret);
    ctx.log.info(
      { host_id: hostId, reenrolled, platform: body.platform, claims_host_id: claimsHostId },
      claimsHostId === null
        ? 'host enrolled'
        : 'enrollment claimed a known hardware UUID without proof: pending host',
    );
    const enrolled = await ctx.store.getHostView(hostId);
    if (enrolled) {
      await hostEvent(ctx.store, enrolled, reenrolled ? 'host_re_enrolled' : 'host_enrolled', {
        platform: body.platform,
        hardware_serial: body.hardware_serial,
        ...(claimsHostId === null ? {} : { claims_host_id: claimsHostId }),
      });
    }
    if (claimsHostId !== null) {
      // On the known host's timeline too: someone claimed to be it.
      const known = await ctx.store.getHostView(claimsHostId);
      if (known) {
        await hostEvent(ctx.store, known, 'host_claimed_without_proof', {
          pending_host_id: hostId,
          hardware_serial: body.hardware_serial,
          hostname: body.hostname,
        });
      }
    }
    if (reenrolled) await ctx.waiters.notify([hostId]);
    const response: EnrollResponse = {
      orbit_node_key: nodeKey,
      ...(claimsHostId === null ? {} : { pending_merge: true }),
    };
    return response;
  });

  app.post(AGENT_API_PATHS.config, orbit, async (req, reply) => {
    const body = parseOr400(ConfigRequest, req.body, reply);
    if (!body) return;
    const entry = await ctx.checkins.lookup(digest(body.orbit_node_key));
    if (!entry) return sendError(reply, 401, 'unknown node key');
    const { hostId } = entry;
    if (Date.now() - entry.lastSeenMs > TOUCH_EVERY_MS) await ctx.store.touchHost(hostId);
    // The host now hears that encryption is off for it; "removing enforcement" is over.
    if (entry.removingEnforcement) await ctx.store.clearRemovingEnforcement(hostId);
    const wait = body.wait_for_change;
    if (!wait || wait.after_version !== entry.prepared.config.config_version) {
      return sendConfig(reply, entry.prepared);
    }
    // The response's 'close' (not the request's, which fires once the body is read) tells us the client
    // hung up before we answered.
    const held = await ctx.waiters.wait(hostId, wait.after_version, wait.timeout_seconds * 1000, (cancel) =>
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) cancel();
      }),
    );
    if (!held) {
      // The client went away (nothing to answer), or its config could not be read (the database failed
      // while shutting down): the agent retries, it must not re-enroll.
      if (reply.raw.destroyed) return reply.hijack();
      return sendError(reply, 503, 'config unavailable; retry');
    }
    return sendConfig(reply, held);
  });

  app.post(AGENT_API_PATHS.diskEncryptionStatus, orbit, async (req, reply) => {
    const body = parseOr400(DiskEncryptionStatusRequest, req.body, reply);
    if (!body) return;
    const view = await authenticate(body.orbit_node_key, reply);
    if (!view) return;
    if (body.platform !== view.host.platform) {
      return sendError(
        reply,
        400,
        `platform: this host enrolled as ${view.host.platform}, not ${body.platform}`,
      );
    }
    const { orbit_node_key: _nodeKey, ...report } = body;
    // The slot we escrowed was removed or changed on the host since the last report: a timeline event.
    if (luksKeyIsStale(view, body) && !luksKeyIsStale(view, reportedStatus(view))) {
      await hostEvent(ctx.store, view, 'key_changed_on_host', {
        key_slot: body.luks?.key_slot ?? null,
        token_state: body.luks?.token_state ?? null,
      });
    }
    await ctx.store.saveStatusReport(view.host.id, JSON.stringify(report), {
      logged_in_user: body.logged_in_user,
      logout_deferrals: body.logout_deferrals,
    });
    await ctx.waiters.notify([view.host.id]);
    return reply.code(204).send();
  });

  /** The three key submissions differ only in platform and in the LUKS slot fields. */
  async function submitKey(
    reply: FastifyReply,
    platform: Platform,
    body: { orbit_node_key: string; base64_encrypted?: string | undefined; client_error: string },
    luks?: { key_slot: number | null; salt: string | null; escrow_id: string | null },
  ) {
    const view = await authenticate(body.orbit_node_key, reply);
    if (!view) return;
    const hostId = view.host.id;
    if (view.host.platform !== platform) {
      return sendError(reply, 400, `this endpoint is for ${PLATFORM_NAME[platform]} hosts`);
    }
    if (!ctx.limits.keySubmit.take(`host:${hostId}`)) {
      return tooMany(reply, ctx.limits.keySubmit, 'too many key submissions from this host; retry later');
    }
    // Fresh hosts do not bring fresh budgets: submissions are limited per enroll secret and overall too.
    const busy = takeAll([
      [ctx.limits.keySubmitPerSecret, secretKey()],
      [ctx.limits.keySubmitGlobal, 'all'],
    ]);
    if (busy) return tooMany(reply, busy, 'too many key submissions; retry later');
    if (body.client_error !== '') {
      // The event first, so the timeline reads cause (the error) before effect (the status change).
      await hostEvent(ctx.store, view, 'escrow_failed', { client_error: body.client_error });
      await ctx.store.recordClientError(hostId, body.client_error);
      ctx.log.warn({ host_id: hostId }, 'host reported a disk-encryption error');
    } else if (body.base64_encrypted) {
      // Stored unchecked and answered at once, whatever the envelope holds: whether it decrypts is found
      // out afterwards, within the check limits (KeyArrivalChecks), so the answer tells the agent nothing.
      const outcome = await ctx.store.storeKey(hostId, {
        base64_encrypted: body.base64_encrypted,
        key_slot: luks?.key_slot ?? null,
        salt: luks?.salt ?? null,
        decryptable: null,
        escrow_id: luks?.escrow_id ?? null,
      });
      ctx.log.info({ host_id: hostId, outcome }, 'key escrowed');
      if (outcome === 'stored') {
        // Whether it decrypts is not known yet: the arrival check records key_verified or
        // key_not_decryptable once it has run.
        await hostEvent(ctx.store, view, 'key_escrowed', {
          kind: keyKindName(platform),
          key_slot: luks?.key_slot ?? null,
        });
        ctx.keyChecks.enqueue(hostId, platform, secretKey());
      }
    }
    await ctx.waiters.notify([hostId]);
    return reply.code(204).send();
  }

  app.post(AGENT_API_PATHS.luksData, orbit, async (req, reply) => {
    const body = parseOr400(LuksDataRequest, req.body, reply);
    if (!body) return;
    return submitKey(reply, 'linux', body, {
      key_slot: body.key_slot ?? null,
      salt: body.salt ?? null,
      escrow_id: body.escrow_id ?? null,
    });
  });

  app.post(AGENT_API_PATHS.diskEncryptionKey, orbit, async (req, reply) => {
    const body = parseOr400(DiskEncryptionKeyRequest, req.body, reply);
    if (!body) return;
    return submitKey(reply, 'windows', body);
  });

  app.post(AGENT_API_PATHS.filevaultPrk, orbit, async (req, reply) => {
    const body = parseOr400(FileVaultPrkRequest, req.body, reply);
    if (!body) return;
    return submitKey(reply, 'darwin', body);
  });
}
