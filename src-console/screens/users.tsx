import { type FormEvent, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { Role, Team, User } from '../api/types.js';
import { Dialog } from '../components/dialog.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { ScrollTable } from '../components/table.js';
import { formatDateTime } from '../format.js';
import { ROLE_NAMES } from '../roles.js';
import { useResource } from '../use-resource.js';

export const ROLES: readonly Role[] = ['admin', 'maintainer', 'helpdesk', 'observer'];
export const ROLE_HINTS: Record<Role, string> = {
  admin: 'Everything, including users, API tokens and organisation settings.',
  maintainer: 'Hosts, keys and team policy.',
  helpdesk: 'Find hosts, reveal and rotate keys.',
  observer: 'See hosts, statuses and activities; never a key.',
};

/** Who may sign in to the console, with which role, for which teams (admins only). */
export function UsersScreen() {
  const res = useResource(async (signal) => {
    const [users, teams] = await Promise.all([adminApi.users(signal), adminApi.teams(signal)]);
    return { users, teams: teams.teams };
  }, []);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const teamNames = (u: User, teams: Team[]) =>
    u.teams === null
      ? 'All teams'
      : u.teams.map((id) => teams.find((t) => t.id === id)?.name ?? `#${id}`).join(', ');

  return (
    <>
      <PageHeading title="Users">
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New user
        </button>
      </PageHeading>
      <div aria-live="polite" className="live-region">
        {saved ? <p className="notice tone-ok">{saved}</p> : null}
      </div>
      {res.error ? <LoadError message={res.error} retry={res.reload} /> : null}
      {!res.data ? (
        res.loading ? (
          <Loading />
        ) : null
      ) : (
        <ScrollTable label="Users">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Teams</th>
                <th scope="col">Last signed in</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {res.data.users.map((u) => (
                <tr key={u.id}>
                  <th scope="row">{u.name}</th>
                  <td>{u.email}</td>
                  <td>{ROLE_NAMES[u.role]}</td>
                  <td>{teamNames(u, res.data?.teams ?? [])}</td>
                  <td>
                    {u.disabled
                      ? 'Disabled'
                      : u.last_sign_in_at
                        ? formatDateTime(u.last_sign_in_at)
                        : 'Never'}
                  </td>
                  <td>
                    <button type="button" className="small-button" onClick={() => setEditing(u)}>
                      Edit<span className="visually-hidden"> {u.email}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {creating && res.data ? (
        <CreateUser
          teams={res.data.teams}
          onClose={() => setCreating(false)}
          onCreated={(u) => {
            setCreating(false);
            const text = `${u.email} can now sign in as ${ROLE_NAMES[u.role]}.`;
            setSaved(text);
            res.reload();
          }}
        />
      ) : null}
      {editing && res.data ? (
        <EditUser
          user={editing}
          teams={res.data.teams}
          onClose={() => setEditing(null)}
          onSaved={(u) => {
            setEditing(null);
            setSaved(`${u.email}: ${u.disabled ? 'disabled' : ROLE_NAMES[u.role]}, saved.`);
            res.reload();
          }}
        />
      ) : null}
    </>
  );
}

function CreateUser({
  teams,
  onClose,
  onCreated,
}: {
  teams: Team[];
  onClose: () => void;
  onCreated: (u: User) => void;
}) {
  const base = useId();
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = new FormData(form.current ?? undefined);
    const email = String(f.get('email') ?? '').trim();
    const name = String(f.get('name') ?? '').trim();
    const password = String(f.get('password') ?? '');
    const { role, teams: picked } = roleAndTeamsOf(f);
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) return fail('Enter the user’s email address.', 'email');
    if (password.length < 12) return fail('The first password needs at least 12 characters.', 'password');
    setBusy(true);
    try {
      onCreated(
        await adminApi.createUser({
          email,
          name: name || email,
          password,
          role,
          teams: picked,
        }),
      );
    } catch (err) {
      setBusy(false);
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const fail = (text: string, field: string) => {
    setError(text);
    form.current?.querySelector<HTMLInputElement>(`[name="${field}"]`)?.focus();
  };
  return (
    <Dialog title="New user" onClose={onClose}>
      <form ref={form} onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor={`${base}-email`} className="field-label">
          Email
        </label>
        <input id={`${base}-email`} name="email" type="email" autoComplete="off" data-autofocus />
        <label htmlFor={`${base}-name`} className="field-label">
          Name
        </label>
        <input id={`${base}-name`} name="name" type="text" autoComplete="off" />
        <label htmlFor={`${base}-password`} className="field-label">
          First password
        </label>
        <input
          id={`${base}-password`}
          name="password"
          type="password"
          autoComplete="new-password"
          aria-describedby={`${base}-pw-hint`}
        />
        <p id={`${base}-pw-hint`} className="hint">
          At least 12 characters. Give it to the user by a separate channel.
        </p>
        <RoleAndTeams teams={teams} currentRole="observer" picked={null} />
        <div aria-live="assertive" className="live-region">
          {error ? <p className="notice tone-error">{error}</p> : null}
        </div>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Create user
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The role and team fields of a person (create and edit share them); none ticked means every team. */
function RoleAndTeams({
  teams,
  currentRole,
  picked,
}: {
  teams: Team[];
  currentRole: Role;
  picked: number[] | null;
}) {
  const base = useId();
  return (
    <>
      <fieldset className="choices">
        <legend className="field-label">Role</legend>
        {ROLES.map((r) => (
          <div key={r} className="check-row">
            <input
              id={`${base}-role-${r}`}
              type="radio"
              name="role"
              value={r}
              defaultChecked={r === currentRole}
            />
            <label htmlFor={`${base}-role-${r}`}>
              {ROLE_NAMES[r]} <span className="muted small">— {ROLE_HINTS[r]}</span>
            </label>
          </div>
        ))}
      </fieldset>
      {teams.length > 0 ? (
        <fieldset className="choices">
          <legend className="field-label">Teams (none ticked: every team)</legend>
          {teams.map((t) => (
            <div key={t.id} className="check-row">
              <input
                id={`${base}-team-${t.id}`}
                type="checkbox"
                name="team"
                value={String(t.id)}
                defaultChecked={picked?.includes(t.id) ?? false}
              />
              <label htmlFor={`${base}-team-${t.id}`}>{t.name}</label>
            </div>
          ))}
        </fieldset>
      ) : null}
    </>
  );
}

function roleAndTeamsOf(f: FormData): { role: Role; teams: number[] | null } {
  const picked = f.getAll('team').map(Number);
  return { role: String(f.get('role') ?? 'observer') as Role, teams: picked.length > 0 ? picked : null };
}

/** Another role or other teams, or no access at all (disabled: the person's sessions end at once). */
function EditUser({
  user,
  teams,
  onClose,
  onSaved,
}: {
  user: User;
  teams: Team[];
  onClose: () => void;
  onSaved: (u: User) => void;
}) {
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = new FormData(form.current ?? undefined);
    try {
      onSaved(
        await adminApi.updateUser(user.id, { ...roleAndTeamsOf(f), disabled: f.get('disabled') === 'on' }),
      );
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Dialog title={`Edit ${user.name || user.email}`} onClose={onClose}>
      <form ref={form} onSubmit={(e) => void submit(e)} noValidate>
        <p className="muted">{user.email}</p>
        <RoleAndTeams teams={teams} currentRole={user.role} picked={user.teams} />
        <div className="check-row">
          <input id={id} type="checkbox" name="disabled" defaultChecked={user.disabled} data-autofocus />
          <label htmlFor={id}>Disabled: may not sign in (ends every session now)</label>
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
