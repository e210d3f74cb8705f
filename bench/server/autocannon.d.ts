// autocannon ships no types. This declares the part config-checkins.mjs uses (autocannon 9, see its
// README: "Usage > API", "Results"); @types/autocannon as a devDependency would replace this file.
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Returns the request to send; a falsy value restarts from the first request. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null | undefined;
    }

    interface Options {
      url: string;
      method?: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      headers?: Record<string, string>;
      body?: string | Buffer;
      requests?: Request[];
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      p2_5: number;
      p50: number;
      p75: number;
      p90: number;
      p97_5: number;
      p99: number;
      p99_9: number;
      p99_99: number;
      p99_999: number;
    }

    interface Result {
      url: string;
      /** Per second; total is the completed requests, sent those sent. */
      requests: Histogram & { total: number; sent: number };
      /** Milliseconds. */
      latency: Histogram & { totalCount: number };
      /** Bytes per second; total is all bytes. */
      throughput: Histogram & { total: number };
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      '1xx': number;
      '2xx': number;
      '3xx': number;
      '4xx': number;
      '5xx': number;
    }
  }

  /** Without a callback, autocannon returns its run tracker, which is also a thenable of the results. */
  function autocannon(options: autocannon.Options): PromiseLike<autocannon.Result>;
  export default autocannon;
}
