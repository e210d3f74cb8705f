import { pino } from 'pino';

/**
 * Field names that may carry a secret anywhere in a log object. pino replaces their values before the
 * line is written, so a mistaken `log.info({ passphrase })` still cannot leak. This is a safety net, not
 * the plan: code never passes secrets to the logger in the first place.
 */
const REDACTED_FIELDS = [
  'passphrase',
  'recovery_key',
  'recoveryKey',
  'key',
  'encryption_key',
  'base64_encrypted',
  'enroll_secret',
  'orbit_node_key',
  'token',
  'authorization',
  'req.headers.authorization',
];

export type Logger = pino.Logger;

export function createLogger(
  name: string,
  options: { level?: string; destination?: pino.DestinationStream } = {},
) {
  const paths = REDACTED_FIELDS.flatMap((f) => (f.includes('.') ? [f] : [f, `*.${f}`]));
  return pino(
    {
      name,
      level: options.level ?? process.env.ESCROW_LOG_LEVEL ?? 'info',
      redact: { paths, censor: '[redacted]' },
      base: { pid: process.pid },
      // ISO 8601 in UTC ("time":"2026-12-08T00:35:13.123Z"): readable in the journal, sortable, no epoch sums.
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
