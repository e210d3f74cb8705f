import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './context.js';

describe('where a sign-in may return to', () => {
  it.each([
    ['/my-device/hosts/3/reveal', '/my-device/hosts/3/reveal'],
    ['/link?code=abc', '/link?code=abc'],
    ['/admin/', '/admin/'],
    ['https://evil.example/', '/my-device/'],
    ['//evil.example/my-device/', '/my-device/'],
    ['/\\evil.example', '/my-device/'],
    ['/my-device/\n', '/my-device/'],
    ['/api/latest/fleet/users', '/my-device/'],
    [undefined, '/my-device/'],
    [`/my-device/${'x'.repeat(600)}`, '/my-device/'],
  ])('%s → %s', (input, want) => {
    expect(safeReturnTo(input)).toBe(want);
  });
});
