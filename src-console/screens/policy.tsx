import { type FormEvent, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { Policy, TeamsResponse } from '../api/types.js';
import { Dialog } from '../components/dialog.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { ScrollTable } from '../components/table.js';
import { formatCount, formatDateTime } from '../format.js';
import { useSession } from '../session.js';
import { NO_TEAM } from '../strings.js';
import { useResource } from '../use-resource.js';
import { MoveHosts } from './move-hosts.js';

const yesNo = (b: boolean) => (b ? 'Yes' : 'No');

/** A row of the policy table: a team, or "No team" (id null), which has a policy but no team record. */
interface Row extends Policy {
  id: number | null;
  name: string;
  host_count: number;
}

function rowsOf(t: TeamsResponse): Row[] {
  const rows: Row[] = t.teams.map((team) => ({ ...team }));
  if (t.no_team) rows.unshift({ ...t.no_team, id: null, name: NO_TEAM });
  return rows;
}

/** Escrow policy per team: on/off, the log-out deadline and deferrals, and what a key reveal requires. */
export function PolicyScreen() {
  const { can } = useSession();
  const teams = useResource((signal) => adminApi.teams(signal), []);
  const [editing, setEditing] = useState<Row | null>(null);
  const [creating, setCreating] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const done = (text: string) => {
    setEditing(null);
    setCreating(false);
    setSaved(text);
    teams.reload();
  };

  return (
    <>
      <PageHeading title="Policy and teams">
        {can.editTeams ? (
          <button type="button" onClick={() => setCreating(true)}>
            New team
          </button>
        ) : null}
      </PageHeading>
      <div aria-live="polite" className="live-region">
        {saved ? <p className="notice tone-ok">{saved}</p> : null}
      </div>
      {teams.error ? <LoadError message={teams.error} retry={teams.reload} /> : null}
      {!teams.data ? (
        teams.loading ? (
          <Loading />
        ) : null
      ) : (
        <ScrollTable label="Teams and their policy">
          <table>
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Escrow</th>
                <th scope="col">Log-out deadline</th>
                <th scope="col" className="num">
                  Deferrals
                </th>
                <th scope="col">Rotate after reveal</th>
                <th scope="col">Reason required</th>
                <th scope="col" className="num">
                  Hosts
                </th>
                {can.editTeams ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {rowsOf(teams.data).map((t) => (
                <tr key={t.id ?? 'none'}>
                  <th scope="row">{t.name}</th>
                  <td>{t.enable_disk_encryption ? 'On' : 'Off'}</td>
                  <td>
                    {t.logout_deadline ? (
                      formatDateTime(t.logout_deadline)
                    ) : (
                      <span className="muted">None</span>
                    )}
                  </td>
                  <td className="num">{t.max_deferrals ?? <span className="muted">Unlimited</span>}</td>
                  <td>{yesNo(t.rotate_after_reveal)}</td>
                  <td>{yesNo(t.reason_required)}</td>
                  <td className="num">{formatCount(t.host_count)}</td>
                  {can.editTeams ? (
                    <td>
                      <button type="button" className="small-button" onClick={() => setEditing(t)}>
                        Edit<span className="visually-hidden"> {t.name}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {can.editTeams && teams.data ? <MoveHosts teams={teams.data.teams} onMoved={done} /> : null}
      {editing ? <EditPolicy team={editing} onClose={() => setEditing(null)} onSaved={done} /> : null}
      {creating ? <CreateTeam onClose={() => setCreating(false)} onSaved={done} /> : null}
    </>
  );
}

/** A datetime-local value (the admin's local time) from ISO, and back. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function EditPolicy({
  team,
  onClose,
  onSaved,
}: {
  team: Row;
  onClose: () => void;
  onSaved: (t: string) => void;
}) {
  const ids = {
    escrow: useId(),
    deadline: useId(),
    deferrals: useId(),
    rotate: useId(),
    reason: useId(),
    dHint: useId(),
  };
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState<string | null>(null);
  const name = team.name;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const f = form.current;
    if (!f) return;
    const v = (id: string) => f.querySelector(`[id="${id}"]`) as HTMLInputElement;
    const deadline = v(ids.deadline).value;
    const deferrals = v(ids.deferrals).value;
    if (deferrals !== '' && !/^\d{1,4}$/.test(deferrals)) {
      setError('Deferrals must be a whole number from 0 to 1000, or empty for no limit.');
      v(ids.deferrals).focus();
      return;
    }
    try {
      const change = {
        enable_disk_encryption: v(ids.escrow).checked,
        logout_deadline: deadline ? new Date(deadline).toISOString() : null,
        max_deferrals: deferrals === '' ? null : Number(deferrals),
        rotate_after_reveal: v(ids.rotate).checked,
        reason_required: v(ids.reason).checked,
      };
      if (team.id === null) await adminApi.updateNoTeamPolicy(change);
      else await adminApi.updateTeam(team.id, change);
      onSaved(`Policy of ${name} saved.`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Dialog title={`Policy of ${name}`} onClose={onClose}>
      <form ref={form} onSubmit={(e) => void save(e)} noValidate>
        <div className="check-row">
          <input
            id={ids.escrow}
            type="checkbox"
            defaultChecked={team.enable_disk_encryption}
            data-autofocus
          />
          <label htmlFor={ids.escrow}>Escrow recovery keys for this team’s hosts</label>
        </div>
        <label htmlFor={ids.deadline} className="field-label">
          Log-out deadline (macOS)
        </label>
        <input
          id={ids.deadline}
          type="datetime-local"
          defaultValue={toLocalInput(team.logout_deadline)}
          aria-describedby={ids.dHint}
        />
        <p id={ids.dHint} className="hint">
          Users are asked to log out so FileVault can make a new key; empty means no deadline.
        </p>
        <label htmlFor={ids.deferrals} className="field-label">
          Deferrals allowed
        </label>
        <input
          id={ids.deferrals}
          type="text"
          inputMode="numeric"
          defaultValue={team.max_deferrals === null ? '' : String(team.max_deferrals)}
        />
        <div className="check-row">
          <input id={ids.rotate} type="checkbox" defaultChecked={team.rotate_after_reveal} />
          <label htmlFor={ids.rotate}>Rotate a key after it is revealed</label>
        </div>
        <div className="check-row">
          <input id={ids.reason} type="checkbox" defaultChecked={team.reason_required} />
          <label htmlFor={ids.reason}>Require a reason to reveal a key</label>
        </div>
        <div aria-live="assertive" className="live-region">
          {error ? <p className="notice tone-error">{error}</p> : null}
        </div>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function CreateTeam({ onClose, onSaved }: { onClose: () => void; onSaved: (t: string) => void }) {
  const id = useId();
  const ref = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const name = ref.current?.value.trim() ?? '';
    if (!name) {
      setError('Enter a name for the team.');
      ref.current?.focus();
      return;
    }
    try {
      await adminApi.createTeam(name);
      onSaved(`Team ${name} created.`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Dialog title="New team" onClose={onClose}>
      <form onSubmit={(e) => void save(e)} noValidate>
        <label htmlFor={id} className="field-label">
          Name
        </label>
        <input id={id} ref={ref} type="text" maxLength={255} data-autofocus aria-invalid={error !== null} />
        <div aria-live="assertive" className="live-region">
          {error ? <p className="notice tone-error">{error}</p> : null}
        </div>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Create team
          </button>
        </div>
      </form>
    </Dialog>
  );
}
