/**
 * A time for the tray and notifications, in the user's locale and time zone (as the windows show it):
 * the time alone when it is today, with the date otherwise.
 */
export function formatTimeForUser(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toDateString() === now.toDateString()
    ? d.toLocaleTimeString(undefined, { timeStyle: 'short' })
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
