import { describe, expect, it } from 'vitest';
import { parseSessionRecord } from './logind-sessions.js';

describe('parseSessionRecord', () => {
  it('logind records: local user sessions count, remote, greeter and closing ones do not', () => {
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=active\nREMOTE=0\nCLASS=user\n')).toEqual({
      uid: 1000,
      name: 'alice',
    });
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=online\nCLASS=user\n')).not.toBeNull();
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=active\nREMOTE=1\nCLASS=user\n')).toBeNull();
    expect(parseSessionRecord('UID=115\nUSER=gdm\nSTATE=active\nCLASS=greeter\n')).toBeNull();
    expect(parseSessionRecord('UID=1000\nUSER=alice\nSTATE=closing\nCLASS=user\n')).toBeNull();
    expect(parseSessionRecord('garbage')).toBeNull();
  });
});
