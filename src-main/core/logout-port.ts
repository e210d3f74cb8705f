/** Ends the user's session. Only ever called from the user's own click on "Log out now". */
export interface LogoutPort {
  logOut(): Promise<void>;
}

export class LogoutError extends Error {
  constructor(
    readonly code: 'automation_denied' | 'logout_failed',
    message: string,
  ) {
    super(message);
    this.name = 'LogoutError';
  }
}
