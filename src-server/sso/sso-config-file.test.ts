import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSsoConfigFile, ssoSettings } from './sso-config-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sso-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string) => {
  const f = join(dir, `sso-${++n}.json`);
  writeFileSync(f, content);
  return f;
};
const good = {
  oidc_issuer: 'https://login.example.com/realms/it',
  oidc_client_id: 'escrow',
  oidc_client_secret_file: 'client-secret',
  oidc_role_map: 'it-admins=admin,servicedesk=helpdesk',
  public_url: 'https://escrow.example.com',
  disable_password_login: true,
};

describe('serve --sso-config', () => {
  it('stands for the flags, with the secret file read beside the settings file', async () => {
    const f = file(JSON.stringify(good));
    expect(await readSsoConfigFile(f)).toEqual({
      'oidc-issuer': good.oidc_issuer,
      'oidc-client-id': 'escrow',
      'oidc-client-secret-file': join(dir, 'client-secret'),
      'oidc-role-map': good.oidc_role_map,
      'public-url': good.public_url,
      'disable-password-login': true,
    });
    const absolute = file(JSON.stringify({ ...good, oidc_client_secret_file: '/etc/escrow/secret' }));
    expect((await readSsoConfigFile(absolute))['oidc-client-secret-file']).toBe('/etc/escrow/secret');
  });

  it('refuses what is not settings, each with a sentence naming the file and the key', async () => {
    const cases: [string, RegExp][] = [
      ['{"oidc_issuer": ', /is not JSON/],
      [JSON.stringify({ ...good, oidc_isuer: 'x' }), /Unrecognized key.*oidc_isuer/],
      [JSON.stringify({ ...good, oidc_issuer: 'ftp://login.example.com' }), /oidc_issuer: .*http\(s\) URL/],
      [JSON.stringify({ ...good, oidc_client_id: '' }), /oidc_client_id: /],
      [JSON.stringify({ ...good, disable_password_login: 'yes' }), /disable_password_login: /],
      [JSON.stringify([good]), /expected object/],
      [' '.repeat(70 * 1024), /larger than 64 KiB/],
    ];
    for (const [content, why] of cases) {
      const f = file(content);
      await expect(readSsoConfigFile(f), content.slice(0, 40)).rejects.toThrow(why);
      await expect(readSsoConfigFile(f)).rejects.toThrow(f);
    }
    await expect(readSsoConfigFile(join(dir, 'absent.json'))).rejects.toThrow(/cannot read .*ENOENT/);
  });

  it('never mixes the file with the flags; without the file the flags stand', async () => {
    const f = file(JSON.stringify(good));
    await expect(ssoSettings({ 'sso-config': f, 'oidc-client-id': 'other' })).rejects.toThrow(
      '--sso-config and --oidc-client-id cannot be used together',
    );
    await expect(ssoSettings({ 'sso-config': f, 'disable-password-login': true })).rejects.toThrow(
      /--disable-password-login cannot/,
    );
    // parseArgs gives the boolean flag as false when absent: that is not a mix.
    expect((await ssoSettings({ 'sso-config': f, 'disable-password-login': false }))['oidc-issuer']).toBe(
      good.oidc_issuer,
    );
    const flags = { 'oidc-issuer': 'https://idp.example.com', 'oidc-client-id': 'x' };
    expect(await ssoSettings(flags)).toBe(flags);
  });
});
