import { type FormEvent, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { ApiToken, CreatedToken, Role } from '../api/types.js';
import { Dialog } from '../components/dialog.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { ScrollTable } from '../components/table.js';
import { formatDateTime } from '../format.js';
import { ROLE_NAMES } from '../roles.js';
import { useResource } from '../use-resource.js';
import { ROLES } from './users.js';

/**
 * API tokens for scripts and integrations (admins only). A new token is shown once, in its dialog, and
 * never again: the server keeps only its digest.
 */
export function TokensScreen() {
  const res = useResource((signal) => adminApi.tokens(signal), []);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const done = (text: string) => {
    setSaved(text);
    res.reload();
  };

  return (
    <>
      <PageHeading title="API tokens">
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New token
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
      ) : res.data.length === 0 ? (
        <p className="muted">No API tokens.</p>
      ) : (
        <ScrollTable label="API tokens">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {res.data.map((t) => (
                <tr key={t.id}>
                  <th scope="row">{t.name}</th>
                  <td>{ROLE_NAMES[t.role]}</td>
                  <td>{formatDateTime(t.created_at)}</td>
                  <td>{t.expires_at ? formatDateTime(t.expires_at) : 'Never'}</td>
                  <td>{t.last_used_at ? formatDateTime(t.last_used_at) : 'Never'}</td>
                  <td>
                    {t.revoked_at ? (
                      <span className="muted">Revoked {formatDateTime(t.revoked_at)}</span>
                    ) : (
                      <button type="button" className="small-button danger" onClick={() => setRevoking(t)}>
                        Revoke<span className="visually-hidden"> {t.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {creating ? (
        <CreateToken
          onClose={() => setCreating(false)}
          onCreated={(t) => done(`Token ${t.api_token.name} created. Copy it now: it is not shown again.`)}
        />
      ) : null}
      {revoking ? (
        <RevokeToken
          token={revoking}
          onClose={() => setRevoking(null)}
          onRevoked={() => {
            setRevoking(null);
            done(`Token ${revoking.name} revoked.`);
          }}
        />
      ) : null}
    </>
  );
}

function CreateToken({ onClose, onCreated }: { onClose: () => void; onCreated: (t: CreatedToken) => void }) {
  const base = useId();
  const form = useRef<HTMLFormElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const f = new FormData(form.current ?? undefined);
    const name = String(f.get('name') ?? '').trim();
    const days = String(f.get('expires') ?? '');
    if (!name) {
      setError('Name the token after what uses it, for example “inventory sync”.');
      form.current?.querySelector<HTMLInputElement>('[name="name"]')?.focus();
      return;
    }
    try {
      const t = await adminApi.createToken({
        name,
        role: String(f.get('role') ?? 'observer') as Role,
        expires_in_days: days === 'never' ? null : Number(days),
      });
      setCreated(t);
      onCreated(t);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  if (created) {
    return (
      <Dialog title={`Token ${created.api_token.name}`} onClose={onClose}>
        <p>Copy the token now: it is shown only this once.</p>
        <p className="token-value mono">{created.token}</p>
        <div aria-live="polite" className="live-region">
          {copied ? <p className="small muted">{copied}</p> : null}
        </div>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Done
          </button>
          <button
            type="button"
            className="primary"
            // biome-ignore lint/a11y/noAutofocus: the one thing to do with a new token is copy it.
            autoFocus
            onClick={() =>
              void navigator.clipboard.writeText(created.token).then(
                () => setCopied('Copied to the clipboard.'),
                () => setCopied('The browser did not allow copying; select the token and copy it yourself.'),
              )
            }
          >
            Copy
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="New API token" onClose={onClose}>
      <form ref={form} onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor={`${base}-name`} className="field-label">
          Name
        </label>
        <input
          id={`${base}-name`}
          name="name"
          type="text"
          autoComplete="off"
          data-autofocus
          maxLength={255}
        />
        <label htmlFor={`${base}-role`} className="field-label">
          Role
        </label>
        <select id={`${base}-role`} name="role" defaultValue="observer">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_NAMES[r]}
            </option>
          ))}
        </select>
        <label htmlFor={`${base}-expires`} className="field-label">
          Expires
        </label>
        <select id={`${base}-expires`} name="expires" defaultValue="90">
          <option value="30">In 30 days</option>
          <option value="90">In 90 days</option>
          <option value="365">In a year</option>
          <option value="never">Never</option>
        </select>
        <div aria-live="assertive" className="live-region">
          {error ? <p className="notice tone-error">{error}</p> : null}
        </div>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Create token
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RevokeToken({
  token,
  onClose,
  onRevoked,
}: {
  token: ApiToken;
  onClose: () => void;
  onRevoked: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title={`Revoke ${token.name}?`} onClose={onClose}>
      <p>Scripts using this token stop working at once. This cannot be undone.</p>
      <div aria-live="assertive" className="live-region">
        {error ? <p className="notice tone-error">{error}</p> : null}
      </div>
      <div className="actions">
        <button type="button" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          className="primary danger"
          onClick={() =>
            void adminApi
              .revokeToken(token.id)
              .then(onRevoked, (err: unknown) => setError(err instanceof Error ? err.message : String(err)))
          }
        >
          Revoke token
        </button>
      </div>
    </Dialog>
  );
}
