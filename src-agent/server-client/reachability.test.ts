import { describe, expect, it, vi } from 'vitest';
import { parseRetryAfter } from './http-json.js';
import { serverAddress, waitForReturn } from './reachability.js';

const fast = { minMs: 10, maxMs: 20, random: () => 0.5 };

describe('waitForReturn', () => {
  it('ends as soon as the server port accepts a connection', async () => {
    let up = false;
    setTimeout(() => {
      up = true;
    }, 60);
    const started = Date.now();
    const w = waitForReturn(
      { host: 'h', port: 1, ...fast, addresses: () => 'a', connect: async () => up },
      started,
      started + 10_000,
      false,
    );
    expect(await w.done).toBe('server_back');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ends when the network changes (a network or VPN came up)', async () => {
    let addresses = 'wlan0 10.0.0.2';
    setTimeout(() => {
      addresses = 'wlan0 10.0.0.2,tun0 10.8.0.5';
    }, 50);
    const now = Date.now();
    const w = waitForReturn(
      { host: 'h', port: 1, ...fast, addresses: () => addresses, connect: async () => false },
      now,
      now + 10_000,
      false,
    );
    expect(await w.done).toBe('network_changed');
  });

  it('after an attempt that failed although the port accepted, only a real down-and-up counts', async () => {
    const answers = [true, true, true, false, true];
    const now = Date.now();
    const w = waitForReturn(
      { host: 'h', port: 1, ...fast, addresses: () => 'a', connect: async () => answers.shift() ?? true },
      now,
      now + 10_000,
      true,
    );
    expect(await w.done).toBe('server_back');
    expect(answers).toEqual([]); // three accepted looks did not count; the one after the refusal did
  });

  it('otherwise waits out the backoff, and can be woken', async () => {
    const now = Date.now();
    const idle = { host: 'h', port: 1, ...fast, addresses: () => 'a', connect: async () => false };
    expect(await waitForReturn(idle, now, now + 100, false).done).toBe('deadline');
    const w = waitForReturn(idle, now, now + 10_000, false);
    setTimeout(w.wake, 30);
    expect(await w.done).toBe('woken');
  });

  it('looks rarely in a long outage: every outage/20, from 1 s to 5 s', async () => {
    vi.useFakeTimers();
    const looks: number[] = [];
    const now = Date.now();
    const w = waitForReturn(
      {
        host: 'h',
        port: 1,
        random: () => 0.5,
        addresses: () => 'a',
        connect: async () => {
          looks.push(Date.now());
          return false;
        },
      },
      now - 10 * 60_000, // ten minutes into the outage
      now + 60_000,
      false,
    );
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await w.done).toBe('deadline');
    expect(looks).toHaveLength(11); // every 5 s (the cap) until the deadline
    vi.useRealTimers();
  });
});

describe('serverAddress and Retry-After', () => {
  it('finds the port of http(s) URLs', () => {
    expect(serverAddress('https://escrow.example.com')).toEqual({ host: 'escrow.example.com', port: 443 });
    expect(serverAddress('http://127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(serverAddress('http://[::1]:9')).toEqual({ host: '::1', port: 9 });
  });

  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
