import { beforeAll, describe, expect, it, vi } from 'vitest';
import { startup } from './electron/test-support/fake-electron.js';

// The entry point against the fake electron module: what it does while loading, before the app is ready.
vi.mock('electron', () => import('./electron/test-support/fake-electron.js'));

beforeAll(async () => {
  await import('./main.js');
});

describe('main process entry', () => {
  it('sandboxes every renderer before the app is ready', () => {
    // The log, not the mock's calls: mocks are cleared before each test, after the entry point has loaded.
    expect(startup.filter((call) => call === 'app.enableSandbox')).toHaveLength(1);
    expect(startup.indexOf('app.enableSandbox')).toBeLessThan(startup.indexOf('app.whenReady'));
  });

  it('registers the app:// scheme before the app is ready, too', () => {
    expect(startup.indexOf('protocol.registerSchemesAsPrivileged')).toBeLessThan(
      startup.indexOf('app.whenReady'),
    );
  });
});
