import type { HostView } from '../records.js';
import type { SqlDriver, SqlExecutor } from '../sql-driver.js';
import type { SsoStore } from '../sso-port.js';
import type {
  LinkCodeRecord,
  LinkVia,
  PersonRecord,
  PortalSessionRecord,
  SelfServiceSettings,
  SignedInIdentity,
  SsoLogin,
} from '../sso-records.js';
import { viewsOf } from './host-views.js';
import { HOST_COLUMNS, type HostRow, inChunks, now, placeholders } from './rows.js';
import { PERSON_COLUMNS, type PersonRow, toPerson } from './sso-rows.js';

/** Self-service when a team never set it: on, three reveals per person per 24 hours. */
export const SELF_SERVICE_DEFAULTS: SelfServiceSettings = { enabled: true, reveals_per_day: 3 };

const LOGIN_COLUMNS =
  'id_hash, state, nonce, code_verifier, purpose, return_to, max_age, created_at, expires_at';
const PORTAL_SESSION_COLUMNS =
  'id_hash, person_id, auth_time, created_at, last_seen_at, expires_at, revoked_at';

/** The one SQL implementation of SsoStore (both databases). */
export class SqlSsoStore implements SsoStore {
  constructor(
    private readonly db: SqlDriver,
    /** ' FOR UPDATE' on PostgreSQL, '' on SQLite (which locks the whole file). */
    private readonly forUpdate: string,
  ) {}

  personSignedIn(id: SignedInIdentity): Promise<PersonRecord | null> {
    return this.db.transaction(async (tx) => {
      const bySubject = await tx.get<PersonRow>(
        `SELECT ${PERSON_COLUMNS} FROM people WHERE issuer = ? AND subject = ?${this.forUpdate}`,
        [id.issuer, id.subject],
      );
      const byEmail = await tx.get<PersonRow>(
        `SELECT ${PERSON_COLUMNS} FROM people WHERE email = ?${this.forUpdate}`,
        [id.email],
      );
      let personId: number;
      if (bySubject) {
        // The identity provider changed this person's email to one another person holds: refuse.
        if (byEmail && byEmail.id !== bySubject.id) return null;
        personId = bySubject.id;
      } else if (byEmail) {
        // Named before (admin, CSV) or signed in through another issuer: bind only an unbound person.
        if (byEmail.subject !== null && (byEmail.issuer !== id.issuer || byEmail.subject !== id.subject))
          return null;
        personId = byEmail.id;
      } else {
        const row = await tx.get<{ id: number }>(
          `INSERT INTO people (email, name, issuer, subject, groups_json, created_at) VALUES (?, ?, ?, ?, '[]', ?)
           RETURNING id`,
          [id.email, id.name, id.issuer, id.subject, id.at],
        );
        if (!row) throw new Error('insert returned no id');
        personId = row.id;
      }
      await tx.run(
        `UPDATE people SET email = ?, name = ?, issuer = ?, subject = ?, groups_json = ?, last_sign_in_at = ?
         WHERE id = ?`,
        [id.email, id.name, id.issuer, id.subject, JSON.stringify(id.groups), id.at, personId],
      );
      await tx.run('UPDATE hosts SET linked_email = ?, linked_name = ? WHERE linked_person_id = ?', [
        id.email,
        id.name,
        personId,
      ]);
      return this.person(tx, personId);
    });
  }

  async personByEmail(email: string, at: string): Promise<PersonRecord> {
    await this.db.run(
      `INSERT INTO people (email, name, groups_json, created_at) VALUES (?, '', '[]', ?) ON CONFLICT (email) DO NOTHING`,
      [email, at],
    );
    const row = await this.db.get<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE email = ?`, [email]);
    if (!row) throw new Error('person vanished after insert');
    return toPerson(row);
  }

  getPerson(id: number): Promise<PersonRecord | null> {
    return this.person(this.db, id);
  }

  private async person(q: SqlExecutor, id: number): Promise<PersonRecord | null> {
    const row = await q.get<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = ?`, [id]);
    return row ? toPerson(row) : null;
  }

  async setPersonUser(personId: number, userId: number | null, ssoDisabled: boolean): Promise<void> {
    await this.db.run('UPDATE people SET user_id = ?, sso_disabled = ? WHERE id = ?', [
      userId,
      ssoDisabled ? 1 : 0,
      personId,
    ]);
  }

  async createLogin(l: SsoLogin): Promise<void> {
    await this.db.run(`INSERT INTO sso_logins (${LOGIN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      l.id_hash,
      l.state,
      l.nonce,
      l.code_verifier,
      l.purpose,
      l.return_to,
      l.max_age,
      l.created_at,
      l.expires_at,
    ]);
  }

  async takeLogin(idHash: string, at: string): Promise<SsoLogin | null> {
    // DELETE … RETURNING: of two callbacks racing with one cookie, exactly one gets the row.
    const row = await this.db.get<SsoLogin>(
      `DELETE FROM sso_logins WHERE id_hash = ? RETURNING ${LOGIN_COLUMNS}`,
      [idHash],
    );
    if (!row || row.expires_at <= at) return null;
    return row;
  }

  async deleteExpiredLogins(at: string): Promise<number> {
    return (await this.db.run('DELETE FROM sso_logins WHERE expires_at <= ?', [at])).changes;
  }

  async createPortalSession(s: Omit<PortalSessionRecord, 'revoked_at'>): Promise<void> {
    await this.db.run(
      `INSERT INTO portal_sessions (id_hash, person_id, auth_time, created_at, last_seen_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [s.id_hash, s.person_id, s.auth_time, s.created_at, s.last_seen_at, s.expires_at],
    );
  }

  async findPortalSession(idHash: string): Promise<PortalSessionRecord | null> {
    return (
      (await this.db.get<PortalSessionRecord>(
        `SELECT ${PORTAL_SESSION_COLUMNS} FROM portal_sessions WHERE id_hash = ?`,
        [idHash],
      )) ?? null
    );
  }

  async touchPortalSession(idHash: string, at: string): Promise<void> {
    await this.db.run('UPDATE portal_sessions SET last_seen_at = ? WHERE id_hash = ?', [at, idHash]);
  }

  async revokePortalSession(idHash: string, at: string): Promise<void> {
    await this.db.run('UPDATE portal_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL', [
      at,
      idHash,
    ]);
  }

  async revokePersonPortalSessions(personId: number, at: string): Promise<number> {
    return (
      await this.db.run(
        'UPDATE portal_sessions SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL',
        [at, personId],
      )
    ).changes;
  }

  createLinkCode(hostId: number, codeHash: string, at: string, expiresAt: string): Promise<void> {
    return this.db.transaction(async (tx) => {
      // One live code per host: asking again replaces it; used codes stay as a record, expired ones go.
      await tx.run('DELETE FROM link_codes WHERE host_id = ? AND (used_at IS NULL OR expires_at <= ?)', [
        hostId,
        at,
      ]);
      await tx.run(
        'INSERT INTO link_codes (code_hash, host_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
        [codeHash, hostId, at, expiresAt],
      );
    });
  }

  async findLinkCode(codeHash: string): Promise<LinkCodeRecord | null> {
    return (
      (await this.db.get<LinkCodeRecord>(
        'SELECT code_hash, host_id, created_at, expires_at, used_at FROM link_codes WHERE code_hash = ?',
        [codeHash],
      )) ?? null
    );
  }

  redeemLinkCode(codeHash: string, personId: number, at: string): Promise<number | null> {
    return this.db
      .transaction(async (tx) => {
        const used = await tx.get<{ host_id: number }>(
          `UPDATE link_codes SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?
         RETURNING host_id`,
          [at, personId, codeHash, at],
        );
        if (!used) return null;
        const host = await tx.get<{ linked_person_id: number | null }>(
          `SELECT linked_person_id FROM hosts WHERE id = ?${this.forUpdate}`,
          [used.host_id],
        );
        if (!host || (host.linked_person_id !== null && host.linked_person_id !== personId)) {
          // Not ours to take: roll the use back by throwing away the whole transaction.
          throw new LinkRefused();
        }
        await this.link(tx, used.host_id, personId, 'link_code', at);
        return used.host_id;
      })
      .catch((err: unknown) => {
        if (err instanceof LinkRefused) return null;
        throw err;
      });
  }

  private async link(tx: SqlExecutor, hostId: number, personId: number | null, via: LinkVia, at: string) {
    if (personId === null) {
      return tx.run(
        `UPDATE hosts SET linked_person_id = NULL, linked_email = NULL, linked_name = NULL, linked_at = NULL,
           linked_via = NULL WHERE id = ? AND linked_person_id IS NOT NULL`,
        [hostId],
      );
    }
    const p = await tx.get<{ email: string; name: string }>('SELECT email, name FROM people WHERE id = ?', [
      personId,
    ]);
    if (!p) throw new Error(`no person ${personId}`);
    return tx.run(
      `UPDATE hosts SET linked_person_id = ?, linked_email = ?, linked_name = ?, linked_at = ?, linked_via = ?
       WHERE id = ? AND (linked_person_id IS NULL OR linked_person_id <> ?)`,
      [personId, p.email, p.name, at, via, hostId, personId],
    );
  }

  linkHosts(
    links: readonly { hostId: number; personId: number | null }[],
    via: LinkVia,
    at: string,
  ): Promise<number[]> {
    return this.db.transaction(async (tx) => {
      const changed: number[] = [];
      for (const l of links) {
        if ((await this.link(tx, l.hostId, l.personId, via, at)).changes === 1) changed.push(l.hostId);
      }
      return changed;
    });
  }

  hostsBySerial(serials: readonly string[]) {
    return inChunks([...new Set(serials)] as unknown as number[], (chunk) =>
      this.db.all<{ id: number; hardware_serial: string; team_id: number | null }>(
        `SELECT id, hardware_serial, team_id FROM hosts WHERE hardware_serial IN (${placeholders(chunk.length)})
         ORDER BY id`,
        chunk,
      ),
    );
  }

  async hostsOfPerson(personId: number): Promise<HostView[]> {
    const rows = await this.db.all<HostRow>(
      `SELECT ${HOST_COLUMNS} FROM hosts WHERE linked_person_id = ? ORDER BY id`,
      [personId],
    );
    return viewsOf(this.db, rows);
  }

  async markRecoveryKeyUsed(hostId: number, shownTo: string): Promise<void> {
    // The store's clock, like the keys' created_at it is compared with (domain/self-service.ts).
    await this.db.run(
      'UPDATE hosts SET recovery_key_used_at = ?, recovery_key_shown_to = ?, rotate_requested = 1 WHERE id = ?',
      [now(), shownTo, hostId],
    );
  }

  async selfServicePolicy(teamId: number | null): Promise<SelfServiceSettings> {
    const row = await this.db.get<{ enabled: number; reveals_per_day: number }>(
      'SELECT enabled, reveals_per_day FROM self_service_policies WHERE team_key = ?',
      [teamId ?? 0],
    );
    return row ? { enabled: row.enabled !== 0, reveals_per_day: row.reveals_per_day } : SELF_SERVICE_DEFAULTS;
  }

  async selfServicePolicies(): Promise<Map<number | null, SelfServiceSettings>> {
    const rows = await this.db.all<{ team_key: number; enabled: number; reveals_per_day: number }>(
      'SELECT team_key, enabled, reveals_per_day FROM self_service_policies',
    );
    return new Map(
      rows.map((r) => [
        r.team_key === 0 ? null : r.team_key,
        { enabled: r.enabled !== 0, reveals_per_day: r.reveals_per_day },
      ]),
    );
  }

  async setSelfServicePolicy(teamId: number | null, s: SelfServiceSettings, at: string): Promise<void> {
    await this.db.run(
      `INSERT INTO self_service_policies (team_key, enabled, reveals_per_day, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (team_key) DO UPDATE SET enabled = excluded.enabled, reveals_per_day = excluded.reveals_per_day,
         updated_at = excluded.updated_at`,
      [teamId ?? 0, s.enabled ? 1 : 0, s.reveals_per_day, at],
    );
  }

  async addSelfServiceReveal(personId: number, hostId: number, reason: string, at: string): Promise<void> {
    await this.db.run(
      'INSERT INTO self_service_reveals (person_id, host_id, reason, created_at) VALUES (?, ?, ?, ?)',
      [personId, hostId, reason, at],
    );
  }

  async countSelfServiceReveals(personId: number, since: string): Promise<number> {
    const r = await this.db.get<{ n: number }>(
      'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM self_service_reveals WHERE person_id = ? AND created_at > ?',
      [personId, since],
    );
    return Number(r?.n ?? 0);
  }

  async createBreakGlassCode(userId: number, codeHash: string, at: string, expiresAt: string): Promise<void> {
    await this.db.run(
      'INSERT INTO break_glass_codes (code_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
      [codeHash, userId, at, expiresAt],
    );
  }

  async redeemBreakGlassCode(codeHash: string, at: string): Promise<number | null> {
    const r = await this.db.get<{ user_id: number }>(
      `UPDATE break_glass_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?
       RETURNING user_id`,
      [at, codeHash, at],
    );
    return r?.user_id ?? null;
  }
}

class LinkRefused extends Error {}
