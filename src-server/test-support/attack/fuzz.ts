import fc from 'fast-check';
import { ruleFor } from './route-rules.js';
import { type AttackWorld, credential } from './world.js';

/**
 * Seeded request generator for every route: path parameters, query strings, headers and bodies, from
 * valid requests with one field changed to anything JSON can carry (unpaired surrogates, NUL, huge and
 * negative numbers, deep nesting, prototype keys) to bodies that are not JSON at all.
 */
export interface FuzzCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Every UTF-8 byte percent-encoded (encodeURIComponent throws on an unpaired surrogate; this sends U+FFFD). */
const percentEncoded = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const odd = fc.constantFrom(
  '',
  '\uD800',
  'a\uDFFFb',
  '\0',
  'x'.repeat(5000),
  '<script>',
  "' OR 1=1 --",
  '%00',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'NaN',
  '1e309',
  '-0',
  '\u202e',
  '\uFEFF',
);
/** Strings of every kind: printable, full Unicode (surrogate halves included), and the odd ones above. */
const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), odd);
const anyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), Number.MAX_VALUE, 1e-300),
);
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue(),
  anyString,
  anyNumber,
  fc.constantFrom(null, true, false, [], {}),
  fc.array(anyString, { maxLength: 5 }),
  fc.dictionary(anyString, anyString, { maxKeys: 4 }),
);

const paramValue = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String),
  fc.constantFrom(
    '0',
    '1',
    '2',
    '3',
    '999999',
    '2147483648',
    '1e3',
    '0x10',
    '-1',
    '1.5',
    'NaN',
    '%201',
    '01',
  ),
  anyString.map(percentEncoded),
  fc.constantFrom('%00', '%2e%2e%2f', '%ZZ', '%ED%A0%80', '..', '%F0%28%8C%28'),
);

const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('team_id', 'per_page', 'after_id', 'fleet_id', '__proto__', 'constructor[x]'),
        anyString,
      ),
      fc.oneof(anyString, anyNumber.map(String), fc.constantFrom('', '-1', '0', '1', '1001', 'true', '[]')),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => {
    if (pairs.length === 0) return '';
    const q = pairs.map(([k, v]) => `${percentEncoded(k)}=${percentEncoded(v)}`).join('&');
    // Under Node's 16 KiB header limit: a longer request line is a 431 (the malformed-framing test has it).
    return `?${q}`.slice(0, 4096);
  });

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
  'application/json, text/plain',
);

/** Bodies that are not a JSON object: broken JSON, deep nesting, duplicate and prototype keys, binary. */
const rawBody = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.integer({ min: 1, max: 60_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 30_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom(
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}',
    '{"orbit_node_key":"a","orbit_node_key":"b"}',
    '{"orbit_node_key":',
    'null',
    '[]',
    '"string"',
    '1e999999',
    '{"a":1}garbage',
    '\uFEFF{}',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
  ),
);

export function fuzzCases(
  w: AttackWorld,
  routes: readonly { method: string; url: string }[],
  perRoute: number,
  seed: number,
): FuzzCase[] {
  const cases: FuzzCase[] = [];
  routes.forEach((route, i) => {
    const rule = ruleFor(route);
    const example = rule?.example(w, 'a') ?? { path: route.url };
    const exampleBody: Record<string, unknown> = { ...example.body };
    if (rule?.guard === 'node_key') exampleBody.orbit_node_key = credential(w, 'node_key_a', rule.platform);
    if (rule?.guard === 'enroll_secret') exampleBody.enroll_secret = w.enrollSecret;
    const fields = [...Object.keys(exampleBody), 'team_id', 'hosts', 'wait_for_change', 'luks', 'extra'];
    const mutated = fc
      .tuple(fc.constantFrom(...fields), anyJson, fc.boolean())
      .map(([field, value, drop]) => {
        const b: Record<string, unknown> = { ...exampleBody };
        if (drop) delete b[field];
        else b[field] = value;
        return JSON.stringify(b);
      });
    const body = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 1 },
      { arbitrary: fc.constant(JSON.stringify(exampleBody)), weight: 1 },
      { arbitrary: mutated, weight: 5 },
      { arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null'), weight: 2 },
      { arbitrary: rawBody, weight: 2 },
    );
    const path = fc
      .tuple(paramValue, queryString)
      .map(([id, q]) => (route.url.includes(':id') ? route.url.replace(':id', id) : route.url) + q);
    const authorization = fc.constantFrom(
      undefined,
      `Bearer ${w.adminToken}`,
      `Bearer ${w.observerToken}`,
      `Bearer ${w.enrollSecret}`,
      'Bearer garbage',
      `Bearer ${'A'.repeat(300)}`,
      'Basic YWRtaW46YWRtaW4=',
      `bearer ${w.adminToken}`,
    );
    const method = fc.oneof(
      { arbitrary: fc.constant(route.method), weight: 8 },
      { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), weight: 1 },
    );
    const one = fc.record({ method, path, body, ct: contentType, authorization }).map((c): FuzzCase => {
      const headers: Record<string, string> = {};
      if (c.ct) headers['content-type'] = c.ct;
      if (c.authorization) headers.authorization = c.authorization;
      return { method: c.method, path: c.path, headers, ...(c.body === undefined ? {} : { body: c.body }) };
    });
    cases.push(...fc.sample(one, { seed: seed + i, numRuns: perRoute }));
  });
  return cases;
}
