import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { adminApi } from '../api/admin.js';
import { ApiError } from '../api/client.js';
import type { ActivitiesQuery, Optional } from '../api/types.js';
import { announce } from '../components/announcer.js';
import { LoadError, Loading, PageHeading } from '../components/page.js';
import { ScrollTable } from '../components/table.js';
import { formatDateTime } from '../format.js';
import { href, Link, navigate, useLocation } from '../router.js';
import { activityName } from '../strings.js';
import { useResource } from '../use-resource.js';
import { KeysetPager, previousCursor, rememberCursor } from './keyset.js';

/** The types offered in the filter: what admins look for; any other type still shows in the list. */
const TYPES = [
  'read_host_disk_encryption_key',
  'read_host_archived_disk_encryption_keys',
  'requested_disk_encryption_key_rotation',
  'transferred_hosts',
  'enabled_disk_encryption',
  'disabled_disk_encryption',
  'edited_team',
  'created_user',
  'edited_user',
  'created_api_token',
  'revoked_api_token',
  'edited_org_info',
  'signed_in',
  'key_escrowed',
  'escrow_failed',
];

type Query = Optional<Omit<ActivitiesQuery, 'after_id'>>;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Day boundaries in the admin's own time zone, sent as instants. */
const dayStart = (d: string) => new Date(`${d}T00:00:00`).toISOString();
const dayEnd = (d: string) => new Date(new Date(`${d}T00:00:00`).getTime() + 86_400_000).toISOString();

function queryFromUrl(q: URLSearchParams): { api: Query; from: string; to: string } {
  const api: Query = { per_page: 50 };
  const actor = q.get('actor');
  if (actor) api.actor = actor;
  const type = q.get('type');
  if (type && /^[a-z_]+$/.test(type)) api.type = type;
  const host = q.get('host_id');
  if (host && /^\d+$/.test(host)) api.host_id = Number(host);
  const cursor = q.get('cursor');
  if (cursor) api.cursor = cursor;
  const from = q.get('from') ?? '';
  if (DAY.test(from)) api.since = dayStart(from);
  const to = q.get('to') ?? '';
  if (DAY.test(to)) api.until = dayEnd(to);
  return { api, from: DAY.test(from) ? from : '', to: DAY.test(to) ? to : '' };
}

/** A reveal's reason, when the activity carries one (it is also in the summary, in words). */
function reasonOf(details: Record<string, unknown>): string | null {
  return typeof details.reason === 'string' && details.reason ? details.reason : null;
}

/** Who did what, when, to which host, and why: the audit trail, filterable and exportable. */
export function ActivitiesScreen() {
  const { query } = useLocation();
  const { api: q, from, to } = queryFromUrl(query);
  const key = query.toString();
  const res = useResource((signal) => adminApi.activities(q, signal), [key]);
  const ids = {
    actor: useId(),
    type: useId(),
    from: useId(),
    to: useId(),
    host: useId(),
    hostError: useId(),
  };
  const form = useRef<HTMLFormElement>(null);

  const [hostError, setHostError] = useState<string | null>(null);
  /**
   * The host is asked for as people know it (hostname, serial, UUID); it is looked up once and kept in the
   * URL both as typed (`host`, to show again) and as its id (`host_id`, what the API filters on).
   */
  const apply = async (e: FormEvent) => {
    e.preventDefault();
    const f = new FormData(form.current ?? undefined);
    const get = (n: string) => String(f.get(n) ?? '').trim() || null;
    const host = get('host');
    let hostId: number | null = null;
    if (host) {
      try {
        hostId = (await adminApi.hostByIdentifier(host)).id;
      } catch (err) {
        setHostError(
          err instanceof ApiError && err.status === 404
            ? `No host is known as “${host}”.`
            : err instanceof Error
              ? err.message
              : String(err),
        );
        form.current?.querySelector<HTMLInputElement>('[name="host"]')?.focus();
        return;
      }
    }
    setHostError(null);
    navigate(
      href('/activities', {
        actor: get('actor'),
        type: get('type'),
        from: get('from'),
        to: get('to'),
        host,
        host_id: hostId,
      }),
    );
  };

  useEffect(() => {
    if (!res.loading && res.data) {
      const n = res.data.activities.length;
      announce(n === 0 ? 'No activities match.' : `${n} activities shown.`);
    }
  }, [res.loading, res.data]);

  const page = (cursor: string | null) =>
    navigate(href('/activities', { ...Object.fromEntries(query), cursor }));

  return (
    <>
      <PageHeading title="Activities">
        <a className="button-link" href={adminApi.activitiesCsvUrl(q)} download>
          Export CSV
        </a>
      </PageHeading>
      <form
        ref={form}
        className="filters"
        aria-label="Filter activities"
        onSubmit={(e) => void apply(e)}
        key={key}
      >
        <div className="filter">
          <label htmlFor={ids.actor}>Who</label>
          <input id={ids.actor} name="actor" type="text" defaultValue={q.actor ?? ''} autoComplete="off" />
        </div>
        <div className="filter">
          <label htmlFor={ids.host}>Host</label>
          <input
            id={ids.host}
            name="host"
            type="text"
            defaultValue={query.get('host') ?? (q.host_id === undefined ? '' : String(q.host_id))}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={hostError !== null}
            aria-describedby={hostError ? ids.hostError : undefined}
          />
          {hostError ? (
            <span id={ids.hostError} className="field-error" role="alert">
              {hostError}
            </span>
          ) : null}
        </div>
        <div className="filter">
          <label htmlFor={ids.type}>What</label>
          <select id={ids.type} name="type" defaultValue={q.type ?? ''}>
            <option value="">Anything</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {activityName(t)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} name="from" type="date" defaultValue={from} />
        </div>
        <div className="filter">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} name="to" type="date" defaultValue={to} />
        </div>
        <button type="submit" className="primary">
          Filter
        </button>
      </form>
      {res.error ? <LoadError message={res.error} retry={res.reload} /> : null}
      {!res.data ? (
        res.loading ? (
          <Loading />
        ) : null
      ) : res.data.activities.length === 0 ? (
        <p>No activities match these filters.</p>
      ) : (
        <div aria-busy={res.loading}>
          <ScrollTable label="Activities">
            <table className="activities-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {res.data.activities.map((a) => (
                  <tr key={a.id}>
                    <td className="nowrap">
                      <time dateTime={a.created_at}>{formatDateTime(a.created_at)}</time>
                    </td>
                    <td>{a.actor}</td>
                    <td>
                      <span className="block">{activityName(a.type)}</span>
                      <span className="small muted">{a.summary}</span>
                      {a.host_id !== null ? (
                        <span className="block small">
                          <Link to={href(`/hosts/${a.host_id}`)}>Open host {a.host_id}</Link>
                        </span>
                      ) : null}
                    </td>
                    <td>{reasonOf(a.details) ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        </div>
      )}
      {res.data ? (
        <KeysetPager
          label="Activity pages"
          hasPrevious={res.data.meta.has_previous_results}
          hasNext={res.data.next_cursor !== null}
          onPrevious={() => page(previousCursor('activities', q.cursor))}
          onNext={() => {
            const next = res.data?.next_cursor ?? null;
            rememberCursor('activities', next, q.cursor);
            page(next);
          }}
        />
      ) : null}
    </>
  );
}
