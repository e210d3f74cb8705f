import { describe, expect, it } from 'vitest';
import { allowedUsers } from './allowed-users.js';

describe('allowedUsers', () => {
  it('allowed users: root always, deduplicated by uid', () => {
    const users = allowedUsers(
      [{ uid: 1000, name: 'alice' }],
      [
        { uid: 1000, name: 'alice' },
        { uid: 1001, name: 'bob' },
      ],
    );
    expect(users.map((u) => u.uid)).toEqual([0, 1000, 1001]);
  });
});
