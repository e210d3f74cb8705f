import { describe, expect, it } from 'vitest';
import { parseSessionRecord, personAtScreen } from './logind-sessions.js';

describe('parseSessionRecord', () => {
  it('logind records: local user sessions count, remote, greeter and closing ones do not', () => {
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=active\nREMOTE=0\nCLASS=user\n')).toEqual({
      uid: 1000,
      name: 'alice',
      active: true,
    });
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=online\nCLASS=user\n')).toEqual({
      uid: 1000,
      name: 'alice',
      active: false,
    });
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=active\nREMOTE=1\nCLASS=user\n')).toBeNull();
    expect(parseSessionRecord('UID=115\nUSER=gdm\nSTATE=active\nCLASS=greeter\n')).toBeNull();
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=closing\nCLASS=user\n')).toBeNull();
    expect(parseSessionRecord('garbage')).toBeNull();
  });

  it('the person at the screen: the active session user, else the lowest uid, else nobody', () => {
    const bob = { uid: 1001, name: 'bob', active: false };
    const alice = { uid: 1000, name: 'alice', active: false };
    expect(personAtScreen([bob, { uid: 1002, name: 'carol', active: true }, alice])).toBe('carol');
    expect(personAtScreen([bob, alice])).toBe('alice');
    // macOS: the console's owner carries no session state and is the person at the screen.
    expect(personAtScreen([{ uid: 501, name: 'dana' }])).toBe('dana');
    expect(personAtScreen([])).toBeNull();
  });
});
