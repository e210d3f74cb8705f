import { Readable } from 'node:stream';

/**
 * CSV for spreadsheets (RFC 4180, CRLF). A cell that starts with = + - @ tab or CR is prefixed with `'` so
 * a spreadsheet shows it as text instead of running it as a formula (hostnames and errors come from hosts
 * and must not become formulas on an admin's machine).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvRow = (cells: readonly unknown[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * A stream of CSV text from batches of rows read one after another (the pages of a keyset walk): only
 * one batch is in memory at a time, and the next is read only when the client has taken the previous
 * one (Readable.from pulls on demand).
 */
export function csvStream<T>(
  header: readonly string[],
  batches: AsyncIterable<readonly T[]>,
  toCells: (row: T) => readonly unknown[],
): Readable {
  async function* lines() {
    yield csvRow(header);
    for await (const batch of batches) {
      if (batch.length) yield batch.map((r) => csvRow(toCells(r))).join('');
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
