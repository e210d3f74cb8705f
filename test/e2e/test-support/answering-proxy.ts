import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the test server that can answer a request itself instead (as a load balancer
 * or the server's own limits would: 429 with Retry-After, 503), and records when each request arrived.
 * `answer(path)` returns the status and headers to answer with, or null to pass the request through.
 */
export interface ProxiedRequest {
  path: string;
  at: number;
  answered: number | 'passed';
}

export async function answeringProxy(
  target: () => string,
  answer: (path: string) => { status: number; headers?: Record<string, string> } | null,
): Promise<{ url: string; requests: ProxiedRequest[]; close(): Promise<void> }> {
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const own = answer(path);
    requests.push({ path, at: Date.now(), answered: own ? own.status : 'passed' });
    if (own) {
      req.resume();
      res.writeHead(own.status, { 'content-type': 'application/json', ...own.headers });
      res.end(JSON.stringify({ error: 'answered by the test proxy' }));
      return;
    }
    const upstream = http.request(
      `${target()}${path}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
