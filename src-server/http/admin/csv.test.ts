import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, csvStream } from './csv.js';

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
    ['a,b', '"a,b"'],
    ['line\nbreak', '"line\nbreak"'],
    ['<script>alert(1)</script>', '<script>alert(1)</script>'],
    ['plain', 'plain'],
  ])('%j → %j', (input, want) => {
    expect(csvCell(input)).toBe(want);
  });

  it('writes numbers, booleans, null and objects as text', () => {
    expect(csvRow([1, true, null, undefined, { a: 1 }])).toBe('1,true,,,"{""a"":1}"\r\n');
  });

  it('streams a header and every batch', async () => {
    async function* batches() {
      yield [1, 2];
      yield [];
      yield [3];
    }
    expect(await text(csvStream(['n'], batches(), (n) => [n]))).toBe('n\r\n1\r\n2\r\n3\r\n');
  });
});
