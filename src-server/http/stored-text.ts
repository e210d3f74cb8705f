/**
 * Whether two strings are the same once stored. Both databases keep text as UTF-8 and compare it byte by
 * byte (SQLite's BINARY collation; PostgreSQL's deterministic collations break ties on the bytes), and the
 * drivers turn an unpaired surrogate into U+FFFD on the way in. The schemas refuse such strings now
 * (`text()` in ipc/schema-helpers.ts), so this is `===` in practice; it is spelled out for the uniqueness
 * checks, whose answer must be the database's, whatever reaches them.
 */
export function sameStoredText(a: string, b: string): boolean {
  return a === b || Buffer.from(a, 'utf8').equals(Buffer.from(b, 'utf8'));
}
