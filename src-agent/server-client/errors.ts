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
