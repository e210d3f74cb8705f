/**
 * The message of anything a `catch` caught, for logs and user-facing text. `catch (err)` gives `unknown`:
 * an Error, but also whatever a library threw (a string, a plain object), which `(err as Error).message`
 * would turn into "undefined".
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
