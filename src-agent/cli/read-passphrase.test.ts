import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readPassphraseFromStream } from './read-passphrase.js';

describe('readPassphraseFromStream', () => {
  it('passphrase from stdin: exactly one trailing newline removed, spaces and Unicode kept', async () => {
    const read = (s: string | Buffer) => readPassphraseFromStream(Readable.from([Buffer.from(s)]));
    expect((await read('pass word \n')).toString()).toBe('pass word ');
    expect((await read('pass\n\n')).toString()).toBe('pass\n');
    expect((await read('pässwörd ✓\r\n')).toString()).toBe('pässwörd ✓');
    expect((await read('no newline')).toString()).toBe('no newline');
    expect((await read('')).length).toBe(0);
  });
});
