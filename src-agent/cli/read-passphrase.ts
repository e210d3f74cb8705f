/**
 * Reads the passphrase for escrowctl into a Buffer (never a string, so it can be wiped).
 * Not a terminal: every byte of stdin up to EOF, minus ONE trailing newline (what `echo` or a here-string
 * adds); other bytes, spaces included, are part of the passphrase. A terminal: a prompt without echo.
 */
export async function readPassphraseFromStream(input: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  let end = all.length;
  if (end > 0 && all[end - 1] === 0x0a) end--;
  if (end > 0 && end < all.length && all[end - 1] === 0x0d) end--;
  const out = Buffer.from(all.subarray(0, end));
  all.fill(0);
  return out;
}

export function readPassphraseFromTty(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  prompt: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const bytes: number[] = [];
    const finish = (err: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      const buf = Buffer.from(bytes);
      bytes.fill(0);
      if (err) {
        buf.fill(0);
        reject(err);
      } else resolve(buf);
    };
    const onData = (chunk: Buffer) => {
      for (const b of chunk) {
        if (b === 0x0d || b === 0x0a) return finish(null);
        if (b === 0x03) return finish(new Error('cancelled'));
        if (b === 0x04 && bytes.length === 0) return finish(new Error('cancelled'));
        if (b === 0x7f || b === 0x08) {
          // Backspace removes one UTF-8 character: its continuation bytes (10xxxxxx) and its lead byte.
          while (bytes.length > 0 && ((bytes.at(-1) as number) & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
        } else bytes.push(b);
      }
      chunk.fill(0);
    };
    output.write(prompt);
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
