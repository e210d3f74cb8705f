import { describe, expect, it } from 'vitest';
import { Counter, gauge, Histogram } from './metrics.js';

describe('Prometheus text', () => {
  it('renders counters with escaped labels, cumulative histogram buckets and gauges', () => {
    const c = new Counter('escrow_requests_total', 'Requests.');
    c.inc({ route: '/a"b' });
    c.inc({ route: '/a"b' }, 2);
    expect(c.render()).toBe(
      '# HELP escrow_requests_total Requests.\n# TYPE escrow_requests_total counter\nescrow_requests_total{route="/a\\"b"} 3',
    );
    const h = new Histogram('escrow_seconds', 'Time.');
    h.observe({ route: '/x' }, 0.02);
    h.observe({ route: '/x' }, 3);
    const text = h.render();
    expect(text).toContain('escrow_seconds_bucket{route="/x",le="0.01"} 0');
    expect(text).toContain('escrow_seconds_bucket{route="/x",le="0.025"} 1');
    expect(text).toContain('escrow_seconds_bucket{route="/x",le="5"} 2');
    expect(text).toContain('escrow_seconds_bucket{route="/x",le="+Inf"} 2');
    expect(text).toContain('escrow_seconds_count{route="/x"} 2');
    expect(text).toContain('escrow_seconds_sum{route="/x"} 3.02');
    expect(gauge('escrow_held', 'Held.', [[{}, 4]])).toBe(
      '# HELP escrow_held Held.\n# TYPE escrow_held gauge\nescrow_held 4',
    );
  });
});
