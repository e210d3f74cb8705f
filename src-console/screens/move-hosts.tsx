import { type FormEvent, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import { ApiError } from '../api/client.js';
import type { Team } from '../api/types.js';
import { NO_TEAM } from '../strings.js';

/**
 * Move hosts between teams by what the admin has at hand: hostnames, serials or UUIDs, one a line. Each is
 * looked up first (the identifier API), so an unknown name is reported before anything moves.
 */
export function MoveHosts({ teams, onMoved }: { teams: Team[]; onMoved: (text: string) => void }) {
  const ids = { list: useId(), team: useId(), hint: useId() };
  const listRef = useRef<HTMLTextAreaElement>(null);
  const teamRef = useRef<HTMLSelectElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const names = (listRef.current?.value ?? '')
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length === 0) {
      setError('List at least one host.');
      listRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const unknown: string[] = [];
      const hostIds: number[] = [];
      for (const n of names) {
        try {
          hostIds.push((await adminApi.hostByIdentifier(n)).id);
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) unknown.push(n);
          else throw err;
        }
      }
      if (unknown.length > 0) {
        setError(`No host is known as ${unknown.join(', ')}. Nothing was moved.`);
        return;
      }
      const v = teamRef.current?.value ?? '';
      const teamId = v === '' ? null : Number(v);
      const r = await adminApi.transferHosts(teamId, hostIds);
      if (listRef.current) listRef.current.value = '';
      const n = r.moved_host_ids.length;
      onMoved(
        `${n === 1 ? '1 host' : `${n} hosts`} moved to ${teams.find((t) => t.id === teamId)?.name ?? NO_TEAM}.`,
      );
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="move-title" className="section card">
      <h2 id="move-title">Move hosts</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor={ids.list} className="field-label">
          Hosts
        </label>
        <textarea id={ids.list} ref={listRef} rows={3} aria-describedby={ids.hint} spellCheck={false} />
        <p id={ids.hint} className="hint">
          Hostnames, serial numbers or hardware UUIDs, one a line.
        </p>
        <label htmlFor={ids.team} className="field-label">
          To team
        </label>
        <div className="field-row">
          <select id={ids.team} ref={teamRef}>
            <option value="">{NO_TEAM}</option>
            {teams.map((t) => (
              <option key={t.id} value={String(t.id)}>
                {t.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={busy}>
            {busy ? 'Moving…' : 'Move hosts'}
          </button>
        </div>
        <div aria-live="assertive" className="live-region">
          {error ? <p className="notice tone-error">{error}</p> : null}
        </div>
      </form>
    </section>
  );
}
