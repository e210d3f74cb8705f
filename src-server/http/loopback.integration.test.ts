import { describe, expect, it } from 'vitest';
import { isLoopback, startServer } from '../server.js';

describe('plain HTTP only on loopback', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'escrow.example.com', '::ffff:127.0.0.1']) {
      expect(isLoopback(h)).toBe(false);
    }
  });

  it('startServer refuses a non-loopback host without TLS before touching the data dir', async () => {
    await expect(startServer({ dataDir: '/nonexistent', host: '0.0.0.0' })).rejects.toThrow(
      /plain HTTP is allowed only on loopback/,
    );
  });
});
