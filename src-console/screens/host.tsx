import { useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import type { ArchivedKeyMeta, HostDetails, KeyKind, Team } from '../api/types.js';
import { Dialog } from '../components/dialog.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { StatusBadge } from '../components/status.js';
import { formatAgo, formatDateTime } from '../format.js';
import { href, Link } from '../router.js';
import { useSession } from '../session.js';
import { logoutRequestText, NO_TEAM, PLATFORM_NAMES } from '../strings.js';
import { useResource } from '../use-resource.js';
import { RevealDialog } from './reveal-dialog.js';

const KIND_NAMES: Record<KeyKind, string> = { luks: 'LUKS', filevault: 'FileVault', bitlocker: 'BitLocker' };

const ARCHIVE_REASONS: Record<string, string> = {
  replaced: 'Replaced by a newer key',
  re_enrolled: 'Host enrolled again',
  encryption_disabled: 'Escrow turned off',
  team_changed: 'Host changed team',
};

/** One host: where its key stands and why, what happened to it, and the actions on its key. */
export function HostScreen({ id }: { id: number }) {
  const { can } = useSession();
  // The host first and alone, so its page is on screen as soon as the one row it needs is read; the
  // timeline, archived keys and teams fill in after (each says it is loading until then).
  const res = useResource((signal) => adminApi.host(id, signal), [id]);
  const [round, setRound] = useState(0);
  const timeline = useResource((signal) => adminApi.timeline(id, signal), [id, round]);
  const archived = useResource((signal) => adminApi.archivedKeys(id, signal), [id, round]);
  const teams = useResource(
    (signal) => (can.editTeams ? adminApi.teams(signal) : Promise.resolve(null)),
    [can.editTeams],
  );
  const [dialog, setDialog] = useState<'reveal' | 'rotate' | ArchivedKeyMeta | null>(null);
  const [done, setDone] = useState<string | null>(null);

  if (!res.data) {
    return (
      <>
        <PageHeading title={res.error ? 'Host not found' : 'Host'} />
        {res.error ? <LoadError message={res.error} retry={res.reload} /> : <Loading />}
      </>
    );
  }
  const host = res.data;
  const reloadAll = () => {
    res.reload();
    setRound((r) => r + 1);
  };
  const key = host.disk_encryption_key;
  const hasKey = Boolean(key?.escrowed);
  const status = host.mdm.os_settings.disk_encryption;
  const finished = (text: string) => {
    setDialog(null);
    setDone(text);
    reloadAll();
  };

  return (
    <>
      <p className="breadcrumb">
        <Link to={href('/hosts')}>Hosts</Link> <span aria-hidden="true">/</span>
      </p>
      <PageHeading title={host.display_name}>
        {can.revealKeys ? (
          <button type="button" className="primary" disabled={!hasKey} onClick={() => setDialog('reveal')}>
            Reveal key
          </button>
        ) : null}
        {can.rotateKeys ? (
          <button type="button" disabled={!hasKey} onClick={() => setDialog('rotate')}>
            Rotate key
          </button>
        ) : null}
      </PageHeading>
      <div aria-live="polite" className="live-region">
        {done ? <p className="notice tone-ok">{done}</p> : null}
      </div>
      {res.error ? <LoadError message={res.error} retry={res.reload} /> : null}

      <section className={`summary-card tone-${status.status ?? 'unmanaged'}`} aria-labelledby="status-title">
        <h2 id="status-title" className="summary-title">
          <StatusBadge status={status.status} />
          <span className="visually-hidden">Status</span>
        </h2>
        <p>{status.detail}</p>
        {host.needs_attention.length > 0 ? (
          <ul className="reasons">
            {host.needs_attention.map((r) => (
              <li key={r.code}>{r.text}</li>
            ))}
          </ul>
        ) : null}
        {key?.client_error ? (
          <p className="muted small">
            The host said: <q>{key.client_error}</q>
          </p>
        ) : null}
        {host.rotate_requested ? (
          <p className="muted small">A new key has been requested and not yet received.</p>
        ) : null}
        {(can.revealKeys || can.rotateKeys) && !hasKey ? (
          <p className="muted small">
            There is no escrowed key yet, so there is nothing to reveal or rotate.
          </p>
        ) : null}
      </section>

      <div className="two-columns">
        <section aria-labelledby="facts-title" className="card">
          <h2 id="facts-title">Host</h2>
          <dl className="facts">
            <dt>Platform</dt>
            <dd>
              {PLATFORM_NAMES[host.platform]} <span className="muted">· {host.os_version}</span>
            </dd>
            <dt>Serial</dt>
            <dd className="mono">{host.hardware_serial}</dd>
            <dt>Hardware UUID</dt>
            <dd className="mono">{host.uuid}</dd>
            {host.logged_in_user ? (
              <>
                <dt>User</dt>
                <dd>
                  {host.logged_in_user} <span className="muted">· last logged in at the screen</span>
                </dd>
              </>
            ) : null}
            {host.logout_deferrals !== null ? (
              <>
                <dt>Log-out</dt>
                <dd>{logoutRequestText(host.logout_deferrals, host.policy.max_deferrals)}</dd>
              </>
            ) : null}
            <dt>Team</dt>
            <dd>{host.team_name ?? NO_TEAM}</dd>
            <dt>Last seen</dt>
            <dd>
              {formatAgo(host.seen_time)} <span className="muted">· {formatDateTime(host.seen_time)}</span>
            </dd>
            <dt>Enrolled</dt>
            <dd>{formatDateTime(host.last_enrolled_at)}</dd>
            <dt>Key escrowed</dt>
            <dd>{key?.escrowed ? formatDateTime(key.updated_at) : 'No'}</dd>
            <dt>Reveal policy</dt>
            <dd>
              {host.policy.reason_required ? 'Reason required' : 'Reason optional'}
              {host.policy.rotate_after_reveal ? ' · rotated after every reveal' : ''}
            </dd>
          </dl>
          {teams.data ? <TeamChange host={host} teams={teams.data.teams} onMoved={finished} /> : null}
        </section>

        <section aria-labelledby="volumes-title" className="card">
          <h2 id="volumes-title">Volumes</h2>
          {host.volumes.length === 0 ? (
            <p className="muted">The host has not reported its volumes yet.</p>
          ) : (
            <ul className="plain-list volumes">
              {host.volumes.map((v, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a volume may have no device name.
                <li key={i}>
                  <strong>{v.device ?? KIND_NAMES[v.kind]}</strong>{' '}
                  <span className="muted small">
                    {v.device ? `${KIND_NAMES[v.kind]} · ` : ''}
                    {v.encrypted ? 'encrypted' : 'not encrypted'}
                  </span>
                  <span className="block small">{v.detail}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section aria-labelledby="timeline-title" className="section">
        <div className="section-head">
          <h2 id="timeline-title">Timeline</h2>
          {can.seeActivities ? (
            <Link to={href('/activities', { host: host.display_name, host_id: host.id })}>
              All activities of this host
            </Link>
          ) : null}
        </div>
        {timeline.error ? <LoadError message={timeline.error} retry={timeline.reload} /> : null}
        {!timeline.data ? (
          timeline.loading ? (
            <Loading />
          ) : null
        ) : timeline.data.activities.length === 0 ? (
          <p className="muted">Nothing has happened to this host yet.</p>
        ) : (
          <ol className="timeline">
            {timeline.data.activities.map((e) => (
              <li key={e.id}>
                <time dateTime={e.created_at}>{formatDateTime(e.created_at)}</time>
                <span>{e.summary}</span>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="archived-title" className="section">
        <h2 id="archived-title">Archived keys</h2>
        <p className="muted small">
          Earlier keys of this host. A disk restored from an old backup may still open with one of them.
        </p>
        {archived.error ? <LoadError message={archived.error} retry={archived.reload} /> : null}
        {!archived.data ? (
          archived.loading ? (
            <Loading />
          ) : null
        ) : archived.data.length === 0 ? (
          <p className="muted">No archived keys.</p>
        ) : (
          <ul className="archived-list">
            {archived.data.map((a) => (
              <li key={a.id}>
                <span>
                  {ARCHIVE_REASONS[a.reason] ?? a.reason} · archived {formatDateTime(a.archived_at)}
                  {a.key_slot !== null ? <span className="muted"> · slot {a.key_slot}</span> : null}
                </span>
                {can.revealKeys ? (
                  <button type="button" className="small-button" onClick={() => setDialog(a)}>
                    Reveal
                    <span className="visually-hidden"> the key archived {formatDateTime(a.archived_at)}</span>
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      {dialog === 'reveal' || (dialog !== null && typeof dialog === 'object') ? (
        <RevealDialog
          host={host}
          archived={typeof dialog === 'object' ? dialog : undefined}
          onClose={() => {
            setDialog(null);
            reloadAll();
          }}
        />
      ) : null}
      {dialog === 'rotate' ? (
        <RotateDialog
          host={host}
          onClose={() => setDialog(null)}
          onDone={() => finished('Rotation requested: the host makes a new key at its next check-in.')}
        />
      ) : null}
    </>
  );
}

function RotateDialog({
  host,
  onClose,
  onDone,
}: {
  host: HostDetails;
  onClose: () => void;
  onDone: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const rotate = async () => {
    setBusy(true);
    try {
      await adminApi.rotateKey(host.id);
      onDone();
    } catch (err) {
      setBusy(false);
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Dialog title={`Rotate the key of ${host.display_name}?`} onClose={onClose}>
      <p>
        The host makes a new recovery key at its next check-in and escrows it; the current key then stops
        working and is archived.
      </p>
      <div aria-live="assertive" className="live-region">
        {error ? <p className="notice tone-error">{error}</p> : null}
      </div>
      <div className="actions">
        <button type="button" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" className="primary" disabled={busy} onClick={() => void rotate()}>
          Rotate key
        </button>
      </div>
    </Dialog>
  );
}

function TeamChange({
  host,
  teams,
  onMoved,
}: {
  host: HostDetails;
  teams: Team[];
  onMoved: (text: string) => void;
}) {
  const selectId = useId();
  const hintId = useId();
  const ref = useRef<HTMLSelectElement>(null);
  const [error, setError] = useState<string | null>(null);
  const move = async () => {
    const v = ref.current?.value ?? '';
    const teamId = v === '' ? null : Number(v);
    if (teamId === host.team_id) return;
    try {
      await adminApi.transferHosts(teamId, [host.id]);
      onMoved(`Moved to ${teams.find((t) => t.id === teamId)?.name ?? NO_TEAM}.`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div className="team-change">
      <label htmlFor={selectId} className="field-label">
        Move to team
      </label>
      <div className="field-row">
        <select
          id={selectId}
          ref={ref}
          defaultValue={host.team_id === null ? '' : String(host.team_id)}
          aria-describedby={hintId}
        >
          <option value="">{NO_TEAM}</option>
          {teams.map((t) => (
            <option key={t.id} value={String(t.id)}>
              {t.name}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void move()}>
          Move
        </button>
      </div>
      <p id={hintId} className="hint">
        A team with escrow turned off archives this host’s key.
      </p>
      {error ? (
        <p className="notice tone-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
