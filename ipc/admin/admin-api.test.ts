import { describe, expect, it } from 'vitest';
import {
  ADMIN_ROUTES,
  CreateApiTokenRequest,
  CreateUserRequest,
  DiskEncryptionRequest,
  HostListQuery,
  MAX_PER_PAGE,
  RevealQuery,
  UpdateOrgRequest,
} from './admin-api.js';

describe('admin contract', () => {
  it('refuses a huge per_page and a too-long query rather than clamping them', () => {
    expect(HostListQuery.safeParse({ per_page: '1000000000' }).success).toBe(false);
    expect(HostListQuery.safeParse({ per_page: String(MAX_PER_PAGE) }).success).toBe(true);
    const long = HostListQuery.safeParse({ query: 'x'.repeat(257) });
    expect(long.success).toBe(false);
    expect(long.error?.issues[0]?.path).toEqual(['query']);
  });

  it('keeps page for small offsets only, and never together with a cursor', () => {
    expect(HostListQuery.parse({ page: '2', per_page: '50' })).toMatchObject({ page: 2, per_page: 50 });
    expect(HostListQuery.safeParse({ page: '200', per_page: '100' }).success).toBe(false);
    expect(HostListQuery.safeParse({ page: '1', cursor: 'abc' }).success).toBe(false);
    expect(HostListQuery.safeParse({ cursor: 'a"b' }).success).toBe(false);
  });

  it('takes SQL metacharacters in a search as text', () => {
    expect(HostListQuery.parse({ query: "'; DROP TABLE hosts; --%_" }).query).toBe(
      "'; DROP TABLE hosts; --%_",
    );
  });

  it('reads query-string booleans and bounds reasons', () => {
    expect(RevealQuery.parse({ reason: ' locked out ', rotate_after: 'true' })).toEqual({
      reason: 'locked out',
      rotate_after: true,
    });
    expect(RevealQuery.safeParse({ reason: 'x'.repeat(501) }).success).toBe(false);
    expect(RevealQuery.safeParse({ rotate_after: 'yes' }).success).toBe(false);
  });

  it('lower-cases emails, requires long passwords, defaults token expiry to 90 days', () => {
    const u = CreateUserRequest.parse({
      email: ' Alice@Example.COM ',
      role: 'helpdesk',
      password: 'a'.repeat(12),
    });
    expect(u).toMatchObject({ email: 'alice@example.com', teams: null, name: '' });
    expect(CreateUserRequest.safeParse({ email: 'a@b.c', role: 'admin', password: 'short' }).success).toBe(
      false,
    );
    expect(
      CreateUserRequest.safeParse({ email: 'a@b.c', role: 'root', password: 'a'.repeat(12) }).success,
    ).toBe(false);
    expect(CreateApiTokenRequest.parse({ name: 'ci', role: 'observer' }).expires_in_days).toBe(90);
  });

  it('accepts only https: and mailto: contact URLs', () => {
    expect(UpdateOrgRequest.safeParse({ org_info: { contact_url: 'javascript:alert(1)' } }).success).toBe(
      false,
    );
    expect(UpdateOrgRequest.safeParse({ org_info: { contact_url: 'https://help.example' } }).success).toBe(
      true,
    );
    expect(UpdateOrgRequest.safeParse({ org_info: { contact_phone: '=HYPERLINK()' } }).success).toBe(false);
  });

  it('keeps the policy fields of disk_encryption optional (absent keeps them)', () => {
    expect(DiskEncryptionRequest.parse({ team_id: 0, enable_disk_encryption: true })).toEqual({
      team_id: null,
      enable_disk_encryption: true,
    });
  });

  it('disk_encryption without team_id or fleet_id is for hosts in no team, as Fleet reads it', () => {
    expect(DiskEncryptionRequest.parse({ enable_disk_encryption: true })).toEqual({
      team_id: null,
      enable_disk_encryption: true,
    });
    expect(DiskEncryptionRequest.parse({ fleet_id: 4, enable_disk_encryption: false }).team_id).toBe(4);
    expect(
      DiskEncryptionRequest.safeParse({ team_id: 3, fleet_id: 4, enable_disk_encryption: true }).success,
    ).toBe(false);
  });

  it('names every endpoint once', () => {
    const keys = Object.values(ADMIN_ROUTES).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
