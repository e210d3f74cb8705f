/**
 * The server could not be reached or answered "try later" (network error, timeout, 5xx, 429). Callers keep
 * their work (a journaled key stays journaled) and retry with backoff.
 */
export class ServerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerUnavailableError';
  }
}

/** The server answered and refused the request (4xx other than 401/429): retrying the same body will not help. */
export class ServerRejectedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ServerRejectedError';
  }
}
