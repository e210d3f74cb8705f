import { ServerUnavailableError } from './errors.js';

/** Larger answers than this are not ours (a config with its certificate is a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One JSON POST. Network failures and timeouts become ServerUnavailableError; any HTTP status is returned
 * for the caller to judge. The body is returned unparsed-by-schema: callers validate it with zod.
 */
export async function postJson(
  url: string,
  body: unknown,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<JsonResponse> {
  const signals = [AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    throw new ServerUnavailableError(`cannot reach the escrow server: ${describeFetchError(err)}`);
  }
  let text: string;
  try {
    const bytes = await res.arrayBuffer();
    if (bytes.byteLength > MAX_RESPONSE_BYTES) throw new Error('response too large');
    text = new TextDecoder().decode(bytes);
  } catch (err) {
    throw new ServerUnavailableError(`the escrow server's answer was cut off: ${(err as Error).message}`);
  }
  if (text === '') return { status: res.status, body: null };
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text.slice(0, 200) };
  }
}

function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer in time';
  if (e.name === 'AbortError') return 'cancelled';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? 'unknown error';
}
